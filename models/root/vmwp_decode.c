/*
 * vmwp_decode.c — the MOV-family decoder for emulated MMIO (see
 * vmwp_decode.h). Intel SDM Vol. 2A §2.1 (prefixes, ModR/M, SIB), §2.2.1
 * (REX), Tables 2-1 (16-bit addressing) and 2-2 (32-bit addressing).
 */
#include "vmwp_decode.h"

struct dec {
  const uint8_t *b;
  uint32_t n, at;
  bool ok;
};

static uint8_t dec_byte(struct dec *d) {
  if (d->at >= d->n || d->at >= VMWP_INSN_MAX) {
    d->ok = false;
    return 0;
  }
  return d->b[d->at++];
}

static uint64_t dec_le(struct dec *d, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++)
    v |= (uint64_t)dec_byte(d) << (8 * i);
  return v;
}

static void dec_skip(struct dec *d, int bytes) { (void)dec_le(d, bytes); }

/* ModR/M (and SIB, displacement) of a memory operand: false for a
 * register operand (mod = 3). *reg receives ModR/M.reg. */
static bool dec_modrm(struct dec *d, int addr_bits, uint8_t *reg) {
  uint8_t m = dec_byte(d), mod = m >> 6, rm = m & 7;
  *reg = (m >> 3) & 7;
  if (mod == 3)
    return false;
  if (addr_bits == 16) { /* Table 2-1: no SIB; [disp16] for mod 0, rm 6 */
    dec_skip(d, mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 6) ? 2 : 0);
    return true;
  }
  if (rm == 4) { /* a SIB byte; base 5 with mod 0: disp32 and no base */
    uint8_t sib = dec_byte(d);
    if (mod == 0 && (sib & 7) == 5)
      dec_skip(d, 4);
  }
  dec_skip(d, mod == 1                            ? 1
              : mod == 2 || (mod == 0 && rm == 5) ? 4
                                                  : 0); /* rm 5, mod 0: disp32 / RIP+disp32 */
  return true;
}

static int dec_op_size(int mode, bool o16, bool rex_w) {
  if (rex_w)
    return 8;
  if (mode == 16)
    return o16 ? 4 : 2;
  return o16 ? 2 : 4;
}

/* Everything after the opcode byte(s): the operand form of each opcode. */
static bool dec_operands(struct dec *d, uint16_t op, int mode, int opsz, int addr_bits, uint8_t rex,
                         struct vmwp_insn *out) {
  uint8_t reg;
  bool byte = op == 0x88 || op == 0x8A || op == 0xC6 || op == 0x86 || op == 0xA0 || op == 0xA2;
  out->size = (uint8_t)(byte ? 1 : opsz);
  out->reg_size = out->size;
  if (op >= 0xA0 && op <= 0xA3) { /* moffs: an address of the address size, register AL/eAX/rAX */
    dec_skip(d, addr_bits / 8);
    out->op = op <= 0xA1 ? VMWP_INSN_LOAD : VMWP_INSN_STORE;
    out->reg = 0;
    return true;
  }
  if (!dec_modrm(d, addr_bits, &reg))
    return false;
  out->reg = (uint8_t)(reg | ((rex & 4) ? 8 : 0));
  out->high8 = out->size == 1 && !rex && reg >= 4 && reg <= 7 && op != 0xC6;
  if (out->high8)
    out->reg = reg - 4;
  switch (op) {
  case 0x88:
  case 0x89: out->op = VMWP_INSN_STORE; return true;
  case 0x8A:
  case 0x8B: out->op = VMWP_INSN_LOAD; return true;
  case 0x86:
  case 0x87: out->op = VMWP_INSN_XCHG; return true;
  case 0xC6:
  case 0xC7:
    if (reg != 0)
      return false; /* C6/C7 /0 only */
    out->op = VMWP_INSN_STORE_IMM;
    out->reg = 0;
    if (out->size == 1)
      out->imm = dec_le(d, 1);
    else if (out->size == 2)
      out->imm = dec_le(d, 2);
    else /* imm32, sign-extended to 64 bits with REX.W */
      out->imm = (uint64_t)(int64_t)(int32_t)(uint32_t)dec_le(d, 4);
    return true;
  case 0x0FB6:
  case 0x0FB7:
  case 0x0FBE:
  case 0x0FBF:
    out->size = (op & 1) ? 2 : 1;
    out->high8 = false;
    out->reg = (uint8_t)(reg | ((rex & 4) ? 8 : 0)); /* the destination is never a byte register */
    out->reg_size = (uint8_t)opsz;
    out->sign = op >= 0x0FBE;
    out->op = VMWP_INSN_LOAD;
    return true;
  case 0x63: /* MOVSXD: r64 <- sign-extended r/m32 with REX.W, else a plain r32/r16 move */
    if (mode != 64 || opsz == 2)
      return false; /* ARPL outside long mode; the 16-bit form reads 16 (Intel) or 32 (AMD) bits */
    out->size = opsz == 8 ? 4 : (uint8_t)opsz;
    out->reg_size = (uint8_t)opsz;
    out->sign = opsz == 8;
    out->high8 = false;
    out->op = VMWP_INSN_LOAD;
    return true;
  default: return false;
  }
}

