/*
 * platform_cmd.c — `hvsim platform acpi`: the ACPI tables the root's VM
 * worker builds for a VM (models/root/vmwp_acpi.c, the same code the
 * worker runs), written one file per table so that tools such as iasl can
 * disassemble them. Host code of the simulator.
 *
 *   hvsim platform acpi --out DIR [--vps N] [--memory MiB] [--com1]
 * writes DIR/rsdp.dat, rsdt.dat, xsdt.dat, facp.dat, apic.dat, dsdt.dat
 * (the tables as they sit in guest memory at GPA 0xE0000) and prints one
 * line per table: name, GPA, length.
 *
 *   hvsim platform load-linux --kernel VMLINUX [--initrd FILE] [--cmdline TEXT]
 *                             [--memory MiB] [--rsdp GPA] --out DIR
 *   hvsim platform load-multiboot --kernel ELF [--module FILE[=STRING]]... ...
 * runs the worker's Linux or multiboot loader (models/root/vmwp_load_*.c)
 * into a VM-sized buffer and writes what it wrote: DIR/ranges (one line per run
 * of written pages: GPA, bytes, file) with DIR/mem-<GPA>.bin, and
 * DIR/regs (rip, rax, rbx at the entry).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <stdlib.h>

#include "models/root/vmwp_acpi.h"
#include "models/root/vmwp_load.h"
#include "models/root/vmwp_platform.h"
#include "sim/scenario/scenario.h"

static const char platform_usage[] =
    "usage: hvsim platform acpi --out DIR [--vps N] [--memory MiB] [--com1]\n"
    "  write the ACPI tables a VM's worker builds (RSDP, RSDT, XSDT, FACP, APIC,\n"
    "  DSDT) to DIR/<table>.dat, as they sit at GPA 0xE0000 of the VM\n"
    "       hvsim platform load-linux --kernel VMLINUX [--initrd FILE] [--cmdline TEXT]\n"
    "                                 [--memory MiB] [--rsdp GPA] --out DIR\n"
    "       hvsim platform load-multiboot --kernel ELF [--module F[=STRING]]... [--cmdline TEXT]\n"
    "                                     [--memory MiB] [--rsdp GPA] --out DIR\n"
    "  run the worker's Linux (PVH) or multiboot loader into a VM-sized buffer; write\n"
    "  the pages it wrote (DIR/ranges, DIR/mem-<GPA>.bin) and the entry registers (DIR/regs)\n";

static int platform_fail(const char *msg, const char *arg) {
  fprintf(stderr, "hvsim platform: %s%s%s\n%s", msg, arg ? ": " : "", arg ? arg : "", platform_usage);
  return 2;
}

static int platform_acpi(int argc, char **argv) {
  struct vmwp_acpi_cfg cfg = {1, 256ull << 20, false};
  const char *out = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
    uint64_t n;
    if (strcmp(a, "--com1") == 0) {
      cfg.com1 = true;
      continue;
    }
    if (!v)
      return platform_fail("option needs a value", a);
    i++;
    if (strcmp(a, "--out") == 0)
      out = v;
    else if (strcmp(a, "--vps") == 0 && scn_parse_uint(v, &n) == 0 && n >= 1 && n <= 4096)
      cfg.vps = (uint32_t)n;
    else if (strcmp(a, "--memory") == 0 && scn_parse_uint(v, &n) == 0 && n >= 2 && n <= (1u << 20))
      cfg.ram_bytes = n << 20;
    else
      return platform_fail("bad option or value", a);
  }
  if (!out)
    return platform_fail("--out DIR is required", 0);
  static uint8_t buf[VMWP_ACPI_BYTES];
  struct vmwp_acpi_layout l;
  if (!vmwp_acpi_build(&cfg, VMWP_ACPI_GPA, buf, sizeof buf, &l)) {
    fprintf(stderr, "hvsim platform: the tables do not fit %llu bytes\n", (unsigned long long)sizeof buf);
    return 3;
  }
  if (mkdir(out, 0777) != 0 && errno != EEXIST)
    return platform_fail(strerror(errno), out);
  for (int t = 0; t < ACPI_NTABLES; t++) {
    char name[5], path[4200];
    const char *sig = t == ACPI_RSDP ? "RSDP" : vmwp_acpi_signatures[t];
    for (int k = 0; k < 4; k++)
      name[k] = (char)(sig[k] | 0x20);
    name[4] = 0;
    snprintf(path, sizeof path, "%s/%s.dat", out, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf + l.off[t], 1, l.len[t], f) != l.len[t] || fclose(f) != 0) {
      fprintf(stderr, "hvsim platform: %s: %s\n", path, strerror(errno));
      return 3;
    }
    printf("%s 0x%llx %u\n", name, (unsigned long long)(VMWP_ACPI_GPA + l.off[t]), l.len[t]);
  }
  return 0;
}

/* The VM's RAM as a buffer, with a mark per page written. */
struct platform_ram {
  uint8_t *bytes, *written;
  uint64_t size;
};

