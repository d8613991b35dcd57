/*
 * test_report.c — the run report (sim/report/): the model one pass builds
 * from a synthetic trace (partitions and their VM names, hypercalls by
 * name, VMBus channels with packets and bytes per direction, a DMA device,
 * LP occupancy, memory steps, the run's verdicts), the bounds past which
 * it aggregates (partitions, memory steps, timeline bars), escaping, the
 * page written twice byte for byte, and a missing trace refused.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/hvgdk.h"
#include "sim/report/report.h"
#include "sim/trace/trace_file.h"

#define N16 HV_TRACE_NONE

static char *report_dir(void) {
  char *d = strdup("/tmp/hvsim-report-XXXXXX");
  cr_assert_not_null(mkdtemp(d));
  return d;
}

/* Removes what the tests write into dir, then dir; frees the name. */
static void report_rmdir(char *dir) {
  const char *files[] = {"trace.bin", "trace.jsonl", "trace.perfetto.json", "report.html", "again.html"};
  char p[1200];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    remove(p);
  }
  cr_expect_eq(remove(dir), 0, "%s left with files", dir);
  free(dir);
}

/* Writes recs as DIR/trace.bin (and the other trace files). */
static void report_trace(const char *dir, const struct hv_trace_rec *recs, size_t n) {
  struct trace_meta *m = calloc(1, sizeof *m);
  cr_assert_not_null(m);
  m->seed = 1;
  snprintf(m->scenario_path, sizeof m->scenario_path, "/nonexistent/scenario.yaml");
  snprintf(m->build_id, sizeof m->build_id, "test");
  m->cycles_per_us = 2000;
  m->lps = 2;
  m->nvms = 2;
  snprintf(m->vm_names[0], sizeof m->vm_names[0], "web");
  snprintf(m->vm_names[1], sizeof m->vm_names[1], "d<b>");
  char err[256];
  struct trace_writer *w = trace_writer_open(dir, m, err, sizeof err);
  cr_assert_not_null(w, "%s", err);
  for (size_t i = 0; i < n; i++)
    trace_writer_rec(w, &recs[i]);
  cr_assert_eq(trace_writer_close(w), 0);
  free(m);
}

static char *report_slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc(*len + 1);
  cr_assert_eq(fread(buf, 1, *len, f), *len);
  buf[*len] = '\0';
  fclose(f);
  return buf;
}

static size_t report_count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* A small run: VM 1 "web" is partition 2, VM 2 "d<b>" partition 3. */
static const struct hv_trace_rec small[] = {
    {10, HV_TR_PARTITION_STATE, 0, N16, 2, 2, 0, 1},
    {11, HV_TR_VM_BIND, 0, 0, 1, 1, 2, 0},
    {12, HV_TR_POOL, 0, N16, 2, 2, 40, 1},
    {13, HV_TR_PARTITION_STATE, 0, N16, 2, 2, 1, 2},
    {14, HV_TR_HYPERCALL, 0, 0, 1, HVCALL_MAP_GPA_PAGES, 256ull << 32, 100},
    {20, HV_TR_PARTITION_STATE, 0, N16, 3, 3, 0, 1},
    {21, HV_TR_VM_BIND, 0, 0, 1, 2, 3, 0},
    {100, HV_TR_VP_ENTRY, 1, 0, 2, 5000, 0, 0},
    {150, HV_TR_HYPERCALL, 1, 0, 2, HVCALL_POST_MESSAGE, 0, 30},
    {160, HV_TR_HYPERCALL, 1, 0, 2, HVCALL_POST_MESSAGE, HV_STATUS_ACCESS_DENIED, 30},
    {170, HV_TR_MSG_POST, 1, 0, 2, 0x21, 1, 7},
    {180, HV_TR_MSG_DELIVER, 0, 0, 1, 2, 10, 7ull << 32},
    {200, HV_TR_VMBUS, 0, 0, 1, HV_VMBUS_OFFER, 1ull << 32 | 3, 1},
    {210, HV_TR_VMBUS, 0, 0, 1, HV_VMBUS_OPEN, 1ull << 32 | 3, 1},
    {220, HV_TR_VMBUS_PACKET, 0, 0, 1, 1ull << 32 | 3, 6, 80},
    {230, HV_TR_VMBUS_PACKET, 0, 0, 1, 1ull << 32 | 3, 1ull << 32 | 11, 88},
    {240, HV_TR_DMA, N16, N16, 3, 0x20, 1ull << 56, 1ull << 16},
    {250, HV_TR_DMA_FAULT, N16, N16, 3, 0x20, 0x1000, 2},
    {300, HV_TR_SCHED, 1, 0, 2, 0, 1, 0},
    {400, HV_TR_PARTITION_STATE, 0, N16, 2, 2, 2, 0},
    {500, HV_TR_EXPECT, N16, N16, N16, 0, 1, 0},
    {500, HV_TR_EXPECT, N16, N16, N16, 1, 0, 0},
};

