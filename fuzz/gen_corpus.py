#!/usr/bin/python3
"""gen_corpus.py — writes the seed corpora and the hypercall dictionary.

  fuzz/corpus/hypercalls/*   programs in the hypercalls harness's input format
                             (see fuzz_hypercalls.c): the hypercall sequences the
                             scenario suite makes the root and its children issue
  fuzz/corpus/scenario/*     copies of scenarios/*.yaml and tests/malformed/*.yaml
  fuzz/hypercalls.dict       call codes, MSR numbers, register names, page tokens
                             (libFuzzer / AFL++ -x dictionary), from hvgdk.h

Run from anywhere: /usr/bin/python3 fuzz/gen_corpus.py. Deterministic: the same
tree gives the same files.
"""

import os
import re
import shutil
import struct

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
HVGDK = os.path.join(ROOT, "hv", "include", "hv", "hvgdk.h")


def constants(prefixes):
    """#define NAME value lines of hvgdk.h whose name starts with a prefix."""
    out = {}
    with open(HVGDK) as f:
        for line in f:
            m = re.match(r"#define\s+(\w+)\s+(0x[0-9A-Fa-f]+|\d+)u?(?:ll)?u?\b", line)
            if m and m.group(1).startswith(prefixes):
                out[m.group(1)] = int(m.group(2), 0)
    return out


K = constants(("HVCALL_", "HV_X64_MSR_", "HV_REGISTER_", "HV_X64_REGISTER_",
               "HV_PARTITION_PROPERTY_", "HV_MAP_GPA_", "X2APIC_MSR_", "HV_STATUS_"))

# ---- the harness's input format (fuzz_hypercalls.c) -----------------------
SELF = 0xFFFFFFFFFFFFFFFF
ROOT_ID, CHILD_A, CHILD_B, NEW_ID = 1, 2, 3, 4  # ids in the harness's world
ROOT_SLOT, A_SLOT, B_SLOT, NEW_SLOT = 0, 1, 2, 3


def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v & 0xFFFFFFFF)
def u64(v): return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def page(k):
    """Token: the root's k-th spare page number."""
    return (0xF00DF0 << 40) | k


def page_gpa(k):
    """Token: the GPA of the root's k-th spare page."""
    return (0xF00DF1 << 40) | k


def who(slot, vp=0):
    return slot | (vp << 3)


def control(code, reps=0, fast=False, start=0):
    return code | (reps << 32) | (start << 48) | ((1 << 16) if fast else 0)


def hc(caller, ctl, data=b"", where=0):
    return bytes([0, caller, where]) + u64(ctl) + u16(len(data)) + data


def wrmsr(caller, msr, value):
    return bytes([2, caller]) + u32(msr) + u64(value)


def rdmsr(caller, msr):
    return bytes([3, caller]) + u32(msr)


def time(ticks):
    return bytes([4]) + u32(ticks)


def irq(lp, vector):
    return bytes([5, lp, vector])


C = K  # short alias for call codes


class Spare:
    """Hands out the root's spare pages in order, as page tokens."""

    def __init__(self):
        self.next = 0

    def take(self, n):
        first = self.next
        self.next += n
        return [page(first + i) for i in range(n)]


def deposit(caller, target, pages):
    return hc(caller, control(C["HVCALL_DEPOSIT_MEMORY"], len(pages)),
              u64(target) + b"".join(u64(p) for p in pages))


def map_pages(caller, target, base, pages, flags=7):
    return hc(caller, control(C["HVCALL_MAP_GPA_PAGES"], len(pages)),
              u64(target) + u64(base) + u32(flags) + u32(0) + b"".join(u64(p) for p in pages))


def unmap_pages(caller, target, base, n):
    return hc(caller, control(C["HVCALL_UNMAP_GPA_PAGES"], n),
              u64(target) + u64(base) + u32(0) + u32(0))


def simple(caller, name, data=b""):
    return hc(caller, control(C[name]), data)


def create_vp(caller, target, index):
    return simple(caller, "HVCALL_CREATE_VP", u64(target) + u32(index) + u32(0) + bytes(24))


def set_regs(caller, target, vp, regs):
    body = u64(target) + u32(vp) + u32(0)
    for name, value in regs:
        body += u32(name) + u32(0) + u64(0) + u64(value) + u64(0)
    return hc(caller, control(C["HVCALL_SET_VP_REGISTERS"], len(regs)), body)


