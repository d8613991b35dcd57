/*
 * parse_util.c — the scenario parser's tools: errors with file:line:col and
 * the dotted field path, value syntax (names, integers, sizes, times,
 * percentages), schema maps (known keys, required keys) and references
 * to partitions (see parse.h).
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

/* ---- errors and field paths --------------------------------------------- */

struct node *node_at(struct ctx *c, uint32_t i) { return &c->nodes[i]; }

/* Keep the message on one line whatever the input contained. */
void err_sanitize(char *msg) {
  for (; *msg; msg++)
    if ((unsigned char)*msg < 0x20 || *msg == 0x7f)
      *msg = '?';
}

void err_vwrite(struct ctx *c, struct scn_pos pos, const char *field, const char *fmt,
                       va_list ap) {
  char what[400], where[256];
  if (c->failed)
    return;
  c->failed = true;
  vsnprintf(what, sizeof what, fmt, ap);
  snprintf(where, sizeof where, "%s", field);
  for (char *p = where; *p; p++)
    if (*p == ':')
      *p = '?'; /* the field is the text between the 3rd and 4th ':' */
  int n = snprintf(c->err->msg, sizeof c->err->msg, "%s:%" PRIu32 ":%" PRIu32 ": %s: %s", c->file,
                   pos.line, pos.col, where, what);
  if (n < 0) /* cannot happen with these formats; keep the message defined */
    snprintf(c->err->msg, sizeof c->err->msg, "%s: error", c->file);
  err_sanitize(c->err->msg); /* a long message is cut: its start holds the position */
}

__attribute__((format(printf, 4, 5))) int scn_fail_pos(struct ctx *c, struct scn_pos pos,
                                                          const char *field, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err_vwrite(c, pos, field, fmt, ap);
  va_end(ap);
  return -1;
}

/* Error at node n for the field at the current path. Returns -1. */
__attribute__((format(printf, 3, 4))) int scn_fail(struct ctx *c, uint32_t n, const char *fmt,
                                                      ...) {
  va_list ap;
  struct scn_pos pos = n ? node_at(c, n)->pos : (struct scn_pos){1, 1};
  va_start(ap, fmt);
  err_vwrite(c, pos, c->plen ? c->path : "(document)", fmt, ap);
  va_end(ap);
  return -1;
}

static size_t path_append(struct ctx *c, const char *fmt, const char *key, uint32_t index) {
  size_t old = c->plen;
  int n = key ? snprintf(c->path + old, sizeof c->path - old, fmt, key)
              : snprintf(c->path + old, sizeof c->path - old, fmt, index);
  if (n < 0 || old + (size_t)n >= sizeof c->path)
    c->plen = sizeof c->path - 1;
  else
    c->plen = old + (size_t)n;
  return old;
}

/* Append ".key" (or "key" at the top); returns the length to restore. */
size_t path_key(struct ctx *c, const char *key) {
  return path_append(c, c->plen ? ".%s" : "%s", key, 0);
}

size_t path_index(struct ctx *c, uint32_t i) {
  return path_append(c, "[%" PRIu32 "]", NULL, i);
}

void path_restore(struct ctx *c, size_t len) {
  c->plen = len;
  c->path[len] = '\0';
}

/* ---- value syntax: names, integers, sizes, times ------------------------ */

/* A short description of what a node is, for "expected X, got Y". */
static const char *node_describe(struct ctx *c, uint32_t i, char *buf, size_t cap) {
  const struct node *n = node_at(c, i);
  if (n->type == NODE_MAP)
    return "a map";
  if (n->type == NODE_SEQ)
    return "a list";
  if (node_is_null(n))
    return "nothing";
  if (n->quoted)
    snprintf(buf, cap, "the string \"%.40s\"", n->str);
  else
    snprintf(buf, cap, "'%.40s'", n->str);
  return buf;
}

int fail_type(struct ctx *c, uint32_t n, const char *expected) {
  char buf[64];
  return scn_fail(c, n, "expected %s, got %s", expected, node_describe(c, n, buf, sizeof buf));
}

