/*
 * report_arch.c — the run report's architecture diagram: the run drawn as
 * the Hyper-V architecture diagram draws the machine. The root partition
 * (VMMS, VMWP, VID, WinHv, the VSPs) on top, the VMBus channels below it,
 * the child partitions with their VSCs, the hypervisor, and the hardware
 * (LPs, DMA devices) at the bottom. Every edge says what crossed it in
 * this run: hypercalls by name, SynIC messages and event flags, VMBus
 * packets and bytes, interrupts, DMA. One box per partition, one edge per
 * channel (past RPT_MAX_PARTS partitions the rest share one box).
 */
#include <string.h>

#include "report.h"

#define ARCH_COLS 8     /* child columns per row */
#define ARCH_COLW 200   /* column width */
#define ARCH_BOXW 160   /* child box width */
#define ARCH_LEFT 290   /* the children start right of the root's edge labels */
#define ARCH_CHH 24     /* a channel box's height, with its gap */
#define ARCH_CHILDH 96
#define ARCH_LABELH 80  /* under a child: its edge's labels */

static void arch_box(FILE *f, const char *cls, int x, int y, int w, int h, const char *fill, const char *stroke) {
  fprintf(f, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"6\" fill=\"%s\" stroke=\"%s\"/>\n",
          cls, x, y, w, h, fill, stroke);
}

static void arch_text(FILE *f, int x, int y, const char *cls, const char *s) {
  fprintf(f, "<text x=\"%d\" y=\"%d\"%s%s%s>", x, y, cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
  rpt_esc(f, s);
  fputs("</text>\n", f);
}

static void arch_bytes(char *buf, size_t cap, uint64_t b) {
  if (b >= 10u << 20)
    snprintf(buf, cap, "%llu MiB", (unsigned long long)((b + (1u << 19)) >> 20));
  else if (b >= 1u << 10)
    snprintf(buf, cap, "%llu KiB", (unsigned long long)((b + 512) >> 10));
  else
    snprintf(buf, cap, "%llu B", (unsigned long long)b);
}

/* The labels of a partition's edge to the hypervisor, top-left at x, y:
 * its hypercalls (the two most used by name), SynIC messages and event
 * flags, interrupts and exits, in lines of at most ~30 characters. */
static void arch_edge_labels(FILE *f, const struct rpt_part *p, int x, int y) {
  char line[96];
  if (p->hc_failed)
    snprintf(line, sizeof line, "%llu hypercalls, %llu failed", (unsigned long long)p->hypercalls,
             (unsigned long long)p->hc_failed);
  else
    snprintf(line, sizeof line, "%llu hypercalls", (unsigned long long)p->hypercalls);
  arch_text(f, x, y, "s", line);
  uint32_t best[2] = {UINT32_MAX, UINT32_MAX};
  for (uint32_t i = 0; i < p->ncalls; i++) {
    if (best[0] == UINT32_MAX || p->calls[i].count > p->calls[best[0]].count) {
      best[1] = best[0];
      best[0] = i;
    } else if (best[1] == UINT32_MAX || p->calls[i].count > p->calls[best[1]].count) {
      best[1] = i;
    }
  }
  for (int k = 0; k < 2 && best[k] != UINT32_MAX; k++) {
    char nb[32];
    const char *n = rpt_call_name(p->calls[best[k]].code, nb, sizeof nb);
    snprintf(line, sizeof line, "%s %llu", strncmp(n, "HvCall", 6) == 0 ? n + 6 : n,
             (unsigned long long)p->calls[best[k]].count);
    arch_text(f, x + 6, y += 12, "s", line);
  }
  snprintf(line, sizeof line, "msgs %llu out, %llu in", (unsigned long long)p->msg_post,
           (unsigned long long)p->msg_deliver);
  arch_text(f, x, y += 12, "s", line);
  snprintf(line, sizeof line, "%llu event flags, %llu irqs", (unsigned long long)p->events,
           (unsigned long long)p->virq);
  arch_text(f, x, y += 12, "s", line);
  snprintf(line, sizeof line, "%llu exits", (unsigned long long)p->exits);
  arch_text(f, x, y + 12, "s", line);
}

static void arch_root(FILE *f, const struct rpt *r, int w) {
  const struct rpt_part *root = &r->parts[0];
  uint64_t pkts = 0, vsp_bytes = 0;
  for (uint32_t i = 0; i < r->nch; i++) {
    pkts += r->ch[i].packets[0] + r->ch[i].packets[1];
    vsp_bytes += r->ch[i].bytes[0] + r->ch[i].bytes[1];
  }
  fprintf(f, "<g class=\"box partition\" data-pid=\"%u\">\n", root->pid);
  arch_box(f, "frame", 20, 20, w - 40, 118, "#eef3f9", rpt_color(0));
  arch_text(f, 32, 40, "t", "root partition (pid 1)");
  struct {
    const char *name;
    char line[64];
  } sub[5];
  char bytes[32];
  arch_bytes(bytes, sizeof bytes, vsp_bytes);
  sub[0].name = "VMMS";
  snprintf(sub[0].line, sizeof sub[0].line, "%llu mgmt actions", (unsigned long long)r->kinds[HV_TR_MGMT]);
  sub[1].name = "VMWP";
  snprintf(sub[1].line, sizeof sub[1].line, "%llu intercepts done", (unsigned long long)r->intercepts_done);
  sub[2].name = "VID";
  snprintf(sub[2].line, sizeof sub[2].line, "%llu VM states", (unsigned long long)r->kinds[HV_TR_VM_STATE]);
  sub[3].name = "WinHv";
  snprintf(sub[3].line, sizeof sub[3].line, "%llu hypercalls", (unsigned long long)root->hypercalls);
  sub[4].name = "VSPs + VMBus server";
  snprintf(sub[4].line, sizeof sub[4].line, "%llu packets, %s", (unsigned long long)pkts, bytes);
  int sw = (w - 80) / 5;
  for (int i = 0; i < 5; i++) {
    int x = 32 + i * (sw + 4);
    arch_box(f, "sub", x, 52, sw - 4, 74, "#fff", "#9fb3c8");
    arch_text(f, x + 8, 72, "t", sub[i].name);
    arch_text(f, x + 8, 90, "s", sub[i].line);
  }
  fputs("</g>\n", f);
}

/* Channels of VM vm in scenario order, i.e. trace order. */
static uint32_t arch_nchannels(const struct rpt *r, uint32_t vm) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < r->nch; i++)
    n += r->ch[i].vm == vm && vm;
  return n;
}