def get_regs(caller, target, vp, names):
    body = u64(target) + u32(vp) + u32(0) + b"".join(u32(n) for n in names)
    return hc(caller, control(C["HVCALL_GET_VP_REGISTERS"], len(names)), body)


def get_property(caller, target, prop):
    return simple(caller, "HVCALL_GET_PARTITION_PROPERTY", u64(target) + u32(prop) + u32(0))


def set_property(caller, target, prop, value):
    return simple(caller, "HVCALL_SET_PARTITION_PROPERTY", u64(target) + u32(prop) + u32(0) + u64(value))


def build_child(sp, mem_pages=8, vps=1, start=True):
    """The root's VID sequence for a new child (id NEW_ID, slot NEW_SLOT)."""
    R = who(ROOT_SLOT)
    ops = [deposit(R, SELF, sp.take(2)),
           simple(R, "HVCALL_CREATE_PARTITION", bytes(56)),
           deposit(R, NEW_ID, sp.take(4 + vps)),
           simple(R, "HVCALL_INITIALIZE_PARTITION", u64(NEW_ID))]
    if mem_pages:
        ops.append(map_pages(R, NEW_ID, 0, sp.take(mem_pages)))
    for i in range(vps):
        ops.append(create_vp(R, NEW_ID, i))
        if start:
            ops.append(set_regs(R, NEW_ID, i, [(K["HV_X64_REGISTER_RIP"], 0x1000),
                                               (K["HV_REGISTER_EXPLICIT_SUSPEND"], 0)]))
    return ops


def teardown_child(sp, withdraw=8):
    R = who(ROOT_SLOT)
    return [simple(R, "HVCALL_FINALIZE_PARTITION", u64(NEW_ID)),
            simple(R, "HVCALL_DELETE_PARTITION", u64(NEW_ID)),
            hc(R, control(C["HVCALL_WITHDRAW_MEMORY"], withdraw), u64(SELF) + u64(0))]


