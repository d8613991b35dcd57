/*
 * test_scenario.c — the scenario parser and validator (sim/scenario/scenario.c) and
 * its name tables (sim/scenario/names.c): fields, units, defaults, the
 * stable timeline order, expectation filters and texts; every file of
 * tests/malformed/ fails at the line, column and field listed in
 * expected.tsv; truncated and corrupted inputs fail cleanly; every
 * scenarios/ *.yaml parses.
 */
#define _POSIX_C_SOURCE 200809L /* opendir */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/hvgdk.h"
#include "hvsim/trace.h"
#include "sim/scenario/scenario.h"

static const char quickstart[] =
    "version: 1\n"
    "name: quickstart\n"
    "machine: { lps: 4, memory: 512MiB, cpu_mhz: 3000, slice: 500us }\n"
    "until: 20ms\n"
    "partitions:\n"
    "  - { name: web, memory: 64MiB, vps: 2, program: hypercall-loop,\n"
    "      params: { calls: 1000, mask: 0x30, mode: fast, tag: \"42\" } }\n"
    "  - { name: db, memory: 0x100000, program: memtouch }\n"
    "  - { name: idle1, memory: 64KiB, program: idle }\n"
    "timeline:\n"
    "  - { at: 5ms, stop: db }\n"
    "  - { at: 0ms, create: web }\n"
    "  - { at: 1.5us, start: [web, db] }\n"
    "  - { at: 5ms, delete: db }\n"
    "  - { at: 2ms, interrupt: { device: timer0, vector: 0x30, lp: 3, count: 4, "
    "period: 10us } }\n"
    "  - { at: 0.25ms, interrupt: { device: nic0, vector: 48 } }\n"
    "  - { at: 5ms, pause: web }\n"
    "expect:\n"
    "  - { at: 10ms, state: { web: Running, db: Deleted } }\n"
    "  - { count: { event: hypercall, partition: web, vp: 1,\n"
    "               call: HvCallCreatePartition, status: ACCESS_DENIED }, "
    "equals: 0 }\n"
    "  - { count: { event: vp_exit, partition: root, reason: hlt }, at_least: 1 }\n"
    "  - { count: { event: mgmt, status: \"!ok\" }, at_most: 2 }\n"
    "  - { isolation: ok }\n"
    "  - { fair: [web, db, idle1], tolerance: 10% }\n";

static void load_ok(const char *text, struct scenario *s) {
  struct scn_error err;
  int rc = scenario_load_mem("inline.yaml", (const uint8_t *)text, strlen(text), s, &err);
  cr_assert_eq(rc, 0, "unexpected error: %s", err.msg);
}

/* Fails, and the one-line message contains want. */
static void load_fails(const char *text, const char *want) {
  struct scenario s;
  struct scn_error err;
  int rc = scenario_load_mem("bad.yaml", (const uint8_t *)text, strlen(text), &s, &err);
  cr_assert_eq(rc, -1, "accepted: %s", text);
  cr_expect(strncmp(err.msg, "bad.yaml:", 9) == 0, "%s", err.msg);
  cr_expect(strstr(err.msg, want) != NULL, "'%s' not in '%s'", want, err.msg);
  cr_expect(strchr(err.msg, '\n') == NULL, "%s", err.msg);
  cr_expect_null(s.partitions);
  cr_expect_null(s.actions);
  cr_expect_null(s.expects);
}

Test(scenario, machine_and_defaults) {
  struct scenario s;
  load_ok(quickstart, &s);
  cr_expect_str_eq(s.name, "quickstart");
  cr_expect_str_eq(s.path, "inline.yaml");
  cr_expect_eq(s.version, 1);
  cr_expect_eq(s.machine.lps, 4);
  cr_expect_eq(s.machine.memory_bytes, 512ull << 20);
  cr_expect_eq(s.machine.cpu_mhz, 3000);
  cr_expect_eq(s.machine.slice_us, 500);
  cr_expect_eq(s.until_ns, 20000000ull);
  scenario_free(&s);

  load_ok("version: 1\nname: m\nmachine: { lps: 1, memory: 16MiB }\npartitions: []\n", &s);
  cr_expect_eq(s.machine.cpu_mhz, 2000);
  cr_expect_eq(s.machine.slice_us, 1000);
  cr_expect_eq(s.until_ns, 0);
  cr_expect_eq(s.npartitions, 0);
  cr_expect_eq(s.nactions, 0);
  cr_expect_eq(s.nexpects, 0);
  scenario_free(&s);
}

