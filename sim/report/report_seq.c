/*
 * report_seq.c — the run report's sequence charts for VMBus: how the
 * first channel a child opened was set up (SynIC messages between the
 * child's VMBus client and the root's server through the hypervisor, the
 * server's offer / GPADL / open), then one packet's round trip: the VSC
 * signals the host (HvCallSignalEvent), the hypervisor sets the root's
 * event flag, the VSP takes the packet from the ring, writes its
 * completion and signals back. Three lanes: child (VSC), hypervisor
 * (SynIC), root (VMBus server and VSP). Rows are trace records; at most
 * RPT_SEQ_ROWS are drawn, the rest skipped with a row saying how many.
 */
#include <stdlib.h>
#include <string.h>

#include "hv/hvgdk.h"
#include "report.h"

enum { LANE_CHILD, LANE_HV, LANE_ROOT };

struct seq_row {
  size_t rec;
  int from, to; /* equal: a note on that lane */
};

struct seq_ctx {
  const struct rpt *r;
  uint32_t vm, relid, kind;
  uint16_t child, root;
  uint64_t child_posts[64], root_posts[64]; /* recent posts' sequence numbers */
  size_t root_post_rec[64];
  uint32_t nchild_posts, nroot_posts;
  bool opened, sent;
  size_t open_row, first_packet_row, done_row;
  struct seq_row *rows;
  size_t nrows, cap;
};

static int seq_add(struct seq_ctx *c, size_t rec, int from, int to) {
  if (rpt_grow((void **)&c->rows, &c->cap, c->nrows, sizeof *c->rows) != 0)
    return -1;
  c->rows[c->nrows++] = (struct seq_row){rec, from, to};
  return 0;
}

static bool seq_has(const uint64_t *ring, uint32_t n, uint64_t seq, uint32_t *slot) {
  for (uint32_t i = 0; i < n && i < 64; i++)
    if (ring[i] == seq) {
      if (slot)
        *slot = i;
      return true;
    }
  return false;
}

/* The record's row(s), if it belongs to the chart. Returns -1 on OOM. */
static int seq_rec(struct seq_ctx *c, size_t i) {
  const struct hv_trace_rec *e = &c->r->recs[i];
  uint32_t slot;
  switch (e->kind) {
  case HV_TR_MSG_POST:
    if (e->partition == c->child) {
      c->child_posts[c->nchild_posts++ % 64] = e->c & 0xffffffffu;
      return seq_add(c, i, LANE_CHILD, LANE_HV);
    }
    if (e->partition == c->root) {
      c->root_post_rec[c->nroot_posts % 64] = i;
      c->root_posts[c->nroot_posts++ % 64] = e->c & 0xffffffffu;
    }
    return 0;
  case HV_TR_MSG_DELIVER: {
    uint64_t seq = e->c >> 32;
    if (e->partition == c->child && seq_has(c->root_posts, c->nroot_posts, seq, &slot))
      return seq_add(c, c->root_post_rec[slot], LANE_ROOT, LANE_HV) || seq_add(c, i, LANE_HV, LANE_CHILD) ? -1 : 0;
    if (e->partition == c->root && seq_has(c->child_posts, c->nchild_posts, seq, 0))
      return seq_add(c, i, LANE_HV, LANE_ROOT);
    return 0;
  }
  case HV_TR_VMBUS:
    if ((e->b >> 32) != c->vm)
      return 0;
    if (e->a == HV_VMBUS_OPEN && (uint32_t)e->b == c->relid && !c->opened) {
      c->opened = true;
      c->open_row = c->nrows;
    }
    return seq_add(c, i, LANE_ROOT, LANE_ROOT);
  case HV_TR_EVENT_SIGNAL:
    if (e->partition == c->child)
      return seq_add(c, i, LANE_HV, LANE_CHILD);
    if (e->partition == c->root && c->opened)
      return seq_add(c, i, LANE_HV, LANE_ROOT);
    return 0;
  case HV_TR_HYPERCALL:
    if ((e->a & 0xffff) == HVCALL_SIGNAL_EVENT && c->opened && (e->partition == c->child || e->partition == c->root))
      return seq_add(c, i, e->partition == c->child ? LANE_CHILD : LANE_ROOT, LANE_HV);
    return 0;
  case HV_TR_VMBUS_PACKET:
    if (e->a != ((uint64_t)c->vm << 32 | c->relid))
      return 0;
    if (!(e->b >> 32) && !c->sent) {
      c->sent = true;
      c->first_packet_row = c->nrows;
    } else if ((e->b >> 32) && c->sent && !c->done_row) {
      c->done_row = c->nrows + 1;
    }
    return seq_add(c, i, LANE_ROOT, LANE_ROOT);
  default:
    return 0;
  }
}

