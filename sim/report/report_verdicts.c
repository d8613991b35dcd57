/*
 * report_verdicts.c — the run report's expectations: each one with its
 * verdict as the run recorded it (the EXPECT records at the trace's end)
 * and links to the events that decided it — the first matching records of
 * a count or latency, the world's sample record of a state expectation
 * and the VM-state records before it, the isolation oracle's findings —
 * then the table of every linked event (at most RPT_EV_TABLE rows).
 * Matching uses the verdict's own filter (sim/verdict/filter.c).
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sim/verdict/verdict.h"

/* Link event seq (adding it to the table when there is room). */
static void vd_link(FILE *f, struct rpt *r, uint64_t seq) {
  bool in = false;
  for (uint32_t i = 0; i < r->nlinked && !in; i++)
    in = r->linked[i] == seq;
  if (!in && r->nlinked < RPT_EV_TABLE) {
    r->linked[r->nlinked++] = seq;
    in = true;
  }
  if (in)
    fprintf(f, " <a href=\"#ev-%llu\">#%llu</a>", (unsigned long long)seq, (unsigned long long)seq);
  else
    fprintf(f, " #%llu", (unsigned long long)seq);
}

/* Count / latency: the matching records, the first few linked. */
static void vd_matches(FILE *f, struct rpt *r, const struct scn_expect *x, uint16_t *pid_vm) {
  uint64_t n = 0, worst = 0, worst_seq = 0;
  memset(pid_vm, 0, 65536 * sizeof *pid_vm);
  fputs("matching events:", f);
  for (size_t i = 0; i < r->n; i++) {
    const struct hv_trace_rec *e = &r->recs[i];
    if (e->kind == HV_TR_VM_BIND && e->b < 65536)
      pid_vm[e->b] = (uint16_t)e->a;
    if (!scn_filter_match(&x->filter, pid_vm, e))
      continue;
    if (n < RPT_EV_PER_EXPECT)
      vd_link(f, r, i);
    if (x->kind == SCN_EXP_LATENCY && (n == 0 || e->b > worst))
      worst = e->b, worst_seq = i;
    n++;
  }
  if (n > RPT_EV_PER_EXPECT)
    fputs(" &#8230;", f);
  fprintf(f, " (%llu in all)", (unsigned long long)n);
  if (!n)
    fputs(" &#8212; none in the whole trace", f);
  if (x->kind == SCN_EXP_LATENCY && n) {
    fputs("; the largest latency ", f);
    rpt_us(f, r, worst);
    fputs(" at", f);
    vd_link(f, r, worst_seq);
  }
}

/* State: the world's sample record, and each target's last state change before it. */
static void vd_state(FILE *f, struct rpt *r, uint32_t index, const struct scn_expect *x) {
  size_t sample = r->n;
  for (size_t i = 0; i < r->n && sample == r->n; i++)
    if (r->recs[i].kind == HV_TR_WORLD && r->recs[i].a == HV_WORLD_SAMPLE && r->recs[i].b == index)
      sample = i;
  if (sample == r->n) {
    fputs("the sample point was never reached", f);
    return;
  }
  fputs("sampled at", f);
  vd_link(f, r, sample);
  fputs("; states set by", f);
  for (uint32_t k = 0; k < x->ntargets; k++) {
    size_t last = r->n;
    for (size_t i = 0; i < sample; i++)
      if (r->recs[i].kind == HV_TR_VM_STATE && r->recs[i].a == x->targets[k] + 1u)
        last = i;
    if (last < r->n)
      vd_link(f, r, last);
    else
      fprintf(f, " (%s: no state record, so Deleted)", r->scn.partitions[x->targets[k]].name);
  }
}

static void vd_isolation(FILE *f, struct rpt *r) {
  uint64_t n = 0;
  fputs("isolation oracle findings:", f);
  for (size_t i = 0; i < r->n; i++)
    if (r->recs[i].kind == HV_TR_ISOLATION && n++ < RPT_EV_PER_EXPECT)
      vd_link(f, r, i);
  fprintf(f, " %llu", (unsigned long long)n);
  if (!n)
    fputs(" (no isolation record in the whole trace)", f);
}

