/*
 * report_cycles.c — the run report's accounting views: per VP, where its
 * cycles went (guest mode / the hypervisor handling its exits / the exit
 * and entry transitions, the engine's counters from result.json), and per
 * partition, the memory it held over time (its pool deposits and the
 * guest RAM the root mapped for it, from the trace) as step curves.
 */
#include <string.h>

#include "report.h"

#define CY_BARW 560

void rpt_cycles(FILE *f, const struct rpt *r) {
  fputs("<section id=\"cycles\"><h2>Cycles per VP</h2>\n", f);
  if (!r->have_result) {
    fputs("<p class=\"note\">No per-VP counters: the trace directory has no result.json with them.</p>"
          "</section>\n",
          f);
    return;
  }
  fputs("<p class=\"note\">Per VP: cycles in guest mode (green), in the hypervisor handling its exits (orange) "
        "and in the exit and entry transitions (grey), the engine's counters at the end of the run "
        "(result.json). Bars share one scale: the busiest VP's total.</p>\n",
        f);
  uint64_t most = 1;
  for (uint32_t i = 0; i < r->nvps; i++) {
    uint64_t t = r->vps[i].guest + r->vps[i].hv + r->vps[i].exit;
    most = t > most ? t : most;
  }
  int h = 20 + (int)r->nvps * 20, w = 200 + CY_BARW + 340;
  fprintf(f, "<svg id=\"cycles-svg\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
             "height=\"%d\">\n",
          w, h, w, h);
  for (uint32_t i = 0; i < r->nvps; i++) {
    const struct rpt_vp *v = &r->vps[i];
    int y = 10 + (int)i * 20, x = 200;
    fprintf(f, "<g class=\"vpbar\"><text x=\"4\" y=\"%d\">", y + 12);
    rpt_esc(f, v->vm);
    fprintf(f, " VP %u</text>\n", v->vp);
    const uint64_t part[3] = {v->guest, v->hv, v->exit};
    const char *col[3] = {"#59a14f", "#f28e2b", "#bab0ac"}, *what[3] = {"guest", "hypervisor", "exit/entry"};
    for (int k = 0; k < 3; k++) {
      int bw = (int)(part[k] * CY_BARW / most);
      if (!bw)
        continue;
      fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" fill=\"%s\"><title>%s: %llu cycles</title></rect>\n",
              x, y, bw, col[k], what[k], (unsigned long long)part[k]);
      x += bw;
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"s\">%llu / %llu / %llu cycles, %llu exits, %llu hypercalls</text></g>\n",
            200 + CY_BARW + 8, y + 12, (unsigned long long)v->guest, (unsigned long long)v->hv,
            (unsigned long long)v->exit, (unsigned long long)v->exits, (unsigned long long)v->hypercalls);
  }
  fputs("</svg>\n</section>\n", f);
}

void rpt_memory(FILE *f, const struct rpt *r) {
  fputs("<section id=\"memory\"><h2>Memory ownership over time</h2>\n<p class=\"note\">Pages each partition "
        "held: its memory pool (HvCallDepositMemory / HvCallWithdrawMemory, the pool records) plus the guest RAM "
        "the root mapped into its SLAT (HvCallMapGpaPages / HvCallUnmapGpaPages, counted for the partition the "
        "root initialised last: VMWP maps a VM's RAM right after creating it). A deleted partition drops to zero.",
        f);
  if (r->mem_dropped)
    fprintf(f, " Past %u steps per partition every other step is dropped (%llu dropped).", RPT_MEM_POINTS,
            (unsigned long long)r->mem_dropped);
  fputs("</p>\n", f);
  uint64_t most = 1, end = r->end ? r->end : 1;
  uint32_t n = r->nparts + (r->overflow_parts ? 1u : 0u);
  for (uint32_t i = 0; i < n; i++)
    most = r->parts[i].peak_pages > most ? r->parts[i].peak_pages : most;
  const int W = 900, H = 200, L = 70;
  fprintf(f, "<svg id=\"memory-svg\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
             "height=\"%d\">\n",
          L + W + 20, H + 60, L + W + 20, H + 60);
  fprintf(f, "<path d=\"M%d,10 V%d H%d\" fill=\"none\" stroke=\"#888\"/>\n", L, H + 10, L + W);
  fprintf(f, "<text x=\"4\" y=\"16\">%llu pages</text><text x=\"4\" y=\"%d\">0</text>\n", (unsigned long long)most,
          H + 10);
  for (uint32_t i = 0; i < n; i++) {
    const struct rpt_part *p = &r->parts[i];
    if (!p->nmem)
      continue;
    fprintf(f, "<path class=\"mem\" data-pid=\"%u\" fill=\"none\" stroke-width=\"2\" stroke=\"%s\" d=\"M%d,%d", p->pid,
            rpt_color(i), L, H + 10);
    for (uint32_t k = 0; k < p->nmem; k++) {
      int x = L + (int)(p->mem_t[k] * (uint64_t)W / end);
      int64_t v = p->mem_v[k] > 0 ? p->mem_v[k] : 0;
      fprintf(f, " H%d V%d", x, H + 10 - (int)((uint64_t)v * (uint64_t)H / most));
    }
    fprintf(f, " H%d\"><title>", L + W);
    rpt_esc(f, p->name);
    fprintf(f, ": peak %llu pages</title></path>\n", (unsigned long long)p->peak_pages);
  }
  int lx = L;
  for (uint32_t i = 0; i < n; i++) {
    if (!r->parts[i].nmem)
      continue;
    fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"%s\">&#9632; ", lx, H + 34, rpt_color(i));
    rpt_esc(f, r->parts[i].name);
    fprintf(f, " (peak %llu)</text>\n", (unsigned long long)r->parts[i].peak_pages);
    lx += 160;
    if (lx > L + W - 160)
      break;
  }
  fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", L + W, H + 52);
  rpt_us(f, r, end);
  fputs("</text>\n</svg>\n</section>\n", f);
}
