/*
 * vmwp.c — the VM worker process (see vmwp.h). Guest software in the
 * root partition: everything goes through VID and WinHv hypercalls.
 *
 * Start: CreatePartition, deposit the estimated pool, InitializePartition,
 * take RAM from VID, write the boot block into what becomes GPA 0 while
 * the root still owns the page (and the platform's payload, if the VM has
 * one, at GUEST_PAYLOAD_GPA), MapGpaPages, CreateVp for each VP, set RIP
 * and RSI, clear the explicit suspend.
 */
#include "vmwp.h"

#include "hvsim/trace.h"

#include "hvsim/root_boot.h"
#include "vmwp_load.h"
#include "vmwp_platform.h"
#include "models/vmbus/vmbus_server.h"

static void vmwp_copy(char *d, const char *s, size_t n) {
  size_t i = 0;
  for (; i + 1 < n && s[i]; i++)
    d[i] = s[i];
  for (; i < n; i++)
    d[i] = 0;
}

/* Pool pages the hypervisor will need: SLAT tables over the RAM, one
 * state page per VP, a margin. */
static uint64_t vmwp_pool_estimate(uint64_t pages, uint32_t vps) {
  uint64_t pt = (pages + 511) / 512, pd = (pt + 511) / 512 + 1;
  return pt + pd + 2 + vps + 4;
}

