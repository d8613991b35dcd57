/*
 * vmwp_boot.h — what the worker's kernel loaders (vmwp_load_linux.c,
 * vmwp_load_multiboot.c, on vmwp_elf.c) read, write and return.
 *
 * Everything a loader reads is untrusted: an image, a module or a command
 * line is a `struct vmwp_file` (a size and a read function), every offset
 * and length taken from it is checked against the file and every address
 * against the VM's RAM before anything is written, and a malformed image
 * ends in an error code (with one number of detail) — never in a read or
 * write outside a buffer. Loaders write the VM's guest-physical memory only
 * through `struct vmwp_mem`; a writer without a write function is a dry
 * run (every check, no copy), which the scenario checker uses to validate
 * an image before anything runs.
 */
#ifndef MODELS_ROOT_VMWP_BOOT_H
#define MODELS_ROOT_VMWP_BOOT_H

#include <stdbool.h>
#include <stdint.h>

struct vmwp_file {
  uint64_t size;
  /* Read len bytes at off (off + len <= size); false on an I/O error. */
  bool (*read)(void *ctx, uint64_t off, void *buf, uint32_t len);
  void *ctx;
};

struct vmwp_mem {
  uint64_t ram_bytes; /* RAM is GPA 0 .. ram_bytes */
  /* Write len bytes at gpa (inside RAM); false on failure. NULL: dry run. */
  bool (*write)(void *ctx, uint64_t gpa, const void *src, uint32_t len);
  void *ctx;
};

#define VMWP_MAX_MODULES 16
#define VMWP_CMDLINE_MAX 4095u /* bytes, without the NUL */

/* A kernel and what it is handed. Linux: module 0 is the initrd. */
struct vmwp_kernel_in {
  const struct vmwp_file *kernel;
  const struct vmwp_file *cmdline;         /* NULL or empty: none */
  const struct vmwp_file *modules;         /* nmodules of them */
  const struct vmwp_file *module_cmdlines; /* one per module (may be empty), or NULL */
  uint32_t nmodules;
  uint64_t rsdp_gpa; /* the ACPI RSDP, 0 when the VM has no ACPI tables */
};

/* The bootstrap processor's registers at the entry, in flat 32-bit
 * protected mode with paging off (PVH and multiboot both start there). */
struct vmwp_boot_regs {
  uint64_t rip, rax, rbx;
};

/* Where the loader put things (for tests and traces). */
struct vmwp_boot_layout {
  uint64_t kernel_lo, kernel_hi; /* [lo, hi) of the loaded segments */
  uint64_t module_gpa[VMWP_MAX_MODULES];
  uint64_t info_gpa; /* hvm_start_info or the multiboot information */
};

enum vmwp_load_err {
  VMWP_LOAD_OK = 0,
  VMWP_LOAD_READ,         /* the file could not be read */
  VMWP_LOAD_NOT_ELF,      /* no ELF magic */
  VMWP_LOAD_ELF_FORMAT,   /* not little-endian ELF32/ELF64, version 1 */
  VMWP_LOAD_ELF_MACHINE,  /* not x86 (EM_386 / EM_X86_64); detail: e_machine */
  VMWP_LOAD_ELF_TYPE,     /* not an executable (ET_EXEC); detail: e_type */
  VMWP_LOAD_ELF_PHDRS,    /* program headers outside the file, wrong size or too many */
  VMWP_LOAD_ELF_SEGMENT,  /* a segment's bytes outside the file or file size > memory size; detail: index */
  VMWP_LOAD_NO_SEGMENTS,  /* nothing to load */
  VMWP_LOAD_NOT_IN_RAM,   /* something would lie outside the VM's RAM; detail: its end GPA */
  VMWP_LOAD_LOW_AREA,     /* a segment overlaps the loader's area below 1 MiB; detail: its GPA */
  VMWP_LOAD_NO_PVH_ENTRY, /* Linux: no XEN_ELFNOTE_PHYS32_ENTRY note */
  VMWP_LOAD_BAD_NOTE,     /* a malformed ELF note; detail: its offset in the file */
  VMWP_LOAD_NO_MULTIBOOT, /* no multiboot header in the first 8 KiB */
  VMWP_LOAD_MB_CHECKSUM,  /* magic + flags + checksum != 0 */
  VMWP_LOAD_MB_FLAGS,     /* required feature bits the loader cannot honour; detail: the bits */
  VMWP_LOAD_MB_ADDRESS,   /* the header's address fields are inconsistent */
  VMWP_LOAD_ENTRY,        /* the entry point is not in a loaded segment, or above 4 GiB; detail: it */
  VMWP_LOAD_MODULES,      /* more modules than VMWP_MAX_MODULES, or the initrd missing */
  VMWP_LOAD_CMDLINE,      /* a command line longer than VMWP_CMDLINE_MAX or holding a NUL */
  VMWP_LOAD_NO_ROOM,      /* modules or boot information do not fit; detail: bytes */
  VMWP_LOAD_WRITE,        /* writing the VM's memory failed; detail: the GPA */
};

/* One line describing err (for errors naming file:line:col). */
const char *vmwp_load_error_text(enum vmwp_load_err err);

/* ---- helpers the loaders share (vmwp_boot.c) ---------------------------- */

/* A bump allocator over a range of GPAs (the boot information area). */
struct vmwp_boot_area {
  uint64_t next, end;
};
/* len bytes aligned to align (a power of two); 0 when the area is full. */
uint64_t vmwp_boot_alloc(struct vmwp_boot_area *a, uint64_t len, uint64_t align);
/* Write len bytes at gpa, which must lie in RAM (NOT_IN_RAM, WRITE). */
enum vmwp_load_err vmwp_boot_write(const struct vmwp_mem *m, uint64_t gpa, const void *src, uint32_t len,
                                   uint64_t *detail);
/* Copy all of f to gpa. */
enum vmwp_load_err vmwp_boot_copy(const struct vmwp_mem *m, uint64_t gpa, const struct vmwp_file *f,
                                  uint64_t *detail);
/* A command line (NULL: empty) as a NUL-terminated string in area a;
 * its GPA in *gpa. VMWP_LOAD_CMDLINE when too long or holding a NUL. */
enum vmwp_load_err vmwp_boot_string(const struct vmwp_mem *m, struct vmwp_boot_area *a,
                                    const struct vmwp_file *s, uint64_t *gpa, uint64_t *detail);
/* struct vmwp_file.read over bytes in memory (ctx: the first byte). */
bool vmwp_bytes_read(void *ctx, uint64_t off, void *buf, uint32_t len);

#endif /* MODELS_ROOT_VMWP_BOOT_H */
