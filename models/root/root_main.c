/*
 * root_main.c — the root partition's program: its "operating system".
 *
 * VP 0 brings up VID (WinHv, the root's free RAM), VMMS, and its SynIC
 * (message page; SINT 0 receives the children's intercept messages), then
 * serves: management requests from the management API and intercepts for
 * the VM workers, halting in between. The root's other VPs idle (HLT).
 */
#include "models/guest/guest.h"

#include "hvsim/root_boot.h"

#include "vmms.h"

#define ROOT_INTERCEPT_VECTOR 0x41

static void root_synic(struct guest *g, const struct root_boot *boot) {
  guest_wrmsr(g, HV_X64_MSR_SIMP, ((boot->first_gpfn + VID_SIMP_PAGE) << 12) | 1);
  guest_wrmsr(g, HV_X64_MSR_SIEFP, ((boot->first_gpfn + VID_SIEFP_PAGE) << 12) | 1);
  guest_wrmsr(g, HV_X64_MSR_SINT0 + HV_SYNIC_SINT_INTERCEPT, ROOT_INTERCEPT_VECTOR);
  guest_wrmsr(g, HV_X64_MSR_SCONTROL, 1);
}

/* Serve every intercept message waiting in SINT 0's slot. */
static void root_intercepts(struct guest *g, struct vmms *m, uint64_t slot_gpa) {
  for (;;) {
    uint8_t msg[256];
    if (!guest_read(g, slot_gpa, msg, sizeof msg) || (msg[0] | msg[1] | msg[2] | msg[3]) == 0)
      return;
    uint32_t none = 0;
    guest_write(g, slot_gpa, &none, 4); /* free the slot, then EOM if more wait */
    vmms_intercept(m, msg);
    if (msg[5] & 1)
      guest_wrmsr(g, HV_X64_MSR_EOM, 0);
  }
}

/* VID's memory services, as the VMBus server asks for them. */
static uint16_t root_vmbus_page(void *ctx, uint64_t *gpa) {
  struct vid_extent e;
  if (vid_alloc(ctx, 1, &e, 1) != 1)
    return HV_STATUS_INSUFFICIENT_MEMORY;
  *gpa = e.gpfn << 12;
  return HV_STATUS_SUCCESS;
}

static uint16_t root_vmbus_deposit(void *ctx, uint64_t partition, uint64_t pages) {
  return vid_deposit(ctx, partition, pages);
}

void root_main(struct guest *g, const struct root_boot *boot) {
  if (guest_vp_index(g) != 0) {
    for (;;)
      guest_halt(g, 0);
  }
  struct vid vid;
  struct vmms vmms;
  if (vid_init(&vid, g, boot) != HV_STATUS_SUCCESS) {
    guest_mark(g, 0xDEAD, 0);
    for (;;)
      guest_halt(g, 0);
  }
  vmms_init(&vmms, &vid, boot->seed);
  root_synic(g, boot);
  struct vmbus_host_mem mem = {&vid, root_vmbus_page, root_vmbus_deposit};
  vmbus_server_init(&vmms.vmbus, &vid.hv, &mem, (boot->first_gpfn + VID_SIMP_PAGE) << 12,
                    (boot->first_gpfn + VID_SIEFP_PAGE) << 12); /* wired when a VMBus VM starts */
  vmms.vmbus.boot_gpa = boot->first_gpfn << 12; /* its wall_filetime: the time sync IC */
  uint64_t slot = ((boot->first_gpfn + VID_SIMP_PAGE) << 12) + 256 * HV_SYNIC_SINT_INTERCEPT;
  struct mgmt_channel *ch = guest_mgmt_channel(g);
  for (;;) {
    struct mgmt_request r;
    while (ch && mgmt_channel_pop(ch, &r))
      vmms_handle(&vmms, &r);
    root_intercepts(g, &vmms, slot);
    bool busy = vmbus_server_poll(&vmms.vmbus);
    for (uint32_t id; (id = vmbus_server_take_shutdown(&vmms.vmbus)) != 0;) {
      r.action = MGMT_STOP; /* the guest agreed to shut down: its VM goes Off */
      r.vm_id = id;
      vmms_handle(&vmms, &r);
    }
    if (busy)
      continue; /* packets left: no halt (interrupts stay pending until one) */
    guest_halt(g, 0);
    guest_eoi(g);
  }
}
