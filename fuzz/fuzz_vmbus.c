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
 * evil's frames reach peer's). The hypervisor, the root's
 * VID/VMMS/VMWP/VMBus server and all three children run as guest
 * software, nothing stubbed.
 *
 * Snapshot fuzzing (issue 17): the world is built once — boot, the
 * neighbours started, their channels set up and their work done, evil
 * created with a one-byte placeholder payload, connected to the VMBus
 * server with the offers taken (program parameter `lazy: 1`: it marks
 * MARK_SCRIPT, then reads its script's length from its boot block) — up
 * to that mark, and checkpointed whole (sim/machine/checkpoint.h).
 * Each input restores that checkpoint (only what the last input changed:
 * the pages it wrote, the live stacks, the run's state blocks, the disk
 * writes rolled back by the journal), writes the script into evil's RAM
 * at its payload GPA and its length into evil's boot block — where the
 * root's worker put the placeholder — and runs the world to its end. A
 * finding replays exactly through this harness (`hvsim replay vmbus
 * FILE`); as the `payload:` of scenarios/vmbus-script.yaml the same script
 * runs in that scenario's world (neighbours working beside it).
 * HVSIM_FUZZ_NO_SNAPSHOT=1 builds this world anew for every input instead
 * (the script loaded by the worker; about 19 times slower, fuzz/README.md).
 *
 * Oracles, beyond ASan and UBSan over everything (core, root, VSPs):
 *   - store finished its I/O, every read matching its shadow copy,
 *     without an error (MARK_DONE, no MARK_ERROR, no MARK_VERIFY_FAIL);
 *     peer's NIC came up and sent its frames without an error;
 *   - the root kept serving: stopping the evil VM after the script
 *     succeeds (its state is Off 2.9 ms after the stop: a script that
 *     leaves 64 MiB GPADLs behind keeps the root busy tearing them down
 *     for about 2 ms), the neighbours are still Running, and no
 *     management request failed;
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
#include "hv/core/objects.h"
#include "hvsim/guest_boot.h"
#include "models/child/child.h"
#include "models/guest/guest.h"
#include "sim/world/run.h"
#include "sim/scenario/scenario.h"
#include "sim/machine/sim.h"

#define FZV_EVIL_PAYLOAD_MAX (1u << 20) /* 4 MiB VM, payload from 3 MiB */

static const char fzv_yaml[] =
    "version: 1\n"
    "name: fuzz-vmbus\n"
    "machine: { lps: 2, memory: 28MiB }\n"
    "until: 6ms\n"
    "partitions:\n"
    "  - { name: evil, memory: 4MiB, vps: 1, program: vmbus-script, params: { lazy: 1 },\n"
    "      disk: { path: %s, size: 64KiB } }\n"
    "  - { name: store, memory: 8MiB, vps: 1, program: vmbus-storage, params: { ops: 24, region: 64 },\n"
    "      disk: { path: %s, size: 64KiB } }\n"
    "  - { name: peer, memory: 4MiB, vps: 1, program: vmbus-network,\n"
    "      params: { self: 3, peer: 1, frames: 4, expect: 0 } }\n"
    "timeline:\n"
    "  - { at: 0ms, start: [store, peer] }\n"
    "  - { at: 2ms, start: [evil] }\n"
    "  - { at: 3ms, stop: [evil] }\n"
    "expect:\n"
    "  - { count: { event: guest, partition: store, code: 2, value: 24 }, equals: 1 }\n"
    "  - { count: { event: guest, partition: store, code: 3 }, equals: 0 }\n"
    "  - { count: { event: guest, partition: store, code: 6 }, equals: 0 }\n"
    "  - { count: { event: guest, partition: peer, code: 2 }, equals: 1 }\n"
    "  - { count: { event: guest, partition: peer, code: 3 }, equals: 0 }\n"
    "  - { state: { evil: Off, store: Running, peer: Running }, at: 5900us }\n"
    "  - { count: { event: mgmt, status: \"!ok\" }, equals: 0 }\n"
    "  - { isolation: ok }\n";

static struct {
  bool ready;
  int disk_fd[2];
  struct scenario scn;
  bool snapshot;          /* inputs start from the checkpoint (not HVSIM_FUZZ_NO_SNAPSHOT) */
  struct run *r;          /* the world, restored to its checkpoint 0 for every input */
  uint16_t evil;          /* evil's partition slot */
  uint32_t evil_pid;      /* and id (from its vm_bind record) */
  uint64_t evil_mark;     /* the record number just past evil's MARK_SCRIPT (the probe run) */
  char digest[65];        /* the digest of the last run from the snapshot */
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
  const char *ns = getenv("HVSIM_FUZZ_NO_SNAPSHOT");
  fzv.snapshot = !(ns && *ns && strcmp(ns, "0") != 0);
  fzv.ready = true;
}

/* ---- the snapshot ---------------------------------------------------------- */

static const uint8_t fzv_placeholder[1] = {0}; /* the snapshot's payload; each input replaces it */

static void fzv_probe_rec(void *ctx, const struct hv_trace_rec *rec) {
  struct run *r = ctx;
  if (rec->kind == HV_TR_VM_BIND && rec->a == 1) /* VM 1 is evil */
    fzv.evil_pid = (uint32_t)rec->b;
  else if (!fzv.evil_mark && fzv.evil_pid && rec->kind == HV_TR_GUEST && rec->partition == fzv.evil_pid &&
           rec->a == MARK_SCRIPT)
    fzv.evil_mark = run_events(r); /* one past the mark */
}

static struct run *fzv_open(void) {
  struct run_opts o;
  memset(&o, 0, sizeof o);
  o.seed = 1;
  o.quiet = true;
  o.silent = true;
  o.payload[0].data = fzv_placeholder;
  o.payload[0].len = sizeof fzv_placeholder;
  snprintf(o.options, sizeof o.options, "fuzz vmbus: snapshot");
  const char *v = getenv("HVSIM_FUZZ_VERIFY");
  if (v && *v && *v != '0')
    o.digest_out = fzv.digest; /* hash every record: two runs' digests are compared */
  struct run *r = run_open(&fzv.scn, &o);
  FZ_CHECK(r != 0, "the harness's world could not be set up (see above)");
  return r;
}

/* Evil's partition slot, once it exists; false before. */
static bool fzv_find_evil(struct run *r) {
  const struct hv *hv = run_sim(r)->hv;
  for (uint16_t i = 1; i < HV_MAX_PARTITIONS; i++)
    if (hv->partitions[i].state != PART_FREE && hv->partitions[i].id == fzv.evil_pid) {
      fzv.evil = i;
      return true;
    }
  return false;
}

static void fzv_release(void) {
  if (fzv.r)
    run_free(fzv.r);
  fzv.r = 0;
}

/* Build the world up to evil's MARK_SCRIPT (connected, offers taken, its
 * script not yet read) and checkpoint it. A probe run finds the mark's
 * record; the world is then run to the step boundary right after it:
 * evil's VP left guest mode at the mark's exit, the next thing it does is
 * read its script's length. */
static void fzv_snapshot(void) {
  struct run *r = fzv_open();
  run_on_record(r, fzv_probe_rec, r);
  run_advance(r, UINT64_MAX);
  run_free(r);
  FZ_CHECK(fzv.evil_mark > 0, "the probe run never reached evil's MARK_SCRIPT");
  r = fzv_open();
  FZ_CHECK(run_checkpoints_enable(r) == 0, "out of memory for checkpoints");
  run_advance(r, fzv.evil_mark);
  FZ_CHECK(run_events(r) >= fzv.evil_mark && run_events(r) < fzv.evil_mark + 16 && fzv_find_evil(r),
           "the snapshot is not at evil's MARK_SCRIPT (event %llu, not %llu)", (unsigned long long)run_events(r),
           (unsigned long long)fzv.evil_mark);
  FZ_CHECK(run_checkpoint(r) == 0, "the snapshot could not be taken");
  fzv.r = r;
  atexit(fzv_release);
}

/* Copy len bytes to (write) or from evil's guest physical memory. */
static void fzv_evil_mem(uint64_t gpa_v, void *buf, size_t len, bool write) {
  struct sim *s = run_sim(fzv.r);
  uint8_t *b = buf;
  while (len) {
    size_t n = HV_PAGE_SIZE - (gpa_v & HV_PAGE_MASK);
    if (n > len)
      n = len;
    spa_t a;
    uint64_t perms;
    FZ_CHECK(slat_lookup(s->hv, fzv.evil, gpa(gpa_v), &a, &perms) && a.v + HV_PAGE_SIZE <= s->mem_bytes,
             "evil's GPA 0x%llx is not mapped", (unsigned long long)gpa_v);
    if (write) {
      memcpy(s->mem + a.v, b, n);
      s->dirty[a.v >> 12] = 1; /* the next restore puts the page back */
    } else {
      memcpy(b, s->mem + a.v, n);
    }
    b += n, len -= n, gpa_v += n;
  }
}

/* The input as evil's payload: the script at its payload GPA, its length
 * in the boot block's payload_len (where the worker wrote 1). */
static void fzv_inject(const uint8_t *data, size_t size) {
  struct guest_boot b;
  fzv_evil_mem(GUEST_BOOT_GPA, &b, sizeof b, false);
  uint32_t i = 0;
  while (i < b.nparams && i < GUEST_MAX_PARAMS && strcmp(b.params[i].key, "payload_len") != 0)
    i++;
  FZ_CHECK(i < b.nparams && i < GUEST_MAX_PARAMS, "evil's boot block has no payload_len");
  uint64_t len = size;
  fzv_evil_mem(GUEST_BOOT_GPA + offsetof(struct guest_boot, params) + i * sizeof b.params[0] +
                   offsetof(struct guest_boot_param, value),
               &len, sizeof len, true);
  fzv_evil_mem(GUEST_PAYLOAD_GPA, (void *)data, size, true);
}

/* One run from the snapshot; returns the run's exit code. */
static int fzv_run_snapshot(const uint8_t *data, size_t size, bool report) {
  if (!fzv.r)
    fzv_snapshot();
  FZ_CHECK(run_restore(fzv.r, 0) == 0, "the snapshot could not be restored");
  fzv_inject(data, size);
  run_set_silent(fzv.r, !report);
  fflush(stdout);
  run_advance(fzv.r, UINT64_MAX);
  int code = run_end(fzv.r, fzv.digest);
  fflush(stdout);
  return code;
}

/* One run with the script as the evil VM's payload; returns run_scenario's code. */
static int fzv_run(const uint8_t *data, size_t size, bool report, const char *trace_dir, char digest[65]) {
  if (fzv.snapshot && !trace_dir) {
    int code = fzv_run_snapshot(data, size, report);
    if (digest)
      memcpy(digest, fzv.digest, sizeof fzv.digest);
    return code;
  }
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