Test(scenario, partitions_and_params) {
  struct scenario s;
  load_ok(quickstart, &s);
  cr_assert_eq(s.npartitions, 3);
  const struct scn_partition *web = &s.partitions[0], *db = &s.partitions[1];
  cr_expect_str_eq(web->name, "web");
  cr_expect_eq(web->memory_bytes, 64ull << 20);
  cr_expect_eq(web->vps, 2);
  cr_expect_str_eq(web->program, "hypercall-loop");
  cr_expect(web->explicit_create);
  cr_expect_eq(web->pos.line, 6);
  cr_expect_eq(web->pos.col, 5);
  cr_assert_eq(web->nparams, 4);
  cr_expect_str_eq(web->params[0].key, "calls");
  cr_expect_eq(web->params[0].value, 1000);
  cr_expect_not(web->params[0].is_string);
  cr_expect_eq(web->params[1].value, 0x30);
  cr_expect(web->params[2].is_string);
  cr_expect_str_eq(web->params[2].str, "fast");
  cr_expect(web->params[3].is_string, "a quoted number is a string");
  cr_expect_str_eq(web->params[3].str, "42");
  cr_expect_eq(db->memory_bytes, 1ull << 20);
  cr_expect_eq(db->vps, 1);
  cr_expect_not(db->explicit_create);
  cr_expect_eq(db->nparams, 0);
  cr_expect_eq(s.partitions[2].memory_bytes, 64ull << 10);
  scenario_free(&s);
}

Test(scenario, timeline_sorted_stable) {
  struct scenario s;
  load_ok(quickstart, &s);
  cr_assert_eq(s.nactions, 7);
  static const struct {
    uint64_t at;
    enum scn_action_kind kind;
  } want[] = {
      {0, SCN_ACT_CREATE},          {1500, SCN_ACT_START},   {250000, SCN_ACT_INTERRUPT},
      {2000000, SCN_ACT_INTERRUPT}, {5000000, SCN_ACT_STOP}, {5000000, SCN_ACT_DELETE},
      {5000000, SCN_ACT_PAUSE},
  };
  for (uint32_t i = 0; i < s.nactions; i++) {
    cr_expect_eq(s.actions[i].at_ns, want[i].at, "action %u", i);
    cr_expect_eq(s.actions[i].kind, want[i].kind, "action %u", i);
  }
  cr_expect_eq(s.actions[1].ntargets, 2);
  cr_expect_eq(s.actions[1].targets[0], 0);
  cr_expect_eq(s.actions[1].targets[1], 1);
  cr_expect_eq(s.actions[4].pos.line, 11, "stop keeps its file position");
  cr_expect_eq(s.actions[5].pos.line, 14);
  cr_expect_eq(s.actions[6].pos.line, 17);
  scenario_free(&s);
}

Test(scenario, interrupts) {
  struct scenario s;
  load_ok(quickstart, &s);
  const struct scn_action *storm = &s.actions[3], *one = &s.actions[2];
  cr_expect_str_eq(storm->irq.device, "timer0");
  cr_expect_eq(storm->irq.vector, 0x30);
  cr_expect_eq(storm->irq.lp, 3);
  cr_expect_eq(storm->irq.count, 4);
  cr_expect_eq(storm->irq.period_ns, 10000);
  cr_expect_str_eq(one->irq.device, "nic0");
  cr_expect_eq(one->irq.vector, 48);
  cr_expect_eq(one->irq.lp, 0);
  cr_expect_eq(one->irq.count, 1);
  cr_expect_eq(one->irq.period_ns, 0);
  scenario_free(&s);
}

