/*
 * bochs_runner.c — level 2 runner (in progress: the bare-metal image and
 * its runner are being built under hv/arch/x86 and sim/bochs). Until the
 * runner lands, the bochs backends refuse to run with a clear error.
 */
#include "bochs_runner.h"

#include <stdio.h>

int bochs_backend_run(const char *backend, const struct scenario *scn, uint64_t seed,
                      const char *trace_dir, const char *hvsim_root) {
  (void)seed;
  (void)trace_dir;
  (void)hvsim_root;
  fprintf(stderr, "hvsim: %s: backend %s is not available in this build yet\n", scn->path, backend);
  return 2;
}
