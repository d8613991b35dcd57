"""The platform devices of a VM's worker at level 1, and the kernel keys:

- scenarios/platform-devices.yaml: our platform-check program finds the ACPI
  tables and COM1 as an OS would, prints a report and powers off; the
  console logs hold exactly the bytes of the `serial` trace records, and
  VMMS turned each VM Off after its S5 write;
- a VM with a kernel: `hvsim check` accepts it (the root's loader checked
  the image in a dry run), level 1 refuses to run it with file:line:col
  naming the level, and images the loader refuses are errors at their key.
"""

import os
import struct
import subprocess

import pytest

from hvsim_driver import read_trace, run

SCENARIO = os.path.join("scenarios", "platform-devices.yaml")


def test_console_logs_are_the_serial_records(hvsim_bin, tmp_path):
    r = run(SCENARIO, seed=1, trace_dir=tmp_path / "run", binary=hvsim_bin)
    assert r.exit_code == 0, r.explain()
    logs = {name: (tmp_path / "run" / f"console-{name}.log").read_bytes() for name in ("acpi2", "pm1")}
    assert logs["acpi2"] == b"HVSIM-PLATFORM-OK vps=2 madt=2 s5=5 via=sleep-control\n"
    assert logs["pm1"] == b"HVSIM-PLATFORM-OK vps=1 madt=1 s5=5 via=pm1a\n"
    trace = read_trace(r.trace_dir)
    serial = {}
    for ev in trace.events:
        if ev.kind == 34:  # serial: a = VM id, b = the byte
            serial.setdefault(ev.a, bytearray()).append(ev.b)
    names = trace.meta.vm_names
    assert {names[vm - 1]: bytes(b) for vm, b in serial.items()} == logs
    for vm in (1, 2):  # vm_state records (a = VM id, c = new state): Running -> Stopping -> Off, no stop asked for
        states = [ev.c for ev in trace.events if ev.kind == 14 and ev.a == vm]
        assert states[-3:] == [2, 4, 0], states


def scenario(tmp_path, kernel_yaml, memory="256MiB", extra=""):
    f = tmp_path / "k.yaml"
    f.write_text(f"""version: 1
name: kernel
machine: {{ lps: 2, memory: 512MiB }}
partitions:
  - name: linux
    memory: {memory}
    vps: 2
    kernel: {kernel_yaml}
{extra}timeline:
  - {{ at: 0ms, start: [linux] }}
""")
    return f


def test_level1_refuses_a_kernel_that_check_accepts(hvsim_bin, guest_image, tmp_path):
    vmlinux, initrd = os.path.join(guest_image, "vmlinux"), os.path.join(guest_image, "initramfs.cpio")
    f = scenario(tmp_path, f'{{ linux: {vmlinux}, initrd: {initrd}, cmdline: "console=ttyS0 quiet" }}')
    c = subprocess.run([hvsim_bin, "check", str(f)], capture_output=True, text=True)
    assert c.returncode == 0, c.stderr
    r = subprocess.run([hvsim_bin, "run", str(f), "--quiet"], capture_output=True, text=True)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"{f}:8:13: partitions[0].kernel: level 1 (the model simulator) cannot boot a kernel")
    assert "--backend bochs-vmx" in lines[0]


def test_a_vm_too_small_for_the_kernel_is_refused_at_check(hvsim_bin, guest_image, tmp_path):
    vmlinux, initrd = os.path.join(guest_image, "vmlinux"), os.path.join(guest_image, "initramfs.cpio")
    f = scenario(tmp_path, f"{{ linux: {vmlinux}, initrd: {initrd} }}", memory="72MiB")
    c = subprocess.run([hvsim_bin, "check", str(f)], capture_output=True, text=True)
    assert c.returncode == 2
    assert f"{f}:8:22: partitions[0].kernel.linux: it does not fit the VM's memory (0x4a00000)" in c.stderr


def multiboot_elf(path, entry_in_image=True):
    """A minimal ELF32 multiboot kernel: one PT_LOAD at 1 MiB holding the header."""
    text = bytearray(64)
    struct.pack_into("<III", text, 0, 0x1BADB002, 0x3, (-(0x1BADB002 + 0x3)) & 0xFFFFFFFF)
    text[12:14] = b"\xf4\xeb"  # hlt; jmp
    entry = 0x10000C if entry_in_image else 0x300000
    eh = bytearray(52)
    eh[:16] = b"\x7fELF\x01\x01\x01" + bytes(9)
    struct.pack_into("<HHIIIIIHHHHHH", eh, 16, 2, 3, 1, entry, 52, 0, 0, 52, 32, 1, 0, 0, 0)
    ph = struct.pack("<IIIIIIII", 1, 84, 0x100000, 0x100000, len(text), 0x1000, 5, 0x1000)
    path.write_bytes(bytes(eh) + ph + bytes(text))


def test_multiboot_kernel_checked_by_the_loader(hvsim_bin, tmp_path):
    k = tmp_path / "mb.elf"
    multiboot_elf(k)
    (tmp_path / "mod.bin").write_bytes(b"module")
    f = scenario(tmp_path, "{ multiboot: mb.elf, modules: [mod.bin, { path: mod.bin, cmdline: two }] }",
                 memory="4MiB", extra="    platform: [com1]\n")
    c = subprocess.run([hvsim_bin, "check", str(f)], capture_output=True, text=True)
    assert c.returncode == 0, c.stderr
    multiboot_elf(k, entry_in_image=False)
    c = subprocess.run([hvsim_bin, "check", str(f)], capture_output=True, text=True)
    assert c.returncode == 2
    assert "partitions[0].kernel.multiboot: the entry point is not inside a loaded segment" in c.stderr
