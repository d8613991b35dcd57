/*
 * devices.c — the `devices:` section of a scenario and the timeline
 * actions on devices (assign, unassign, DMA storms, device faults).
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
#include "parse.h"

/* ---- devices ------------------------------------------------------------ */

static int device_find(const struct scenario *s, const char *name) {
  for (uint32_t i = 0; i < s->ndevices; i++)
    if (strcmp(s->devices[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* "BB:DD.F" (hex bus, hex device 00-1f, function 0-7) as a requester id. */
static int node_bdf(struct ctx *c, uint32_t n, uint16_t *rid) {
  char s[16], tail;
  unsigned bus, dev, fn;
  if (node_text(c, n, s, sizeof s, "a PCI address like 00:04.0"))
    return -1;
  if (strlen(s) != 7 || sscanf(s, "%2x:%2x.%1u%c", &bus, &dev, &fn, &tail) != 3 || dev > 31 || fn > 7)
    return scn_fail(c, n, "'%s' is not a PCI address BB:DD.F (hex bus, device 00-1f, function 0-7)", s);
  *rid = (uint16_t)(bus << 8 | dev << 3 | fn);
  return 0;
}

static int scn_device(struct ctx *c, uint32_t n, struct scn_device *d) {
  enum { D_NAME, D_KIND, D_BDF, D_IMAGE, D_SIZE, D_READ, D_WRITE, D_POLL, D_N };
  struct field f[D_N] = {{"name", 0, 0},  {"kind", 0, 0},         {"bdf", 0, 0},
                         {"image", 0, 0}, {"size", 0, 0},         {"read_latency", 0, 0},
                         {"write_latency", 0, 0}, {"poll", 0, 0}};
  char kind[16];
  d->pos = node_at(c, n)->pos;
  d->rid = 0x0020; /* 00:04.0 */
  d->read_ns = 10 * NS_PER_US;
  d->write_ns = 20 * NS_PER_US;
  d->poll_ns = NS_PER_US;
  if (map_collect(c, n, f, D_N) || field_require(c, n, &f[D_NAME]) || field_require(c, n, &f[D_KIND]) ||
      field_require(c, n, &f[D_IMAGE]) || field_require(c, n, &f[D_SIZE]))
    return -1;
  size_t old = path_key(c, "name");
  if (node_text(c, f[D_NAME].node, d->name, sizeof d->name, "a device name"))
    return -1;
  if (!name_valid(d->name, false, "_.-"))
    return scn_fail(c, f[D_NAME].node, "'%s' is not a valid device name", d->name);
  if (device_find(c->s, d->name) >= 0)
    return scn_fail(c, f[D_NAME].node, "device '%s' declared twice", d->name);
  path_restore(c, old);
  path_key(c, "kind");
  if (node_text(c, f[D_KIND].node, kind, sizeof kind, "a device kind"))
    return -1;
  if (strcmp(kind, "nvme") != 0)
    return scn_fail(c, f[D_KIND].node, "unknown device kind '%s' (expected: nvme)", kind);
  path_restore(c, old);
  path_key(c, "image");
  if (node_text(c, f[D_IMAGE].node, d->image, sizeof d->image, "a file path"))
    return -1;
  if (!d->image[0])
    return scn_fail(c, f[D_IMAGE].node, "must not be empty");
  path_restore(c, old);
  if (f[D_BDF].node) {
    path_key(c, "bdf");
    if (node_bdf(c, f[D_BDF].node, &d->rid))
      return -1;
    for (uint32_t i = 0; i < c->s->ndevices; i++)
      if (c->s->devices[i].rid == d->rid)
        return scn_fail(c, f[D_BDF].node, "bus address already used by device '%s'", c->s->devices[i].name);
    path_restore(c, old);
  }
  return field_size(c, &f[D_SIZE], 64 * KIB, 4 * GIB, 4 * KIB, &d->size_bytes) ||
                 field_time(c, &f[D_READ], 0, NS_PER_S, &d->read_ns) ||
                 field_time(c, &f[D_WRITE], 0, NS_PER_S, &d->write_ns) ||
                 field_time(c, &f[D_POLL], 100, NS_PER_MS, &d->poll_ns)
             ? -1
             : 0;
}

int scn_devices(struct ctx *c, uint32_t n) {
  const struct node *list = node_at(c, n);
  if (list->type != NODE_SEQ)
    return fail_type(c, n, "a list of devices");
  if (list->count > SCN_MAX_DEVICES)
    return scn_fail(c, n, "at most %d devices, got %" PRIu32, SCN_MAX_DEVICES, list->count);
  uint32_t i = 0;
  for (uint32_t e = list->first; e; e = node_at(c, e)->next, i++) {
    size_t old = path_index(c, i);
    if (scn_device(c, e, &c->s->devices[i]))
      return -1;
    c->s->ndevices++;
    path_restore(c, old);
  }
  return 0;
}

/* The device a timeline item names under key 'device'. */
static int field_device(struct ctx *c, uint32_t map, const struct field *f, uint32_t *index) {
  char name[SCN_NAME_MAX];
  if (field_require(c, map, f))
    return -1;
  size_t old = path_key(c, f->key);
  if (node_text(c, f->node, name, sizeof name, "a device name"))
    return -1;
  int i = device_find(c->s, name);
  if (i < 0)
    return scn_fail(c, f->node, "unknown device '%s' (not declared under devices)", name);
  *index = (uint32_t)i;
  path_restore(c, old);
  return 0;
}

/* One of the words of list (NULL-terminated) under key f; its index. */
static int field_word(struct ctx *c, const struct field *f, const char *const *list, const char *expected,
                      uint32_t *out) {
  char w[24];
  if (!f->node)
    return 0;
  size_t old = path_key(c, f->key);
  if (node_text(c, f->node, w, sizeof w, expected))
    return -1;
  for (uint32_t i = 0; list[i]; i++)
    if (strcmp(list[i], w) == 0) {
      *out = i;
      path_restore(c, old);
      return 0;
    }
  return scn_fail(c, f->node, "'%s' is not one of: %s", w, expected);
}

/* assign: { device: disk0, to: db, vector: 0x50, vp: 0 } — unassign: { device: disk0 } */
int scn_assign(struct ctx *c, uint32_t n, struct scn_action *a) {
  enum { G_DEVICE, G_TO, G_VECTOR, G_VP, G_N };
  struct field f[G_N] = {{"device", 0, 0}, {"to", 0, 0}, {"vector", 0, 0}, {"vp", 0, 0}};
  uint64_t vector = 0x50, vp = 0;
  if (map_collect(c, n, f, a->kind == SCN_ACT_ASSIGN ? G_N : 1) ||
      field_device(c, n, &f[G_DEVICE], &a->dev.index))
    return -1;
  if (a->kind == SCN_ACT_UNASSIGN)
    return 0;
  if (field_require(c, n, &f[G_TO]))
    return -1;
  size_t old = path_key(c, "to");
  if (node_targets(c, f[G_TO].node, 1, &a->targets[0], &a->ntargets))
    return -1;
  path_restore(c, old);
  if (a->ntargets != 1)
    return scn_fail(c, f[G_TO].node, "a device is assigned to one partition");
  if (field_uint(c, &f[G_VECTOR], 16, 255, &vector) ||
      field_uint(c, &f[G_VP], 0, c->s->partitions[a->targets[0]].vps - 1, &vp))
    return -1;
  a->dev.vector = (uint32_t)vector;
  a->dev.vp = (uint32_t)vp;
  return 0;
}

/* dma_storm: { device, count, period, bytes, pattern: sequential|random,
 * range: domain|anywhere } */
int scn_dma_storm(struct ctx *c, uint32_t n, struct scn_action *a) {
  static const char *const patterns[] = {"sequential", "random", 0}, *const ranges[] = {"domain", "anywhere", 0};
  enum { S_DEVICE, S_COUNT, S_PERIOD, S_BYTES, S_PATTERN, S_RANGE, S_N };
  struct field f[S_N] = {{"device", 0, 0}, {"count", 0, 0},   {"period", 0, 0},
                         {"bytes", 0, 0},  {"pattern", 0, 0}, {"range", 0, 0}};
  uint64_t count = 0, period = NS_PER_US, bytes = 4096;
  uint32_t pattern = 0, range = 0;
  if (map_collect(c, n, f, S_N) || field_device(c, n, &f[S_DEVICE], &a->dev.index) ||
      field_require(c, n, &f[S_COUNT]) || field_uint(c, &f[S_COUNT], 1, 10000000, &count) ||
      field_time(c, &f[S_PERIOD], 1, NS_PER_S, &period) || field_uint(c, &f[S_BYTES], 8, 65536, &bytes) ||
      field_word(c, &f[S_PATTERN], patterns, "sequential, random", &pattern) ||
      field_word(c, &f[S_RANGE], ranges, "domain, anywhere", &range))
    return -1;
  a->dev.count = (uint32_t)count;
  a->dev.period_ns = period;
  a->dev.bytes = (uint32_t)bytes;
  a->dev.random = pattern == 1;
  a->dev.anywhere = range == 1;
  return 0;
}

/* device_fault: { device, kind: media_error|stray_dma|bad_msi, count: 1 } */
int scn_device_fault(struct ctx *c, uint32_t n, struct scn_action *a) {
  static const char *const kinds[] = {"media_error", "stray_dma", "bad_msi", 0};
  enum { F_DEVICE, F_KIND, F_COUNT, F_N };
  struct field f[F_N] = {{"device", 0, 0}, {"kind", 0, 0}, {"count", 0, 0}};
  uint64_t count = 1;
  if (map_collect(c, n, f, F_N) || field_device(c, n, &f[F_DEVICE], &a->dev.index) ||
      field_require(c, n, &f[F_KIND]) ||
      field_word(c, &f[F_KIND], kinds, "media_error, stray_dma, bad_msi", &a->dev.fault) ||
      field_uint(c, &f[F_COUNT], 1, 1000000, &count))
    return -1;
  a->dev.count = (uint32_t)count;
  return 0;
}
