/*
 * scenario_parse.h — the scenario parser's insides, shared by the files
 * that validate parts of a scenario (scenario.c, scenario_kernel.c): the
 * node tree libyaml's events become, the validation context, the schema
 * map matcher and the error and field-path helpers. Not an interface for
 * anything outside the parser: everything else includes scenario.h.
 */
#ifndef SIM_SCENARIO_PARSE_H
#define SIM_SCENARIO_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

#define TREE_MAX_DEPTH 16u

enum node_type { NODE_SCALAR, NODE_MAP, NODE_SEQ };

/* One YAML node. Children are a singly linked list; a map's children are
 * key, value, key, value, ... (keys are always scalars). Index 0 is "no
 * node". */
struct node {
  enum node_type type;
  bool quoted; /* scalar not in plain style: always a string */
  struct scn_pos pos;
  char *str; /* scalar text, NUL-terminated; NULL for maps and lists */
  uint32_t first, last, next;
  uint32_t count;
};

struct ctx {
  const char *file;
  const uint8_t *buf;
  size_t len;
  struct node *nodes;
  uint32_t nnodes, cap;
  uint32_t stack[TREE_MAX_DEPTH]; /* open maps and lists */
  uint32_t keys[TREE_MAX_DEPTH];  /* last key added to each open map */
  uint32_t depth;
  uint32_t root;
  char path[256]; /* dotted path of the field being validated */
  size_t plen;
  struct scn_error *err;
  bool failed;
  struct scenario *s;
};

/* A key a schema map accepts, and the nodes found for it. */
struct field {
  const char *key;
  uint32_t node;    /* value node, 0 when absent */
  uint32_t keynode; /* key node */
};

struct node *node_at(struct ctx *c, uint32_t i);
bool node_is_null(const struct node *n);
/* Error at node n for the field at the current path. Returns -1. */
__attribute__((format(printf, 3, 4))) int fail(struct ctx *c, uint32_t n, const char *fmt, ...);
/* "expected X, got <what n is>". Returns -1. */
int fail_type(struct ctx *c, uint32_t n, const char *expected);
/* Append ".key" / "[i]" to the field path; return the length to restore. */
size_t path_key(struct ctx *c, const char *key);
size_t path_index(struct ctx *c, uint32_t i);
void path_restore(struct ctx *c, size_t len);
/* Any non-null scalar, copied into buf (cap includes the NUL). */
int node_text(struct ctx *c, uint32_t n, char *buf, size_t cap, const char *expected);
/* Match the entries of map n against the keys f accepts. */
int map_collect(struct ctx *c, uint32_t n, struct field *f, size_t nf);
/* Error at map n: the required key f is absent. */
int field_require(struct ctx *c, uint32_t map, const struct field *f);
/* Error at the key of f: it does not go with the item's other keys. */
int field_reject(struct ctx *c, const struct field *f, const char *why);
/* A file named by node n: its path (relative names: to the scenario
 * file's directory) and size; a regular file. Then read whole into *data
 * (malloc'd; the caller frees). Errors at n. */
int node_file_stat(struct ctx *c, uint32_t n, char *path, size_t cap, uint64_t *size);
int node_file_read(struct ctx *c, uint32_t n, const char *path, uint64_t size, uint8_t **data);

#endif /* SIM_SCENARIO_PARSE_H */
