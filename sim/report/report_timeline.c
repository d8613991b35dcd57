/*
 * report_timeline.c — the run report's LP timeline: one row per logical
 * processor, a bar for each VP while the scheduler had it on that LP
 * (VP entry to switch-out), VP exits as ticks under the row and
 * interrupts (physical and virtual) as red ticks over it. An overview of
 * the whole run, then RPT_TL_PAGES pages of equal length to zoom into the
 * span in which VPs ran, each folded in a <details> (the first open).
 * Bounded: a bar is at least tl_px() pixels wide (2, more when there are
 * many LPs) and VPs sharing one become one grey bar; ticks are counted per
 * bar width too; so a chart has at most RPT_TL_BARS bars and twice that
 * many ticks whatever the run.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define TL_ROWH 26
#define TL_LEFT 60
#define TL_TOP 24
#define TL_MIN_PX 2   /* a bar is at least this wide ... */
#define TL_TITLE_PX 4 /* bars this wide or more carry a hover title */

/* ... or wider, so that a chart stays under RPT_TL_BARS bars. */
static int tl_px(const struct rpt *r) {
  int px = (int)((r->nlps * RPT_TL_WIDTH + RPT_TL_BARS - 1) / RPT_TL_BARS);
  return px > TL_MIN_PX ? px : TL_MIN_PX;
}

struct tl_bar {
  int x0, x1;
  int pidx, vp;
  bool mixed;
  uint64_t t0, t1;
};

static void tl_bar_flush(FILE *f, const struct rpt *r, const struct tl_bar *b, int y) {
  if (b->pidx < 0)
    return;
  fprintf(f, "<rect class=\"vp\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" fill=\"%s\"", TL_LEFT + b->x0, y + 6,
          b->x1 - b->x0, b->mixed ? "#999999" : rpt_color((uint32_t)b->pidx));
  if (b->x1 - b->x0 < TL_TITLE_PX) { /* too thin to hover: no title, a smaller page */
    fputs("/>\n", f);
    return;
  }
  fputs("><title>", f);
  if (b->mixed)
    fputs("several VPs", f);
  else {
    rpt_esc(f, r->parts[b->pidx].name);
    fprintf(f, " VP %d", b->vp);
  }
  fputs(" from ", f);
  rpt_us(f, r, b->t0);
  fputs(" to ", f);
  rpt_us(f, r, b->t1);
  fputs("</title></rect>\n", f);
}

/* The occupancy bars of LP lp over [t0, t1). */
static void tl_bars(FILE *f, const struct rpt *r, uint32_t lp, uint64_t t0, uint64_t t1, int y) {
  const struct rpt_lp *l = &r->lps[lp];
  uint64_t span = t1 > t0 ? t1 - t0 : 1;
  int px = tl_px(r);
  struct tl_bar b = {0, 0, -1, 0, false, 0, 0};
  for (uint32_t i = 0; i < l->nsegs; i++) {
    const struct rpt_seg *s = &l->segs[i];
    if (s->t1 < t0 || s->t0 >= t1)
      continue;
    uint64_t a = s->t0 > t0 ? s->t0 - t0 : 0, e = (s->t1 < t1 ? s->t1 : t1) - t0;
    int x0 = (int)(a * RPT_TL_WIDTH / span), x1 = (int)(e * RPT_TL_WIDTH / span);
    if (x1 < x0 + px)
      x1 = x0 + px;
    if (b.pidx >= 0 && x0 < b.x1) { /* shares a pixel with the bar so far */
      b.mixed = b.mixed || b.pidx != s->pidx || b.vp != s->vp;
      b.x1 = x1 > b.x1 ? x1 : b.x1;
      b.t1 = s->t1;
      continue;
    }
    if (b.pidx >= 0 && x0 == b.x1 && !b.mixed && b.pidx == s->pidx && b.vp == s->vp) {
      b.x1 = x1;
      b.t1 = s->t1;
      continue;
    }
    tl_bar_flush(f, r, &b, y);
    b = (struct tl_bar){x0, x1, s->pidx, s->vp, false, s->t0, s->t1};
  }
  tl_bar_flush(f, r, &b, y);
}

/* Exits and interrupts per pixel column over [t0, t1), as two paths per LP. */
static void tl_marks(FILE *f, const struct rpt *r, uint64_t t0, uint64_t t1, uint32_t *exits, uint32_t *irqs) {
  uint32_t nlps = r->nlps, px = (uint32_t)tl_px(r);
  uint64_t span = t1 > t0 ? t1 - t0 : 1;
  memset(exits, 0, sizeof *exits * nlps * RPT_TL_WIDTH);
  memset(irqs, 0, sizeof *irqs * nlps * RPT_TL_WIDTH);
  for (size_t i = 0; i < r->n; i++) {
    const struct hv_trace_rec *e = &r->recs[i];
    bool ex = e->kind == HV_TR_VP_EXIT, irq = e->kind == HV_TR_IRQ_PHYS || e->kind == HV_TR_IRQ_VIRT;
    if ((!ex && !irq) || e->lp >= nlps || e->time < t0 || e->time >= t1)
      continue;
    uint64_t x = (e->time - t0) * RPT_TL_WIDTH / span;
    x -= x % (uint64_t)px; /* one tick column per bar width */
    (ex ? exits : irqs)[e->lp * RPT_TL_WIDTH + x]++;
  }
  for (uint32_t lp = 0; lp < nlps; lp++) {
    int y = TL_TOP + (int)lp * TL_ROWH;
    for (int kind = 0; kind < 2; kind++) {
      const uint32_t *c = (kind ? irqs : exits) + lp * RPT_TL_WIDTH;
      bool any = false;
      for (int x = 0; x < RPT_TL_WIDTH; x++) {
        if (!c[x])
          continue;
        if (!any)
          fprintf(f, "<path class=\"%s\" stroke=\"%s\" d=\"", kind ? "irq" : "exit", kind ? "#d62728" : "#222");
        any = true;
        fprintf(f, "M%d,%dv%d", TL_LEFT + x, kind ? y : y + 20, c[x] > 3 ? 6 : 4);
      }
      if (any)
        fputs("\"/>\n", f);
    }
  }
}

