"""The Linux guest image (guests/linux/build-image): built from Debian's
linux-image-amd64 and busybox-static into build/guest/, deterministic, and
bootable on its own: QEMU's software CPU boots the uncompressed vmlinux
through its PVH entry with the initramfs, init prints the marker on the
serial console and powers the machine off.

The QEMU boot skips only when qemu-system-x86_64 is not installed
(scripts/setup installs qemu-system-x86); HVSIM_REQUIRE_QEMU=1 makes that a
failure.
"""

import importlib.machinery
import importlib.util
import os
import shutil
import struct
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDER = os.path.join(ROOT, "guests", "linux", "build-image")
PY = "/usr/bin/python3"


def load_builder():
    loader = importlib.machinery.SourceFileLoader("build_image", BUILDER)
    spec = importlib.util.spec_from_loader("build_image", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def image(guest_image):
    return guest_image


def elf_notes(elf):
    """(name, type, desc) of every PT_NOTE segment's notes of an ELF64."""
    phoff, = struct.unpack_from("<Q", elf, 32)
    phentsize, phnum = struct.unpack_from("<HH", elf, 54)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
        if p_type != 4:
            continue
        off, end = p_offset, p_offset + p_filesz
        while off + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, off)
            name = elf[off + 12:off + 12 + namesz].rstrip(b"\0")
            doff = off + 12 + (namesz + 3) // 4 * 4
            yield name, ntype, elf[doff:doff + descsz]
            off = doff + (descsz + 3) // 4 * 4


def test_vmlinux_is_the_pvh_capable_elf(image):
    elf = open(os.path.join(image, "vmlinux"), "rb").read()
    assert elf[:6] == b"\x7fELF\x02\x01" and struct.unpack_from("<H", elf, 18)[0] == 62  # EM_X86_64
    entry = [d for n, t, d in elf_notes(elf) if n == b"Xen" and t == 18]  # XEN_ELFNOTE_PHYS32_ENTRY
    assert len(entry) == 1
    pvh = int.from_bytes(entry[0], "little")
    assert 0x1000000 <= pvh < 0x2000000, hex(pvh)


def test_initramfs_is_deterministic_and_complete(image):
    b = load_builder()
    busybox = open("/bin/busybox", "rb").read()
    one, two = b.build_initramfs(busybox), b.build_initramfs(busybox)
    assert one == two
    assert open(os.path.join(image, "initramfs.cpio"), "rb").read() == one
    if shutil.which("cpio"):
        names = subprocess.run(["cpio", "-it"], input=one, capture_output=True, check=True).stdout.split()
        for n in [b"init", b"bin/busybox", b"bin/sh", b"dev/console", b"dev/kmsg"]:
            assert n in names


def test_builder_rejects_what_is_not_a_bzimage(tmp_path):
    fake = tmp_path / "vmlinuz"
    fake.write_bytes(b"\0" * 4096)
    r = subprocess.run([PY, BUILDER, "--out", str(tmp_path / "o"), "--kernel", str(fake)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "not a bzImage" in r.stderr
    r = subprocess.run([PY, BUILDER, "--out", str(tmp_path / "o"), "--busybox", str(tmp_path / "none")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "busybox-static" in r.stderr


def test_builder_refuses_a_truncated_payload(tmp_path):
    b = load_builder()
    bz = bytearray(open(b.newest_kernel(), "rb").read())
    struct.pack_into("<I", bz, 0x24C, struct.unpack_from("<I", bz, 0x24C)[0] // 2)
    with pytest.raises(b.BadInput):
        b.extract_vmlinux(bytes(bz))


def test_qemu_boots_the_image_to_init_and_power_off(image, qemu, tmp_path):
    con = tmp_path / "console.log"
    cmd = [qemu, "-machine", "pc", "-accel", "tcg", "-m", "256", "-smp", "2", "-nic", "none",
           "-kernel", os.path.join(image, "vmlinux"), "-initrd", os.path.join(image, "initramfs.cpio"),
           "-append", "console=ttyS0 quiet panic=-1 nokaslr", "-display", "none", "-no-reboot",
           "-monitor", "none", "-serial", f"file:{con}"]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    wall = time.monotonic() - t0
    log = con.read_bytes().decode(errors="replace")
    print(f"qemu tcg, 2 CPUs: power-off after {wall:.1f} s wall")
    assert r.returncode == 0, r.stderr
    assert "HVSIM-LINUX-INIT-OK cpus=0-1" in log, log[-2000:]
    assert "reboot: Power down" in log, log[-2000:]
