/*
 * vmwp_mmio.c — memory-mapped device emulation in the worker: the
 * hypervisor sends an unmapped-GPA or GPA-intercept message (TLFS
 * HV_X64_MEMORY_INTERCEPT_MESSAGE) for a VP's access to a GPA that is not
 * RAM, and leaves the VP suspended; the worker decodes the instruction
 * from the message's bytes (vmwp_decode.c), performs the access on the
 * device at that GPA, writes a load's register and moves RIP past the
 * instruction, then clears the intercept suspend. Guest software in the
 * root partition.
 *
 * Message payload (Linux hvhdk.h hv_x64_memory_intercept_message, OpenVMM
 * HvX64MemoryInterceptMessage): header — VpIndex u32 @0,
 * InstructionLength bits 3:0 of @4, InterceptAccessType @5 (0 read,
 * 1 write, 2 execute), ExecutionState u16 @6 (Cr0Pe bit 2, EferLma bit 4),
 * CsSegment @8 (attributes u16 @22: L bit 13, D/B bit 14), Rip @24,
 * Rflags @32; then CacheType u32 @40, InstructionByteCount u8 @44,
 * MemoryAccessInfo @45, GuestVirtualAddress @48, GuestPhysicalAddress @56,
 * InstructionBytes[16] @64. The message carries no general registers: a
 * store's source is read with HvCallGetVpRegisters.
 *
 * Devices: the worker's MMIO test page at VMWP_TESTDEV_MMIO_GPA — 64
 * bytes of registers that read back what was written (little-endian, any
 * width) and an 8-byte identification "HVSIMMIO" at +0x100; elsewhere in
 * the page reads return all ones and writes are dropped. An access no
 * device decodes is completed the same way (a bus with nothing on it).
 * An instruction the decoder refuses, or that disagrees with the message
 * (a load for a write), is not emulated: the VP stays suspended and the
 * call returns HV_STATUS_INVALID_PARAMETER.
 */
#include "vmwp.h"
#include "vmwp_decode.h"
#include "vmwp_platform.h"

#define MMIO_ID_OFFSET 0x100u
#define MMIO_ID 0x4F494D4D49535648ull /* "HVSIMMIO", little-endian */

static uint64_t mmio_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

bool vmwp_mmio_parse(const uint8_t *msg, struct vmwp_mmio_access *a) {
  uint32_t type = (uint32_t)mmio_le(msg, 4);
  const uint8_t *pl = msg + 16;
  if (type != HVMSG_UNMAPPED_GPA && type != HVMSG_GPA_INTERCEPT)
    return false;
  a->vp = (uint32_t)mmio_le(pl, 4);
  a->access = pl[5];
  uint16_t state = (uint16_t)mmio_le(pl + 6, 2), cs = (uint16_t)mmio_le(pl + 22, 2);
  bool pe = state & (1u << 2), lma = state & (1u << 4);
  a->mode = lma && (cs & (1u << 13)) ? 64 : pe && (cs & (1u << 14)) ? 32 : 16;
  a->rip = mmio_le(pl + 24, 8);
  a->nbytes = pl[44] > VMWP_INSN_MAX + 1 ? VMWP_INSN_MAX + 1 : pl[44];
  a->gpa = mmio_le(pl + 56, 8);
  for (uint32_t i = 0; i < sizeof a->bytes; i++)
    a->bytes[i] = pl[64 + i];
  return true;
}

bool vmwp_mmio_read(struct vmwp *w, uint64_t gpa, uint8_t size, uint64_t *value) {
  uint64_t off = gpa - VMWP_TESTDEV_MMIO_GPA;
  *value = ~0ull;
  if (gpa < VMWP_TESTDEV_MMIO_GPA || off >= 4096)
    return false;
  uint64_t v = 0;
  for (uint8_t i = 0; i < size; i++) {
    uint64_t o = off + i, b = 0xFF;
    if (o < sizeof w->mmio_regs)
      b = w->mmio_regs[o];
    else if (o >= MMIO_ID_OFFSET && o < MMIO_ID_OFFSET + 8)
      b = (MMIO_ID >> (8 * (o - MMIO_ID_OFFSET))) & 0xFF;
    v |= b << (8 * i);
  }
  *value = v;
  return true;
}

