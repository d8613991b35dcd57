/*
 * report_html.c — the run report's page: reads a trace directory
 * (trace.bin, result.json, the scenario its header names), writes the
 * HTML skeleton with its inline CSS around the views, and the
 * `hvsim report` command. The page is well-formed XML (XHTML-compatible):
 * every element closed, every text escaped, so XML parsers read it too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* ---- text helpers ------------------------------------------------------- */

void rpt_esc(FILE *f, const char *s) {
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '&')
      fputs("&amp;", f);
    else if (ch == '<')
      fputs("&lt;", f);
    else if (ch == '>')
      fputs("&gt;", f);
    else if (ch == '"')
      fputs("&quot;", f);
    else if (ch < 0x20 && ch != '\n' && ch != '\t')
      fputc('?', f);
    else
      fputc(ch, f);
  }
}

void rpt_us(FILE *f, const struct rpt *r, uint64_t cycles) {
  uint64_t cpu = r->meta->cycles_per_us ? r->meta->cycles_per_us : 1;
  uint64_t ns = cycles * 1000 / cpu;
  if (ns >= 10000000)
    fprintf(f, "%llu.%03llu ms", (unsigned long long)(ns / 1000000), (unsigned long long)(ns / 1000 % 1000));
  else
    fprintf(f, "%llu.%03llu us", (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
}

const char *rpt_kind_name(uint16_t kind) {
  const char *n = scn_trace_kind_name(kind);
  return n ? n : "?";
}

const char *rpt_call_name(uint16_t code, char *buf, size_t cap) {
  const char *n = scn_call_name(code);
  if (n)
    return n;
  snprintf(buf, cap, "call 0x%04x", code);
  return buf;
}

void rpt_event_text(FILE *f, const struct rpt *r, const struct hv_trace_rec *e) {
  char buf[32];
  fputs(rpt_kind_name(e->kind), f);
  switch (e->kind) {
  case HV_TR_HYPERCALL: {
    const char *st = scn_status_name((int)(e->b & 0xffff));
    fprintf(f, " %s %s", rpt_call_name((uint16_t)(e->a & 0xffff), buf, sizeof buf), st ? st : "?");
    break;
  }
  case HV_TR_VP_EXIT: {
    const char *why = scn_exit_reason_name((int)e->a);
    fprintf(f, " %s", why ? why : "?");
    break;
  }
  case HV_TR_MGMT: {
    const char *a = trace_mgmt_action_name(e->a), *vm = trace_meta_vm_name(r->meta, e->c);
    const char *st = scn_mgmt_status_name((int)e->b);
    fprintf(f, " %s %s: %s", a ? a : "?", vm ? vm : "?", st ? st : "?");
    break;
  }
  case HV_TR_VM_STATE: {
    const char *vm = trace_meta_vm_name(r->meta, e->a);
    fprintf(f, " %s %s -> %s", vm ? vm : "?", scn_vm_state_name((enum scn_vm_state)e->b),
            scn_vm_state_name((enum scn_vm_state)e->c));
    break;
  }
  default:
    fprintf(f, " a=%llu b=%llu c=%llu", (unsigned long long)e->a, (unsigned long long)e->b,
            (unsigned long long)e->c);
    break;
  }
}

/* ---- loading -------------------------------------------------------------- */

/* The per-VP lines report_json writes (sim/verdict/report.c). */
static void rpt_read_result(struct rpt *r) {
  char path[1100];
  snprintf(path, sizeof path, "%s/result.json", r->dir);
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    struct rpt_vp v;
    unsigned long long pid, g, h, x, ex, hc;
    unsigned vp;
    const char *p = strstr(line, "{\"vm\": \"");
    if (!p || r->nvps == RPT_MAX_VPS)
      continue;
    if (sscanf(p,
               "{\"vm\": \"%47[^\"]\", \"partition\": %llu, \"vp\": %u, \"guest_cycles\": %llu, \"hv_cycles\": "
               "%llu, \"exit_cycles\": %llu, \"exits\": %llu, \"hypercalls\": %llu}",
               v.vm, &pid, &vp, &g, &h, &x, &ex, &hc) != 8)
      continue;
    v.pid = (uint32_t)pid, v.vp = vp, v.guest = g, v.hv = h, v.exit = x, v.exits = ex, v.hypercalls = hc;
    r->vps[r->nvps++] = v;
    r->have_result = true;
  }
  fclose(f);
}

static void rpt_load_scenario(struct rpt *r) {
  uint8_t sha[32];
  struct scn_error err;
  if (sha256_file(r->meta->scenario_path, sha) != 0) {
    snprintf(r->scn_note, sizeof r->scn_note, "the scenario %s is not readable from here", r->meta->scenario_path);
    return;
  }
  if (memcmp(sha, r->meta->scenario_sha256, 32) != 0) {
    snprintf(r->scn_note, sizeof r->scn_note, "%s changed since the run (its SHA-256 differs)",
             r->meta->scenario_path);
    return;
  }
  if (scenario_load(r->meta->scenario_path, &r->scn, &err) != 0) {
    snprintf(r->scn_note, sizeof r->scn_note, "%s", err.msg);
    return;
  }
  r->have_scn = true;
}

int rpt_load(struct rpt *r, const char *dir, char *err, size_t errlen) {
  char bin[1100];
  r->dir = dir;
  r->meta = calloc(1, sizeof *r->meta);
  if (!r->meta) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  snprintf(bin, sizeof bin, "%s/trace.bin", dir);
  if (trace_read(bin, r->meta, &r->recs, &r->n, err, errlen) != 0)
    return -1;
  rpt_load_scenario(r);
  rpt_read_result(r);
  if (rpt_model(r) != 0) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

void rpt_free(struct rpt *r) {
  for (uint32_t i = 0; i < RPT_MAX_LPS; i++)
    free(r->lps[i].segs);
  if (r->have_scn)
    scenario_free(&r->scn);
  free(r->pid_idx);
  free(r->pid_vm);
  free(r->recs);
  free(r->meta);
}

/* ---- the page ------------------------------------------------------------- */

static const char rpt_css[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}"
    "header{background:#243447;color:#fff;padding:14px 24px}header h1{margin:0;font-size:22px}"
    "header p{margin:4px 0 0;color:#cfd8e3}main{padding:8px 24px 40px}"
    "section{background:#fff;border:1px solid #ddd;border-radius:6px;margin:16px 0;padding:12px 16px}"
    "h2{font-size:17px;margin:4px 0 10px}.note{color:#666;font-size:12px}"
    ".desc{white-space:pre-wrap;background:#f3f6fa;border-left:4px solid #4e79a7;padding:8px 12px}"
    "table{border-collapse:collapse;font-size:12px}td,th{border-bottom:1px solid #eee;padding:2px 8px;"
    "text-align:left}th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}"
    "svg{display:block;max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif}"
    "svg .t{font-size:13px;font-weight:bold}svg .s{font-size:10px;fill:#444}"
    "details{margin:6px 0}summary{cursor:pointer;color:#243447}"
    "tr:target{background:#fff3c4}a{color:#1f5fa8}nav a{margin-right:14px}";

static void rpt_header(FILE *f, const struct rpt *r) {
  const char *name = r->have_scn ? r->scn.name : r->meta->scenario_path;
  fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
        "<meta charset=\"utf-8\"/>\n<title>hvsim run report: ",
        f);
  rpt_esc(f, name);
  fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<header><h1>hvsim run report: ", rpt_css);
  rpt_esc(f, name);
  fputs("</h1>\n<p>scenario ", f);
  rpt_esc(f, r->meta->scenario_path);
  fprintf(f, " &#183; seed %llu &#183; %u LPs &#183; %zu events &#183; ", (unsigned long long)r->meta->seed,
          r->meta->lps, r->n);
  rpt_us(f, r, r->end);
  fputs(" simulated &#183; build ", f);
  rpt_esc(f, r->meta->build_id);
  if (r->meta->options[0]) {
    fputs(" &#183; options ", f);
    rpt_esc(f, r->meta->options);
  }
  fputs("</p>\n</header>\n<main>\n<nav><a href=\"#arch\">architecture</a><a href=\"#timeline\">LP timeline</a>"
        "<a href=\"#cycles\">cycles</a><a href=\"#memory\">memory</a><a href=\"#sequence\">VMBus sequence</a>"
        "<a href=\"#verdicts\">verdicts</a><a href=\"#events\">linked events</a></nav>\n",
        f);
  if (r->have_scn && r->scn.description[0]) {
    fputs("<section id=\"about\"><h2>What this run shows</h2>\n<div class=\"desc\">", f);
    rpt_esc(f, r->scn.description);
    fputs("</div></section>\n", f);
  }
  if (r->scn_note[0]) {
    fputs("<p class=\"note\">Expectation texts unavailable: ", f);
    rpt_esc(f, r->scn_note);
    fputs(".</p>\n", f);
  }
}

static int rpt_page(FILE *f, struct rpt *r) {
  rpt_header(f, r);
  rpt_arch(f, r);
  rpt_timeline(f, r);
  rpt_cycles(f, r);
  rpt_memory(f, r);
  rpt_seq(f, r);
  rpt_verdicts(f, r);
  rpt_events(f, r);
  fputs("<p class=\"note\">Written by hvsim report from trace.bin and result.json; the same trace gives the "
        "same page, byte for byte. No script, no network: open it offline.</p>\n</main>\n</body>\n</html>\n",
        f);
  return ferror(f) ? -1 : 0;
}

int report_write(const char *dir, const char *out, char *path, size_t pathlen, char *err, size_t errlen) {
  struct rpt *r = calloc(1, sizeof *r);
  if (!r) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  int rc = -1;
  if (rpt_load(r, dir, err, errlen) == 0) {
    if (out)
      snprintf(path, pathlen, "%s", out);
    else
      snprintf(path, pathlen, "%s/report.html", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
      snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    } else {
      rc = rpt_page(f, r);
      if (fclose(f) != 0 || rc != 0) {
        snprintf(err, errlen, "%s: write failed", path);
        rc = -1;
      }
    }
  }
  rpt_free(r);
  free(r);
  return rc;
}

const char report_usage[] =
    "usage: hvsim report DIR [--out FILE]\n"
    "\n"
    "Writes the run report of the run in DIR (a --trace-dir of hvsim run) to\n"
    "DIR/report.html, or FILE: one self-contained HTML page, inline SVG and CSS,\n"
    "no script and no network, drawn from DIR/trace.bin (and result.json):\n"
    "  - the architecture of the run: partitions, hypervisor, VMBus channels and\n"
    "    devices, each edge labelled with what crossed it;\n"
    "  - the LP timeline (overview and pages), VP exits and interrupts as ticks;\n"
    "  - cycles per VP and the memory each partition held over time;\n"
    "  - a sequence chart of VMBus channel set-up and one packet's round trip;\n"
    "  - the expectations with their verdicts, linked to the deciding events.\n"
    "Same trace, same page, byte for byte. Also: hvsim run FILE --trace-dir DIR --report.\n";

int report_cmd_main(int argc, char **argv) {
  const char *dir = 0, *out = 0;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
      out = argv[++i];
    else if (argv[i][0] == '-' || dir) {
      fprintf(stderr, "hvsim: report: unexpected argument: %s\n(see hvsim report --help)\n", argv[i]);
      return 2;
    } else
      dir = argv[i];
  }
  if (!dir) {
    fprintf(stderr, "hvsim: report needs a run's trace directory\n(see hvsim report --help)\n");
    return 2;
  }
  char path[1200], err[600];
  if (report_write(dir, out, path, sizeof path, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim: report: %s\n", err);
    return 2;
  }
  printf("report: %s\n", path);
  return 0;
}