static bool platform_ram_write(void *ctx, uint64_t gpa, const void *src, uint32_t len) {
  struct platform_ram *r = ctx;
  if (gpa > r->size || len > r->size - gpa)
    return false;
  memcpy(r->bytes + gpa, src, len);
  for (uint64_t p = gpa >> 12; len && p <= (gpa + len - 1) >> 12; p++)
    r->written[p] = 1;
  return true;
}

static uint8_t *platform_slurp(const char *path, uint64_t *size) {
  FILE *f = path ? fopen(path, "rb") : 0;
  uint8_t *b = 0;
  long n;
  if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (b = malloc(n ? (size_t)n : 1)) && fread(b, 1, (size_t)n, f) == (size_t)n) {
    *size = (uint64_t)n;
    fclose(f);
    return b;
  }
  free(b);
  if (f)
    fclose(f);
  return 0;
}

/* Each run of written pages as DIR/mem-<GPA>.bin, listed in DIR/ranges. */
static int platform_dump(const char *out, const struct platform_ram *r, const struct vmwp_boot_regs *regs) {
  char path[4200];
  snprintf(path, sizeof path, "%s/ranges", out);
  FILE *list = fopen(path, "w");
  if (!list)
    return platform_fail(strerror(errno), path);
  uint64_t pages = r->size >> 12;
  for (uint64_t p = 0; p < pages;) {
    if (!r->written[p]) {
      p++;
      continue;
    }
    uint64_t q = p;
    while (q < pages && r->written[q])
      q++;
    snprintf(path, sizeof path, "%s/mem-%llx.bin", out, (unsigned long long)(p << 12));
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(r->bytes + (p << 12), 1, (q - p) << 12, f) != (q - p) << 12 || fclose(f) != 0) {
      fclose(list);
      return platform_fail("cannot write", path);
    }
    fprintf(list, "0x%llx %llu mem-%llx.bin\n", (unsigned long long)(p << 12),
            (unsigned long long)((q - p) << 12), (unsigned long long)(p << 12));
    p = q;
  }
  fclose(list);
  snprintf(path, sizeof path, "%s/regs", out);
  FILE *f = fopen(path, "w");
  if (!f)
    return platform_fail(strerror(errno), path);
  fprintf(f, "rip 0x%llx\nrax 0x%llx\nrbx 0x%llx\n", (unsigned long long)regs->rip,
          (unsigned long long)regs->rax, (unsigned long long)regs->rbx);
  return fclose(f) == 0 ? 0 : 3;
}

