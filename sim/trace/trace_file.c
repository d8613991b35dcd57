/*
 * trace_file.c — trace.bin writing and reading, the event-sequence digest,
 * and the writer that fans each record out to trace.bin, trace.jsonl and
 * trace.perfetto.json (see trace_file.h for the formats).
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "trace_file.h"
#include "trace_console.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hvsim/mgmt.h"
#include "sim/scenario/scenario.h"

#ifndef HVSIM_BUILD_ID
#define HVSIM_BUILD_ID "unknown"
#endif

#define TRACE_STDIO_BUF (1u << 20)

struct trace_writer {
  struct trace_meta meta;
  FILE *bin, *jsonl, *perf;
  char *bufs[3]; /* stdio buffers, so records cost no system call */
  struct trace_perfetto *perfetto;
  struct trace_console *console; /* console-<vm>.log from `serial` records */
  uint64_t seq;
};

static void trace_errf(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static void trace_put_le(uint8_t *p, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t trace_get_le(const uint8_t *p, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

void trace_rec_encode(const struct hv_trace_rec *r,
                      uint8_t out[TRACE_REC_SIZE]) {
  trace_put_le(out + 0, r->time, 8);
  trace_put_le(out + 8, r->kind, 2);
  trace_put_le(out + 10, r->lp, 2);
  trace_put_le(out + 12, r->vp, 2);
  trace_put_le(out + 14, r->partition, 2);
  trace_put_le(out + 16, r->a, 8);
  trace_put_le(out + 24, r->b, 8);
  trace_put_le(out + 32, r->c, 8);
}

void trace_rec_decode(const uint8_t in[TRACE_REC_SIZE],
                      struct hv_trace_rec *r) {
  r->time = trace_get_le(in + 0, 8);
  r->kind = (uint16_t)trace_get_le(in + 8, 2);
  r->lp = (uint16_t)trace_get_le(in + 10, 2);
  r->vp = (uint16_t)trace_get_le(in + 12, 2);
  r->partition = (uint16_t)trace_get_le(in + 14, 2);
  r->a = trace_get_le(in + 16, 8);
  r->b = trace_get_le(in + 24, 8);
  r->c = trace_get_le(in + 32, 8);
}

/* Copies a string field into a zero-filled fixed-size slot, always leaving
 * a terminating NUL, so the header bytes never depend on stale memory. */
static void trace_put_str(uint8_t *p, const char *s, size_t slot) {
  memset(p, 0, slot);
  size_t n = strnlen(s, slot - 1);
  memcpy(p, s, n);
}

static void trace_get_str(char *dst, const uint8_t *p, size_t slot) {
  memcpy(dst, p, slot);
  dst[slot - 1] = '\0';
}

const char *trace_mgmt_action_name(uint64_t action) {
  static const char *const names[] = {
      [MGMT_CREATE] = "create", [MGMT_START] = "start",
      [MGMT_STOP] = "stop",     [MGMT_PAUSE] = "pause",
      [MGMT_RESUME] = "resume", [MGMT_DELETE] = "delete",
      [MGMT_CONNECT] = "connect", [MGMT_ROUTE] = "route",
      [MGMT_ASSIGN] = "assign", [MGMT_UNASSIGN] = "unassign", [MGMT_SHUTDOWN] = "shutdown",
  };
  return action < sizeof names / sizeof names[0] ? names[action] : NULL;
}

const char *trace_meta_vm_name(const struct trace_meta *m, uint64_t vm_id) {
  if (vm_id == 0 || vm_id > m->nvms || vm_id > TRACE_MAX_VMS)
    return NULL;
  const char *s = m->vm_names[vm_id - 1];
  return s[0] ? s : NULL;
}

/* Serialises the trace.bin header into hdr (TRACE_HDR_FIXED + 32*nvms). */
static size_t trace_header_encode(const struct trace_meta *m, uint8_t *hdr) {
  uint32_t nvms = m->nvms > TRACE_MAX_VMS ? TRACE_MAX_VMS : m->nvms;
  size_t size = TRACE_HDR_FIXED + (size_t)nvms * TRACE_VM_NAME_LEN;
  memset(hdr, 0, size);
  memcpy(hdr, TRACE_MAGIC, 8);
  trace_put_le(hdr + 8, HV_TRACE_VERSION, 4);
  trace_put_le(hdr + 12, size, 4);
  trace_put_le(hdr + 16, TRACE_REC_SIZE, 4);
  trace_put_le(hdr + 24, m->seed, 8);
  memcpy(hdr + 32, m->scenario_sha256, 32);
  trace_put_le(hdr + 64, m->cycles_per_us, 8);
  trace_put_le(hdr + 72, m->lps, 4);
  trace_put_le(hdr + 76, nvms, 4);
  trace_put_str(hdr + 80, m->build_id, 64);
  trace_put_str(hdr + 144, m->options, 512);
  trace_put_str(hdr + 656, m->scenario_path, 512);
  for (uint32_t i = 0; i < nvms; i++)
    trace_put_str(hdr + TRACE_HDR_FIXED + i * TRACE_VM_NAME_LEN, m->vm_names[i],
                  TRACE_VM_NAME_LEN);
  return size;
}

/* mkdir -p: creates every missing component of dir. */
static int trace_mkdirs(const char *dir, char *err, size_t errlen) {
  char path[4096];
  size_t len = strlen(dir);
  if (len == 0 || len >= sizeof path) {
    trace_errf(err, errlen, "trace directory name empty or too long");
    return -1;
  }
  memcpy(path, dir, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (path[i] != '/' && path[i] != '\0')
      continue;
    char saved = path[i];
    path[i] = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
      trace_errf(err, errlen, "%s: cannot create directory: %s", path,
                 strerror(errno));
      return -1;
    }
    path[i] = saved;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    trace_errf(err, errlen, "%s: not a directory", dir);
    return -1;
  }
  return 0;
}

static FILE *trace_open_out(const char *dir, const char *name, char **buf,
                            char *err, size_t errlen) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    trace_errf(err, errlen, "%s: cannot open for writing: %s", path,
               strerror(errno));
    return NULL;
  }
  *buf = malloc(TRACE_STDIO_BUF);
  if (*buf)
    setvbuf(f, *buf, _IOFBF, TRACE_STDIO_BUF);
  return f;
}

