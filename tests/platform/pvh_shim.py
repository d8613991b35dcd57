"""A PVH ELF that QEMU boots with `-kernel` and that hands the CPU over to
what one of the worker's loaders wrote (`hvsim platform load-linux` /
`load-multiboot`): one segment at STAGING holds a 32-bit stub, a copy table
and every range the loader wrote; after the firmware has run, QEMU enters
the stub through the ELF's XEN_ELFNOTE_PHYS32_ENTRY note (32-bit protected
mode, paging off — the state our loaders promise), the stub copies each
range to its GPA and jumps to the loader's entry with its EAX and EBX.
"""

import os
import struct

STAGING = 0x6000000  # above the kernels' ranges, below the VM sizes the tests use


def stub(table, entry, eax, ebx):
    """For each (src, dst, len) at table: rep movsb; then EAX, EBX, jump. No stack."""
    code = bytearray()
    code += b"\xba" + struct.pack("<I", table)  # mov edx, table
    code += b"\x8b\x4a\x08"                     # loop: mov ecx, [edx+8]
    code += b"\x85\xc9"                         # test ecx, ecx
    code += b"\x74\x0d"                         # jz done
    code += b"\x8b\x32"                         # mov esi, [edx]
    code += b"\x8b\x7a\x04"                     # mov edi, [edx+4]
    code += b"\xfc\xf3\xa4"                     # cld; rep movsb
    code += b"\x83\xc2\x0c"                     # add edx, 12
    code += b"\xeb\xec"                         # jmp loop
    code += b"\xbb" + struct.pack("<I", ebx)    # done: mov ebx, imm32
    code += b"\xb8" + struct.pack("<I", eax)    # mov eax, imm32
    code += b"\xb9" + struct.pack("<I", entry)  # mov ecx, entry
    code += b"\xff\xe1"                         # jmp ecx
    return bytes(code)


def build(dump_dir, path):
    """Write the PVH ELF for the loader output in dump_dir (ranges, regs)."""
    ranges = []
    for line in open(os.path.join(dump_dir, "ranges")):
        gpa, size, name = line.split()
        ranges.append((int(gpa, 16), open(os.path.join(dump_dir, name), "rb").read()))
    regs = {k: int(v, 16) for k, v in (line.split() for line in open(os.path.join(dump_dir, "regs")))}
    body, table = bytearray(4096), bytearray()  # page 0: the stub and the table
    for gpa, data in ranges:
        assert gpa + len(data) <= STAGING or gpa >= STAGING + 4096 + sum(len(d) for _, d in ranges)
        table += struct.pack("<III", STAGING + len(body), gpa, len(data))
        body += data
    table += struct.pack("<III", 0, 0, 0)
    assert 64 + len(table) <= 4096
    body[64:64 + len(table)] = table
    code = stub(STAGING + 64, regs["rip"], regs["rax"], regs["rbx"])
    body[0:len(code)] = code
    note = struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I", STAGING)  # XEN_ELFNOTE_PHYS32_ENTRY
    ehsize, phsize, data_off = 52, 32, 4096
    note_off = ehsize + 2 * phsize
    eh = b"\x7fELF\x01\x01\x01" + bytes(9) + struct.pack(
        "<HHIIIIIHHHHHH", 2, 3, 1, STAGING, ehsize, 0, 0, ehsize, phsize, 2, 0, 0, 0)
    load = struct.pack("<IIIIIIII", 1, data_off, STAGING, STAGING, len(body), len(body), 7, 4096)
    pnote = struct.pack("<IIIIIIII", 4, note_off, 0, 0, len(note), len(note), 4, 4)
    head = eh + load + pnote + note
    with open(path, "wb") as f:
        f.write(head + bytes(data_off - len(head)) + body)