Test(report, model_of_a_small_run) {
  char *dir = report_dir(), err[256];
  report_trace(dir, small, sizeof small / sizeof small[0]);
  struct rpt *r = calloc(1, sizeof *r);
  cr_assert_eq(rpt_load(r, dir, err, sizeof err), 0, "%s", err);
  cr_expect_eq(r->nparts, 3);
  cr_expect_str_eq(r->parts[0].name, "root");
  cr_expect_str_eq(r->parts[1].name, "web");
  cr_expect_str_eq(r->parts[2].name, "d<b>");
  const struct rpt_part *web = &r->parts[1];
  cr_expect_eq(web->hypercalls, 2);
  cr_expect_eq(web->hc_failed, 1);
  cr_expect_eq(web->ncalls, 1);
  cr_expect_eq(web->calls[0].code, HVCALL_POST_MESSAGE);
  cr_expect_eq(web->msg_post, 1);
  cr_expect_eq(r->parts[0].msg_deliver, 1);
  cr_expect(web->deleted);
  cr_expect_eq(web->peak_pages, 296, "40 pool pages and 256 mapped");
  cr_expect_eq(web->mem_v[web->nmem - 1], 0, "deleted: nothing held");
  cr_assert_eq(r->nch, 1);
  cr_expect_eq(r->ch[0].vm, 1);
  cr_expect_eq(r->ch[0].relid, 3);
  cr_expect_eq(r->ch[0].packets[0], 1);
  cr_expect_eq(r->ch[0].packets[1], 1);
  cr_expect_eq(r->ch[0].bytes[0], 80);
  cr_expect_eq(r->ch[0].bytes[1], 88);
  cr_assert_eq(r->ndev, 1);
  cr_expect_eq(r->dev[0].dma, 1);
  cr_expect_eq(r->dev[0].faults, 1);
  cr_expect_eq(r->lps[1].nsegs, 1);
  cr_expect_eq(r->lps[1].segs[0].t0, 100);
  cr_expect_eq(r->lps[1].segs[0].t1, 300);
  cr_expect_eq(r->held[0], 1);
  cr_expect_eq(r->held[1], 0);
  cr_expect_eq(r->held[2], -1);
  cr_expect_neq(r->scn_note[0], '\0', "the scenario is missing: said so");
  rpt_free(r);
  free(r);
  report_rmdir(dir);
}

Test(report, page_is_deterministic_and_escaped) {
  char *dir = report_dir(), err[256], path[1200], out2[1300];
  report_trace(dir, small, sizeof small / sizeof small[0]);
  cr_assert_eq(report_write(dir, 0, path, sizeof path, err, sizeof err), 0, "%s", err);
  snprintf(out2, sizeof out2, "%s/again.html", dir);
  char path2[1300];
  cr_assert_eq(report_write(dir, out2, path2, sizeof path2, err, sizeof err), 0, "%s", err);
  size_t a, b;
  char *pa = report_slurp(path, &a), *pb = report_slurp(path2, &b);
  cr_expect_eq(a, b);
  cr_expect_eq(memcmp(pa, pb, a), 0, "the same trace gives the same page");
  cr_expect_eq(report_count(pa, "<g class=\"box partition\""), 3);
  cr_expect_eq(report_count(pa, "class=\"edge channel\" data-ch=\"1:3\""), 1);
  cr_expect_eq(report_count(pa, "<tr class=\"verdict\""), 2);
  cr_expect_not_null(strstr(pa, "d&lt;b&gt;"));
  cr_expect_null(strstr(pa, "d<b>"), "names are escaped");
  cr_expect_null(strstr(pa, "<script"));
  free(pa), free(pb);
  report_rmdir(dir);
}

/* Past the ceilings: partitions summed into one box, memory steps thinned,
 * at most RPT_TL_WIDTH / 2 timeline bars per LP per chart. */
