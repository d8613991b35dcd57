/*
 * parse.h — shared by the scenario parser's files (sim/scenario): the
 * node tree libyaml's events become (parse_tree.c), the field paths,
 * errors and value syntax (parse_util.c), and the sections that fill a
 * struct scenario (partitions.c, devices.c, timeline.c, expect.c;
 * scenario.c: the document and the entry points).
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
#ifndef SIM_SCENARIO_PARSE_H
#define SIM_SCENARIO_PARSE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "scenario.h"

#define TREE_MAX_NODES 65536u
#define TREE_MAX_DEPTH 16u
#define SCALAR_MAX 1024u
#define KIB UINT64_C(1024)
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define NS_PER_US UINT64_C(1000)
#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)
#define VP_MAX 64u
#define LP_MAX 64u

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

/* ---- shared between the parser's files ---------------------------------- */

/* parse_util.c: files a scenario names (relative to the scenario file) */
int node_file_stat(struct ctx *c, uint32_t n, char *path, size_t cap, uint64_t *size);
int node_file_read(struct ctx *c, uint32_t n, const char *path, uint64_t size, uint8_t **data);

/* partitions.c: what a partition owns (payload, kernel files), released */
void partition_release(struct scn_partition *p);

/* parse_tree.c: the node tree */
bool node_is_null(const struct node *n);
int tree_build(struct ctx *c);
void tree_free(struct ctx *c);

/* parse_util.c: errors, field paths, value syntax, schema maps, references */
/* An error at pos (for field), or at node n for the field at the current
 * path: the one line "file:line:col: field: message". Both return -1. */
__attribute__((format(printf, 4, 5))) int scn_fail_pos(struct ctx *c, struct scn_pos pos, const char *field,
                                                       const char *fmt, ...);
__attribute__((format(printf, 3, 4))) int scn_fail(struct ctx *c, uint32_t n, const char *fmt, ...);
void err_sanitize(char *msg);
void err_vwrite(struct ctx *c, struct scn_pos pos, const char *field, const char *fmt,
                       va_list ap);
int fail_type(struct ctx *c, uint32_t n, const char *expected);
int field_reject(struct ctx *c, const struct field *f, const char *why);
int field_require(struct ctx *c, uint32_t map, const struct field *f);
int field_size(struct ctx *c, const struct field *f, uint64_t min, uint64_t max,
                      uint64_t align, uint64_t *out);
int field_time(struct ctx *c, const struct field *f, uint64_t min, uint64_t max,
                      uint64_t *out);
int field_uint(struct ctx *c, const struct field *f, uint64_t min, uint64_t max,
                      uint64_t *out);
int map_collect(struct ctx *c, uint32_t n, struct field *f, size_t nf);
bool name_valid(const char *s, bool letter_first, const char *extra);
struct node *node_at(struct ctx *c, uint32_t i);
int node_ident(struct ctx *c, uint32_t n, char *buf, size_t cap);
int node_partition(struct ctx *c, uint32_t n, bool allow_root, int32_t *out);
int node_percent(struct ctx *c, uint32_t n, uint64_t min, uint64_t max, uint64_t *out);
int node_targets(struct ctx *c, uint32_t n, uint32_t min, uint32_t *t, uint32_t *nt);
int node_text(struct ctx *c, uint32_t n, char *buf, size_t cap, const char *expected);
int node_uint(struct ctx *c, uint32_t n, uint64_t min, uint64_t max, uint64_t *out);
int partition_find(const struct scenario *s, const char *name);
size_t path_index(struct ctx *c, uint32_t i);
size_t path_key(struct ctx *c, const char *key);
void path_restore(struct ctx *c, size_t len);
int want_plain(struct ctx *c, uint32_t n, const char *expected);

/* partitions.c: machine, partitions */
int scn_machine(struct ctx *c, uint32_t n);
int scn_partitions(struct ctx *c, uint32_t n);

/* devices.c: devices and their timeline actions */
int scn_assign(struct ctx *c, uint32_t n, struct scn_action *a);
int scn_device_fault(struct ctx *c, uint32_t n, struct scn_action *a);
int scn_devices(struct ctx *c, uint32_t n);
int scn_dma_storm(struct ctx *c, uint32_t n, struct scn_action *a);

/* timeline.c: the timeline */
int scn_action(struct ctx *c, uint32_t n, struct scn_action *a);
int scn_timeline(struct ctx *c, uint32_t n);

/* expect.c: expectations */
int scn_expects(struct ctx *c, uint32_t n);

#endif /* SIM_SCENARIO_PARSE_H */
