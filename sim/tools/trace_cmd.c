/*
 * trace_cmd.c — `hvsim trace`: inspect a recorded trace.
 *
 *   hvsim trace digest DIR|FILE           digest <hex> events <N>
 *   hvsim trace dump DIR|FILE [--from N] [--to N]
 *                                         JSON Lines (header, then events
 *                                         N..M inclusive, by sequence number)
 *   hvsim trace info DIR|FILE             the header: inputs of the run
 *
 * DIR is a trace directory (its trace.bin is read); FILE a trace.bin.
 * Exit 0, or 2 on a usage error or an unreadable trace, with one line on
 * stderr naming the problem.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/trace/trace_file.h"

static const char trace_cmd_usage[] =
    "usage: hvsim trace digest DIR|FILE\n"
    "       hvsim trace dump DIR|FILE [--from N] [--to N]\n"
    "       hvsim trace info DIR|FILE\n"
    "DIR is a --trace-dir of `hvsim run` (its trace.bin is read), FILE a\n"
    "trace.bin. digest prints \"digest <sha256> events <N>\": SHA-256 over\n"
    "the event records, the same value `hvsim run` reports. dump prints the\n"
    "header and events N..M (inclusive, by sequence number) as JSON Lines.\n"
    "info prints the run's inputs: seed, scenario hash, build id, options.\n";

/* Reads DIR/trace.bin or FILE; prints the error and returns -1. */
static int trace_cmd_load(const char *arg, struct trace_meta *m,
                          struct hv_trace_rec **recs, size_t *n) {
  char path[4200], err[600];
  struct stat st;
  if (stat(arg, &st) != 0) {
    fprintf(stderr, "hvsim trace: %s: %s\n", arg, strerror(errno));
    return -1;
  }
  if (S_ISDIR(st.st_mode))
    snprintf(path, sizeof path, "%s/trace.bin", arg);
  else
    snprintf(path, sizeof path, "%s", arg);
  if (trace_read(path, m, recs, n, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim trace: %s\n", err);
    return -1;
  }
  return 0;
}

static int trace_cmd_parse_u64(const char *opt, const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || end == s || *end || s[0] == '-') {
    fprintf(stderr, "hvsim trace: %s: not a number: '%s'\n", opt, s);
    return -1;
  }
  *out = v;
  return 0;
}

static int trace_cmd_digest(const char *arg) {
  struct trace_meta *m = malloc(sizeof *m);
  struct hv_trace_rec *recs;
  size_t n;
  if (!m || trace_cmd_load(arg, m, &recs, &n) != 0) {
    free(m);
    return 2;
  }
  struct trace_digest *d = malloc(sizeof *d);
  if (!d) {
    fprintf(stderr, "hvsim trace: out of memory\n");
    free(recs);
    free(m);
    return 2;
  }
  char hex[65];
  trace_digest_init(d);
  for (size_t i = 0; i < n; i++)
    trace_digest_update(d, &recs[i]);
  trace_digest_final(d, hex);
  printf("digest %s events %zu\n", hex, n);
  free(d);
  free(recs);
  free(m);
  return 0;
}

static int trace_cmd_dump(const char *arg, uint64_t from, uint64_t to) {
  struct trace_meta *m = malloc(sizeof *m);
  struct hv_trace_rec *recs;
  size_t n;
  if (!m || trace_cmd_load(arg, m, &recs, &n) != 0) {
    free(m);
    return 2;
  }
  trace_jsonl_header(stdout, m);
  for (uint64_t i = from; i < n && i <= to; i++)
    trace_jsonl_event(stdout, m, i, &recs[i]);
  free(recs);
  free(m);
  return 0;
}

static int trace_cmd_info(const char *arg) {
  struct trace_meta *m = malloc(sizeof *m);
  struct hv_trace_rec *recs;
  size_t n;
  if (!m || trace_cmd_load(arg, m, &recs, &n) != 0) {
    free(m);
    return 2;
  }
  char hex[65];
  sha256_hex(m->scenario_sha256, hex);
  printf("format hvtrace %u\n", HV_TRACE_VERSION);
  printf("scenario %s\n", m->scenario_path);
  printf("scenario_sha256 %s\n", hex);
  printf("seed %" PRIu64 "\n", m->seed);
  printf("build_id %s\n", m->build_id);
  printf("options %s\n", m->options);
  printf("cycles_per_us %" PRIu64 "\n", m->cycles_per_us);
  printf("lps %u\n", m->lps);
  for (uint32_t i = 0; i < m->nvms; i++)
    printf("vm %u %s\n", i + 1, m->vm_names[i]);
  printf("events %zu\n", n);
  free(recs);
  free(m);
  return 0;
}

int trace_cmd_main(int argc, char **argv) {
  if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    fputs(trace_cmd_usage, stdout);
    return 0;
  }
  if (argc < 3) {
    fputs(trace_cmd_usage, stderr);
    return 2;
  }
  const char *sub = argv[1], *arg = argv[2];
  if (!strcmp(sub, "dump")) {
    uint64_t from = 0, to = UINT64_MAX;
    for (int i = 3; i < argc; i++) {
      uint64_t *dst = !strcmp(argv[i], "--from") ? &from
                      : !strcmp(argv[i], "--to") ? &to
                                                 : NULL;
      if (!dst || i + 1 >= argc) {
        fprintf(stderr, "hvsim trace dump: unexpected argument '%s'\n%s",
                argv[i], trace_cmd_usage);
        return 2;
      }
      if (trace_cmd_parse_u64(argv[i], argv[i + 1], dst) != 0)
        return 2;
      i++;
    }
    return trace_cmd_dump(arg, from, to);
  }
  if (argc != 3) {
    fprintf(stderr, "hvsim trace %s: unexpected argument '%s'\n%s", sub,
            argv[3], trace_cmd_usage);
    return 2;
  }
  if (!strcmp(sub, "digest"))
    return trace_cmd_digest(arg);
  if (!strcmp(sub, "info"))
    return trace_cmd_info(arg);
  fprintf(stderr, "hvsim trace: unknown subcommand '%s'\n%s", sub,
          trace_cmd_usage);
  return 2;
}
