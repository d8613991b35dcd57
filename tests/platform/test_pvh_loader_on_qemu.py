"""The worker's Linux loader, proven on a real CPU model: what
models/root/vmwp_load_linux.c writes for Debian's vmlinux and initramfs
(kernel segments, initrd at the top of RAM, hvm_start_info with its module
list, memory map and command line at 0x10000) is taken out with
`hvsim platform load-linux`, wrapped into a PVH ELF for QEMU whose 32-bit
stub copies every range to its GPA after the firmware has run, sets EBX to
our start info and jumps to the kernel's PVH entry. QEMU's software CPU
then boots Debian's kernel from exactly our boot information to the
initramfs's marker and powers off.

The VM the loader was told of is 256 MiB; QEMU gets 512 MiB so its own
firmware data (above) never meets ours. The start info names no RSDP, so
Linux finds QEMU's ACPI tables (and its power-off) by the BIOS-area scan.
Skips only without qemu-system-x86_64 (HVSIM_REQUIRE_QEMU=1: a failure).
"""

import os
import subprocess
import time

import pvh_shim

CMDLINE = "console=ttyS0 quiet panic=-1 nokaslr"


def test_debian_kernel_boots_from_our_pvh_boot_information(hvsim_bin, qemu, guest_image, tmp_path):
    vmlinux, initrd = os.path.join(guest_image, "vmlinux"), os.path.join(guest_image, "initramfs.cpio")
    dump = tmp_path / "dump"
    r = subprocess.run([hvsim_bin, "platform", "load-linux", "--kernel", vmlinux, "--initrd", initrd,
                        "--cmdline", CMDLINE, "--memory", "256", "--rsdp", "0", "--out", str(dump)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    shim = tmp_path / "shim.elf"
    pvh_shim.build(str(dump), str(shim))
    con = tmp_path / "console.log"
    t0 = time.monotonic()
    q = subprocess.run([qemu, "-machine", "pc", "-accel", "tcg", "-m", "512", "-smp", "1", "-nic", "none",
                        "-kernel", str(shim), "-display", "none", "-no-reboot", "-monitor", "none",
                        "-serial", f"file:{con}"], capture_output=True, text=True, timeout=240)
    wall = time.monotonic() - t0
    log = con.read_bytes().decode(errors="replace")
    print(f"qemu tcg from our PVH boot information: power-off after {wall:.1f} s wall")
    assert q.returncode == 0, q.stderr
    assert f"Command line: {CMDLINE}" in log or "HVSIM-LINUX-INIT-OK" in log, log[-3000:]
    assert "HVSIM-LINUX-INIT-OK cpus=0" in log, log[-3000:]
    assert "reboot: Power down" in log, log[-3000:]