static void trace_writer_free(struct trace_writer *w) {
  FILE *files[3] = {w->bin, w->jsonl, w->perf};
  for (int i = 0; i < 3; i++) {
    if (files[i])
      fclose(files[i]);
    free(w->bufs[i]);
  }
  free(w);
}

struct trace_writer *trace_writer_open(const char *dir,
                                       const struct trace_meta *m, char *err,
                                       size_t errlen) {
  if (trace_mkdirs(dir, err, errlen) != 0)
    return NULL;
  struct trace_writer *w = calloc(1, sizeof *w);
  if (!w) {
    trace_errf(err, errlen, "out of memory");
    return NULL;
  }
  w->meta = *m;
  if (w->meta.nvms > TRACE_MAX_VMS)
    w->meta.nvms = TRACE_MAX_VMS;
  w->bin = trace_open_out(dir, "trace.bin", &w->bufs[0], err, errlen);
  if (w->bin)
    w->jsonl = trace_open_out(dir, "trace.jsonl", &w->bufs[1], err, errlen);
  if (w->jsonl)
    w->perf =
        trace_open_out(dir, "trace.perfetto.json", &w->bufs[2], err, errlen);
  if (w->perf)
    w->perfetto = trace_perfetto_open(w->perf, &w->meta);
  if (!w->perfetto) {
    if (w->perf)
      trace_errf(err, errlen, "out of memory");
    trace_writer_free(w);
    return NULL;
  }
  uint8_t *h = malloc(TRACE_HDR_FIXED + TRACE_MAX_VMS * TRACE_VM_NAME_LEN);
  if (!h) {
    trace_errf(err, errlen, "out of memory");
    trace_perfetto_close(w->perfetto);
    trace_writer_free(w);
    return NULL;
  }
  size_t hlen = trace_header_encode(&w->meta, h);
  fwrite(h, 1, hlen, w->bin);
  free(h);
  trace_jsonl_header(w->jsonl, &w->meta);
  w->console = trace_console_open(dir, &w->meta);
  return w;
}