static void arch_channel(FILE *f, const struct rpt *r, const struct rpt_channel *c, int x, int y, int k) {
  char text[96], in[24], out[24];
  arch_bytes(in, sizeof in, c->bytes[0]);
  arch_bytes(out, sizeof out, c->bytes[1]);
  int gx = x + ARCH_BOXW + 4 + 4 * (k % 8);
  /* the edge: the root's VSP down to the channel */
  fprintf(f, "<path class=\"edge channel\" data-ch=\"%u:%u\" d=\"M%d,138 V%d H%d\" fill=\"none\" stroke=\"#7a5195\" "
             "stroke-width=\"1.5\"/>\n",
          c->vm, c->relid, gx, y + 10, x + ARCH_BOXW);
  fprintf(f, "<g class=\"box channel\"><title>VMBus channel relid %u (%s) of ", c->relid, rpt_dev_kind(c->kind));
  rpt_esc(f, trace_meta_vm_name(r->meta, c->vm) ? trace_meta_vm_name(r->meta, c->vm) : "?");
  fprintf(f, ": %llu packets guest to host (%s), %llu host to guest (%s); opened %u, closed %u, refused %u, "
             "closed by the server %u</title>\n",
          (unsigned long long)c->packets[0], in, (unsigned long long)c->packets[1], out, c->opens, c->closes,
          c->refused, c->killed);
  arch_box(f, "ch", x, y, ARCH_BOXW, ARCH_CHH - 4, c->killed || c->refused ? "#fde2e2" : "#f3ecf8", "#7a5195");
  snprintf(text, sizeof text, "%s #%u: %llu/%llu pkts %s", rpt_dev_kind(c->kind), c->relid,
           (unsigned long long)c->packets[0], (unsigned long long)c->packets[1], in);
  arch_text(f, x + 6, y + 14, "s", text);
  fputs("</g>\n", f);
}

