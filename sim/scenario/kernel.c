/*
 * scenario_kernel.c — the kernel: and platform: keys of a partition (see
 * scenario_kernel.h). Host code of the simulator; the kernel's files are
 * checked by the root's loader (models/root/vmwp_load_*.c) in a dry run.
 */
#include "kernel.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvsim/mgmt.h"
#include "models/guest/guest.h"
#include "models/root/vmwp_load.h"
#include "models/root/vmwp_platform.h"
#include "parse.h"

_Static_assert(SCN_KERNEL_LINUX == VMWP_KERNEL_LINUX && SCN_KERNEL_MULTIBOOT == VMWP_KERNEL_MULTIBOOT,
               "scenario kernel kinds are the worker's numbers");
_Static_assert(SCN_MAX_MODULES == VMWP_MAX_MODULES, "as many modules as the loaders take");

void scn_kernel_free(struct scn_kernel *k) {
  if (!k)
    return;
  free(k->image.data);
  free(k->cmdline.data);
  for (uint32_t i = 0; i < SCN_MAX_MODULES; i++)
    free(k->modules[i].data), free(k->module_cmdlines[i].data);
  free(k);
}

/* A file of 1 byte up to the VM's memory, read whole. */
static int kernel_file(struct ctx *c, uint32_t n, const struct scn_partition *p, const char *what,
                       struct scn_blob *b) {
  char path[512];
  uint64_t size;
  if (node_file_stat(c, n, path, sizeof path, &size))
    return -1;
  if (size == 0 || size > p->memory_bytes)
    return scn_fail(c, n, "%s: %" PRIu64 " bytes; %s must hold 1 byte to the VM's %" PRIu64 " bytes of memory",
                path, size, what, p->memory_bytes);
  b->bytes = size;
  return node_file_read(c, n, path, size, &b->data);
}

/* A command line: a string of at most VMWP_CMDLINE_MAX bytes. */
static int kernel_cmdline(struct ctx *c, uint32_t n, struct scn_blob *b) {
  char text[VMWP_CMDLINE_MAX + 1];
  if (node_text(c, n, text, sizeof text, "a command line (a string)"))
    return -1;
  b->bytes = strlen(text);
  b->data = malloc(b->bytes + 1);
  if (!b->data)
    return scn_fail(c, n, "out of memory");
  memcpy(b->data, text, b->bytes + 1);
  return 0;
}

/* A module: PATH (its string is the path as written) or { path, cmdline }. */
static int kernel_module(struct ctx *c, uint32_t n, const struct scn_partition *p, struct scn_kernel *k) {
  struct field f[2] = {{"path", 0, 0}, {"cmdline", 0, 0}};
  uint32_t i = k->nmodules, pathnode = n;
  if (node_at(c, n)->type == NODE_MAP) {
    if (map_collect(c, n, f, 2) || field_require(c, n, &f[0]))
      return -1;
    pathnode = f[0].node;
  }
  size_t old = pathnode != n ? path_key(c, "path") : c->plen;
  if (kernel_file(c, pathnode, p, "a module", &k->modules[i]))
    return -1;
  path_restore(c, old);
  if (f[1].node) {
    old = path_key(c, "cmdline");
    if (kernel_cmdline(c, f[1].node, &k->module_cmdlines[i]))
      return -1;
    path_restore(c, old);
  } else if (kernel_cmdline(c, pathnode, &k->module_cmdlines[i])) {
    return -1;
  }
  k->nmodules++;
  return 0;
}

static int kernel_modules(struct ctx *c, uint32_t n, const struct scn_partition *p, struct scn_kernel *k) {
  const struct node *list = node_at(c, n);
  if (list->type != NODE_SEQ)
    return fail_type(c, n, "a list of modules (paths or { path, cmdline })");
  if (list->count > SCN_MAX_MODULES)
    return scn_fail(c, n, "at most %d modules, got %" PRIu32, SCN_MAX_MODULES, list->count);
  uint32_t i = 0;
  for (uint32_t e = list->first; e; e = node_at(c, e)->next, i++) {
    size_t old = path_index(c, i);
    if (kernel_module(c, e, p, k))
      return -1;
    path_restore(c, old);
  }
  return 0;
}

/* The root's loader over the files, writing nothing: an image it would
 * refuse is refused here, at the key the error belongs to. */
