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

#include "sim/machine/sim.h"
#include "sim/trace/trace_file.h"

struct bench_sink {
  FILE *bin;
  uint64_t events, hypercalls, messages, irqs;
};

static void bench_sink_fn(void *ctx, const struct hv_trace_rec *r) {
  struct bench_sink *b = ctx;
  b->events++;
  b->hypercalls += r->kind == HV_TR_HYPERCALL;
  b->messages += r->kind == HV_TR_MSG_DELIVER;
  b->irqs += r->kind == HV_TR_IRQ_VIRT;
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
  struct sim_config cfg = {lps, mem, 2000, 1000, 1, true, 0, 0};
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

/* A VM with parameters (name=value pairs) and a start request. */
static void bench_vm_params(struct sim *s, uint32_t id, const char *program, uint32_t vps,
                            const char *const *keys, const uint64_t *values, uint32_t n) {
  struct mgmt_request q;
  memset(&q, 0, sizeof q);
  q.action = MGMT_CREATE;
  q.vm_id = id;
  snprintf(q.config.name, sizeof q.config.name, "vm%u", id);
  snprintf(q.config.program, sizeof q.config.program, "%s", program);
  q.config.memory_bytes = 2u << 20;
  q.config.vps = vps;
  q.config.nparams = n;
  for (uint32_t i = 0; i < n; i++) {
    snprintf(q.config.params[i].key, 32, "%s", keys[i]);
    q.config.params[i].value = values[i];
  }
  mgmt_channel_push(&s->mgmt, &q);
  q.action = MGMT_START;
  mgmt_channel_push(&s->mgmt, &q);
}

static void bench_link(struct sim *s, uint32_t action, uint32_t from, uint32_t to, uint32_t id) {
  struct mgmt_request q;
  memset(&q, 0, sizeof q);
  q.action = action;
  q.vm_id = from;
  q.peer_vm = to;
  q.conn_id = id;
  q.sint = 3;
  q.vector = 0x30;
  q.to_vector = 0x58;
  mgmt_channel_push(&s->mgmt, &q);
}

/* The storm of bench_synic: one interrupt every period cycles, n times. */
struct bench_storm {
  uint64_t next, period, left;
};

static uint64_t bench_storm_world(void *ctx, struct sim *s, uint64_t now) {
  struct bench_storm *st = ctx;
  while (st->left && st->next <= now) {
    sim_irq(s, 0, 0x30);
    st->left--;
    st->next += st->period;
  }
  return st->left ? st->next : UINT64_MAX;
}

/* SynIC figures: messages per wall second (ping-pong between two VMs on
 * two LPs) and wall time per simulated interrupt delivery (a device storm
 * into an interrupt-taking VM). */
static void bench_synic(uint64_t messages) {
  char err[256];
  struct sim s;
  struct bench_sink sink = {0, 0, 0, 0, 0};
  struct sim_config cfg = {2, 64ull << 20, 2000, 1000, 1, true, 0, 0};
  if (sim_create(&s, &cfg, err, sizeof err) != 0)
    exit(3);
  s.trace_fn = bench_sink_fn;
  s.trace_ctx = &sink;
  static const char *const keys[] = {"role", "count", "conn", "sint"};
  uint64_t ping[] = {0, messages, 0x21, 3}, pong[] = {1, messages, 0x12, 3};
  bench_vm_params(&s, 1, "pingpong", 1, keys, ping, 4);
  bench_vm_params(&s, 2, "pingpong", 1, keys, pong, 4);
  bench_link(&s, MGMT_CONNECT, 1, 2, 0x21);
  bench_link(&s, MGMT_CONNECT, 2, 1, 0x12);
  sim_irq(&s, 0, MGMT_API_VECTOR);
  double t0 = bench_now();
  sim_run(&s, UINT64_MAX, 0, 0, UINT64_MAX, 0, 0);
  double w = bench_now() - t0;
  sim_destroy(&s);
  printf("synic messages: %llu delivered in %.3f s wall = %.2f M messages/s (%llu events)\n",
         (unsigned long long)sink.messages, w, (double)sink.messages / w / 1e6, (unsigned long long)sink.events);
  struct bench_sink isink = {0, 0, 0, 0, 0};
  cfg.lps = 1;
  if (sim_create(&s, &cfg, err, sizeof err) != 0)
    exit(3);
  s.trace_fn = bench_sink_fn;
  s.trace_ctx = &isink;
  static const char *const ikeys[] = {"work", "report"};
  uint64_t ivals[] = {0, 1000000};
  bench_vm_params(&s, 1, "irq-sink", 1, ikeys, ivals, 2);
  bench_link(&s, MGMT_ROUTE, 1, 0, 0);
  sim_irq(&s, 0, MGMT_API_VECTOR);
  struct bench_storm st = {4000000, 20000, messages};
  t0 = bench_now();
  sim_run(&s, st.next + st.period * (messages + 10), bench_storm_world, &st, st.next, 0, 0);
  w = bench_now() - t0;
  sim_destroy(&s);
  printf("interrupt delivery: %llu virtual interrupts in %.3f s wall = %.0f ns wall per delivery\n",
         (unsigned long long)isink.irqs, w, isink.irqs ? w * 1e9 / (double)isink.irqs : 0.0);
}

static long bench_peak_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

int bench_main(int argc, char **argv) {
  uint64_t calls = 2000000;
  bool null_only = false;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
      calls = strtoull(argv[i + 1], 0, 0);
    null_only |= strcmp(argv[i], "--null-only") == 0;
  }
  static const char *const forms[] = {"memory form (GetPartitionProperty, input+output pages)",
                                      "fast form (NotifyLongSpinWait, registers only)"};
  static const uint64_t form_call[] = {0, 1};
  uint64_t cyc;
  double w;
  for (unsigned f = 0; f < 2; f++) {
    struct bench_sink sink = {tmpfile(), 0, 0, 0, 0};
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
  if (null_only)
    return 0;
  uint32_t counts[] = {1, 16, 64};
  for (unsigned k = 0; k < 3; k++) {
    struct bench_sink s2 = {0, 0, 0, 0, 0};
    uint32_t n = counts[k];
    w = bench_run(4, 512ull << 20, n, "hypercall-loop", 1000, 1000, 0, &s2, &cyc);
    printf("quickstart workload, %2u partitions: %llu events in %.3f s wall = %.2f M events/s, "
           "%.3f ms simulated, peak RSS %ld MiB\n",
           n, (unsigned long long)s2.events, w, (double)s2.events / w / 1e6, (double)cyc / 2000.0 / 1000.0,
           bench_peak_kib() / 1024);
  }
  bench_synic(calls / 10);
  return 0;
}
