/*
 * main.c — the hvsim command: run and check scenarios, read traces,
 * replay fuzz inputs, benchmark. Exit codes: 0 success / all expectations
 * hold, 1 an expectation failed, 2 bad input or usage, 3 internal error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "models/guest/guest.h"
#include "sim/bochs/bochs_runner.h"
#include "sim/report/report.h"
#include "tour.h"
#include "sim/world/run.h"
#include "sim/trace/sha256.h"
#include "sim/scenario/kernel.h"
#include "sim/scenario/scenario.h"
#include "sim/trace/state_io.h"
#include "sim/trace/trace_file.h"

static const char usage[] =
    "usage: hvsim COMMAND [ARGS]\n"
    "\n"
    "A hypervisor on the Hyper-V architecture, run on a deterministic model\n"
    "simulator (level 1) or on Bochs's x86 CPU model (level 2).\n"
    "\n"
    "commands:\n"
    "  run FILE [options]      run a scenario; print the summary and verdicts\n"
    "      --seed N            run seed (default 1); same file + seed = same trace\n"
    "      --until TIME        stop at this virtual time (e.g. 20ms; default: the\n"
    "                          scenario's 'until', else 100ms after its last item)\n"
    "      --trace-dir DIR     write DIR/trace.bin, trace.jsonl, trace.perfetto.json\n"
    "                          and DIR/result.json\n"
    "      --result FILE       write the result JSON here\n"
    "      --backend B         sim (default); bochs-vmx, bochs-svm (the bare-metal image\n"
    "                          on Bochs's CPU model); qemu-svm (the AMD-V image on QEMU TCG)\n"
    "      --stop-at N         stop after event N (with --trace-dir: inspect the prefix)\n"
    "      --quiet             verdicts only, no summary table\n"
    "      --report            also write DIR/report.html (needs --trace-dir)\n"
    "      --checkpoint-every N --checkpoint-dir DIR\n"
    "                          write a whole-simulation checkpoint every N events\n"
    "                          (DIR/ckpt-<event>.hvstate, checksummed blocks)\n"
    "      --verify-restore N  the restore oracle: take N checkpoints over the run,\n"
    "                          restore each and continue; every event and the digest\n"
    "                          must equal the uninterrupted run's (exit 1 if not)\n"
    "  check FILE...           validate scenario files without running them\n"
    "  report DIR [--out FILE] the run report: one self-contained HTML page (architecture,\n"
    "                          LP timeline, cycles, memory, VMBus sequence, verdicts)\n"
    "                          drawn from DIR/trace.bin, written to DIR/report.html\n"
    "  tour [N]                the guided tour of the architecture: list the chapters,\n"
    "                          or run chapter N and write its report\n"
    "  checkpoint verify FILE [--scenario F [--seed N]]\n"
    "                          check a checkpoint file block by block (and that it\n"
    "                          belongs to this build, scenario and seed)\n"
    "  trace digest DIR|FILE   digest of a trace's event sequence\n"
    "  trace dump DIR [--from N] [--to N]   events as JSON lines\n"
    "  trace info DIR          the trace header (seed, scenario hash, build, options)\n"
    "  bench [--calls N] [--null-only]\n"
    "                          benchmarks: null hypercalls per wall second, events per\n"
    "                          second at 1/16/64 partitions, SynIC messages and\n"
    "                          interrupt deliveries per wall second\n"
    "  bench-iommu [--dmas N] [--bytes B] [--verify]   DMA translations per wall second and\n"
    "                          IOTLB hit ratio, sequential and random\n"
    "  bench-vmbus [--packets N] [--ops N]   VMBus ring packets and bytes per wall second\n"
    "                          (64 B, 4 KiB), storage I/O per simulated and wall second\n"
    "  programs                list the guest programs a scenario can name\n"
    "  platform acpi --out DIR [--vps N] [--memory MiB] [--com1]\n"
    "                          write the ACPI tables a VM's worker builds, one file each\n"
    "  platform load-linux --kernel F [--initrd F] [--cmdline T] [--memory MiB] --out DIR\n"
    "  platform load-multiboot --kernel F [--module F[=S]]... [--cmdline T] --out DIR\n"
    "                          run the worker's Linux (PVH) or multiboot loader; write\n"
    "                          what it wrote\n"
    "  debug DIR [--every N] [--budget MiB]\n"
    "                          time travel over a recorded run (commands from stdin:\n"
    "                          goto EVENT|TIME, next/prev [KIND|{FILTER}|watch],\n"
    "                          watch page VM GPA, print event|partitions|vps|regs|\n"
    "                          synic|page, info, quit); checkpoints every N events\n"
    "  replay DIR              run again what DIR/trace.bin recorded (scenario, seed,\n"
    "                          options) and compare the event sequences\n"
    "  replay [HARNESS] INPUT  re-execute a fuzz input (harness hypercalls by default,\n"
    "                          scenario or vmbus) deterministically, printing every\n"
    "                          operation up to the failure (vmbus: the run's report;\n"
    "                          HVSIM_FUZZ_TRACE_DIR=DIR keeps its trace); INPUT may be\n"
    "                          a directory\n"
    "\n"
    "exit codes: 0 ok, 1 an expectation failed, 2 bad input or usage, 3 internal error\n"
    "\n"
    "examples:\n"
    "  hvsim run scenarios/quickstart.yaml\n"
    "  hvsim run scenarios/quickstart.yaml --seed 7 --trace-dir out/q\n"
    "  hvsim check scenarios/*.yaml\n"
    "  hvsim trace digest out/q\n"
    "Open out/q/trace.perfetto.json in https://ui.perfetto.dev (Open trace file).\n";

static int main_usage_error(const char *msg, const char *arg) {
  fprintf(stderr, "hvsim: %s%s%s\n(see hvsim --help)\n", msg, arg ? ": " : "", arg ? arg : "");
  return 2;
}

/* "20ms", "1.5us", "3s", "100ns" -> ns; false if malformed. */
static bool main_parse_time(const char *s, uint64_t *ns) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || v < 0)
    return false;
  double mul = strcmp(end, "ns") == 0 ? 1 : strcmp(end, "us") == 0 ? 1e3 : strcmp(end, "ms") == 0 ? 1e6
             : strcmp(end, "s") == 0 ? 1e9 : -1;
  if (mul < 0 || v * mul > 1e18)
    return false;
  *ns = (uint64_t)(v * mul + 0.5);
  return true;
}