/* load-linux / load-multiboot: the loader over files, into a buffer. */
static int platform_load(int argc, char **argv, bool multiboot) {
  const char *out = 0, *kernel = 0, *cmdline = "", *mod_path[VMWP_MAX_MODULES], *mod_str[VMWP_MAX_MODULES];
  uint32_t nmod = 0;
  uint64_t mib = 256, rsdp = VMWP_ACPI_GPA;
  for (int i = 0; i + 1 < argc; i += 2) {
    const char *a = argv[i], *v = argv[i + 1];
    if (strcmp(a, "--out") == 0)
      out = v;
    else if (strcmp(a, "--kernel") == 0)
      kernel = v;
    else if (strcmp(a, multiboot ? "--module" : "--initrd") == 0 &&
             nmod < (multiboot ? VMWP_MAX_MODULES : 1u)) {
      const char *eq = strchr(v, '=');
      mod_path[nmod] = v; /* PATH or PATH=STRING */
      mod_str[nmod++] = eq ? eq + 1 : "";
    } else if (strcmp(a, "--cmdline") == 0)
      cmdline = v;
    else if (!(strcmp(a, "--memory") == 0 && scn_parse_uint(v, &mib) == 0 && mib >= 2 && mib <= 4096) &&
             !(strcmp(a, "--rsdp") == 0 && scn_parse_uint(v, &rsdp) == 0))
      return platform_fail("bad option or value", a);
  }
  if (argc % 2 || !out || !kernel)
    return platform_fail("--kernel and --out are required, every option takes a value", 0);
  uint64_t ksize = 0, msize[VMWP_MAX_MODULES];
  uint8_t *k = platform_slurp(kernel, &ksize), *mod[VMWP_MAX_MODULES] = {0};
  struct platform_ram r = {calloc(1, mib << 20), calloc(mib << 8, 1), mib << 20};
  int rc = 0;
  const char *bad = !k ? kernel : 0;
  for (uint32_t i = 0; i < nmod && !bad; i++) {
    char path[1024];
    const char *eq = strchr(mod_path[i], '=');
    snprintf(path, sizeof path, "%.*s", eq ? (int)(eq - mod_path[i]) : (int)strlen(mod_path[i]), mod_path[i]);
    if (!(mod[i] = platform_slurp(path, &msize[i])))
      bad = mod_path[i];
  }
  if (bad || !r.bytes || !r.written) {
    rc = platform_fail(bad ? "cannot read" : "out of memory", bad);
  } else if (mkdir(out, 0777) != 0 && errno != EEXIST) {
    rc = platform_fail(strerror(errno), out);
  } else {
    struct vmwp_file kf = {ksize, vmwp_bytes_read, k},
                     cl = {strlen(cmdline), vmwp_bytes_read, (void *)cmdline}, mods[VMWP_MAX_MODULES],
                     strs[VMWP_MAX_MODULES];
    for (uint32_t i = 0; i < nmod; i++) {
      mods[i] = (struct vmwp_file){msize[i], vmwp_bytes_read, mod[i]};
      strs[i] = (struct vmwp_file){strlen(mod_str[i]), vmwp_bytes_read, (void *)mod_str[i]};
    }
    struct vmwp_kernel_in in = {&kf, &cl, mods, strs, nmod, rsdp};
    struct vmwp_mem mem = {r.size, platform_ram_write, &r};
    struct vmwp_boot_regs regs;
    uint64_t detail = 0;
    enum vmwp_load_err err = multiboot ? vmwp_load_multiboot(&in, &mem, &regs, 0, &detail)
                                       : vmwp_load_linux(&in, &mem, &regs, 0, &detail);
    if (err != VMWP_LOAD_OK) {
      fprintf(stderr, "hvsim platform: %s: %s (0x%llx)\n", kernel, vmwp_load_error_text(err),
              (unsigned long long)detail);
      rc = 2;
    } else {
      rc = platform_dump(out, &r, &regs);
    }
  }
  free(k), free(r.bytes), free(r.written);
  for (uint32_t i = 0; i < nmod; i++)
    free(mod[i]);
  return rc;
}

int platform_cmd_main(int argc, char **argv) {
  if (argc >= 1 && strcmp(argv[0], "acpi") == 0)
    return platform_acpi(argc - 1, argv + 1);
  if (argc >= 1 && strcmp(argv[0], "load-linux") == 0)
    return platform_load(argc - 1, argv + 1, false);
  if (argc >= 1 && strcmp(argv[0], "load-multiboot") == 0)
    return platform_load(argc - 1, argv + 1, true);
  return platform_fail("unknown subcommand", argc ? argv[0] : "(none)");
}
