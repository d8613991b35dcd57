/*
 * main.c — the bare-metal platform: from the 64-bit entry to the
 * hypervisor's LP loop, and the end of a run.
 *
 * Boot: console, descriptor tables, the run description (option ROM on
 * Bochs, multiboot module 0 elsewhere), the memory size (multiboot
 * information, else CMOS), the vendor backend (VMXON / EFER.SVME), the
 * root partition's image copied to its fixed GPA, then hv_init() — which
 * gives all RAM after the image to the root, identity-mapped — and the LP
 * loop: hv_lp_step() on each LP in turn, with the world's plan played
 * between steps (world.c), until the scenario's end; then the isolation
 * oracle once more, the records and counters on the debug port
 * (debug_stream.c). The machine's LPs are time-multiplexed on CPU 0 (no AP
 * is started).
 *
 * Platform state (the one struct hv, the run description) is static here:
 * this file is the machine's firmware, the core still sees only its
 * struct hv.
 */
#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/x86.h"
#include "hv/core/entry.h"
#include "hv/core/objects.h"
#include "hvsim/bare_cfg.h"
#include "hvsim/debug_port.h"
#include "hvsim/root_boot.h"
#include "platform_bare.h"

#define MB_BOOT_MAGIC 0x2BADB002u
#define ROM_BOOT_MAGIC 0x4D4F5248u

extern const uint8_t root_image_start[], root_image_end[];
extern const uint8_t __image_end[];

static struct hv platform_hv;
static struct bare_cfg platform_cfg;

bool platform_booted(void) { return platform_hv.lps[0].arch.clock_on; }

_Noreturn void platform_halt(int status) {
  platform_trace_flush();
  if (platform_booted())
    platform_stats_print(&platform_hv);
  backend_report(&platform_hv);
  console_printf(DEBUG_LINE_FIGURES "trace_records=%lu isolation_checks=%lu oracle_tsc=%lu end_tsc=%lu\n",
                 platform_trace_total(), platform_hv.counters.isolation_checks, platform_hv.arch.paused_cycles,
                 x86_rdtsc());
  console_printf(DEBUG_LINE_END "%d\n", status);
  console_drain();
  x86_magic_break();              /* Bochs: the debugger script quits */
  x86_outb(0xF4, (uint8_t)status); /* QEMU isa-debug-exit, if present */
  for (;;)
    __asm__ volatile("cli; hlt");
}

/* ---- machine description ----------------------------------------------- */
struct mb_info { /* Multiboot 0.6.96, 3.3 (the fields used) */
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
};
struct mb_module {
  uint32_t start, end, string, reserved;
};

static uint8_t cmos_read(uint8_t reg) {
  x86_outb(0x70, reg);
  return x86_inb(0x71);
}

/* RAM size in bytes: multiboot mem_upper (KiB above 1 MiB), else the CMOS
 * extended-memory registers Bochs fills from 'megs' (0x30/31: KiB above 1
 * MiB up to 64 MiB; 0x34/35: 64 KiB blocks above 16 MiB). */
static uint64_t platform_memory(uint32_t magic, const struct mb_info *mb) {
  if (magic == MB_BOOT_MAGIC && mb && (mb->flags & 1))
    return (1ull << 20) + (uint64_t)mb->mem_upper * 1024;
  uint64_t above16 = ((uint64_t)cmos_read(0x35) << 8 | cmos_read(0x34)) * 65536;
  if (above16)
    return (16ull << 20) + above16;
  return (1ull << 20) + ((uint64_t)cmos_read(0x31) << 8 | cmos_read(0x30)) * 1024;
}

