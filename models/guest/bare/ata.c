/*
 * ata.c — the root's ATA disk driver (bare runtime, levels 2 and 3): the
 * storage controller of the machine, owned by the root partition as
 * Hyper-V's root owns the physical disks. PIO data-in / data-out and
 * non-data commands of ATA/ATAPI-7 (T13 1532D vol. 1 ch. 6 commands, ch.
 * 7 registers; vol. 2 ch. 11 protocols) with 28-bit LBAs: 128 GiB, far
 * above the 4 GiB a scenario's disk may have (the 48-bit EXT commands
 * would only add register writes no run exercises).
 *
 * Polled: the drive's interrupt is disabled (device control nIEN) and the
 * driver reads the status register until BSY clears. The root's storage
 * provider serves a request synchronously (guest.h: a write has reached
 * the medium when guest_root_disk_write returns), so an interrupt would
 * only let the root's VP halt while the drive works; the hypervisor still
 * preempts a polling root at its slice end or the next world event. The
 * root's I/O to these ports does not exit (the hypervisor passes the
 * machine's storage ports through to the root, and only to it), so a
 * 512-byte sector is one REP INSW/OUTSW.
 *
 * Every wait is bounded by a count of status reads, so a drive that never
 * answers fails the request instead of hanging the root.
 */
#include "ata.h"

/* Command block registers (offsets from cmd_port). */
#define ATA_DATA 0
#define ATA_FEATURES 1
#define ATA_COUNT 2
#define ATA_LBA_LO 3
#define ATA_LBA_MID 4
#define ATA_LBA_HI 5
#define ATA_DEVICE 6
#define ATA_STATUS 7  /* read */
#define ATA_COMMAND 7 /* write */

#define ATA_SR_BSY 0x80
#define ATA_SR_DF 0x20
#define ATA_SR_DRQ 0x08
#define ATA_SR_ERR 0x01
#define ATA_CTL_NIEN 0x02
#define ATA_DEV_LBA 0xE0 /* LBA mode; bits 7 and 5 obsolete, set */

#define ATA_CMD_READ 0x20
#define ATA_CMD_WRITE 0x30
#define ATA_CMD_FLUSH 0xE7
#define ATA_CMD_IDENTIFY 0xEC

#define ATA_SECTOR_WORDS 256u
#define ATA_MAX_PER_CMD 256u
#define ATA_POLLS (1u << 24)

static inline uint8_t ata_inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %w1, %b0" : "=a"(v) : "Nd"(port));
  return v;
}

static inline void ata_outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %b0, %w1" : : "a"(v), "Nd"(port)); }

