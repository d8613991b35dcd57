/*
 * bochs_runner.h — level 2: run a scenario on Bochs's x86 CPU model with
 * the bare-metal image (VMX or SVM backend).
 */
#ifndef SIM_BOCHS_RUNNER_H
#define SIM_BOCHS_RUNNER_H

#include <stdint.h>

#include "../scenario.h"

/* backend: "bochs-vmx" or "bochs-svm". Returns the exit code: 0 ok, 1 an
 * expectation failed, 2 bad input or an action the image cannot do. */
int bochs_backend_run(const char *backend, const struct scenario *scn, uint64_t seed,
                      const char *trace_dir, const char *hvsim_root);

#endif /* SIM_BOCHS_RUNNER_H */
