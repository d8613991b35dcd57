/*
 * scenario.c — scenario files (scenarios/ *.yaml) to struct scenario.
 *
 * Two passes. tree_*() turn libyaml's event stream into a small tree of
 * nodes carrying their 1-based positions, and refuse what schema version 1
 * never needs: anchors and aliases (so no alias bomb can expand), explicit
 * tags, several documents, nesting deeper than TREE_MAX_DEPTH, more than
 * TREE_MAX_NODES nodes, long scalars. scn_*() then validate the tree
 * against the schema (types, ranges, names, references, duplicates) and
 * fill a struct scenario. The first error stops everything; it is one line
 * "file:line:col: field: message". A scenario file is untrusted input and
 * is fuzzed: nothing from it is used before it is checked.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "hv/trace.h"
#include "models/guest/guest.h"
#include "scenario.h"
#include "scenario_kernel.h"
#include "scenario_parse.h"

#define TREE_MAX_NODES 65536u
#define SCALAR_MAX 1024u
#define KIB UINT64_C(1024)
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define NS_PER_US UINT64_C(1000)
#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)
#define VP_MAX 64u
#define LP_MAX 64u

/* ---- errors and field paths --------------------------------------------- */

struct node *node_at(struct ctx *c, uint32_t i) { return &c->nodes[i]; }

/* Keep the message on one line whatever the input contained. */
static void err_sanitize(char *msg) {
  for (; *msg; msg++)
    if ((unsigned char)*msg < 0x20 || *msg == 0x7f)
      *msg = '?';
}

