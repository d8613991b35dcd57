/*
 * partitions.c — the `machine:` and `partitions:` sections of a scenario
 * (programs and their parameters, disks, payloads).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "hvsim/trace.h"
#include "models/guest/guest.h"
#include "kernel.h"
#include "parse.h"

/* ---- machine, partitions ---------------------------------------------- */

/* Days from 1601-01-01 to y-m-d (proleptic Gregorian), the FILETIME epoch. */
static uint64_t wall_days(uint64_t y, uint64_t m, uint64_t d) {
  static const uint16_t before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  uint64_t py = y - 1601;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return py * 365 + py / 4 - py / 100 + py / 400 + before[m - 1] + (m > 2 && leap) + d - 1;
}

/* 'wall_time: YYYY-MM-DDTHH:MM:SSZ' (UTC, the guest's clock at time 0). */
static int machine_wall_time(struct ctx *c, const struct field *f, uint64_t *filetime) {
  *filetime = wall_days(2025, 1, 1) * 86400ull * 10000000ull;
  if (!f->node)
    return 0;
  char t[32];
  size_t at_path = path_key(c, "wall_time");
  if (node_text(c, f->node, t, sizeof t, "a UTC time YYYY-MM-DDTHH:MM:SSZ"))
    return -1;
  unsigned v[6] = {0};
  static const uint8_t at[6] = {0, 5, 8, 11, 14, 17}, len[6] = {4, 2, 2, 2, 2, 2};
  bool ok = strlen(t) == 20 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' && t[16] == ':' &&
            t[19] == 'Z';
  for (int i = 0; i < 6 && ok; i++)
    for (int k = 0; k < len[i]; k++) {
      char ch = t[at[i] + k];
      ok &= ch >= '0' && ch <= '9';
      v[i] = v[i] * 10 + (unsigned)(ch - '0');
    }
  static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (!ok)
    return scn_fail(c, f->node, "must be a UTC time YYYY-MM-DDTHH:MM:SSZ, got \"%s\"", t);
  bool leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
  if (v[0] < 1601 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1] ||
      (v[1] == 2 && v[2] == 29 && !leap) || v[3] > 23 || v[4] > 59 || v[5] > 59)
    return scn_fail(c, f->node, "no such UTC time: \"%s\" (years from 1601)", t);
  *filetime = ((wall_days(v[0], v[1], v[2]) * 24 + v[3]) * 3600ull + v[4] * 60ull + v[5]) * 10000000ull;
  path_restore(c, at_path);
  return 0;
}

int scn_machine(struct ctx *c, uint32_t n) {
  enum { M_LPS, M_MEMORY, M_CPU_MHZ, M_SLICE, M_WALL, M_N };
  struct field f[M_N] = {{"lps", 0, 0}, {"memory", 0, 0}, {"cpu_mhz", 0, 0}, {"slice", 0, 0}, {"wall_time", 0, 0}};
  uint64_t lps = 0, slice_ns = NS_PER_MS;
  struct scenario *s = c->s;
  s->machine.cpu_mhz = 2000;
  if (map_collect(c, n, f, M_N) || field_require(c, n, &f[M_LPS]) ||
      field_require(c, n, &f[M_MEMORY]) || field_uint(c, &f[M_LPS], 1, LP_MAX, &lps) ||
      field_size(c, &f[M_MEMORY], 16 * MIB, 64 * GIB, 2 * MIB, &s->machine.memory_bytes) ||
      field_uint(c, &f[M_CPU_MHZ], 100, 10000, &s->machine.cpu_mhz) ||
      field_time(c, &f[M_SLICE], 10 * NS_PER_US, NS_PER_S, &slice_ns) ||
      machine_wall_time(c, &f[M_WALL], &s->machine.wall_filetime))
    return -1;
  if (slice_ns % NS_PER_US) {
    path_key(c, "slice");
    return scn_fail(c, f[M_SLICE].node, "must be a whole number of microseconds");
  }
  s->machine.lps = (uint32_t)lps;
  s->machine.slice_us = slice_ns / NS_PER_US;
  return 0;
}

