/*
 * vmwp_aml.c — the AML writer (see vmwp_aml.h). Opcodes from ACPI 6.4
 * §20.3 ("AML Byte Stream Byte Values"); resource descriptors from §6.4.
 */
#include "vmwp_aml.h"

enum {
  AML_ZERO = 0x00,
  AML_ONE = 0x01,
  AML_NAME_OP = 0x08,
  AML_BYTE_PREFIX = 0x0A,
  AML_WORD_PREFIX = 0x0B,
  AML_DWORD_PREFIX = 0x0C,
  AML_STRING_PREFIX = 0x0D,
  AML_QWORD_PREFIX = 0x0E,
  AML_SCOPE_OP = 0x10,
  AML_BUFFER_OP = 0x11,
  AML_PACKAGE_OP = 0x12,
  AML_METHOD_OP = 0x14,
  AML_DUAL_NAME_PREFIX = 0x2E,
  AML_MULTI_NAME_PREFIX = 0x2F,
  AML_EXT_OP_PREFIX = 0x5B,
  AML_ROOT_CHAR = 0x5C,
  AML_PARENT_PREFIX = 0x5E,
  AML_DEVICE_OP = 0x82, /* after AML_EXT_OP_PREFIX */
  AML_RETURN_OP = 0xA4,
  AML_ONES = 0xFF,
};

void aml_init(struct aml *a, uint8_t *buf, uint32_t cap) {
  a->buf = buf;
  a->len = 0;
  a->cap = cap;
  a->failed = false;
  a->depth = 0;
}

void aml_byte(struct aml *a, uint8_t b) {
  if (a->failed || a->len >= a->cap) {
    a->failed = true;
    return;
  }
  a->buf[a->len++] = b;
}

void aml_bytes(struct aml *a, const void *p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    aml_byte(a, ((const uint8_t *)p)[i]);
}

static void aml_le(struct aml *a, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++)
    aml_byte(a, (uint8_t)(v >> (8 * i)));
}

static bool aml_lead_char(char c) { return (c >= 'A' && c <= 'Z') || c == '_'; }
static bool aml_name_char(char c) { return aml_lead_char(c) || (c >= '0' && c <= '9'); }

/* NameString (§20.2.2): RootChar or ParentPrefixes, then a NamePath of
 * 1 (NameSeg), 2 (DualNamePath) or more (MultiNamePath) segments. */
void aml_name(struct aml *a, const char *path) {
  const char *p = path;
  if (*p == '\\')
    aml_byte(a, AML_ROOT_CHAR), p++;
  else
    while (*p == '^')
      aml_byte(a, AML_PARENT_PREFIX), p++;
  uint32_t segs = 0;
  for (const char *q = p; *q; q++)
    if (q == p || q[-1] == '.')
      segs++;
  if (segs == 0 || segs > 255) {
    a->failed = true;
    return;
  }
  if (segs == 2)
    aml_byte(a, AML_DUAL_NAME_PREFIX);
  else if (segs > 2)
    aml_byte(a, AML_MULTI_NAME_PREFIX), aml_byte(a, (uint8_t)segs);
  while (*p) {
    int n = 0;
    for (; p[n] && p[n] != '.'; n++)
      if (n >= 4 || !(n == 0 ? aml_lead_char(p[n]) : aml_name_char(p[n]))) {
        a->failed = true;
        return;
      }
    if (n == 0) {
      a->failed = true;
      return;
    }
    for (int i = 0; i < 4; i++)
      aml_byte(a, i < n ? (uint8_t)p[i] : '_');
    p += n;
    if (*p == '.' && !*++p) {
      a->failed = true; /* trailing dot */
      return;
    }
  }
}

void aml_int(struct aml *a, uint64_t v) {
  if (v == 0)
    aml_byte(a, AML_ZERO);
  else if (v == 1)
    aml_byte(a, AML_ONE);
  else if (v == ~0ull)
    aml_byte(a, AML_ONES);
  else if (v <= 0xFF)
    aml_byte(a, AML_BYTE_PREFIX), aml_le(a, v, 1);
  else if (v <= 0xFFFF)
    aml_byte(a, AML_WORD_PREFIX), aml_le(a, v, 2);
  else if (v <= 0xFFFFFFFFull)
    aml_byte(a, AML_DWORD_PREFIX), aml_le(a, v, 4);
  else
    aml_byte(a, AML_QWORD_PREFIX), aml_le(a, v, 8);
}

void aml_string(struct aml *a, const char *s) {
  aml_byte(a, AML_STRING_PREFIX);
  for (; *s; s++) {
    if ((uint8_t)*s > 0x7F) /* AsciiCharList: 0x01-0x7F */
      a->failed = true;
    aml_byte(a, (uint8_t)*s);
  }
  aml_byte(a, 0);
}

static int aml_hex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Three upper-case letters in 5 bits each (big-endian 16-bit), then four
 * hex digits: "PNP0501" -> bytes 41 D0 05 01. */
