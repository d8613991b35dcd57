/*
 * report.c — what a run reports, at every level (see verdict.h): the
 * summary table (per VP: cycles in guest, in the hypervisor, in exit
 * overhead; hypercalls by call and status; interrupts; events; management
 * errors), the expectation verdicts and result.json.
 */
#include <stdio.h>
#include <string.h>

#include "verdict.h"

static const char *const report_mgmt_actions[] = {"?",      "create",  "start", "stop",     "pause",   "resume",
                                                   "delete", "connect", "route", "assign",   "unassign", "shutdown"};

static const char *report_action_name(uint32_t a) {
  return a < sizeof report_mgmt_actions / sizeof report_mgmt_actions[0] ? report_mgmt_actions[a] : "?";
}

static double report_ms(const struct verdict *v, uint64_t cycles) {
  return (double)cycles / (double)v->scn->machine.cpu_mhz / 1000.0;
}

void report_table(FILE *f, const struct verdict *v) {
  uint64_t total_guest = 0;
  for (uint32_t i = 0; i < v->nvps; i++)
    total_guest += v->vps[i].guest_cycles;
  fprintf(f, "\n%-12s %4s %-9s %14s %12s %12s %9s %10s %10s %6s\n", "partition", "vp", "state", "guest-cycles",
          "hv-cycles", "exit-cycles", "exits", "hypercalls", "dispatches", "share");
  for (uint32_t i = 0; i < v->nvps; i++) {
    const struct verdict_vp *p = &v->vps[i];
    const char *state = p->vm == 0 ? "-" : scn_vm_state_name((enum scn_vm_state)v->vm_state[p->vm]);
    double share = total_guest ? 100.0 * (double)p->guest_cycles / (double)total_guest : 0.0;
    fprintf(f, "%-12s %4u %-9s %14llu %12llu %12llu %9llu %10llu %10llu %5.1f%%\n", verdict_vm_name(v, p->vm), p->vp,
            state, (unsigned long long)p->guest_cycles, (unsigned long long)p->hv_cycles,
            (unsigned long long)p->exit_cycles, (unsigned long long)p->exits, (unsigned long long)p->hypercalls,
            (unsigned long long)p->dispatches, share);
  }
  fprintf(f, "\nhypercalls by partition, call and status:\n");
  for (uint32_t i = 0; i < v->nhc; i++) {
    const struct verdict_hcrow *h = &v->hc[i];
    const char *call = scn_call_name(h->code);
    char codebuf[16];
    snprintf(codebuf, sizeof codebuf, "0x%04x", h->code);
    fprintf(f, "  %-12s %-32s %-26s %10llu\n", verdict_vm_name(v, h->vm), call ? call : codebuf,
            scn_status_name(h->status) ? scn_status_name(h->status) : "?", (unsigned long long)h->count);
  }
  fprintf(f, "\ninterrupts: %llu physical, %llu virtual delivered\n",
          (unsigned long long)v->kind_counts[HV_TR_IRQ_PHYS], (unsigned long long)v->kind_counts[HV_TR_IRQ_VIRT]);
  fprintf(f, "events: %llu total:", (unsigned long long)v->events);
  for (int k = 1; k < HV_TR_KIND_COUNT; k++)
    if (v->kind_counts[k])
      fprintf(f, " %s %llu", scn_trace_kind_name(k), (unsigned long long)v->kind_counts[k]);
  fprintf(f, "\nmanagement errors: %s\n", v->nmerr ? "" : "none");
  for (uint32_t i = 0; i < v->nmerr; i++) {
    const char *e = scn_mgmt_status_name((int)v->merr[i].error);
    fprintf(f, "  at %.3f ms: %s %s: %s\n", report_ms(v, v->merr[i].time), report_action_name(v->merr[i].action),
            verdict_vm_name(v, v->merr[i].vm), e ? e : "?");
  }
}

