/*
 * parse_tree.c — libyaml's event stream turned into the parser's node
 * tree, refusing what schema version 1 never needs (see parse.h).
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
    return scn_fail_pos(c, (struct scn_pos){1, 1}, "(document)", "out of memory");
  if (p->error == YAML_READER_ERROR) {
    struct scn_pos pos = pos_of_offset(c, p->problem_offset);
    if (p->problem_value >= 0)
      return scn_fail_pos(c, pos, "(document)", "%s (byte 0x%02X)", problem,
                      (unsigned)p->problem_value);
    return scn_fail_pos(c, pos, "(document)", "%s", problem);
  }
  struct scn_pos pos = pos_of_mark(p->problem_mark);
  if (p->context)
    return scn_fail_pos(c, pos, "(document)", "%s (%s started at %zu:%zu)", problem, p->context,
                    p->context_mark.line + 1, p->context_mark.column + 1);
  return scn_fail_pos(c, pos, "(document)", "%s", problem);
}

bool node_is_null(const struct node *n) {
  if (n->type != NODE_SCALAR || n->quoted)
    return false;
  return !strcmp(n->str, "") || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
         !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

int tree_build(struct ctx *c) {
  yaml_parser_t p;
  yaml_event_t ev;
  int docs = 0, rc = 0;
  if (tree_grow(c) != 0 || !yaml_parser_initialize(&p))
    return scn_fail_pos(c, (struct scn_pos){1, 1}, "(document)", "out of memory");
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
    return scn_fail_pos(c, (struct scn_pos){1, 1}, "(document)", "empty document");
  return 0;
}

void tree_free(struct ctx *c) {
  for (uint32_t i = 1; i < c->nnodes && c->nodes; i++)
    free(c->nodes[i].str);
  free(c->nodes);
  c->nodes = NULL;
  c->nnodes = c->cap = 0;
}
