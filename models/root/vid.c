/*
 * vid.c — VID, the root partition's memory and partition services (see
 * vid.h). Guest software: runs in the root partition, reaches the
 * hypervisor only through WinHv.
 */
#include "vid.h"

#define VID_RETRY_DEPOSIT 16 /* pages added per INSUFFICIENT_MEMORY */
#define VID_RETRIES 64

uint16_t vid_init(struct vid *v, struct guest *g, const struct root_boot *boot) {
  /* Page 0 of the range: the boot block. 1: hypercall page. 2, 3: input
   * and output pages of WinHv. 4, 5: the SynIC message and event-flag
   * pages of the root's VP 0. */
  uint64_t base = boot->first_gpfn;
  v->nfree = 0;
  v->free_pages = 0;
  if (boot->npages > VID_RESERVED_PAGES)
    vid_free(v, base + VID_RESERVED_PAGES, boot->npages - VID_RESERVED_PAGES);
  return winhv_init(&v->hv, g, (base + 1) << 12, (base + 2) << 12, (base + 3) << 12);
}

static void vid_remove_extent(struct vid *v, uint32_t i) {
  for (uint32_t k = i; k + 1 < v->nfree; k++)
    v->free[k] = v->free[k + 1];
  v->nfree--;
}

uint32_t vid_alloc(struct vid *v, uint64_t n, struct vid_extent *out, uint32_t max) {
  if (n == 0 || n > v->free_pages)
    return 0;
  uint64_t left = n;
  uint32_t k = 0;
  for (uint32_t i = 0; i < v->nfree && left && k < max; i++)
    left -= (v->free[i].n < left ? v->free[i].n : left), k++;
  if (left)
    return 0; /* too fragmented for max extents */
  left = n;
  k = 0;
  while (left) {
    struct vid_extent *e = &v->free[0];
    uint64_t take = e->n < left ? e->n : left;
    out[k].gpfn = e->gpfn;
    out[k].n = take;
    k++;
    e->gpfn += take;
    e->n -= take;
    left -= take;
    v->free_pages -= take;
    if (e->n == 0)
      vid_remove_extent(v, 0);
  }
  return k;
}

void vid_free(struct vid *v, uint64_t gpfn, uint64_t n) {
  if (n == 0)
    return;
  uint32_t i = 0;
  while (i < v->nfree && v->free[i].gpfn < gpfn)
    i++;
  v->free_pages += n;
  if (i > 0 && v->free[i - 1].gpfn + v->free[i - 1].n == gpfn) {
    v->free[i - 1].n += n;
    if (i < v->nfree && v->free[i - 1].gpfn + v->free[i - 1].n == v->free[i].gpfn) {
      v->free[i - 1].n += v->free[i].n;
      vid_remove_extent(v, i);
    }
    return;
  }
  if (i < v->nfree && gpfn + n == v->free[i].gpfn) {
    v->free[i].gpfn = gpfn;
    v->free[i].n += n;
    return;
  }
  if (v->nfree == VID_MAX_EXTENTS) {
    v->free_pages -= n; /* table full: the pages stay unused (traced by the caller) */
    return;
  }
  for (uint32_t k = v->nfree; k > i; k--)
    v->free[k] = v->free[k - 1];
  v->free[i].gpfn = gpfn;
  v->free[i].n = n;
  v->nfree++;
}

uint16_t vid_deposit(struct vid *v, uint64_t id, uint64_t n) {
  while (n) {
    struct vid_extent ext[16];
    uint64_t chunk = n < 4096 ? n : 4096;
    uint32_t k = vid_alloc(v, chunk, ext, 16);
    if (!k)
      return HV_STATUS_INSUFFICIENT_MEMORY;
    for (uint32_t i = 0; i < k; i++) {
      uint64_t list[128];
      for (uint64_t off = 0; off < ext[i].n; off += 128) {
        uint32_t m = (uint32_t)(ext[i].n - off < 128 ? ext[i].n - off : 128), done = 0;
        for (uint32_t j = 0; j < m; j++)
          list[j] = ext[i].gpfn + off + j;
        uint16_t st = winhv_deposit_memory(&v->hv, id, list, m, &done);
        if (st != HV_STATUS_SUCCESS) {
          vid_free(v, ext[i].gpfn + off + done, ext[i].n - off - done);
          return st;
        }
      }
    }
    n -= chunk;
  }
  return HV_STATUS_SUCCESS;
}

uint16_t vid_withdraw_all(struct vid *v) {
  for (;;) {
    uint64_t pages[256];
    uint32_t done = 0;
    uint16_t st = winhv_withdraw_memory(&v->hv, HV_PARTITION_ID_SELF, pages, 256, &done);
    for (uint32_t i = 0; i < done; i++)
      vid_free(v, pages[i], 1);
    if (st == HV_STATUS_NO_RESOURCES)
      return HV_STATUS_SUCCESS;
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
}

uint16_t vid_map(struct vid *v, uint64_t id, uint64_t target_gpfn, uint64_t src_gpfn, uint64_t n) {
  uint64_t list[256];
  for (uint64_t off = 0; off < n;) {
    uint32_t m = (uint32_t)(n - off < 256 ? n - off : 256), done = 0;
    for (uint32_t j = 0; j < m; j++)
      list[j] = src_gpfn + off + j;
    uint16_t st = winhv_map_gpa_pages(&v->hv, id, target_gpfn + off, HV_MAP_GPA_READABLE |
                                      HV_MAP_GPA_WRITABLE | HV_MAP_GPA_KERNEL_EXECUTABLE |
                                      HV_MAP_GPA_USER_EXECUTABLE, list, m, &done);
    off += done;
    if (st == HV_STATUS_INSUFFICIENT_MEMORY) {
      st = vid_deposit(v, id, VID_RETRY_DEPOSIT);
      if (st != HV_STATUS_SUCCESS)
        return st;
      continue;
    }
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
  return HV_STATUS_SUCCESS;
}

uint16_t vid_create_partition(struct vid *v, uint64_t *id) {
  for (int i = 0; i < VID_RETRIES; i++) {
    uint16_t st = winhv_create_partition(&v->hv, id);
    if (st != HV_STATUS_INSUFFICIENT_MEMORY)
      return st;
    st = vid_deposit(v, HV_PARTITION_ID_SELF, VID_RETRY_DEPOSIT);
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
  return HV_STATUS_INSUFFICIENT_MEMORY;
}

uint16_t vid_create_vp(struct vid *v, uint64_t id, uint32_t index) {
  for (int i = 0; i < VID_RETRIES; i++) {
    uint16_t st = winhv_create_vp(&v->hv, id, index);
    if (st != HV_STATUS_INSUFFICIENT_MEMORY)
      return st;
    st = vid_deposit(v, id, VID_RETRY_DEPOSIT);
    if (st != HV_STATUS_SUCCESS)
      return st;
  }
  return HV_STATUS_INSUFFICIENT_MEMORY;
}