static int kernel_dry_run(struct ctx *c, const struct field *f, uint32_t image, const struct scn_partition *p,
                          const struct scn_kernel *k) {
  struct vmwp_file kf = {k->image.bytes, vmwp_bytes_read, k->image.data}, cl = {0}, mods[SCN_MAX_MODULES],
                   strs[SCN_MAX_MODULES];
  cl = (struct vmwp_file){k->cmdline.bytes, vmwp_bytes_read, k->cmdline.data};
  for (uint32_t i = 0; i < k->nmodules; i++) {
    mods[i] = (struct vmwp_file){k->modules[i].bytes, vmwp_bytes_read, k->modules[i].data};
    strs[i] = (struct vmwp_file){k->module_cmdlines[i].bytes, vmwp_bytes_read, k->module_cmdlines[i].data};
  }
  struct vmwp_kernel_in in = {&kf,  &cl,         mods,
                              strs, k->nmodules, VMWP_ACPI_GPA}; /* the RSDP is only written */
  struct vmwp_mem dry = {p->memory_bytes, 0, 0};
  struct vmwp_boot_regs regs;
  uint64_t detail = 0;
  enum vmwp_load_err err = k->kind == SCN_KERNEL_LINUX ? vmwp_load_linux(&in, &dry, &regs, 0, &detail)
                                                       : vmwp_load_multiboot(&in, &dry, &regs, 0, &detail);
  if (err == VMWP_LOAD_OK)
    return 0;
  uint32_t at = image;
  const char *key = k->kind == SCN_KERNEL_LINUX ? "linux" : "multiboot";
  if (err == VMWP_LOAD_NO_ROOM && (f[2].node || f[3].node)) { /* the initrd / modules do not fit */
    at = f[2].node ? f[2].node : f[3].node;
    key = f[2].node ? "initrd" : "modules";
  }
  path_key(c, key);
  if (!detail)
    return scn_fail(c, at, "%s", vmwp_load_error_text(err));
  return scn_fail(c, at, "%s (0x%" PRIx64 ")", vmwp_load_error_text(err), detail);
}

int scn_kernel_parse(struct ctx *c, const struct field *kernel, const struct field *program,
                     const struct field *params, const struct field *payload, struct scn_partition *p) {
  if (!kernel->node)
    return 0;
  size_t old = c->plen;
  const char *why = "goes with a program, not with a kernel";
  if (field_reject(c, program, "and kernel: a VM runs a program or boots a kernel, not both") ||
      field_reject(c, params, why) || field_reject(c, payload, why))
    return -1;
  enum { K_LINUX, K_MULTIBOOT, K_INITRD, K_MODULES, K_CMDLINE, K_N };
  struct field f[K_N] = {
      {"linux", 0, 0}, {"multiboot", 0, 0}, {"initrd", 0, 0}, {"modules", 0, 0}, {"cmdline", 0, 0}};
  path_key(c, "kernel");
  if (map_collect(c, kernel->node, f, K_N))
    return -1;
  if (!f[K_LINUX].node && !f[K_MULTIBOOT].node)
    return scn_fail(c, kernel->node, "needs linux: PATH or multiboot: PATH");
  if ((f[K_LINUX].node && field_reject(c, &f[K_MULTIBOOT], "and linux: are one kernel or the other")) ||
      (f[K_LINUX].node &&
       field_reject(c, &f[K_MODULES], "are for multiboot kernels (Linux takes an initrd:)")) ||
      (f[K_MULTIBOOT].node &&
       field_reject(c, &f[K_INITRD], "is for Linux (a multiboot kernel takes modules:)")))
    return -1;
  struct scn_kernel *k = p->kernel = calloc(1, sizeof *p->kernel);
  if (!k)
    return scn_fail(c, kernel->node, "out of memory");
  k->kind = f[K_LINUX].node ? SCN_KERNEL_LINUX : SCN_KERNEL_MULTIBOOT;
  k->pos = node_at(c, kernel->node)->pos;
  uint32_t image = f[K_LINUX].node ? f[K_LINUX].node : f[K_MULTIBOOT].node;
  size_t in_kernel = c->plen;
  path_key(c, k->kind == SCN_KERNEL_LINUX ? "linux" : "multiboot");
  if (kernel_file(c, image, p, "a kernel", &k->image))
    return -1;
  path_restore(c, in_kernel);
  if (f[K_INITRD].node) {
    path_key(c, "initrd");
    if (kernel_file(c, f[K_INITRD].node, p, "an initrd", &k->modules[0]))
      return -1;
    k->nmodules = 1;
    path_restore(c, in_kernel);
  }
  if (f[K_MODULES].node) {
    path_key(c, "modules");
    if (kernel_modules(c, f[K_MODULES].node, p, k))
      return -1;
    path_restore(c, in_kernel);
  }
  if (f[K_CMDLINE].node) {
    path_key(c, "cmdline");
    if (kernel_cmdline(c, f[K_CMDLINE].node, &k->cmdline))
      return -1;
    path_restore(c, in_kernel);
  }
  if (kernel_dry_run(c, f, image, p, k))
    return -1;
  p->platform = VMWP_PLATFORM_ALL; /* a machine: COM1, ACPI and the RTC, unless platform: says otherwise */
  path_restore(c, old);
  return 0;
}