/* A plain (unquoted, non-null) scalar: what numbers, sizes and times are. */
int want_plain(struct ctx *c, uint32_t n, const char *expected) {
  const struct node *v = node_at(c, n);
  if (v->type != NODE_SCALAR || v->quoted || node_is_null(v))
    return fail_type(c, n, expected);
  return 0;
}

/* Any non-null scalar, copied into buf (cap includes the NUL). */
int node_text(struct ctx *c, uint32_t n, char *buf, size_t cap, const char *expected) {
  const struct node *v = node_at(c, n);
  if (v->type != NODE_SCALAR || node_is_null(v))
    return fail_type(c, n, expected);
  size_t len = strlen(v->str);
  if (len >= cap)
    return scn_fail(c, n, "'%.40s' is too long (at most %zu characters)", v->str, cap - 1);
  memcpy(buf, v->str, len + 1);
  return 0;
}

static bool char_in(char ch, const char *set) { return ch && strchr(set, ch); }

static bool char_alnum(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* Every character alphanumeric or in extra; first a letter if asked. */
bool name_valid(const char *s, bool letter_first, const char *extra) {
  if (!*s || (letter_first && (!char_alnum(*s) || (*s >= '0' && *s <= '9'))))
    return false;
  for (; *s; s++)
    if (!char_alnum(*s) && !char_in(*s, extra))
      return false;
  return true;
}

/* A name: [A-Za-z][A-Za-z0-9_-]{0,30} (partitions, parameters). */
int node_ident(struct ctx *c, uint32_t n, char *buf, size_t cap) {
  if (node_text(c, n, buf, cap, "a name"))
    return -1;
  if (!name_valid(buf, true, "_-"))
    return scn_fail(c, n, "'%s' is not a valid name (a letter, then letters, digits, _ or -)", buf);
  return 0;
}

int node_uint(struct ctx *c, uint32_t n, uint64_t min, uint64_t max, uint64_t *out) {
  uint64_t v;
  if (want_plain(c, n, "an integer"))
    return -1;
  const char *s = node_at(c, n)->str;
  if (s[0] == '-')
    return scn_fail(c, n, "negative values are not allowed, got %.40s", s);
  int rc = scn_parse_uint(s, &v);
  if (rc == -2)
    return scn_fail(c, n, "number %.40s is too large", s);
  if (rc != 0)
    return fail_type(c, n, "an integer");
  if (v < min || v > max)
    return scn_fail(c, n, "must be between %" PRIu64 " and %" PRIu64 ", got %s", min, max, s);
  *out = v;
  return 0;
}

static int node_size(struct ctx *c, uint32_t n, uint64_t min, uint64_t max, uint64_t align,
                     uint64_t *out) {
  char lo[24], hi[24], al[24];
  uint64_t v;
  if (want_plain(c, n, "a size like 64MiB"))
    return -1;
  const char *s = node_at(c, n)->str;
  if (s[0] == '-')
    return scn_fail(c, n, "negative values are not allowed, got %.40s", s);
  int rc = scn_size_parse(s, &v);
  if (rc == -2)
    return scn_fail(c, n, "size %.40s is too large", s);
  if (rc != 0)
    return fail_type(c, n, "a size like 64MiB (units KiB, MiB, GiB)");
  if (v < min || v > max)
    return scn_fail(c, n, "must be between %s and %s, got %s", scn_size_format(min, lo, sizeof lo),
                scn_size_format(max, hi, sizeof hi), s);
  if (v % align)
    return scn_fail(c, n, "must be a multiple of %s, got %s", scn_size_format(align, al, sizeof al), s);
  *out = v;
  return 0;
}

static int node_time(struct ctx *c, uint32_t n, uint64_t min, uint64_t max, uint64_t *out) {
  char lo[24], hi[24];
  uint64_t v = 0;
  if (want_plain(c, n, "a time like 10ms"))
    return -1;
  const char *s = node_at(c, n)->str;
  switch (scn_time_parse(s, &v)) {
  case SCN_TIME_NO_UNIT:
    return scn_fail(c, n, "time %s needs a unit (ns, us, ms or s), e.g. %sms", s, s);
  case SCN_TIME_FRACTION:
    return scn_fail(c, n, "time %.40s is not a whole number of nanoseconds", s);
  case SCN_TIME_OVERFLOW:
    return scn_fail(c, n, "time %.40s is too large", s);
  case SCN_TIME_SYNTAX:
    return fail_type(c, n, "a time like 10ms (units ns, us, ms, s)");
  case SCN_TIME_OK:
    break;
  }
  if (v < min || v > max)
    return scn_fail(c, n, "must be between %s and %s, got %s", scn_time_format(min, lo, sizeof lo),
                scn_time_format(max, hi, sizeof hi), s);
  *out = v;
  return 0;
}

/* "10%" or 10. */
int node_percent(struct ctx *c, uint32_t n, uint64_t min, uint64_t max, uint64_t *out) {
  uint64_t v;
  size_t len;
  char num[24];
  if (want_plain(c, n, "a percentage like 10%"))
    return -1;
  const char *s = node_at(c, n)->str;
  len = strlen(s);
  if (len > 0 && s[len - 1] == '%')
    len--;
  if (len == 0 || len >= sizeof num || s[0] == '-')
    return fail_type(c, n, "a percentage like 10%");
  memcpy(num, s, len);
  num[len] = '\0';
  if (scn_parse_uint(num, &v) != 0)
    return fail_type(c, n, "a percentage like 10%");
  if (v < min || v > max)
    return scn_fail(c, n, "must be between %" PRIu64 "%% and %" PRIu64 "%%, got %s", min, max, s);
  *out = v;
  return 0;
}

/* ---- schema maps -------------------------------------------------------- */

static void keys_list(const struct field *f, size_t nf, char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < nf && len < cap; i++) {
    int n = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", f[i].key);
    if (n < 0)
      break;
    len += (size_t)n;
  }
}

