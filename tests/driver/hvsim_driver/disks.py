"""The storage writer's image, checked from the host after a run.

The `vmbus-storage` program in writer mode (models/child/vsc/vsc_storage.c)
writes self-describing sectors one at a time: u64 magic "SHVSVSC1", lba,
sequence number; write number seq goes to writer_lba(pattern, seq, region),
reproduced below. It marks each completed write (guest mark code 7, value
seq). A write the storage provider completed must be on the image whatever
stopped the writer afterwards; only the one write in flight may or may not
be there.
"""

import struct

WRITER_MAGIC = 0x3153435653564853
MARK_COUNT = 7
_M64 = (1 << 64) - 1


def writer_lba(pattern, seq, region):
    x = (pattern * 0x9E3779B97F4A7C15 + seq) & _M64
    x ^= x >> 31
    x = (x * 0xBF58476D1CE4E5B9) & _M64
    x ^= x >> 29
    return x % region


def completed_writes(trace, partition):
    """Sequence numbers the writer in `partition` saw complete, in order."""
    return [ev.b for ev in trace.events
            if ev.kind_name == "guest" and ev.partition_name == partition and ev.a == MARK_COUNT]


def check_writer_image(data, done, region, pattern):
    """Problems found on the image `data` (bytes) of a writer that saw the
    writes `done` complete: [] when every completed write is there, in the
    sector it names, and nothing else of the writer's is."""
    problems = []
    if done != list(range(1, len(done) + 1)):
        problems.append("the writer's completions are not 1, 2, 3, ... in order")
    last = len(done)
    want = {}
    for seq in range(1, last + 1):
        want[writer_lba(pattern, seq, region)] = seq
    in_flight = writer_lba(pattern, last + 1, region)  # may have reached the disk, not completed
    for lba in range(region):
        magic, num, seq = struct.unpack_from("<QQQ", data, lba * 512)
        if lba == in_flight and magic == WRITER_MAGIC and seq == last + 1:
            continue
        if lba in want:
            if (magic, num, seq) != (WRITER_MAGIC, lba, want[lba]):
                problems.append(f"sector {lba} lost completed write {want[lba]}")
        elif magic == WRITER_MAGIC:
            problems.append(f"sector {lba} holds a write that never happened")
    return problems