static void arch_child(FILE *f, const struct rpt *r, uint32_t pidx, int x, int y) {
  const struct rpt_part *p = &r->parts[pidx];
  char line[96];
  fprintf(f, "<g class=\"box partition\" data-pid=\"%u\">\n", p->pid);
  arch_box(f, "frame", x, y, ARCH_BOXW, ARCH_CHILDH, p->isolation || p->gpa_violations ? "#fff0f0" : "#f6fbf4",
           rpt_color(pidx));
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"6\" fill=\"%s\"/>\n", x, y, ARCH_BOXW, rpt_color(pidx));
  arch_text(f, x + 8, y + 22, "t", p->name);
  snprintf(line, sizeof line, "child partition, pid %u", p->pid);
  arch_text(f, x + 8, y + 38, "s", line);
  snprintf(line, sizeof line, "%u VPs%s", p->vps, p->deleted ? ", deleted" : "");
  arch_text(f, x + 8, y + 52, "s", line);
  uint32_t nch = arch_nchannels(r, p->vm);
  snprintf(line, sizeof line, "VSCs: %u channel%s", nch, nch == 1 ? "" : "s");
  arch_text(f, x + 8, y + 66, "s", line);
  snprintf(line, sizeof line, "SLAT faults %llu, #GP %llu", (unsigned long long)p->gpa_violations,
           (unsigned long long)p->exceptions);
  arch_text(f, x + 8, y + 80, "s", line);
  fputs("</g>\n", f);
}

/* The hypervisor box and its parts' counters. */
static void arch_hv(FILE *f, const struct rpt *r, int y, int w) {
  uint64_t hc = 0, msgs = 0, ev = 0, virq = 0, ipi = 0, tm = 0, gpa = 0, iso = 0, faults = 0;
  for (uint32_t i = 0; i <= r->nparts && i <= RPT_MAX_PARTS; i++) {
    const struct rpt_part *p = &r->parts[i];
    hc += p->hypercalls, msgs += p->msg_deliver, ev += p->events, virq += p->virq, ipi += p->ipis;
    tm += p->timers, gpa += p->gpa_violations, iso += p->isolation;
  }
  for (uint32_t i = 0; i < r->ndev; i++)
    faults += r->dev[i].faults;
  fputs("<g class=\"box hypervisor\">\n", f);
  arch_box(f, "frame", 20, y, w - 40, 92, "#fdf6e3", "#b58900");
  arch_text(f, 32, y + 20, "t", "hypervisor");
  char l[6][64];
  snprintf(l[0], 64, "%llu hypercalls", (unsigned long long)hc);
  snprintf(l[1], 64, "%llu msgs, %llu events", (unsigned long long)msgs, (unsigned long long)ev);
  snprintf(l[2], 64, "%llu irqs, %llu IPIs", (unsigned long long)virq, (unsigned long long)ipi);
  snprintf(l[3], 64, "%llu expiries", (unsigned long long)tm);
  snprintf(l[4], 64, "%llu GPA faults", (unsigned long long)gpa);
  snprintf(l[5], 64, "%llu ops, %llu blocked", (unsigned long long)r->kinds[HV_TR_IOMMU],
           (unsigned long long)faults);
  const char *names[6] = {"dispatcher", "SynIC", "virtual APIC", "synthetic timers", "SLAT", "IOMMU"};
  int sw = (w - 80) / 6;
  for (int i = 0; i < 6; i++) {
    int x = 32 + i * (sw + 4);
    arch_box(f, "sub", x, y + 28, sw - 4, 54, "#fff", "#d9c27a");
    arch_text(f, x + 8, y + 46, "t", names[i]);
    arch_text(f, x + 8, y + 64, "s", l[i]);
  }
  if (iso) {
    snprintf(l[0], 64, "%llu ISOLATION VIOLATIONS", (unsigned long long)iso);
    arch_text(f, 200, y + 20, "t", l[0]);
  }
  fputs("</g>\n", f);
}