void aml_eisaid(struct aml *a, const char *id) {
  uint8_t b[4];
  for (int i = 0; i < 7; i++)
    if (!id[i] || (i < 3 ? !(id[i] >= 'A' && id[i] <= 'Z') : aml_hex(id[i]) < 0)) {
      a->failed = true;
      return;
    }
  if (id[7]) {
    a->failed = true;
    return;
  }
  uint16_t letters = (uint16_t)((id[0] - 0x40) << 10 | (id[1] - 0x40) << 5 | (id[2] - 0x40));
  b[0] = (uint8_t)(letters >> 8);
  b[1] = (uint8_t)letters;
  b[2] = (uint8_t)(aml_hex(id[3]) << 4 | aml_hex(id[4]));
  b[3] = (uint8_t)(aml_hex(id[5]) << 4 | aml_hex(id[6]));
  aml_byte(a, AML_DWORD_PREFIX);
  aml_bytes(a, b, 4);
}

void aml_name_decl(struct aml *a, const char *path) {
  aml_byte(a, AML_NAME_OP);
  aml_name(a, path);
}

void aml_return(struct aml *a) { aml_byte(a, AML_RETURN_OP); }

/* Reserve four bytes for the PkgLength; aml_close fills them. */
static void aml_open(struct aml *a) {
  if (a->depth >= AML_MAX_DEPTH) {
    a->failed = true;
    return;
  }
  a->open[a->depth++] = a->len;
  aml_le(a, 0, 4);
}

/* PkgLength (§20.2.4): one byte for lengths below 64, else a lead byte
 * (bits 7:6 = count of following bytes, bits 3:0 = the low nibble) and
 * 1-3 bytes holding the rest. The length counts its own bytes. */
void aml_close(struct aml *a) {
  if (a->failed || a->depth == 0) {
    a->failed = true;
    return;
  }
  uint32_t at = a->open[--a->depth], body = a->len - at - 4;
  uint32_t n = 1;
  while (n < 4 && body + n >= (n == 1 ? 0x40u : 1u << (4 + 8 * (n - 1))))
    n++;
  uint32_t total = body + n;
  if (n == 4 && total >= 1u << 28) {
    a->failed = true;
    return;
  }
  for (uint32_t i = 0; i < body; i++) /* move the body down over the unused bytes */
    a->buf[at + n + i] = a->buf[at + 4 + i];
  a->len -= 4 - n;
  if (n == 1) {
    a->buf[at] = (uint8_t)total;
    return;
  }
  a->buf[at] = (uint8_t)((n - 1) << 6 | (total & 0xF));
  for (uint32_t i = 1; i < n; i++)
    a->buf[at + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

void aml_buffer(struct aml *a, const void *p, uint32_t n) {
  aml_byte(a, AML_BUFFER_OP);
  aml_open(a);
  aml_int(a, n);
  aml_bytes(a, p, n);
  aml_close(a);
}

void aml_scope_open(struct aml *a, const char *path) {
  aml_byte(a, AML_SCOPE_OP);
  aml_open(a);
  aml_name(a, path);
}

void aml_device_open(struct aml *a, const char *path) {
  aml_byte(a, AML_EXT_OP_PREFIX);
  aml_byte(a, AML_DEVICE_OP);
  aml_open(a);
  aml_name(a, path);
}

/* MethodFlags: bits 2:0 argument count, bit 3 serialized, 7:4 sync level 0. */
void aml_method_open(struct aml *a, const char *path, uint8_t nargs, bool serialized) {
  aml_byte(a, AML_METHOD_OP);
  aml_open(a);
  aml_name(a, path);
  if (nargs > 7)
    a->failed = true;
  aml_byte(a, (uint8_t)((nargs & 7) | (serialized ? 8 : 0)));
}

void aml_package_open(struct aml *a, uint8_t nelements) {
  aml_byte(a, AML_PACKAGE_OP);
  aml_open(a);
  aml_byte(a, nelements);
}

/* I/O Port Descriptor (§6.4.2.5): small item 0x08, length 7. */
void aml_res_io(struct aml *r, uint16_t base, uint8_t len) {
  aml_byte(r, 0x47);
  aml_byte(r, 0x01); /* decodes 16 address bits */
  aml_le(r, base, 2);
  aml_le(r, base, 2);
  aml_byte(r, 1); /* alignment */
  aml_byte(r, len);
}

/* QWord Address Space Descriptor (§6.4.3.5.1): large item 0x0A, length 43. */
void aml_res_qword_memory(struct aml *r, uint64_t base, uint64_t len) {
  aml_byte(r, 0x8A);
  aml_le(r, 43, 2);
  aml_byte(r, 0);    /* resource type: memory range */
  aml_byte(r, 0x0C); /* general flags: max fixed, min fixed, positive decode, producer */
  aml_byte(r, 0x01); /* memory flags: read/write, non-cacheable, AddressRangeMemory */
  aml_le(r, 0, 8);   /* granularity */
  aml_le(r, base, 8);
  aml_le(r, base + len - 1, 8);
  aml_le(r, 0, 8); /* translation offset */
  aml_le(r, len, 8);
}

void aml_res_end(struct aml *r) {
  aml_byte(r, 0x79);
  aml_byte(r, 0);
}
