/*
 * test_verdict.c — the one verdict of every level (sim/verdict/verdict.c,
 * report.c): each expectation kind judged over a record stream, samples
 * that never come are unreached and fail, a run that did not finish is an
 * ERROR whatever its expectations say, and nothing prints PASS then.
 */
#define _GNU_SOURCE /* open_memstream */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvsim/trace.h"
#include "sim/verdict/verdict.h"

static const char scn_text[] =
    "version: 1\n"
    "name: v\n"
    "machine: { lps: 1, memory: 64MiB, cpu_mhz: 1000 }\n"
    "partitions:\n"
    "  - { name: a, memory: 4MiB, program: idle }\n"
    "  - { name: b, memory: 4MiB, program: idle }\n"
    "timeline:\n"
    "  - { at: 0ms, start: [a, b] }\n"
    "expect:\n"
    "  - { at: 1ms, state: { a: Running } }\n"                                 /* 0 */
    "  - { at: 2ms, state: { b: Running } }\n"                                 /* 1 */
    "  - { count: { event: hypercall, partition: a, status: \"!SUCCESS\" }, equals: 0 }\n" /* 2 */
    "  - { count: { event: hypercall, partition: a }, at_least: 2 }\n"         /* 3 */
    "  - { isolation: ok }\n"                                                  /* 4 */
    "  - { latency: { event: timer, partition: b }, at_most: 5us }\n"          /* 5 */
    "  - { fair: [a, b], tolerance: 10% }\n";                                  /* 6 */

static struct scenario scn;
static struct verdict v;

static void setup(void) {
  struct scn_error err;
  cr_assert_eq(scenario_load_mem("v.yaml", (const uint8_t *)scn_text, sizeof scn_text - 1, &scn, &err), 0, "%s",
               err.msg);
  cr_assert_eq(verdict_init(&v, &scn), 0);
}

static void teardown(void) {
  verdict_free(&v);
  scenario_free(&scn);
}

TestSuite(verdict, .init = setup, .fini = teardown);

static void rec(uint64_t t, uint16_t kind, uint16_t part, uint64_t a, uint64_t b, uint64_t c) {
  struct hv_trace_rec r = {t, kind, 0, 0, part, a, b, c};
  verdict_rec(&v, &r);
}

/* VM a is partition 2, b partition 3; both Running from t=10. */
static void boot_vms(void) {
  rec(1, HV_TR_VM_BIND, HV_TRACE_ROOT_PARTITION, 1, 2, 0);
  rec(2, HV_TR_VM_BIND, HV_TRACE_ROOT_PARTITION, 2, 3, 0);
  rec(10, HV_TR_VM_STATE, HV_TRACE_ROOT_PARTITION, 1, SCN_VM_OFF, SCN_VM_RUNNING);
  rec(11, HV_TR_VM_STATE, HV_TRACE_ROOT_PARTITION, 2, SCN_VM_OFF, SCN_VM_RUNNING);
}

static const struct verdict_vp fair_rows[] = {
    {2, 0, 0, 1000, 0, 0, 0, 0, 0},
    {3, 0, 0, 950, 0, 0, 0, 0, 0},
};

static char *printed(void) {
  char *buf = 0;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  report_verdicts(f, &v);
  fclose(f);
  return buf;
}

Test(verdict, all_hold) {
  boot_vms();
  rec(20, HV_TR_HYPERCALL, 2, 0x46, 0, 0);
  rec(21, HV_TR_HYPERCALL, 2, 0x46, 0, 0);
  rec(30, HV_TR_TIMER, 3, 0, 4000, 0); /* 4 us at 1000 MHz */
  rec(1000000, HV_TR_WORLD, HV_TRACE_NONE, HV_WORLD_SAMPLE, 0, 0);
  rec(2000000, HV_TR_WORLD, HV_TRACE_NONE, HV_WORLD_SAMPLE, 1, 0);
  verdict_finish(&v, 3000000, fair_rows, 2, 0);
  for (uint32_t i = 0; i < scn.nexpects; i++)
    cr_expect(v.exp[i].held, "expectation %u: %s", i, v.exp[i].detail);
  cr_expect_eq(verdict_exit_code(&v), 0);
  char *out = printed();
  cr_expect(strstr(out, "verdict: PASS (7/7"), "%s", out);
  free(out);
}