Test(report, bounded_past_the_limits) {
  size_t n = 0, cap = 200 + 2000 + 2 * 20000;
  struct hv_trace_rec *t = calloc(cap, sizeof *t);
  for (uint16_t pid = 2; pid < 200; pid++)
    t[n++] = (struct hv_trace_rec){pid, HV_TR_PARTITION_STATE, 0, N16, pid, pid, 0, 1};
  for (uint64_t i = 0; i < 2000; i++)
    t[n++] = (struct hv_trace_rec){1000 + i, HV_TR_POOL, 0, N16, 2, 2, 1, 1};
  for (uint64_t i = 0; i < 20000; i++) {
    t[n++] = (struct hv_trace_rec){10000 + 10 * i, HV_TR_VP_ENTRY, 0, 0, (uint16_t)(2 + i % 3), 0, 0, 0};
    t[n++] = (struct hv_trace_rec){10000 + 10 * i + 5, HV_TR_SCHED, 0, 0, (uint16_t)(2 + i % 3), 0, 1, 0};
  }
  char *dir = report_dir(), err[256], path[1200];
  report_trace(dir, t, n);
  struct rpt *r = calloc(1, sizeof *r);
  cr_assert_eq(rpt_load(r, dir, err, sizeof err), 0, "%s", err);
  cr_expect_eq(r->nparts, RPT_MAX_PARTS);
  cr_expect_eq(r->overflow_parts, 199 - RPT_MAX_PARTS);
  const struct rpt_part *p2 = &r->parts[1];
  cr_expect_leq(p2->nmem, RPT_MEM_POINTS);
  cr_expect_gt(r->mem_dropped, 0);
  cr_expect_eq(p2->mem_v[p2->nmem - 1], 2000, "the last step is kept");
  cr_expect_eq(r->lps[0].nsegs, 20000);
  rpt_free(r);
  free(r);
  cr_assert_eq(report_write(dir, 0, path, sizeof path, err, sizeof err), 0, "%s", err);
  size_t len;
  char *page = report_slurp(path, &len);
  cr_expect_leq(report_count(page, "<rect class=\"vp\""), 9 * (RPT_TL_WIDTH / 2));
  cr_expect_eq(report_count(page, "<g class=\"box partition\""), RPT_MAX_PARTS + 1, "one box sums the rest");
  cr_expect_not_null(strstr(page, "other partitions"));
  free(page), free(t);
  report_rmdir(dir);
}

Test(report, missing_trace_refused) {
  char err[256] = "", path[64];
  cr_expect_eq(report_write("/nonexistent/run", 0, path, sizeof path, err, sizeof err), -1);
  cr_expect_neq(err[0], '\0');
}

/* Many LPs: bars widen so a chart keeps under RPT_TL_BARS bars, ticks too. */
Test(report, timeline_bounded_with_many_lps) {
  size_t n = 0, cap = 64 * 3 * 400;
  struct hv_trace_rec *t = calloc(cap, sizeof *t);
  for (uint64_t i = 0; i < 400; i++)
    for (uint16_t lp = 0; lp < 64; lp++) {
      uint16_t pid = (uint16_t)(2 + (i + lp) % 5);
      t[n++] = (struct hv_trace_rec){100 * i, HV_TR_VP_ENTRY, lp, 0, pid, 0, 0, 0};
      t[n++] = (struct hv_trace_rec){100 * i + 40, HV_TR_VP_EXIT, lp, 0, pid, HV_EXIT_HLT, 0, 0};
      t[n++] = (struct hv_trace_rec){100 * i + 50, HV_TR_SCHED, lp, 0, pid, 0, 1, 0};
    }
  char *dir = report_dir(), err[256], path[1200];
  report_trace(dir, t, n);
  cr_assert_eq(report_write(dir, 0, path, sizeof path, err, sizeof err), 0, "%s", err);
  size_t len;
  char *page = report_slurp(path, &len);
  size_t bars = report_count(page, "<rect class=\"vp\""), ticks = report_count(page, "v4");
  cr_expect_geq(bars, 64 * 9, "every LP drawn in every chart (%zu bars)", bars);
  cr_expect_leq(bars, 9 * RPT_TL_BARS, "%zu bars", bars);
  cr_expect_leq(ticks, 9 * RPT_TL_BARS, "%zu ticks", ticks);
  cr_expect_lt(len, 3u << 20, "%zu bytes", len);
  free(page), free(t);
  report_rmdir(dir);
}
