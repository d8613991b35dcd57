/*
 * vmwp_decode.h — the x86 instruction decoder the worker needs to emulate
 * a memory-mapped device access (the Hyper-V split: the hypervisor
 * intercepts the access and sends the instruction's bytes, the worker
 * decodes and emulates it). Intel SDM Vol. 2, ch. 2 (instruction format:
 * legacy prefixes, REX, opcode, ModR/M, SIB, displacement, immediate) and
 * the MOV family's opcode pages.
 *
 * The subset: MOV r/m,r and r,r/m (88, 89, 8A, 8B), MOV r/m,imm (C6 /0,
 * C7 /0), MOV with a moffs (A0-A3), MOVZX (0F B6/B7), MOVSX (0F BE/BF),
 * MOVSXD (63), XCHG r/m,r (86, 87); memory operands only, in
 * 16-, 32- and 64-bit modes, with 66/67 size overrides, segment overrides,
 * LOCK and REX. Anything else is refused: the decoder reads at most the
 * bytes it is given and never guesses.
 *
 * Why not a library: Debian's libzydis-dev ships Zydis only as a shared
 * library linked against glibc (memcpy, memset, strlen, __assert_fail,
 * __stack_chk_fail) and built with SSE and the red zone; the root runs in
 * a static, freestanding, general-registers-only, no-red-zone image at
 * levels 2/3 (hv/arch/x86/Makefile GUEST_CFLAGS), so it cannot link it.
 * The unit tests use Zydis on the host as the oracle instead
 * (tests/unit/test_vmwp_decode.c).
 */
#ifndef MODELS_ROOT_VMWP_DECODE_H
#define MODELS_ROOT_VMWP_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#define VMWP_INSN_MAX 15u /* an x86 instruction is at most 15 bytes */

enum vmwp_insn_op {
  VMWP_INSN_LOAD = 1,  /* register <- memory (MOV, MOVZX, MOVSX, MOVSXD) */
  VMWP_INSN_STORE,     /* memory <- register */
  VMWP_INSN_STORE_IMM, /* memory <- immediate */
  VMWP_INSN_XCHG,      /* memory <-> register */
};

struct vmwp_insn {
  uint8_t len;      /* bytes of the instruction */
  uint8_t op;       /* enum vmwp_insn_op */
  uint8_t size;     /* bytes of memory accessed: 1, 2, 4, 8 */
  uint8_t reg;      /* the register operand: 0-15 (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15) */
  bool high8;       /* the register is AH, CH, DH or BH (reg 4-7 as a byte without REX) */
  uint8_t reg_size; /* bytes of the register written by a load: 1, 2, 4, 8 */
  bool sign;        /* a load sign-extends (MOVSX, MOVSXD); else zero-extends when widening */
  uint64_t imm;     /* STORE_IMM: the value, sign-extended as the CPU does */
};

/* Decode the instruction in bytes[0..n) for a CPU in mode 16, 32 or 64
 * (bits of default operand and address size; 64 = long mode with CS.L).
 * Returns true and fills *out, or false (unsupported, register operand,
 * or not within the n bytes). */
bool vmwp_decode(const uint8_t *bytes, uint32_t n, int mode, struct vmwp_insn *out);

/* The register's new value after a load (or the exchange) of value:
 * merged into the low byte, the high byte (AH..BH) or the low word, or
 * written whole (a 32-bit destination zero-extends to 64 bits, as in long
 * mode). */
uint64_t vmwp_insn_load_result(const struct vmwp_insn *i, uint64_t old, uint64_t value);
/* The value a store or exchange writes to memory, from the register's
 * value reg (or the immediate), truncated to the access size. */
uint64_t vmwp_insn_store_value(const struct vmwp_insn *i, uint64_t reg);

#endif /* MODELS_ROOT_VMWP_DECODE_H */