void trace_writer_rec(struct trace_writer *w, const struct hv_trace_rec *r) {
  uint8_t enc[TRACE_REC_SIZE];
  trace_rec_encode(r, enc);
  fwrite(enc, 1, sizeof enc, w->bin);
  trace_jsonl_event(w->jsonl, &w->meta, w->seq, r);
  trace_perfetto_event(w->perfetto, r);
  trace_console_rec(w->console, r);
  w->seq++;
}

int trace_writer_close(struct trace_writer *w) {
  if (!w)
    return -1;
  int rc = trace_perfetto_close(w->perfetto);
  if (trace_console_close(w->console) != 0)
    rc = -1;
  FILE *files[3] = {w->bin, w->jsonl, w->perf};
  for (int i = 0; i < 3; i++) {
    if (fflush(files[i]) != 0 || ferror(files[i]))
      rc = -1;
    if (fclose(files[i]) != 0)
      rc = -1;
    free(w->bufs[i]);
  }
  free(w);
  return rc;
}

void trace_digest_init(struct trace_digest *d) {
  sha256_init(&d->sha);
  d->events = 0;
  d->len = 0;
}

void trace_digest_update(struct trace_digest *d, const struct hv_trace_rec *r) {
  trace_rec_encode(r, d->buf + d->len);
  d->len += TRACE_REC_SIZE;
  d->events++;
  if (d->len == TRACE_DIGEST_BATCH) {
    sha256_update(&d->sha, d->buf, d->len);
    d->len = 0;
  }
}

void trace_digest_final(struct trace_digest *d, char hex[65]) {
  uint8_t out[SHA256_DIGEST_LEN];
  sha256_update(&d->sha, d->buf, d->len);
  d->len = 0;
  sha256_final(&d->sha, out);
  sha256_hex(out, hex);
}

/* Validates and decodes the header at the start of a file of fsize bytes. */
static int trace_header_decode(const uint8_t *h, size_t fsize,
                               struct trace_meta *m, size_t *hsize, char *err,
                               size_t errlen) {
  if (fsize < 8 || memcmp(h, TRACE_MAGIC, 8) != 0) {
    trace_errf(err, errlen, "not an hvsim trace (bad magic)");
    return -1;
  }
  if (fsize < TRACE_HDR_FIXED) {
    trace_errf(err, errlen, "truncated header (%zu of %u bytes)", fsize,
               TRACE_HDR_FIXED);
    return -1;
  }
  uint32_t version = (uint32_t)trace_get_le(h + 8, 4);
  uint32_t size = (uint32_t)trace_get_le(h + 12, 4);
  uint32_t recsize = (uint32_t)trace_get_le(h + 16, 4);
  uint32_t nvms = (uint32_t)trace_get_le(h + 76, 4);
  if (version != HV_TRACE_VERSION) {
    trace_errf(err, errlen, "trace format version %u, this build reads %u",
               version, HV_TRACE_VERSION);
    return -1;
  }
  if (recsize != TRACE_REC_SIZE) {
    trace_errf(err, errlen, "record size %u, expected %u", recsize,
               TRACE_REC_SIZE);
    return -1;
  }
  if (nvms > TRACE_MAX_VMS ||
      size != TRACE_HDR_FIXED + nvms * TRACE_VM_NAME_LEN) {
    trace_errf(err, errlen, "corrupt header (size %u, %u VMs)", size, nvms);
    return -1;
  }
  if (fsize < size) {
    trace_errf(err, errlen, "truncated header (%zu of %u bytes)", fsize, size);
    return -1;
  }
  memset(m, 0, sizeof *m);
  m->seed = trace_get_le(h + 24, 8);
  memcpy(m->scenario_sha256, h + 32, 32);
  m->cycles_per_us = trace_get_le(h + 64, 8);
  m->lps = (uint32_t)trace_get_le(h + 72, 4);
  m->nvms = nvms;
  trace_get_str(m->build_id, h + 80, 64);
  trace_get_str(m->options, h + 144, 512);
  trace_get_str(m->scenario_path, h + 656, 512);
  for (uint32_t i = 0; i < nvms; i++)
    trace_get_str(m->vm_names[i], h + TRACE_HDR_FIXED + i * TRACE_VM_NAME_LEN,
                  TRACE_VM_NAME_LEN);
  *hsize = size;
  return 0;
}