Test(verdict, each_kind_can_fail) {
  boot_vms();
  rec(20, HV_TR_HYPERCALL, 2, 0x46, 0x2, 0); /* a failed call: "!SUCCESS == 0" fails, "at_least 2" fails */
  rec(30, HV_TR_TIMER, 3, 0, 6000, 0);       /* 6 us > 5 us */
  rec(40, HV_TR_ISOLATION, HV_TRACE_NONE, 5, 1, 2);
  rec(50, HV_TR_VM_STATE, HV_TRACE_ROOT_PARTITION, 1, SCN_VM_RUNNING, SCN_VM_PAUSED);
  rec(1000000, HV_TR_WORLD, HV_TRACE_NONE, HV_WORLD_SAMPLE, 0, 0);
  const struct verdict_vp unfair[] = {{2, 0, 0, 1000, 0, 0, 0, 0, 0}, {3, 0, 0, 100, 0, 0, 0, 0, 0}};
  verdict_finish(&v, 3000000, unfair, 2, 0);
  for (uint32_t i = 0; i < scn.nexpects; i++)
    cr_expect(!v.exp[i].held, "expectation %u should fail: %s", i, v.exp[i].detail);
  cr_expect(strstr(v.exp[0].detail, "a is Paused"), "%s", v.exp[0].detail);
  cr_expect(strstr(v.exp[1].detail, "unreached"), "%s", v.exp[1].detail);
  cr_expect_eq(verdict_exit_code(&v), 1);
}

Test(verdict, latency_without_events_fails) {
  boot_vms();
  verdict_finish(&v, 10, fair_rows, 2, 0);
  cr_expect(!v.exp[5].held);
}

Test(verdict, state_before_creation_is_deleted) {
  rec(1000000, HV_TR_WORLD, HV_TRACE_NONE, HV_WORLD_SAMPLE, 0, 0);
  verdict_finish(&v, 10, 0, 0, 0);
  cr_expect(strstr(v.exp[0].detail, "a is Deleted"), "%s", v.exp[0].detail);
}

Test(verdict, a_run_that_did_not_finish_is_an_error) {
  boot_vms();
  rec(20, HV_TR_HYPERCALL, 2, 0x46, 0, 0);
  rec(21, HV_TR_HYPERCALL, 2, 0x46, 0, 0);
  rec(30, HV_TR_TIMER, 3, 0, 4000, 0);
  rec(1000000, HV_TR_WORLD, HV_TRACE_NONE, HV_WORLD_SAMPLE, 0, 0);
  rec(2000000, HV_TR_WORLD, HV_TRACE_NONE, HV_WORLD_SAMPLE, 1, 0);
  verdict_finish(&v, 2000000, fair_rows, 2, "the image stopped with status 3: hvsim: PANIC x.c:1: y");
  cr_expect_eq(v.failed, 0); /* every expectation held where the run got to ... */
  cr_expect_eq(verdict_exit_code(&v), 1); /* ... and still the run failed */
  char *out = printed();
  cr_expect(strstr(out, "verdict: ERROR: the image stopped with status 3"), "%s", out);
  cr_expect(!strstr(out, "verdict: PASS"), "%s", out);
  free(out);
  struct hv_trace_rec r = verdict_record(&v, 6);
  cr_expect_eq(r.kind, HV_TR_EXPECT);
  cr_expect_eq(r.a, 6);
}

/* console: VM, contains: text — judged over the VM's serial records. */
Test(verdict, console_text_in_a_vms_serial_output) {
  static const char t[] = "version: 1\nname: c\nmachine: { lps: 1, memory: 64MiB }\n"
                          "partitions:\n  - { name: a, memory: 4MiB, program: idle }\n"
                          "  - { name: b, memory: 4MiB, program: idle }\n"
                          "expect:\n  - { console: a, contains: \"OK cpus=0-1\" }\n"
                          "  - { console: b, contains: \"OK\" }\n";
  struct scenario s2;
  struct verdict v2;
  struct scn_error err;
  cr_assert_eq(scenario_load_mem("c.yaml", (const uint8_t *)t, sizeof t - 1, &s2, &err), 0, "%s", err.msg);
  cr_assert_eq(verdict_init(&v2, &s2), 0);
  const char *out_a = "boot... OOK cpus=0-OK cpus=0-1\n", *out_b = "O\nK";
  for (const char *p = out_a; *p; p++) {
    struct hv_trace_rec r = {5, HV_TR_SERIAL, 0, 0, HV_TRACE_ROOT_PARTITION, 1, (uint8_t)*p, 0};
    verdict_rec(&v2, &r);
  }
  for (const char *p = out_b; *p; p++) {
    struct hv_trace_rec r = {6, HV_TR_SERIAL, 0, 0, HV_TRACE_ROOT_PARTITION, 2, (uint8_t)*p, 0};
    verdict_rec(&v2, &r);
  }
  verdict_finish(&v2, 100, 0, 0, 0);
  cr_assert(v2.exp[0].held, "%s", v2.exp[0].detail);
  cr_assert_str_eq(v2.exp[0].detail, "found after 30 bytes");
  cr_assert_not(v2.exp[1].held, "b's bytes are split by a newline");
  cr_assert_str_eq(v2.exp[1].detail, "not found in 3 bytes");
  cr_assert_eq(verdict_exit_code(&v2), 1);
  verdict_free(&v2);
  scenario_free(&s2);
}