static uint16_t vmwp_write_boot(struct vid *vid, uint64_t gpfn, uint32_t vm_id,
                                const struct mgmt_vm_config *cfg, uint64_t seed) {
  struct guest_boot b;
  uint8_t *p = (uint8_t *)&b;
  for (size_t i = 0; i < sizeof b; i++)
    p[i] = 0;
  b.magic = GUEST_BOOT_MAGIC;
  vmwp_copy(b.program, cfg->program, sizeof b.program);
  b.memory_bytes = cfg->memory_bytes;
  b.vps = cfg->vps;
  b.nparams = cfg->nparams > GUEST_MAX_PARAMS ? GUEST_MAX_PARAMS : cfg->nparams;
  for (uint32_t i = 0; i < b.nparams; i++)
    b.params[i] = cfg->params[i];
  /* splitmix64 of (seed, vm id): each VM its own deterministic stream */
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (vm_id + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  b.seed = z ^ (z >> 31);
  return guest_write(vid->hv.g, gpfn << 12, &b, sizeof b) ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
}

/* Through the root's pages that will back the GPAs (the extents in GPA
 * order), before the map hands them over. */
uint16_t vmwp_write_gpa(struct vmwp *w, struct vid *vid, uint64_t gpa, const void *src, size_t len) {
  const uint8_t *s = src;
  uint64_t base = 0;
  for (uint32_t i = 0; i < w->nram && len; i++) {
    uint64_t bytes = w->ram[i].n << 12;
    if (gpa < base + bytes) {
      uint64_t off = gpa - base, k = bytes - off < len ? bytes - off : len;
      if (!guest_write(vid->hv.g, (w->ram[i].gpfn << 12) + off, s, k))
        return HV_STATUS_INVALID_PARAMETER;
      s += k;
      gpa += k;
      len -= k;
    }
    base += bytes;
  }
  return len ? HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
}

/* The platform's payload for the VM (guest_root_payload_*), copied to
 * GUEST_PAYLOAD_GPA a page at a time; its place and size go into the
 * boot block as parameters. A payload that does not fit is refused. */
static uint16_t vmwp_load_payload(struct vmwp *w, struct vid *vid, uint32_t vm_id, uint64_t memory_bytes) {
  uint64_t len = guest_root_payload_size(vid->hv.g, vm_id);
  if (!len)
    return HV_STATUS_SUCCESS;
  if (memory_bytes <= GUEST_PAYLOAD_GPA || len > memory_bytes - GUEST_PAYLOAD_GPA)
    return HV_STATUS_INVALID_PARAMETER;
  uint8_t page[4096];
  for (uint64_t off = 0; off < len; off += sizeof page) {
    uint32_t n = len - off < sizeof page ? (uint32_t)(len - off) : (uint32_t)sizeof page;
    if (!guest_root_payload_read(vid->hv.g, vm_id, off, page, n))
      return HV_STATUS_INVALID_PARAMETER;
    uint16_t st = vmwp_write_gpa(w, vid, GUEST_PAYLOAD_GPA + off, page, n);
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
  /* the boot block is GPA 0: append the two parameters */
  struct guest_boot b;
  if (!guest_read(vid->hv.g, w->ram[0].gpfn << 12, &b, sizeof b) || b.nparams + 2 > GUEST_MAX_PARAMS)
    return HV_STATUS_INVALID_PARAMETER;
  vmwp_copy(b.params[b.nparams].key, "payload_gpa", sizeof b.params[0].key);
  b.params[b.nparams++].value = GUEST_PAYLOAD_GPA;
  vmwp_copy(b.params[b.nparams].key, "payload_len", sizeof b.params[0].key);
  b.params[b.nparams++].value = len;
  return guest_write(vid->hv.g, w->ram[0].gpfn << 12, &b, sizeof b) ? HV_STATUS_SUCCESS
                                                                    : HV_STATUS_INVALID_PARAMETER;
}

/* Create the VPs: each at the program's entry with the boot block in
 * RSI, or (a kernel, regs) as vmwp_kernel_vps sets them; then release
 * them all. */
static uint16_t vmwp_start_vps(struct vmwp *w, struct vid *vid, uint32_t vps, const struct vmwp_boot_regs *regs) {
  for (uint32_t i = 0; i < vps; i++) {
    uint16_t st = vid_create_vp(vid, w->partition_id, i);
    if (st == HV_STATUS_SUCCESS && !regs)
      st = winhv_set_vp_register(&vid->hv, w->partition_id, i, HV_X64_REGISTER_RIP, GUEST_ENTRY_RIP);
    if (st == HV_STATUS_SUCCESS && !regs)
      st = winhv_set_vp_register(&vid->hv, w->partition_id, i, HV_X64_REGISTER_RSI, GUEST_BOOT_GPA);
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
  if (regs) {
    uint16_t st = vmwp_kernel_vps(w, vid, vps, regs);
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
  for (uint32_t i = 0; i < vps; i++) {
    uint16_t st = winhv_set_vp_register(&vid->hv, w->partition_id, i, HV_REGISTER_EXPLICIT_SUSPEND, 0);
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
  return HV_STATUS_SUCCESS;
}

uint16_t vmwp_start(struct vmwp *w, struct vid *vid, uint32_t vm_id, const struct mgmt_vm_config *cfg,
                    uint64_t seed) {
  uint64_t pages = cfg->memory_bytes >> 12;
  w->vm_id = vm_id;
  w->partition_id = 0;
  w->nram = 0;
  w->g = vid->hv.g;
  uint16_t st = vid_create_partition(vid, &w->partition_id);
  if (st != HV_STATUS_SUCCESS) {
    w->partition_id = 0;
    return st;
  }
  guest_event(vid->hv.g, HV_TR_VM_BIND, vm_id, w->partition_id, 0);
  st = vid_deposit(vid, w->partition_id, vmwp_pool_estimate(pages, cfg->vps));
  if (st == HV_STATUS_SUCCESS)
    st = winhv_initialize_partition(&vid->hv, w->partition_id);
  /* a VMBus VM's reference time starts with its initialization: where the
   * root's was then goes with its time sync samples */
  w->ref_start = 0;
  if (st == HV_STATUS_SUCCESS && vmbus_server_wanted(cfg->program))
    guest_rdmsr(vid->hv.g, HV_X64_MSR_TIME_REF_COUNT, &w->ref_start);
  if (st == HV_STATUS_SUCCESS) {
    w->nram = vid_alloc(vid, pages, w->ram, VMWP_MAX_EXTENTS);
    if (w->nram == 0)
      st = HV_STATUS_INSUFFICIENT_MEMORY;
  }
  bool kernel = cfg->kernel != VMWP_KERNEL_NONE; /* else one of our programs */
  struct vmwp_boot_regs regs = {0};
  if (st == HV_STATUS_SUCCESS && !kernel)
    st = vmwp_write_boot(vid, w->ram[0].gpfn, vm_id, cfg, seed);
  size_t image_len = 0; /* levels 2/3: the program image at the entry point */
  const void *image = kernel ? 0 : guest_program_image(vid->hv.g, &image_len);
  if (st == HV_STATUS_SUCCESS && image)
    st = vmwp_write_gpa(w, vid, GUEST_ENTRY_RIP, image, image_len);
  if (st == HV_STATUS_SUCCESS && !kernel)
    st = vmwp_load_payload(w, vid, vm_id, cfg->memory_bytes);
  if (st == HV_STATUS_SUCCESS)
    st = vmwp_platform_load(w, vid, cfg);
  if (st == HV_STATUS_SUCCESS && kernel)
    st = vmwp_kernel_load(w, vid, cfg, &regs);
  uint64_t target = 0;
  for (uint32_t i = 0; i < w->nram && st == HV_STATUS_SUCCESS; i++) {
    st = vid_map(vid, w->partition_id, target, w->ram[i].gpfn, w->ram[i].n);
    target += w->ram[i].n;
  }
  if (st == HV_STATUS_SUCCESS)
    st = winhv_install_intercept(&vid->hv, w->partition_id,
                                 HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE,
                                 HV_INTERCEPT_TYPE_X64_IO_PORT, VMWP_TESTDEV_PORT);
  if (st == HV_STATUS_SUCCESS)
    st = vmwp_platform_intercepts(w, vid);
  if (st == HV_STATUS_SUCCESS)
    st = vmwp_start_vps(w, vid, cfg->vps, kernel ? &regs : 0);
  if (st != HV_STATUS_SUCCESS)
    vmwp_stop(w, vid);
  return st;
}

uint16_t vmwp_suspend(struct vmwp *w, struct vid *vid, bool suspend) {
  return winhv_set_partition_property(&vid->hv, w->partition_id, HV_PARTITION_PROPERTY_SUSPEND,
                                      suspend ? 1 : 0);
}

/* Finalize and delete the partition (its RAM returns to the root at the
 * same GPAs, its pool joins the root's), then give it all back to VID. */
uint16_t vmwp_stop(struct vmwp *w, struct vid *vid) {
  uint16_t st = HV_STATUS_SUCCESS;
  if (w->partition_id) {
    st = winhv_finalize_partition(&vid->hv, w->partition_id);
    if (st == HV_STATUS_SUCCESS || st == HV_STATUS_INVALID_PARTITION_STATE)
      st = winhv_delete_partition(&vid->hv, w->partition_id);
    if (st != HV_STATUS_SUCCESS)
      return st;
    w->partition_id = 0;
  }
  for (uint32_t i = 0; i < w->nram; i++)
    vid_free(vid, w->ram[i].gpfn, w->ram[i].n);
  w->nram = 0;
  return vid_withdraw_all(vid);
}

uint16_t vmwp_io(struct vmwp *w, struct vid *vid, uint32_t vp, uint16_t port, bool write, uint8_t size,
                 uint64_t rax, uint64_t rip, uint8_t len) {
  uint64_t mask = size >= 4 ? 0xFFFFFFFFull : (1ull << (8 * size)) - 1;
  uint64_t result = rax;
  if (port == VMWP_TESTDEV_PORT) {
    if (write)
      w->testdev = (uint32_t)(rax & mask);
    else
      result = (rax & ~mask) | ((w->testdev + 1ull) & mask);
  } else if (!vmwp_platform_io(w, port, write, size, &result) && !write) {
    result = rax | mask; /* no device: reads float high */
  }
  w->io_count++;
  if (vmwp_powered_off(w))
    return HV_STATUS_SUCCESS; /* S5: the VP stays suspended until the partition goes */
  uint32_t names[3] = {HV_X64_REGISTER_RAX, HV_X64_REGISTER_RIP, HV_REGISTER_INTERCEPT_SUSPEND};
  uint64_t values[3] = {result, rip + len, 0};
  return winhv_set_vp_registers(&vid->hv, w->partition_id, vp, names, values, 3);
}

static uint64_t vmwp_msg_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* HV_MESSAGE: type u32 @0, payload @16. Memory intercepts go to
 * vmwp_mmio.c. I/O port intercept payload (TLFS
 * HV_X64_IO_PORT_INTERCEPT_MESSAGE): VpIndex u32 @0, InstructionLength
 * bits 3:0 of @4, AccessType @5 (1 write), Rip @24, PortNumber u16 @40,
 * AccessInfo @42 (size in bits 2:0; string and rep accesses are not
 * emulated: completed as if no device answered), Rax @48. */
uint16_t vmwp_intercept(struct vmwp *w, struct vid *vid, const uint8_t *msg) {
  uint32_t type = (uint32_t)msg[0] | (uint32_t)msg[1] << 8 | (uint32_t)msg[2] << 16 | (uint32_t)msg[3] << 24;
  const uint8_t *pl = msg + 16;
  uint32_t vp = (uint32_t)pl[0] | (uint32_t)pl[1] << 8 | (uint32_t)pl[2] << 16 | (uint32_t)pl[3] << 24;
  if (type == HVMSG_UNMAPPED_GPA || type == HVMSG_GPA_INTERCEPT)
    return vmwp_mmio(w, vid, msg);
  if (type != HVMSG_X64_IO_PORT_INTERCEPT)
    return HV_STATUS_INVALID_PARAMETER;
  uint8_t size = pl[42] & 7;
  if (size != 1 && size != 2 && size != 4)
    return HV_STATUS_INVALID_PARAMETER;
  if (pl[42] & 0x18) { /* INS/OUTS: past the instruction, nothing transferred */
    uint32_t names[2] = {HV_X64_REGISTER_RIP, HV_REGISTER_INTERCEPT_SUSPEND};
    uint64_t values[2] = {vmwp_msg_u64(pl + 24) + (pl[4] & 0x0F), 0};
    return winhv_set_vp_registers(&vid->hv, w->partition_id, vp, names, values, 2);
  }
  return vmwp_io(w, vid, vp, (uint16_t)(pl[40] | pl[41] << 8), pl[5] == 1, size, vmwp_msg_u64(pl + 48),
                 vmwp_msg_u64(pl + 24), pl[4] & 0x0F);
}
