/*
 * journal.h — the undo log of the simulated disks: every write a run
 * makes to a disk image (the root's disks, the NVMe device's medium)
 * while the run has checkpoints, with the bytes it replaced and the
 * bytes it wrote. Restoring a checkpoint rolls the image files back (or
 * forward) to the checkpoint's position in the log, so a disk is part of
 * the whole-simulation state without a copy of the image per checkpoint.
 * Host code of the simulator; the log lives outside the run's arena, as
 * the files do.
 *
 * Re-executing from a restored checkpoint writes what the log already
 * holds (the simulation is deterministic): a write equal to the next
 * entry only moves the position, so later checkpoints stay reachable; a
 * different one drops the entries after the position.
 */
#ifndef SIM_JOURNAL_H
#define SIM_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim;

struct sim_journal_entry {
  int fd;
  uint32_t len;
  uint64_t off;   /* in the file */
  uint64_t data;  /* offset in the journal's bytes: the old bytes, then the new */
};

struct sim_journal {
  struct sim_journal_entry *e;
  uint64_t n, cap;       /* entries logged */
  uint64_t pos;          /* entries whose writes the files hold now */
  uint8_t *bytes;
  uint64_t nbytes, capbytes;
  int error;             /* a file could not be read or written back: 0, else errno */
};

/* sim_disk_pwrite (sim.h) logs into s->journal when it is set. */
/* Make the files what they were at log position pos (undo or redo).
 * Returns 0, or -1 (pos past the log, or a file error). */
int sim_journal_seek(struct sim_journal *j, uint64_t pos);
void sim_journal_free(struct sim_journal *j);

#endif /* SIM_JOURNAL_H */
