/*
 * tour.c — `hvsim tour`: lists the tour's chapters (the YAML files in scenarios/tour/,
 * sorted by file name) with the first line of each one's description, and
 * runs one: its scenario with a trace directory, then its run report, and
 * says where to open it. The chapters are ordinary scenarios: their
 * expectations and goldens are checked like any other's.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/report/report.h"
#include "sim/scenario/scenario.h"
#include "sim/world/run.h"
#include "tour.h"

#define TOUR_MAX 64

const char tour_usage[] =
    "usage: hvsim tour [N] [--trace-dir DIR]\n"
    "\n"
    "The guided tour of the architecture: one short scenario per box of the\n"
    "Hyper-V architecture diagram (scenarios/tour/), each explaining which\n"
    "events to look at.\n"
    "\n"
    "  hvsim tour              list the chapters\n"
    "  hvsim tour N            run chapter N (seed 1) into out/tour/NAME (or DIR),\n"
    "                          write its report.html there and print where to open it\n"
    "\n"
    "The report is one HTML file with no script or network use: open it offline.\n";

struct tour {
  char dir[PATH_MAX];
  char files[TOUR_MAX][256];
  unsigned n;
};

static int tour_cmp(const void *a, const void *b) { return strcmp(a, b); }

/* The chapters' folder: ./scenarios/tour when present (paths stay
 * relative, as in the goldens), else the source tree's. */
static int tour_find(struct tour *t, const char *root) {
  snprintf(t->dir, sizeof t->dir, "scenarios/tour");
  DIR *d = opendir(t->dir);
  if (!d) {
    snprintf(t->dir, sizeof t->dir, "%s/scenarios/tour", root);
    d = opendir(t->dir);
  }
  if (!d) {
    fprintf(stderr, "hvsim: tour: no scenarios/tour here nor in %s\n", root);
    return -1;
  }
  struct dirent *e;
  while ((e = readdir(d)) && t->n < TOUR_MAX) {
    size_t len = strlen(e->d_name);
    if (len > 5 && len < sizeof t->files[0] && strcmp(e->d_name + len - 5, ".yaml") == 0)
      snprintf(t->files[t->n++], sizeof t->files[0], "%s", e->d_name);
  }
  closedir(d);
  qsort(t->files, t->n, sizeof t->files[0], tour_cmp);
  return 0;
}

/* The description's first line, trimmed, into buf. */
static void tour_summary(const char *desc, char *buf, size_t cap) {
  size_t len = strcspn(desc, "\n");
  while (len && (desc[len - 1] == ' ' || desc[len - 1] == '.'))
    len--;
  snprintf(buf, cap, "%.*s", (int)len, desc);
}

static int tour_list(const struct tour *t) {
  printf("The hvsim tour: one chapter per box of the architecture (run one: hvsim tour N)\n\n");
  int code = 0;
  for (unsigned i = 0; i < t->n; i++) {
    char path[PATH_MAX + 300], line[200];
    struct scenario s;
    struct scn_error err;
    snprintf(path, sizeof path, "%s/%s", t->dir, t->files[i]);
    if (scenario_load(path, &s, &err) != 0) {
      fprintf(stderr, "%s\n", err.msg);
      code = 2;
      continue;
    }
    tour_summary(s.description, line, sizeof line);
    printf("%3u  %s \xe2\x80\x94 %s\n", i + 1, s.name, line[0] ? line : "(no description)");
    scenario_free(&s);
  }
  return code;
}

static int tour_run(const struct tour *t, unsigned n, const char *trace_dir) {
  char path[PATH_MAX + 300], dir[PATH_MAX], out[PATH_MAX + 40], err[600];
  snprintf(path, sizeof path, "%s/%s", t->dir, t->files[n - 1]);
  struct scenario s;
  struct scn_error serr;
  if (scenario_load(path, &s, &serr) != 0) {
    fprintf(stderr, "%s\n", serr.msg);
    return 2;
  }
  if (trace_dir)
    snprintf(dir, sizeof dir, "%s", trace_dir);
  else
    snprintf(dir, sizeof dir, "out/tour/%.*s", (int)(strlen(t->files[n - 1]) - 5), t->files[n - 1]);
  printf("chapter %u: %s\n\n%s\n", n, s.name, s.description);
  struct run_opts o;
  memset(&o, 0, sizeof o);
  o.seed = 1;
  o.quiet = true;
  o.trace_dir = dir;
  int code = run_scenario(&s, &o);
  scenario_free(&s);
  if (code == 2 || code == 3)
    return code;
  if (report_write(dir, 0, out, sizeof out, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim: tour: report: %s\n", err);
    return 3;
  }
  char abs[PATH_MAX];
  printf("\nreport: %s\nopen it: file://%s\n", out, realpath(out, abs) ? abs : out);
  return code;
}

int tour_main(int argc, char **argv, const char *root) {
  const char *trace_dir = 0, *which = 0;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--trace-dir") == 0 && i + 1 < argc)
      trace_dir = argv[++i];
    else if (argv[i][0] != '-' && !which)
      which = argv[i];
    else {
      fprintf(stderr, "hvsim: tour: unexpected argument: %s\n(see hvsim tour --help)\n", argv[i]);
      return 2;
    }
  }
  struct tour *t = calloc(1, sizeof *t);
  if (!t)
    return 3;
  int code;
  uint64_t n = 0;
  if (tour_find(t, root) != 0)
    code = 2;
  else if (!which)
    code = tour_list(t);
  else if (scn_parse_uint(which, &n) != 0 || n < 1 || n > t->n) {
    fprintf(stderr, "hvsim: tour: no chapter %s (chapters 1 to %u; hvsim tour lists them)\n", which, t->n);
    code = 2;
  } else
    code = tour_run(t, (unsigned)n, trace_dir);
  free(t);
  return code;
}
