/*
 * run_disks.c — the root's physical disks for a scenario run: each VM
 * with `disk: { path, size }` gets a raw image file (created, or grown,
 * to the size when smaller) that the root's storage VSP reads and writes
 * through guest_root_disk_* (sim/machine/guest_sim.c). Closed when the run ends;
 * every completed write is already in the file (pwrite, write-through).
 * The level-2 runner (sim/bochs) prepares the same files with
 * run_disk_image and attaches them to the emulated machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_int.h"
#include "sim/machine/sim.h"

static void run_disk_mkdirs(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    mkdir(path, 0755);
    *p = '/';
  }
}

int run_disk_image(const struct scenario *scn, const struct scn_partition *p, const char *trace_dir, char *path,
                   size_t len) {
  int n = (p->disk_path[0] == '/' || !trace_dir) ? snprintf(path, len, "%s", p->disk_path)
                                                 : snprintf(path, len, "%s/%s", trace_dir, p->disk_path);
  if (n < 0 || (size_t)n >= len) {
    fprintf(stderr, "hvsim: %s:%u:%u: disk: path too long\n", scn->path, p->disk_pos.line, p->disk_pos.col);
    return -1;
  }
  run_disk_mkdirs(path);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 ||
      ((uint64_t)st.st_size < p->disk_bytes && ftruncate(fd, (off_t)p->disk_bytes) != 0)) {
    fprintf(stderr, "hvsim: %s:%u:%u: disk: %s: %s\n", scn->path, p->disk_pos.line, p->disk_pos.col, path,
            strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  if (fd <= 2) { /* keep 0 meaning "no disk" */
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    fd = nfd;
  }
  return fd;
}

int run_vmbus_setup(struct run *r) {
  for (uint32_t i = 0; i < r->scn->npartitions && i + 1 < SIM_MAX_VDISKS; i++) {
    const struct scn_partition *p = &r->scn->partitions[i];
    if (!p->disk_path[0])
      continue;
    char path[1024];
    int fd = run_disk_image(r->scn, p, r->opts.files_dir ? r->opts.files_dir : r->opts.trace_dir, path,
                            sizeof path);
    if (fd < 0) {
      run_vmbus_finish(r);
      return -1;
    }
    r->sim.vdisks[i + 1].fd = fd;
    r->sim.vdisks[i + 1].sectors = p->disk_bytes / 512;
  }
  return 0;
}

void run_vmbus_finish(struct run *r) {
  for (uint32_t i = 0; i < SIM_MAX_VDISKS; i++) {
    if (r->sim.vdisks[i].fd > 0)
      close(r->sim.vdisks[i].fd);
    r->sim.vdisks[i].fd = 0;
  }
}