static void main_append(char *buf, size_t cap, const char *a, const char *b) {
  size_t n = strlen(buf);
  snprintf(buf + n, cap - n, "%s%s%s%s", n ? " " : "", a, b ? " " : "", b ? b : "");
}

static int main_run(int argc, char **argv) {
  struct run_opts o;
  memset(&o, 0, sizeof o);
  o.seed = 1;
  o.progress = true;
  const char *file = 0, *backend = "sim";
  bool report = false;
  uint64_t verify_restore = 0, ckpt_every = 0;
  const char *ckpt_dir = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
    bool takes = strcmp(a, "--seed") == 0 || strcmp(a, "--until") == 0 || strcmp(a, "--trace-dir") == 0 ||
                 strcmp(a, "--backend") == 0 || strcmp(a, "--result") == 0 || strcmp(a, "--stop-at") == 0 ||
                 strcmp(a, "--verify-restore") == 0 || strcmp(a, "--checkpoint-every") == 0 ||
                 strcmp(a, "--checkpoint-dir") == 0;
    if (takes && !v)
      return main_usage_error("option needs a value", a);
    if (strcmp(a, "--seed") == 0) {
      if (scn_parse_uint(v, &o.seed) != 0)
        return main_usage_error("--seed needs an unsigned integer", v);
    } else if (strcmp(a, "--until") == 0) {
      if (!main_parse_time(v, &o.until_ns) || o.until_ns == 0)
        return main_usage_error("--until needs a time like 20ms", v);
    } else if (strcmp(a, "--stop-at") == 0) {
      if (scn_parse_uint(v, &o.stop_at) != 0 || o.stop_at == 0)
        return main_usage_error("--stop-at needs an event number >= 1", v);
    } else if (strcmp(a, "--verify-restore") == 0) {
      if (scn_parse_uint(v, &verify_restore) != 0 || verify_restore == 0 || verify_restore > 64)
        return main_usage_error("--verify-restore needs a number of checkpoints, 1 to 64", v);
    } else if (strcmp(a, "--checkpoint-every") == 0) {
      if (scn_parse_uint(v, &ckpt_every) != 0 || ckpt_every == 0)
        return main_usage_error("--checkpoint-every needs a number of events >= 1", v);
    } else if (strcmp(a, "--checkpoint-dir") == 0) {
      ckpt_dir = v;
    } else if (strcmp(a, "--trace-dir") == 0) {
      o.trace_dir = v;
    } else if (strcmp(a, "--result") == 0) {
      o.result_path = v;
    } else if (strcmp(a, "--backend") == 0) {
      backend = v;
    } else if (strcmp(a, "--quiet") == 0) {
      o.quiet = true;
    } else if (strcmp(a, "--report") == 0) {
      report = true; /* not part of the run: not recorded in the trace header */
      continue;
    } else if (a[0] == '-' ) {
      return main_usage_error("unknown option", a);
    } else if (!file) {
      file = a;
      continue;
    } else {
      return main_usage_error("one scenario file per run", a);
    }
    if (takes) {
      if (strcmp(a, "--trace-dir") && strcmp(a, "--result") && strcmp(a, "--seed"))
        main_append(o.options, sizeof o.options, a, v);
      i++;
    } else {
      main_append(o.options, sizeof o.options, a, 0);
    }
  }
  if (!file)
    return main_usage_error("run needs a scenario file", 0);
  if (report && !o.trace_dir)
    return main_usage_error("--report needs --trace-dir (the report is written next to the trace)", 0);
  if ((ckpt_every != 0) != (ckpt_dir != 0))
    return main_usage_error("--checkpoint-every and --checkpoint-dir go together", 0);
  if (strcmp(backend, "sim") && strcmp(backend, "bochs-vmx") && strcmp(backend, "bochs-svm") &&
      strcmp(backend, "qemu-svm"))
    return main_usage_error("unknown backend (sim, bochs-vmx, bochs-svm, qemu-svm)", backend);
  struct scenario scn;
  struct scn_error err;
  if (scenario_load(file, &scn, &err) != 0) {
    fprintf(stderr, "%s\n", err.msg);
    return 2;
  }
  int code;
  if (strcmp(backend, "sim") == 0 &&
      scn_kernel_refuse(&scn, "level 1 (the model simulator)",
                        "its VPs run our guest programs as coroutines, not x86 code; "
                        "run it with --backend bochs-vmx, bochs-svm or qemu-svm", &err) != 0) {
    fprintf(stderr, "%s\n", err.msg);
    code = 2;
  } else if (strcmp(backend, "sim") == 0 && ckpt_every) {
    code = run_with_checkpoint_files(&scn, &o, ckpt_every, ckpt_dir);
  } else if (strcmp(backend, "sim") == 0 && verify_restore) {
    code = run_check_restore(&scn, &o, (uint32_t)verify_restore);
  } else if (strcmp(backend, "sim") == 0)
    code = run_scenario(&scn, &o);
  else
    code = bochs_backend_run(backend, &scn, &o, HVSIM_SOURCE_ROOT);
  scenario_free(&scn);
  if (report && code != 2 && code != 3) {
    char path[1200], err[600];
    if (report_write(o.trace_dir, 0, path, sizeof path, err, sizeof err) != 0) {
      fprintf(stderr, "hvsim: report: %s\n", err);
      return 3;
    }
    printf("report: %s\n", path);
  }
  return code;
}

