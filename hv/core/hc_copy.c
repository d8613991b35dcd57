/*
 * hc_copy.c — HvCallHvsimCopyChildGpa (0x003C, ours, in the range TLFS v6
 * reserves): the root copies bytes between one of its own GPAs and a GPA
 * of one of its children. This is how the VMBus server (models/vmbus)
 * reaches the pages a child described in a GPADL: the core moves page
 * ownership, so a child's page is never mapped in the root's SLAT, and
 * the isolation invariant ("no partition can reach a page it does not
 * own") stays exactly as it is. The hypervisor does the copy, translating
 * the child's GPA through the child's SLAT: a page the child does not own
 * (not in its SLAT) is refused, a read-only page is not written.
 *
 * Input (32 bytes): PartitionId u64 @0 (a child of the caller),
 * ChildGpa u64 @8, RootGpa u64 @16, ByteCount u32 @24 (1..4096),
 * Flags u32 @28 (bit 0: 1 = root to child, 0 = child to root; other
 * bits RsvdZ). No output.
 *
 * Statuses: ACCESS_DENIED (the caller cannot create partitions or the
 * target is not its child), INVALID_PARTITION_ID, INVALID_PARAMETER
 * (count or flags), INVALID_ALIGNMENT (a child page outside the child's
 * memory, or a root page outside the root's), ACCESS_DENIED (the
 * destination page is not writable). Decode, then apply: every page of
 * both ranges is checked first, nothing is copied on an error.
 *
 * Cost: the dispatch base plus one rep cost per 64 bytes moved (the
 * copy's cache lines), charged to the root like any hypercall.
 */
#include "hc.h"
#include "objects.h"

#define HC_COPY_MAX 4096u
#define HC_COPY_TO_CHILD 1u
#define HC_COPY_CHUNK 256u

/* Every page of [g, g+len) mapped in part's SLAT (writable if write). */
static hv_status_t hc_copy_check(struct hv *hv, uint16_t part, uint64_t g, uint32_t len, bool write) {
  uint64_t first = g & ~(uint64_t)HV_PAGE_MASK, last = (g + len - 1) & ~(uint64_t)HV_PAGE_MASK;
  if (g + len < g)
    return HV_STATUS_INVALID_ALIGNMENT;
  for (uint64_t p = first; p <= last; p += HV_PAGE_SIZE) {
    spa_t s;
    uint64_t perms;
    if (!slat_lookup(hv, part, gpa(p), &s, &perms))
      return HV_STATUS_INVALID_ALIGNMENT;
    if (write && !(perms & EPT_WRITE))
      return HV_STATUS_ACCESS_DENIED;
  }
  return HV_STATUS_SUCCESS;
}

hv_status_t hc_hvsim_copy_child_gpa(struct hc_ctx *c) {
  uint16_t child;
  hv_status_t st = hc_child(c, hc_in_u64(c, 0), &child);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint64_t child_gpa = hc_in_u64(c, 8), root_gpa = hc_in_u64(c, 16);
  uint32_t len = hc_in_u32(c, 24), flags = hc_in_u32(c, 28);
  if (len == 0 || len > HC_COPY_MAX || (flags & ~HC_COPY_TO_CHILD))
    return HV_STATUS_INVALID_PARAMETER;
  bool to_child = flags & HC_COPY_TO_CHILD;
  st = hc_copy_check(c->hv, child, child_gpa, len, to_child);
  if (st == HV_STATUS_SUCCESS)
    st = hc_copy_check(c->hv, c->caller, root_gpa, len, !to_child);
  if (st != HV_STATUS_SUCCESS)
    return st;
  uint8_t buf[HC_COPY_CHUNK];
  for (uint32_t done = 0; done < len;) {
    uint32_t n = len - done < HC_COPY_CHUNK ? len - done : HC_COPY_CHUNK;
    uint16_t from = to_child ? c->caller : child, to = to_child ? child : c->caller;
    uint64_t src = (to_child ? root_gpa : child_gpa) + done, dst = (to_child ? child_gpa : root_gpa) + done;
    HV_CHECK(gpa_read(c->hv, from, gpa(src), buf, n) == HV_STATUS_SUCCESS);
    HV_CHECK(gpa_write(c->hv, to, gpa(dst), buf, n) == HV_STATUS_SUCCESS);
    done += n;
  }
  arch_charge(c->lp, HV_COST_HYPERCALL_REP, (len + 63) / 64);
  return HV_STATUS_SUCCESS;
}