bool vmwp_decode(const uint8_t *bytes, uint32_t n, int mode, struct vmwp_insn *out) {
  struct dec d = {bytes, n, 0, true};
  bool o16 = false, a16 = false, lock = false;
  uint8_t rex = 0, b;
  *out = (struct vmwp_insn){0};
  if (mode != 16 && mode != 32 && mode != 64)
    return false;
  for (;;) { /* legacy prefixes, any order */
    b = dec_byte(&d);
    if (b == 0x66)
      o16 = true;
    else if (b == 0x67)
      a16 = true;
    else if (b == 0xF0)
      lock = true;
    else if (b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65)
      continue; /* segment overrides: the GPA comes with the message */
    else
      break;
    if (!d.ok)
      return false;
  }
  if (mode == 64 && (b & 0xF0) == 0x40) { /* REX: the last prefix */
    rex = b;
    b = dec_byte(&d);
  }
  uint16_t op = b;
  if (b == 0x0F)
    op = (uint16_t)(0x0F00 | dec_byte(&d));
  int addr_bits = mode == 64 ? (a16 ? 32 : 64) : (mode == 32) != a16 ? 32 : 16;
  int opsz = dec_op_size(mode, o16, (rex & 8) != 0);
  if (!d.ok || !dec_operands(&d, op, mode, opsz, addr_bits == 64 ? 64 : addr_bits, rex, out) || !d.ok)
    return false;
  if (lock && out->op != VMWP_INSN_XCHG)
    return false; /* LOCK MOV is #UD */
  out->len = (uint8_t)d.at;
  return true;
}

static uint64_t insn_mask(uint8_t bytes) { return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1; }

uint64_t vmwp_insn_load_result(const struct vmwp_insn *i, uint64_t old, uint64_t value) {
  value &= insn_mask(i->size);
  if (i->sign && i->size < 8 && (value >> (8 * i->size - 1)) & 1)
    value |= ~insn_mask(i->size); /* sign-extend */
  value &= insn_mask(i->reg_size);
  if (i->high8)
    return (old & ~0xFF00ull) | (value & 0xFF) << 8;
  if (i->reg_size == 1)
    return (old & ~0xFFull) | value;
  if (i->reg_size == 2)
    return (old & ~0xFFFFull) | value;
  return value; /* 4 bytes: zero-extended to 64, as a 32-bit destination is in long mode */
}

uint64_t vmwp_insn_store_value(const struct vmwp_insn *i, uint64_t reg) {
  uint64_t v = i->op == VMWP_INSN_STORE_IMM ? i->imm : i->high8 ? reg >> 8 : reg;
  return v & insn_mask(i->size);
}