/* `hvsim checkpoint verify FILE [--scenario F [--seed N]]`. */
static int main_checkpoint(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[0], "verify") != 0)
    return main_usage_error("checkpoint verify FILE [--scenario F [--seed N]]", 0);
  const char *path = argv[1], *scn_path = 0;
  uint64_t seed = 1;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--scenario") == 0)
      scn_path = argv[i + 1];
    else if (strcmp(argv[i], "--seed") == 0 && scn_parse_uint(argv[i + 1], &seed) == 0)
      continue;
    else
      return main_usage_error("unknown option", argv[i]);
  }
  struct state_header want, got;
  struct scenario scn;
  memset(&scn, 0, sizeof scn);
  if (scn_path) {
    snprintf(scn.path, sizeof scn.path, "%s", scn_path);
    if (run_state_header(&scn, seed, &want) != 0) {
      fprintf(stderr, "hvsim: %s: cannot read the scenario\n", scn_path);
      return 2;
    }
  }
  char err[1024];
  if (state_read(path, scn_path ? &want : 0, &got, 0, 0, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim: checkpoint: %s\n", err);
    return 1;
  }
  char hex[65];
  sha256_hex(got.scenario_sha256, hex);
  printf("%s: ok: kind %u, build %s, scenario %s, seed %llu, event %llu\n", path, got.kind, got.build_id, hex,
         (unsigned long long)got.seed, (unsigned long long)got.position);
  return 0;
}

