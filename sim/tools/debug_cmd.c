/*
 * debug_cmd.c — `hvsim debug DIR`: time travel over a recorded level-1
 * run. The run DIR/trace.bin recorded (scenario, seed, options) is run
 * again once, checked event by event against the recording, with a
 * whole-simulation checkpoint (sim/machine/checkpoint.h) every N events
 * while a memory budget lasts; then commands from stdin move through it:
 *
 *   goto EVENT | goto TIME       to the first step boundary at which EVENT
 *                                events have happened / the first event at
 *                                or after TIME (e.g. 1.5ms) is next
 *   next | prev                  one step of the machine forward / back
 *   next KIND | next {FILTER}    just past the next (prev: previous) event
 *   prev KIND | prev {FILTER}    of a kind, or matching an expectation's
 *                                filter ({ event: guest, partition: store })
 *   next watch | prev watch      to the next / previous change of the page
 *   watch page VM GPA            watched (VM: a scenario name or root)
 *   print event|partitions|vps|regs VM VP|synic VM VP|page VM GPA
 *   info | help | quit
 *
 * A backward move restores the nearest checkpoint at or before the target
 * and re-executes from there (the disks roll back with it). Positions are
 * step boundaries of the simulator (no VP mid-instruction): "event P"
 * means P events have happened. Every line printed is a function of the
 * recording and the commands, so a script's transcript is exact.
 * The disks of the re-run live in DIR.debug/, rolled back on exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/core/hv.h"
#include "hv/core/objects.h"
#include "sim/machine/checkpoint.h"
#include "sim/scenario/scenario.h"
#include "sim/trace/sha256.h"
#include "sim/trace/trace_file.h"
#include "sim/verdict/verdict.h"
#include "sim/world/run.h"

#define DBG_MAX_CKPTS 4096u

struct dbg {
  struct scenario scn;
  struct trace_meta *m;
  struct hv_trace_rec *rec; /* the recording */
  size_t nrec;
  struct run *r;
  uint64_t every, budget, used;
  uint64_t ck_at[DBG_MAX_CKPTS]; /* event position of checkpoint i */
  uint32_t nck;
  uint64_t end;            /* events at the end of the simulation (before the verdict records) */
  uint64_t diverged;       /* first event the re-run differs from the recording (UINT64_MAX none) */
  uint64_t restores, rerun; /* of the last move */
  uint64_t matched;        /* the event a search moved past (UINT64_MAX none) */
  bool watching;
  uint16_t w_slot;
  uint64_t w_gpa;
};

static uint64_t dbg_pos(struct dbg *d) { return run_events(d->r); }

static void dbg_check_rec(void *ctx, const struct hv_trace_rec *rec) {
  struct dbg *d = ctx;
  uint64_t i = run_events(d->r) - 1;
  if (d->diverged == UINT64_MAX && (i >= d->nrec || memcmp(&d->rec[i], rec, sizeof *rec) != 0))
    d->diverged = i;
}

/* ---- moving ------------------------------------------------------------- */

/* Forward to the first step boundary with at least `to` events. */
static void dbg_forward(struct dbg *d, uint64_t to) {
  if (to > d->end)
    to = d->end;
  uint64_t from = dbg_pos(d);
  if (to > from)
    run_advance(d->r, to);
  d->rerun += dbg_pos(d) - from;
}

/* Restore the latest checkpoint at or before `to`. */
static void dbg_restore_before(struct dbg *d, uint64_t to) {
  uint32_t k = 0;
  while (k + 1 < d->nck && d->ck_at[k + 1] <= to)
    k++;
  if (run_restore(d->r, k) != 0) {
    printf("error: checkpoint %u cannot be restored\n", k);
    return;
  }
  d->restores++;
}

/* To the first step boundary with at least `to` events, backward or forward. */
static void dbg_goto(struct dbg *d, uint64_t to) {
  uint64_t p = dbg_pos(d);
  if (to < p) {
    dbg_restore_before(d, to);
  } else {
    /* a checkpoint between here and there saves re-executing */
    uint32_t k = 0;
    while (k + 1 < d->nck && d->ck_at[k + 1] <= to)
      k++;
    if (d->nck && d->ck_at[k] > p)
      dbg_restore_before(d, to);
  }
  dbg_forward(d, to);
}