static const struct bare_cfg *platform_find_cfg(uint32_t magic, const struct mb_info *mb) {
  if (magic == MB_BOOT_MAGIC && mb && (mb->flags & 8) && mb->mods_count > 0) {
    const struct mb_module *m = (const struct mb_module *)(uintptr_t)mb->mods_addr;
    const uint8_t *p = (const uint8_t *)(uintptr_t)m->start;
    uint32_t skip = (p[0] == 0x55 && p[1] == 0xAA) ? BARE_CFG_ROM_OFFSET : 0; /* the same cfg.rom */
    if (m->end - m->start >= skip + sizeof(struct bare_cfg))
      return (const struct bare_cfg *)(uintptr_t)(m->start + skip);
    return 0;
  }
  const uint8_t *rom = (const uint8_t *)(uintptr_t)BARE_CFG_ROM_ADDR;
  if (rom[0] == 0x55 && rom[1] == 0xAA)
    return (const struct bare_cfg *)(rom + BARE_CFG_ROM_OFFSET);
  return 0;
}

static void platform_load_root(struct hv *hv) {
  uint64_t size = (uint64_t)(root_image_end - root_image_start);
  hv_memcpy((void *)(uintptr_t)BARE_ROOT_IMAGE_GPA, root_image_start, size);
  struct mgmt_channel *ch = (struct mgmt_channel *)(uintptr_t)BARE_MGMT_CHANNEL_GPA;
  hv_memset(ch, 0, sizeof *ch);
  ch->seed = platform_cfg.seed;
  uint64_t top = hv->boot.mem_base + hv->boot.mem_pages * HV_PAGE_SIZE;
  struct root_boot *rb = (struct root_boot *)(uintptr_t)BARE_ROOT_BOOT_GPA;
  hv_memset(rb, 0, sizeof *rb);
  rb->magic = ROOT_BOOT_MAGIC;
  rb->first_gpfn = BARE_ROOT_BOOT_GPA >> HV_PAGE_SHIFT;
  rb->npages = (top - BARE_ROOT_BOOT_GPA) >> HV_PAGE_SHIFT;
  rb->nlps = hv->boot.nlps;
  rb->seed = platform_cfg.seed;
  rb->wall_filetime = platform_cfg.wall_filetime;
  platform_storage_load();
}

/* ---- the LP loop ------------------------------------------------------- */
/* The machine's LPs are multiplexed on CPU 0, each with its own clock
 * (arch_lp.clock: the cycles it has run or idled), as if they ran in
 * parallel: the scenario's time between two world events advances once,
 * not once per LP, and each LP gets the whole of it. The LP whose clock
 * is furthest behind steps next (ties: lowest index), until an exit, the
 * next world event or PLATFORM_LP_SKEW ahead of the slowest other busy
 * LP — so clocks never drift apart by more than that, and a run is the
 * same sequence of core steps every time. Before each turn the LP's
 * tsc_origin is re-based so arch_cycles() reads its clock; a guest reads
 * it too (TSC offsetting). An LP with nothing to run parks until a kick
 * (arch_lp_kick, which brings its clock up to the kicker's) or the core's
 * timer. Level-2 time is thus instructions executed per LP at the
 * configured MHz; the idle time of a parked LP costs no instruction. */
#define PLATFORM_LP_SKEW_US 20

static uint64_t platform_time; /* the world's time: every LP has reached it */

uint64_t platform_now(void) { return platform_time; }

/* The busy LP with the smallest clock below end; -1 when none. */
static int platform_pick(struct hv *hv, uint64_t end) {
  int pick = -1;
  for (uint32_t i = 0; i < hv->boot.nlps; i++) {
    const struct arch_lp *a = &hv->lps[i].arch;
    if (!a->parked && a->clock < end && (pick < 0 || a->clock < hv->lps[pick].arch.clock))
      pick = (int)i;
  }
  return pick;
}

/* Every LP parked (or at end): wake those whose timer comes first, or
 * bring them all to end. Returns false when the round is over. */
