"""A 32-bit guest of ours: the multiboot test kernel (guests/multiboot,
built with gcc -m32 at test time) checks from the inside what a loader and
a platform hand it — magic, loader name, command line, modules and their
strings, the memory map, the ACPI tables (RSDT/XSDT, FADT, MADT, \\_S5_) —
prints one line on COM1 and powers off through ACPI.

On QEMU TCG it runs twice: loaded by QEMU's own multiboot loader (the
kernel is a valid multiboot kernel for any loader), and from what the
worker's multiboot loader (models/root/vmwp_load_multiboot.c) wrote, handed
over by the PVH shim (tests/platform/pvh_shim.py). The second run shows the
loader's information as the kernel reads it.
"""

import subprocess

import pvh_shim


def boot(qemu, kernel, con, extra=()):
    r = subprocess.run([qemu, "-machine", "pc", "-accel", "tcg", "-m", "512", "-nic", "none", "-kernel", str(kernel),
                        *extra, "-display", "none", "-no-reboot", "-monitor", "none", "-serial", f"file:{con}"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return con.read_bytes().decode(errors="replace")


def test_qemu_multiboot_loader(qemu, mbtest, tmp_path):
    (tmp_path / "m.bin").write_bytes(b"MODULE-0 payload")
    log = boot(qemu, mbtest, tmp_path / "con.log", ["-initrd", f"{tmp_path / 'm.bin'} m-string", "-append", "a b"])
    assert "HVSIM-MULTIBOOT-OK loader=qemu" in log, log
    assert "mods=1 mod0=MODULE-0:" in log and "m-string" in log, log
    assert "FAIL" not in log, log


def test_our_multiboot_loader(hvsim_bin, qemu, mbtest, tmp_path):
    (tmp_path / "m0.bin").write_bytes(b"MODULE-0 payload")
    (tmp_path / "m1.bin").write_bytes(b"MODULE-1")
    dump = tmp_path / "dump"
    r = subprocess.run([hvsim_bin, "platform", "load-multiboot", "--kernel", mbtest,
                        "--module", f"{tmp_path / 'm0.bin'}=first module", "--module", str(tmp_path / "m1.bin"),
                        "--cmdline", "test.flat -smp 1", "--memory", "256", "--rsdp", "0", "--out", str(dump)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    shim = tmp_path / "shim.elf"
    pvh_shim.build(str(dump), str(shim))
    log = boot(qemu, shim, tmp_path / "con.log")
    # our memory map: 636 KiB below the BIOS area, 255 MiB from 1 MiB; QEMU's ACPI (1 CPU, PM1a, S5 type 0)
    want = ("HVSIM-MULTIBOOT-OK loader=hvsim cmdline=test.flat -smp 1 mods=2 mod0=MODULE-0:first module "
            "ram=261756 cpus=1 s5=0 via=pm1a")
    assert want in log, log
    assert "FAIL" not in log, log
