/*
 * programs.c — the registry of guest programs a scenario can name.
 */
#include "child.h"

static const struct guest_program programs[] = {
    {"idle", "halts until interrupted, forever", prog_idle},
    {"hypercall-loop", "issues `calls` hypercalls (`call`: property|spin|id), `work` cycles apart",
     prog_hypercall_loop},
    {"memtouch", "writes and verifies `pages` pages of its memory `passes` times (a mark every `report` passes)",
     prog_memtouch},
    {"bad-actor", "tries root-only hypercalls and memory it was never given", prog_bad_actor},
    {"pingpong", "exchanges `count` SynIC messages: `role` 0 pings on `conn`, 1 answers on `conn`",
     prog_pingpong},
    {"ipi", "VP 0 sends `count` IPIs to every other VP (and `broadcast` shorthand rounds); all count them",
     prog_ipi},
    {"irq-sink", "takes interrupts forever: halt, EOI, count", prog_irq_sink},
    {"stimer", "arms STIMER0 one-shot before enabling its message page, then `periods` periodic expiries",
     prog_stimer},
    {"ptdisk", "drives its pass-through disk: `ops` reads/writes (`write_pct`, `random`, `qd`, `lbas`) checked against a shadow copy",
     prog_ptdisk},
    {"ptdisk-hostile", "programs its pass-through disk to DMA outside its memory and asks for root-only IOMMU calls",
     prog_ptdisk_hostile},
    {"io-loop", "`count` OUT/IN pairs on the root-emulated port 0x600, verifying each answer", prog_io_loop},
    {"vmbus-storage", "storvsc over VMBus: `mode` 0 `ops` random I/O vs a shadow copy, 1 writer, 2 verifier",
     prog_vsc_storage},
    {"vmbus-network", "netvsc over VMBus: sends `frames` frames to `peer`'s MAC, counts what it receives",
     prog_vsc_network},
    {"vmbus-hostile", "a lying VMBus client, `attacks` mask: 1 scribbled ring, 2 bad index, 4 oversize, 8 truncated, 16 foreign GPADL, 32 foreign buffer",
     prog_vmbus_hostile},
    {"vmbus-ic", "integration components: answers heartbeats, time samples and a shutdown request (then stops)",
     prog_vsc_ic},
    {"vmbus-protocol", "walks the VMBus channel protocol: unload before offers, reconnect, GPADL body, close/reopen",
     prog_vmbus_protocol},
    {"vmbus-script", "a VMBus client running the script in its payload: opens, packets, ring scribbles, raw messages (the vmbus fuzzer's child)",
     prog_vmbus_script},
    {"platform-check", "finds its ACPI tables and COM1 as an OS does, reports on the console, powers off via ACPI (`pm1`: PM1a control instead of the sleep register)",
     prog_platform_check},
};

static bool programs_equal(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

const struct guest_program *guest_program_lookup(const char *name) {
  for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
    if (programs_equal(programs[i].name, name))
      return &programs[i];
  return 0;
}

const struct guest_program *guest_program_at(size_t i) {
  return i < sizeof programs / sizeof programs[0] ? &programs[i] : 0;
}

bool child_winhv(struct guest *g, const struct guest_boot *b, struct winhv *w) {
  uint32_t vp = guest_vp_index(g);
  uint64_t in = CHILD_IO_PAGES_GPA + 0x2000ull * vp;
  if (in + 0x2000 > b->memory_bytes || winhv_init(w, g, CHILD_HYPERCALL_PAGE_GPA, in, in + 0x1000)) {
    guest_mark(g, MARK_ERROR, 1);
    return false;
  }
  guest_mark(g, MARK_READY, vp);
  return true;
}

void prog_idle(struct guest *g, const struct guest_boot *b) {
  (void)b;
  for (;;)
    guest_halt(g, 0);
}
