/*
 * report.h — the run report: one self-contained HTML page (inline SVG and
 * CSS, no script, no network) drawn from a run's trace.bin, written next
 * to it by `hvsim report DIR` and `hvsim run --report`.
 *
 * The page shows the run the way the architecture diagram shows the
 * machine: the partitions, the hypervisor, the VMBus channels and the
 * devices with what crossed between them (report_arch.c); which VP ran on
 * which LP when (report_timeline.c); per-VP cycles and per-partition
 * memory (report_cycles.c); VMBus channel set-up and one packet's round
 * trip as a sequence chart (report_seq.c); the expectations with the
 * events that decided them (report_verdicts.c). report_model.c reads the
 * records once into the figures every view draws from.
 *
 * Bounds: the model is linear in the events; every view has a fixed
 * ceiling on what it draws (RPT_* below), aggregating past it and saying
 * so on the page, so a page stays under about 5 MB whatever the run (the
 * timeline's 9 charts of at most RPT_TL_BARS bars weigh most; the largest
 * scenario, synic-pingpong's 1.2 M events, gives about 180 KB). Same
 * trace.bin (and result.json) -> byte-identical page.
 */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hvsim/trace.h"
#include "sim/scenario/scenario.h"
#include "sim/trace/trace_file.h"

#define RPT_MAX_PARTS 64     /* partitions drawn as boxes; more are summed into one */
#define RPT_MAX_CHANNELS 128 /* VMBus channels tracked */
#define RPT_MAX_DEVICES 16   /* DMA devices tracked */
#define RPT_MAX_LPS 64
#define RPT_MAX_CALLS 24     /* distinct hypercalls per partition */
#define RPT_MAX_VPS 256      /* per-VP cycle rows */
#define RPT_TL_WIDTH 1000    /* timeline plot width in pixels: segments and marks per pixel */
#define RPT_TL_PAGES 8       /* detail pages of the timeline */
#define RPT_TL_BARS 2000     /* bars per timeline chart, at most */
#define RPT_MEM_POINTS 400   /* memory ownership steps drawn per partition */
#define RPT_SEQ_ROWS 48      /* rows of the sequence chart */
#define RPT_EV_PER_EXPECT 5  /* deciding events linked per expectation */
#define RPT_EV_TABLE 400     /* rows of the linked-events table */

struct rpt_call {
  uint16_t code;
  uint64_t count, failed;
};

struct rpt_part {
  uint16_t pid;
  uint32_t vm; /* 0: root or not bound */
  char name[48];
  uint8_t state; /* last partition state (hv/core/hv.h enum partition_state) */
  bool deleted;
  uint32_t vps;
  uint64_t hypercalls, hc_failed;
  struct rpt_call calls[RPT_MAX_CALLS];
  uint32_t ncalls;
  uint64_t msg_post, msg_deliver, events, virq, ipis, timers, exits, intercepts;
  uint64_t gpa_violations, exceptions, isolation;
  int64_t pool_pages, ram_pages; /* now (during the pass), then at the end */
  uint64_t peak_pages;
  uint32_t nmem;                 /* memory steps recorded */
  uint64_t mem_t[RPT_MEM_POINTS];
  int64_t mem_v[RPT_MEM_POINTS];
};

struct rpt_channel {
  uint32_t vm, relid;
  uint32_t kind;  /* enum vmbus_dev */
  uint32_t opens, closes, refused, killed;
  uint64_t packets[2], bytes[2]; /* 0 guest to host, 1 host to guest */
};

struct rpt_device {
  uint16_t rid;
  char name[SCN_NAME_MAX];
  uint32_t vm;   /* assigned to (0: none seen) */
  uint64_t dma, dma_failed, faults, irqs, blocks, iommu_ops;
};

/* One VP on one LP from its entry to its switch-out. */
struct rpt_seg {
  uint64_t t0, t1;
  uint16_t pidx; /* index into parts */
  uint16_t vp;
};

struct rpt_lp {
  struct rpt_seg *segs;
  size_t nsegs, cap;
  bool open;
  uint64_t busy;
};

