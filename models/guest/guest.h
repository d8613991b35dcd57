/*
 * guest.h — what guest software has: the contract between guest programs
 * (models/) and the runtime that executes them.
 *
 * A guest program sees only what a guest has: its registers (through
 * these calls), its guest-physical memory, hypercalls, MSRs, HLT and
 * interrupts. Two runtimes implement this header: "sim" (level 1: each
 * VP is a coroutine of the model simulator, memory reached through the
 * partition's SLAT) and "bare" (levels 2 and 3: real VMCALL/VMMCALL,
 * RDMSR/WRMSR, HLT). Programs never include host headers.
 */
#ifndef MODELS_GUEST_H
#define MODELS_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvsim/guest_boot.h"

struct guest; /* the VP the program runs on (runtime-private) */

/* Hypercall through the hypercall page: RCX = control, RDX = input GPA
 * (or first fast input), R8 = output GPA (or second fast input).
 * Returns RAX, the hypercall result value. */
uint64_t guest_hypercall(struct guest *g, uint64_t control, uint64_t rdx, uint64_t r8);

/* MSR access; returns false when the access raised #GP. */
bool guest_rdmsr(struct guest *g, uint32_t msr, uint64_t *value);
bool guest_wrmsr(struct guest *g, uint32_t msr, uint64_t value);

/* Guest-physical memory access (paging off: addresses are GPAs).
 * Returns false when the access faulted (the hypervisor injected #GP for
 * a GPA the partition does not own); nothing was transferred then. */
bool guest_read(struct guest *g, uint64_t gpa, void *buf, size_t len);
bool guest_write(struct guest *g, uint64_t gpa, const void *buf, size_t len);
/* Atomic exchange of the 8-byte-aligned u64 at gpa (LOCK XCHG): *value
 * goes in, the old contents come back in *value. What a SynIC event-flag
 * consumer needs to take flags without losing one set meanwhile. */
bool guest_xchg64(struct guest *g, uint64_t gpa, uint64_t *value);

/* HLT with interrupts enabled: returns after an interrupt was taken;
 * *vector receives it (may be NULL). */
void guest_halt(struct guest *g, uint8_t *vector);
/* Port I/O (OUT / IN) of size 1, 2 or 4 bytes. */
void guest_out(struct guest *g, uint16_t port, uint8_t size, uint32_t value);
uint32_t guest_in(struct guest *g, uint16_t port, uint8_t size);
/* End of interrupt to the virtual APIC (the synthetic EOI MSR). */
void guest_eoi(struct guest *g);
/* Compute for n cycles of guest time. */
void guest_work(struct guest *g, uint64_t cycles);
/* A marker visible in the trace (kind guest): code and value. */
void guest_mark(struct guest *g, uint32_t code, uint64_t value);
/* This VP's index within its partition (HV_X64_MSR_VP_INDEX). */
uint32_t guest_vp_index(struct guest *g);
/* The guest's time stamp counter (cycles). */
uint64_t guest_rdtsc(struct guest *g);

/* An architectural event the guest reports (the root's VMMS reports VM
 * state changes and management results this way; kinds of
 * include/hvsim/trace.h). Level 1 records it directly, levels 2/3 write
 * it to the debug port. */
void guest_event(struct guest *g, uint16_t kind, uint64_t a, uint64_t b, uint64_t c);

/* The management API endpoint (root partition only; NULL elsewhere). */
struct mgmt_channel;
struct mgmt_channel *guest_mgmt_channel(struct guest *g);

/* The root's physical disks (root partition only), the platform's storage
 * the way the management channel is its management link: disk n backs VM
 * n's synthetic SCSI disk (the storage VSP). Sectors of 512 bytes. A
 * write has reached the medium when it returns (write-through). Level 1:
 * raw image files named by the scenario; elsewhere no disks. */
#define GUEST_DISK_SECTOR 512u
/* Sectors of disk n; 0 when there is none. */
uint64_t guest_root_disk_sectors(struct guest *g, uint32_t disk);
/* false: no such disk, range outside it, or the medium failed. */
bool guest_root_disk_read(struct guest *g, uint32_t disk, uint64_t lba, void *buf, uint32_t sectors);
bool guest_root_disk_write(struct guest *g, uint32_t disk, uint64_t lba, const void *buf, uint32_t sectors);
bool guest_root_disk_flush(struct guest *g, uint32_t disk);

/* The payload the platform hands VM n (root partition only): a blob the
 * root's worker process loads into the VM's RAM at GUEST_PAYLOAD_GPA
 * before it starts, as a loader places an initrd, and whose place and
 * size it passes in the boot block (parameters `payload_gpa`,
 * `payload_len`). Level 1: given by the run (the vmbus fuzz harness hands
 * the hostile child its script this way); elsewhere none. */
#define GUEST_PAYLOAD_GPA 0x300000ull
/* Bytes of VM n's payload; 0 when there is none. */
uint64_t guest_root_payload_size(struct guest *g, uint32_t vm);
/* false: no payload, or the range is outside it. */
bool guest_root_payload_read(struct guest *g, uint32_t vm, uint64_t off, void *buf, uint32_t len);

/* The boot files the platform hands VM n (root partition only), what the
 * worker's loader reads for a VM that boots a kernel instead of running a
 * program (struct mgmt_vm_config.kernel): the image, its command line
 * (text without a NUL), and per module k the module and its string. A
 * module list ends at the first module of 0 bytes. Level 1: none (it
 * refuses kernels); levels 2/3: given by the platform's run description. */
#define GUEST_BOOT_FILE_KERNEL 0u
#define GUEST_BOOT_FILE_CMDLINE 1u
#define GUEST_BOOT_FILE_MODULE(k) (2u + 2u * (k))
#define GUEST_BOOT_FILE_MODULE_CMDLINE(k) (3u + 2u * (k))
/* Bytes of boot file `index` of VM n; 0 when there is none. */
uint64_t guest_root_boot_file_size(struct guest *g, uint32_t vm, uint32_t index);
/* false: no such file, or the range is outside it. */
bool guest_root_boot_file_read(struct guest *g, uint32_t vm, uint32_t index, uint64_t off, void *buf, uint32_t len);

/* The guest-program image a loader copies to GUEST_ENTRY_RIP of a new VM
 * (levels 2/3: the bare runtime's child image, carried in the root's
 * image); NULL with *len = 0 where programs are not code in guest memory
 * (level 1). */
const void *guest_program_image(struct guest *g, size_t *len);

/* ---- programs ------------------------------------------------------- */

/* Value of parameter key, or def when absent. */
uint64_t guest_param(const struct guest_boot *b, const char *key, uint64_t def);

struct guest_program {
  const char *name;
  const char *summary; /* one line for --help */
  /* Runs on every VP of the partition; returns when done (the VP then
   * halts for good). */
  void (*main)(struct guest *g, const struct guest_boot *boot);
};

/* The program registry (models/child/programs.c). NULL if unknown. */
const struct guest_program *guest_program_lookup(const char *name);
/* The i-th program, NULL past the end (for listings). */
const struct guest_program *guest_program_at(size_t i);

/* The root partition's program (models/root/root_main.c): what a runtime
 * starts on the root's VPs, with the loader's boot block. */
struct root_boot;
void root_main(struct guest *g, const struct root_boot *boot);

#endif /* MODELS_GUEST_H */
