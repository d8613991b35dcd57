/*
 * bench.c — `hvsim bench`: how fast the model simulator runs.
 *
 * 1. Null hypercalls per wall second: one child VP on one LP issuing
 *    HvCallGetPartitionProperty on itself back to back, through the whole
 *    path (guest -> exit -> decode -> handler -> trace -> entry), with
 *    binary tracing on (records written to a file).
 * 2. Simulated events per wall second and peak memory for the quickstart
 *    workload at 1, 16 and 64 partitions.
 * Wall time is measured here only, outside the simulation.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sim.h"
#include "trace_file.h"

struct bench_sink {
  FILE *bin;
  uint64_t events, hypercalls;
};

static void bench_sink_fn(void *ctx, const struct hv_trace_rec *r) {
  struct bench_sink *b = ctx;
  b->events++;
  b->hypercalls += r->kind == HV_TR_HYPERCALL;
  if (b->bin) {
    uint8_t enc[TRACE_REC_SIZE];
    trace_rec_encode(r, enc);
    fwrite(enc, sizeof enc, 1, b->bin);
  }
}

static double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench_vm(struct sim *s, uint32_t id, const char *program, uint64_t mem, uint32_t vps,
                     uint64_t calls, uint64_t work, uint64_t call) {
  struct mgmt_request q;
  memset(&q, 0, sizeof q);
  q.action = MGMT_CREATE;
  q.vm_id = id;
  snprintf(q.config.name, sizeof q.config.name, "vm%u", id);
  snprintf(q.config.program, sizeof q.config.program, "%s", program);
  q.config.memory_bytes = mem;
  q.config.vps = vps;
  q.config.nparams = 3;
  snprintf(q.config.params[2].key, 32, "call");
  q.config.params[2].value = call;
  snprintf(q.config.params[0].key, 32, "calls");
  q.config.params[0].value = calls;
  snprintf(q.config.params[1].key, 32, "work");
  q.config.params[1].value = work;
  mgmt_channel_push(&s->mgmt, &q);
  q.action = MGMT_START;
  mgmt_channel_push(&s->mgmt, &q);
}

/* Boot a machine with n VMs, run to completion; returns wall seconds. */
static double bench_run(uint32_t lps, uint64_t mem, uint32_t nvms, const char *program, uint64_t calls,
                        uint64_t work, uint64_t call, struct bench_sink *sink, uint64_t *sim_cycles) {
  struct sim s;
  char err[256];
  struct sim_config cfg = {lps, mem, 2000, 1000, 1, true};
  if (sim_create(&s, &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim bench: %s\n", err);
    exit(3);
  }
  s.trace_fn = bench_sink_fn;
  s.trace_ctx = sink;
  for (uint32_t i = 0; i < nvms; i++)
    bench_vm(&s, i + 1, program, 1u << 20, 1, calls, work, call);
  sim_irq(&s, 0, MGMT_API_VECTOR);
  double t0 = bench_now();
  sim_run(&s, UINT64_MAX, 0, 0, UINT64_MAX, 0, 0);
  double t1 = bench_now();
  *sim_cycles = s.now;
  sim_destroy(&s);
  return t1 - t0;
}

static long bench_peak_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

int bench_main(int argc, char **argv) {
  uint64_t calls = 2000000;
  for (int i = 0; i + 1 < argc; i++)
    if (strcmp(argv[i], "--calls") == 0)
      calls = strtoull(argv[i + 1], 0, 0);
  static const char *const forms[] = {"memory form (GetPartitionProperty, input+output pages)",
                                      "fast form (NotifyLongSpinWait, registers only)"};
  static const uint64_t form_call[] = {0, 1};
  uint64_t cyc;
  double w;
  for (unsigned f = 0; f < 2; f++) {
    struct bench_sink sink = {tmpfile(), 0, 0};
    static char buf[1 << 20];
    if (sink.bin)
      setvbuf(sink.bin, buf, _IOFBF, sizeof buf);
    w = bench_run(1, 64ull << 20, 1, "hypercall-loop", calls, 0, form_call[f], &sink, &cyc);
    printf("null hypercalls, %s: %llu in %.3f s wall = %.2f M/s per core (binary trace on: %llu records)\n",
           forms[f], (unsigned long long)sink.hypercalls, w, (double)sink.hypercalls / w / 1e6,
           (unsigned long long)sink.events);
    if (sink.bin)
      fclose(sink.bin);
  }
  uint32_t counts[] = {1, 16, 64};
  for (unsigned k = 0; k < 3; k++) {
    struct bench_sink s2 = {0, 0, 0};
    uint32_t n = counts[k];
    w = bench_run(4, 512ull << 20, n, "hypercall-loop", 1000, 1000, 0, &s2, &cyc);
    printf("quickstart workload, %2u partitions: %llu events in %.3f s wall = %.2f M events/s, "
           "%.3f ms simulated, peak RSS %ld MiB\n",
           n, (unsigned long long)s2.events, w, (double)s2.events / w / 1e6, (double)cyc / 2000.0 / 1000.0,
           bench_peak_kib() / 1024);
  }
  return 0;
}
