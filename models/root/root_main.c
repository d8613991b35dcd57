/*
 * root_main.c — the root partition's program: its "operating system".
 *
 * VP 0 brings up VID (WinHv, the root's free RAM) and VMMS, then serves
 * the management API: it pops requests, carries them out, and halts until
 * the next request's interrupt. The root's other VPs idle (HLT).
 */
#include "root_main.h"

#include "vmms.h"

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
  struct mgmt_channel *ch = guest_mgmt_channel(g);
  for (;;) {
    struct mgmt_request r;
    while (ch && mgmt_channel_pop(ch, &r))
      vmms_handle(&vmms, &r);
    guest_halt(g, 0);
  }
}
