/*
 * fuzz_vmbus.c — the `vmbus` harness: packets and ring states from a
 * hostile child to each VSP of the root partition (storage, network and
 * its switch, heartbeat, shutdown, time sync) and to the VMBus server's
 * channel protocol.
 *
 * The input is the script of the `vmbus-script` guest program
 * (models/child/hostile/vmbus_script.c documents the operations): a child VM,
 * "evil", runs it as its payload — it opens channels properly or not,
 * writes packets of any type and length into its rings, scribbles over
 * indices, masks and data, posts raw channel messages, builds GPADLs over
 * any pages. Beside it two well-behaved VMs use the same root server:
 * "store" does verified storage I/O on its own channel and disk, "peer"
 * brings up its synthetic NIC and sends frames to evil's MAC through the
 * switch (delivered into evil's receive buffer when it set one up, as
 * evil's frames reach peer's). Each input is
 * one complete, deterministic run of the whole machine on the model
 * simulator: the hypervisor, the root's VID/VMMS/VMWP/VMBus server and
 * both children as guest software, nothing stubbed. There is no reset to
 * get wrong — the world is built anew from the scenario below (about two
 * thousand hypercalls of boot and VM creation before the script starts).
 *
 * Oracles, beyond ASan and UBSan over everything (core, root, VSPs):
 *   - store finished its I/O, every read matching its shadow copy,
 *     without an error (MARK_DONE, no MARK_ERROR, no MARK_VERIFY_FAIL);
 *     peer's NIC came up and sent its frames without an error;
 *   - the root kept serving: stopping the evil VM after the script
 *     succeeds (its state is Off), the neighbours are still Running, and
 *     no management request failed;
 *   - the isolation invariant holds at the end of the run;
 *   - with HVSIM_FUZZ_VERIFY=1 (the seed test), the run is repeated and
 *     must give the same trace digest.
 * A failure prints the run's report (expectations, summary) and aborts.
 * HVSIM_FUZZ_TRACE=1 (`hvsim replay vmbus INPUT`) prints the report of
 * every run; HVSIM_FUZZ_TRACE_DIR=DIR also writes its trace files there
 * (`hvsim trace dump DIR`).
 *
 * The disks are memory files (memfd), emptied before every run.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "sim/world/run.h"
#include "sim/scenario/scenario.h"
#include "sim/machine/sim.h"

#define FZV_EVIL_PAYLOAD_MAX (1u << 20) /* 4 MiB VM, payload from 3 MiB */

static const char fzv_yaml[] =
    "version: 1\n"
    "name: fuzz-vmbus\n"
    "machine: { lps: 2, memory: 28MiB }\n"
    "until: 8ms\n"
    "partitions:\n"
    "  - { name: evil, memory: 4MiB, vps: 1, program: vmbus-script, disk: { path: %s, size: 64KiB } }\n"
    "  - { name: store, memory: 8MiB, vps: 1, program: vmbus-storage, params: { ops: 24, region: 64 },\n"
    "      disk: { path: %s, size: 64KiB } }\n"
    "  - { name: peer, memory: 4MiB, vps: 1, program: vmbus-network,\n"
    "      params: { self: 3, peer: 1, frames: 4, expect: 0 } }\n"
    "timeline:\n"
    "  - { at: 0ms, start: [evil, store, peer] }\n"
    "  - { at: 3ms, stop: [evil] }\n"
    "expect:\n"
    "  - { count: { event: guest, partition: store, code: 2, value: 24 }, equals: 1 }\n"
    "  - { count: { event: guest, partition: store, code: 3 }, equals: 0 }\n"
    "  - { count: { event: guest, partition: store, code: 6 }, equals: 0 }\n"
    "  - { count: { event: guest, partition: peer, code: 2 }, equals: 1 }\n"
    "  - { count: { event: guest, partition: peer, code: 3 }, equals: 0 }\n"
    "  - { state: { evil: Off, store: Running, peer: Running }, at: 7900us }\n"
    "  - { count: { event: mgmt, status: \"!ok\" }, equals: 0 }\n"
    "  - { isolation: ok }\n";