def seeds():
    out = {}
    R, A, B = who(ROOT_SLOT), who(A_SLOT), who(B_SLOT)
    A1 = who(A_SLOT, 1)

    sp = Spare()
    out["vm-lifecycle"] = build_child(sp) + [
        get_property(R, NEW_ID, K["HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS"]),
        simple(R, "HVCALL_GET_NEXT_CHILD_PARTITION", u64(SELF) + u64(0)),
        simple(R, "HVCALL_GET_MEMORY_BALANCE", u64(NEW_ID) + u64(0)),
        get_regs(R, NEW_ID, 0, [K["HV_X64_REGISTER_RIP"], K["HV_REGISTER_EXPLICIT_SUSPEND"]]),
    ] + teardown_child(sp)

    sp = Spare()
    out["vm-pause-resume"] = build_child(sp, vps=2) + [
        set_property(R, NEW_ID, K["HV_PARTITION_PROPERTY_SUSPEND"], 1),
        time(1000),
        set_property(R, NEW_ID, K["HV_PARTITION_PROPERTY_SUSPEND"], 0),
        simple(R, "HVCALL_DELETE_VP", u64(NEW_ID) + u32(1) + u32(0)),
    ] + teardown_child(sp)

    sp = Spare()
    out["set-privileges-before-init"] = [
        deposit(R, SELF, sp.take(2)),
        simple(R, "HVCALL_CREATE_PARTITION", bytes(56)),
        set_property(R, NEW_ID, K["HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS"], 0x3F),
        deposit(R, NEW_ID, sp.take(6)),
        simple(R, "HVCALL_INITIALIZE_PARTITION", u64(NEW_ID)),
        simple(R, "HVCALL_DELETE_PARTITION", u64(NEW_ID)),
        simple(R, "HVCALL_FINALIZE_PARTITION", u64(NEW_ID)),
        simple(R, "HVCALL_DELETE_PARTITION", u64(NEW_ID)),
    ]

    sp = Spare()
    out["map-unmap-remap"] = build_child(sp, mem_pages=4) + [
        unmap_pages(R, NEW_ID, 1, 2),
        map_pages(R, NEW_ID, 1, sp.take(2), flags=1),
        map_pages(R, NEW_ID, 0x100, sp.take(3), flags=3),
        unmap_pages(R, NEW_ID, 0, 8),
    ] + teardown_child(sp)

    # 600 pages mapped, unmapped in one call: a continuation after 512 reps
    sp = Spare()
    out["unmap-continuation"] = build_child(sp, mem_pages=0, vps=0) + [
        deposit(R, NEW_ID, sp.take(4)),
        map_pages(R, NEW_ID, 0, sp.take(500)),
        map_pages(R, NEW_ID, 500, sp.take(100)),
        unmap_pages(R, NEW_ID, 0, 600),
    ] + teardown_child(sp)

    sp = Spare()
    out["overcommit"] = [
        deposit(R, SELF, sp.take(2)),
        simple(R, "HVCALL_CREATE_PARTITION", bytes(56)),
        simple(R, "HVCALL_INITIALIZE_PARTITION", u64(NEW_ID)),   # no pool: INSUFFICIENT_MEMORY
        deposit(R, NEW_ID, sp.take(1)),
        simple(R, "HVCALL_INITIALIZE_PARTITION", u64(NEW_ID)),
        map_pages(R, NEW_ID, 0, sp.take(4)),                    # tables: INSUFFICIENT_MEMORY
        deposit(R, NEW_ID, sp.take(3)),
        map_pages(R, NEW_ID, 0, sp.take(4)),
        create_vp(R, NEW_ID, 0),                                # no page left for the VP
        hc(R, control(C["HVCALL_WITHDRAW_MEMORY"], 4), u64(NEW_ID) + u64(0)),
    ]

    # the bad actor: a child tries what only the root may do
    out["bad-actor"] = [
        simple(A, "HVCALL_CREATE_PARTITION", bytes(56)),
        deposit(A, ROOT_ID, [0, 1, 2]),
        deposit(A, SELF, [3]),
        map_pages(A, CHILD_B, 0, [4]),
        unmap_pages(A, CHILD_B, 0, 1),
        simple(A, "HVCALL_FINALIZE_PARTITION", u64(CHILD_B)),
        simple(A, "HVCALL_DELETE_PARTITION", u64(CHILD_B)),
        set_property(A, CHILD_B, K["HV_PARTITION_PROPERTY_SUSPEND"], 1),
        set_property(A, SELF, K["HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS"], SELF),
        get_regs(A, CHILD_B, 0, [K["HV_X64_REGISTER_RIP"]]),
        set_regs(A, ROOT_ID, 0, [(K["HV_X64_REGISTER_RIP"], 0)]),
        create_vp(A, SELF, 5),
        simple(A, "HVCALL_DELETE_VP", u64(CHILD_B) + u32(0) + u32(0)),
        hc(A, control(C["HVCALL_WITHDRAW_MEMORY"], 1), u64(ROOT_ID) + u64(0)),
        simple(A, "HVCALL_GET_MEMORY_BALANCE", u64(ROOT_ID) + u64(0)),
        simple(A, "HVCALL_GET_NEXT_CHILD_PARTITION", u64(ROOT_ID) + u64(0)),
    ]

    # a guest's own calls: identity, registers, spin-wait hint, MSRs
    out["guest-self"] = [
        wrmsr(A, K["HV_X64_MSR_GUEST_OS_ID"], 0x8100000000000000),
        wrmsr(A, K["HV_X64_MSR_HYPERCALL"], 0x1000 | 1),
        rdmsr(A, K["HV_X64_MSR_HYPERCALL"]),
        rdmsr(A, K["HV_X64_MSR_VP_INDEX"]),
        rdmsr(A1, K["HV_X64_MSR_VP_INDEX"]),
        time(5000),
        rdmsr(A, K["HV_X64_MSR_TIME_REF_COUNT"]),
        simple(A, "HVCALL_GET_PARTITION_ID"),
        get_property(A, SELF, K["HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS"]),
        get_regs(A, SELF, 0xFFFFFFFE, [K["HV_X64_REGISTER_RAX"], K["HV_REGISTER_VP_INDEX"],
                                       K["HV_REGISTER_GUEST_OS_ID"]]),
        set_regs(A, SELF, 1, [(K["HV_X64_REGISTER_CR3"], 0x5000), (K["HV_REGISTER_GUEST_OS_ID"], 7)]),
        hc(A, control(C["HVCALL_NOTIFY_LONG_SPIN_WAIT"], fast=True), u32(100) + u32(0)),
        wrmsr(A, K["HV_X64_MSR_GUEST_OS_ID"], 0),               # disables the hypercall page
        simple(A, "HVCALL_GET_PARTITION_ID"),                    # #UD now
        wrmsr(A, K["HV_X64_MSR_HYPERCALL"], 0x1000 | 3),
    ]

    # ABI corners: bad control values, alignment, overlap, unknown codes
    out["abi-corners"] = [
        hc(R, control(0xFFFF)),
        hc(R, C["HVCALL_GET_PARTITION_ID"] | (1 << 27)),               # reserved bit
        hc(R, C["HVCALL_GET_PARTITION_ID"] | (3 << 17)),               # variable header
        hc(R, control(C["HVCALL_GET_PARTITION_ID"], reps=2)),          # reps on a simple call
        hc(R, control(C["HVCALL_DEPOSIT_MEMORY"], reps=2, start=2), u64(SELF)),
        hc(R, control(C["HVCALL_GET_PARTITION_ID"], fast=True)),       # fast with output
        hc(R, control(C["HVCALL_GET_PARTITION_ID"]), where=0x10),      # output misaligned
        hc(R, control(C["HVCALL_GET_PARTITION_ID"]), where=0x30),      # output crosses a page
        hc(R, control(C["HVCALL_GET_PARTITION_PROPERTY"]), u64(SELF) + u32(0x10000) + u32(0), where=0x50),
        hc(R, control(C["HVCALL_GET_PARTITION_PROPERTY"]), u64(SELF) + u32(0x10000) + u32(0), where=0x02),
        hc(R, control(C["HVCALL_GET_PARTITION_PROPERTY"]), u64(SELF) + u32(0x10000) + u32(0), where=0xA9),
        hc(R, control(C["HVCALL_GET_PARTITION_PROPERTY"]), u64(SELF) + u32(0x10000) + u32(0), where=0xDD),
        hc(R, control(C["HVCALL_GET_VP_REGISTERS"], reps=300), u64(SELF) + u32(0) + u32(0)),
        hc(R, control(0x0001)), hc(R, control(0x7FFF)), hc(R, control(0x004D)),
    ]

    # a child depositing its own page while naming it as its output page
    out["deposit-output-page"] = [
        hc(R, control(C["HVCALL_DEPOSIT_MEMORY"], 1), u64(SELF) + u64(page(0)), where=0xF0),
        hc(R, control(C["HVCALL_WITHDRAW_MEMORY"], 2), u64(SELF) + u64(0), where=0xF0),
    ]

    # the VMBus server's copy between the root's and a child's memory
    if "HVCALL_HVSIM_COPY_CHILD_GPA" in C:
        cp = C["HVCALL_HVSIM_COPY_CHILD_GPA"]
        out["copy-child-gpa"] = [
            hc(R, control(cp), u64(CHILD_A) + u64(0x4000) + u64(page_gpa(0)) + u32(4096) + u32(1)),
            hc(R, control(cp), u64(CHILD_A) + u64(0x4ff0) + u64(page_gpa(1) + 8) + u32(64) + u32(0)),
            hc(R, control(cp), u64(CHILD_B) + u64(0x1F000) + u64(page_gpa(2)) + u32(8192) + u32(1)),
            hc(A, control(cp), u64(CHILD_B) + u64(0) + u64(0) + u32(16) + u32(1)),
        ]

    # SynIC: message and event pages, SINTs, timers, messages and events
    synic = [K[n] for n in ("HV_X64_MSR_SCONTROL", "HV_X64_MSR_SIEFP", "HV_X64_MSR_SIMP",
                            "HV_X64_MSR_SINT0") if n in K]
    if len(synic) == 4:
        scontrol, siefp, simp, sint0 = synic
        ops = []
        for c in (A, B):
            ops += [wrmsr(c, scontrol, 1), wrmsr(c, simp, 0x4000 | 1),
                    wrmsr(c, siefp, 0x5000 | 1), wrmsr(c, sint0 + 2, 0x40)]
        if "HVCALL_POST_MESSAGE" in C:
            ops.append(hc(A, control(C["HVCALL_POST_MESSAGE"]),
                          u32(1) + u32(0) + u32(1) + u32(16) + bytes(240)))
        if "HVCALL_SIGNAL_EVENT" in C:
            ops.append(hc(A, control(C["HVCALL_SIGNAL_EVENT"], fast=True), u32(1) + u16(0) + u16(0)))
        if "HVCALL_CREATE_PORT" in C and "HVCALL_CONNECT_PORT" in C:
            ops.append(hc(R, control(C["HVCALL_CREATE_PORT"]),
                          u64(CHILD_B) + u32(1) + u32(0) + u64(CHILD_A) + u32(1) + u32(0)
                          + u32(2) + u32(0) + u64(0) + u64(0)))
            ops.append(hc(R, control(C["HVCALL_CONNECT_PORT"]),
                          u64(CHILD_A) + u32(1) + u32(0) + u64(CHILD_B) + u32(1) + u32(0)
                          + u32(1) + u32(0) + u64(0) + u64(0)))
            if "HVCALL_POST_MESSAGE" in C:
                ops.append(hc(A, control(C["HVCALL_POST_MESSAGE"]),
                              u32(1) + u32(0) + u32(1) + u32(16) + bytes(240)))
        if "HV_X64_MSR_STIMER0_CONFIG" in K:
            ops += [wrmsr(A, K["HV_X64_MSR_STIMER0_CONFIG"] + 1, 1000),
                    wrmsr(A, K["HV_X64_MSR_STIMER0_CONFIG"], (2 << 16) | 1), time(100000)]
        if "HV_X64_MSR_EOM" in K:
            ops.append(wrmsr(B, K["HV_X64_MSR_EOM"], 0))
        ops += [irq(0, 0x30), irq(1, 0xEF)]
        out["synic"] = ops
    return out