static void arch_hardware(FILE *f, const struct rpt *r, int y, int hv_y) {
  char line[128];
  int x = 20;
  for (uint32_t i = 0; i < r->nlps && i < 16; i++, x += 90) {
    fputs("<g class=\"box lp\">\n", f);
    arch_box(f, "frame", x, y, 82, 40, "#eeeeee", "#888");
    snprintf(line, sizeof line, "LP %u", i);
    arch_text(f, x + 8, y + 16, "t", line);
    uint64_t pct = r->end ? r->lps[i].busy * 100 / r->end : 0;
    snprintf(line, sizeof line, "busy %llu%%", (unsigned long long)pct);
    arch_text(f, x + 8, y + 32, "s", line);
    fputs("</g>\n", f);
  }
  if (r->nlps > 16)
    arch_text(f, x, y + 24, "s", "(more LPs)");
  fprintf(f, "<path class=\"edge irq\" d=\"M40,%d V%d\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>\n", y,
          hv_y + 94);
  snprintf(line, sizeof line, "%llu physical interrupts (%llu device raises in the timeline)",
           (unsigned long long)r->irq_phys, (unsigned long long)r->world_irqs);
  arch_text(f, 46, hv_y + 110, "s", line);
  x = x + 40 > 560 ? x + 40 : 560;
  for (uint32_t i = 0; i < r->ndev; i++, x += 210) {
    const struct rpt_device *d = &r->dev[i];
    const char *vm = d->vm ? trace_meta_vm_name(r->meta, d->vm) : 0;
    fprintf(f, "<path class=\"edge dma\" d=\"M%d,%d V%d\" stroke=\"#c0392b\" stroke-width=\"1.5\" "
               "marker-end=\"url(#arrow)\"/>\n",
            x + 20, y, hv_y + 94);
    snprintf(line, sizeof line, "DMA %llu (%llu failed), %llu blocked", (unsigned long long)d->dma,
             (unsigned long long)d->dma_failed, (unsigned long long)d->faults);
    arch_text(f, x + 26, hv_y + 110, "s", line);
    fputs("<g class=\"box device\">\n", f);
    arch_box(f, "frame", x, y, 200, 40, "#fbeaea", "#c0392b");
    snprintf(line, sizeof line, "device %s", d->name);
    arch_text(f, x + 8, y + 16, "t", line);
    snprintf(line, sizeof line, "to %s; %llu irqs remapped", vm ? vm : "root", (unsigned long long)d->irqs);
    arch_text(f, x + 8, y + 32, "s", line);
    fputs("</g>\n", f);
  }
}

