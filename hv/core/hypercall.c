/*
 * hypercall.c — the hypercall ABI (TLFS "Hypercall Interface").
 *
 * Decodes the 64-bit input value (call code, fast bit, variable header
 * size, rep count, rep start index), validates it against the call's
 * descriptor, copies the input block out of the caller's memory (or takes
 * it from RDX/R8 for fast calls), runs the handler, writes the output
 * block back on success, and returns the result value (status, reps
 * completed) in RAX. Rep calls run a bounded chunk per entry; an
 * unfinished call returns to the guest with RIP not advanced and the rep
 * start index updated in RCX, so the guest re-executes it (continuation).
 */
#include "hc.h"
#include "objects.h"

#define HC_REP 0x1u      /* a rep call */
#define HC_FAST_OK 0x2u  /* may use the register (fast) convention */
#define HC_RAM 0x4u      /* may change memory ownership */
#define HC_REP_CHUNK 512 /* reps per entry before a continuation */
#define HC_TRACE_CONTINUED (1ull << 63) /* trace: call continues */

struct hc_desc {
  uint16_t code;
  uint8_t flags;
  uint16_t in_size, out_size; /* fixed header, bytes */
  uint16_t rep_in, rep_out;   /* per rep element, bytes */
  hc_handler_fn fn;
};

/* Indexed by call code (every code here is below HC_CODES): one load
 * finds a call's descriptor. */
