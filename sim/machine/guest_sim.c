/*
 * guest_sim.c — the "sim" guest runtime: models/guest/guest.h for level 1.
 *
 * Each VP's program runs as a coroutine. A guest action that would exit
 * on hardware (VMCALL, RDMSR/WRMSR, HLT, a SLAT miss) fills the exit
 * record and switches back to the LP; the hypervisor handles it and
 * re-enters the VP. Guest memory is reached only through the partition's
 * SLAT, walked here as the MMU would walk the EPT, with a small TLB that
 * the core's arch_slat_flush() invalidates. Guest time advances by the
 * cost table; an action that reaches the run's deadline yields (a
 * preemption exit at the core's deadline, a silent pause at the
 * simulator's boundary).
 */
#include <string.h>
#include <unistd.h>

#include "models/guest/guest.h"
#include "hv/core/objects.h"
#include "hvsim/root_boot.h"
#include "sim.h"

#define VCPU(g) ((struct sim_vcpu *)(void *)(g))
#define GUEST(v) ((struct guest *)(void *)(v))

static inline uint64_t *vcpu_clock(struct sim_vcpu *v) { return &v->lp->arch.clock; }

/* Leave guest mode with the exit in v->exit; returns when re-entered. */
static void vcpu_exit(struct sim_vcpu *v, uint32_t reason) {
  v->exit.reason = reason;
  v->exit.guest_cycles = *vcpu_clock(v) - v->entry_clock;
  coro_switch(&v->coro, &v->sim->host);
}

/* Time passes in the guest; yield when the run's deadline is reached. */
static void vcpu_spend(struct sim_vcpu *v, uint64_t cycles) {
  for (;;) {
    uint64_t *clk = vcpu_clock(v);
    uint64_t room = v->deadline > *clk ? v->deadline - *clk : 0;
    uint64_t take = cycles < room ? cycles : room;
    *clk += take;
    cycles -= take;
    if (*clk < v->deadline)
      return;
    memset(&v->exit, 0, sizeof v->exit);
    vcpu_exit(v, *clk >= v->core_deadline ? HV_EXIT_PREEMPT : HV_EXIT_NONE);
    if (!cycles)
      return;
  }
}

static bool vcpu_take_exception(struct sim_vcpu *v) {
  if (!v->exc_pending)
    return false;
  v->exc_pending = false;
  return true;
}

void sim_vcpu_tlb_flush(struct sim_vcpu *v) {
  if (v)
    memset(v->tlb, 0xFF, sizeof v->tlb);
}

/* Walk the EPT-format SLAT (Intel SDM 29.3.2) for gpa. Returns false on a
 * missing translation or permission. */
static bool vcpu_walk(struct sim_vcpu *v, uint64_t gpa_v, uint64_t need, uint64_t *spfn, uint64_t *perms) {
  struct sim *s = v->sim;
  uint64_t table = v->vp->arch.slat_root, e = 0;
  if (!table || gpa_v >> 48)
    return false;
  for (int level = 3; level >= 0; level--) {
    if (table + HV_PAGE_SIZE > s->mem_bytes)
      return false;
    const uint64_t *t = (const uint64_t *)(s->mem + table);
    e = t[(gpa_v >> (12 + 9 * level)) & 0x1FF];
    if (!(e & 7))
      return false;
    table = e & EPT_ADDR_MASK;
  }
  *spfn = table >> 12;
  *perms = e & 7;
  return (*perms & need) == need && table + HV_PAGE_SIZE <= s->mem_bytes;
}

/* Translate one page for an access; exits with a GPA violation when the
 * partition does not own it. Returns the host pointer or NULL (faulted). */
static uint8_t *vcpu_translate(struct sim_vcpu *v, uint64_t gpa_v, bool write) {
  uint64_t need = write ? EPT_WRITE : EPT_READ, gpfn = gpa_v >> 12;
  unsigned slot = gpfn % SIM_TLB_SIZE;
  uint64_t spfn, perms;
  if (v->tlb[slot].gpfn == gpfn && (v->tlb[slot].perms & need) == need) {
    spfn = v->tlb[slot].spfn;
  } else {
    vcpu_spend(v, v->sim->costs.guest_tlb_miss);
    if (!vcpu_walk(v, gpa_v, need, &spfn, &perms)) {
      memset(&v->exit, 0, sizeof v->exit);
      v->exit.u.mem.gpa = gpa_v;
      v->exit.u.mem.access = write ? 2 : 1;
      vcpu_exit(v, HV_EXIT_GPA_VIOLATION);
      vcpu_take_exception(v);
      return 0;
    }
    v->tlb[slot].gpfn = gpfn;
    v->tlb[slot].spfn = spfn;
    v->tlb[slot].perms = perms;
  }
  if (write && v->sim->dirty)
    v->sim->dirty[spfn] = 1;
  return v->sim->mem + (spfn << 12) + (gpa_v & HV_PAGE_MASK);
}

