/*
 * bochs_runner.c — `hvsim run --backend bochs-vmx|bochs-svm` (see
 * bochs_runner.h): level 2, the bare-metal image on Bochs's x86 model.
 *
 * Files of a run, in DIR/bochs/ (DIR = --trace-dir, else a temporary
 * directory removed afterwards): cfg.rom (the run description as an option
 * ROM), bochsrc, debugger.rc ("continue", "quit": the build always starts
 * in its debugger), bochs.out (Bochs's standard output: port 0xE9, where
 * the image prints its log, figures and trace records), bochs.err,
 * bochs.log. The trace files go to DIR as the simulator writes them.
 *
 * Determinism: `clock: sync=none` makes Bochs's time a function of the
 * instructions executed (RDTSC = instructions), `time0` fixes the CMOS
 * clock, the run description carries the seed. stdout holds only
 * deterministic facts; wall time and Bochs's speed go to stderr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp, setenv */
#endif
#include "bochs_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/trace/sha256.h"
#include "sim/trace/trace_file.h"
#include "bochs_int.h"

#ifndef HVSIM_BUILD_ID
#define HVSIM_BUILD_ID "unknown"
#endif

#define RUNNER_PATH_MAX 1024

struct runner {
  const char *backend, *vendor, *cpu_model;
  bool qemu; /* qemu-svm: QEMU's TCG instead of Bochs */
  const struct scenario *scn;
  const struct run_opts *opts;
  uint64_t seed;
  struct plan plan;
  char dir[RUNNER_PATH_MAX];  /* trace directory */
  char work[RUNNER_PATH_MAX]; /* DIR/bochs */
  bool temporary;
  bool keep; /* a temporary directory kept: the run did not finish */
  char rom[RUNNER_PATH_MAX];
  struct bare_cfg cfg;
  struct bochs_drives drives; /* the ATA drives' images (bochs_storage.c) */
  double wall;
};

static int runner_path(char *out, const char *a, const char *b) {
  int n = snprintf(out, RUNNER_PATH_MAX, "%s/%s", a, b);
  return (n < 0 || n >= RUNNER_PATH_MAX) ? -1 : 0;
}

static int runner_mkdirs(const char *path) {
  char p[RUNNER_PATH_MAX];
  snprintf(p, sizeof p, "%s", path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
      return -1;
    *s = '/';
  }
  return (mkdir(p, 0777) != 0 && errno != EEXIST) ? -1 : 0;
}

static bool runner_have(const char *prog) {
  const char *path = getenv("PATH");
  char buf[RUNNER_PATH_MAX];
  if (!path)
    path = "/usr/bin:/bin";
  for (const char *p = path; *p;) {
    size_t n = strcspn(p, ":");
    if (snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, prog) < (int)sizeof buf &&
        access(buf, X_OK) == 0)
      return true;
    p += n + (p[n] == ':');
  }
  return false;
}

/* Run argv (cwd dir) with stdin from /dev/null and stdout/stderr to files;
 * returns the exit status, or -1 if it could not start or died. */
