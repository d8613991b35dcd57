/*
 * trace_file.h — the simulator's trace outputs and the `hvsim trace` tool.
 *
 * One run writes three files into a trace directory:
 *   trace.bin           compact, versioned: header (see below) then the raw
 *                       40-byte hv_trace_rec records, little-endian; the
 *                       record count is implied by the file size, so a run
 *                       that stops abruptly still leaves a readable prefix;
 *   trace.jsonl         one JSON object per line: a header object, then one
 *                       object per event with decoded names;
 *   trace.perfetto.json the Chrome trace-event JSON that ui.perfetto.dev and
 *                       chrome://tracing open: one track per LP and per VP.
 * The digest of a run is SHA-256 over the records' 40-byte encodings (not the
 * header): equal digests mean equal event sequences.
 *
 * trace.bin header, all integers little-endian, strings NUL-padded:
 *   0    char[8]   magic "HVTRACE\0"
 *   8    u32       format version (HV_TRACE_VERSION)
 *   12   u32       header size in bytes (offset of the first record)
 *   16   u32       record size (40)
 *   20   u32       reserved, 0
 *   24   u64       seed
 *   32   u8[32]    SHA-256 of the scenario file
 *   64   u64       cycles per microsecond
 *   72   u32       LPs
 *   76   u32       VMs (n)
 *   80   char[64]  build id
 *   144  char[512] command-line options of the run
 *   656  char[512] scenario path as given
 *   1168 char[32]  x n: VM names, VM id i+1 at index i
 * Every byte is a function of the inputs: no timestamps, no padding garbage.
 */
#ifndef SIM_TRACE_FILE_H
#define SIM_TRACE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hvsim/trace.h"
#include "sha256.h"

#define TRACE_MAGIC "HVTRACE" /* 7 chars + NUL = 8 bytes */
#define TRACE_REC_SIZE 40u
#define TRACE_HDR_FIXED 1168u /* header bytes before the VM names */
#define TRACE_MAX_VMS 256u
#define TRACE_VM_NAME_LEN 32u

struct trace_meta {
  uint64_t seed;
  uint8_t scenario_sha256[32];
  char scenario_path[512];
  char build_id[64];
  char options[512]; /* the run's inputs besides file and seed, for replay */
  uint64_t cycles_per_us;
  uint32_t lps;
  uint32_t nvms;
  char vm_names[TRACE_MAX_VMS][TRACE_VM_NAME_LEN]; /* VM id i+1 -> name */
};

struct scenario;
/* The header of a run of scn: its path and SHA-256, the seed, this build,
 * the options as given, the machine and the VM names. Returns 0, or -1
 * when the scenario file cannot be read to hash it. */
int trace_meta_init(struct trace_meta *m, const struct scenario *scn, uint64_t seed, const char *options);

/* ---- writing ------------------------------------------------------------ */

struct trace_writer;

/* Creates dir (like mkdir -p) and opens DIR/trace.bin, DIR/trace.jsonl and
 * DIR/trace.perfetto.json, writing their headers. Returns the writer, or
 * NULL with a message in err on failure (nothing left open). */
struct trace_writer *trace_writer_open(const char *dir,
                                       const struct trace_meta *m, char *err,
                                       size_t errlen);
/* Appends one record to the three files. Buffered: no system call per
 * record. A write error is remembered and reported by trace_writer_close. */
void trace_writer_rec(struct trace_writer *w, const struct hv_trace_rec *r);
/* Flushes, finishes the JSON (closing any open span), closes the files and
 * frees w. Returns 0, or -1 if any write failed. */
int trace_writer_close(struct trace_writer *w);

/* ---- digest of the event sequence -------------------------------------- */

#define TRACE_DIGEST_BATCH 4000u /* 100 records: hashed in ~4 KiB batches */

struct trace_digest {
  struct sha256_ctx sha;
  uint64_t events;
  size_t len;
  uint8_t buf[TRACE_DIGEST_BATCH];
};

void trace_digest_init(struct trace_digest *d);
void trace_digest_update(struct trace_digest *d, const struct hv_trace_rec *r);
/* Writes the lower-case hex digest; d->events holds the record count. */
void trace_digest_final(struct trace_digest *d, char hex[65]);

/* ---- reading ------------------------------------------------------------ */

/* Reads a trace.bin: validates magic, version, sizes and the header fields.
 * Returns 0 with *m filled and *recs (malloc'd, free() it; NULL when n is 0)
 * holding *n records; a trailing partial record is ignored. Returns -1 with
 * a message in err for an unreadable, truncated or foreign file. */
int trace_read(const char *path_bin, struct trace_meta *m,
               struct hv_trace_rec **recs, size_t *n, char *err, size_t errlen);

/* `hvsim trace digest|dump|info ...`; argv[0] is "trace". Returns the exit
 * status: 0 ok, 2 usage or unreadable trace. */
int trace_cmd_main(int argc, char **argv);

/* ---- shared by trace_*.c ------------------------------------------------ */

/* Little-endian 40-byte encoding of a record. */
void trace_rec_encode(const struct hv_trace_rec *r,
                      uint8_t out[TRACE_REC_SIZE]);
void trace_rec_decode(const uint8_t in[TRACE_REC_SIZE], struct hv_trace_rec *r);
/* Writes s as a JSON string literal (with quotes) to f. */
void trace_json_str(FILE *f, const char *s);
/* Writes cycles as microseconds with three fractional digits ("61.728"),
 * in integer arithmetic so the text is identical on every host. */
void trace_json_us(FILE *f, uint64_t cycles, uint64_t cycles_per_us);
/* Name of a management action (enum mgmt_action, trace kind mgmt field a):
 * "create", "start", ...; NULL if unknown. */
const char *trace_mgmt_action_name(uint64_t action);
/* Name of VM id (1-based) from the header, or NULL. */
const char *trace_meta_vm_name(const struct trace_meta *m, uint64_t vm_id);

/* trace.jsonl lines (trace_jsonl.c); each ends with a newline. */
void trace_jsonl_header(FILE *f, const struct trace_meta *m);
void trace_jsonl_event(FILE *f, const struct trace_meta *m, uint64_t seq,
                       const struct hv_trace_rec *r);

/* trace.perfetto.json (trace_perfetto.c). */
struct trace_perfetto;
struct trace_perfetto *trace_perfetto_open(FILE *f, const struct trace_meta *m);
void trace_perfetto_event(struct trace_perfetto *p,
                          const struct hv_trace_rec *r);
/* Closes open spans, writes the track names and the closing brackets;
 * frees p (not f). Returns 0, or -1 on allocation failure earlier. */
int trace_perfetto_close(struct trace_perfetto *p);

#endif /* SIM_TRACE_FILE_H */
