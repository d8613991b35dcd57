/*
 * synic_guest.c — what a child needs to use its SynIC: enabling the
 * message and event-flag pages, and waiting for a message the way the
 * TLFS asks a guest to consume one (copy, clear MessageType, then EOM if
 * MessagePending was set). Guest software.
 */
#include "child.h"

bool child_synic_enable(struct guest *g, const struct guest_boot *b, uint8_t sint, uint8_t vector, bool auto_eoi) {
  uint64_t simp = CHILD_SYNIC_GPA + 0x2000ull * guest_vp_index(g);
  if (simp + 0x2000 > b->memory_bytes) {
    guest_mark(g, MARK_ERROR, 2);
    return false;
  }
  uint64_t sintv = vector | (auto_eoi ? (1ull << 17) : 0);
  return guest_wrmsr(g, HV_X64_MSR_SIMP, simp | 1) && guest_wrmsr(g, HV_X64_MSR_SIEFP, (simp + 0x1000) | 1) &&
         guest_wrmsr(g, HV_X64_MSR_SINT0 + sint, sintv) && guest_wrmsr(g, HV_X64_MSR_SCONTROL, 1);
}

void child_msg_wait(struct guest *g, uint8_t sint, uint8_t *msg) {
  uint64_t slot = CHILD_SYNIC_GPA + 0x2000ull * guest_vp_index(g) + 256ull * sint;
  for (;;) {
    guest_read(g, slot, msg, 256);
    if (msg[0] | msg[1] | msg[2] | msg[3]) {
      uint32_t none = 0;
      guest_write(g, slot, &none, 4);
      if (msg[5] & 1)
        guest_wrmsr(g, HV_X64_MSR_EOM, 0);
      return;
    }
    guest_halt(g, 0);
  }
}
