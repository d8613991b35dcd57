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
import shutil
import struct
import subprocess
import time

import pytest

from hvsim_driver import REPO_ROOT

GUEST = os.path.join(REPO_ROOT, "build", "guest")
STAGING = 0x6000000  # where the shim's segment lies until the stub copies it
CMDLINE = "console=ttyS0 quiet panic=-1 nokaslr"


def stub(table, entry, bootinfo):
    """32-bit code: for each (src, dst, len) at table: rep movsb; then EBX =
    bootinfo, EAX = 0, jump to entry. No stack needed."""
    code = bytearray()
    code += b"\xba" + struct.pack("<I", table)   # mov edx, table
    code += b"\x8b\x4a\x08"                      # loop: mov ecx, [edx+8]
    code += b"\x85\xc9"                          # test ecx, ecx
    code += b"\x74\x0d"                          # jz done
    code += b"\x8b\x32"                          # mov esi, [edx]
    code += b"\x8b\x7a\x04"                      # mov edi, [edx+4]
    code += b"\xfc\xf3\xa4"                      # cld; rep movsb
    code += b"\x83\xc2\x0c"                      # add edx, 12
    code += b"\xeb\xec"                          # jmp loop
    code += b"\xbb" + struct.pack("<I", bootinfo)  # done: mov ebx, bootinfo
    code += b"\x31\xc0"                          # xor eax, eax
    code += b"\xb9" + struct.pack("<I", entry)   # mov ecx, entry
    code += b"\xff\xe1"                          # jmp ecx
    assert len(code) == 39
    return bytes(code)


def shim_elf(dump_dir, path):
    ranges = []
    for line in open(os.path.join(dump_dir, "ranges")):
        gpa, size, name = line.split()
        ranges.append((int(gpa, 16), int(size), open(os.path.join(dump_dir, name), "rb").read()))
    regs = dict(line.split() for line in open(os.path.join(dump_dir, "regs")))
    body, table = bytearray(4096), bytearray()  # page 0: the stub and the table
    for gpa, size, data in ranges:
        table += struct.pack("<III", STAGING + len(body), gpa, size)
        body += data
    table += struct.pack("<III", 0, 0, 0)
    body[64:64 + len(table)] = table
    assert 64 + len(table) <= 4096
    body[0:39] = stub(STAGING + 64, int(regs["rip"], 16), int(regs["rbx"], 16))
    note_desc = struct.pack("<I", STAGING)
    note = struct.pack("<III", 4, 4, 18) + b"Xen\0" + note_desc  # XEN_ELFNOTE_PHYS32_ENTRY
    ehsize, phsize = 52, 32
    data_off = 4096
    note_off = ehsize + 2 * phsize
    eh = b"\x7fELF\x01\x01\x01" + bytes(9) + struct.pack(
        "<HHIIIIIHHHHHH", 2, 3, 1, STAGING, ehsize, 0, 0, ehsize, phsize, 2, 0, 0, 0)
    load = struct.pack("<IIIIIIII", 1, data_off, STAGING, STAGING, len(body), len(body), 7, 4096)
    pnote = struct.pack("<IIIIIIII", 4, note_off, 0, 0, len(note), len(note), 4, 4)
    head = eh + load + pnote + note
    with open(path, "wb") as f:
        f.write(head + bytes(data_off - len(head)) + body)


def test_debian_kernel_boots_from_our_pvh_boot_information(hvsim_bin, tmp_path):
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        if os.environ.get("HVSIM_REQUIRE_QEMU"):
            pytest.fail("qemu-system-x86_64 not found (HVSIM_REQUIRE_QEMU is set)")
        pytest.skip("qemu-system-x86_64 not found: install qemu-system-x86 (scripts/setup)")
    vmlinux, initrd = os.path.join(GUEST, "vmlinux"), os.path.join(GUEST, "initramfs.cpio")
    if not (os.path.exists(vmlinux) and os.path.exists(initrd)):
        r = subprocess.run(["/usr/bin/python3", os.path.join(REPO_ROOT, "guests", "linux", "build-image")],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    dump = tmp_path / "dump"
    r = subprocess.run([hvsim_bin, "platform", "load-linux", "--kernel", vmlinux, "--initrd", initrd,
                        "--cmdline", CMDLINE, "--memory", "256", "--rsdp", "0", "--out", str(dump)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    shim = tmp_path / "shim.elf"
    shim_elf(str(dump), str(shim))
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