static int param_value(struct ctx *c, uint32_t n, struct scn_param *p) {
  const struct node *v = node_at(c, n);
  if (v->type != NODE_SCALAR || node_is_null(v))
    return fail_type(c, n, "an integer or a string");
  bool numeric = !v->quoted && ((v->str[0] >= '0' && v->str[0] <= '9') || v->str[0] == '-');
  if (numeric)
    return node_uint(c, n, 0, UINT64_MAX, &p->value);
  p->is_string = true;
  return node_text(c, n, p->str, sizeof p->str, "a string");
}

static int scn_params(struct ctx *c, uint32_t n, struct scn_partition *part) {
  const struct node *m = node_at(c, n);
  if (m->type != NODE_MAP)
    return fail_type(c, n, "a map of parameters");
  if (m->count / 2 > SCN_MAX_PARAMS)
    return scn_fail(c, n, "at most %d parameters, got %" PRIu32, SCN_MAX_PARAMS, m->count / 2);
  for (uint32_t k = m->first; k; k = node_at(c, node_at(c, k)->next)->next) {
    struct scn_param *p = &part->params[part->nparams];
    size_t old = path_key(c, node_at(c, k)->str);
    if (node_ident(c, k, p->key, sizeof p->key))
      return -1;
    for (uint32_t j = 0; j < part->nparams; j++)
      if (strcmp(part->params[j].key, p->key) == 0)
        return scn_fail(c, k, "duplicate key '%s'", p->key);
    p->pos = node_at(c, k)->pos;
    if (param_value(c, node_at(c, k)->next, p))
      return -1;
    part->nparams++;
    path_restore(c, old);
  }
  return 0;
}

/* The known program names, for the message about an unknown one. */
static void programs_list(char *buf, size_t cap) {
  size_t len = 0;
  const struct guest_program *p;
  buf[0] = '\0';
  for (size_t i = 0; (p = guest_program_at(i)) != NULL && len < cap; i++) {
    int n = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", p->name);
    if (n < 0)
      break;
    len += (size_t)n;
  }
}

static int scn_program(struct ctx *c, const struct field *f, struct scn_partition *p) {
  char known[256];
  path_key(c, f->key);
  if (node_text(c, f->node, p->program, sizeof p->program, "a program name"))
    return -1;
  if (!guest_program_lookup(p->program)) {
    programs_list(known, sizeof known);
    return scn_fail(c, f->node, "unknown program '%s' (known: %s)", p->program, known);
  }
  return 0;
}

static int scn_partition_name(struct ctx *c, const struct field *f, struct scn_partition *p) {
  size_t old = path_key(c, f->key);
  if (node_ident(c, f->node, p->name, sizeof p->name))
    return -1;
  if (strcmp(p->name, "root") == 0)
    return scn_fail(c, f->node, "'root' is the root partition, not a VM");
  int prev = partition_find(c->s, p->name);
  if (prev >= 0)
    return scn_fail(c, f->node, "duplicate partition name '%s' (first at line %" PRIu32 ")", p->name,
                c->s->partitions[prev].pos.line);
  path_restore(c, old);
  return 0;
}

/* disk: { path: FILE, size: SIZE } of a partition. */
static int scn_disk(struct ctx *c, uint32_t n, struct scn_partition *p) {
  enum { K_PATH, K_SIZE, K_N };
  struct field f[K_N] = {{"path", 0, 0}, {"size", 0, 0}};
  p->disk_pos = node_at(c, n)->pos;
  if (node_at(c, n)->type != NODE_MAP)
    return fail_type(c, n, "a map { path, size }");
  if (map_collect(c, n, f, K_N) || field_require(c, n, &f[K_PATH]) || field_require(c, n, &f[K_SIZE]))
    return -1;
  size_t old = path_key(c, "path");
  if (node_text(c, f[K_PATH].node, p->disk_path, sizeof p->disk_path, "a file path"))
    return -1;
  if (!p->disk_path[0])
    return scn_fail(c, f[K_PATH].node, "must not be empty");
  path_restore(c, old);
  return field_size(c, &f[K_SIZE], 64 * KIB, 4 * GIB, 4 * KIB, &p->disk_bytes);
}

/* payload: FILE of a partition: a regular file that fits the VM's RAM
 * above GUEST_PAYLOAD_GPA, read whole now. */