static void seq_label(FILE *f, const struct rpt *r, const struct hv_trace_rec *e) {
  char buf[32];
  switch (e->kind) {
  case HV_TR_MSG_POST:
    fprintf(f, "HvCallPostMessage: conn 0x%llx, type %llu, %llu bytes", (unsigned long long)e->a,
            (unsigned long long)(e->b & 0xffffffffu), (unsigned long long)(e->b >> 32));
    break;
  case HV_TR_MSG_DELIVER:
    fprintf(f, "SynIC message in SINT %llu (", (unsigned long long)e->a);
    rpt_us(f, r, e->b);
    fputs(" after the post)", f);
    break;
  case HV_TR_EVENT_SIGNAL:
    fprintf(f, "event flag %llu on SINT %llu%s", (unsigned long long)e->b, (unsigned long long)e->a,
            e->c ? "" : " (already set)");
    break;
  case HV_TR_HYPERCALL:
    fputs(rpt_call_name((uint16_t)(e->a & 0xffff), buf, sizeof buf), f);
    break;
  case HV_TR_VMBUS: {
    static const char *const ops[] = {"?", "contact", "offer", "GPADL created", "open", "close", "GPADL torn down",
                                      "closed by the server", "unload", "GPADL refused", "open refused"};
    fprintf(f, "server: %s", e->a < 11 ? ops[e->a] : "?");
    if (e->a == HV_VMBUS_OFFER || e->a == HV_VMBUS_OPEN)
      fprintf(f, " relid %u (%s)", (unsigned)(uint32_t)e->b, rpt_dev_kind((uint32_t)e->c));
    else if (e->a == HV_VMBUS_GPADL)
      fprintf(f, " %llu pages", (unsigned long long)e->c);
    else if (e->a == HV_VMBUS_CONTACT)
      fprintf(f, " version 0x%llx", (unsigned long long)e->c);
    break;
  }
  case HV_TR_VMBUS_PACKET:
    if (e->b >> 32)
      fprintf(f, "VSP writes its completion: type %llu, %llu bytes", (unsigned long long)(e->b & 0xffffffffu),
              (unsigned long long)e->c);
    else
      fprintf(f, "VSP takes a packet from the ring: type %llu, %llu bytes", (unsigned long long)(e->b & 0xffffffffu),
              (unsigned long long)e->c);
    break;
  default:
    rpt_event_text(f, r, e);
  }
}

#define SEQ_LANE_X(l) (170 + (l) * 300)

static int seq_draw_row(FILE *f, const struct rpt *r, const struct seq_row *row, int y) {
  const struct hv_trace_rec *e = &r->recs[row->rec];
  fprintf(f, "<g class=\"seqrow\"><text x=\"4\" y=\"%d\" class=\"s\">#%zu ", y + 4, row->rec);
  rpt_us(f, r, e->time);
  fputs("</text>\n", f);
  int x0 = SEQ_LANE_X(row->from), x1 = SEQ_LANE_X(row->to);
  if (row->from == row->to) {
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"8\" height=\"14\" fill=\"#7a5195\"/><text x=\"%d\" y=\"%d\" "
               "text-anchor=\"%s\">",
            x0 - 4, y - 8, row->from == LANE_ROOT ? x0 - 10 : x0 + 10, y + 4, row->from == LANE_ROOT ? "end" : "start");
  } else {
    fprintf(f, "<path d=\"M%d,%d H%d\" stroke=\"#333\" marker-end=\"url(#seqarrow)\"/><text x=\"%d\" y=\"%d\" "
               "text-anchor=\"middle\">",
            x0, y, x1 + (x1 > x0 ? -2 : 2), (x0 + x1) / 2, y - 4);
  }
  seq_label(f, r, e);
  fputs("</text></g>\n", f);
  return y + 24;
}