static bool platform_wake(struct hv *hv, uint64_t end) {
  uint64_t w = end;
  for (uint32_t i = 0; i < hv->boot.nlps; i++)
    if (hv->lps[i].arch.timer_deadline && hv->lps[i].arch.timer_deadline < w)
      w = hv->lps[i].arch.timer_deadline;
  for (uint32_t i = 0; i < hv->boot.nlps; i++) {
    struct arch_lp *a = &hv->lps[i].arch;
    if (a->clock < w)
      a->clock = w;
    if (a->timer_deadline && a->timer_deadline <= w) {
      a->timer_deadline = 0;
      a->parked = false;
    }
  }
  if (w >= end)
    return false;
  for (uint32_t i = 0; i < hv->boot.nlps; i++)
    hv->lps[i].arch.parked = false; /* the timer's handler runs on whichever LP steps first */
  return true;
}

/* One turn of LP i: from its clock to the limit, or its next exit. */
static void platform_turn(struct hv *hv, uint32_t i, uint64_t end, uint64_t skew) {
  struct arch_lp *a = &hv->lps[i].arch;
  uint64_t lim = end;
  for (uint32_t j = 0; j < hv->boot.nlps; j++) {
    const struct arch_lp *o = &hv->lps[j].arch;
    if (j != i && !o->parked && o->clock + skew < lim)
      lim = o->clock + skew;
  }
  uint64_t timer = hv->lps[0].arch.timer_deadline;
  if (timer > a->clock && timer < lim)
    lim = timer;
  a->tsc_origin = x86_rdtsc() - a->clock;
  hv->arch.world_deadline = lim;
  bool busy = hv_lp_step(hv, i);
  a->clock = arch_cycles(&hv->lps[i]);
  if (!busy)
    a->parked = true;
}

static void platform_run(struct hv *hv) {
  uint64_t until = platform_ns_cycles(platform_cfg.until_ns);
  uint64_t skew = hv->boot.nlps > 1 ? platform_ns_cycles(PLATFORM_LP_SKEW_US * 1000ull) : UINT64_MAX / 4;
  while (platform_time < until) {
    /* The world acts at its time on every LP (its records, interrupts
     * and kicks read the LPs' clocks there), in no time of theirs. */
    for (uint32_t i = 0; i < hv->boot.nlps; i++) {
      hv->lps[i].arch.held = true;
      hv->lps[i].arch.held_at = platform_time;
    }
    uint64_t next = platform_world(platform_time); /* UINT64_MAX: the plan is done */
    for (uint32_t i = 0; i < hv->boot.nlps; i++)
      hv->lps[i].arch.held = false;
    uint64_t end = next < until ? next : until;
    for (;;) {
      int i = platform_pick(hv, end);
      if (i >= 0)
        platform_turn(hv, (uint32_t)i, end, skew);
      else if (!platform_wake(hv, end))
        break;
    }
    platform_time = end;
  }
}