static int scn_payload(struct ctx *c, uint32_t n, struct scn_partition *p) {
  char path[512];
  uint64_t size, room = p->memory_bytes > GUEST_PAYLOAD_GPA ? p->memory_bytes - GUEST_PAYLOAD_GPA : 0;
  if (node_file_stat(c, n, path, sizeof path, &size))
    return -1;
  if (!room)
    return scn_fail(c, n, "%s: the payload goes at GPA 0x%llx, and the VM's memory ends there", path,
                    (unsigned long long)GUEST_PAYLOAD_GPA);
  if (size == 0 || size > room)
    return scn_fail(c, n, "%s: %" PRIu64 " bytes; the VM's memory holds 1 to %" PRIu64 " from GPA 0x%llx", path,
                    size, room, (unsigned long long)GUEST_PAYLOAD_GPA);
  if (node_file_read(c, n, path, size, &p->payload))
    return -1;
  p->payload_bytes = size;
  return 0;
}

static int scn_partition(struct ctx *c, uint32_t n, struct scn_partition *p) {
  enum { P_NAME, P_MEMORY, P_VPS, P_PROGRAM, P_PARAMS, P_DISK, P_PAYLOAD, P_KERNEL, P_PLATFORM, P_N };
  struct field f[P_N] = {{"name", 0, 0},    {"memory", 0, 0}, {"vps", 0, 0},     {"program", 0, 0},
                         {"params", 0, 0}, {"disk", 0, 0},   {"payload", 0, 0}, {"kernel", 0, 0},
                         {"platform", 0, 0}};
  uint64_t vps = 1;
  p->pos = node_at(c, n)->pos;
  if (map_collect(c, n, f, P_N) || field_require(c, n, &f[P_NAME]) ||
      field_require(c, n, &f[P_MEMORY]) || (!f[P_KERNEL].node && field_require(c, n, &f[P_PROGRAM])) ||
      scn_partition_name(c, &f[P_NAME], p) ||
      field_size(c, &f[P_MEMORY], 64 * KIB, c->s->machine.memory_bytes, 4 * KIB,
                 &p->memory_bytes) ||
      field_uint(c, &f[P_VPS], 1, VP_MAX, &vps))
    return -1;
  p->vps = (uint32_t)vps;
  size_t old = c->plen;
  if (scn_kernel_parse(c, &f[P_KERNEL], &f[P_PROGRAM], &f[P_PARAMS], &f[P_PAYLOAD], p) ||
      scn_platform_parse(c, &f[P_PLATFORM], p))
    return -1;
  if (f[P_PROGRAM].node && scn_program(c, &f[P_PROGRAM], p))
    return -1;
  path_restore(c, old);
  if (f[P_PARAMS].node) {
    path_key(c, "params");
    if (scn_params(c, f[P_PARAMS].node, p))
      return -1;
    path_restore(c, old);
  }
  if (f[P_DISK].node) {
    path_key(c, "disk");
    if (scn_disk(c, f[P_DISK].node, p))
      return -1;
    path_restore(c, old);
  }
  if (f[P_PAYLOAD].node) {
    path_key(c, "payload");
    if (scn_payload(c, f[P_PAYLOAD].node, p))
      return -1;
    path_restore(c, old);
  }
  return 0;
}

/* What a partition owns: its payload, its kernel and the kernel's files. */
void partition_release(struct scn_partition *p) {
  free(p->payload);
  scn_kernel_free(p->kernel);
  p->payload = 0;
  p->kernel = 0;
}

int scn_partitions(struct ctx *c, uint32_t n) {
  const struct node *list = node_at(c, n);
  struct scenario *s = c->s;
  if (list->type != NODE_SEQ)
    return fail_type(c, n, "a list of partitions");
  if (list->count > SCN_MAX_PARTITIONS)
    return scn_fail(c, n, "at most %d partitions, got %" PRIu32, SCN_MAX_PARTITIONS, list->count);
  if (list->count) {
    s->partitions = calloc(list->count, sizeof *s->partitions);
    if (!s->partitions)
      return scn_fail(c, n, "out of memory");
  }
  uint32_t i = 0;
  for (uint32_t e = list->first; e; e = node_at(c, e)->next, i++) {
    size_t old = path_index(c, i);
    if (scn_partition(c, e, &s->partitions[i])) {
      partition_release(&s->partitions[i]); /* not yet counted: scenario_free would miss it */
      return -1;
    }
    s->npartitions++; /* now visible to duplicate checks and references */
    path_restore(c, old);
  }
  return 0;
}
