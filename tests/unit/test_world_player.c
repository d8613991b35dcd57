/*
 * test_world_player.c — the world's plan (sim/world/plan.c) and its one
 * player (platform/world/world_player.c): the order a scenario's world
 * acts in, storms, samples behind the other events of their time, a full
 * management queue, the end of the plan.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/world/world_player.h"
#include "sim/world/plan.h"

static const char scn_text[] =
    "version: 1\n"
    "name: w\n"
    "machine: { lps: 2, memory: 64MiB, cpu_mhz: 1000 }\n"
    "partitions:\n"
    "  - { name: a, memory: 4MiB, program: idle }\n"
    "  - { name: b, memory: 4MiB, program: idle }\n"
    "timeline:\n"
    "  - { at: 2ms, stop: [a, b] }\n"
    "  - { at: 0ms, create: b }\n"
    "  - { at: 1ms, interrupt: { device: nic, vector: 0x30, lp: 1, count: 3, period: 100us } }\n"
    "  - { at: 0ms, start: [a, b] }\n"
    "expect:\n"
    "  - { at: 2ms, state: { a: Off } }\n"
    "  - { at: 1ms, state: { a: Running } }\n";

struct log {
  char text[4096];
  size_t len;
  struct mgmt_channel ch;
  bool full;
};

static void log_add(struct log *l, const char *s) {
  size_t n = strlen(s);
  cr_assert_lt(l->len + n + 1, sizeof l->text);
  memcpy(l->text + l->len, s, n + 1);
  l->len += n;
}

static void h_trace(void *ctx, uint16_t kind, uint16_t part, uint64_t a, uint64_t b, uint64_t c) {
  char s[64];
  snprintf(s, sizeof s, "[%u %llu %llu %llu]", kind, (unsigned long long)a, (unsigned long long)b,
           (unsigned long long)c);
  log_add(ctx, s);
}

static void h_irq(void *ctx, uint32_t lp, uint8_t vector) {
  char s[32];
  snprintf(s, sizeof s, "irq%u:%u ", lp, vector);
  log_add(ctx, s);
}

static struct mgmt_channel *h_channel(void *ctx) {
  struct log *l = ctx;
  if (l->full)
    l->ch.tail = l->ch.head + MGMT_QUEUE_LEN;
  return &l->ch;
}

static struct scenario scn;
static struct plan plan;

static void setup(void) {
  struct scn_error err;
  cr_assert_eq(scenario_load_mem("w.yaml", (const uint8_t *)scn_text, sizeof scn_text - 1, &scn, &err), 0, "%s",
               err.msg);
  cr_assert_eq(plan_build(&scn, 0, &plan), 0);
}

static void teardown(void) {
  plan_free(&plan);
  scenario_free(&scn);
}

TestSuite(world, .init = setup, .fini = teardown);

Test(world, plan_order) {
  /* a is created implicitly first; then the timeline in time order (b's
   * create, start a, start b, the interrupt, stop a, stop b), samples last
   * at their time. */
  static const uint32_t kinds[] = {WORLD_EV_MGMT, WORLD_EV_MGMT,   WORLD_EV_MGMT, WORLD_EV_MGMT, WORLD_EV_INTERRUPT,
                                   WORLD_EV_SAMPLE, WORLD_EV_MGMT, WORLD_EV_MGMT, WORLD_EV_SAMPLE};
  cr_assert_eq(plan.nev, sizeof kinds / sizeof kinds[0]);
  for (uint32_t i = 0; i < plan.nev; i++)
    cr_expect_eq(plan.ev[i].kind, kinds[i], "event %u", i);
  static const uint32_t actions[] = {MGMT_CREATE, MGMT_CREATE, MGMT_START, MGMT_START, MGMT_STOP, MGMT_STOP};
  static const uint32_t vms[] = {1, 2, 1, 2, 1, 2};
  cr_assert_eq(plan.nreqs, 6);
  for (uint32_t i = 0; i < plan.nreqs; i++) {
    cr_expect_eq(plan.reqs[i].action, actions[i], "request %u", i);
    cr_expect_eq(plan.reqs[i].vm_id, vms[i], "request %u", i);
  }
  cr_expect_str_eq(plan.reqs[0].config.name, "a");
  cr_expect_eq(plan.ev[5].arg, 1); /* the 1 ms sample is expectation 1 */
  cr_expect_eq(plan.until_ns, 2000000 + PLAN_DEFAULT_TAIL_NS);
  cr_expect_eq(plan.pos[4].line, 10); /* the interrupt's line in the file */
}

Test(world, play) {
  struct log *l = calloc(1, sizeof *l);
  struct world_player p;
  world_player_init(&p, plan.ev, plan.nev, plan.reqs, plan.nreqs, 1000, 2);
  struct world_hooks h = {l, h_trace, h_irq, h_channel, 0};
  cr_expect_eq(world_play(&p, 0, &h), 1000000);
  cr_expect_str_eq(l->text, "[18 2 1 1]irq0:64 [18 2 1 2]irq0:64 [18 2 2 1]irq0:64 [18 2 2 2]irq0:64 ");
  l->len = 0;
  l->text[0] = 0;
  /* at 1 ms: the interrupt, then the sample; next the storm's second */
  cr_expect_eq(world_play(&p, 1000000, &h), 1100000);
  cr_expect_str_eq(l->text, "[18 1 48 1]irq1:48 [18 3 1 0]");
  l->len = 0;
  l->text[0] = 0;
  cr_expect_eq(world_play(&p, 1250000, &h), 2000000); /* the storm is over after its third */
  cr_expect_str_eq(l->text, "irq1:48 irq1:48 ");
  cr_expect_eq(l->ch.tail, 4);
  l->full = true; /* a full queue: the request fails, nothing is raised */
  l->len = 0;
  l->text[0] = 0;
  cr_expect_eq(world_play(&p, 2000000, &h), UINT64_MAX);
  cr_expect_str_eq(l->text, "[18 2 3 1][13 3 2 1][18 2 3 2][13 3 2 2][18 3 0 0]");
  free(l);
}