static int runner_exec(const char *dir, char *const argv[], const char *out, const char *err) {
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (in < 0 || o < 0 || e < 0 || (dir && chdir(dir) != 0))
      _exit(127);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    setenv("TERM", "dumb", 1); /* display_library: term needs a known TERM */
    execvp(argv[0], argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* make -C platform/bare O=ROOT/build/image VENDOR: incremental, so a no-op
 * when the image is current. */
static int runner_image(struct runner *r, const char *root) {
  char mk[RUNNER_PATH_MAX], o[RUNNER_PATH_MAX + 8], log[RUNNER_PATH_MAX], logerr[RUNNER_PATH_MAX];
  if (snprintf(mk, sizeof mk, "%s/platform/bare", root) >= (int)sizeof mk ||
      snprintf(o, sizeof o, "O=%s/build/image", root) >= (int)sizeof o ||
      runner_path(log, r->work, "make.out") || runner_path(logerr, r->work, "make.err") ||
      snprintf(r->rom, sizeof r->rom, "%s/build/image/%s/hvsim.rom", root, r->vendor) >=
          (int)sizeof r->rom)
    return -1;
  char *argv[] = {"make", "-s", "-C", mk, o, (char *)r->vendor, 0};
  /* Runs in parallel (pytest -n) share build/image: one make at a time. */
  char lock[RUNNER_PATH_MAX];
  snprintf(lock, sizeof lock, "%s/build/image.lock", root);
  int lk = open(lock, O_RDWR | O_CREAT, 0666);
  if (lk >= 0)
    flock(lk, LOCK_EX);
  int st = runner_exec(0, argv, log, logerr);
  if (lk >= 0)
    close(lk); /* releases the lock */
  if (st != 0) {
    fprintf(stderr, "hvsim: building the %s image failed (make -C %s %s %s); see %s\n", r->vendor,
            mk, o, r->vendor, logerr);
    return -1;
  }
  return 0;
}

static int runner_write_rc(struct runner *r) {
  char path[RUNNER_PATH_MAX], cfg[RUNNER_PATH_MAX];
  if (runner_path(path, r->work, "bochsrc") || runner_path(cfg, r->work, "cfg.rom"))
    return -1;
  if (bochs_cfg_write_rom(cfg, &r->cfg) != 0)
    return -1;
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  /* reset_on_triple_fault=1: Bochs 2.7 panics on a guest triple fault
   * otherwise instead of taking the VMX exit / SVM intercept. */
  fprintf(f,
          "display_library: term\n"
          "megs: %llu\n"
          "romimage: file=%s\n"
          "optromimage1: file=%s, address=0x%x\n"
          "vgaromimage: file=/usr/share/vgabios/vgabios.bin\n"
          "clock: sync=none, time0=946684800\n"
          "cpu: model=%s, count=1, ips=50000000, reset_on_triple_fault=1\n"
          "port_e9_hack: enabled=1\n"
          "magic_break: enabled=1\n"
          "mouse: enabled=0\n"
          "sound: waveoutdrv=dummy\n"
          "speaker: enabled=0\n"
          "log: bochs.log\n"
          "panic: action=fatal\n"
          "error: action=report\n"
          "info: action=report\n"
          "debug: action=ignore\n",
          (unsigned long long)(r->cfg.memory_bytes >> 20), r->rom, cfg, BARE_CFG_ROM_ADDR,
          r->cpu_model);
  bochs_storage_bochsrc(f, &r->cfg.storage, &r->drives);
  if (fclose(f) != 0 || runner_path(path, r->work, "debugger.rc"))
    return -1;
  f = fopen(path, "w");
  if (!f)
    return -1;
  fputs("continue\nquit\n", f);
  return fclose(f) == 0 ? 0 : -1;
}

static double runner_now(void);

/* QEMU's software CPU (TCG) emulates AMD-V: the AMD image through the
 * multiboot path, the run description as module 0, port 0xE9 as debugcon,
 * the end through isa-debug-exit (exit status = image status * 2 + 1).
 * -icount makes its TSC follow the instructions executed. */
static int runner_qemu(struct runner *r, const char *root) {
  char out[RUNNER_PATH_MAX], err[RUNNER_PATH_MAX], secs[32], mem[32], kernel[RUNNER_PATH_MAX],
      debugcon[RUNNER_PATH_MAX + 8];
  uint64_t cycles = r->cfg.until_ns * r->cfg.cpu_mhz / 1000;
  snprintf(secs, sizeof secs, "%llu", (unsigned long long)(60 + cycles / 20000000));
  snprintf(mem, sizeof mem, "%llu", (unsigned long long)(r->cfg.memory_bytes >> 20));
  if (runner_path(out, r->work, "bochs.out") || runner_path(err, r->work, "bochs.err") ||
      snprintf(kernel, sizeof kernel, "%s/build/image/svm/hvsim-mb.elf", root) >=
          (int)sizeof kernel ||
      snprintf(debugcon, sizeof debugcon, "file:%s", out) >= (int)sizeof debugcon)
    return -1;
  char *argv[80] = {"timeout", "-k", "5", secs, "qemu-system-x86_64", "-cpu", "max", "-smp", "1",
                    "-m", mem, "-kernel", kernel, "-initrd", "cfg.rom", "-nographic",
                    "-no-reboot", "-display", "none", "-monitor", "none", "-serial", "null",
                    "-debugcon", debugcon, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                    "-icount", "shift=0,sleep=off,align=off"};
  static char drive_args[BARE_MAX_DRIVES * (RUNNER_PATH_MAX + 256)];
  int base = 0;
  while (argv[base])
    base++;
  int nd = bochs_storage_qemu(&r->cfg.storage, &r->drives, drive_args, sizeof drive_args, argv + base,
                              (int)(sizeof argv / sizeof argv[0]) - base - 1);
  if (nd < 0)
    return -1;
  char log[RUNNER_PATH_MAX];
  if (runner_path(log, r->work, "qemu.out"))
    return -1;
  double t0 = runner_now();
  int st = runner_exec(r->work, argv, log, err);
  r->wall = runner_now() - t0;
  return st;
}

static double runner_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* wall time for stderr only */
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* bochs under timeout -s INT: SIGINT breaks into the debugger, whose
 * script then quits (SIGTERM is ignored by Bochs). */
static int runner_bochs(struct runner *r) {
  char out[RUNNER_PATH_MAX], err[RUNNER_PATH_MAX], secs[32];
  uint64_t cycles = r->cfg.until_ns * r->cfg.cpu_mhz / 1000;
  /* every LP runs the whole timeline (platform/bare/main.c), at a few M
   * instructions per wall second on a loaded machine, plus the oracle */
  snprintf(secs, sizeof secs, "%llu", (unsigned long long)(60 + cycles * r->cfg.lps / 1000000));
  if (runner_path(out, r->work, "bochs.out") || runner_path(err, r->work, "bochs.err"))
    return -1;
  char *argv[] = {"timeout", "-s", "INT", "-k", "10", secs, "bochs", "-q", "-f", "bochsrc",
                  "-rc", "debugger.rc", 0};
  double t0 = runner_now();
  int st = runner_exec(r->work, argv, out, err);
  r->wall = runner_now() - t0;
  return st;
}

/* The records as the simulator writes them: trace.bin, .jsonl and
 * .perfetto.json in DIR, and their digest. */
static int runner_trace(struct runner *r, const struct hv_trace_rec *recs, size_t n, char digest[65]) {
  struct trace_meta *m = calloc(1, sizeof *m);
  if (!m || trace_meta_init(m, r->scn, r->seed, r->opts->options) != 0) {
    free(m);
    return -1;
  }
  struct trace_digest d;
  trace_digest_init(&d);
  char err[256];
  struct trace_writer *w = trace_writer_open(r->dir, m, err, sizeof err);
  free(m);
  if (!w) {
    fprintf(stderr, "hvsim: %s\n", err);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    trace_writer_rec(w, &recs[i]);
    trace_digest_update(&d, &recs[i]);
  }
  trace_digest_final(&d, digest);
  return trace_writer_close(w);
}

/* Median gap between consecutive completed hypercalls of one child VP:
 * the guest-side round trip (call, exit, dispatch, entry, return) when its
 * program issues calls back to back. 0 if there are none. */
static int runner_u64_cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint64_t runner_hc_gap(const struct bochs_output *o) {
  uint64_t *gaps = calloc(o->nrecs + 1, sizeof *gaps);
  size_t n = 0;
  if (!gaps)
    return 0;
  for (size_t i = 0, last = SIZE_MAX; i < o->nrecs; i++) {
    const struct hv_trace_rec *r = &o->recs[i];
    if (r->kind != HV_TR_HYPERCALL || r->partition == HV_TRACE_ROOT_PARTITION)
      continue;
    if (last != SIZE_MAX && o->recs[last].partition == r->partition && o->recs[last].vp == r->vp)
      gaps[n++] = r->time - o->recs[last].time;
    last = i;
  }
  uint64_t med = 0;
  if (n) {
    qsort(gaps, n, sizeof *gaps, runner_u64_cmp);
    med = gaps[n / 2];
  }
  free(gaps);
  return med;
}

static void runner_cleanup(struct runner *r) {
  static const char *const files[] = {"cfg.rom",  "bochsrc",  "debugger.rc", "bochs.out", "bochs.err",
                                      "bochs.log", "make.out", "make.err",    "qemu.out",  "files.img"};
  char p[RUNNER_PATH_MAX];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    if (runner_path(p, r->work, files[i]) == 0)
      unlink(p);
  rmdir(r->work);
  static const char *const traces[] = {"trace.bin", "trace.jsonl", "trace.perfetto.json"};
  for (size_t i = 0; i < sizeof traces / sizeof traces[0]; i++)
    if (runner_path(p, r->dir, traces[i]) == 0)
      unlink(p);
  rmdir(r->dir);
}

static int runner_setup(struct runner *r, const char *backend, const char *trace_dir) {
  r->backend = backend;
  r->qemu = strcmp(backend, "qemu-svm") == 0;
  r->vendor = (r->qemu || strcmp(backend, "bochs-svm") == 0) ? "svm" : "vmx";
  r->cpu_model = r->qemu ? "qemu max" : strcmp(r->vendor, "svm") == 0 ? "ryzen" : "corei7_skylake_x";
  if (trace_dir) {
    snprintf(r->dir, sizeof r->dir, "%s", trace_dir);
  } else {
    snprintf(r->dir, sizeof r->dir, "/tmp/hvsim-bochs-XXXXXX");
    if (!mkdtemp(r->dir))
      return -1;
    r->temporary = true;
  }
  if (runner_path(r->work, r->dir, "bochs") || runner_mkdirs(r->work))
    return -1;
  /* Bochs and QEMU run in the work directory: every path the runner
   * hands them (cfg.rom, files.img) is absolute, whatever --trace-dir was. */
  char abs[PATH_MAX];
  if (!realpath(r->dir, abs) || snprintf(r->dir, sizeof r->dir, "%s", abs) >= (int)sizeof r->dir)
    return -1;
  return runner_path(r->work, r->dir, "bochs");
}

/* Why a run did not finish, "" when it did. */
static void runner_error(const struct runner *r, const struct bochs_output *o, int st, char *buf, size_t len) {
  buf[0] = 0;
  if (o->end_status < 0)
    snprintf(buf, len, "the image did not finish (%s exit %d%s); see %s/bochs.log", r->qemu ? "qemu" : "bochs", st,
             st == 124 ? ", timed out" : "", r->work);
  else if (o->end_status != 0)
    snprintf(buf, len, "the image stopped with status %d: %s", o->end_status, o->panic[0] ? o->panic : "(no message)");
}

/* A "key=value" figure of the image's "@F" lines, 0 when absent. */
static unsigned long long runner_figure(const struct bochs_output *o, const char *key) {
  size_t n = strlen(key);
  for (const char *p = o->figures; (p = strstr(p, key)) != 0; p += n)
    if ((p == o->figures || p[-1] == ' ') && p[n] == '=')
      return strtoull(p + n + 1, 0, 10);
  return 0;
}

static void runner_figures(const struct runner *r, const struct bochs_output *o) {
  const struct scenario *scn = r->scn;
  printf("hvsim run %s  seed %llu  backend %s (%s, cpu %s)\n", scn->path, (unsigned long long)r->seed, r->backend,
         r->qemu ? "QEMU TCG, -icount" : "Bochs", r->cpu_model);
  printf("ran %.3f ms of virtual time (cycles = instructions at %llu MHz, each LP its own clock) on %u LP%s (multiplexed on CPU 0)\n",
         (double)r->cfg.until_ns / 1e6, (unsigned long long)scn->machine.cpu_mhz, scn->machine.lps,
         scn->machine.lps == 1 ? "" : "s");
  printf("instructions: %llu in total, %llu to hv_init's return, %llu to the first guest instruction\n",
         (unsigned long long)o->end_tsc, (unsigned long long)o->hv_init_done, (unsigned long long)o->first_entry);
  unsigned long long entries = runner_figure(o, "entries"), oracle = runner_figure(o, "oracle_tsc");
  printf("VM entries: %llu (%.0f per second of virtual time); the isolation oracle ran %llu of the instructions "
         "(clock stopped)\n",
         entries, r->cfg.until_ns ? (double)entries * 1e9 / (double)r->cfg.until_ns : 0.0, oracle);
  if (o->hc_exits)
    printf("child hypercalls: %llu, %llu instructions each in the hypervisor (exit to entry), %llu per round trip "
           "seen by the child (median gap between its calls)\n",
           (unsigned long long)o->hc_exits, (unsigned long long)(o->hc_hv_cycles / o->hc_exits),
           (unsigned long long)runner_hc_gap(o));
  printf("image: %s\n", o->figures);
}

/* The records the image left (up to --stop-at), judged by the verdict all
 * levels share, then the trace with the verdict records, result.json. */
static int runner_report(struct runner *r, struct bochs_output *o, int st) {
  const struct run_opts *opt = r->opts;
  char error[RUNNER_PATH_MAX + 128];
  runner_error(r, o, st, error, sizeof error);
  size_t n = o->nrecs;
  bool stopped = opt->stop_at && opt->stop_at < n;
  if (stopped)
    n = opt->stop_at;
  struct verdict v;
  if (verdict_init(&v, r->scn) != 0)
    return 2;
  for (size_t i = 0; i < n; i++)
    verdict_rec(&v, &o->recs[i]);
  uint64_t end = r->cfg.until_ns * r->cfg.cpu_mhz / 1000;
  if (stopped || error[0])
    end = n ? o->recs[n - 1].time : 0;
  verdict_finish(&v, end, o->vps, (uint32_t)o->nvps, error[0] ? error : 0);
  int code = verdict_exit_code(&v);
  /* the trace: the records kept, then the verdicts, as the simulator writes them */
  struct hv_trace_rec *recs = calloc(n + r->scn->nexpects + 1, sizeof *recs);
  char digest[65] = "";
  if (!recs) {
    verdict_free(&v);
    return 2;
  }
  memcpy(recs, o->recs, n * sizeof *recs);
  for (uint32_t i = 0; i < r->scn->nexpects; i++)
    recs[n + i] = verdict_record(&v, i);
  int wrote = runner_trace(r, recs, n + r->scn->nexpects, digest);
  free(recs);
  if (error[0]) {
    printf("hvsim: ERROR: %s\n", error);
    r->keep = true;
  }
  runner_figures(r, o);
  if (stopped)
    printf("\nstopped after event %llu (level 2: the image ran on; the records after it are not judged)\n",
           (unsigned long long)n);
  if (!opt->quiet)
    report_table(stdout, &v);
  report_verdicts(stdout, &v);
  printf("digest: %s events: %llu\n", digest, (unsigned long long)(n + r->scn->nexpects));
  fprintf(stderr, "hvsim: %s ran %llu instructions in %.2f s wall (%.1f M instructions/s)\n",
          r->qemu ? "qemu" : "bochs", (unsigned long long)o->end_tsc, r->wall,
          r->wall > 0 ? (double)o->end_tsc / r->wall / 1e6 : 0.0);
  if (wrote != 0) {
    fprintf(stderr, "hvsim: %s: writing the trace failed\n", r->dir);
    code = 2;
  }
  char path[RUNNER_PATH_MAX + 16];
  const char *rp = opt->result_path;
  if (!rp && !r->temporary) {
    snprintf(path, sizeof path, "%s/result.json", r->dir);
    rp = path;
  }
  if (rp && report_json(rp, &v, r->seed, code, digest, r->backend) != 0) {
    fprintf(stderr, "hvsim: %s: cannot write the result\n", rp);
    code = 2;
  }
  verdict_free(&v);
  return code;
}

int bochs_backend_run(const char *backend, const struct scenario *scn, const struct run_opts *opts,
                      const char *hvsim_root) {
  struct runner *r = calloc(1, sizeof *r);
  char err[512];
  if (!r)
    return 2;
  r->scn = scn;
  r->opts = opts;
  r->seed = opts->seed;
  int code = 2;
  struct bochs_output o;
  memset(&o, 0, sizeof o);
  if (plan_build(scn, opts->until_ns, &r->plan) != 0) {
    fprintf(stderr, "hvsim: out of memory\n");
    goto out;
  }
  if (bochs_cfg_build(scn, &r->plan, opts, backend, &r->cfg, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim: %s\n", err);
    goto out;
  }
  if (runner_setup(r, backend, opts->trace_dir) != 0) {
    fprintf(stderr, "hvsim: cannot create the run directory %s\n", r->dir);
    goto out;
  }
  if (!runner_have(r->qemu ? "qemu-system-x86_64" : "bochs") || !runner_have("timeout")) {
    fprintf(stderr, "hvsim: %s is not installed (apt-get install %s)\n", r->qemu ? "qemu-system-x86_64" : "bochs",
            r->qemu ? "qemu-system-x86" : "bochs bochsbios vgabios bochs-term");
    goto out;
  }
  if (bochs_storage_make(scn, opts, &r->cfg.storage, r->work, &r->drives) != 0 || runner_image(r, hvsim_root) != 0 ||
      runner_write_rc(r) != 0)
    goto out;
  int st = r->qemu ? runner_qemu(r, hvsim_root) : runner_bochs(r);
  char out_path[RUNNER_PATH_MAX];
  if (runner_path(out_path, r->work, "bochs.out") || bochs_output_parse(out_path, &o, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim: %s\n", err);
    goto out;
  }
  code = runner_report(r, &o, st);
out:
  bochs_output_free(&o);
  plan_free(&r->plan);
  if (r->temporary && r->keep)
    fprintf(stderr, "hvsim: the run's files are kept in %s\n", r->dir);
  else if (r->temporary)
    runner_cleanup(r);
  free(r);
  fflush(stdout);
  return code;
}