/* The step boundary just before position p (the previous one). */
static uint64_t dbg_prev_boundary(struct dbg *d, uint64_t p) {
  if (p == 0)
    return 0;
  dbg_restore_before(d, p - 1);
  uint64_t last = dbg_pos(d);
  while (dbg_pos(d) < p) {
    last = dbg_pos(d);
    if (run_advance(d->r, last + 1))
      break;
  }
  d->rerun += dbg_pos(d) - last;
  return last;
}

/* ---- naming --------------------------------------------------------------- */

/* VM index (1-based, 0 root) of partition id pid as of event p. */
static int dbg_vm_of(struct dbg *d, uint64_t pid, uint64_t p) {
  if (pid == HV_TRACE_ROOT_PARTITION)
    return 0;
  int vm = -1;
  for (uint64_t i = 0; i < p && i < d->nrec; i++)
    if (d->rec[i].kind == HV_TR_VM_BIND && d->rec[i].b == pid)
      vm = (int)d->rec[i].a;
  return vm;
}

static int dbg_vm_index(const struct scenario *s, const char *name) {
  for (uint32_t i = 0; i < s->npartitions; i++)
    if (strcmp(s->partitions[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* Partition slot of a VM named by the scenario ("root" too); -1 none. */
static int dbg_slot(struct dbg *d, const char *name) {
  uint64_t pid = 0;
  if (strcmp(name, "root") == 0) {
    pid = HV_TRACE_ROOT_PARTITION;
  } else {
    int vm = dbg_vm_index(&d->scn, name);
    if (vm < 0)
      return -1;
    for (uint64_t i = 0; i < dbg_pos(d) && i < d->nrec; i++)
      if (d->rec[i].kind == HV_TR_VM_BIND && d->rec[i].a == (uint64_t)vm + 1)
        pid = d->rec[i].b;
  }
  const struct hv *hv = run_sim(d->r)->hv;
  for (int i = 0; i < HV_MAX_PARTITIONS && pid; i++)
    if (hv->partitions[i].state != PART_FREE && hv->partitions[i].id == pid)
      return i;
  return -1;
}

static const char *dbg_vm_name(struct dbg *d, uint64_t pid) {
  int vm = dbg_vm_of(d, pid, dbg_pos(d));
  if (vm == 0)
    return "root";
  return vm > 0 && (uint32_t)vm <= d->scn.npartitions ? d->scn.partitions[vm - 1].name : "?";
}

/* ---- printing ------------------------------------------------------------- */

static void dbg_where(struct dbg *d) {
  uint64_t p = dbg_pos(d);
  double us = p && p <= d->nrec ? (double)d->rec[p - 1].time / (double)d->m->cycles_per_us : 0.0;
  printf("at event %llu of %llu (%.3f us)", (unsigned long long)p, (unsigned long long)d->end, us);
  if (d->restores)
    printf(" [restored a checkpoint, re-ran %llu events]", (unsigned long long)d->rerun);
  printf("\n");
  if (d->matched != UINT64_MAX && d->matched < d->nrec) {
    printf("matched ");
    trace_jsonl_event(stdout, d->m, d->matched, &d->rec[d->matched]);
  }
  d->restores = d->rerun = 0;
  d->matched = UINT64_MAX;
}

static void dbg_print_event(struct dbg *d) {
  uint64_t p = dbg_pos(d);
  if (p == 0 || p > d->nrec) {
    printf("no event yet\n");
    return;
  }
  trace_jsonl_event(stdout, d->m, p - 1, &d->rec[p - 1]);
}

static const char *const dbg_part_states[] = {"free", "created", "active", "finalized", "stopped"};
static const char *const dbg_vp_states[] = {"runnable", "halted", "suspended", "stopped"};

static void dbg_print_partitions(struct dbg *d) {
  const struct hv *hv = run_sim(d->r)->hv;
  printf("%-4s %-4s %-10s %-10s %10s %8s %4s\n", "slot", "id", "vm", "state", "ram_pages", "pool", "vps");
  for (int i = 0; i < HV_MAX_PARTITIONS; i++) {
    const struct hv_partition *pt = &hv->partitions[i];
    if (pt->state == PART_FREE)
      continue;
    printf("%-4d %-4llu %-10s %-10s %10llu %8llu %4u\n", i, (unsigned long long)pt->id, dbg_vm_name(d, pt->id),
           pt->state < 5 ? dbg_part_states[pt->state] : "?", (unsigned long long)pt->ram_pages,
           (unsigned long long)pt->pool_free, pt->nvps);
  }
}

static void dbg_print_vps(struct dbg *d) {
  const struct hv *hv = run_sim(d->r)->hv;
  printf("%-10s %-3s %-10s %-4s %12s %10s %10s\n", "vm", "vp", "state", "lp", "guest_cyc", "hypercalls", "exits");
  for (uint32_t i = 0; i < hv->vps_hi; i++) {
    const struct hv_vp *vp = &hv->vps[i];
    if (!vp->in_use)
      continue;
    char lp[8] = "-";
    if (vp->on_lp != HV_NO_VP)
      snprintf(lp, sizeof lp, "%u", vp->on_lp);
    printf("%-10s %-3u %-10s %-4s %12llu %10llu %10llu\n", dbg_vm_name(d, hv->partitions[vp->partition].id),
           vp->index, vp->run_state < 4 ? dbg_vp_states[vp->run_state] : "?", lp,
           (unsigned long long)vp->stats.guest_cycles, (unsigned long long)vp->stats.hypercalls,
           (unsigned long long)vp->stats.exits);
  }
}

static const struct hv_vp *dbg_vp(struct dbg *d, const char *vm, const char *vpn) {
  int slot = dbg_slot(d, vm);
  const struct hv *hv = run_sim(d->r)->hv;
  unsigned long idx = vpn ? strtoul(vpn, 0, 0) : 0;
  if (slot < 0 || idx >= HV_MAX_VPS_PER_PARTITION || hv->partitions[slot].vps[idx] == HV_NO_VP) {
    printf("error: no VP %lu of %s here\n", idx, vm);
    return 0;
  }
  return &hv->vps[hv->partitions[slot].vps[idx]];
}

static void dbg_print_regs(struct dbg *d, const char *vm, const char *vpn) {
  const struct hv_vp *vp = dbg_vp(d, vm, vpn);
  if (!vp)
    return;
  static const char *const names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                        "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  for (int i = 0; i < 16; i++)
    printf("%-3s %016llx%s", names[i], (unsigned long long)vp->arch.gpr[i], i % 4 == 3 ? "\n" : "  ");
  printf("rip %016llx  rflags %016llx  cr0 %016llx  efer %016llx\n", (unsigned long long)vp->arch.rip,
         (unsigned long long)vp->arch.rflags, (unsigned long long)vp->arch.cr0, (unsigned long long)vp->arch.efer);
}

static void dbg_print_synic(struct dbg *d, const char *vm, const char *vpn) {
  const struct hv_vp *vp = dbg_vp(d, vm, vpn);
  if (!vp)
    return;
  const struct hv_synic *s = &vp->synic;
  printf("scontrol %llx  simp %llx  siefp %llx\n", (unsigned long long)s->scontrol, (unsigned long long)s->simp,
         (unsigned long long)s->siefp);
  int masked = 0;
  for (int i = 0; i < HV_SINT_COUNT; i++) {
    if (s->sint[i] & (1ull << 16)) /* masked (TLFS: SINTx bit 16) */
      masked++;
    else
      printf("sint%d vector 0x%llx%s\n", i, (unsigned long long)(s->sint[i] & 0xFF),
             s->sint[i] & (1ull << 18) ? " polling" : "");
  }
  printf("%d SINTs masked\n", masked);
}

/* The page of VM's GPA: its host bytes, or NULL after a message. */
static const uint8_t *dbg_page(struct dbg *d, int slot, uint64_t gpa_v, uint64_t *spa_out) {
  struct sim *s = run_sim(d->r);
  spa_t a;
  uint64_t perms;
  if (slot < 0 || !slat_lookup(s->hv, (uint16_t)slot, gpa(gpa_v & ~0xFFFull), &a, &perms) ||
      a.v + HV_PAGE_SIZE > s->mem_bytes)
    return 0;
  if (spa_out)
    *spa_out = a.v;
  return s->mem + a.v;
}

static uint64_t dbg_page_hash(const uint8_t *p) {
  uint64_t h = 14695981039346656037ull; /* FNV-1a */
  for (size_t i = 0; p && i < HV_PAGE_SIZE; i++)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static void dbg_print_page(struct dbg *d, const char *vm, const char *gpa_s) {
  uint64_t g = strtoull(gpa_s ? gpa_s : "0", 0, 0), spa_v = 0;
  const uint8_t *p = dbg_page(d, dbg_slot(d, vm), g, &spa_v);
  if (!p) {
    printf("error: %s has no page at GPA 0x%llx here\n", vm, (unsigned long long)g);
    return;
  }
  uint32_t e = run_sim(d->r)->hv->pfndb[spa_v >> 12];
  static const char *const types[] = {"hv", "ram", "pool-free", "pool-used"};
  printf("%s GPA 0x%llx -> SPA 0x%llx, %s of partition slot %u, hash %016llx\n", vm,
         (unsigned long long)(g & ~0xFFFull), (unsigned long long)spa_v,
         pfn_type_of(e) < 4 ? types[pfn_type_of(e)] : "?", pfn_owner_of(e), (unsigned long long)dbg_page_hash(p));
  for (int i = 0; i < 64; i++)
    printf("%02x%s", p[(g & 0xFC0) + (uint64_t)i], i % 32 == 31 ? "\n" : " ");
}

/* ---- searching ------------------------------------------------------------ */

static bool dbg_filter(struct dbg *d, const char *text, struct scn_filter *f) {
  char buf[512];
  struct scn_error err;
  if (text[0] == '{')
    snprintf(buf, sizeof buf, "%s", text);
  else
    snprintf(buf, sizeof buf, "{ event: %s }", text);
  if (scn_filter_parse(&d->scn, buf, f, &err) != 0) {
    printf("error: %s\n", err.msg);
    return false;
  }
  return true;
}

/* Index of the next (dir 1) / previous (-1) recorded event matching f,
 * seen from position p; UINT64_MAX none. */
static uint64_t dbg_search(struct dbg *d, const struct scn_filter *f, uint64_t p, int dir) {
  static uint16_t pid_vm[VERDICT_MAX_PIDS];
  memset(pid_vm, 0, sizeof pid_vm);
  uint64_t found = UINT64_MAX;
  for (uint64_t i = 0; i < d->end; i++) {
    const struct hv_trace_rec *r = &d->rec[i];
    if (r->kind == HV_TR_VM_BIND && r->b < VERDICT_MAX_PIDS)
      pid_vm[r->b] = (uint16_t)r->a;
    if (!scn_filter_match(f, pid_vm, r))
      continue;
    if (dir > 0 && i >= p)
      return i;
    if (dir < 0 && i + 1 < p)
      found = i;
  }
  return found;
}

/* The next / previous step boundary where the watched page changed. */
static void dbg_watch_move(struct dbg *d, int dir) {
  uint64_t start = dbg_pos(d);
  if (dir > 0) {
    uint64_t h = dbg_page_hash(dbg_page(d, d->w_slot, d->w_gpa, 0));
    while (dbg_pos(d) < d->end) {
      run_advance(d->r, dbg_pos(d) + 1);
      if (dbg_page_hash(dbg_page(d, d->w_slot, d->w_gpa, 0)) != h)
        return;
    }
    printf("no change until the end\n");
    return;
  }
  /* backward: from the checkpoints before here, the last change before start */
  for (uint32_t k = d->nck; k-- > 0;) {
    if (d->ck_at[k] >= start)
      continue;
    if (run_restore(d->r, k) != 0)
      return;
    d->restores++;
    /* this checkpoint's window: up to the next one (already searched) */
    uint64_t limit = k + 1 < d->nck && d->ck_at[k + 1] < start ? d->ck_at[k + 1] : start;
    uint64_t h = dbg_page_hash(dbg_page(d, d->w_slot, d->w_gpa, 0)), change = UINT64_MAX;
    while (dbg_pos(d) < limit) {
      run_advance(d->r, dbg_pos(d) + 1);
      uint64_t h2 = dbg_page_hash(dbg_page(d, d->w_slot, d->w_gpa, 0));
      if (h2 != h && dbg_pos(d) < start)
        change = dbg_pos(d);
      h = h2;
    }
    d->rerun += dbg_pos(d) - d->ck_at[k];
    if (change != UINT64_MAX) {
      dbg_goto(d, change);
      return;
    }
  }
  printf("no change since the start\n");
  dbg_goto(d, 0);
}

/* ---- commands ------------------------------------------------------------- */

static void dbg_move(struct dbg *d, int dir, const char *arg) {
  if (!arg || !*arg) {
    if (dir > 0)
      dbg_forward(d, dbg_pos(d) + 1);
    else
      dbg_goto(d, dbg_prev_boundary(d, dbg_pos(d)));
    return;
  }
  if (strcmp(arg, "watch") == 0) {
    if (!d->watching) {
      printf("error: no watch set (watch page VM GPA)\n");
      return;
    }
    dbg_watch_move(d, dir);
    return;
  }
  struct scn_filter f;
  if (!dbg_filter(d, arg, &f))
    return;
  uint64_t i = dbg_search(d, &f, dbg_pos(d), dir);
  if (i == UINT64_MAX) {
    printf("no %s matching event\n", dir > 0 ? "later" : "earlier");
    return;
  }
  dbg_goto(d, i + 1);
  d->matched = i;
}

static bool dbg_time(const char *s, uint64_t *ns) {
  char *end;
  double v = strtod(s, &end);
  double mul = strcmp(end, "ns") == 0 ? 1 : strcmp(end, "us") == 0 ? 1e3 : strcmp(end, "ms") == 0 ? 1e6 : -1;
  if (end == s || v < 0 || mul < 0)
    return false;
  *ns = (uint64_t)(v * mul + 0.5);
  return true;
}

static void dbg_cmd_goto(struct dbg *d, const char *arg) {
  uint64_t ns;
  char *end;
  if (arg && dbg_time(arg, &ns)) {
    uint64_t cyc = ns * d->m->cycles_per_us / 1000, i = 0;
    while (i < d->end && d->rec[i].time < cyc)
      i++;
    dbg_goto(d, i);
  } else if (arg && (strtoull(arg, &end, 0), *end == 0)) {
    dbg_goto(d, strtoull(arg, 0, 0));
  } else {
    printf("error: goto EVENT or goto TIME (e.g. 1.5ms)\n");
  }
}

static void dbg_cmd_print(struct dbg *d, char *what, char *a, char *b) {
  if (!what || strcmp(what, "event") == 0)
    dbg_print_event(d);
  else if (strcmp(what, "partitions") == 0)
    dbg_print_partitions(d);
  else if (strcmp(what, "vps") == 0)
    dbg_print_vps(d);
  else if (strcmp(what, "regs") == 0 && a)
    dbg_print_regs(d, a, b);
  else if (strcmp(what, "synic") == 0 && a)
    dbg_print_synic(d, a, b);
  else if (strcmp(what, "page") == 0 && a)
    dbg_print_page(d, a, b);
  else
    printf("error: print event|partitions|vps|regs VM VP|synic VM VP|page VM GPA\n");
}

static void dbg_help(void) {
  printf("goto EVENT|TIME, next|prev [KIND|{FILTER}|watch], watch page VM GPA,\n"
         "print event|partitions|vps|regs VM VP|synic VM VP|page VM GPA, info, quit\n");
}

/* One command line; false: quit. */
static bool dbg_command(struct dbg *d, char *line) {
  char *arg = 0, *cmd = strtok(line, " \t\n");
  if (!cmd || cmd[0] == '#')
    return true;
  char *rest = strtok(0, "\n");
  while (rest && (*rest == ' ' || *rest == '\t'))
    rest++;
  arg = rest && *rest ? rest : 0;
  if (strcmp(cmd, "quit") == 0 || strcmp(cmd, "q") == 0)
    return false;
  if (strcmp(cmd, "help") == 0) {
    dbg_help();
    return true;
  }
  if (strcmp(cmd, "info") == 0) {
    printf("scenario %s seed %llu: %llu events, %u checkpoints every %llu events (%llu bytes)\n", d->scn.path,
           (unsigned long long)d->m->seed, (unsigned long long)d->end, d->nck, (unsigned long long)d->every,
           (unsigned long long)d->used);
    return true;
  }
  if (strcmp(cmd, "print") == 0 || strcmp(cmd, "p") == 0) {
    char *what = arg ? strtok(arg, " ") : 0, *a = what ? strtok(0, " ") : 0, *b = a ? strtok(0, " ") : 0;
    dbg_cmd_print(d, what, a, b);
    return true;
  }
  if (strcmp(cmd, "watch") == 0) {
    char *what = arg ? strtok(arg, " ") : 0, *vm = what ? strtok(0, " ") : 0, *g = vm ? strtok(0, " ") : 0;
    int slot = vm ? dbg_slot(d, vm) : -1;
    if (!what || strcmp(what, "page") || !g || !dbg_page(d, slot, strtoull(g, 0, 0), 0)) {
      printf("error: watch page VM GPA (a page the VM has here)\n");
      return true;
    }
    d->watching = true;
    d->w_slot = (uint16_t)slot;
    d->w_gpa = strtoull(g, 0, 0) & ~0xFFFull;
    printf("watching %s GPA 0x%llx (hash %016llx)\n", vm, (unsigned long long)d->w_gpa,
           (unsigned long long)dbg_page_hash(dbg_page(d, slot, d->w_gpa, 0)));
    return true;
  }
  if (strcmp(cmd, "goto") == 0 || strcmp(cmd, "g") == 0)
    dbg_cmd_goto(d, arg);
  else if (strcmp(cmd, "next") == 0 || strcmp(cmd, "n") == 0)
    dbg_move(d, 1, arg);
  else if (strcmp(cmd, "prev") == 0)
    dbg_move(d, -1, arg);
  else {
    printf("error: unknown command %s (help)\n", cmd);
    return true;
  }
  dbg_where(d);
  return true;
}

/* ---- set-up --------------------------------------------------------------- */

/* Run the recording once, taking the checkpoints. */
static int dbg_record(struct dbg *d) {
  if (run_checkpoints_enable(d->r) != 0 || run_checkpoint(d->r) != 0)
    return -1;
  d->ck_at[d->nck++] = 0;
  d->used = ckpt_bytes(run_ckpts(d->r), 0);
  bool ended = false;
  while (!ended) {
    uint64_t next = dbg_pos(d) + d->every;
    ended = run_advance(d->r, next);
    if (ended || d->nck == DBG_MAX_CKPTS || d->used >= d->budget)
      continue;
    int k = run_checkpoint(d->r);
    if (k < 0)
      return -1;
    d->ck_at[d->nck++] = dbg_pos(d);
    d->used += ckpt_bytes(run_ckpts(d->r), (uint32_t)k);
  }
  if (!ended)
    run_advance(d->r, UINT64_MAX);
  d->end = dbg_pos(d);
  return 0;
}

static int dbg_open(struct dbg *d, const char *dir) {
  char bin[1200], err[256], files[1200];
  snprintf(bin, sizeof bin, "%s/trace.bin", dir);
  d->m = calloc(1, sizeof *d->m);
  if (!d->m || trace_read(bin, d->m, &d->rec, &d->nrec, err, sizeof err) != 0) {
    fprintf(stderr, "hvsim: debug: %s\n", d->m ? err : "out of memory");
    return 2;
  }
  uint8_t sha[32];
  if (sha256_file(d->m->scenario_path, sha) != 0 || memcmp(sha, d->m->scenario_sha256, 32) != 0) {
    fprintf(stderr, "hvsim: debug: %s is not the scenario the run recorded (its SHA-256 differs)\n",
            d->m->scenario_path);
    return 2;
  }
  struct scn_error serr;
  if (scenario_load(d->m->scenario_path, &d->scn, &serr) != 0) {
    fprintf(stderr, "%s\n", serr.msg);
    return 2;
  }
  struct run_opts o;
  memset(&o, 0, sizeof o);
  o.seed = d->m->seed;
  o.quiet = true;
  o.silent = true;
  snprintf(files, sizeof files, "%s.debug", dir);
  o.files_dir = files;
  char opts[512];
  snprintf(opts, sizeof opts, "%s", d->m->options);
  for (char *tok = strtok(opts, " "); tok; tok = strtok(0, " ")) {
    char *val = strtok(0, " ");
    uint64_t ns;
    if (val && strcmp(tok, "--until") == 0 && dbg_time(val, &ns))
      o.until_ns = ns;
  }
  d->r = run_open(&d->scn, &o);
  if (!d->r)
    return 2;
  d->diverged = UINT64_MAX;
  d->matched = UINT64_MAX;
  run_on_record(d->r, dbg_check_rec, d);
  if (d->every == 0)
    d->every = d->nrec / 64 > 1000 ? d->nrec / 64 : 1000;
  if (dbg_record(d) != 0) {
    fprintf(stderr, "hvsim: debug: out of memory for checkpoints\n");
    return 2;
  }
  printf("debug: %s seed %llu, %llu events, %u checkpoints every %llu events (%llu bytes)\n", d->scn.path,
         (unsigned long long)d->m->seed, (unsigned long long)d->end, d->nck, (unsigned long long)d->every,
         (unsigned long long)d->used);
  if (d->diverged != UINT64_MAX && d->diverged < d->end)
    printf("warning: this build's run differs from the recording from event %llu on\n",
           (unsigned long long)d->diverged);
  return 0;
}

int debug_cmd_main(int argc, char **argv) {
  struct dbg *d = calloc(1, sizeof *d);
  const char *dir = 0;
  if (!d)
    return 3;
  d->budget = 512ull << 20;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--every") == 0 && i + 1 < argc)
      d->every = strtoull(argv[++i], 0, 0);
    else if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc)
      d->budget = strtoull(argv[++i], 0, 0) << 20;
    else if (!dir && argv[i][0] != '-')
      dir = argv[i];
    else {
      fprintf(stderr, "hvsim: debug DIR [--every N] [--budget MiB]\n");
      free(d);
      return 2;
    }
  }
  if (!dir) {
    fprintf(stderr, "hvsim: debug needs a run's trace directory\n");
    free(d);
    return 2;
  }
  int code = dbg_open(d, dir);
  if (code == 0) {
    char line[1024];
    bool tty = isatty(0);
    dbg_goto(d, 0);
    d->restores = d->rerun = 0;
    for (;;) {
      if (tty) {
        printf("(hvsim) ");
        fflush(stdout);
      }
      if (!fgets(line, sizeof line, stdin))
        break;
      if (!tty && line[0] != '\n')
        printf("> %s%s", line, strchr(line, '\n') ? "" : "\n");
      if (!dbg_command(d, line))
        break;
      fflush(stdout);
    }
    run_restore(d->r, 0); /* the disks as they were before the re-run */
  }
  if (d->r)
    run_free(d->r);
  if (d->scn.path[0])
    scenario_free(&d->scn);
  free(d->rec);
  free(d->m);
  free(d);
  return code;
}