static struct {
  bool ready;
  int disk_fd[2];
  struct scenario scn;
} fzv;

static void fzv_init(void) {
  char yaml[sizeof fzv_yaml + 128], path[2][64];
  for (int i = 0; i < 2; i++) {
    fzv.disk_fd[i] = memfd_create(i ? "hvsim-fuzz-store.img" : "hvsim-fuzz-evil.img", MFD_CLOEXEC);
    FZ_CHECK(fzv.disk_fd[i] > 2, "memfd_create failed");
    snprintf(path[i], sizeof path[i], "/proc/self/fd/%d", fzv.disk_fd[i]);
  }
  int n = snprintf(yaml, sizeof yaml, fzv_yaml, path[0], path[1]);
  FZ_CHECK(n > 0 && (size_t)n < sizeof yaml, "the harness's scenario does not fit");
  /* A traced run records the scenario's hash: the file goes beside the trace. */
  char name[1024] = "fuzz-vmbus.yaml";
  const char *dir = fz_verbose() ? getenv("HVSIM_FUZZ_TRACE_DIR") : 0;
  if (dir && *dir) {
    snprintf(name, sizeof name, "%s/fuzz-vmbus.yaml", dir);
    mkdir(dir, 0755);
    FILE *f = fopen(name, "w");
    FZ_CHECK(f && fwrite(yaml, 1, (size_t)n, f) == (size_t)n && fclose(f) == 0, "cannot write %s", name);
  }
  struct scn_error err;
  memset(&err, 0, sizeof err);
  if (scenario_load_mem(name, (const uint8_t *)yaml, (size_t)n, &fzv.scn, &err) != 0)
    fz_fail("the harness's scenario does not load: %s", err.msg);
  sim_recycle_memory(true); /* each input's machine reuses the last one's zeroed memory */
  fzv.ready = true;
}

/* One run with the script as the evil VM's payload; returns run_scenario's code. */
static int fzv_run(const uint8_t *data, size_t size, bool report, const char *trace_dir, char digest[65]) {
  for (int i = 0; i < 2; i++) /* empty disks: run_vmbus_setup grows them back, zero-filled */
    FZ_CHECK(ftruncate(fzv.disk_fd[i], 0) == 0, "cannot empty the memory disk");
  struct run_opts *o = calloc(1, sizeof *o);
  FZ_CHECK(o != 0, "out of memory");
  o->seed = 1;
  o->quiet = true;
  o->silent = !report;
  o->trace_dir = trace_dir;
  o->digest_out = digest;
  o->payload[0].data = data;
  o->payload[0].len = size;
  snprintf(o->options, sizeof o->options, "fuzz vmbus: %zu-byte script", size);
  fflush(stdout);
  int code = run_scenario(&fzv.scn, o);
  fflush(stdout);
  free(o);
  return code;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!fzv.ready)
    fzv_init();
  if (size == 0 || size > FZV_EVIL_PAYLOAD_MAX)
    return -1; /* no script, or larger than the VM takes: not an input (the VM would not start) */
  fz_context("vmbus script of %zu bytes", size);
  char digest[65] = "", again[65] = "";
  bool verbose = fz_verbose();
  const char *v = getenv("HVSIM_FUZZ_VERIFY");
  bool verify = v && *v && *v != '0';
  int code = fzv_run(data, size, verbose, verbose ? getenv("HVSIM_FUZZ_TRACE_DIR") : 0, verify ? digest : 0);
  if (code == 2)
    fz_fail("the run could not be set up (see above)");
  if (code != 0) {
    if (!verbose)
      fzv_run(data, size, true, 0, again); /* print the report: which expectation failed */
    fz_fail("an oracle expectation failed: the neighbour, the root or isolation (report above)");
  }
  if (verify) {
    FZ_CHECK(fzv_run(data, size, false, 0, again) == 0, "the second run failed");
    FZ_CHECK(strcmp(digest, again) == 0, "two runs of the same script differ: digest %s then %s", digest, again);
  }
  return 0;
}