void report_verdicts(FILE *f, const struct verdict *v) {
  fprintf(f, "\nexpectations:\n");
  for (uint32_t i = 0; i < v->scn->nexpects; i++) {
    const struct verdict_exp *x = &v->exp[i];
    fprintf(f, "  [%s] %s%s%s%s\n", x->held ? "PASS" : "FAIL", v->scn->expects[i].text, x->detail[0] ? " (" : "",
            x->detail, x->detail[0] ? ")" : "");
  }
  if (v->error[0])
    fprintf(f, "verdict: ERROR: %s (the run did not finish; %u/%u expectations hold up to where it ended)\n",
            v->error, v->held, v->scn->nexpects);
  else
    fprintf(f, "verdict: %s (%u/%u expectations hold)\n", v->failed ? "FAIL" : "PASS", v->held, v->scn->nexpects);
}

static void report_json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fprintf(f, "\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      fprintf(f, "\\u%04x", *s);
    else
      fputc(*s, f);
  }
  fputc('"', f);
}

int report_json(const char *path, const struct verdict *v, uint64_t seed, int code, const char *digest,
                const char *backend) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  fprintf(f, "{\"scenario\": ");
  report_json_str(f, v->scn->path);
  fprintf(f, ", \"name\": ");
  report_json_str(f, v->scn->name);
  fprintf(f, ", \"backend\": ");
  report_json_str(f, backend);
  fprintf(f, ", \"seed\": %llu, \"exit\": %d, \"digest\": \"%s\", \"events\": %llu, \"error\": ",
          (unsigned long long)seed, code, digest, (unsigned long long)v->events);
  if (v->error[0])
    report_json_str(f, v->error);
  else
    fputs("null", f);
  fprintf(f, ", \"verdicts\": [");
  for (uint32_t i = 0; i < v->scn->nexpects; i++) {
    fprintf(f, "%s{\"index\": %u, \"text\": ", i ? ", " : "", i);
    report_json_str(f, v->scn->expects[i].text);
    fprintf(f, ", \"held\": %s, \"detail\": ", v->exp[i].held ? "true" : "false");
    report_json_str(f, v->exp[i].detail);
    fputc('}', f);
  }
  fprintf(f, "], \"mgmt_errors\": [");
  for (uint32_t i = 0; i < v->nmerr; i++) {
    const char *e = scn_mgmt_status_name((int)v->merr[i].error);
    fprintf(f, "%s{\"time_ns\": %llu, \"vm\": ", i ? ", " : "",
            (unsigned long long)(v->merr[i].time * 1000 / v->scn->machine.cpu_mhz));
    report_json_str(f, verdict_vm_name(v, v->merr[i].vm));
    fprintf(f, ", \"action\": \"%s\", \"error\": ", report_action_name(v->merr[i].action));
    report_json_str(f, e ? e : "?");
    fputc('}', f);
  }
  fprintf(f, "], \"vms\": {");
  for (uint32_t vm = 1; vm <= v->scn->npartitions; vm++) {
    fprintf(f, "%s", vm > 1 ? ", " : "");
    report_json_str(f, verdict_vm_name(v, vm));
    fprintf(f, ": {\"state\": \"%s\", \"guest_cycles\": %llu}", scn_vm_state_name((enum scn_vm_state)v->vm_state[vm]),
            (unsigned long long)verdict_vm_guest(v, vm));
  }
  /* one line per VP: the run report (sim/report) reads these back */
  fprintf(f, "},\n\"vps\": [");
  for (uint32_t i = 0; i < v->nvps; i++) {
    const struct verdict_vp *p = &v->vps[i];
    fprintf(f, "%s\n{\"vm\": ", i ? "," : "");
    report_json_str(f, verdict_vm_name(v, p->vm));
    fprintf(f, ", \"partition\": %llu, \"vp\": %u, \"guest_cycles\": %llu, \"hv_cycles\": %llu, "
               "\"exit_cycles\": %llu, \"exits\": %llu, \"hypercalls\": %llu}",
            (unsigned long long)p->pid, p->vp, (unsigned long long)p->guest_cycles,
            (unsigned long long)p->hv_cycles, (unsigned long long)p->exit_cycles, (unsigned long long)p->exits,
            (unsigned long long)p->hypercalls);
  }
  fprintf(f, "]}\n");
  return fclose(f) == 0 ? 0 : -1;
}