static void tl_svg(FILE *f, const struct rpt *r, const char *id, uint64_t t0, uint64_t t1, uint32_t *ex,
                   uint32_t *irq) {
  int h = TL_TOP + (int)r->nlps * TL_ROWH + 24, w = TL_LEFT + RPT_TL_WIDTH + 20;
  fprintf(f, "<svg class=\"timeline\" id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
             "width=\"%d\" height=\"%d\">\n",
          id, w, h, w, h);
  for (uint32_t lp = 0; lp < r->nlps; lp++) {
    int y = TL_TOP + (int)lp * TL_ROWH;
    fprintf(f, "<g class=\"lp\" data-lp=\"%u\"><text x=\"4\" y=\"%d\">LP %u</text>\n", lp, y + 17, lp);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" fill=\"#f1f1f1\"/>\n", TL_LEFT, y + 6,
            RPT_TL_WIDTH);
    tl_bars(f, r, lp, t0, t1, y);
    fputs("</g>\n", f);
  }
  tl_marks(f, r, t0, t1, ex, irq);
  int ay = TL_TOP + (int)r->nlps * TL_ROWH + 4;
  fprintf(f, "<path d=\"M%d,%d h%d\" stroke=\"#888\"/>\n", TL_LEFT, ay, RPT_TL_WIDTH);
  for (int k = 0; k <= 5; k++) {
    int x = TL_LEFT + k * RPT_TL_WIDTH / 5;
    fprintf(f, "<path d=\"M%d,%d v4\" stroke=\"#888\"/><text x=\"%d\" y=\"%d\" text-anchor=\"%s\">", x, ay, x, ay + 16,
            k == 0 ? "start" : k == 5 ? "end" : "middle");
    rpt_us(f, r, t0 + (t1 - t0) * (uint64_t)k / 5);
    fputs("</text>\n", f);
  }
  fputs("</svg>\n", f);
}

void rpt_timeline(FILE *f, const struct rpt *r) {
  fputs("<section id=\"timeline\"><h2>LP timeline</h2>\n<p class=\"note\">One row per logical processor: a bar "
        "while a VP was on it (from the scheduler's entry to its switch-out), black ticks for VP exits below the "
        "row, red ticks for interrupts above it. ",
        f);
  fprintf(f, "Bars are at least %d pixels wide (more with many LPs: a chart has at most %d bars) and ticks are "
             "counted per bar width; VPs sharing a bar show as one grey bar; hover a bar of %d pixels or more for its "
             "VP and times. The overview covers the whole run; the pages below zoom into the span in which VPs ran, "
             "in %d equal parts (the first one open).</p>\n",
          tl_px(r), RPT_TL_BARS, TL_TITLE_PX, RPT_TL_PAGES);
  fputs("<p>", f);
  for (uint32_t i = 0; i < r->nparts + (r->overflow_parts ? 1u : 0u); i++) {
    fprintf(f, "<span style=\"color:%s\">&#9632;</span> ", rpt_color(i));
    rpt_esc(f, r->parts[i].name);
    fputs(" &#160; ", f);
  }
  fputs("</p>\n", f);
  if (!r->nlps) {
    fputs("<p>No LP ran a VP in this trace.</p></section>\n", f);
    return;
  }
  uint32_t *ex = malloc(sizeof *ex * r->nlps * RPT_TL_WIDTH), *irq = malloc(sizeof *irq * r->nlps * RPT_TL_WIDTH);
  if (!ex || !irq) {
    fputs("<p>Out of memory drawing the timeline.</p></section>\n", f);
    free(ex), free(irq);
    return;
  }
  uint64_t end = r->end ? r->end : 1;
  tl_svg(f, r, "timeline-overview", 0, end + 1, ex, irq);
  /* the pages zoom into the span the VPs ran (the run often idles after) */
  uint64_t active = 0;
  for (uint32_t lp = 0; lp < r->nlps; lp++)
    for (size_t i = 0; i < r->lps[lp].nsegs; i++)
      active = r->lps[lp].segs[i].t1 > active ? r->lps[lp].segs[i].t1 : active;
  if (!active || active > end)
    active = end;
  uint64_t page = (active + RPT_TL_PAGES) / RPT_TL_PAGES;
  for (uint32_t p = 0; p < RPT_TL_PAGES; p++) {
    char id[32];
    snprintf(id, sizeof id, "timeline-page-%u", p + 1);
    fprintf(f, "<details%s><summary>page %u of %u: ", p ? "" : " open=\"open\"", p + 1, RPT_TL_PAGES);
    rpt_us(f, r, page * p);
    fputs(" to ", f);
    rpt_us(f, r, page * (p + 1));
    fputs("</summary>\n", f);
    tl_svg(f, r, id, page * p, page * (p + 1), ex, irq);
    fputs("</details>\n", f);
  }
  free(ex), free(irq);
  fputs("</section>\n", f);
}