static bool vcpu_access(struct sim_vcpu *v, uint64_t gpa_v, void *buf, size_t len, bool write) {
  uint8_t *b = buf;
  while (len) {
    size_t n = HV_PAGE_SIZE - (gpa_v & HV_PAGE_MASK);
    if (n > len)
      n = len;
    uint8_t *p = vcpu_translate(v, gpa_v, write);
    if (!p)
      return false;
    if (write)
      memcpy(p, b, n);
    else
      memcpy(b, p, n);
    vcpu_spend(v, v->sim->costs.guest_mem_per_8b * ((n + 7) / 8));
    b += n;
    len -= n;
    gpa_v += n;
  }
  return true;
}

bool guest_read(struct guest *g, uint64_t gpa_v, void *buf, size_t len) {
  return vcpu_access(VCPU(g), gpa_v, buf, len, false);
}

bool guest_write(struct guest *g, uint64_t gpa_v, const void *buf, size_t len) {
  return vcpu_access(VCPU(g), gpa_v, (void *)buf, len, true);
}

/* One coroutine step: no other VP runs between the read and the write. */
bool guest_xchg64(struct guest *g, uint64_t gpa_v, uint64_t *value) {
  struct sim_vcpu *v = VCPU(g);
  if (gpa_v & 7)
    return false;
  uint8_t *p = vcpu_translate(v, gpa_v, true);
  if (!p)
    return false;
  uint64_t old;
  memcpy(&old, p, 8);
  memcpy(p, value, 8);
  *value = old;
  vcpu_spend(v, v->sim->costs.guest_mem_per_8b * 2);
  return true;
}

/* VMCALL through the hypercall page. The hypervisor either advances RIP
 * (done), leaves it (a rep continuation: execute again with the updated
 * RCX) or injects #UD (no hypercall page). */
uint64_t guest_hypercall(struct guest *g, uint64_t control, uint64_t rdx, uint64_t r8) {
  struct sim_vcpu *v = VCPU(g);
  struct arch_vp *a = &v->vp->arch;
  a->gpr[1] = control;
  a->gpr[2] = rdx;
  a->gpr[8] = r8;
  for (;;) {
    vcpu_spend(v, v->sim->costs.guest_instr);
    uint64_t rip = a->rip;
    memset(&v->exit, 0, sizeof v->exit);
    v->exit.instr_len = 3;
    vcpu_exit(v, HV_EXIT_HYPERCALL);
    if (vcpu_take_exception(v))
      return ~0ull;
    if (a->rip != rip)
      return a->gpr[0];
  }
}

static bool vcpu_msr(struct sim_vcpu *v, uint32_t msr, uint64_t *value, bool write) {
  struct arch_vp *a = &v->vp->arch;
  vcpu_spend(v, v->sim->costs.guest_instr);
  memset(&v->exit, 0, sizeof v->exit);
  v->exit.instr_len = 2;
  v->exit.u.msr.msr = msr;
  if (write) {
    v->exit.u.msr.value = *value;
    a->gpr[0] = *value & 0xFFFFFFFFull;
    a->gpr[2] = *value >> 32;
  }
  a->gpr[1] = msr;
  vcpu_exit(v, write ? HV_EXIT_MSR_WRITE : HV_EXIT_MSR_READ);
  if (vcpu_take_exception(v))
    return false;
  if (!write)
    *value = (a->gpr[0] & 0xFFFFFFFFull) | (a->gpr[2] << 32);
  return true;
}

bool guest_rdmsr(struct guest *g, uint32_t msr, uint64_t *value) { return vcpu_msr(VCPU(g), msr, value, false); }
bool guest_wrmsr(struct guest *g, uint32_t msr, uint64_t value) { return vcpu_msr(VCPU(g), msr, &value, true); }

/* The highest vector taken since the last call, or -1. */
static int vcpu_take_irq(struct sim_vcpu *v) {
  for (int w = 3; w >= 0; w--) {
    if (v->irq_taken[w]) {
      int bit = 63 - __builtin_clzll(v->irq_taken[w]);
      v->irq_taken[w] &= ~(1ull << bit);
      return w * 64 + bit;
    }
  }
  return -1;
}

/* HLT with interrupts enabled: an interrupt taken since the last HLT (the
 * guest's handler ran) ends it at once, as STI; HLT would. */
