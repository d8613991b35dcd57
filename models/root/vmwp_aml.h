/*
 * vmwp_aml.h — a small AML writer (ACPI 6.4 §20, "ACPI Machine Language
 * Specification"): the worker emits its DSDT's bytecode itself, so no
 * compiler (iasl) runs when a VM starts.
 *
 * Objects with a PkgLength (Scope, Device, Method, Package) are opened,
 * filled and closed; the close computes the length and encodes it in the
 * fewest bytes (§20.2.4), moving the body down when fewer than the four
 * reserved bytes are needed. Writing past the buffer or nesting too deep
 * sets `failed`; everything after that is ignored, so a caller checks once
 * at the end.
 */
#ifndef MODELS_ROOT_VMWP_AML_H
#define MODELS_ROOT_VMWP_AML_H

#include <stdbool.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

struct aml {
  uint8_t *buf;
  uint32_t len, cap;
  bool failed;
  uint32_t open[AML_MAX_DEPTH]; /* offset of each open object's PkgLength */
  uint32_t depth;
};

void aml_init(struct aml *a, uint8_t *buf, uint32_t cap);
void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, uint32_t n);
/* A NameString: "\\_SB_.VMOD", "_HID", "^PCI0"; segments shorter than four
 * characters are padded with '_'. A malformed path fails the writer. */
void aml_name(struct aml *a, const char *path);
/* A ComputationalData integer in its shortest form (Zero, One, Ones,
 * Byte/Word/DWord/QWordConst). */
void aml_int(struct aml *a, uint64_t v);
/* A String (ASCII, NUL-terminated). */
void aml_string(struct aml *a, const char *s);
/* An EISA id ("PNP0501") compressed into a DWordConst (ACPI 6.4 §6.1.5). */
void aml_eisaid(struct aml *a, const char *id);
/* A Buffer of n bytes (e.g. a ResourceTemplate). */
void aml_buffer(struct aml *a, const void *p, uint32_t n);
/* Name(path, <the object the caller writes next>). */
void aml_name_decl(struct aml *a, const char *path);
/* Return(<the term the caller writes next>). */
void aml_return(struct aml *a);

void aml_scope_open(struct aml *a, const char *path);
void aml_device_open(struct aml *a, const char *path);
void aml_method_open(struct aml *a, const char *path, uint8_t nargs, bool serialized);
void aml_package_open(struct aml *a, uint8_t nelements);
void aml_close(struct aml *a);

/* Resource descriptors (ACPI 6.4 §6.4) for a _CRS buffer: each appends to
 * the writer (used on a second struct aml over the template's bytes). */
/* IO(Decode16, base, base, 1, len) */
void aml_res_io(struct aml *r, uint16_t base, uint8_t len);
/* QWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed,
 * NonCacheable, ReadWrite, 0, base, base + len - 1, 0, len) */
void aml_res_qword_memory(struct aml *r, uint64_t base, uint64_t len);
/* End tag (checksum 0: "not computed", which §6.4.2.9 allows). */
void aml_res_end(struct aml *r);

#endif /* MODELS_ROOT_VMWP_AML_H */
