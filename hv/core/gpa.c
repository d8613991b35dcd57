/*
 * gpa.c — the hypervisor's own accesses to a partition's memory.
 *
 * Hypercall input and output pages are addressed by GPA in the caller's
 * space; the core translates them through the caller's SLAT, as the
 * hardware would, and copies in or out (never parses in place: the
 * caller's other VPs could change the page under it).
 */
#include "objects.h"

static hv_status_t gpa_copy(struct hv *hv, uint16_t part, gpa_t gpa, void *buf,
                            size_t len, bool write) {
  uint8_t *b = buf;
  while (len) {
    spa_t s;
    uint64_t perms;
    if (!slat_lookup(hv, part, gpa, &s, &perms))
      return HV_STATUS_INVALID_ALIGNMENT; /* TLFS: GPA out of bounds */
    if (write && !(perms & EPT_WRITE))
      return HV_STATUS_ACCESS_DENIED;
    size_t off = gpa.v & HV_PAGE_MASK;
    size_t n = HV_PAGE_SIZE - off;
    if (n > len)
      n = len;
    uint8_t *page = arch_phys_page(hv, spa(s.v & ~HV_PAGE_MASK), write);
    HV_CHECK(page != 0);
    if (write)
      hv_memcpy(page + off, b, n);
    else
      hv_memcpy(b, page + off, n);
    b += n;
    len -= n;
    gpa.v += n;
  }
  return HV_STATUS_SUCCESS;
}

hv_status_t gpa_read(struct hv *hv, uint16_t part, gpa_t gpa, void *buf, size_t len) {
  return gpa_copy(hv, part, gpa, buf, len, false);
}

hv_status_t gpa_write(struct hv *hv, uint16_t part, gpa_t gpa, const void *buf, size_t len) {
  return gpa_copy(hv, part, gpa, (void *)buf, len, true);
}