#define HC_CODES 256
static const struct hc_desc hc_table[HC_CODES] = {
    [HVCALL_NOTIFY_LONG_SPIN_WAIT] = {HVCALL_NOTIFY_LONG_SPIN_WAIT, HC_FAST_OK, 8, 0, 0, 0, hc_notify_long_spin_wait},
    [HVCALL_CREATE_PARTITION] = {HVCALL_CREATE_PARTITION, 0, 56, 8, 0, 0, hc_create_partition},
    [HVCALL_INITIALIZE_PARTITION] = {HVCALL_INITIALIZE_PARTITION, HC_FAST_OK, 8, 0, 0, 0, hc_initialize_partition},
    [HVCALL_FINALIZE_PARTITION] = {HVCALL_FINALIZE_PARTITION, HC_FAST_OK, 8, 0, 0, 0, hc_finalize_partition},
    [HVCALL_DELETE_PARTITION] = {HVCALL_DELETE_PARTITION, HC_FAST_OK | HC_RAM, 8, 0, 0, 0, hc_delete_partition},
    [HVCALL_GET_PARTITION_PROPERTY] = {HVCALL_GET_PARTITION_PROPERTY, 0, 16, 8, 0, 0, hc_get_partition_property},
    [HVCALL_SET_PARTITION_PROPERTY] = {HVCALL_SET_PARTITION_PROPERTY, 0, 24, 0, 0, 0, hc_set_partition_property},
    [HVCALL_GET_PARTITION_ID] = {HVCALL_GET_PARTITION_ID, 0, 0, 8, 0, 0, hc_get_partition_id},
    [HVCALL_GET_NEXT_CHILD_PARTITION] = {HVCALL_GET_NEXT_CHILD_PARTITION, 0, 16, 8, 0, 0, hc_get_next_child_partition},
    [HVCALL_DEPOSIT_MEMORY] = {HVCALL_DEPOSIT_MEMORY, HC_REP | HC_RAM, 8, 0, 8, 0, hc_deposit_memory},
    [HVCALL_WITHDRAW_MEMORY] = {HVCALL_WITHDRAW_MEMORY, HC_REP | HC_RAM, 16, 0, 0, 8, hc_withdraw_memory},
    [HVCALL_GET_MEMORY_BALANCE] = {HVCALL_GET_MEMORY_BALANCE, 0, 16, 16, 0, 0, hc_get_memory_balance},
    [HVCALL_MAP_GPA_PAGES] = {HVCALL_MAP_GPA_PAGES, HC_REP | HC_RAM, 24, 0, 8, 0, hc_map_gpa_pages},
    [HVCALL_UNMAP_GPA_PAGES] = {HVCALL_UNMAP_GPA_PAGES, HC_REP | HC_RAM, 24, 0, 0, 0, hc_unmap_gpa_pages},
    [HVCALL_CREATE_VP] = {HVCALL_CREATE_VP, 0, 40, 0, 0, 0, hc_create_vp},
    [HVCALL_DELETE_VP] = {HVCALL_DELETE_VP, HC_FAST_OK, 16, 0, 0, 0, hc_delete_vp},
    [HVCALL_GET_VP_REGISTERS] = {HVCALL_GET_VP_REGISTERS, HC_REP, 16, 0, 4, 16, hc_get_vp_registers},
    [HVCALL_SET_VP_REGISTERS] = {HVCALL_SET_VP_REGISTERS, HC_REP, 16, 0, 32, 0, hc_set_vp_registers},
    [HVCALL_CREATE_DEVICE_DOMAIN] = {HVCALL_CREATE_DEVICE_DOMAIN, HC_RAM, 28, 0, 0, 0, hc_create_device_domain},
    [HVCALL_DELETE_DEVICE_DOMAIN] = {HVCALL_DELETE_DEVICE_DOMAIN, HC_RAM, 24, 0, 0, 0, hc_delete_device_domain},
    [HVCALL_ATTACH_DEVICE_DOMAIN] = {HVCALL_ATTACH_DEVICE_DOMAIN, HC_RAM, 32, 0, 0, 0, hc_attach_device_domain},
    [HVCALL_DETACH_DEVICE_DOMAIN] = {HVCALL_DETACH_DEVICE_DOMAIN, HC_FAST_OK | HC_RAM, 16, 0, 0, 0, hc_detach_device_domain},
    [HVCALL_MAP_DEVICE_GPA_PAGES] = {HVCALL_MAP_DEVICE_GPA_PAGES, HC_REP | HC_RAM, 40, 0, 8, 0, hc_map_device_gpa_pages},
    [HVCALL_UNMAP_DEVICE_GPA_PAGES] = {HVCALL_UNMAP_DEVICE_GPA_PAGES, HC_REP | HC_RAM, 32, 0, 0, 0, hc_unmap_device_gpa_pages},
    [HVCALL_HVSIM_MAP_DEVICE_MSI] = {HVCALL_HVSIM_MAP_DEVICE_MSI, HC_RAM, 24, 8, 0, 0, hc_hvsim_map_device_msi},
    [HVCALL_HVSIM_UNMAP_DEVICE_MSI] = {HVCALL_HVSIM_UNMAP_DEVICE_MSI, HC_RAM, 24, 0, 0, 0, hc_hvsim_unmap_device_msi},
    [HVCALL_INSTALL_INTERCEPT] = {HVCALL_INSTALL_INTERCEPT, 0, 24, 0, 0, 0, hc_install_intercept},
    [HVCALL_CREATE_PORT] = {HVCALL_CREATE_PORT, 0, 56, 0, 0, 0, hc_create_port},
    [HVCALL_DELETE_PORT] = {HVCALL_DELETE_PORT, HC_FAST_OK, 16, 0, 0, 0, hc_delete_port},
    [HVCALL_CONNECT_PORT] = {HVCALL_CONNECT_PORT, 0, 72, 0, 0, 0, hc_connect_port},
    [HVCALL_DISCONNECT_PORT] = {HVCALL_DISCONNECT_PORT, HC_FAST_OK, 16, 0, 0, 0, hc_disconnect_port},
    [HVCALL_POST_MESSAGE] = {HVCALL_POST_MESSAGE, 0, 256, 0, 0, 0, hc_post_message},
    [HVCALL_SIGNAL_EVENT] = {HVCALL_SIGNAL_EVENT, HC_FAST_OK, 8, 0, 0, 0, hc_signal_event},
    [HVCALL_ASSERT_VIRTUAL_INTERRUPT] = {HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, 32, 0, 0, 0, hc_assert_virtual_interrupt},
    [HVCALL_MAP_DEVICE_INTERRUPT] = {HVCALL_MAP_DEVICE_INTERRUPT, 0, 24, 0, 0, 0, hc_map_device_interrupt},
    [HVCALL_HVSIM_COPY_CHILD_GPA] = {HVCALL_HVSIM_COPY_CHILD_GPA, 0, 32, 0, 0, 0, hc_hvsim_copy_child_gpa},
};