static int map_key(struct ctx *c, uint32_t k, uint32_t v, struct field *f, size_t nf) {
  char known[200];
  const char *key = node_at(c, k)->str;
  for (size_t i = 0; i < nf; i++) {
    if (strcmp(f[i].key, key) != 0)
      continue;
    if (f[i].node) {
      path_key(c, key);
      return scn_fail(c, k, "duplicate key '%s' (first at %" PRIu32 ":%" PRIu32 ")", key,
                  node_at(c, f[i].keynode)->pos.line, node_at(c, f[i].keynode)->pos.col);
    }
    f[i].node = v;
    f[i].keynode = k;
    return 0;
  }
  keys_list(f, nf, known, sizeof known);
  path_key(c, key);
  return scn_fail(c, k, "unknown key '%.40s' (expected one of: %s)", key, known);
}

/* Match the entries of map n against the keys f accepts. */
int map_collect(struct ctx *c, uint32_t n, struct field *f, size_t nf) {
  if (node_at(c, n)->type != NODE_MAP)
    return fail_type(c, n, "a map");
  for (uint32_t k = node_at(c, n)->first; k; k = node_at(c, node_at(c, k)->next)->next)
    if (map_key(c, k, node_at(c, k)->next, f, nf))
      return -1;
  return 0;
}

/* Error at map n: the required key f is absent. */
int field_require(struct ctx *c, uint32_t map, const struct field *f) {
  if (f->node)
    return 0;
  path_key(c, f->key);
  return scn_fail(c, map, "missing required key '%s'", f->key);
}

int field_uint(struct ctx *c, const struct field *f, uint64_t min, uint64_t max,
                      uint64_t *out) {
  if (!f->node)
    return 0;
  size_t old = path_key(c, f->key);
  if (node_uint(c, f->node, min, max, out))
    return -1;
  path_restore(c, old);
  return 0;
}

int field_time(struct ctx *c, const struct field *f, uint64_t min, uint64_t max,
                      uint64_t *out) {
  if (!f->node)
    return 0;
  size_t old = path_key(c, f->key);
  if (node_time(c, f->node, min, max, out))
    return -1;
  path_restore(c, old);
  return 0;
}

int field_size(struct ctx *c, const struct field *f, uint64_t min, uint64_t max,
                      uint64_t align, uint64_t *out) {
  if (!f->node)
    return 0;
  size_t old = path_key(c, f->key);
  if (node_size(c, f->node, min, max, align, out))
    return -1;
  path_restore(c, old);
  return 0;
}

