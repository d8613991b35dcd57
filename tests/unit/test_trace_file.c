/*
 * test_trace_file.c — the trace outputs (sim/trace/trace_file.c, trace_jsonl.c,
 * trace_perfetto.c) and SHA-256 (sim/trace/sha256.c): FIPS 180-4 test vectors,
 * write/read round trip, byte-identical rewrites, JSONL and Perfetto shape,
 * digest stability and sensitivity, rejection of foreign or cut files.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/hvgdk.h"
#include "sim/trace/sha256.h"
#include "sim/trace/trace_file.h"

#define NRECS 9

static void meta_fill(struct trace_meta *m) {
  memset(m, 0, sizeof *m);
  m->seed = 42;
  sha256_buf("scenario", 8, m->scenario_sha256);
  snprintf(m->scenario_path, sizeof m->scenario_path, "scenarios/x.yaml");
  snprintf(m->build_id, sizeof m->build_id, "abc123-test");
  snprintf(m->options, sizeof m->options, "--until 10ms");
  m->cycles_per_us = 2000;
  m->lps = 2;
  m->nvms = 2;
  snprintf(m->vm_names[0], sizeof m->vm_names[0], "web");
  snprintf(m->vm_names[1], sizeof m->vm_names[1], "db\"q");
}

static void recs_fill(struct hv_trace_rec r[NRECS]) {
  uint16_t N = HV_TRACE_NONE;
  struct hv_trace_rec t[NRECS] = {
      {0, HV_TR_VM_STATE, N, N, 1, 1, 0, 1},
      {100, HV_TR_VM_BIND, 0, 0, 1, 1, 2, 0},
      {200, HV_TR_VP_ENTRY, 0, 0, 2, 5000, 0, 0},
      {246912, HV_TR_HYPERCALL, 0, 0, 2, HVCALL_CREATE_PARTITION,
       HV_STATUS_ACCESS_DENIED, 77},
      {300000, HV_TR_VP_EXIT, 0, 0, 2, HV_EXIT_HLT, 0, 0x1000},
      {300100, HV_TR_SCHED, 0, N, N, 0, 0, 0},
      {300200, HV_TR_VP_ENTRY, 1, 0, 1, 9000, 0, 0},
      {400000, HV_TR_MGMT, N, N, 1, 1, 0, 1},
      {500000, HV_TR_IRQ_PHYS, 1, N, N, 0x30, 0, 0}, /* span on LP 1 open */
  };
  memcpy(r, t, sizeof t);
}

static char *tmpdir_make(void) {
  char *d = strdup("/tmp/test_trace_file.XXXXXX");
  cr_assert_not_null(mkdtemp(d));
  return d;
}

static void trace_write(const char *dir, const struct trace_meta *m,
                        const struct hv_trace_rec *r, size_t n) {
  char err[256] = "";
  struct trace_writer *w = trace_writer_open(dir, m, err, sizeof err);
  cr_assert_not_null(w, "open: %s", err);
  for (size_t i = 0; i < n; i++)
    trace_writer_rec(w, &r[i]);
  cr_assert_eq(trace_writer_close(w), 0);
}

static char *file_slurp(const char *dir, const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)sz + 1);
  cr_assert_eq(fread(buf, 1, (size_t)sz, f), (size_t)sz);
  buf[sz] = '\0';
  fclose(f);
  *len = (size_t)sz;
  return buf;
}

static void file_put(const char *dir, const char *name, const void *data,
                     size_t len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(data, 1, len, f), len);
  fclose(f);
}

static void hex_of(const char *s, size_t len, char hex[65]) {
  uint8_t d[32];
  sha256_buf(s, len, d);
  sha256_hex(d, hex);
}

