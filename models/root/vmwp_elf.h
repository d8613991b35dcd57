/*
 * vmwp_elf.h — reading an ELF executable (System V ABI "gABI" 4.1, ch. 4
 * and 5: ELF header, program headers, notes) for the worker's kernel
 * loaders: ELF32 and ELF64, little-endian x86 (EM_386, EM_X86_64). Only
 * program headers matter (a loader loads segments, not sections); every
 * field read from the file is checked before use (vmwp_boot.h).
 */
#ifndef MODELS_ROOT_VMWP_ELF_H
#define MODELS_ROOT_VMWP_ELF_H

#include "vmwp_boot.h"

#define VMWP_ELF_MAX_SEGMENTS 64

struct vmwp_elf_seg {
  uint64_t offset, filesz; /* bytes in the file */
  uint64_t vaddr, paddr, memsz;
};

struct vmwp_elf {
  const struct vmwp_file *file;
  bool is64;
  uint16_t machine;
  uint64_t entry; /* e_entry (a virtual address) */
  uint32_t nload, nnote;
  struct vmwp_elf_seg load[VMWP_ELF_MAX_SEGMENTS]; /* PT_LOAD with memsz > 0, in file order */
  struct vmwp_elf_seg note[8];                     /* PT_NOTE (the first 8) */
};

/* Read and check the ELF header and program headers of f. Returns
 * VMWP_LOAD_OK or an error (*detail set where vmwp_boot.h says). */
enum vmwp_load_err vmwp_elf_parse(struct vmwp_elf *e, const struct vmwp_file *f, uint64_t *detail);

/* The descriptor of the first note named name (e.g. "Xen") of the given
 * type, in PT_NOTE segments: up to cap bytes into desc, its size in *len.
 * VMWP_LOAD_OK, VMWP_LOAD_NO_PVH_ENTRY when there is no such note (the
 * caller names its own "missing" error), VMWP_LOAD_BAD_NOTE, VMWP_LOAD_READ. */
enum vmwp_load_err vmwp_elf_note(const struct vmwp_elf *e, const char *name, uint32_t type, void *desc,
                                 uint32_t cap, uint32_t *len, uint64_t *detail);

/* Check that every segment lies in RAM from 1 MiB (the loader's area and
 * the BIOS area below stay free) up to ram_bytes; [*lo, *hi) spans them. */
enum vmwp_load_err vmwp_elf_place(const struct vmwp_elf *e, uint64_t ram_bytes, uint64_t *lo, uint64_t *hi,
                                  uint64_t *detail);

/* Copy each segment's file bytes to its physical address and zero the
 * rest of its memory size (nothing is written in a dry run). Call after
 * vmwp_elf_place. */
enum vmwp_load_err vmwp_elf_load(const struct vmwp_elf *e, const struct vmwp_mem *m, uint64_t *detail);

/* vmwp_elf_load, then each of in's modules copied to its GPA in module_gpa. */
enum vmwp_load_err vmwp_elf_load_with_modules(const struct vmwp_elf *e, const struct vmwp_kernel_in *in,
                                              const struct vmwp_mem *m, const uint64_t *module_gpa,
                                              uint64_t *detail);

/* The physical address of a virtual address inside a loaded segment
 * (the entry point of a kernel linked high); false when none holds it. */
bool vmwp_elf_to_phys(const struct vmwp_elf *e, uint64_t vaddr, uint64_t *gpa);

#endif /* MODELS_ROOT_VMWP_ELF_H */
