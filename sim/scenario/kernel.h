/*
 * scenario_kernel.h — the partition keys of a VM that boots like a
 * machine rather than running one of our guest programs:
 *
 *   kernel: { linux: PATH, initrd: PATH, cmdline: "..." }
 *   kernel: { multiboot: PATH, modules: [PATH, { path: PATH, cmdline: "..." }], cmdline: "..." }
 *   platform: [com1, acpi]      # devices the VM's worker emulates (a kernel's default: both)
 *
 * Paths are relative to the scenario file's directory; the files are read
 * when the scenario is loaded and checked by the root's own loader in a
 * dry run (models/root/vmwp_load.h), so a kernel that would not load is a
 * file:line:col error before anything runs. A VM has a program or a
 * kernel, not both. Level 1 refuses kernels (its VPs run our programs as
 * coroutines, not x86 code): scn_kernel_refuse.
 */
#ifndef SIM_SCENARIO_KERNEL_H
#define SIM_SCENARIO_KERNEL_H

#include <stdint.h>

#include "scenario.h"

struct mgmt_vm_config;

#define SCN_MAX_MODULES 16

enum scn_kernel_kind { SCN_KERNEL_NONE = 0, SCN_KERNEL_LINUX = 1, SCN_KERNEL_MULTIBOOT = 2 };

struct scn_blob {
  uint8_t *data; /* owned; NULL when absent */
  uint64_t bytes;
};

struct scn_kernel {
  uint32_t kind;           /* enum scn_kernel_kind (the VMWP_KERNEL_* numbers) */
  struct scn_pos pos;      /* of the kernel: value */
  struct scn_blob image;   /* the ELF (or multiboot image) */
  struct scn_blob cmdline; /* the command line's bytes, no NUL; bytes 0 = none */
  uint32_t nmodules;       /* Linux: 0 or 1 (the initrd) */
  struct scn_blob modules[SCN_MAX_MODULES];
  struct scn_blob module_cmdlines[SCN_MAX_MODULES];
};

struct ctx;
struct field;
/* Validate kernel: and platform: of partition p (the fields as map_collect
 * found them; program and params/payload to refuse beside a kernel).
 * Returns 0 or -1 with the error set. */
int scn_kernel_parse(struct ctx *c, const struct field *kernel, const struct field *program,
                     const struct field *params, const struct field *payload, struct scn_partition *p);
int scn_platform_parse(struct ctx *c, const struct field *platform, struct scn_partition *p);
/* Free a kernel (and its files); NULL is fine. */
void scn_kernel_free(struct scn_kernel *k);

/* The fields of a VM's configuration these keys decide (platform devices,
 * kernel kind), for the runners that turn a partition into a request. */
void scn_kernel_vm_config(const struct scn_partition *p, struct mgmt_vm_config *cfg);

/* The boot files of kernel k as the platform hands them to the root
 * (guest.h GUEST_BOOT_FILE_*): up to max of them into index[] and file[],
 * the kernel first, then its command line, each module and its string;
 * files of 0 bytes are left out. Returns how many there are (may exceed
 * max: only max were written). */
uint32_t scn_kernel_boot_files(const struct scn_kernel *k, uint32_t *index, const struct scn_blob **file,
                               uint32_t max);

/* 0, or -1 with "file:line:col: partitions[i].kernel: <level> cannot boot a
 * kernel ..." in err when the scenario has a VM with a kernel. */
int scn_kernel_refuse(const struct scenario *s, const char *level, const char *why, struct scn_error *err);

#endif /* SIM_SCENARIO_KERNEL_H */