void rpt_arch(FILE *f, const struct rpt *r) {
  uint32_t nchild = r->nparts + (r->overflow_parts ? 1 : 0) - 1;
  uint32_t cols = nchild < ARCH_COLS ? nchild : ARCH_COLS, rows = (nchild + ARCH_COLS - 1) / ARCH_COLS;
  int w = ARCH_LEFT + (int)(cols ? cols : 1) * ARCH_COLW + 20;
  if (w < 1000)
    w = 1000;
  int lp_w = 20 + 90 * (int)(r->nlps < 16 ? r->nlps : 16) + 40;
  if (w < (lp_w > 560 ? lp_w : 560) + (int)r->ndev * 210)
    w = (lp_w > 560 ? lp_w : 560) + (int)r->ndev * 210;
  /* each row: its channels' band, then the children, then their labels */
  int rowh[RPT_MAX_PARTS / ARCH_COLS + 2], y = 160;
  for (uint32_t row = 0; row < rows; row++) {
    uint32_t most = 0;
    for (uint32_t k = row * ARCH_COLS; k < nchild && k < (row + 1) * ARCH_COLS; k++) {
      uint32_t n = arch_nchannels(r, r->parts[k + 1].vm);
      most = n > most ? n : most;
    }
    rowh[row] = (int)most * ARCH_CHH + 8 + ARCH_CHILDH + ARCH_LABELH;
    y += rowh[row];
  }
  int hv_y = y + 10, hw_y = hv_y + 150, h = hw_y + 60;
  fputs("<section id=\"arch\"><h2>Architecture of this run</h2>\n<p class=\"note\">Boxes are the run's "
        "partitions, the hypervisor, its VMBus channels and devices; each edge says what crossed it: "
        "hypercalls by name, SynIC messages and event flags, interrupts, VMBus packets (guest to host / host to "
        "guest) and DMA. Hover a channel for its counts.",
        f);
  if (r->overflow_parts)
    fprintf(f, " %u more partitions than the %u drawn are summed in the box 'other partitions'.", r->overflow_parts,
            RPT_MAX_PARTS);
  if (r->overflow_ch)
    fprintf(f, " %u channel events past the first %u channels are not drawn.", r->overflow_ch, RPT_MAX_CHANNELS);
  fprintf(f, "</p>\n<svg id=\"arch-svg\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
             "height=\"%d\">\n",
          w, h, w, h);
  fputs("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
        "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker>"
        "</defs>\n",
        f);
  arch_root(f, r, w);
  /* the root's own edge to the hypervisor, down the left margin */
  fprintf(f, "<path class=\"edge hc\" data-pid=\"1\" d=\"M40,138 V%d\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>\n",
          hv_y);
  arch_edge_labels(f, &r->parts[0], 48, 176);
  y = 160;
  for (uint32_t row = 0; row < rows; row++) {
    uint32_t most = 0;
    for (uint32_t k = row * ARCH_COLS; k < nchild && k < (row + 1) * ARCH_COLS; k++) {
      uint32_t n = arch_nchannels(r, r->parts[k + 1].vm);
      most = n > most ? n : most;
    }
    int child_y = y + (int)most * ARCH_CHH + 8;
    for (uint32_t k = row * ARCH_COLS; k < nchild && k < (row + 1) * ARCH_COLS; k++) {
      uint32_t pidx = k + 1;
      int x = ARCH_LEFT + (int)(k % ARCH_COLS) * ARCH_COLW;
      const struct rpt_part *p = &r->parts[pidx];
      uint32_t nc = 0;
      for (uint32_t c = 0; c < r->nch; c++)
        if (p->vm && r->ch[c].vm == p->vm) {
          arch_channel(f, r, &r->ch[c], x, child_y - (int)(arch_nchannels(r, p->vm) - nc) * ARCH_CHH - 4,
                       (int)nc);
          nc++;
        }
      if (nc)
        fprintf(f, "<path class=\"link vsc\" d=\"M%d,%d V%d\" stroke=\"#7a5195\"/>\n", x + 20, child_y - 8, child_y);
      arch_child(f, r, pidx, x, child_y);
      int ex = x + ARCH_BOXW + 37;
      fprintf(f, "<path class=\"edge hc\" data-pid=\"%u\" d=\"M%d,%d V%d H%d V%d\" fill=\"none\" stroke=\"%s\" "
                 "marker-end=\"url(#arrow)\"/>\n",
              p->pid, x + 12, child_y + ARCH_CHILDH, child_y + ARCH_CHILDH + ARCH_LABELH - 4, ex, hv_y,
              rpt_color(pidx));
      arch_edge_labels(f, p, x + 18, child_y + ARCH_CHILDH + 12);
    }
    y += rowh[row];
  }
  arch_hv(f, r, hv_y, w);
  arch_hardware(f, r, hw_y, hv_y);
  fputs("</svg>\n</section>\n", f);
}
