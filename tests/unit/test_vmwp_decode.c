/*
 * test_vmwp_decode.c — unit tests of the worker's MMIO instruction
 * decoder (models/root/vmwp_decode.c): hand-checked encodings of each
 * form (Intel SDM), the register merge rules of loads, refusals, and a
 * differential test against Zydis (libzydis-dev) over 300,000 generated
 * instructions in 16-, 32- and 64-bit modes: whenever Zydis decodes one of
 * the MOV-family forms with a memory operand, the decoder must agree on
 * length, direction, access size, register and immediate; whenever the
 * decoder accepts bytes, Zydis must decode the same instruction.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>
#include "models/root/vmwp_decode.h"

static struct vmwp_insn d;

static bool dec(int mode, const char *hex) {
  uint8_t b[32];
  uint32_t n = 0;
  for (const char *p = hex; p[0] && p[1]; p += 2) {
    while (*p == ' ')
      p++;
    unsigned v;
    sscanf(p, "%2x", &v);
    b[n++] = (uint8_t)v;
  }
  return vmwp_decode(b, n, mode, &d);
}

Test(vmwp_decode, hand_checked_forms) {
  cr_assert(dec(64, "8b07")); /* mov eax, [rdi] */
  cr_assert_eq(d.len, 2);
  cr_assert_eq(d.op, VMWP_INSN_LOAD);
  cr_assert_eq(d.size, 4);
  cr_assert_eq(d.reg, 0);
  cr_assert(dec(64, "4c894c2408")); /* mov [rsp+8], r9 */
  cr_assert_eq(d.len, 5);
  cr_assert_eq(d.op, VMWP_INSN_STORE);
  cr_assert_eq(d.size, 8);
  cr_assert_eq(d.reg, 9);
  cr_assert(dec(64, "8a2500100000")); /* mov ah, [rip+0x1000] */
  cr_assert_eq(d.len, 6);
  cr_assert(d.high8);
  cr_assert_eq(d.reg, 0);
  cr_assert(dec(64, "408a25 00100000")); /* with REX: spl */
  cr_assert(!d.high8);
  cr_assert_eq(d.reg, 4);
  cr_assert(dec(64, "48c7042578563412efbeadde")); /* mov qword [0x12345678], -0x21524111 */
  cr_assert_eq(d.op, VMWP_INSN_STORE_IMM);
  cr_assert_eq(d.len, 12);
  cr_assert_eq(d.imm, 0xFFFFFFFFDEADBEEFull);
  cr_assert(dec(64, "66c7400412ff")); /* mov word [rax+4], 0xff12 */
  cr_assert_eq(d.size, 2);
  cr_assert_eq(d.imm, 0xFF12);
  cr_assert(dec(64, "0fb64801")); /* movzx ecx, byte [rax+1] */
  cr_assert_eq(d.size, 1);
  cr_assert_eq(d.reg_size, 4);
  cr_assert(!d.sign);
  cr_assert(dec(64, "480fbf10")); /* movsx rdx, word [rax] */
  cr_assert(d.sign);
  cr_assert_eq(d.reg_size, 8);
  cr_assert(dec(64, "4863 0e")); /* movsxd rcx, dword [rsi] */
  cr_assert_eq(d.size, 4);
  cr_assert_eq(d.reg_size, 8);
  cr_assert(dec(64, "48a1 efcdab8967452301")); /* mov rax, moffs64 */
  cr_assert_eq(d.len, 10);
  cr_assert(dec(64, "87 0a")); /* xchg [rdx], ecx */
  cr_assert_eq(d.op, VMWP_INSN_XCHG);
  cr_assert(dec(32, "a3 00f0e0fe")); /* mov [0xfee0f000], eax */
  cr_assert_eq(d.len, 5);
  cr_assert(dec(16, "8b 46 04")); /* mov ax, [bp+4] */
  cr_assert_eq(d.size, 2);
  cr_assert(dec(16, "66 67 8b 04 24")); /* mov eax, [esp] in 16-bit code */
  cr_assert_eq(d.len, 5);
  cr_assert_eq(d.size, 4);
  cr_assert(dec(32, "64 f0 87 05 00 10 00 00")); /* lock xchg fs:[0x1000], eax */
  cr_assert_eq(d.len, 8);
}