/* Called after scn_kernel_parse, whose default (both devices) it replaces. */
int scn_platform_parse(struct ctx *c, const struct field *platform, struct scn_partition *p) {
  size_t old = path_key(c, "platform");
  if (platform->node) {
    const struct node *list = node_at(c, platform->node);
    if (list->type != NODE_SEQ)
      return fail_type(c, platform->node, "a list of devices (com1, acpi, rtc)");
    p->platform = 0;
    uint32_t i = 0;
    for (uint32_t e = list->first; e; e = node_at(c, e)->next, i++) {
      char name[16];
      size_t at = path_index(c, i);
      if (node_text(c, e, name, sizeof name, "a device name (com1, acpi, rtc)"))
        return -1;
      uint32_t bit = !strcmp(name, "com1")   ? VMWP_PLATFORM_COM1
                     : !strcmp(name, "acpi") ? VMWP_PLATFORM_ACPI
                     : !strcmp(name, "rtc")  ? VMWP_PLATFORM_RTC
                                             : 0;
      if (!bit)
        return scn_fail(c, e, "unknown platform device '%s' (known: com1, acpi, rtc)", name);
      if (p->platform & bit)
        return scn_fail(c, e, "'%s' is listed twice", name);
      p->platform |= bit;
      path_restore(c, at);
    }
    if ((p->platform & VMWP_PLATFORM_ACPI) && p->memory_bytes < 2 * VMWP_HIGH_RAM_GPA)
      return scn_fail(c, platform->node,
                  "acpi: the tables sit at GPA 0x%llx; the VM needs at least 2 MiB of memory",
                  (unsigned long long)VMWP_ACPI_GPA);
  }
  path_restore(c, old);
  return 0;
}

void scn_kernel_vm_config(const struct scn_partition *p, struct mgmt_vm_config *cfg) {
  cfg->platform = p->platform;
  cfg->kernel = p->kernel ? p->kernel->kind : VMWP_KERNEL_NONE;
}

static void kernel_boot_file(uint32_t *n, uint32_t i, const struct scn_blob *b, uint32_t *index,
                             const struct scn_blob **file, uint32_t max) {
  if (!b->bytes)
    return;
  if (*n < max)
    index[*n] = i, file[*n] = b;
  ++*n;
}

uint32_t scn_kernel_boot_files(const struct scn_kernel *k, uint32_t *index, const struct scn_blob **file,
                               uint32_t max) {
  uint32_t n = 0;
  kernel_boot_file(&n, GUEST_BOOT_FILE_KERNEL, &k->image, index, file, max);
  kernel_boot_file(&n, GUEST_BOOT_FILE_CMDLINE, &k->cmdline, index, file, max);
  for (uint32_t m = 0; m < k->nmodules; m++) {
    kernel_boot_file(&n, GUEST_BOOT_FILE_MODULE(m), &k->modules[m], index, file, max);
    kernel_boot_file(&n, GUEST_BOOT_FILE_MODULE_CMDLINE(m), &k->module_cmdlines[m], index, file, max);
  }
  return n;
}

int scn_kernel_refuse(const struct scenario *s, const char *level, const char *why, struct scn_error *err) {
  for (uint32_t i = 0; i < s->npartitions; i++) {
    const struct scn_kernel *k = s->partitions[i].kernel;
    if (k) {
      snprintf(err->msg, sizeof err->msg,
               "%.200s:%u:%u: partitions[%u].kernel: %.60s cannot boot a kernel: %.180s", s->path,
               k->pos.line, k->pos.col, i, level, why);
      return -1;
    }
  }
  return 0;
}