static int main_check(int argc, char **argv) {
  if (argc == 0)
    return main_usage_error("check needs scenario files", 0);
  int code = 0;
  for (int i = 0; i < argc; i++) {
    struct scenario scn;
    struct scn_error err;
    if (scenario_load(argv[i], &scn, &err) != 0) {
      fprintf(stderr, "%s\n", err.msg);
      code = 2;
      continue;
    }
    printf("%s: ok (%u partitions, %u actions, %u expectations)\n", argv[i], scn.npartitions, scn.nactions,
           scn.nexpects);
    scenario_free(&scn);
  }
  return code;
}

/* `hvsim replay RUNDIR`: run again what a trace directory recorded in its
 * header (scenario, seed, options) and compare the event sequences. */
static int main_replay_run(const char *dir) {
  char bin[1200], err[256];
  snprintf(bin, sizeof bin, "%s/trace.bin", dir);
  struct trace_meta *m = calloc(1, sizeof *m);
  struct hv_trace_rec *old = 0, *now = 0;
  size_t nold = 0, nnow = 0;
  if (!m || trace_read(bin, m, &old, &nold, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim: replay: %s\n", m ? err : "out of memory");
    free(m);
    return 2;
  }
  uint8_t sha[32];
  if (sha256_file(m->scenario_path, sha) != 0 || memcmp(sha, m->scenario_sha256, 32) != 0)
    fprintf(stderr, "hvsim: replay: warning: %s changed since the run (its SHA-256 differs)\n", m->scenario_path);
  struct scenario scn;
  struct scn_error serr;
  if (scenario_load(m->scenario_path, &scn, &serr) != 0) {
    fprintf(stderr, "%s\n", serr.msg);
    free(old), free(m);
    return 2;
  }
  struct run_opts o;
  memset(&o, 0, sizeof o);
  o.seed = m->seed;
  o.quiet = true;
  snprintf(o.options, sizeof o.options, "%s", m->options);
  char outdir[1100];
  snprintf(outdir, sizeof outdir, "%s.replay", dir);
  o.trace_dir = outdir;
  for (char *tok = strtok(m->options, " "); tok; tok = strtok(0, " ")) {
    char *val = strtok(0, " ");
    if (val && strcmp(tok, "--until") == 0)
      main_parse_time(val, &o.until_ns);
    else if (val && strcmp(tok, "--stop-at") == 0)
      scn_parse_uint(val, &o.stop_at);
  }
  printf("replaying %s: %s seed %llu options '%s'\n", dir, scn.path, (unsigned long long)o.seed, o.options);
  int code = run_scenario(&scn, &o);
  scenario_free(&scn);
  snprintf(bin, sizeof bin, "%s/trace.bin", outdir);
  if (trace_read(bin, m, &now, &nnow, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim: replay: %s\n", err);
    free(old), free(m);
    return 3;
  }
  size_t i = 0;
  while (i < nold && i < nnow && memcmp(&old[i], &now[i], sizeof old[i]) == 0)
    i++;
  if (i == nold && i == nnow)
    printf("replay: identical event sequence (%zu events); new trace in %s\n", nold, outdir);
  else
    printf("replay: DIVERGES at event %zu (recorded %zu events, replayed %zu): see hvsim trace dump %s --from %zu\n",
           i, nold, nnow, outdir, i);
  bool same = i == nold && i == nnow;
  free(old), free(now), free(m);
  return same ? code : 1;
}

/* `hvsim replay`: a run's trace directory (see main_replay_run), or fuzz
 * inputs through the fuzz-replay program built beside this one (fuzz/),
 * with operation tracing on. */
static int main_replay(int argc, char **argv, const char *self) {
  if (argc < 1)
    return main_usage_error("replay needs a fuzz input or a run's trace directory", 0);
  char probe[1024];
  snprintf(probe, sizeof probe, "%s/trace.bin", argv[0]);
  if (argc == 1 && access(probe, R_OK) == 0)
    return main_replay_run(argv[0]);
  const char *harness = "hypercalls";
  if (argc >= 2 &&
      (strcmp(argv[0], "hypercalls") == 0 || strcmp(argv[0], "scenario") == 0 || strcmp(argv[0], "vmbus") == 0)) {
    harness = argv[0];
    argc--, argv++;
  }
  char path[4096];
  const char *slash = strrchr(self, '/');
  snprintf(path, sizeof path, "%.*s/../fuzz/fuzz-replay", slash ? (int)(slash - self) : 1, slash ? self : ".");
  char **args = calloc((size_t)argc + 3, sizeof *args);
  if (!args)
    return 3;
  args[0] = path;
  args[1] = (char *)harness;
  for (int i = 0; i < argc; i++)
    args[2 + i] = argv[i];
  setenv("HVSIM_FUZZ_TRACE", "1", 1);
  execv(path, args);
  fprintf(stderr, "hvsim: replay: cannot run %s: %s (build the preset with its tests)\n", path, strerror(errno));
  free(args);
  return 3;
}

int platform_cmd_main(int argc, char **argv); /* platform_cmd.c */
int debug_cmd_main(int argc, char **argv);    /* debug_cmd.c */

static int main_programs(void) {
  for (size_t i = 0; guest_program_at(i); i++)
    printf("%-16s %s\n", guest_program_at(i)->name, guest_program_at(i)->summary);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *cmd = argv[1];
  for (int i = 2; i < argc; i++)
    if ((strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) &&
        (strcmp(cmd, "report") == 0 || strcmp(cmd, "tour") == 0)) {
      fputs(strcmp(cmd, "report") == 0 ? report_usage : tour_usage, stdout);
      return 0;
    } else if (strcmp(argv[i], "--help") == 0 && strcmp(cmd, "trace")) {
      fputs(usage, stdout);
      return 0;
    }
  if (strcmp(cmd, "run") == 0)
    return main_run(argc - 2, argv + 2);
  if (strcmp(cmd, "check") == 0)
    return main_check(argc - 2, argv + 2);
  if (strcmp(cmd, "trace") == 0)
    return trace_cmd_main(argc - 1, argv + 1);
  if (strcmp(cmd, "bench") == 0)
    return bench_main(argc - 2, argv + 2);
  if (strcmp(cmd, "bench-iommu") == 0)
    return bench_iommu_main(argc - 2, argv + 2);
  if (strcmp(cmd, "bench-vmbus") == 0)
    return bench_vmbus_main(argc - 2, argv + 2);
  if (strcmp(cmd, "programs") == 0)
    return main_programs();
  if (strcmp(cmd, "replay") == 0)
    return main_replay(argc - 2, argv + 2, argv[0]);
  if (strcmp(cmd, "report") == 0)
    return report_cmd_main(argc - 2, argv + 2);
  if (strcmp(cmd, "tour") == 0)
    return tour_main(argc - 2, argv + 2, HVSIM_SOURCE_ROOT);
  if (strcmp(cmd, "platform") == 0)
    return platform_cmd_main(argc - 2, argv + 2);
  if (strcmp(cmd, "checkpoint") == 0)
    return main_checkpoint(argc - 2, argv + 2);
  if (strcmp(cmd, "debug") == 0)
    return debug_cmd_main(argc - 2, argv + 2);
  return main_usage_error("unknown command", cmd);
}
