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
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "models/root/vmwp_acpi.h"
#include "models/root/vmwp_platform.h"
#include "scenario.h"

static const char platform_usage[] =
    "usage: hvsim platform acpi --out DIR [--vps N] [--memory MiB] [--com1]\n"
    "  write the ACPI tables a VM's worker builds (RSDP, RSDT, XSDT, FACP, APIC,\n"
    "  DSDT) to DIR/<table>.dat, as they sit at GPA 0xE0000 of the VM\n";

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

int platform_cmd_main(int argc, char **argv) {
  if (argc >= 1 && strcmp(argv[0], "acpi") == 0)
    return platform_acpi(argc - 1, argv + 1);
  return platform_fail("unknown subcommand", argc ? argv[0] : "(none)");
}