DICT_PREFIXES = ("HVCALL_", "HV_X64_MSR_", "X2APIC_MSR_", "HV_REGISTER_", "HV_X64_REGISTER_",
                 "HV_PARTITION_PROPERTY_")


def escape(b):
    return "".join("\\x%02x" % x for x in b)


def write_dict(path):
    lines = ["# hypercalls.dict — tokens for the hypercalls harness (generated by gen_corpus.py",
             "# from hv/include/hv/hvgdk.h): call codes (u16), MSR numbers and register and",
             "# property names (u32), partition ids, and the root-spare-page token prefixes."]
    for name, value in sorted(K.items(), key=lambda kv: (kv[0].split("_")[0], kv[1])):
        if not name.startswith(DICT_PREFIXES) or name.endswith(("_ENABLE", "_LOCKED")):
            continue
        if name.startswith("HVCALL_"):
            lines.append('%s="%s"' % (name.lower(), escape(u16(value))))
        else:
            lines.append('%s="%s"' % (name.lower(), escape(u32(value))))
    for name, value in (("partition_self", SELF), ("partition_root", ROOT_ID),
                        ("partition_child_a", CHILD_A), ("partition_child_b", CHILD_B),
                        ("partition_new", NEW_ID), ("vp_index_self", 0xFFFFFFFE)):
        lines.append('%s="%s"' % (name, escape(u64(value) if value > 0xFFFFFFFF or "partition" in name
                                               else u32(value))))
    lines.append('token_spare_page="%s"' % escape(u64(page(0))[5:]))
    lines.append('token_spare_gpa="%s"' % escape(u64(page_gpa(0))[5:]))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    hdir = os.path.join(FUZZ, "corpus", "hypercalls")
    sdir = os.path.join(FUZZ, "corpus", "scenario")
    for d in (hdir, sdir):
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
    for name, ops in sorted(seeds().items()):
        with open(os.path.join(hdir, name), "wb") as f:
            f.write(b"".join(ops))
    for src in ("scenarios", os.path.join("tests", "malformed")):
        for name in sorted(os.listdir(os.path.join(ROOT, src))):
            if name.endswith(".yaml"):
                shutil.copyfile(os.path.join(ROOT, src, name),
                                os.path.join(sdir, src.replace(os.sep, "-") + "-" + name))
    write_dict(os.path.join(FUZZ, "hypercalls.dict"))
    print("gen_corpus: %d hypercall seeds, %d scenario seeds, hypercalls.dict"
          % (len(os.listdir(hdir)), len(os.listdir(sdir))))


if __name__ == "__main__":
    main()