bool vmwp_mmio_write(struct vmwp *w, uint64_t gpa, uint8_t size, uint64_t value) {
  uint64_t off = gpa - VMWP_TESTDEV_MMIO_GPA;
  if (gpa < VMWP_TESTDEV_MMIO_GPA || off >= 4096)
    return false;
  for (uint8_t i = 0; i < size; i++)
    if (off + i < sizeof w->mmio_regs)
      w->mmio_regs[off + i] = (uint8_t)(value >> (8 * i));
  return true;
}

/* The decoded access, checked against the message: true when the device
 * side is done and *reg_out (when *set_reg) is the register's new value. */
static bool mmio_emulate(struct vmwp *w, const struct vmwp_mmio_access *a, const struct vmwp_insn *i,
                         uint64_t reg, uint64_t *reg_out, bool *set_reg) {
  bool writes = i->op != VMWP_INSN_LOAD, reads = i->op == VMWP_INSN_LOAD || i->op == VMWP_INSN_XCHG;
  if (a->access == 2 || (a->access == 1) != writes)
    return false; /* an execute, or the instruction does not do what the access was */
  uint64_t old = 0;
  if (reads)
    vmwp_mmio_read(w, a->gpa, i->size, &old);
  if (writes)
    vmwp_mmio_write(w, a->gpa, i->size, vmwp_insn_store_value(i, reg));
  *set_reg = reads;
  *reg_out = reads ? vmwp_insn_load_result(i, reg, old) : reg;
  return true;
}

uint16_t vmwp_mmio_emulate(struct vmwp *w, const uint8_t *msg, const struct vmwp_vp_regs *regs) {
  struct vmwp_mmio_access a;
  struct vmwp_insn i;
  if (!vmwp_mmio_parse(msg, &a) || !vmwp_decode(a.bytes, a.nbytes, a.mode, &i))
    return HV_STATUS_INVALID_PARAMETER;
  uint32_t reg_name = HV_X64_REGISTER_RAX + i.reg;
  uint64_t reg = 0, value = 0;
  bool set_reg = false;
  if (i.op != VMWP_INSN_STORE_IMM) {
    uint16_t st = regs->get(regs->ctx, a.vp, reg_name, &reg);
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
  if (!mmio_emulate(w, &a, &i, reg, &value, &set_reg))
    return HV_STATUS_INVALID_PARAMETER;
  w->mmio_count++;
  uint32_t names[3] = {HV_X64_REGISTER_RIP, HV_REGISTER_INTERCEPT_SUSPEND, reg_name};
  uint64_t values[3] = {a.rip + i.len, 0, value};
  return regs->set(regs->ctx, a.vp, names, values, set_reg ? 3 : 2);
}

struct vmwp_mmio_hv {
  struct vid *vid;
  uint64_t partition_id;
};

static uint16_t vmwp_mmio_get(void *ctx, uint32_t vp, uint32_t name, uint64_t *value) {
  struct vmwp_mmio_hv *h = ctx;
  return winhv_get_vp_register(&h->vid->hv, h->partition_id, vp, name, value);
}

static uint16_t vmwp_mmio_set(void *ctx, uint32_t vp, const uint32_t *names, const uint64_t *values,
                              uint32_t n) {
  struct vmwp_mmio_hv *h = ctx;
  return winhv_set_vp_registers(&h->vid->hv, h->partition_id, vp, names, values, n);
}

uint16_t vmwp_mmio(struct vmwp *w, struct vid *vid, const uint8_t *msg) {
  struct vmwp_mmio_hv h = {vid, w->partition_id};
  struct vmwp_vp_regs regs = {vmwp_mmio_get, vmwp_mmio_set, &h};
  return vmwp_mmio_emulate(w, msg, &regs);
}