static const struct hc_desc *hc_lookup(uint16_t code) {
  return code < HC_CODES && hc_table[code].fn ? &hc_table[code] : 0;
}

/* True when [a, a+len) stays within one page (len may be 0). */
static bool hc_in_one_page(uint64_t a, uint64_t len) {
  return len == 0 || (a & ~HV_PAGE_MASK) == ((a + len - 1) & ~HV_PAGE_MASK);
}

/* Validate the input value against the descriptor. Changes nothing. */
static hv_status_t hc_decode(const struct hc_desc *d, uint64_t control, struct hc_ctx *c) {
  if (control & HV_HYPERCALL_RSVD_MASK)
    return HV_STATUS_INVALID_HYPERCALL_INPUT;
  if (control & HV_HYPERCALL_VARHEAD_MASK)
    return HV_STATUS_INVALID_HYPERCALL_INPUT; /* no call here takes a variable header */
  c->rep_count = (uint32_t)((control & HV_HYPERCALL_REP_COMP_MASK) >> HV_HYPERCALL_REP_COMP_OFFSET);
  c->rep_start = (uint32_t)((control & HV_HYPERCALL_REP_START_MASK) >> HV_HYPERCALL_REP_START_OFFSET);
  if (d->flags & HC_REP) {
    if (c->rep_count == 0 || c->rep_start >= c->rep_count)
      return HV_STATUS_INVALID_HYPERCALL_INPUT;
  } else if (c->rep_count || c->rep_start) {
    return HV_STATUS_INVALID_HYPERCALL_INPUT;
  }
  if ((control & HV_HYPERCALL_FAST_BIT) && !(d->flags & HC_FAST_OK))
    return HV_STATUS_INVALID_HYPERCALL_INPUT;
  return HV_STATUS_SUCCESS;
}

/* Fetch the input block: from registers (fast) or the caller's memory. */
static hv_status_t hc_fetch(struct hc_ctx *c, const struct hc_desc *d, uint64_t rdx, uint64_t r8,
                            uint8_t *in, uint64_t in_len, uint64_t out_len) {
  if (c->control & HV_HYPERCALL_FAST_BIT) {
    hv_memcpy(in, &rdx, 8);
    hv_memcpy(in + 8, &r8, 8);
    return HV_STATUS_SUCCESS;
  }
  if ((in_len && (rdx & 7)) || (out_len && (r8 & 7)))
    return HV_STATUS_INVALID_ALIGNMENT;
  if (!hc_in_one_page(rdx, in_len) || !hc_in_one_page(r8, out_len))
    return HV_STATUS_INVALID_ALIGNMENT;
  if (in_len && out_len && rdx < r8 + out_len && r8 < rdx + in_len)
    return HV_STATUS_INVALID_ALIGNMENT; /* TLFS: blocks must not overlap */
  if (out_len) {
    spa_t s;
    uint64_t perms;
    if (!slat_lookup(c->hv, c->caller, gpa(r8), &s, &perms) || !(perms & EPT_WRITE))
      return HV_STATUS_INVALID_ALIGNMENT;
  }
  (void)d;
  return in_len ? gpa_read(c->hv, c->caller, gpa(rdx), in, in_len) : HV_STATUS_SUCCESS;
}

static void hc_complete(struct hc_ctx *c, hv_status_t st, bool continued, uint64_t t0) {
  struct hv_vp *vp = c->vp;
  uint64_t result = st | ((uint64_t)c->reps_done << HV_HYPERCALL_REP_DONE_OFFSET);
  arch_vp_reg_set(vp, HV_X64_REGISTER_RAX, result);
  if (continued) {
    uint64_t rcx = (c->control & ~HV_HYPERCALL_REP_START_MASK) |
                   ((uint64_t)c->reps_done << HV_HYPERCALL_REP_START_OFFSET);
    arch_vp_reg_set(vp, HV_X64_REGISTER_RCX, rcx);
  } else {
    uint64_t rip = 0;
    arch_vp_reg_get(vp, HV_X64_REGISTER_RIP, &rip);
    arch_vp_reg_set(vp, HV_X64_REGISTER_RIP, rip + 3); /* VMCALL / VMMCALL */
  }
  vp->stats.hypercalls++;
  c->hv->counters.hypercalls++;
  hv_trace_vp(c->hv, c->lp, vp, HV_TR_HYPERCALL, c->control, result | (continued ? HC_TRACE_CONTINUED : 0),
           arch_cycles(c->lp) - t0);
}

