/*
 * vmwp_kernel.c — the worker boots a VM's kernel (struct mgmt_vm_config.
 * kernel): the loader (vmwp_load_linux.c / vmwp_load_multiboot.c) reads
 * the VM's boot files through the platform (guest_root_boot_file_*) and
 * writes the VM's RAM through the root's pages before they are mapped
 * (vmwp_write_gpa); then the bootstrap processor gets the entry registers
 * and the others wait for INIT-SIPI. Guest software in the root partition.
 *
 * The processors of a machine: VP 0 starts at the kernel's entry in flat
 * 32-bit protected mode, paging off (the state the hypervisor gives a new
 * VP); every other VP is put in the startup-suspended activity state
 * (HvRegisterInternalActivityState bit 0, as OpenVMM's hvdef names it),
 * from which only the INIT-SIPI-SIPI sequence the kernel sends through its
 * local APIC releases it, as on hardware.
 */
#include "vmwp.h"
#include "vmwp_load.h"
#include "vmwp_platform.h"


struct vmwp_boot_file {
  struct guest *g;
  uint32_t vm, index;
};

static bool vmwp_boot_file_read(void *ctx, uint64_t off, void *buf, uint32_t len) {
  const struct vmwp_boot_file *f = ctx;
  return guest_root_boot_file_read(f->g, f->vm, f->index, off, buf, len);
}

struct vmwp_boot_target {
  struct vmwp *w;
  struct vid *vid;
};

static bool vmwp_kernel_write(void *ctx, uint64_t gpa, const void *src, uint32_t len) {
  const struct vmwp_boot_target *t = ctx;
  return vmwp_write_gpa(t->w, t->vid, gpa, src, len) == HV_STATUS_SUCCESS;
}

static struct vmwp_file vmwp_boot_file(struct vmwp_boot_file *ctx, struct guest *g, uint32_t vm,
                                       uint32_t index) {
  *ctx = (struct vmwp_boot_file){g, vm, index};
  return (struct vmwp_file){guest_root_boot_file_size(g, vm, index), vmwp_boot_file_read, ctx};
}

uint16_t vmwp_kernel_load(struct vmwp *w, struct vid *vid, const struct mgmt_vm_config *cfg,
                          struct vmwp_boot_regs *regs) {
  struct vmwp_boot_file ctx[2 + 2 * VMWP_MAX_MODULES];
  struct vmwp_file kernel, cmdline, modules[VMWP_MAX_MODULES], strings[VMWP_MAX_MODULES];
  kernel = vmwp_boot_file(&ctx[0], w->g, w->vm_id, GUEST_BOOT_FILE_KERNEL);
  cmdline = vmwp_boot_file(&ctx[1], w->g, w->vm_id, GUEST_BOOT_FILE_CMDLINE);
  uint32_t n = 0;
  for (; n < VMWP_MAX_MODULES; n++) {
    modules[n] = vmwp_boot_file(&ctx[2 + 2 * n], w->g, w->vm_id, GUEST_BOOT_FILE_MODULE(n));
    if (!modules[n].size)
      break;
    strings[n] = vmwp_boot_file(&ctx[3 + 2 * n], w->g, w->vm_id, GUEST_BOOT_FILE_MODULE_CMDLINE(n));
  }
  if (!kernel.size)
    return HV_STATUS_INVALID_PARAMETER; /* the platform has no kernel for this VM */
  struct vmwp_kernel_in in = {&kernel, &cmdline, modules,
                              strings, n,        (w->platform & VMWP_PLATFORM_ACPI) ? VMWP_ACPI_GPA : 0};
  struct vmwp_boot_target target = {w, vid};
  struct vmwp_mem mem = {cfg->memory_bytes, vmwp_kernel_write, &target};
  uint64_t detail = 0;
  enum vmwp_load_err err;
  if (cfg->kernel == VMWP_KERNEL_LINUX)
    err = vmwp_load_linux(&in, &mem, regs, 0, &detail);
  else if (cfg->kernel == VMWP_KERNEL_MULTIBOOT)
    err = vmwp_load_multiboot(&in, &mem, regs, 0, &detail);
  else
    return HV_STATUS_INVALID_PARAMETER;
  return err == VMWP_LOAD_OK ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
}

uint16_t vmwp_kernel_vps(struct vmwp *w, struct vid *vid, uint32_t vps, const struct vmwp_boot_regs *regs) {
  uint32_t names[3] = {HV_X64_REGISTER_RIP, HV_X64_REGISTER_RAX, HV_X64_REGISTER_RBX};
  uint64_t values[3] = {regs->rip, regs->rax, regs->rbx};
  uint16_t st = winhv_set_vp_registers(&vid->hv, w->partition_id, 0, names, values, 3);
  for (uint32_t i = 1; i < vps && st == HV_STATUS_SUCCESS; i++)
    st = winhv_set_vp_register(&vid->hv, w->partition_id, i, HV_REGISTER_INTERNAL_ACTIVITY_STATE,
                               HV_ACTIVITY_STARTUP_SUSPEND);
  return st;
}
