"""`hvsim debug DIR` (issue 17): time travel over a recorded run of
quickstart, scripted from stdin, with its exact transcript: goto an event,
prev across a checkpoint boundary (checkpoints every 500 events: back from
1000 restores the one at 500 and re-runs), next to an expectation filter,
watch a page and run to its previous and next change, goto a time, print
partitions and registers. Only the checkpoints' byte count is left out
(it holds the live part of the coroutine stacks, which differs between
compilers).
"""

import os
import re
import subprocess

from hvsim_driver import golden

SCRIPT = """goto 1000
prev
next { event: guest, partition: db }
watch page db 0x0
prev watch
print page db 0x0
next watch
goto 0.5ms
print partitions
next vm_state
print regs root 0
quit
"""

EXPECTED = """debug: scenarios/quickstart.yaml seed 1, 2298 events, 5 checkpoints every 500 events (N bytes)
> goto 1000
at event 1000 of 2298 (1481.301 us) [restored a checkpoint, re-ran 0 events]
> prev
at event 999 of 2298 (1480.322 us) [restored a checkpoint, re-ran 500 events]
> next { event: guest, partition: db }
at event 1188 of 2298 (1612.473 us) [restored a checkpoint, re-ran 188 events]
matched {"seq":1185,"t":3224075,"us":1612.037,"kind":"guest","lp":3,"partition":3,"vp":0,"a":1,"b":0,"c":0}
> watch page db 0x0
watching db GPA 0x0 (hash f170d4dfdd3bfaff)
> prev watch
at event 167 of 2298 (825.126 us) [restored a checkpoint, re-ran 1355 events]
> print page db 0x0
db GPA 0x0 -> SPA 0x41f1000, ram of partition slot 2, hash f170d4dfdd3bfaff
56 48 53 56 42 4f 4f 54 6d 65 6d 74 6f 75 63 68 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
00 00 00 00 00 00 00 00 00 00 00 04 00 00 00 00 01 00 00 00 01 00 00 00 5e 55 32 fb ee a2 93 f8
> next watch
at event 2277 of 2298 (5002.941 us)
> goto 0.5ms
at event 96 of 2298 (491.534 us) [restored a checkpoint, re-ran 96 events]
> print partitions
slot id   vm         state       ram_pages     pool  vps
0    1    root       active         120654        0    4
1    2    web        active           9984       19    0
> next vm_state
at event 142 of 2298 (808.579 us)
matched {"seq":138,"t":1616091,"us":808.045,"kind":"vm_state","lp":0,"partition":1,"vp":0,"a":1,"b":1,"c":2,"vm_id":1,"vm":"web","from":"Starting","to":"Running"}
> print regs root 0
rax 000000000000000b  rcx 0000000000000040  rdx 000000000018a000  rbx 0000000000000000
rsp 0000000000000000  rbp 0000000000000000  rsi 0000000000188000  rdi 0000000000000000
r8  000000000018b000  r9  0000000000000000  r10 0000000000000000  r11 0000000000000000
r12 0000000000000000  r13 0000000000000000  r14 0000000000000000  r15 0000000000000000
rip 00000000001000f5  rflags 0000000000000002  cr0 0000000000000010  efer 0000000000000000
> quit
"""


def test_debug_script(hvsim_bin, run_dir):
    trace = run_dir("q")
    subprocess.run([str(hvsim_bin), "run", "scenarios/quickstart.yaml", "--trace-dir", str(trace), "--quiet"],
                   cwd=golden.REPO_ROOT, capture_output=True, check=True, timeout=300)
    p = subprocess.run([str(hvsim_bin), "debug", str(trace), "--every", "500"], input=SCRIPT,
                       cwd=golden.REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    got = re.sub(r"\(\d+ bytes\)", "(N bytes)", p.stdout)
    assert got == EXPECTED, "transcript differs:\n" + got


def test_debug_refuses_a_changed_scenario(hvsim_bin, run_dir, tmp_path):
    scn = tmp_path / "s.yaml"
    src = open(os.path.join(golden.REPO_ROOT, "scenarios", "hello.yaml")).read()
    scn.write_text(src)
    trace = run_dir("h")
    subprocess.run([str(hvsim_bin), "run", str(scn), "--trace-dir", str(trace), "--quiet"],
                   capture_output=True, check=True, timeout=300)
    scn.write_text(src + "\n# changed\n")
    p = subprocess.run([str(hvsim_bin), "debug", str(trace)], input="quit\n", capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 2
    assert "is not the scenario the run recorded" in p.stderr