bool hypercall_handle(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp) {
  uint64_t t0 = arch_cycles(lp);
  arch_charge(lp, HV_COST_HYPERCALL_BASE, 1);
  struct hc_ctx c;
  hv_memset(&c, 0, sizeof c);
  c.hv = hv;
  c.lp = lp;
  c.vp = vp;
  c.caller = vp->partition;
  uint64_t rdx = 0, r8 = 0;
  arch_vp_reg_get(vp, HV_X64_REGISTER_RCX, &c.control);
  arch_vp_reg_get(vp, HV_X64_REGISTER_RDX, &rdx);
  arch_vp_reg_get(vp, HV_X64_REGISTER_R8, &r8);
  if (!(hv->partitions[c.caller].hypercall_msr & HV_X64_MSR_HYPERCALL_ENABLE)) {
    /* TLFS: without an enabled hypercall page the instruction is #UD. */
    arch_vp_inject_exception(vp, 6, false, 0);
    hv_trace_vp(hv, lp, vp, HV_TR_EXCEPTION, 6, 0, c.control);
    return false;
  }
  const struct hc_desc *d = hc_lookup((uint16_t)(c.control & HV_HYPERCALL_CODE_MASK));
  hv_status_t st = d ? hc_decode(d, c.control, &c) : HV_STATUS_INVALID_HYPERCALL_CODE;
  uint8_t in[HV_PAGE_SIZE], out[HV_PAGE_SIZE];
  uint64_t in_len = 0, out_len = 0;
  if (st == HV_STATUS_SUCCESS) {
    in_len = d->in_size + (uint64_t)c.rep_count * d->rep_in;
    out_len = d->out_size + (uint64_t)c.rep_count * d->rep_out;
    if (in_len > HV_PAGE_SIZE || out_len > HV_PAGE_SIZE)
      st = HV_STATUS_INVALID_HYPERCALL_INPUT;
  }
  if (st == HV_STATUS_SUCCESS && (c.control & HV_HYPERCALL_FAST_BIT) && (in_len > 16 || out_len))
    st = HV_STATUS_INVALID_HYPERCALL_INPUT;
  if (st == HV_STATUS_SUCCESS)
    st = hc_fetch(&c, d, rdx, r8, in, in_len, out_len);

  bool continued = false;
  if (st == HV_STATUS_SUCCESS) {
    hv_memset(out, 0, out_len);
    c.in = in;
    c.out = out;
    c.reps_done = c.rep_start;
    c.rep_end = c.rep_count;
    if (c.rep_end - c.rep_start > HC_REP_CHUNK)
      c.rep_end = c.rep_start + HC_REP_CHUNK;
    st = d->fn(&c);
    arch_charge(lp, HV_COST_HYPERCALL_REP, c.reps_done - c.rep_start);
    continued = st == HV_STATUS_SUCCESS && (d->flags & HC_REP) && c.reps_done < c.rep_count;
    /* Output: the whole block of a simple call on success; for a rep call
     * the elements of the reps done in this entry (rep start .. reps done),
     * also before a failure. Elements before the rep start were written
     * by an earlier entry (continuation) or are the caller's: untouched.
     * No rep call here has a fixed output header (out_size 0). */
    uint64_t out_from = 0, out_to = st == HV_STATUS_SUCCESS ? out_len : 0;
    if (d->flags & HC_REP) {
      out_from = d->out_size + (uint64_t)c.rep_start * d->rep_out;
      out_to = d->out_size + (uint64_t)c.reps_done * d->rep_out;
    }
    /* The output page was checked writable before the call; a handler that
     * took it from the caller (a deposit of that very page) turns the
     * write into an error for the caller, never a hypervisor fault. */
    if (out_to > out_from &&
        gpa_write(hv, c.caller, gpa(r8 + out_from), out + out_from, out_to - out_from) != HV_STATUS_SUCCESS &&
        st == HV_STATUS_SUCCESS)
      st = HV_STATUS_INVALID_ALIGNMENT;
  }
  hc_complete(&c, st, continued, t0);
  return c.ram_changed;
}
