/*
 * trace_console.c — console-<vm>.log files from `serial` trace records
 * (see trace_console.h). Host code of the simulator.
 */
#include "trace_console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct trace_console {
  char dir[4096];
  const struct trace_meta *meta;
  FILE *logs[TRACE_MAX_VMS + 1]; /* by VM id, opened at the first byte */
  bool failed;
};

struct trace_console *trace_console_open(const char *dir, const struct trace_meta *m) {
  struct trace_console *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  snprintf(c->dir, sizeof c->dir, "%s", dir);
  c->meta = m;
  return c;
}

void trace_console_rec(struct trace_console *c, const struct hv_trace_rec *r) {
  if (!c || r->kind != HV_TR_SERIAL || r->a == 0 || r->a > TRACE_MAX_VMS)
    return;
  FILE **f = &c->logs[r->a];
  if (!*f && !c->failed) {
    char path[4200], id[24];
    const char *name = trace_meta_vm_name(c->meta, r->a);
    if (!name) {
      snprintf(id, sizeof id, "%llu", (unsigned long long)r->a);
      name = id;
    }
    snprintf(path, sizeof path, "%s/console-%s.log", c->dir, name);
    *f = fopen(path, "wb");
    c->failed = !*f;
  }
  if (*f && fputc((int)(r->b & 0xFF), *f) == EOF)
    c->failed = true;
}

int trace_console_close(struct trace_console *c) {
  if (!c)
    return 0;
  int rc = c->failed ? -1 : 0;
  for (uint32_t i = 0; i <= TRACE_MAX_VMS; i++)
    if (c->logs[i] && fclose(c->logs[i]) != 0)
      rc = -1;
  free(c);
  return rc;
}