void guest_halt(struct guest *g, uint8_t *vector) {
  struct sim_vcpu *v = VCPU(g);
  int got = vcpu_take_irq(v);
  while (got < 0) {
    vcpu_spend(v, v->sim->costs.guest_instr);
    got = vcpu_take_irq(v);
    if (got >= 0)
      break;
    memset(&v->exit, 0, sizeof v->exit);
    v->exit.instr_len = 1;
    vcpu_exit(v, HV_EXIT_HLT);
    got = vcpu_take_irq(v);
  }
  if (vector)
    *vector = (uint8_t)got;
}

/* OUT / IN: an I/O exit. The instruction completes when the VP resumes
 * with RIP advanced (by the hypervisor, or by the root that emulated it
 * through an intercept); with RIP unchanged it executes again. */
static uint32_t vcpu_io(struct sim_vcpu *v, uint16_t port, uint8_t size, bool write, uint32_t value) {
  struct arch_vp *a = &v->vp->arch;
  for (;;) {
    vcpu_spend(v, v->sim->costs.guest_instr);
    uint64_t rip = a->rip;
    memset(&v->exit, 0, sizeof v->exit);
    v->exit.instr_len = 1;
    v->exit.u.io.port = port;
    v->exit.u.io.size = size;
    v->exit.u.io.write = write;
    v->exit.u.io.value = value;
    if (write)
      a->gpr[0] = value;
    vcpu_exit(v, HV_EXIT_IO);
    if (vcpu_take_exception(v))
      return ~0u;
    if (a->rip != rip)
      return (uint32_t)a->gpr[0] & (size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
  }
}

void guest_out(struct guest *g, uint16_t port, uint8_t size, uint32_t value) {
  vcpu_io(VCPU(g), port, size, true, value);
}

uint32_t guest_in(struct guest *g, uint16_t port, uint8_t size) { return vcpu_io(VCPU(g), port, size, false, 0); }

void guest_work(struct guest *g, uint64_t cycles) { vcpu_spend(VCPU(g), cycles); }

void guest_event(struct guest *g, uint16_t kind, uint64_t a, uint64_t b, uint64_t c) {
  struct sim_vcpu *v = VCPU(g);
  vcpu_spend(v, v->sim->costs.guest_instr);
  struct hv *hv = v->sim->hv;
  hv_trace(hv, v->lp, (uint16_t)hv->partitions[v->vp->partition].id, (uint16_t)v->vp->index, kind, a, b, c);
}

void guest_mark(struct guest *g, uint32_t code, uint64_t value) { guest_event(g, HV_TR_GUEST, code, value, 0); }

const void *guest_program_image(struct guest *g, size_t *len) {
  (void)g;
  *len = 0; /* level 1: programs run as coroutines, nothing to load */
  return 0;
}

uint32_t guest_vp_index(struct guest *g) {
  uint64_t v = 0;
  return guest_rdmsr(g, HV_X64_MSR_VP_INDEX, &v) ? (uint32_t)v : VCPU(g)->vp->index;
}

uint64_t guest_rdtsc(struct guest *g) { return *vcpu_clock(VCPU(g)); }

struct mgmt_channel *guest_mgmt_channel(struct guest *g) {
  struct sim_vcpu *v = VCPU(g);
  return v->vp->partition == 0 ? &v->sim->mgmt : 0;
}

/* A VP whose start state makes no sense (garbage RIP, no boot block)
 * triple-faults: the hypervisor stops its partition. */
static _Noreturn void vcpu_shutdown(struct sim_vcpu *v) {
  for (;;) {
    memset(&v->exit, 0, sizeof v->exit);
    vcpu_exit(v, HV_EXIT_SHUTDOWN);
  }
}

void sim_vcpu_main(void *arg) {
  struct sim_vcpu *v = arg;
  coro_started(&v->sim->host);
  struct guest *g = GUEST(v);
  struct arch_vp *a = &v->vp->arch;
  uint64_t boot_gpa = a->gpr[6];
  if (a->rip != GUEST_ENTRY_RIP)
    vcpu_shutdown(v);
  uint64_t magic = 0;
  if (!guest_read(g, boot_gpa, &magic, sizeof magic))
    vcpu_shutdown(v);
  if (magic == ROOT_BOOT_MAGIC && v->vp->partition == 0) {
    struct root_boot rb = {0};
    if (guest_read(g, boot_gpa, &rb, ROOT_BOOT_HEAD_BYTES))
      root_main(g, &rb);
  } else if (magic == GUEST_BOOT_MAGIC) {
    struct guest_boot b;
    if (!guest_read(g, boot_gpa, &b, sizeof b))
      vcpu_shutdown(v);
    b.program[sizeof b.program - 1] = 0;
    const struct guest_program *p = guest_program_lookup(b.program);
    if (!p)
      vcpu_shutdown(v);
    p->main(g, &b);
  } else {
    vcpu_shutdown(v);
  }
  for (;;) /* the program is done: CLI; HLT */
    guest_halt(g, 0);
}

/* ---- the root's physical disks ----------------------------------------- */
/* pread/pwrite on the image: the data is in the file when the call
 * returns (the run may end, or the VM stop, right after). Each command
 * costs the root's VP a fixed controller time plus one cycle per 8 bytes
 * (README cost table: the root's physical disk). */
#define SIM_DISK_COMMAND_CYCLES 2000u

static struct sim *v_sim(struct guest *g) { return VCPU(g)->sim; }

static struct sim_vdisk *guest_disk(struct guest *g, uint32_t disk, uint64_t lba, uint32_t sectors) {
  struct sim_vcpu *v = VCPU(g);
  if (v->vp->partition != 0 || disk >= SIM_MAX_VDISKS || !v->sim->vdisks[disk].fd)
    return 0;
  struct sim_vdisk *d = &v->sim->vdisks[disk];
  if (lba > d->sectors || sectors > d->sectors - lba)
    return 0;
  vcpu_spend(v, SIM_DISK_COMMAND_CYCLES + (uint64_t)sectors * GUEST_DISK_SECTOR / 8);
  return d;
}

uint64_t guest_root_disk_sectors(struct guest *g, uint32_t disk) {
  struct sim_vcpu *v = VCPU(g);
  if (v->vp->partition != 0 || disk >= SIM_MAX_VDISKS || !v->sim->vdisks[disk].fd)
    return 0;
  return v->sim->vdisks[disk].sectors;
}

bool guest_root_disk_read(struct guest *g, uint32_t disk, uint64_t lba, void *buf, uint32_t sectors) {
  struct sim_vdisk *d = guest_disk(g, disk, lba, sectors);
  size_t n = (size_t)sectors * GUEST_DISK_SECTOR;
  if (!d || pread(d->fd, buf, n, (off_t)(lba * GUEST_DISK_SECTOR)) != (ssize_t)n)
    return false;
  d->reads++;
  d->bytes += n;
  return true;
}

bool guest_root_disk_write(struct guest *g, uint32_t disk, uint64_t lba, const void *buf, uint32_t sectors) {
  struct sim_vdisk *d = guest_disk(g, disk, lba, sectors);
  size_t n = (size_t)sectors * GUEST_DISK_SECTOR;
  if (!d || sim_disk_pwrite(v_sim(g), d->fd, buf, n, lba * GUEST_DISK_SECTOR) != (long)n)
    return false;
  d->writes++;
  d->bytes += n;
  return true;
}

bool guest_root_disk_flush(struct guest *g, uint32_t disk) {
  struct sim_vdisk *d = guest_disk(g, disk, 0, 0);
  if (!d)
    return false;
  d->flushes++;
  return true; /* pwrite already handed the data to the file; fdatasync would only cost wall time */
}

/* ---- the VMs' payloads ---------------------------------------------------- */

static const struct sim_payload *guest_payload(struct guest *g, uint32_t vm) {
  struct sim_vcpu *v = VCPU(g);
  if (v->vp->partition != 0 || vm >= SIM_MAX_VDISKS || !v->sim->payloads[vm].len)
    return 0;
  return &v->sim->payloads[vm];
}

uint64_t guest_root_payload_size(struct guest *g, uint32_t vm) {
  const struct sim_payload *p = guest_payload(g, vm);
  return p ? p->len : 0;
}

bool guest_root_payload_read(struct guest *g, uint32_t vm, uint64_t off, void *buf, uint32_t len) {
  const struct sim_payload *p = guest_payload(g, vm);
  if (!p || off > p->len || len > p->len - off)
    return false;
  vcpu_spend(VCPU(g), SIM_DISK_COMMAND_CYCLES + len / 8);
  memcpy(buf, p->data + off, len);
  return true;
}

/* Boot files: none at level 1, which refuses kernels (its VPs run our
 * programs, not x86 code; sim/scenario_kernel.c). */
uint64_t guest_root_boot_file_size(struct guest *g, uint32_t vm, uint32_t index) {
  (void)g, (void)vm, (void)index;
  return 0;
}

bool guest_root_boot_file_read(struct guest *g, uint32_t vm, uint32_t index, uint64_t off, void *buf, uint32_t len) {
  (void)g, (void)vm, (void)index, (void)off, (void)buf, (void)len;
  return false;
}