/* One sector through the data register. */
static inline void ata_in_sector(uint16_t port, void *buf) {
  uint32_t n = ATA_SECTOR_WORDS;
  __asm__ volatile("rep insw" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
}

static inline void ata_out_sector(uint16_t port, const void *buf) {
  uint32_t n = ATA_SECTOR_WORDS;
  __asm__ volatile("rep outsw" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
}

/* The 400 ns a drive may take to post its status after a device-register
 * or command write: four reads of the alternate status. */
static void ata_settle(const struct bare_drive *d) {
  for (int i = 0; i < 4; i++)
    (void)ata_inb(d->ctl_port);
}

/* Poll until BSY clears; the status, or -1 after ATA_POLLS reads (a
 * floating bus reads 0xFF: BSY forever). */
static int ata_wait(const struct bare_drive *d) {
  for (uint32_t i = 0; i < ATA_POLLS; i++) {
    uint8_t s = ata_inb(d->cmd_port + ATA_STATUS);
    if (!(s & ATA_SR_BSY))
      return s;
  }
  return -1;
}

/* Select the drive (device select protocol: BSY and DRQ clear before and
 * after writing the device register). */
static bool ata_select(const struct bare_drive *d, uint8_t dev) {
  int s = ata_wait(d);
  if (s < 0 || (s & ATA_SR_DRQ))
    return false;
  ata_outb(d->cmd_port + ATA_DEVICE, (uint8_t)(dev | (d->slave ? 0x10 : 0)));
  ata_settle(d);
  s = ata_wait(d);
  return s >= 0 && !(s & ATA_SR_DRQ);
}

static void ata_command(const struct bare_drive *d, uint8_t cmd) {
  ata_outb(d->cmd_port + ATA_COMMAND, cmd);
  ata_settle(d);
}

/* The taskfile of a read or write of n (1..256) sectors at lba. */
static bool ata_issue(const struct bare_drive *d, const struct ata_info *info, uint64_t lba, uint32_t n, uint8_t cmd) {
  if (lba > info->sectors || n > info->sectors - lba)
    return false;
  if (!ata_select(d, (uint8_t)(ATA_DEV_LBA | ((lba >> 24) & 0xF))))
    return false;
  uint16_t p = d->cmd_port;
  ata_outb(p + ATA_FEATURES, 0);
  ata_outb(p + ATA_COUNT, (uint8_t)n); /* 0 = 256 sectors */
  ata_outb(p + ATA_LBA_LO, (uint8_t)lba);
  ata_outb(p + ATA_LBA_MID, (uint8_t)(lba >> 8));
  ata_outb(p + ATA_LBA_HI, (uint8_t)(lba >> 16));
  ata_command(d, cmd);
  return true;
}

/* Wait for the drive to ask for (or offer) the next sector. */
static bool ata_wait_drq(const struct bare_drive *d) {
  int s = ata_wait(d);
  return s >= 0 && !(s & (ATA_SR_ERR | ATA_SR_DF)) && (s & ATA_SR_DRQ);
}

/* The end of a command: not busy, no error, nothing left to transfer. */
static bool ata_wait_done(const struct bare_drive *d) {
  int s = ata_wait(d);
  return s >= 0 && !(s & (ATA_SR_ERR | ATA_SR_DF | ATA_SR_DRQ));
}

bool ata_identify(const struct bare_drive *d, struct ata_info *info) {
  uint16_t id[ATA_SECTOR_WORDS];
  info->sectors = 0;
  ata_outb(d->ctl_port, ATA_CTL_NIEN);
  if (ata_inb(d->cmd_port + ATA_STATUS) == 0xFF || !ata_select(d, ATA_DEV_LBA))
    return false; /* nothing on the bus */
  ata_command(d, ATA_CMD_IDENTIFY);
  if (ata_inb(d->cmd_port + ATA_STATUS) == 0 || !ata_wait_drq(d))
    return false; /* no device, or a packet device (it aborts IDENTIFY) */
  ata_in_sector(d->cmd_port + ATA_DATA, id);
  if (!ata_wait_done(d) || (id[0] & 0x8000))
    return false;                                            /* word 0 bit 15: not an ATA device */
  info->sectors = (uint64_t)id[60] | (uint64_t)id[61] << 16; /* user-addressable sectors, 28-bit */
  return info->sectors != 0;
}

/* n sectors at lba between the drive and p, in commands of at most 256;
 * a write completes only when the drive says its last sector is done. */
static bool ata_pio(const struct bare_drive *d, const struct ata_info *info, uint64_t lba, uint8_t *p, uint32_t n,
                    bool write) {
  while (n) {
    uint32_t k = n < ATA_MAX_PER_CMD ? n : ATA_MAX_PER_CMD;
    if (!ata_issue(d, info, lba, k, write ? ATA_CMD_WRITE : ATA_CMD_READ))
      return false;
    for (uint32_t i = 0; i < k; i++, p += 512) {
      if (!ata_wait_drq(d))
        return false;
      if (write)
        ata_out_sector(d->cmd_port + ATA_DATA, p);
      else
        ata_in_sector(d->cmd_port + ATA_DATA, p);
    }
    if (!ata_wait_done(d))
      return false;
    lba += k;
    n -= k;
  }
  return true;
}

bool ata_read(const struct bare_drive *d, const struct ata_info *info, uint64_t lba, void *buf, uint32_t n) {
  return ata_pio(d, info, lba, buf, n, false);
}

bool ata_write(const struct bare_drive *d, const struct ata_info *info, uint64_t lba, const void *buf, uint32_t n) {
  return !d->read_only && ata_pio(d, info, lba, (uint8_t *)(uintptr_t)buf, n, true); /* only read from */
}

bool ata_flush(const struct bare_drive *d) {
  if (!ata_select(d, ATA_DEV_LBA))
    return false;
  ata_command(d, ATA_CMD_FLUSH);
  return ata_wait_done(d);
}