Test(scenario, expectations) {
  struct scenario s;
  load_ok(quickstart, &s);
  cr_assert_eq(s.nexpects, 6);
  const struct scn_expect *e = s.expects;
  cr_expect_eq(e[0].kind, SCN_EXP_STATE);
  cr_expect_eq(e[0].at_ns, 10000000ull);
  cr_expect_eq(e[0].ntargets, 2);
  cr_expect_eq(e[0].states[1], SCN_VM_DELETED);
  cr_expect_str_eq(e[0].text, "state web=Running db=Deleted at 10ms");

  const struct scn_filter *f = &e[1].filter;
  cr_expect_eq(e[1].kind, SCN_EXP_COUNT);
  cr_expect_eq(f->kind, HV_TR_HYPERCALL);
  cr_expect_eq(f->partition, 0);
  cr_expect_eq(f->vp, 1);
  cr_expect_eq(f->call, HVCALL_CREATE_PARTITION);
  cr_expect_eq(f->status, HV_STATUS_ACCESS_DENIED);
  cr_expect_not(f->status_not);
  cr_expect_eq(f->reason, -1);
  cr_expect_eq(e[1].cmp, SCN_CMP_EQ);
  cr_expect_eq(e[1].n, 0);
  cr_expect_str_eq(e[1].text, "count hypercall partition=web vp=1 "
                              "call=HvCallCreatePartition status=ACCESS_DENIED == 0");

  f = &e[2].filter;
  cr_expect_eq(f->partition, -2);
  cr_expect_eq(f->reason, HV_EXIT_HLT);
  cr_expect_eq(f->status, -1);
  cr_expect_eq(e[2].cmp, SCN_CMP_GE);
  cr_expect_str_eq(e[2].text, "count vp_exit partition=root reason=hlt >= 1");

  f = &e[3].filter;
  cr_expect_eq(f->status, SCN_MGMT_OK);
  cr_expect(f->status_not);
  cr_expect_eq(f->partition, -1);
  cr_expect_eq(e[3].cmp, SCN_CMP_LE);
  cr_expect_eq(e[3].n, 2);
  cr_expect_str_eq(e[3].text, "count mgmt status=!ok <= 2");

  cr_expect_eq(e[4].kind, SCN_EXP_ISOLATION);
  cr_expect_str_eq(e[4].text, "isolation ok");
  cr_expect_eq(e[5].kind, SCN_EXP_FAIR);
  cr_expect_eq(e[5].ntargets, 3);
  cr_expect_eq(e[5].tolerance_pct, 10);
  cr_expect_str_eq(e[5].text, "fair web db idle1 within 10%");
  scenario_free(&s);
}

#define DOC_HEAD                                                                                   \
  "version: 1\nname: t\nmachine: { lps: 2, memory: 64MiB }\n"                                      \
  "partitions: [ { name: a, memory: 1MiB, program: idle } ]\n"

Test(scenario, time_units) {
  static const struct {
    const char *text;
    uint64_t ns;
  } ok[] = {{"0ms", 0},
            {"7ns", 7},
            {"1.5us", 1500},
            {"2s", 2000000000ull},
            {"0.000001ms", 1},
            {"1.250000ms", 1250000},
            {"3.0s", 3000000000ull}};
  char doc[256];
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    struct scenario s;
    snprintf(doc, sizeof doc, DOC_HEAD "timeline: [ { at: %s, start: a } ]\n", ok[i].text);
    load_ok(doc, &s);
    cr_expect_eq(s.actions[0].at_ns, ok[i].ns, "%s", ok[i].text);
    scenario_free(&s);
  }
  static const char *const bad[][2] = {
      {"10", "needs a unit"},
      {"0.5ns", "whole number of nanoseconds"},
      {"1.0000000001s", "whole"},
      {"5 ms", "expected a time"},
      {"ms", "expected a time"},
      {"-1ms", "expected a time"},
      {"1.ms", "expected a time"},
      {"99999999999999999999ns", "too large"},
      {"18446744073709551615s", "too large"},
      {"\"1ms\"", "got the string"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(doc, sizeof doc, DOC_HEAD "timeline: [ { at: %s, start: a } ]\n", bad[i][0]);
    load_fails(doc, bad[i][1]);
  }
}

Test(scenario, sizes_and_numbers) {
  load_fails(DOC_HEAD "until: 1ms\nexpect: [ { count: { event: halt }, equals: 1x } ]\n",
             "expected an integer");
  load_fails("version: 1\nname: t\nmachine: { lps: 2, memory: 128GiB }\npartitions: []\n",
             "must be between 16MiB and 64GiB");
  load_fails("version: 1\nname: t\nmachine: { lps: 2, memory: 17MiB }\npartitions: []\n",
             "multiple of 2MiB");
  load_fails("version: 1\nname: t\nmachine: { lps: 2, memory: 99999999999GiB }\n"
             "partitions: []\n",
             "too large");
  load_fails("version: 1\nname: t\nmachine: { lps: 0x10000000000000000, memory: 64MiB }\n"
             "partitions: []\n",
             "too large");
  load_fails("version: 1\nname: t\nmachine: { lps: 2, memory: 64MiB, slice: 5us }\n"
             "partitions: []\n",
             "machine.slice: must be between 10us and 1s");
  load_fails("version: 1\nname: t\nmachine: { lps: 2, memory: 64MiB, slice: 10500ns }\n"
             "partitions: []\n",
             "whole number of microseconds");
  load_fails("version: 1\nname: t\nmachine: { lps: 2, memory: 64MiB, cpu_mhz: 50 }\n"
             "partitions: []\n",
             "machine.cpu_mhz: must be between 100 and 10000");
}