static int trace_slurp(const char *path, uint8_t **data, size_t *size,
                       char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    trace_errf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  size_t cap = 1u << 16, len = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    if (len == cap) {
      uint8_t *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0)
      break;
  }
  int bad = ferror(f);
  fclose(f);
  if (!buf || bad) {
    free(buf);
    trace_errf(err, errlen, "%s: %s", path,
               bad ? "read error" : "out of memory");
    return -1;
  }
  *data = buf;
  *size = len;
  return 0;
}

int trace_read(const char *path_bin, struct trace_meta *m,
               struct hv_trace_rec **recs, size_t *n, char *err,
               size_t errlen) {
  uint8_t *data;
  size_t fsize, hsize;
  *recs = NULL;
  *n = 0;
  if (trace_slurp(path_bin, &data, &fsize, err, errlen) != 0)
    return -1;
  char why[256];
  if (trace_header_decode(data, fsize, m, &hsize, why, sizeof why) != 0) {
    trace_errf(err, errlen, "%s: %s", path_bin, why);
    free(data);
    return -1;
  }
  size_t count = (fsize - hsize) / TRACE_REC_SIZE;
  if (count > 0) {
    *recs = malloc(count * sizeof **recs);
    if (!*recs) {
      trace_errf(err, errlen, "%s: out of memory", path_bin);
      free(data);
      return -1;
    }
  }
  for (size_t i = 0; i < count; i++)
    trace_rec_decode(data + hsize + i * TRACE_REC_SIZE, &(*recs)[i]);
  *n = count;
  free(data);
  return 0;
}

void trace_json_str(FILE *f, const char *s) {
  static const char hex[] = "0123456789abcdef";
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      fputc('\\', f);
      fputc(*p, f);
    } else if (*p == '\n') {
      fputs("\\n", f);
    } else if (*p == '\t') {
      fputs("\\t", f);
    } else if (*p < 0x20 || *p >= 0x7f) {
      /* Control and non-ASCII bytes as \u00XX: the output is always valid
       * JSON whatever bytes a scenario file name or VM name holds. */
      fprintf(f, "\\u00%c%c", hex[*p >> 4], hex[*p & 0xF]);
    } else {
      fputc(*p, f);
    }
  }
  fputc('"', f);
}

void trace_json_us(FILE *f, uint64_t cycles, uint64_t cycles_per_us) {
  if (cycles_per_us == 0)
    cycles_per_us = 1;
  uint64_t whole = cycles / cycles_per_us;
  uint64_t rem = cycles % cycles_per_us;
  /* rem * 1000 overflows only for absurd clock rates; fall back to 128-bit
   * free arithmetic by scaling the divisor down first. */
  uint64_t frac = rem <= UINT64_MAX / 1000 ? rem * 1000 / cycles_per_us
                                           : rem / (cycles_per_us / 1000);
  fprintf(f, "%llu.%03llu", (unsigned long long)whole,
          (unsigned long long)frac);
}

int trace_meta_init(struct trace_meta *m, const struct scenario *scn, uint64_t seed, const char *options) {
  memset(m, 0, sizeof *m);
  m->seed = seed;
  if (sha256_file(scn->path, m->scenario_sha256) != 0)
    return -1;
  snprintf(m->scenario_path, sizeof m->scenario_path, "%s", scn->path);
  snprintf(m->build_id, sizeof m->build_id, "%s", HVSIM_BUILD_ID);
  snprintf(m->options, sizeof m->options, "%s", options);
  m->cycles_per_us = scn->machine.cpu_mhz;
  m->lps = scn->machine.lps;
  m->nvms = scn->npartitions;
  for (uint32_t i = 0; i < scn->npartitions && i < TRACE_MAX_VMS; i++)
    snprintf(m->vm_names[i], sizeof m->vm_names[i], "%s", scn->partitions[i].name);
  return 0;
}