static void seq_chart(FILE *f, const struct seq_ctx *c, const char *id, size_t from, size_t to, size_t head) {
  size_t n = to - from, shown = n > RPT_SEQ_ROWS ? RPT_SEQ_ROWS + 1 : n;
  int h = 50 + (int)shown * 24 + 10, w = SEQ_LANE_X(2) + 140;
  fprintf(f, "<svg class=\"sequence\" id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
             "width=\"%d\" height=\"%d\">\n",
          id, w, h, w, h);
  fputs("<defs><marker id=\"seqarrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
        "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker>"
        "</defs>\n",
        f);
  const char *lanes[3] = {"child: VSC + VMBus client", "hypervisor: SynIC", "root: VMBus server + VSP"};
  for (int l = 0; l < 3; l++)
    fprintf(f, "<text x=\"%d\" y=\"18\" class=\"t\" text-anchor=\"middle\">%s</text><path d=\"M%d,26 V%d\" "
               "stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>\n",
            SEQ_LANE_X(l), lanes[l], SEQ_LANE_X(l), h - 6);
  int y = 50;
  size_t tail = RPT_SEQ_ROWS - head;
  for (size_t i = from; i < to; i++) {
    if (n > RPT_SEQ_ROWS && i == from + head) {
      fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"s\" text-anchor=\"middle\">&#8942; %zu rows skipped &#8942;</text>\n",
              SEQ_LANE_X(1), y, n - RPT_SEQ_ROWS);
      y += 24;
      i = to - tail - 1;
      continue;
    }
    y = seq_draw_row(f, c->r, &c->rows[i], y);
  }
  fputs("</svg>\n", f);
}

void rpt_seq(FILE *f, const struct rpt *r) {
  struct seq_ctx c;
  memset(&c, 0, sizeof c);
  c.r = r;
  c.root = HV_TRACE_ROOT_PARTITION;
  c.child = HV_TRACE_NONE;
  fputs("<section id=\"sequence\"><h2>VMBus: channel set-up and one packet's round trip</h2>\n", f);
  size_t i = 0;
  for (; i < r->n; i++)
    if (r->recs[i].kind == HV_TR_VMBUS && r->recs[i].a == HV_VMBUS_OPEN)
      break;
  if (i == r->n) {
    fputs("<p>No VMBus channel was opened in this run (chapters 5 to 7 of the tour open some).</p></section>\n", f);
    return;
  }
  c.vm = (uint32_t)(r->recs[i].b >> 32);
  c.relid = (uint32_t)r->recs[i].b;
  c.kind = (uint32_t)r->recs[i].c;
  for (size_t k = 0; k < r->n; k++)
    if (r->recs[k].kind == HV_TR_VM_BIND && r->recs[k].a == c.vm) {
      c.child = (uint16_t)r->recs[k].b;
      break;
    }
  for (i = 0; i < r->n && !(c.done_row && c.nrows >= c.done_row + 2); i++)
    if (seq_rec(&c, i) != 0) {
      fputs("<p>Out of memory drawing the chart.</p></section>\n", f);
      free(c.rows);
      return;
    }
  const char *vm = trace_meta_vm_name(r->meta, c.vm);
  fputs("<p class=\"note\">The first channel opened: relid ", f);
  fprintf(f, "%u (%s) of ", c.relid, rpt_dev_kind(c.kind));
  rpt_esc(f, vm ? vm : "?");
  fputs(". Arrows are SynIC messages (HvCallPostMessage, then delivery into the receiver's SIM page), event flags "
        "and hypercalls; marks on the root's lane are the server's and the VSP's own records. Writing a packet into "
        "the ring is plain memory and leaves no record: the VSC's HvCallSignalEvent is what the trace shows. "
        "Root events of other VMs may interleave. Rows name the event number and time.</p>\n<h3>Set-up</h3>\n",
        f);
  size_t setup_end = c.opened ? c.open_row + 1 : c.nrows;
  while (c.opened && setup_end < c.nrows && setup_end < c.open_row + 3 &&
         (r->recs[c.rows[setup_end].rec].kind == HV_TR_MSG_POST ||
          r->recs[c.rows[setup_end].rec].kind == HV_TR_MSG_DELIVER))
    setup_end++; /* the open's answer: the server's post and its delivery to the child */
  seq_chart(f, &c, "sequence-setup", 0, setup_end, 14);
  fputs("<h3>One packet's round trip</h3>\n", f);
  if (!c.sent) {
    fputs("<p>No packet went through the channel.</p>\n", f);
  } else {
    size_t from = c.first_packet_row > setup_end + 4 ? c.first_packet_row - 4 : setup_end;
    seq_chart(f, &c, "sequence-roundtrip", from, c.nrows, RPT_SEQ_ROWS / 2);
  }
  fputs("</section>\n", f);
  free(c.rows);
}