Test(scenario, document_errors) {
  load_fails("", "bad.yaml:1:1: (document): empty document");
  load_fails("# only a comment\n", "empty document");
  load_fails("version: 7\nname: x\n", "1:10: version: unsupported version 7, this hvsim "
                                      "reads version 1");
  load_fails("- a\n- b\n", "(document): expected a map");
  load_fails("version: 1\nname: \"bad name\"\nmachine: { lps: 1, memory: 16MiB }\n"
             "partitions: []\n",
             "name: 'bad name' is not a valid name");
  load_fails("version: 1\nname: t\nmachine: !!map { lps: 1 }\n", "tags");
  load_fails("version: 1\n? [a, b]\n: c\n", "map key must be a plain value");
  load_fails("version: 1\nname: \"a\\0b\"\n", "NUL");
  load_fails(DOC_HEAD "partitions: []\n", "duplicate key 'partitions'");
  load_fails(DOC_HEAD "timeline: [ { at: 1ms } ]\n", "timeline[0]: needs an action");
  load_fails(DOC_HEAD "timeline: [ { start: a } ]\n", "timeline[0].at: missing");
  load_fails(DOC_HEAD "timeline: [ { at: 1ms, start: [a, a] } ]\n", "listed twice");
  load_fails(DOC_HEAD "timeline: [ { at: 1ms, start: [] } ]\n", "needs 1 to 256");
  load_fails(DOC_HEAD "expect: [ { state: { a: Off } } ]\n", "expect[0].at: missing");
  load_fails(DOC_HEAD "expect: [ { at: 1ms, state: { a: Asleep } } ]\n",
             "unknown VM state 'Asleep'");
  load_fails(DOC_HEAD "expect: [ { at: 1ms, isolation: ok } ]\n",
             "expect[0].at: 'at' only goes with state");
  load_fails(DOC_HEAD "expect: [ { fair: [a] , tolerance: 5% } ]\n", "needs 2 to 256");
  load_fails(DOC_HEAD "expect: [ { count: { event: halt, vp: 1, partition: a }, "
                      "equals: 1 } ]\n",
             "expect[0].count.vp: must be between 0 and 0");
  load_fails(DOC_HEAD "expect: [ { count: { event: halt, reason: hlt }, equals: 1 } ]\n",
             "'reason' needs event: vp_exit");
  load_fails(DOC_HEAD "expect: [ { count: { partition: a }, equals: 1 } ]\n",
             "expect[0].count.event: missing");
}

Test(scenario, load_from_file_errors) {
  struct scenario s;
  struct scn_error err;
  cr_assert_eq(scenario_load("/nonexistent/x.yaml", &s, &err), -1);
  cr_expect(strncmp(err.msg, "/nonexistent/x.yaml:1:1: ", 25) == 0, "%s", err.msg);
}

/* Every prefix and many one-byte corruptions of a valid document either
 * parse or fail with one line naming the file; nothing leaks (LSan). */
Test(scenario, truncated_and_corrupted_inputs) {
  size_t len = strlen(quickstart);
  uint8_t *buf = malloc(len);
  cr_assert_not_null(buf);
  for (size_t cut = 0; cut <= len; cut++) {
    for (int flip = -1; flip < 4; flip++) {
      struct scenario s;
      struct scn_error err;
      memcpy(buf, quickstart, len);
      if (flip >= 0 && cut < len)
        buf[cut] = (uint8_t)(flip == 0 ? 0 : flip == 1 ? '[' : flip == 2 ? 0xff : '&');
      size_t n = flip >= 0 ? len : cut;
      if (scenario_load_mem("mut.yaml", buf, n, &s, &err) == 0) {
        scenario_free(&s);
        continue;
      }
      cr_expect(strncmp(err.msg, "mut.yaml:", 9) == 0, "%s", err.msg);
      cr_expect(strchr(err.msg, '\n') == NULL, "%s", err.msg);
    }
  }
  free(buf);
}