/* Per-VP counters from the run's result.json (the engine's, at the end). */
struct rpt_vp {
  char vm[48];
  uint32_t pid, vp;
  uint64_t guest, hv, exit, exits, hypercalls;
};

struct rpt {
  const char *dir;
  struct trace_meta *meta;
  struct hv_trace_rec *recs;
  size_t n;
  struct scenario scn;
  bool have_scn;
  char scn_note[600]; /* why the scenario could not be used, or "" */
  uint64_t end;       /* last record time */
  uint16_t *pid_idx;  /* partition id -> index + 1 into parts (0: none) */
  uint16_t *pid_vm;   /* partition id -> VM id (as the verdict keeps it) */
  struct rpt_part parts[RPT_MAX_PARTS + 1]; /* the last one sums the rest */
  uint32_t nparts, overflow_parts;
  struct rpt_channel ch[RPT_MAX_CHANNELS];
  uint32_t nch, overflow_ch;
  struct rpt_device dev[RPT_MAX_DEVICES];
  uint32_t ndev;
  struct rpt_lp lps[RPT_MAX_LPS];
  uint32_t nlps;
  uint64_t kinds[HV_TR_KIND_COUNT];
  uint64_t irq_phys, world_irqs, mem_dropped, intercepts_done; /* done: completed by the root's VMWP */
  int last_init; /* the partition the root initialised last (its RAM maps count for it) */
  int64_t held[SCN_MAX_EXPECTS]; /* from the EXPECT records: 1 held, 0 failed, -1 none */
  uint64_t expect_seq[SCN_MAX_EXPECTS];
  uint32_t nexpect_recs;
  struct rpt_vp vps[RPT_MAX_VPS];
  uint32_t nvps;
  bool have_result;
  /* the linked events (report_verdicts.c fills, report_html.c prints) */
  uint64_t linked[RPT_EV_TABLE];
  uint32_t nlinked;
};

/* Reads DIR/trace.bin (and DIR/result.json, and the scenario the header
 * names when it is still there) into r. Returns 0, or -1 with err set. */
int rpt_load(struct rpt *r, const char *dir, char *err, size_t errlen);
void rpt_free(struct rpt *r);
/* The model: one pass over the records (report_model.c). Returns 0 or -1
 * (out of memory). */
int rpt_model(struct rpt *r);
/* Index into parts of partition id pid (adds it when new); -1 if none. */
int rpt_part_of(struct rpt *r, uint16_t pid);
/* Makes room for item n of an array of size-byte items (*cap doubles). 0 or -1. */
int rpt_grow(void **buf, size_t *cap, size_t n, size_t size);
/* A partition's colour (a fixed palette by index). */
const char *rpt_color(uint32_t pidx);
/* Name of a VMBus device kind. */
const char *rpt_dev_kind(uint32_t kind);

/* The views, each one <section> of the page. */
void rpt_arch(FILE *f, const struct rpt *r);
void rpt_timeline(FILE *f, const struct rpt *r);
void rpt_cycles(FILE *f, const struct rpt *r);
void rpt_memory(FILE *f, const struct rpt *r);
void rpt_seq(FILE *f, const struct rpt *r);
void rpt_verdicts(FILE *f, struct rpt *r);
void rpt_events(FILE *f, const struct rpt *r);

/* Helpers (report_html.c). */
void rpt_esc(FILE *f, const char *s);        /* text with & < > " escaped */
void rpt_us(FILE *f, const struct rpt *r, uint64_t cycles); /* "12.345 us" */
const char *rpt_kind_name(uint16_t kind);
const char *rpt_call_name(uint16_t code, char *buf, size_t cap);
/* One record as a short line of text ("hypercall HvCallPostMessage SUCCESS"). */
void rpt_event_text(FILE *f, const struct rpt *r, const struct hv_trace_rec *e);

/* Writes DIR/report.html (or out when not NULL). Returns 0, or -1 with
 * err set. */
int report_write(const char *dir, const char *out, char *path, size_t pathlen, char *err, size_t errlen);
extern const char report_usage[];
/* `hvsim report DIR [--out FILE]`: the exit status (0, 2 usage/unreadable). */
int report_cmd_main(int argc, char **argv);

#endif /* SIM_REPORT_H */
