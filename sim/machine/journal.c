/*
 * journal.c — the undo log of the simulated disks (see journal.h).
 */
#include "journal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

static int journal_grow(struct sim_journal *j, uint64_t len) {
  if (j->n == j->cap) {
    uint64_t cap = j->cap ? j->cap * 2 : 256;
    struct sim_journal_entry *e = realloc(j->e, cap * sizeof *e);
    if (!e)
      return -1;
    j->e = e, j->cap = cap;
  }
  if (j->nbytes + 2 * len > j->capbytes) {
    uint64_t cap = j->capbytes ? j->capbytes : 1u << 16;
    while (cap < j->nbytes + 2 * len)
      cap *= 2;
    uint8_t *b = realloc(j->bytes, cap);
    if (!b)
      return -1;
    j->bytes = b, j->capbytes = cap;
  }
  return 0;
}

/* Log a write about to happen; false when out of memory or unreadable. */
static int journal_log(struct sim_journal *j, int fd, const void *buf, size_t len, uint64_t off) {
  if (j->pos < j->n) {
    struct sim_journal_entry *e = &j->e[j->pos];
    if (e->fd == fd && e->off == off && e->len == len && memcmp(j->bytes + e->data + len, buf, len) == 0) {
      j->pos++; /* re-executed: the same write as logged */
      return 0;
    }
    j->n = j->pos; /* a different future */
    j->nbytes = j->n ? j->e[j->n - 1].data + 2 * (uint64_t)j->e[j->n - 1].len : 0;
  }
  if (journal_grow(j, len) != 0)
    return -1;
  struct sim_journal_entry *e = &j->e[j->n];
  *e = (struct sim_journal_entry){fd, (uint32_t)len, off, j->nbytes};
  ssize_t got = pread(fd, j->bytes + e->data, len, (off_t)off);
  if (got < 0)
    return -1;
  memset(j->bytes + e->data + got, 0, len - (size_t)got); /* past the end of the file reads as zero */
  memcpy(j->bytes + e->data + len, buf, len);
  j->nbytes += 2 * (uint64_t)len;
  j->n++;
  j->pos = j->n;
  return 0;
}

long sim_disk_pwrite(struct sim *s, int fd, const void *buf, size_t len, uint64_t off) {
  if (s->journal && journal_log(s->journal, fd, buf, len, off) != 0) {
    s->journal->error = errno ? errno : ENOMEM;
    return -1;
  }
  return pwrite(fd, buf, len, (off_t)off);
}

static int journal_put(struct sim_journal *j, const struct sim_journal_entry *e, bool new_bytes) {
  const uint8_t *b = j->bytes + e->data + (new_bytes ? e->len : 0);
  if (pwrite(e->fd, b, e->len, (off_t)e->off) != (ssize_t)e->len) {
    j->error = errno ? errno : EIO;
    return -1;
  }
  return 0;
}

int sim_journal_seek(struct sim_journal *j, uint64_t pos) {
  if (pos > j->n)
    return -1;
  while (j->pos > pos)
    if (journal_put(j, &j->e[--j->pos], false) != 0)
      return -1;
  while (j->pos < pos)
    if (journal_put(j, &j->e[j->pos++], true) != 0)
      return -1;
  return 0;
}

void sim_journal_free(struct sim_journal *j) {
  free(j->e);
  free(j->bytes);
  memset(j, 0, sizeof *j);
}
