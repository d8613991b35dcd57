/*
 * fuzz_scenario.c — the `scenario` harness: arbitrary bytes to the
 * scenario parser and validator (sim/scenario/scenario.c, scenario_load_mem).
 *
 * A scenario file is untrusted input: whatever the bytes, loading must
 * return 0 (then scenario_free releases everything) or -1 with a message,
 * never crash, read out of bounds or leak (ASan, UBSan, LeakSanitizer).
 * Oracles beyond the sanitizers: a rejected file leaves a non-empty,
 * terminated error message; an accepted one has a version, a name and a
 * machine within the documented limits.
 */
#include <string.h>

#include "fuzz_common.h"
#include "sim/scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct scenario scn;
  struct scn_error err;
  memset(&err, 0, sizeof err);
  fz_context("scenario_load_mem of %zu bytes", size);
  if (scenario_load_mem("fuzz.yaml", data, size, &scn, &err) != 0) {
    FZ_CHECK(err.msg[0] != 0, "a rejected scenario has no error message");
    FZ_CHECK(memchr(err.msg, 0, sizeof err.msg) != 0, "the error message is not terminated");
    return 0;
  }
  FZ_CHECK(scn.version >= 1, "accepted scenario with version %u", scn.version);
  FZ_CHECK(memchr(scn.name, 0, sizeof scn.name) != 0 && scn.name[0], "accepted scenario without a name");
  FZ_CHECK(scn.machine.lps >= 1 && scn.machine.lps <= 64, "accepted %u LPs", scn.machine.lps);
  scenario_free(&scn);
  return 0;
}