void platform_main(uint32_t magic, uint32_t info) {
  const struct mb_info *mb = (const struct mb_info *)(uintptr_t)info;
  uint64_t entry_tsc = x86_rdtsc(); /* instructions from reset to here, on Bochs */
  console_init();
  console_printf("hvsim: bare-metal image, backend %s, boot %s\n", backend_name,
                 magic == MB_BOOT_MAGIC ? "multiboot" : magic == ROM_BOOT_MAGIC ? "rom" : "?");
  console_printf(DEBUG_LINE_FIGURES "main_tsc=%lu\n", entry_tsc);
  /* Mask the legacy 8259 PICs: a BIOS (QEMU's multiboot path) leaves the
   * timer on IRQ 0 = vector 8, which would look like a #DF (8259A data
   * sheet, OCW1). Interrupts reach the hypervisor through the local APIC. */
  x86_outb(0x21, 0xFF);
  x86_outb(0xA1, 0xFF);
  cpu_init_lp(0);
  const struct bare_cfg *cfg = platform_find_cfg(magic, mb);
  if (!cfg || cfg->magic != BARE_CFG_MAGIC || cfg->version != BARE_CFG_VERSION ||
      cfg->size != sizeof(struct bare_cfg)) {
    console_printf("hvsim: no valid run description (option ROM at 0x%x or multiboot module)\n",
                   BARE_CFG_ROM_ADDR);
    platform_halt(DEBUG_END_BAD_INPUT);
  }
  platform_cfg = *cfg;
  uint64_t mem_top = platform_memory(magic, mb);
  if (platform_cfg.memory_bytes && platform_cfg.memory_bytes < mem_top)
    mem_top = platform_cfg.memory_bytes;
  uint64_t mem_base = ((uint64_t)(uintptr_t)__image_end + 0x1FFFFF) & ~0x1FFFFFull;
  uint64_t root_size = (uint64_t)(root_image_end - root_image_start);
  console_printf("hvsim: memory %lu MiB, image end 0x%lx, root image %lu bytes\n", mem_top >> 20,
                 (uint64_t)(uintptr_t)__image_end, root_size);
  if (mem_top < PLATFORM_MIN_MEMORY || mem_base + (4ull << 20) > BARE_ROOT_IMAGE_GPA) {
    console_printf("hvsim: machine too small (need %lu MiB)\n", (uint64_t)(PLATFORM_MIN_MEMORY >> 20));
    platform_halt(DEBUG_END_BAD_INPUT);
  }
  if (platform_cfg.lps < 1 || platform_cfg.lps > HV_X86_MAX_LPS) {
    console_printf("hvsim: this image runs 1 to %u LPs (asked for %u)\n", HV_X86_MAX_LPS,
                   platform_cfg.lps);
    platform_halt(DEBUG_END_BAD_INPUT);
  }
  struct hv *hv = &platform_hv;
  platform_storage_init(&platform_cfg.storage);
  cpu_apic_init(); /* slice ends (AMD-V) and idle waits */
  if (backend_lp_init(hv, &hv->lps[0]) != 0)
    platform_halt(DEBUG_END_BAD_INPUT);
  struct hv_boot boot = {
      .nlps = platform_cfg.lps,
      .mem_base = mem_base,
      .mem_pages = (mem_top - mem_base) >> HV_PAGE_SHIFT,
      .slice_cycles = platform_cfg.slice_us * platform_cfg.cpu_mhz,
      .cycles_per_100ns = platform_cfg.cpu_mhz / 10 ? platform_cfg.cpu_mhz / 10 : 1,
  };
  hv->arch.root_entry = BARE_ROOT_IMAGE_GPA;
  hv->arch.root_boot_gpa = BARE_ROOT_BOOT_GPA;
  uint64_t init_tsc = x86_rdtsc();
  hv_status_t st = hv_init(hv, &boot);
  if (st != HV_STATUS_SUCCESS) {
    console_printf("hvsim: hv_init failed, status 0x%x\n", st);
    platform_halt(DEBUG_END_BAD_INPUT);
  }
  uint32_t *first = pfn_entry(hv, BARE_ROOT_IMAGE_GPA >> HV_PAGE_SHIFT);
  if (!first || pfn_type_of(*first) != PFN_RAM || pfn_owner_of(*first) != 0) {
    console_printf("hvsim: the root does not own GPA 0x%llx\n", BARE_ROOT_IMAGE_GPA);
    platform_halt(DEBUG_END_BAD_INPUT);
  }
  platform_load_root(hv);
  uint64_t origin = x86_rdtsc(); /* scenario time 0, on every LP's clock */
  for (uint32_t i = 0; i < hv->boot.nlps; i++) {
    hv->lps[i].arch.tsc_origin = origin;
    hv->lps[i].arch.clock = 0;
    hv->lps[i].arch.clock_on = true;
  }
  console_printf(DEBUG_LINE_FIGURES "hv_init_start_tsc=%lu hv_init_done_tsc=%lu\n", init_tsc,
                 hv->lps[0].arch.tsc_origin);
  platform_world_init(hv, &platform_cfg);
  platform_run(hv);
  console_printf("hvsim: end of the timeline (%lu ns)\n", platform_cfg.until_ns);
  hv_check_isolation(hv, 0); /* the end-of-run oracle, as the simulator runs it */
  platform_halt(DEBUG_END_OK);
}