/* Error at the key of f: it does not go with the item's other keys. */
int field_reject(struct ctx *c, const struct field *f, const char *why) {
  if (!f->node)
    return 0;
  path_key(c, f->key);
  return scn_fail(c, f->keynode, "'%s' %s", f->key, why);
}

/* ---- references ----------------------------------------------------------- */

int partition_find(const struct scenario *s, const char *name) {
  for (uint32_t i = 0; i < s->npartitions; i++)
    if (strcmp(s->partitions[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* A declared partition by name; "root" gives -2 when allow_root. */
int node_partition(struct ctx *c, uint32_t n, bool allow_root, int32_t *out) {
  char name[SCN_NAME_MAX];
  if (node_text(c, n, name, sizeof name, "a partition name"))
    return -1;
  if (allow_root && strcmp(name, "root") == 0) {
    *out = -2;
    return 0;
  }
  int i = partition_find(c->s, name);
  if (i < 0)
    return scn_fail(c, n, "unknown partition '%s' (not declared under partitions)", name);
  *out = i;
  return 0;
}

/* A name or a list of names of declared partitions, each at most once. */
int node_targets(struct ctx *c, uint32_t n, uint32_t min, uint32_t *t, uint32_t *nt) {
  const struct node *v = node_at(c, n);
  int32_t p;
  if (v->type == NODE_SCALAR) {
    if (min > 1)
      return fail_type(c, n, "a list of partition names");
    if (node_partition(c, n, false, &p))
      return -1;
    t[0] = (uint32_t)p;
    *nt = 1;
    return 0;
  }
  if (v->type != NODE_SEQ)
    return fail_type(c, n, "a partition name or a list of names");
  if (v->count < min || v->count > SCN_MAX_TARGETS)
    return scn_fail(c, n, "needs %" PRIu32 " to %u partition names, got %" PRIu32, min, SCN_MAX_TARGETS,
                v->count);
  *nt = 0;
  uint32_t i = 0;
  for (uint32_t e = v->first; e; e = node_at(c, e)->next, i++) {
    size_t old = path_index(c, i);
    if (node_partition(c, e, false, &p))
      return -1;
    for (uint32_t j = 0; j < *nt; j++)
      if (t[j] == (uint32_t)p)
        return scn_fail(c, e, "partition '%s' listed twice", node_at(c, e)->str);
    t[(*nt)++] = (uint32_t)p;
    path_restore(c, old);
  }
  return 0;
}

/* ---- files a scenario names --------------------------------------------- */

/* A file named by node n: its path relative to the scenario file's
 * directory (absolute names as they are) into path, and its size; it must
 * be a regular file (checked before opening: a FIFO would block). */
int node_file_stat(struct ctx *c, uint32_t n, char *path, size_t cap, uint64_t *size) {
  char name[256];
  if (node_text(c, n, name, sizeof name, "a file path"))
    return -1;
  if (!name[0])
    return scn_fail(c, n, "must not be empty");
  const char *slash = strrchr(c->file, '/');
  if (name[0] == '/' || !slash)
    snprintf(path, cap, "%s", name);
  else
    snprintf(path, cap, "%.*s/%s", (int)(slash - c->file), c->file, name);
  struct stat st;
  if (stat(path, &st) != 0)
    return scn_fail(c, n, "%s: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return scn_fail(c, n, "%s: not a regular file", path);
  *size = (uint64_t)st.st_size;
  return 0;
}

/* Read the size bytes of file path (node_file_stat) whole into *data. */
int node_file_read(struct ctx *c, uint32_t n, const char *path, uint64_t size, uint8_t **data) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return scn_fail(c, n, "%s: %s", path, strerror(errno));
  *data = malloc(size ? (size_t)size : 1);
  if (!*data) {
    fclose(f);
    return scn_fail(c, n, "out of memory");
  }
  size_t got = fread(*data, 1, (size_t)size, f);
  fclose(f);
  if (got != (size_t)size) {
    free(*data);
    *data = 0;
    return scn_fail(c, n, "%s: cannot read it whole", path);
  }
  return 0;
}