Test(vmwp_decode, refusals) {
  cr_assert(!dec(64, "89c8"));       /* mov eax, ecx: not a memory access */
  cr_assert(!dec(64, "c70700"));     /* truncated immediate */
  cr_assert(!dec(64, "c64700"));     /* truncated */
  cr_assert(!dec(64, "c60801"));     /* C6 /1 does not exist */
  cr_assert(!dec(64, "f3a5"));       /* rep movsd */
  cr_assert(!dec(32, "6307"));       /* ARPL, not MOVSXD */
  cr_assert(dec(64, "6307"));        /* MOVSXD without REX.W: a 32-bit move */
  cr_assert_eq(d.size, 4);
  cr_assert_eq(d.reg_size, 4);
  cr_assert(!d.sign);
  cr_assert(!dec(64, "0f0b"));       /* ud2 */
  cr_assert(!dec(64, "8b"));         /* no ModR/M */
  cr_assert(!dec(64, "8b04"));       /* no SIB */
  cr_assert(!dec(64, "8b8000"));     /* disp32 cut short */
  cr_assert(!dec(64, "666666666666666666666666666666668b07")); /* longer than 15 bytes */
  cr_assert(!dec(8, "8b07"));        /* no such mode */
  cr_assert(!vmwp_decode((const uint8_t *)"", 0, 64, &d));
}

Test(vmwp_decode, load_results_merge_as_the_cpu_writes) {
  const uint64_t old = 0x1122334455667788ull;
  struct vmwp_insn i = {.op = VMWP_INSN_LOAD, .size = 1, .reg_size = 1};
  cr_assert_eq(vmwp_insn_load_result(&i, old, 0xAB), 0x11223344556677ABull);
  i.high8 = true;
  cr_assert_eq(vmwp_insn_load_result(&i, old, 0xAB), 0x112233445566AB88ull);
  i = (struct vmwp_insn){.op = VMWP_INSN_LOAD, .size = 2, .reg_size = 2};
  cr_assert_eq(vmwp_insn_load_result(&i, old, 0xCAFE), 0x112233445566CAFEull);
  i.size = i.reg_size = 4;
  cr_assert_eq(vmwp_insn_load_result(&i, old, 0xFFFFFFFF), 0xFFFFFFFFull, "32-bit writes zero-extend");
  i = (struct vmwp_insn){.op = VMWP_INSN_LOAD, .size = 1, .reg_size = 8, .sign = true};
  cr_assert_eq(vmwp_insn_load_result(&i, old, 0x80), 0xFFFFFFFFFFFFFF80ull);
  i.reg_size = 4;
  cr_assert_eq(vmwp_insn_load_result(&i, old, 0x80), 0xFFFFFF80ull);
  i.reg_size = 2;
  cr_assert_eq(vmwp_insn_load_result(&i, old, 0x80), 0x112233445566FF80ull);
  i = (struct vmwp_insn){.op = VMWP_INSN_LOAD, .size = 2, .reg_size = 8};
  cr_assert_eq(vmwp_insn_load_result(&i, old, 0x12345678), 0x5678ull, "wider memory bits ignored");
  i = (struct vmwp_insn){.op = VMWP_INSN_STORE, .size = 1, .high8 = true};
  cr_assert_eq(vmwp_insn_store_value(&i, old), 0x77);
  i = (struct vmwp_insn){.op = VMWP_INSN_STORE_IMM, .size = 4, .imm = 0xFFFFFFFFDEADBEEFull};
  cr_assert_eq(vmwp_insn_store_value(&i, old), 0xDEADBEEFull);
}