static void err_vwrite(struct ctx *c, struct scn_pos pos, const char *field, const char *fmt,
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

__attribute__((format(printf, 4, 5))) static int fail_pos(struct ctx *c, struct scn_pos pos,
                                                          const char *field, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err_vwrite(c, pos, field, fmt, ap);
  va_end(ap);
  return -1;
}

/* Error at node n for the field at the current path. Returns -1. */
__attribute__((format(printf, 3, 4))) int fail(struct ctx *c, uint32_t n, const char *fmt,
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

/* ---- the node tree ------------------------------------------------------ */

static struct scn_pos pos_of_mark(yaml_mark_t m) {
  return (struct scn_pos){(uint32_t)m.line + 1, (uint32_t)m.column + 1};
}

/* Position of a byte offset (libyaml reports reader errors by offset). */
static struct scn_pos pos_of_offset(const struct ctx *c, size_t off) {
  struct scn_pos pos = {1, 1};
  for (size_t i = 0; i < off && i < c->len; i++) {
    if (c->buf[i] == '\n') {
      pos.line++;
      pos.col = 1;
    } else {
      pos.col++;
    }
  }
  return pos;
}

/* Path of the node about to be added, for errors found while building. */
static void tree_path(struct ctx *c) {
  path_restore(c, 0);
  for (uint32_t i = 0; i < c->depth; i++) {
    const struct node *p = node_at(c, c->stack[i]);
    uint32_t on_path = i + 1 < c->depth ? p->count - 1 : p->count;
    if (p->type == NODE_SEQ)
      path_index(c, on_path);
    else if (on_path % 2 == 1)
      path_key(c, node_at(c, c->keys[i])->str);
  }
}

__attribute__((format(printf, 3, 4))) static int tree_fail(struct ctx *c, yaml_mark_t mark,
                                                           const char *fmt, ...) {
  va_list ap;
  tree_path(c);
  va_start(ap, fmt);
  err_vwrite(c, pos_of_mark(mark), c->plen ? c->path : "(document)", fmt, ap);
  va_end(ap);
  return -1;
}

static int tree_grow(struct ctx *c) {
  uint32_t cap = c->cap ? c->cap * 2 : 64;
  struct node *n = realloc(c->nodes, cap * sizeof *n);
  if (!n)
    return -1;
  c->nodes = n;
  c->cap = cap;
  return 0;
}

/* Link a new node under the innermost open container. Returns its index,
 * 0 on error. */
static uint32_t tree_add(struct ctx *c, enum node_type type, yaml_mark_t mark) {
  if (c->nnodes > TREE_MAX_NODES) {
    tree_fail(c, mark, "document too large (more than %u nodes)", TREE_MAX_NODES);
    return 0;
  }
  if (c->nnodes == c->cap && tree_grow(c) != 0) {
    tree_fail(c, mark, "out of memory");
    return 0;
  }
  uint32_t i = c->nnodes++;
  memset(node_at(c, i), 0, sizeof(struct node));
  node_at(c, i)->type = type;
  node_at(c, i)->pos = pos_of_mark(mark);
  if (c->depth == 0) {
    c->root = i;
    return i;
  }
  uint32_t level = c->depth - 1;
  struct node *p = node_at(c, c->stack[level]);
  if (p->type == NODE_MAP && p->count % 2 == 0)
    c->keys[level] = i;
  if (p->last)
    node_at(c, p->last)->next = i;
  else
    p->first = i;
  p->last = i;
  p->count++;
  return i;
}

/* Anchors, aliases and tags have no use in a scenario; refusing them keeps
 * the tree a tree (no alias can make a walk exponential). */
static int tree_check_props(struct ctx *c, yaml_mark_t mark, const yaml_char_t *anchor,
                            const yaml_char_t *tag) {
  if (anchor)
    return tree_fail(c, mark, "anchors and aliases are not supported");
  if (tag)
    return tree_fail(c, mark, "tags ('%s') are not supported", (const char *)tag);
  return 0;
}

static bool tree_expects_key(struct ctx *c) {
  if (c->depth == 0)
    return false;
  const struct node *p = node_at(c, c->stack[c->depth - 1]);
  return p->type == NODE_MAP && p->count % 2 == 0;
}

static int tree_scalar(struct ctx *c, const yaml_event_t *ev) {
  const yaml_char_t *v = ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  if (tree_check_props(c, ev->start_mark, ev->data.scalar.anchor, ev->data.scalar.tag))
    return -1;
  if (len > SCALAR_MAX)
    return tree_fail(c, ev->start_mark, "value longer than %u bytes", SCALAR_MAX);
  if (memchr(v, 0, len))
    return tree_fail(c, ev->start_mark, "value contains a NUL character");
  char *str = malloc(len + 1);
  if (!str)
    return tree_fail(c, ev->start_mark, "out of memory");
  memcpy(str, v, len);
  str[len] = '\0';
  uint32_t i = tree_add(c, NODE_SCALAR, ev->start_mark);
  if (!i) {
    free(str);
    return -1;
  }
  node_at(c, i)->str = str;
  node_at(c, i)->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
  return 0;
}

static int tree_open(struct ctx *c, enum node_type type, const yaml_event_t *ev,
                     const yaml_char_t *anchor, const yaml_char_t *tag) {
  if (tree_check_props(c, ev->start_mark, anchor, tag))
    return -1;
  if (tree_expects_key(c))
    return tree_fail(c, ev->start_mark, "a map key must be a plain value");
  if (c->depth == TREE_MAX_DEPTH)
    return tree_fail(c, ev->start_mark, "nested deeper than %u levels", TREE_MAX_DEPTH);
  uint32_t i = tree_add(c, type, ev->start_mark);
  if (!i)
    return -1;
  c->stack[c->depth++] = i;
  return 0;
}

/* Returns 0 to go on, 1 at the end of the stream, -1 on error. */
static int tree_event(struct ctx *c, const yaml_event_t *ev, int *docs) {
  switch (ev->type) {
  case YAML_DOCUMENT_START_EVENT:
    if (++*docs > 1)
      return tree_fail(c, ev->start_mark, "only one document per file");
    return 0;
  case YAML_STREAM_END_EVENT:
    return 1;
  case YAML_ALIAS_EVENT:
    return tree_fail(c, ev->start_mark, "anchors and aliases are not supported");
  case YAML_SCALAR_EVENT:
    return tree_scalar(c, ev);
  case YAML_SEQUENCE_START_EVENT:
    return tree_open(c, NODE_SEQ, ev, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
  case YAML_MAPPING_START_EVENT:
    return tree_open(c, NODE_MAP, ev, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT:
    if (c->depth)
      c->depth--;
    return 0;
  default:
    return 0;
  }
}

/* libyaml's own error, at its position: field "(document)". */
static int tree_yaml_error(struct ctx *c, const yaml_parser_t *p) {
  const char *problem = p->problem ? p->problem : "cannot parse";
  if (p->error == YAML_MEMORY_ERROR)
    return fail_pos(c, (struct scn_pos){1, 1}, "(document)", "out of memory");
  if (p->error == YAML_READER_ERROR) {
    struct scn_pos pos = pos_of_offset(c, p->problem_offset);
    if (p->problem_value >= 0)
      return fail_pos(c, pos, "(document)", "%s (byte 0x%02X)", problem,
                      (unsigned)p->problem_value);
    return fail_pos(c, pos, "(document)", "%s", problem);
  }
  struct scn_pos pos = pos_of_mark(p->problem_mark);
  if (p->context)
    return fail_pos(c, pos, "(document)", "%s (%s started at %zu:%zu)", problem, p->context,
                    p->context_mark.line + 1, p->context_mark.column + 1);
  return fail_pos(c, pos, "(document)", "%s", problem);
}

bool node_is_null(const struct node *n) {
  if (n->type != NODE_SCALAR || n->quoted)
    return false;
  return !strcmp(n->str, "") || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
         !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

static int tree_build(struct ctx *c) {
  yaml_parser_t p;
  yaml_event_t ev;
  int docs = 0, rc = 0;
  if (tree_grow(c) != 0 || !yaml_parser_initialize(&p))
    return fail_pos(c, (struct scn_pos){1, 1}, "(document)", "out of memory");
  memset(node_at(c, 0), 0, sizeof(struct node));
  c->nnodes = 1; /* index 0 is "no node" */
  yaml_parser_set_input_string(&p, c->buf, c->len);
  while (rc == 0) {
    if (!yaml_parser_parse(&p, &ev)) {
      rc = tree_yaml_error(c, &p);
      break;
    }
    rc = tree_event(c, &ev, &docs);
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&p);
  if (rc < 0)
    return -1;
  if (!c->root || node_is_null(node_at(c, c->root)))
    return fail_pos(c, (struct scn_pos){1, 1}, "(document)", "empty document");
  return 0;
}

static void tree_free(struct ctx *c) {
  for (uint32_t i = 1; i < c->nnodes && c->nodes; i++)
    free(c->nodes[i].str);
  free(c->nodes);
  c->nodes = NULL;
  c->nnodes = c->cap = 0;
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
  return fail(c, n, "expected %s, got %s", expected, node_describe(c, n, buf, sizeof buf));
}

/* A plain (unquoted, non-null) scalar: what numbers, sizes and times are. */
static int want_plain(struct ctx *c, uint32_t n, const char *expected) {
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
    return fail(c, n, "'%.40s' is too long (at most %zu characters)", v->str, cap - 1);
  memcpy(buf, v->str, len + 1);
  return 0;
}

static bool char_in(char ch, const char *set) { return ch && strchr(set, ch); }

static bool char_alnum(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* Every character alphanumeric or in extra; first a letter if asked. */
static bool name_valid(const char *s, bool letter_first, const char *extra) {
  if (!*s || (letter_first && (!char_alnum(*s) || (*s >= '0' && *s <= '9'))))
    return false;
  for (; *s; s++)
    if (!char_alnum(*s) && !char_in(*s, extra))
      return false;
  return true;
}

/* A name: [A-Za-z][A-Za-z0-9_-]{0,30} (partitions, parameters). */
static int node_ident(struct ctx *c, uint32_t n, char *buf, size_t cap) {
  if (node_text(c, n, buf, cap, "a name"))
    return -1;
  if (!name_valid(buf, true, "_-"))
    return fail(c, n, "'%s' is not a valid name (a letter, then letters, digits, _ or -)", buf);
  return 0;
}

static int node_uint(struct ctx *c, uint32_t n, uint64_t min, uint64_t max, uint64_t *out) {
  uint64_t v;
  if (want_plain(c, n, "an integer"))
    return -1;
  const char *s = node_at(c, n)->str;
  if (s[0] == '-')
    return fail(c, n, "negative values are not allowed, got %.40s", s);
  int rc = scn_parse_uint(s, &v);
  if (rc == -2)
    return fail(c, n, "number %.40s is too large", s);
  if (rc != 0)
    return fail_type(c, n, "an integer");
  if (v < min || v > max)
    return fail(c, n, "must be between %" PRIu64 " and %" PRIu64 ", got %s", min, max, s);
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
    return fail(c, n, "negative values are not allowed, got %.40s", s);
  int rc = scn_size_parse(s, &v);
  if (rc == -2)
    return fail(c, n, "size %.40s is too large", s);
  if (rc != 0)
    return fail_type(c, n, "a size like 64MiB (units KiB, MiB, GiB)");
  if (v < min || v > max)
    return fail(c, n, "must be between %s and %s, got %s", scn_size_format(min, lo, sizeof lo),
                scn_size_format(max, hi, sizeof hi), s);
  if (v % align)
    return fail(c, n, "must be a multiple of %s, got %s", scn_size_format(align, al, sizeof al), s);
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
    return fail(c, n, "time %s needs a unit (ns, us, ms or s), e.g. %sms", s, s);
  case SCN_TIME_FRACTION:
    return fail(c, n, "time %.40s is not a whole number of nanoseconds", s);
  case SCN_TIME_OVERFLOW:
    return fail(c, n, "time %.40s is too large", s);
  case SCN_TIME_SYNTAX:
    return fail_type(c, n, "a time like 10ms (units ns, us, ms, s)");
  case SCN_TIME_OK:
    break;
  }
  if (v < min || v > max)
    return fail(c, n, "must be between %s and %s, got %s", scn_time_format(min, lo, sizeof lo),
                scn_time_format(max, hi, sizeof hi), s);
  *out = v;
  return 0;
}

/* "10%" or 10. */
static int node_percent(struct ctx *c, uint32_t n, uint64_t min, uint64_t max, uint64_t *out) {
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
    return fail(c, n, "must be between %" PRIu64 "%% and %" PRIu64 "%%, got %s", min, max, s);
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
      return fail(c, k, "duplicate key '%s' (first at %" PRIu32 ":%" PRIu32 ")", key,
                  node_at(c, f[i].keynode)->pos.line, node_at(c, f[i].keynode)->pos.col);
    }
    f[i].node = v;
    f[i].keynode = k;
    return 0;
  }
  keys_list(f, nf, known, sizeof known);
  path_key(c, key);
  return fail(c, k, "unknown key '%.40s' (expected one of: %s)", key, known);
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
  return fail(c, map, "missing required key '%s'", f->key);
}

static int field_uint(struct ctx *c, const struct field *f, uint64_t min, uint64_t max,
                      uint64_t *out) {
  if (!f->node)
    return 0;
  size_t old = path_key(c, f->key);
  if (node_uint(c, f->node, min, max, out))
    return -1;
  path_restore(c, old);
  return 0;
}

static int field_time(struct ctx *c, const struct field *f, uint64_t min, uint64_t max,
                      uint64_t *out) {
  if (!f->node)
    return 0;
  size_t old = path_key(c, f->key);
  if (node_time(c, f->node, min, max, out))
    return -1;
  path_restore(c, old);
  return 0;
}

static int field_size(struct ctx *c, const struct field *f, uint64_t min, uint64_t max,
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
  return fail(c, f->keynode, "'%s' %s", f->key, why);
}

/* ---- references ----------------------------------------------------------- */

static int partition_find(const struct scenario *s, const char *name) {
  for (uint32_t i = 0; i < s->npartitions; i++)
    if (strcmp(s->partitions[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* A declared partition by name; "root" gives -2 when allow_root. */
static int node_partition(struct ctx *c, uint32_t n, bool allow_root, int32_t *out) {
  char name[SCN_NAME_MAX];
  if (node_text(c, n, name, sizeof name, "a partition name"))
    return -1;
  if (allow_root && strcmp(name, "root") == 0) {
    *out = -2;
    return 0;
  }
  int i = partition_find(c->s, name);
  if (i < 0)
    return fail(c, n, "unknown partition '%s' (not declared under partitions)", name);
  *out = i;
  return 0;
}

/* A name or a list of names of declared partitions, each at most once. */
static int node_targets(struct ctx *c, uint32_t n, uint32_t min, uint32_t *t, uint32_t *nt) {
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
    return fail(c, n, "needs %" PRIu32 " to %u partition names, got %" PRIu32, min, SCN_MAX_TARGETS,
                v->count);
  *nt = 0;
  uint32_t i = 0;
  for (uint32_t e = v->first; e; e = node_at(c, e)->next, i++) {
    size_t old = path_index(c, i);
    if (node_partition(c, e, false, &p))
      return -1;
    for (uint32_t j = 0; j < *nt; j++)
      if (t[j] == (uint32_t)p)
        return fail(c, e, "partition '%s' listed twice", node_at(c, e)->str);
    t[(*nt)++] = (uint32_t)p;
    path_restore(c, old);
  }
  return 0;
}

/* ---- machine, partitions ---------------------------------------------- */

static int scn_machine(struct ctx *c, uint32_t n) {
  enum { M_LPS, M_MEMORY, M_CPU_MHZ, M_SLICE, M_N };
  struct field f[M_N] = {{"lps", 0, 0}, {"memory", 0, 0}, {"cpu_mhz", 0, 0}, {"slice", 0, 0}};
  uint64_t lps = 0, slice_ns = NS_PER_MS;
  struct scenario *s = c->s;
  s->machine.cpu_mhz = 2000;
  if (map_collect(c, n, f, M_N) || field_require(c, n, &f[M_LPS]) ||
      field_require(c, n, &f[M_MEMORY]) || field_uint(c, &f[M_LPS], 1, LP_MAX, &lps) ||
      field_size(c, &f[M_MEMORY], 16 * MIB, 64 * GIB, 2 * MIB, &s->machine.memory_bytes) ||
      field_uint(c, &f[M_CPU_MHZ], 100, 10000, &s->machine.cpu_mhz) ||
      field_time(c, &f[M_SLICE], 10 * NS_PER_US, NS_PER_S, &slice_ns))
    return -1;
  if (slice_ns % NS_PER_US) {
    path_key(c, "slice");
    return fail(c, f[M_SLICE].node, "must be a whole number of microseconds");
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
    return fail(c, n, "at most %d parameters, got %" PRIu32, SCN_MAX_PARAMS, m->count / 2);
  for (uint32_t k = m->first; k; k = node_at(c, node_at(c, k)->next)->next) {
    struct scn_param *p = &part->params[part->nparams];
    size_t old = path_key(c, node_at(c, k)->str);
    if (node_ident(c, k, p->key, sizeof p->key))
      return -1;
    for (uint32_t j = 0; j < part->nparams; j++)
      if (strcmp(part->params[j].key, p->key) == 0)
        return fail(c, k, "duplicate key '%s'", p->key);
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
    return fail(c, f->node, "unknown program '%s' (known: %s)", p->program, known);
  }
  return 0;
}

static int scn_partition_name(struct ctx *c, const struct field *f, struct scn_partition *p) {
  size_t old = path_key(c, f->key);
  if (node_ident(c, f->node, p->name, sizeof p->name))
    return -1;
  if (strcmp(p->name, "root") == 0)
    return fail(c, f->node, "'root' is the root partition, not a VM");
  int prev = partition_find(c->s, p->name);
  if (prev >= 0)
    return fail(c, f->node, "duplicate partition name '%s' (first at line %" PRIu32 ")", p->name,
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
    return fail(c, f[K_PATH].node, "must not be empty");
  path_restore(c, old);
  return field_size(c, &f[K_SIZE], 64 * KIB, 4 * GIB, 4 * KIB, &p->disk_bytes);
}

/* A file named by node n: its path relative to the scenario file's
 * directory (absolute names as they are) into path, and its size; it must
 * be a regular file (checked before opening: a FIFO would block). */
int node_file_stat(struct ctx *c, uint32_t n, char *path, size_t cap, uint64_t *size) {
  char name[256];
  if (node_text(c, n, name, sizeof name, "a file path"))
    return -1;
  if (!name[0])
    return fail(c, n, "must not be empty");
  const char *slash = strrchr(c->file, '/');
  if (name[0] == '/' || !slash)
    snprintf(path, cap, "%s", name);
  else
    snprintf(path, cap, "%.*s/%s", (int)(slash - c->file), c->file, name);
  struct stat st;
  if (stat(path, &st) != 0)
    return fail(c, n, "%s: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fail(c, n, "%s: not a regular file", path);
  *size = (uint64_t)st.st_size;
  return 0;
}

/* Read the size bytes of file path (node_file_stat) whole into *data. */
int node_file_read(struct ctx *c, uint32_t n, const char *path, uint64_t size, uint8_t **data) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return fail(c, n, "%s: %s", path, strerror(errno));
  *data = malloc(size ? (size_t)size : 1);
  if (!*data) {
    fclose(f);
    return fail(c, n, "out of memory");
  }
  size_t got = fread(*data, 1, (size_t)size, f);
  fclose(f);
  if (got != (size_t)size) {
    free(*data);
    *data = 0;
    return fail(c, n, "%s: cannot read it whole", path);
  }
  return 0;
}

/* payload: FILE of a partition: a regular file that fits the VM's RAM
 * above GUEST_PAYLOAD_GPA, read whole now. */
static int scn_payload(struct ctx *c, uint32_t n, struct scn_partition *p) {
  char path[512];
  uint64_t size, room = p->memory_bytes > GUEST_PAYLOAD_GPA ? p->memory_bytes - GUEST_PAYLOAD_GPA : 0;
  if (node_file_stat(c, n, path, sizeof path, &size))
    return -1;
  if (!room)
    return fail(c, n, "%s: the payload goes at GPA 0x%llx, and the VM's memory ends there", path,
                (unsigned long long)GUEST_PAYLOAD_GPA);
  if (size == 0 || size > room)
    return fail(c, n, "%s: %" PRIu64 " bytes; the VM's memory holds 1 to %" PRIu64 " from GPA 0x%llx", path,
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
static void partition_release(struct scn_partition *p) {
  free(p->payload);
  scn_kernel_free(p->kernel);
  p->payload = 0;
  p->kernel = 0;
}

static int scn_partitions(struct ctx *c, uint32_t n) {
  const struct node *list = node_at(c, n);
  struct scenario *s = c->s;
  if (list->type != NODE_SEQ)
    return fail_type(c, n, "a list of partitions");
  if (list->count > SCN_MAX_PARTITIONS)
    return fail(c, n, "at most %d partitions, got %" PRIu32, SCN_MAX_PARTITIONS, list->count);
  if (list->count) {
    s->partitions = calloc(list->count, sizeof *s->partitions);
    if (!s->partitions)
      return fail(c, n, "out of memory");
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
    return fail(c, n, "'%s' is not a PCI address BB:DD.F (hex bus, device 00-1f, function 0-7)", s);
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
    return fail(c, f[D_NAME].node, "'%s' is not a valid device name", d->name);
  if (device_find(c->s, d->name) >= 0)
    return fail(c, f[D_NAME].node, "device '%s' declared twice", d->name);
  path_restore(c, old);
  path_key(c, "kind");
  if (node_text(c, f[D_KIND].node, kind, sizeof kind, "a device kind"))
    return -1;
  if (strcmp(kind, "nvme") != 0)
    return fail(c, f[D_KIND].node, "unknown device kind '%s' (expected: nvme)", kind);
  path_restore(c, old);
  path_key(c, "image");
  if (node_text(c, f[D_IMAGE].node, d->image, sizeof d->image, "a file path"))
    return -1;
  if (!d->image[0])
    return fail(c, f[D_IMAGE].node, "must not be empty");
  path_restore(c, old);
  if (f[D_BDF].node) {
    path_key(c, "bdf");
    if (node_bdf(c, f[D_BDF].node, &d->rid))
      return -1;
    for (uint32_t i = 0; i < c->s->ndevices; i++)
      if (c->s->devices[i].rid == d->rid)
        return fail(c, f[D_BDF].node, "bus address already used by device '%s'", c->s->devices[i].name);
    path_restore(c, old);
  }
  return field_size(c, &f[D_SIZE], 64 * KIB, 4 * GIB, 4 * KIB, &d->size_bytes) ||
                 field_time(c, &f[D_READ], 0, NS_PER_S, &d->read_ns) ||
                 field_time(c, &f[D_WRITE], 0, NS_PER_S, &d->write_ns) ||
                 field_time(c, &f[D_POLL], 100, NS_PER_MS, &d->poll_ns)
             ? -1
             : 0;
}

static int scn_devices(struct ctx *c, uint32_t n) {
  const struct node *list = node_at(c, n);
  if (list->type != NODE_SEQ)
    return fail_type(c, n, "a list of devices");
  if (list->count > SCN_MAX_DEVICES)
    return fail(c, n, "at most %d devices, got %" PRIu32, SCN_MAX_DEVICES, list->count);
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
    return fail(c, f->node, "unknown device '%s' (not declared under devices)", name);
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
  return fail(c, f->node, "'%s' is not one of: %s", w, expected);
}

/* assign: { device: disk0, to: db, vector: 0x50, vp: 0 } — unassign: { device: disk0 } */
static int scn_assign(struct ctx *c, uint32_t n, struct scn_action *a) {
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
    return fail(c, f[G_TO].node, "a device is assigned to one partition");
  if (field_uint(c, &f[G_VECTOR], 16, 255, &vector) ||
      field_uint(c, &f[G_VP], 0, c->s->partitions[a->targets[0]].vps - 1, &vp))
    return -1;
  a->dev.vector = (uint32_t)vector;
  a->dev.vp = (uint32_t)vp;
  return 0;
}

/* dma_storm: { device, count, period, bytes, pattern: sequential|random,
 * range: domain|anywhere } */
static int scn_dma_storm(struct ctx *c, uint32_t n, struct scn_action *a) {
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
static int scn_device_fault(struct ctx *c, uint32_t n, struct scn_action *a) {
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

/* ---- timeline ------------------------------------------------------------ */

static int scn_irq(struct ctx *c, uint32_t n, struct scn_action *a) {
  enum { I_DEVICE, I_VECTOR, I_LP, I_COUNT, I_PERIOD, I_N };
  struct field f[I_N] = {
      {"device", 0, 0}, {"vector", 0, 0}, {"lp", 0, 0}, {"count", 0, 0}, {"period", 0, 0}};
  uint64_t vector = 0, lp = 0, count = 1, period = 0;
  if (map_collect(c, n, f, I_N) || field_require(c, n, &f[I_DEVICE]) ||
      field_require(c, n, &f[I_VECTOR]))
    return -1;
  size_t old = path_key(c, "device");
  if (node_text(c, f[I_DEVICE].node, a->irq.device, sizeof a->irq.device, "a device name"))
    return -1;
  if (!name_valid(a->irq.device, false, "_.-"))
    return fail(c, f[I_DEVICE].node, "'%s' is not a valid device name", a->irq.device);
  path_restore(c, old);
  if (field_uint(c, &f[I_VECTOR], 16, 255, &vector) ||
      field_uint(c, &f[I_LP], 0, c->s->machine.lps - 1, &lp) ||
      field_uint(c, &f[I_COUNT], 1, 1000000, &count) ||
      field_time(c, &f[I_PERIOD], 0, (UINT64_MAX - a->at_ns) / count, &period))
    return -1;
  if (count > 1 && period == 0) {
    path_key(c, "period");
    return fail(c, f[I_PERIOD].node ? f[I_PERIOD].node : n,
                "must be greater than 0 when count is more than 1");
  }
  a->irq.vector = (uint32_t)vector;
  a->irq.lp = (uint32_t)lp;
  a->irq.count = (uint32_t)count;
  a->irq.period_ns = period;
  return 0;
}

/* connect: { from: a, to: b, id: 0x10, sint: 3, flags: 0 } */
static int scn_connect(struct ctx *c, uint32_t n, struct scn_action *a) {
  enum { C_FROM, C_TO, C_ID, C_SINT, C_FLAGS, C_N };
  struct field f[C_N] = {{"from", 0, 0}, {"to", 0, 0}, {"id", 0, 0}, {"sint", 0, 0}, {"flags", 0, 0}};
  uint64_t id = 0, sint = 0, flags = 0;
  uint32_t one;
  if (map_collect(c, n, f, C_N) || field_require(c, n, &f[C_FROM]) || field_require(c, n, &f[C_TO]) ||
      field_require(c, n, &f[C_ID]) || field_require(c, n, &f[C_SINT]))
    return -1;
  size_t old = path_key(c, "from");
  if (node_targets(c, f[C_FROM].node, 1, &a->targets[0], &one))
    return -1;
  path_restore(c, old);
  old = path_key(c, "to");
  if (node_targets(c, f[C_TO].node, 1, &a->targets[1], &one))
    return -1;
  path_restore(c, old);
  if (a->targets[0] == a->targets[1])
    return fail(c, f[C_TO].node, "a partition cannot connect to itself");
  if (field_uint(c, &f[C_ID], 1, 0xFFFFFF, &id) || field_uint(c, &f[C_SINT], 1, 15, &sint) ||
      field_uint(c, &f[C_FLAGS], 0, 2048, &flags))
    return -1;
  a->ntargets = 2;
  a->conn.id = (uint32_t)id;
  a->conn.sint = (uint32_t)sint;
  a->conn.flags = (uint32_t)flags;
  return 0;
}

/* route: { vector: 0x30, to: victim, as: 0x50, vp: 0 } */
static int scn_route(struct ctx *c, uint32_t n, struct scn_action *a) {
  enum { R_VECTOR, R_TO, R_AS, R_VP, R_N };
  struct field f[R_N] = {{"vector", 0, 0}, {"to", 0, 0}, {"as", 0, 0}, {"vp", 0, 0}};
  uint64_t vector = 0, as = 0, vp = 0;
  if (map_collect(c, n, f, R_N) || field_require(c, n, &f[R_VECTOR]) || field_require(c, n, &f[R_TO]))
    return -1;
  size_t old = path_key(c, "to");
  if (node_targets(c, f[R_TO].node, 1, &a->targets[0], &a->ntargets))
    return -1;
  path_restore(c, old);
  if (field_uint(c, &f[R_VECTOR], 16, 255, &vector) || field_uint(c, &f[R_AS], 16, 255, &as) ||
      field_uint(c, &f[R_VP], 0, c->s->partitions[a->targets[0]].vps - 1, &vp))
    return -1;
  a->ntargets = 1;
  a->route.vector = (uint32_t)vector;
  a->route.to_vector = (uint32_t)(f[R_AS].node ? as : vector);
  a->route.vp = (uint32_t)vp;
  return 0;
}

enum { A_AT, A_CREATE, A_START, A_STOP, A_PAUSE, A_RESUME, A_DELETE, A_INTERRUPT, A_CONNECT, A_ROUTE,
       A_ASSIGN, A_UNASSIGN, A_DMA_STORM, A_DEVICE_FAULT, A_SHUTDOWN, A_N };

/* Index of the one action key of a timeline item, or -1 with an error. */
static int action_pick(struct ctx *c, uint32_t n, const struct field *f) {
  int found = -1;
  for (int i = A_CREATE; i < A_N; i++) {
    if (!f[i].node)
      continue;
    if (found >= 0) {
      path_key(c, f[i].key);
      return fail(c, f[i].keynode, "one action per timeline item, found '%s' and '%s'",
                  f[found].key, f[i].key);
    }
    found = i;
  }
  if (found < 0)
    return fail(c, n,
                "needs an action: create, start, stop, pause, resume, delete, "
                "interrupt, connect, route, assign, unassign, dma_storm, device_fault or shutdown");
  return found;
}

static int scn_action(struct ctx *c, uint32_t n, struct scn_action *a) {
  struct field f[A_N] = {{"at", 0, 0},    {"create", 0, 0}, {"start", 0, 0},  {"stop", 0, 0},
                         {"pause", 0, 0}, {"resume", 0, 0}, {"delete", 0, 0}, {"interrupt", 0, 0},
                         {"connect", 0, 0}, {"route", 0, 0}, {"assign", 0, 0}, {"unassign", 0, 0},
                         {"dma_storm", 0, 0}, {"device_fault", 0, 0}, {"shutdown", 0, 0}};
  char until[24];
  a->pos = node_at(c, n)->pos;
  if (map_collect(c, n, f, A_N) || field_require(c, n, &f[A_AT]) ||
      field_time(c, &f[A_AT], 0, UINT64_MAX, &a->at_ns))
    return -1;
  int act = action_pick(c, n, f);
  if (act < 0)
    return -1;
  if (c->s->until_ns && a->at_ns > c->s->until_ns) {
    path_key(c, "at");
    return fail(c, f[A_AT].node, "after the end of the run (until: %s)",
                scn_time_format(c->s->until_ns, until, sizeof until));
  }
  a->kind = (enum scn_action_kind)(SCN_ACT_CREATE + (act - A_CREATE));
  path_key(c, f[act].key);
  if (act == A_INTERRUPT)
    return scn_irq(c, f[act].node, a);
  if (act == A_CONNECT)
    return scn_connect(c, f[act].node, a);
  if (act == A_ROUTE)
    return scn_route(c, f[act].node, a);
  if (act == A_ASSIGN || act == A_UNASSIGN)
    return scn_assign(c, f[act].node, a);
  if (act == A_DMA_STORM)
    return scn_dma_storm(c, f[act].node, a);
  if (act == A_DEVICE_FAULT)
    return scn_device_fault(c, f[act].node, a);
  if (node_targets(c, f[act].node, 1, a->targets, &a->ntargets))
    return -1;
  for (uint32_t i = 0; act == A_CREATE && i < a->ntargets; i++)
    c->s->partitions[a->targets[i]].explicit_create = true;
  return 0;
}

struct action_order {
  uint64_t at_ns;
  uint32_t index;
};

/* By time, then by position in the file: a stable order. */
static int action_order_cmp(const void *pa, const void *pb) {
  const struct action_order *a = pa, *b = pb;
  if (a->at_ns != b->at_ns)
    return a->at_ns < b->at_ns ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

static int actions_sort(struct ctx *c, uint32_t n) {
  struct scenario *s = c->s;
  struct action_order *order = calloc(s->nactions, sizeof *order);
  struct scn_action *sorted = calloc(s->nactions, sizeof *sorted);
  if (!order || !sorted) {
    free(order);
    free(sorted);
    return fail(c, n, "out of memory");
  }
  for (uint32_t i = 0; i < s->nactions; i++)
    order[i] = (struct action_order){s->actions[i].at_ns, i};
  qsort(order, s->nactions, sizeof *order, action_order_cmp);
  for (uint32_t i = 0; i < s->nactions; i++)
    sorted[i] = s->actions[order[i].index];
  free(order);
  free(s->actions);
  s->actions = sorted;
  return 0;
}

static int scn_timeline(struct ctx *c, uint32_t n) {
  const struct node *list = node_at(c, n);
  struct scenario *s = c->s;
  if (list->type != NODE_SEQ)
    return fail_type(c, n, "a list of timeline items");
  if (list->count > SCN_MAX_ACTIONS)
    return fail(c, n, "at most %d timeline items, got %" PRIu32, SCN_MAX_ACTIONS, list->count);
  if (list->count == 0)
    return 0;
  s->actions = calloc(list->count, sizeof *s->actions);
  if (!s->actions)
    return fail(c, n, "out of memory");
  uint32_t i = 0;
  for (uint32_t e = list->first; e; e = node_at(c, e)->next, i++) {
    size_t old = path_index(c, i);
    if (scn_action(c, e, &s->actions[i]))
      return -1;
    s->nactions++;
    path_restore(c, old);
  }
  return actions_sort(c, n);
}

/* ---- expectations ------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static void text_add(struct scn_expect *e, const char *fmt,
                                                           ...) {
  size_t len = strlen(e->text);
  va_list ap;
  if (len + 1 >= sizeof e->text)
    return;
  va_start(ap, fmt);
  vsnprintf(e->text + len, sizeof e->text - len, fmt, ap);
  va_end(ap);
}

static const char *partition_label(const struct scenario *s, int32_t i) {
  return i == -2 ? "root" : s->partitions[i].name;
}

static int state_entry(struct ctx *c, uint32_t k, struct scn_expect *e) {
  int32_t p;
  uint32_t v = node_at(c, k)->next;
  char name[32];
  if (node_partition(c, k, false, &p))
    return -1;
  for (uint32_t j = 0; j < e->ntargets; j++)
    if (e->targets[j] == (uint32_t)p)
      return fail(c, k, "partition '%s' listed twice", node_at(c, k)->str);
  if (node_text(c, v, name, sizeof name, "a VM state"))
    return -1;
  int st = scn_vm_state_parse(name);
  if (st < 0)
    return fail(c, v,
                "unknown VM state '%s' (Off, Starting, Running, Paused, "
                "Stopping, Deleted)",
                name);
  e->targets[e->ntargets] = (uint32_t)p;
  e->states[e->ntargets++] = (enum scn_vm_state)st;
  return 0;
}

static int exp_state(struct ctx *c, uint32_t n, struct scn_expect *e) {
  const struct node *m = node_at(c, n);
  char t[24];
  if (m->type != NODE_MAP)
    return fail_type(c, n, "a map of partition: state");
  if (m->count == 0 || m->count / 2 > SCN_MAX_TARGETS)
    return fail(c, n, "needs 1 to %d partitions", SCN_MAX_TARGETS);
  for (uint32_t k = m->first; k; k = node_at(c, node_at(c, k)->next)->next) {
    size_t old = path_key(c, node_at(c, k)->str);
    if (state_entry(c, k, e))
      return -1;
    path_restore(c, old);
  }
  text_add(e, "state");
  for (uint32_t i = 0; i < e->ntargets; i++)
    text_add(e, " %s=%s", c->s->partitions[e->targets[i]].name, scn_vm_state_name(e->states[i]));
  text_add(e, " at %s", scn_time_format(e->at_ns, t, sizeof t));
  return 0;
}

enum { F_EVENT, F_PARTITION, F_VP, F_CALL, F_STATUS, F_REASON, F_CODE, F_VALUE, F_N };

/* A list of every trace kind name, for the message about an unknown one. */
static void kinds_list(char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = '\0';
  for (int k = 0; k < HV_TR_KIND_COUNT && len < cap; k++) {
    const char *name = scn_trace_kind_name(k);
    int n = name ? snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", name) : 0;
    if (n < 0)
      break;
    len += (size_t)n;
  }
}

static int filter_event(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  char name[32], known[300];
  path_key(c, f->key);
  if (node_text(c, f->node, name, sizeof name, "an event kind"))
    return -1;
  flt->kind = scn_trace_kind_parse(name);
  if (flt->kind < 0) {
    kinds_list(known, sizeof known);
    return fail(c, f->node, "unknown event kind '%s' (known: %s)", name, known);
  }
  return 0;
}

static int filter_vp(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  uint64_t vp;
  uint64_t max = VP_MAX - 1;
  if (flt->partition >= 0)
    max = c->s->partitions[flt->partition].vps - 1;
  if (field_uint(c, f, 0, max, &vp))
    return -1;
  flt->vp = (int32_t)vp;
  return 0;
}

static int filter_call(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  char name[48];
  path_key(c, f->key);
  if (flt->kind != HV_TR_HYPERCALL)
    return fail(c, f->keynode, "'call' needs event: hypercall");
  if (node_text(c, f->node, name, sizeof name, "a hypercall name"))
    return -1;
  flt->call = scn_call_parse(name);
  if (flt->call < 0)
    return fail(c, f->node,
                "unknown hypercall '%s' (a TLFS name like "
                "HvCallCreatePartition, or a number)",
                name);
  return 0;
}

static int filter_status(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  char name[48];
  bool mgmt = flt->kind == HV_TR_MGMT, dma = flt->kind == HV_TR_DMA;
  path_key(c, f->key);
  if (flt->kind != HV_TR_HYPERCALL && !mgmt && !dma)
    return fail(c, f->keynode, "'status' needs event: hypercall, mgmt or dma");
  if (node_text(c, f->node, name, sizeof name, "a status name"))
    return -1;
  flt->status_not = name[0] == '!';
  const char *bare = name + (flt->status_not ? 1 : 0);
  if (dma) { /* the device's completion status field, a number */
    uint64_t v;
    if (scn_parse_uint(bare, &v) != 0 || v > 0x7FFF)
      return fail(c, f->node, "a device status is a number 0..0x7fff (0 = success), got '%s'", bare);
    flt->status = (int32_t)v;
    return 0;
  }
  flt->status = mgmt ? scn_mgmt_status_parse(bare) : scn_status_parse(bare);
  if (flt->status < 0)
    return fail(c, f->node,
                mgmt ? "unknown mgmt status '%s' (ok, invalid_state, "
                       "failed, not_found)"
                     : "unknown status '%s' (an HV_STATUS_ name like "
                       "ACCESS_DENIED, or a number)",
                bare);
  return 0;
}

static int filter_reason(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  char name[32];
  path_key(c, f->key);
  if (flt->kind != HV_TR_VP_EXIT)
    return fail(c, f->keynode, "'reason' needs event: vp_exit");
  if (node_text(c, f->node, name, sizeof name, "an exit reason"))
    return -1;
  flt->reason = scn_exit_reason_parse(name);
  if (flt->reason < 0)
    return fail(c, f->node,
                "unknown exit reason '%s' (hypercall, msr_read, "
                "msr_write, cpuid, io, hlt, gpa_violation, exception, "
                "preempt, interrupt, shutdown)",
                name);
  return 0;
}

/* code / value: a guest mark's code and value (event: guest). */
static int filter_mark(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  uint64_t v;
  if (flt->kind != HV_TR_GUEST) {
    path_key(c, f->key);
    return fail(c, f->keynode, "'%s' needs event: guest", f->key);
  }
  if (field_uint(c, f, 0, UINT64_MAX, &v))
    return -1;
  if (strcmp(f->key, "code") == 0) {
    flt->code = (int64_t)(v & 0x7FFFFFFFFFFFFFFFull);
  } else {
    flt->has_value = true;
    flt->value = v;
  }
  return 0;
}

/* Run a filter key's parser with the path restored afterwards. */
static int filter_key(struct ctx *c, const struct field *f, struct scn_filter *flt,
                      int (*parse)(struct ctx *, const struct field *, struct scn_filter *)) {
  size_t old = c->plen;
  if (!f->node)
    return 0;
  if (parse(c, f, flt))
    return -1;
  path_restore(c, old);
  return 0;
}

static int filter_partition(struct ctx *c, const struct field *f, struct scn_filter *flt) {
  path_key(c, f->key);
  return node_partition(c, f->node, true, &flt->partition);
}

static void filter_text(const struct scenario *s, struct scn_expect *e) {
  const struct scn_filter *f = &e->filter;
  const char *name;
  text_add(e, "count %s", scn_trace_kind_name(f->kind));
  if (f->partition != -1)
    text_add(e, " partition=%s", partition_label(s, f->partition));
  if (f->vp >= 0)
    text_add(e, " vp=%" PRId32, f->vp);
  if (f->call >= 0 && (name = scn_call_name(f->call)) != NULL)
    text_add(e, " call=%s", name);
  else if (f->call >= 0)
    text_add(e, " call=0x%" PRIx32, (uint32_t)f->call);
  name = f->kind == HV_TR_MGMT ? scn_mgmt_status_name(f->status) : scn_status_name(f->status);
  if (f->status >= 0 && name)
    text_add(e, " status=%s%s", f->status_not ? "!" : "", name);
  else if (f->status >= 0)
    text_add(e, " status=%s0x%" PRIx32, f->status_not ? "!" : "", (uint32_t)f->status);
  if (f->reason >= 0)
    text_add(e, " reason=%s", scn_exit_reason_name(f->reason));
  if (f->code >= 0)
    text_add(e, " code=%" PRId64, f->code);
  if (f->has_value)
    text_add(e, " value=%" PRIu64, f->value);
}

static int exp_filter(struct ctx *c, uint32_t n, struct scn_filter *flt) {
  struct field f[F_N] = {{"event", 0, 0}, {"partition", 0, 0}, {"vp", 0, 0},
                         {"call", 0, 0},  {"status", 0, 0},    {"reason", 0, 0},
                         {"code", 0, 0},  {"value", 0, 0}};
  *flt = (struct scn_filter){.kind = -1,
                             .partition = -1,
                             .vp = -1,
                             .call = -1,
                             .status = -1,
                             .status_not = false,
                             .reason = -1,
                             .code = -1};
  return map_collect(c, n, f, F_N) || field_require(c, n, &f[F_EVENT]) ||
                 filter_key(c, &f[F_EVENT], flt, filter_event) ||
                 filter_key(c, &f[F_PARTITION], flt, filter_partition) ||
                 filter_key(c, &f[F_VP], flt, filter_vp) ||
                 filter_key(c, &f[F_CALL], flt, filter_call) ||
                 filter_key(c, &f[F_STATUS], flt, filter_status) ||
                 filter_key(c, &f[F_REASON], flt, filter_reason) ||
                 filter_key(c, &f[F_CODE], flt, filter_mark) || filter_key(c, &f[F_VALUE], flt, filter_mark)
             ? -1
             : 0;
}

enum {
  E_AT,
  E_STATE,
  E_COUNT,
  E_ISOLATION,
  E_FAIR,
  E_LATENCY,
  E_EQUALS,
  E_AT_LEAST,
  E_AT_MOST,
  E_TOLERANCE,
  E_N
};

/* The comparator of a count expectation: exactly one of three keys. */
static int exp_compare(struct ctx *c, uint32_t n, const struct field *f, struct scn_expect *e) {
  static const char *const ops[] = {"==", ">=", "<="};
  int found = -1;
  for (int i = E_EQUALS; i <= E_AT_MOST; i++) {
    if (!f[i].node)
      continue;
    if (found >= 0) {
      path_key(c, f[i].key);
      return fail(c, f[i].keynode, "one comparison per count, found '%s' and '%s'", f[found].key,
                  f[i].key);
    }
    found = i;
  }
  if (found < 0)
    return fail(c, n, "count needs one of equals, at_least, at_most");
  e->cmp = (enum scn_cmp)(SCN_CMP_EQ + (found - E_EQUALS));
  if (field_uint(c, &f[found], 0, UINT64_MAX, &e->n))
    return -1;
  text_add(e, " %s %" PRIu64, ops[e->cmp], e->n);
  return 0;
}

/* latency: { event: timer|msg_deliver, ... }, at_most: 50us (or at_least) */
static int exp_latency(struct ctx *c, uint32_t n, const struct field *f, struct scn_expect *e) {
  size_t old = path_key(c, "latency");
  if (exp_filter(c, f[E_LATENCY].node, &e->filter))
    return -1;
  if (e->filter.kind != HV_TR_TIMER && e->filter.kind != HV_TR_MSG_DELIVER)
    return fail(c, f[E_LATENCY].node, "latency needs event: timer or msg_deliver");
  path_restore(c, old);
  if (f[E_EQUALS].node)
    return field_reject(c, &f[E_EQUALS], "does not go with latency (use at_most or at_least)");
  if (!!f[E_AT_LEAST].node == !!f[E_AT_MOST].node)
    return fail(c, n, "latency needs one of at_most, at_least");
  int which = f[E_AT_MOST].node ? E_AT_MOST : E_AT_LEAST;
  e->cmp = which == E_AT_MOST ? SCN_CMP_LE : SCN_CMP_GE;
  if (field_time(c, &f[which], 0, UINT64_MAX / 100000, &e->n))
    return -1;
  char t[24];
  filter_text(c->s, e); /* "count <kind> <filters>" */
  char tmp[sizeof e->text];
  snprintf(tmp, sizeof tmp, "latency%s", e->text + 5);
  memcpy(e->text, tmp, sizeof tmp);
  text_add(e, " %s %s", which == E_AT_MOST ? "<=" : ">=", scn_time_format(e->n, t, sizeof t));
  return 0;
}

static int exp_count(struct ctx *c, uint32_t n, const struct field *f, struct scn_expect *e) {
  size_t old = path_key(c, "count");
  if (exp_filter(c, f[E_COUNT].node, &e->filter))
    return -1;
  path_restore(c, old);
  filter_text(c->s, e);
  return exp_compare(c, n, f, e);
}

static int exp_isolation(struct ctx *c, const struct field *f, struct scn_expect *e) {
  const struct node *v = node_at(c, f->node);
  path_key(c, f->key);
  if (v->type != NODE_SCALAR || strcmp(v->str, "ok") != 0)
    return fail_type(c, f->node, "'ok'");
  text_add(e, "isolation ok");
  return 0;
}

static int exp_fair(struct ctx *c, const struct field *f, struct scn_expect *e) {
  uint64_t tol = 0;
  size_t old = path_key(c, f[E_FAIR].key);
  if (node_targets(c, f[E_FAIR].node, 2, e->targets, &e->ntargets))
    return -1;
  path_restore(c, old);
  path_key(c, f[E_TOLERANCE].key);
  if (node_percent(c, f[E_TOLERANCE].node, 1, 100, &tol))
    return -1;
  path_restore(c, old);
  e->tolerance_pct = (uint32_t)tol;
  text_add(e, "fair");
  for (uint32_t i = 0; i < e->ntargets; i++)
    text_add(e, " %s", c->s->partitions[e->targets[i]].name);
  text_add(e, " within %" PRIu32 "%%", e->tolerance_pct);
  return 0;
}

/* The kind of an expectation: exactly one of state, count, isolation, fair. */
static int exp_pick(struct ctx *c, uint32_t n, const struct field *f) {
  int found = -1;
  for (int i = E_STATE; i <= E_LATENCY; i++) {
    if (!f[i].node)
      continue;
    if (found >= 0) {
      path_key(c, f[i].key);
      return fail(c, f[i].keynode, "one expectation per item, found '%s' and '%s'", f[found].key,
                  f[i].key);
    }
    found = i;
  }
  if (found < 0)
    return fail(c, n, "needs one of state, count, isolation, fair, latency");
  return found;
}

/* Keys that belong to other kinds of expectation are errors. */
static int exp_reject_extra(struct ctx *c, const struct field *f, int kind) {
  if (kind != E_STATE && field_reject(c, &f[E_AT], "only goes with state"))
    return -1;
  for (int i = E_EQUALS; i <= E_AT_MOST && kind != E_COUNT && kind != E_LATENCY; i++)
    if (field_reject(c, &f[i], "only goes with count or latency"))
      return -1;
  if (kind != E_FAIR && field_reject(c, &f[E_TOLERANCE], "only goes with fair"))
    return -1;
  return 0;
}

static int exp_kind(struct ctx *c, uint32_t n, const struct field *f, int kind,
                    struct scn_expect *e) {
  char until[24];
  switch (kind) {
  case E_STATE:
    e->kind = SCN_EXP_STATE;
    if (field_require(c, n, &f[E_AT]) || field_time(c, &f[E_AT], 0, UINT64_MAX, &e->at_ns))
      return -1;
    if (c->s->until_ns && e->at_ns > c->s->until_ns) {
      path_key(c, "at");
      return fail(c, f[E_AT].node, "after the end of the run (until: %s)",
                  scn_time_format(c->s->until_ns, until, sizeof until));
    }
    path_key(c, "state");
    return exp_state(c, f[E_STATE].node, e);
  case E_COUNT:
    e->kind = SCN_EXP_COUNT;
    return exp_count(c, n, f, e);
  case E_ISOLATION:
    e->kind = SCN_EXP_ISOLATION;
    return exp_isolation(c, &f[E_ISOLATION], e);
  case E_LATENCY:
    e->kind = SCN_EXP_LATENCY;
    return exp_latency(c, n, f, e);
  default:
    e->kind = SCN_EXP_FAIR;
    return field_require(c, n, &f[E_TOLERANCE]) || exp_fair(c, f, e) ? -1 : 0;
  }
}

static int scn_expect_item(struct ctx *c, uint32_t n, struct scn_expect *e) {
  struct field f[E_N] = {{"at", 0, 0},        {"state", 0, 0},   {"count", 0, 0},
                         {"isolation", 0, 0}, {"fair", 0, 0},    {"latency", 0, 0},
                         {"equals", 0, 0},
                         {"at_least", 0, 0},  {"at_most", 0, 0}, {"tolerance", 0, 0}};
  e->pos = node_at(c, n)->pos;
  if (map_collect(c, n, f, E_N))
    return -1;
  int kind = exp_pick(c, n, f);
  if (kind < 0 || exp_reject_extra(c, f, kind))
    return -1;
  return exp_kind(c, n, f, kind, e);
}

static int scn_expects(struct ctx *c, uint32_t n) {
  const struct node *list = node_at(c, n);
  struct scenario *s = c->s;
  if (list->type != NODE_SEQ)
    return fail_type(c, n, "a list of expectations");
  if (list->count > SCN_MAX_EXPECTS)
    return fail(c, n, "at most %d expectations, got %" PRIu32, SCN_MAX_EXPECTS, list->count);
  if (list->count == 0)
    return 0;
  s->expects = calloc(list->count, sizeof *s->expects);
  if (!s->expects)
    return fail(c, n, "out of memory");
  uint32_t i = 0;
  for (uint32_t e = list->first; e; e = node_at(c, e)->next, i++) {
    size_t old = path_index(c, i);
    if (scn_expect_item(c, e, &s->expects[i]))
      return -1;
    s->nexpects++;
    path_restore(c, old);
  }
  return 0;
}

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
    return fail(c, root, "missing required key 'version'");
  if (want_plain(c, n, "an integer"))
    return -1;
  if (scn_parse_uint(node_at(c, n)->str, &v) != 0 || v != SCN_VERSION)
    return fail(c, n, "unsupported version %.40s, this hvsim reads version %d", node_at(c, n)->str,
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
    return fail(c, f->node, "'%s' is not a valid name (letters, digits, _ . -)", c->s->name);
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
  enum { T_VERSION, T_NAME, T_MACHINE, T_UNTIL, T_PARTITIONS, T_TIMELINE, T_EXPECT, T_DEVICES, T_N };
  struct field f[T_N] = {{"version", 0, 0}, {"name", 0, 0},       {"machine", 0, 0},
                         {"until", 0, 0},   {"partitions", 0, 0}, {"timeline", 0, 0},
                         {"expect", 0, 0},  {"devices", 0, 0}};
  if (node_at(c, root)->type != NODE_MAP)
    return fail_type(c, root, "a map of scenario keys (version, name, machine, ...)");
  return scn_version(c, root) || map_collect(c, root, f, T_N) ||
                 field_require(c, root, &f[T_NAME]) || field_require(c, root, &f[T_MACHINE]) ||
                 field_require(c, root, &f[T_PARTITIONS]) || scn_name(c, &f[T_NAME]) ||
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
    fail_pos(&c, (struct scn_pos){1, 1}, "(document)", "larger than %u bytes", SCN_MAX_FILE_BYTES);
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