static void tsv_check_line(char *line) {
  char path[1024], prefix[1200];
  struct scenario s;
  struct scn_error err;
  char *file = strtok(line, "\t");
  char *pos = strtok(NULL, "\t");
  char *field = strtok(NULL, "\t\r\n");
  cr_assert(file && pos && field, "bad expected.tsv line");
  snprintf(path, sizeof path, "%s/tests/malformed/%s", HVSIM_SOURCE_DIR, file);
  snprintf(prefix, sizeof prefix, "%s:%s: ", path, pos);
  cr_expect_eq(scenario_load(path, &s, &err), -1, "%s was accepted", file);
  cr_expect(strncmp(err.msg, prefix, strlen(prefix)) == 0, "%s: want '%s', got '%s'", file, prefix,
            err.msg);
  cr_expect(strstr(err.msg + strlen(path), field) != NULL, "%s: field '%s' not in '%s'", file,
            field, err.msg);
  cr_expect(strchr(err.msg, '\n') == NULL, "%s: not one line", file);
}

Test(scenario, malformed_files) {
  char line[512];
  int rows = 0;
  FILE *f = fopen(HVSIM_SOURCE_DIR "/tests/malformed/expected.tsv", "r");
  cr_assert_not_null(f, "tests/malformed/expected.tsv missing");
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '\n' || line[0] == '#')
      continue;
    tsv_check_line(line);
    rows++;
  }
  fclose(f);
  cr_expect_geq(rows, 24, "only %d malformed files", rows);
}

