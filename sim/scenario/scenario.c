/*
 * scenario.c — scenario files (scenarios/ *.yaml) to struct scenario:
 * the document's top level and the entry points (see parse.h for how the
 * parser works).
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

/* ---- the document ---------------------------------------------------------- */

/* The value of key in map n, 0 if absent (no checks: for 'version'). */
static uint32_t map_find(struct ctx *c, uint32_t n, const char *key) {
  for (uint32_t k = node_at(c, n)->first; k; k = node_at(c, node_at(c, k)->next)->next)
    if (strcmp(node_at(c, k)->str, key) == 0)
      return node_at(c, k)->next;
  return 0;
}

/* Checked first: a file of another version fails on that, not on a key. */
static int scn_version(struct ctx *c, uint32_t root) {
  uint64_t v;
  uint32_t n = map_find(c, root, "version");
  path_key(c, "version");
  if (!n)
    return scn_fail(c, root, "missing required key 'version'");
  if (want_plain(c, n, "an integer"))
    return -1;
  if (scn_parse_uint(node_at(c, n)->str, &v) != 0 || v != SCN_VERSION)
    return scn_fail(c, n, "unsupported version %.40s, this hvsim reads version %d", node_at(c, n)->str,
                SCN_VERSION);
  c->s->version = SCN_VERSION;
  path_restore(c, 0);
  return 0;
}

static int scn_name(struct ctx *c, const struct field *f) {
  path_key(c, f->key);
  if (node_text(c, f->node, c->s->name, sizeof c->s->name, "a scenario name"))
    return -1;
  if (!name_valid(c->s->name, false, "_.-"))
    return scn_fail(c, f->node, "'%s' is not a valid name (letters, digits, _ . -)", c->s->name);
  path_restore(c, 0);
  return 0;
}

/* 'description:' — prose for people: a non-blank text of printable
 * characters, lines and tabs, at most SCN_DESCRIPTION_MAX - 1 bytes. */
static int scn_description(struct ctx *c, const struct field *f) {
  if (!f->node)
    return 0;
  path_key(c, f->key);
  char *d = c->s->description;
  if (node_text(c, f->node, d, sizeof c->s->description, "a text (a few paragraphs)"))
    return -1;
  bool blank = true;
  for (const unsigned char *p = (const unsigned char *)d; *p; p++) {
    if (*p < 0x20 && *p != '\n' && *p != '\t')
      return scn_fail(c, f->node, "control character 0x%02x in the text", *p);
    blank = blank && (*p == ' ' || *p == '\n' || *p == '\t');
  }
  if (blank)
    return scn_fail(c, f->node, "empty text (omit the key, or say what the scenario shows)");
  path_restore(c, 0);
  return 0;
}

/* Validate a section: f's value through parse, under the path f->key. */
static int scn_section(struct ctx *c, const struct field *f, int (*parse)(struct ctx *, uint32_t)) {
  if (!f->node)
    return 0;
  path_key(c, f->key);
  if (parse(c, f->node))
    return -1;
  path_restore(c, 0);
  return 0;
}

static int scn_document(struct ctx *c, uint32_t root) {
  enum { T_VERSION, T_NAME, T_MACHINE, T_UNTIL, T_PARTITIONS, T_TIMELINE, T_EXPECT, T_DEVICES, T_DESC, T_N };
  struct field f[T_N] = {{"version", 0, 0}, {"name", 0, 0},       {"machine", 0, 0},
                         {"until", 0, 0},   {"partitions", 0, 0}, {"timeline", 0, 0},
                         {"expect", 0, 0},  {"devices", 0, 0},    {"description", 0, 0}};
  if (node_at(c, root)->type != NODE_MAP)
    return fail_type(c, root, "a map of scenario keys (version, name, machine, ...)");
  return scn_version(c, root) || map_collect(c, root, f, T_N) ||
                 field_require(c, root, &f[T_NAME]) || field_require(c, root, &f[T_MACHINE]) ||
                 field_require(c, root, &f[T_PARTITIONS]) || scn_name(c, &f[T_NAME]) ||
                 scn_description(c, &f[T_DESC]) ||
                 scn_section(c, &f[T_MACHINE], scn_machine) ||
                 field_time(c, &f[T_UNTIL], 1, UINT64_MAX, &c->s->until_ns) ||
                 scn_section(c, &f[T_PARTITIONS], scn_partitions) ||
                 scn_section(c, &f[T_DEVICES], scn_devices) ||
                 scn_section(c, &f[T_TIMELINE], scn_timeline) ||
                 scn_section(c, &f[T_EXPECT], scn_expects)
             ? -1
             : 0;
}

/* ---- entry points ----------------------------------------------------------- */

int scenario_load_mem(const char *name, const uint8_t *buf, size_t len, struct scenario *out,
                      struct scn_error *err) {
  struct scenario s;
  struct ctx c;
  memset(&s, 0, sizeof s);
  memset(&c, 0, sizeof c);
  memset(out, 0, sizeof *out);
  err->msg[0] = '\0';
  c.file = name;
  c.buf = buf;
  c.len = len;
  c.err = err;
  c.s = &s;
  snprintf(s.path, sizeof s.path, "%s", name);
  int rc = -1;
  if (len > SCN_MAX_FILE_BYTES)
    scn_fail_pos(&c, (struct scn_pos){1, 1}, "(document)", "larger than %u bytes", SCN_MAX_FILE_BYTES);
  else if (tree_build(&c) == 0)
    rc = scn_document(&c, c.root);
  tree_free(&c);
  if (rc != 0) {
    scenario_free(&s);
    return -1;
  }
  *out = s;
  return 0;
}

/* Read at most SCN_MAX_FILE_BYTES + 1 bytes; *len tells whether it was more. */
static uint8_t *file_read(FILE *f, size_t *len) {
  size_t cap = SCN_MAX_FILE_BYTES + 1;
  uint8_t *buf = malloc(cap);
  if (!buf)
    return NULL;
  *len = fread(buf, 1, cap, f);
  if (ferror(f)) {
    free(buf);
    return NULL;
  }
  return buf;
}

int scenario_load(const char *path, struct scenario *out, struct scn_error *err) {
  size_t len = 0;
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err->msg, sizeof err->msg, "%s:1:1: (file): cannot open: %s", path, strerror(errno));
    err_sanitize(err->msg);
    return -1;
  }
  uint8_t *buf = file_read(f, &len);
  int read_errno = errno;
  fclose(f);
  if (!buf) {
    snprintf(err->msg, sizeof err->msg, "%s:1:1: (file): cannot read: %s", path,
             strerror(read_errno));
    err_sanitize(err->msg);
    return -1;
  }
  int rc = scenario_load_mem(path, buf, len, out, err);
  free(buf);
  return rc;
}

void scenario_free(struct scenario *s) {
  for (uint32_t i = 0; s->partitions && i < s->npartitions; i++)
    partition_release(&s->partitions[i]);
  free(s->partitions);
  free(s->actions);
  free(s->expects);
  memset(s, 0, sizeof *s);
}