/* ---- differential test against Zydis ------------------------------------ */

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t next(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

/* Prefixes, maybe a REX, one of the opcodes (or a random one), then random bytes. */
static uint32_t generate(uint8_t *b, int mode) {
  static const uint8_t prefixes[] = {0x66, 0x67, 0x2E, 0x3E, 0x26, 0x64, 0x65, 0x36, 0xF0, 0xF2, 0xF3};
  static const uint16_t ops[] = {0x88, 0x89, 0x8A, 0x8B, 0xC6, 0xC7, 0xA0, 0xA1, 0xA2, 0xA3, 0x86, 0x87,
                                 0x63, 0x0FB6, 0x0FB7, 0x0FBE, 0x0FBF, 0x8D, 0x01, 0xFF};
  uint32_t n = 0;
  for (uint32_t k = next() % 4; k; k--)
    b[n++] = prefixes[next() % sizeof prefixes];
  if (mode == 64 && next() % 2)
    b[n++] = (uint8_t)(0x40 | (next() & 15));
  uint16_t op = next() % 8 ? ops[next() % (sizeof ops / sizeof ops[0])] : (uint16_t)(next() & 0xFF);
  if (op > 0xFF)
    b[n++] = 0x0F;
  b[n++] = (uint8_t)op;
  uint32_t modrm = n;
  while (n < 20)
    b[n++] = (uint8_t)next();
  if (next() % 3 == 0) /* often a memory ModR/M without SIB or displacement */
    b[modrm] = (uint8_t)(next() % 0x40 & ~7u) | (next() % 2 ? 0 : 3);
  return n;
}

/* One of the forms the decoder takes: a MOV-family instruction with a
 * memory operand and a general-purpose register or an immediate. */
static bool zydis_supported(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zo, bool *mem) {
  *mem = false;
  for (uint32_t i = 0; i < zi->operand_count_visible; i++) {
    if (zo[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
      *mem = true;
    if (zo[i].type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(zo[i].reg.value) != ZYDIS_REGCLASS_GPR8 &&
        ZydisRegisterGetClass(zo[i].reg.value) != ZYDIS_REGCLASS_GPR16 &&
        ZydisRegisterGetClass(zo[i].reg.value) != ZYDIS_REGCLASS_GPR32 &&
        ZydisRegisterGetClass(zo[i].reg.value) != ZYDIS_REGCLASS_GPR64)
      return false; /* MOV Sreg, control and debug registers */
  }
  if (!*mem || (zi->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE |
                                  ZYDIS_ATTRIB_HAS_XACQUIRE | ZYDIS_ATTRIB_HAS_XRELEASE | ZYDIS_ATTRIB_HAS_BND)))
    return false;
  switch (zi->mnemonic) {
  case ZYDIS_MNEMONIC_MOV:
  case ZYDIS_MNEMONIC_MOVZX:
  case ZYDIS_MNEMONIC_MOVSX:
  case ZYDIS_MNEMONIC_MOVSXD:
  case ZYDIS_MNEMONIC_XCHG: return true;
  default: return false;
  }
}

static void compare(const uint8_t *b, uint32_t n, int mode, ZydisDecoder *zd, uint32_t *agreed) {
  ZydisDecodedInstruction zi;
  ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
  bool zok = ZYAN_SUCCESS(ZydisDecoderDecodeFull(zd, b, n, &zi, zo)), mem = false;
  bool zsup = zok && zydis_supported(&zi, zo, &mem);
  struct vmwp_insn i;
  bool ours = vmwp_decode(b, n, mode, &i);
  char hex[64] = {0};
  for (uint32_t k = 0; k < 16 && k < n; k++)
    sprintf(hex + 2 * k, "%02x", b[k]);
  if (ours)
    cr_assert(zok && zsup, "mode %d: we decode %s, Zydis %s", mode, hex, zok ? "another instruction" : "nothing");
  if (!zsup)
    return;
  if (!ours) {
    /* refused on purpose: F2/F3 (REP; ignored by the CPU before a MOV), a
     * REX that is not the last prefix (ignored by the CPU), MOVSXD r16;
     * anything else is a miss */
    bool rep = false, stale_rex = false, rex = false;
    for (uint32_t k = 0; k < zi.length; k++) {
      uint8_t x = b[k];
      bool is_rex = mode == 64 && (x & 0xF0) == 0x40;
      if (!is_rex && !(x == 0x66 || x == 0x67 || x == 0x2E || x == 0x3E || x == 0x26 || x == 0x64 || x == 0x65 ||
                       x == 0x36 || x == 0xF0 || x == 0xF2 || x == 0xF3))
        break;
      rep |= x == 0xF2 || x == 0xF3;
      stale_rex |= rex; /* a prefix after a REX */
      rex = is_rex;
    }
    bool movsxd16 = zi.mnemonic == ZYDIS_MNEMONIC_MOVSXD && zi.operand_width == 16; /* vendors differ */
    cr_assert(rep || stale_rex || movsxd16, "mode %d: Zydis decodes %s (%s), we do not", mode, hex,
              ZydisMnemonicGetString(zi.mnemonic));
    return;
  }
  cr_assert_eq(i.len, zi.length, "mode %d: %s length %u, Zydis %u", mode, hex, i.len, zi.length);
  const ZydisDecodedOperand *m = zo[0].type == ZYDIS_OPERAND_TYPE_MEMORY ? &zo[0] : &zo[1];
  const ZydisDecodedOperand *o = m == &zo[0] ? &zo[1] : &zo[0];
  cr_assert_eq(i.size * 8u, m->size, "mode %d: %s access %u bytes, Zydis %u bits", mode, hex, i.size, m->size);
  if (zi.mnemonic == ZYDIS_MNEMONIC_XCHG)
    cr_assert_eq(i.op, VMWP_INSN_XCHG);
  else if (m == &zo[0])
    cr_assert_eq(i.op, o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? VMWP_INSN_STORE_IMM : VMWP_INSN_STORE, "%s", hex);
  else
    cr_assert_eq(i.op, VMWP_INSN_LOAD, "%s", hex);
  if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
    cr_assert_eq(i.imm & ((i.size == 8) ? ~0ull : (1ull << (8 * i.size)) - 1),
                 o->imm.value.u & ((i.size == 8) ? ~0ull : (1ull << (8 * i.size)) - 1), "%s", hex);
  } else {
    ZydisRegister r = o->reg.value;
    bool high = r == ZYDIS_REGISTER_AH || r == ZYDIS_REGISTER_CH || r == ZYDIS_REGISTER_DH || r == ZYDIS_REGISTER_BH;
    ZydisRegister full = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
    cr_assert_eq(i.high8, high, "%s", hex);
    cr_assert_eq(i.reg, (uint8_t)(full - ZYDIS_REGISTER_RAX), "mode %d: %s register %u, Zydis %s", mode, hex, i.reg,
                 ZydisRegisterGetString(r));
    if (i.op == VMWP_INSN_LOAD)
      cr_assert_eq(i.reg_size * 8u, o->size, "%s", hex);
  }
  (*agreed)++;
}

Test(vmwp_decode, agrees_with_zydis) {
  static const struct {
    int mode;
    ZydisMachineMode zm;
    ZydisStackWidth sw;
  } modes[] = {{64, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64},
               {32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32},
               {16, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16}};
  for (unsigned m = 0; m < 3; m++) {
    ZydisDecoder zd;
    cr_assert(ZYAN_SUCCESS(ZydisDecoderInit(&zd, modes[m].zm, modes[m].sw)));
    uint32_t agreed = 0;
    for (int k = 0; k < 100000; k++) {
      uint8_t b[32];
      uint32_t n = generate(b, modes[m].mode);
      compare(b, n, modes[m].mode, &zd, &agreed);
    }
    cr_assert_gt(agreed, 20000, "mode %d: only %u supported instructions generated", modes[m].mode, agreed);
  }
}