static bool yaml_name(const char *name) {
  size_t n = strlen(name);
  return n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

Test(scenario, shipped_scenarios_parse) {
  DIR *d = opendir(HVSIM_SOURCE_DIR "/scenarios");
  struct dirent *ent;
  char path[1024];
  if (!d)
    return; /* no scenarios yet */
  while ((ent = readdir(d)) != NULL) {
    struct scenario s;
    struct scn_error err;
    if (!yaml_name(ent->d_name))
      continue;
    snprintf(path, sizeof path, "%s/scenarios/%s", HVSIM_SOURCE_DIR, ent->d_name);
    if (scenario_load(path, &s, &err) == 0)
      scenario_free(&s);
    else
      cr_expect_fail("%s", err.msg);
  }
  closedir(d);
}

Test(scenario_names, states_kinds_reasons) {
  cr_expect_str_eq(scn_vm_state_name(SCN_VM_STOPPING), "Stopping");
  cr_expect_eq(scn_vm_state_parse("Paused"), SCN_VM_PAUSED);
  cr_expect_eq(scn_vm_state_parse("paused"), -1);
  cr_expect_null(scn_vm_state_name((enum scn_vm_state)99));
  for (int k = 1; k < HV_TR_KIND_COUNT; k++) {
    cr_assert_not_null(scn_trace_kind_name(k), "kind %d unnamed", k);
    cr_expect_eq(scn_trace_kind_parse(scn_trace_kind_name(k)), k);
  }
  cr_expect_str_eq(scn_trace_kind_name(HV_TR_GPA_VIOLATION), "gpa_violation");
  cr_expect_str_eq(scn_trace_kind_name(HV_TR_VM_BIND), "vm_bind");
  cr_expect_null(scn_trace_kind_name(0));
  cr_expect_null(scn_trace_kind_name(HV_TR_KIND_COUNT));
  cr_expect_eq(scn_trace_kind_parse("nope"), -1);
  for (int r = 1; r < HV_EXIT_REASON_COUNT; r++)
    cr_expect_eq(scn_exit_reason_parse(scn_exit_reason_name(r)), r);
  cr_expect_str_eq(scn_exit_reason_name(HV_EXIT_MSR_WRITE), "msr_write");
  cr_expect_eq(scn_exit_reason_parse("none"), -1);
  cr_expect_eq(scn_exit_reason_parse("0"), -1);
  cr_expect_eq(scn_exit_reason_parse("6"), HV_EXIT_HLT);
  cr_expect_str_eq(scn_mgmt_status_name(SCN_MGMT_INVALID_STATE), "invalid_state");
  cr_expect_eq(scn_mgmt_status_parse("not_found"), SCN_MGMT_NOT_FOUND);
  cr_expect_eq(scn_mgmt_status_parse("2"), SCN_MGMT_FAILED);
  cr_expect_eq(scn_mgmt_status_parse("4"), -1);
}

Test(scenario_names, statuses_and_calls) {
  cr_expect_eq(scn_status_parse("ACCESS_DENIED"), HV_STATUS_ACCESS_DENIED);
  cr_expect_eq(scn_status_parse("HV_STATUS_ACCESS_DENIED"), HV_STATUS_ACCESS_DENIED);
  cr_expect_eq(scn_status_parse("0x71"), HV_STATUS_OPERATION_FAILED);
  cr_expect_eq(scn_status_parse("11"), HV_STATUS_INSUFFICIENT_MEMORY);
  cr_expect_eq(scn_status_parse("0x10000"), -1);
  cr_expect_eq(scn_status_parse("access_denied"), -1);
  cr_expect_eq(scn_status_parse(""), -1);
  cr_expect_str_eq(scn_status_name(HV_STATUS_SUCCESS), "SUCCESS");
  cr_expect_null(scn_status_name(0x1234));
  cr_expect_eq(scn_call_parse("HvCallCreatePartition"), HVCALL_CREATE_PARTITION);
  cr_expect_eq(scn_call_parse("CREATE_PARTITION"), HVCALL_CREATE_PARTITION);
  cr_expect_eq(scn_call_parse("HVCALL_CREATE_PARTITION"), HVCALL_CREATE_PARTITION);
  cr_expect_eq(scn_call_parse("0x4b"), HVCALL_MAP_GPA_PAGES);
  cr_expect_eq(scn_call_parse("HvCallTeleport"), -1);
  cr_expect_str_eq(scn_call_name(HVCALL_GET_VP_REGISTERS), "HvCallGetVpRegisters");
  cr_expect_str_eq(scn_call_name(HVCALL_NOTIFY_LONG_SPIN_WAIT), "HvCallNotifyLongSpinWait");
  cr_expect_null(scn_call_name(0x7777));
}

Test(scenario_names, units) {
  char buf[24];
  uint64_t v = 0;
  cr_expect_str_eq(scn_time_format(0, buf, sizeof buf), "0ms");
  cr_expect_str_eq(scn_time_format(1500, buf, sizeof buf), "1500ns");
  cr_expect_str_eq(scn_time_format(10000, buf, sizeof buf), "10us");
  cr_expect_str_eq(scn_time_format(3000000000ull, buf, sizeof buf), "3s");
  cr_expect_str_eq(scn_size_format(64ull << 20, buf, sizeof buf), "64MiB");
  cr_expect_str_eq(scn_size_format(4097, buf, sizeof buf), "4097");
  cr_expect_eq(scn_time_parse("250us", &v), SCN_TIME_OK);
  cr_expect_eq(v, 250000);
  cr_expect_eq(scn_time_parse("250", &v), SCN_TIME_NO_UNIT);
  cr_expect_eq(scn_time_parse("0.1ns", &v), SCN_TIME_FRACTION);
  cr_expect_eq(scn_time_parse("1.5.5ms", &v), SCN_TIME_SYNTAX);
  cr_expect_eq(scn_size_parse("0x10KiB", &v), 0);
  cr_expect_eq(v, 16384);
  cr_expect_eq(scn_size_parse("16EiB", &v), -1);
  cr_expect_eq(scn_size_parse("17179869184GiB", &v), -2);
  cr_expect_eq(scn_parse_uint("0x", &v), -1);
  cr_expect_eq(scn_parse_uint("18446744073709551615", &v), 0);
  cr_expect_eq(scn_parse_uint("18446744073709551616", &v), -2);
}

/* 'description:' (the tour's chapters): kept as written, a text, never blank. */
#define DESC_DOC(d) "version: 1\nname: m\ndescription: " d "\nmachine: { lps: 1, memory: 16MiB }\npartitions: []\n"
Test(scenario, description) {
  struct scenario s;
  load_ok(DESC_DOC("|\n  First paragraph.\n\n  Look at the hypercall events.\n"), &s);
  cr_expect_str_eq(s.description, "First paragraph.\n\nLook at the hypercall events.\n");
  scenario_free(&s);
  load_ok("version: 1\nname: m\nmachine: { lps: 1, memory: 16MiB }\npartitions: []\n", &s);
  cr_expect_str_eq(s.description, "");
  scenario_free(&s);
  load_fails(DESC_DOC("{ a: 1 }"), "description: expected a text");
  load_fails(DESC_DOC("\"  \\n \""), "description: empty text");
  load_fails(DESC_DOC("\"bell \\a\""), "description: control character 0x07");
}