void rpt_verdicts(FILE *f, struct rpt *r) {
  fputs("<section id=\"verdicts\"><h2>Expectations and verdicts</h2>\n", f);
  uint32_t nexp = r->have_scn ? r->scn.nexpects : 0;
  for (uint32_t i = 0; i < SCN_MAX_EXPECTS; i++)
    if (r->held[i] >= 0 && i + 1 > nexp)
      nexp = i + 1;
  if (!nexp) {
    fputs("<p>The scenario states no expectations.</p></section>\n", f);
    return;
  }
  uint32_t held = 0;
  for (uint32_t i = 0; i < nexp; i++)
    held += r->held[i] == 1;
  fprintf(f, "<p class=\"note\">%u of %u hold. The verdicts are the run's own (its EXPECT records, linked in the "
             "last column); the other links are the events that decided each one.</p>\n",
          held, nexp);
  uint16_t *pid_vm = calloc(65536, sizeof *pid_vm);
  fputs("<table id=\"verdict-table\">\n<tr><th>verdict</th><th>expectation</th><th>decided by</th>"
        "<th>record</th></tr>\n",
        f);
  for (uint32_t i = 0; i < nexp; i++) {
    const char *v = r->held[i] == 1 ? "PASS" : r->held[i] == 0 ? "FAIL" : "none";
    fprintf(f, "<tr class=\"verdict\"><td class=\"%s\">%s</td><td>", r->held[i] == 1 ? "pass" : "fail", v);
    const struct scn_expect *x = r->have_scn && i < r->scn.nexpects ? &r->scn.expects[i] : 0;
    if (x)
      rpt_esc(f, x->text);
    else
      fprintf(f, "expectation %u", i);
    fputs("</td><td>", f);
    if (!x)
      fputs("(the scenario is not available)", f);
    else if ((x->kind == SCN_EXP_COUNT || x->kind == SCN_EXP_LATENCY) && pid_vm)
      vd_matches(f, r, x, pid_vm);
    else if (x->kind == SCN_EXP_STATE)
      vd_state(f, r, i, x);
    else if (x->kind == SCN_EXP_ISOLATION)
      vd_isolation(f, r);
    else if (x->kind == SCN_EXP_FAIR)
      fputs("the VMs' guest cycles at the end (<a href=\"#cycles\">cycles per VP</a>)", f);
    fputs("</td><td>", f);
    if (r->held[i] >= 0)
      vd_link(f, r, r->expect_seq[i]);
    fputs("</td></tr>\n", f);
  }
  fputs("</table>\n</section>\n", f);
  free(pid_vm);
}

static int vd_cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

void rpt_events(FILE *f, const struct rpt *r) {
  uint64_t *s = malloc(sizeof *s * (r->nlinked ? r->nlinked : 1));
  fputs("<section id=\"events\"><h2>Linked events</h2>\n", f);
  if (!s) {
    fputs("<p>Out of memory.</p></section>\n", f);
    return;
  }
  memcpy(s, r->linked, sizeof *s * r->nlinked);
  qsort(s, r->nlinked, sizeof *s, vd_cmp);
  fprintf(f, "<p class=\"note\">The %u events the verdicts link to (at most %u; see them all with <code>hvsim trace "
             "dump DIR --from N --to N</code>).</p>\n",
          r->nlinked, RPT_EV_TABLE);
  fputs("<table id=\"event-table\">\n<tr><th>#</th><th>time</th><th>LP</th><th>partition</th><th>VP</th>"
        "<th>event</th></tr>\n",
        f);
  for (uint32_t i = 0; i < r->nlinked; i++) {
    const struct hv_trace_rec *e = &r->recs[s[i]];
    fprintf(f, "<tr id=\"ev-%llu\"><td class=\"n\">%llu</td><td class=\"n\">", (unsigned long long)s[i],
            (unsigned long long)s[i]);
    rpt_us(f, r, e->time);
    fputs("</td><td class=\"n\">", f);
    if (e->lp != HV_TRACE_NONE)
      fprintf(f, "%u", e->lp);
    fputs("</td><td>", f);
    if (e->partition != HV_TRACE_NONE && r->pid_idx[e->partition])
      rpt_esc(f, r->parts[r->pid_idx[e->partition] - 1].name);
    fputs("</td><td class=\"n\">", f);
    if (e->vp != HV_TRACE_NONE)
      fprintf(f, "%u", e->vp);
    fputs("</td><td>", f);
    rpt_event_text(f, r, e);
    fputs("</td></tr>\n", f);
  }
  fputs("</table>\n</section>\n", f);
  free(s);
}