Test(sha256, fips_vectors) {
  char hex[65];
  hex_of("", 0, hex);
  cr_assert_str_eq(
      hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  hex_of("abc", 3, hex);
  cr_assert_str_eq(
      hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  hex_of(m448, strlen(m448), hex);
  cr_assert_str_eq(
      hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  /* one million 'a', fed in uneven pieces through the streaming API */
  struct sha256_ctx c;
  char chunk[997];
  memset(chunk, 'a', sizeof chunk);
  sha256_init(&c);
  size_t left = 1000000;
  while (left) {
    size_t n = left < sizeof chunk ? left : sizeof chunk;
    sha256_update(&c, chunk, n);
    left -= n;
  }
  uint8_t d[32];
  sha256_final(&c, d);
  sha256_hex(d, hex);
  cr_assert_str_eq(
      hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(trace_file, round_trip_header_and_records) {
  struct trace_meta m, got;
  struct hv_trace_rec r[NRECS], *back;
  size_t n;
  char err[256], path[512];
  char *dir = tmpdir_make();
  meta_fill(&m);
  recs_fill(r);
  snprintf(path, sizeof path, "%s/sub/dir", dir);
  trace_write(path, &m, r, NRECS); /* creates missing components */
  snprintf(path, sizeof path, "%s/sub/dir/trace.bin", dir);
  cr_assert_eq(trace_read(path, &got, &back, &n, err, sizeof err), 0, "%s",
               err);
  cr_assert_eq(n, NRECS);
  cr_assert_eq(got.seed, 42);
  cr_assert_eq(got.cycles_per_us, 2000);
  cr_assert_eq(got.lps, 2);
  cr_assert_eq(got.nvms, 2);
  cr_assert_str_eq(got.build_id, "abc123-test");
  cr_assert_str_eq(got.options, "--until 10ms");
  cr_assert_str_eq(got.scenario_path, "scenarios/x.yaml");
  cr_assert_str_eq(got.vm_names[0], "web");
  cr_assert_eq(memcmp(got.scenario_sha256, m.scenario_sha256, 32), 0);
  cr_assert_eq(memcmp(back, r, sizeof r), 0);
  size_t len;
  char *bin = file_slurp(dir, "sub/dir/trace.bin", &len);
  cr_assert_eq(len, TRACE_HDR_FIXED + 2 * TRACE_VM_NAME_LEN + NRECS * 40);
  cr_assert_eq(memcmp(bin, "HVTRACE\0", 8), 0);
  free(bin);
  free(back);
  free(dir);
}

Test(trace_file, second_write_byte_identical) {
  struct trace_meta m, m2;
  struct hv_trace_rec r[NRECS];
  char *d1 = tmpdir_make(), *d2 = tmpdir_make();
  meta_fill(&m);
  /* stale bytes after the strings' NULs must not reach the file */
  memset(&m2, 0xA5, sizeof m2);
  memcpy(&m2, &m, offsetof(struct trace_meta, scenario_path));
  snprintf(m2.scenario_path, sizeof m2.scenario_path, "%s", m.scenario_path);
  snprintf(m2.build_id, sizeof m2.build_id, "%s", m.build_id);
  snprintf(m2.options, sizeof m2.options, "%s", m.options);
  m2.cycles_per_us = m.cycles_per_us;
  m2.lps = m.lps;
  m2.nvms = m.nvms;
  for (int i = 0; i < 2; i++)
    snprintf(m2.vm_names[i], sizeof m2.vm_names[i], "%s", m.vm_names[i]);
  recs_fill(r);
  trace_write(d1, &m, r, NRECS);
  trace_write(d2, &m2, r, NRECS);
  const char *names[] = {"trace.bin", "trace.jsonl", "trace.perfetto.json"};
  for (int i = 0; i < 3; i++) {
    size_t l1, l2;
    char *a = file_slurp(d1, names[i], &l1), *b = file_slurp(d2, names[i], &l2);
    cr_assert_eq(l1, l2, "%s length", names[i]);
    cr_assert_eq(memcmp(a, b, l1), 0, "%s bytes", names[i]);
    free(a);
    free(b);
  }
  free(d1);
  free(d2);
}

Test(trace_file, jsonl_lines) {
  struct trace_meta m;
  struct hv_trace_rec r[NRECS];
  char *dir = tmpdir_make();
  meta_fill(&m);
  recs_fill(r);
  trace_write(dir, &m, r, NRECS);
  size_t len;
  char *text = file_slurp(dir, "trace.jsonl", &len);
  char *lines[NRECS + 2] = {0};
  int nl = 0;
  for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
       l = strtok_r(NULL, "\n", &save)) {
    cr_assert_lt(nl, NRECS + 1);
    lines[nl++] = l;
    cr_assert_eq(l[0], '{');
    cr_assert_eq(l[strlen(l) - 1], '}');
  }
  cr_assert_eq(nl, NRECS + 1);
  cr_assert(strstr(lines[0], "{\"type\":\"header\"") == lines[0]);
  cr_assert(strstr(lines[0], "\"seed\":42"));
  cr_assert(strstr(lines[0], "\"vms\":[\"web\",\"db\\\"q\"]"), "%s", lines[0]);
  const char *hc = lines[1 + 3];
  cr_assert(strstr(hc, "{\"seq\":3,\"t\":246912,\"us\":123.456,") == hc, "%s",
            hc);
  cr_assert(strstr(hc, "\"kind\":\"hypercall\",\"lp\":0,\"partition\":2,"
                       "\"vp\":0"),
            "%s", hc);
  cr_assert(strstr(hc, "\"call\":\"HvCallCreatePartition\",\"code\":64,"
                       "\"fast\":false,\"rep_count\":0"),
            "%s", hc);
  cr_assert(strstr(hc, "\"status\":\"ACCESS_DENIED\""), "%s", hc);
  cr_assert(strstr(hc, "\"cycles\":77"), "%s", hc);
  cr_assert(strstr(lines[1 + 0], "\"lp\":null,\"partition\":1,\"vp\":null"));
  cr_assert(strstr(lines[1 + 0], "\"vm\":\"web\",\"from\":\"Off\","
                                 "\"to\":\"Starting\""),
            "%s", lines[1]);
  cr_assert(strstr(lines[1 + 4], "\"reason\":\"hlt\""), "%s", lines[5]);
  cr_assert(strstr(lines[1 + 7], "\"action\":\"create\",\"status\":\"ok\""),
            "%s", lines[8]);
  free(text);
  free(dir);
}

/* Bracket balance outside strings: the text is one well-formed object. */
static void json_shape_check(const char *s) {
  int depth = 0, in_str = 0, closed_at_end = 0;
  for (const char *p = s; *p; p++) {
    if (in_str) {
      if (*p == '\\')
        p++;
      else if (*p == '"')
        in_str = 0;
      continue;
    }
    if (*p == '"')
      in_str = 1;
    else if (*p == '{' || *p == '[')
      depth++;
    else if (*p == '}' || *p == ']') {
      depth--;
      cr_assert_geq(depth, 0);
      if (depth == 0)
        closed_at_end = p[1] == '\n' && p[2] == '\0';
    }
  }
  cr_assert_eq(in_str, 0);
  cr_assert_eq(depth, 0);
  cr_assert(closed_at_end, "text after the top-level object");
}

Test(trace_file, perfetto_valid_json) {
  struct trace_meta m;
  struct hv_trace_rec r[NRECS];
  char *dir = tmpdir_make();
  meta_fill(&m);
  recs_fill(r);
  trace_write(dir, &m, r, NRECS);
  size_t len;
  char *s = file_slurp(dir, "trace.perfetto.json", &len);
  cr_assert(strncmp(s, "{\"traceEvents\":[", 16) == 0);
  json_shape_check(s);
  cr_assert(strstr(s, "\"displayTimeUnit\":\"ns\""));
  /* span of partition 2 (bound to VM "web") on LP 0: 200 .. 300100 */
  cr_assert(strstr(s, "{\"ph\":\"X\",\"pid\":1,\"tid\":2,\"ts\":0.100,"
                      "\"name\":\"web vp0\",\"cat\":\"vp\",\"dur\":149.950"),
            "%s", s);
  cr_assert(strstr(s, "\"truncated\":true")); /* LP 1 still running */
  cr_assert(
      strstr(s, "\"name\":\"process_name\",\"args\":{\"name\":\"root\"}"));
  cr_assert(strstr(s, "\"name\":\"thread_name\",\"args\":{\"name\":\"LP 1\"}"));
  free(s);
  /* an empty run is valid JSON too */
  trace_write(dir, &m, r, 0);
  s = file_slurp(dir, "trace.perfetto.json", &len);
  json_shape_check(s);
  free(s);
  free(dir);
}

static void digest_of(const struct hv_trace_rec *r, size_t n, char hex[65]) {
  struct trace_digest d;
  trace_digest_init(&d);
  for (size_t i = 0; i < n; i++)
    trace_digest_update(&d, &r[i]);
  trace_digest_final(&d, hex);
  cr_assert_eq(d.events, n);
}

Test(trace_file, digest_stable_and_sensitive) {
  enum { MANY = 1234 }; /* spans several 4000-byte batches */
  struct hv_trace_rec *r = calloc(MANY, sizeof *r);
  for (size_t i = 0; i < MANY; i++)
    r[i] = (struct hv_trace_rec){i * 10, HV_TR_GUEST, 0, 0, 2, i, i * i, 7};
  char h1[65], h2[65], h3[65];
  digest_of(r, MANY, h1);
  digest_of(r, MANY, h2);
  cr_assert_str_eq(h1, h2);
  /* the digest is SHA-256 over the 40-byte little-endian records */
  uint8_t *enc = malloc(MANY * 40);
  for (size_t i = 0; i < MANY; i++)
    trace_rec_encode(&r[i], enc + i * 40);
  uint8_t d[32];
  sha256_buf(enc, MANY * 40, d);
  sha256_hex(d, h3);
  cr_assert_str_eq(h1, h3);
  r[777].c ^= 0x100; /* one byte of one record */
  digest_of(r, MANY, h2);
  cr_assert_str_neq(h1, h2);
  digest_of(r, 0, h3);
  cr_assert_str_eq(
      h3, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  free(enc);
  free(r);
}

Test(trace_file, read_rejects_bad_files) {
  struct trace_meta m, got;
  struct hv_trace_rec r[NRECS], *back;
  size_t n, len;
  char err[512], path[512];
  char *dir = tmpdir_make();
  meta_fill(&m);
  recs_fill(r);
  trace_write(dir, &m, r, NRECS);
  char *bin = file_slurp(dir, "trace.bin", &len);
  snprintf(path, sizeof path, "%s/cut.bin", dir);

  file_put(dir, "cut.bin", bin, 100); /* truncated header */
  cr_assert_eq(trace_read(path, &got, &back, &n, err, sizeof err), -1);
  cr_assert(strstr(err, "truncated header"), "%s", err);

  file_put(dir, "cut.bin", bin, 1170); /* cut inside the VM names */
  cr_assert_eq(trace_read(path, &got, &back, &n, err, sizeof err), -1);
  cr_assert(strstr(err, "truncated header"), "%s", err);

  bin[0] = 'X'; /* foreign file */
  file_put(dir, "cut.bin", bin, len);
  cr_assert_eq(trace_read(path, &got, &back, &n, err, sizeof err), -1);
  cr_assert(strstr(err, "bad magic"), "%s", err);
  bin[0] = 'H';

  bin[8] = 99; /* future version */
  file_put(dir, "cut.bin", bin, len);
  cr_assert_eq(trace_read(path, &got, &back, &n, err, sizeof err), -1);
  cr_assert(strstr(err, "version 99"), "%s", err);
  bin[8] = HV_TRACE_VERSION;

  /* an abrupt end leaves the whole records before it readable */
  file_put(dir, "cut.bin", bin, len - 17);
  cr_assert_eq(trace_read(path, &got, &back, &n, err, sizeof err), 0, "%s",
               err);
  cr_assert_eq(n, NRECS - 1);
  cr_assert_eq(memcmp(back, r, (NRECS - 1) * sizeof *r), 0);
  free(back);

  snprintf(path, sizeof path, "%s/missing.bin", dir);
  cr_assert_eq(trace_read(path, &got, &back, &n, err, sizeof err), -1);
  cr_assert(strstr(err, "missing.bin"), "%s", err);
  free(bin);
  free(dir);
}
