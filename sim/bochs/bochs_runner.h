/*
 * bochs_runner.h — `hvsim run --backend bochs-vmx|bochs-svm`: a scenario
 * on the bare-metal image (hv/arch/x86), executed by Debian's Bochs (level
 * 2): every instruction of the hypervisor and of the guests is really
 * executed by Bochs's x86 model, with its VT-x or AMD-V.
 *
 * The runner checks the scenario against what the image executes (one LP;
 * create/start/stop/pause/resume/delete; single interrupts; count, state
 * and isolation expectations — anything else is refused, naming
 * file:line:col), writes the run description as an option ROM, builds the
 * image if needed (make -C platform/bare, into build/image), writes the
 * bochsrc, runs bochs under `timeout -s INT`, collects the trace records
 * the image prints on port 0xE9, writes DIR/trace.bin (.jsonl,
 * .perfetto.json) like the simulator, and reports the instruction counts.
 */
#ifndef SIM_BOCHS_RUNNER_H
#define SIM_BOCHS_RUNNER_H

#include <stdint.h>

#include "sim/scenario/scenario.h"
#include "sim/world/run.h"

/* Run scn on the image for backend: "bochs-vmx", "bochs-svm", or
 * "qemu-svm" (the AMD image through multiboot on QEMU's TCG with -icount;
 * the run's files keep the same names, bochs.out being QEMU's debugcon).
 * The options are `hvsim run`'s: seed, until, stop_at (the records after
 * it are not judged), quiet, result_path, trace_dir (may be NULL: the
 * run's files then go to a temporary directory that is removed), the
 * options string for the trace header. hvsim_root is the source tree (for
 * the image's Makefile and build/image). Returns the process exit code: 0
 * every expectation held, 1 one failed or the image did not finish (the
 * verdict is ERROR then),
 * 2 bad input, an unsupported scenario element (message with
 * file:line:col), or bochs missing or failing. */
int bochs_backend_run(const char *backend, const struct scenario *scn, const struct run_opts *opts,
                      const char *hvsim_root);

#endif /* SIM_BOCHS_RUNNER_H */
