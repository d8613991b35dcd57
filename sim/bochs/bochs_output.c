/*
 * bochs_output.c — the image's debug-port output (hvsim/debug_port.h)
 * turned back into what a run left: trace records, every VP's counters,
 * figures and how it ended. Judging them is the verdict's job
 * (sim/verdict), the same at every level.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bochs_int.h"
#include "hvsim/debug_port.h"
#include "sim/trace/trace_file.h"

static int out_hex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

static int out_record(struct bochs_output *o, const char *hex) {
  uint8_t b[TRACE_REC_SIZE];
  for (unsigned i = 0; i < TRACE_REC_SIZE; i++) {
    int hi = out_hex(hex[2 * i]), lo = out_hex(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return -1;
    b[i] = (uint8_t)(hi << 4 | lo);
  }
  if (o->nrecs == o->cap) {
    size_t cap = o->cap ? o->cap * 2 : 1024;
    struct hv_trace_rec *r = realloc(o->recs, cap * sizeof *r);
    if (!r)
      return -1;
    o->recs = r;
    o->cap = cap;
  }
  trace_rec_decode(b, &o->recs[o->nrecs++]);
  return 0;
}

static void out_figures(struct bochs_output *o, const char *line) {
  size_t used = strlen(o->figures);
  snprintf(o->figures + used, sizeof o->figures - used, "%s%s", used ? " " : "", line);
  const char *p;
  if ((p = strstr(line, "first_entry_tsc=")))
    o->first_entry = strtoull(p + 16, 0, 10);
  if ((p = strstr(line, "end_tsc=")))
    o->end_tsc = strtoull(p + 8, 0, 10);
  if ((p = strstr(line, "hv_init_done_tsc=")))
    o->hv_init_done = strtoull(p + 17, 0, 10);
  if ((p = strstr(line, "hypercall_exits=")))
    o->hc_exits = strtoull(p + 16, 0, 10);
  if ((p = strstr(line, "hypercall_hv_cycles=")))
    o->hc_hv_cycles = strtoull(p + 20, 0, 10);
}

static int out_stats(struct bochs_output *o, const char *line) {
  struct verdict_vp v;
  unsigned long long pid, guest, hv, ex, exits, hc, disp;
  unsigned vp;
  if (sscanf(line, "pid=%llu vp=%u guest=%llu hv=%llu exit=%llu exits=%llu hypercalls=%llu "
                   "dispatches=%llu",
             &pid, &vp, &guest, &hv, &ex, &exits, &hc, &disp) != 8)
    return -1;
  v = (struct verdict_vp){pid, vp, 0, guest, hv, ex, exits, hc, disp};
  if (o->nvps == o->vps_cap) {
    size_t cap = o->vps_cap ? o->vps_cap * 2 : 64;
    struct verdict_vp *n = realloc(o->vps, cap * sizeof *n);
    if (!n)
      return -1;
    o->vps = n;
    o->vps_cap = cap;
  }
  o->vps[o->nvps++] = v;
  return 0;
}

struct out_seq {
  struct hv_trace_rec rec;
  size_t seq;
};

static int out_seq_cmp(const void *a, const void *b) {
  const struct out_seq *x = a, *y = b;
  if (x->rec.time != y->rec.time)
    return x->rec.time < y->rec.time ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The image streams records in the order its LPs' turns ran; each LP has
 * its own clock (platform/bare/main.c), so the stream is time-ordered per
 * LP only. Merged here by time, equal times in stream order, as the
 * simulator's engine orders its LPs' records. */
static int out_sort(struct bochs_output *o) {
  struct out_seq *t = malloc((o->nrecs + 1) * sizeof *t);
  if (!t)
    return -1;
  for (size_t i = 0; i < o->nrecs; i++)
    t[i] = (struct out_seq){o->recs[i], i};
  qsort(t, o->nrecs, sizeof *t, out_seq_cmp);
  for (size_t i = 0; i < o->nrecs; i++)
    o->recs[i] = t[i].rec;
  free(t);
  return 0;
}

int bochs_output_parse(const char *path, struct bochs_output *o, char *err, size_t errlen) {
  memset(o, 0, sizeof *o);
  o->end_status = -1;
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot read the image's output", path);
    return -1;
  }
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (strncmp(line, DEBUG_LINE_TRACE, 3) == 0 && strlen(line) >= 3 + 2 * TRACE_REC_SIZE) {
      if (out_record(o, line + 3) != 0) {
        snprintf(err, errlen, "%s: malformed trace line", path);
        fclose(f);
        return -1;
      }
    } else if (strncmp(line, DEBUG_LINE_STATS, 3) == 0) {
      if (out_stats(o, line + 3) != 0) {
        snprintf(err, errlen, "%s: malformed statistics line", path);
        fclose(f);
        return -1;
      }
    } else if (strncmp(line, DEBUG_LINE_FIGURES, 3) == 0) {
      out_figures(o, line + 3);
    } else if (strncmp(line, DEBUG_LINE_END, strlen(DEBUG_LINE_END)) == 0) {
      o->end_status = atoi(line + strlen(DEBUG_LINE_END));
    } else if (!o->panic[0] && (strstr(line, "hvsim: PANIC") || strstr(line, "exception vector") ||
                                strstr(line, "failed"))) {
      snprintf(o->panic, sizeof o->panic, "%.200s", line);
    }
  }
  fclose(f);
  if (out_sort(o) != 0) {
    snprintf(err, errlen, "%s: out of memory", path);
    return -1;
  }
  return 0;
}

void bochs_output_free(struct bochs_output *o) {
  free(o->recs);
  free(o->vps);
  memset(o, 0, sizeof *o);
}
