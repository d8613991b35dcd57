/*
 * hc.h — the hypercall API tier of the hypervisor core: the hypercall ABI
 * (hypercall.c), the handler families by TLFS chapter (hc_*.c), and the
 * synthetic MSR interface (msr.c), the guest's two ways of asking the
 * hypervisor. Calls the virtual interrupt controller (vic.h), the IOMMU
 * (iommu.h) and the objects (objects.h) below it; entered from exit
 * dispatch (entry.h). What a handler gets: the decoded call and its
 * copied input, and where to put output.
 *
 * Decode, then apply (seL4): a handler first checks every field of the
 * input copy and changes nothing while doing so; only then it applies.
 * Rep handlers process c->rep_start .. c->rep_end-1 and set c->reps_done
 * (absolute); the dispatcher turns an unfinished call into a continuation.
 */
#ifndef HV_CORE_HC_H
#define HV_CORE_HC_H

#include "hv.h"

struct hc_ctx {
  struct hv *hv;
  struct hv_lp *lp;
  struct hv_vp *vp;    /* the calling VP */
  uint16_t caller;     /* the calling partition's slot */
  uint64_t control;
  uint32_t rep_count, rep_start, rep_end, reps_done;
  const uint8_t *in;   /* copy of the input block */
  uint8_t *out;        /* output block, copied out on success */
  bool ram_changed;    /* memory ownership changed: run the invariant */
};

typedef hv_status_t (*hc_handler_fn)(struct hc_ctx *c);

/* Fixed-size copies: the compiler's builtin makes each one load or store
 * (a call to hv_memcpy per rep element cost the bare-metal image dearly). */
static inline uint64_t hc_in_u64(const struct hc_ctx *c, size_t off) {
  uint64_t v;
  __builtin_memcpy(&v, c->in + off, 8);
  return v;
}
static inline uint32_t hc_in_u32(const struct hc_ctx *c, size_t off) {
  uint32_t v;
  __builtin_memcpy(&v, c->in + off, 4);
  return v;
}
static inline void hc_out_u64(struct hc_ctx *c, size_t off, uint64_t v) { __builtin_memcpy(c->out + off, &v, 8); }

/* hypercall.c — run the hypercall vp has made (its registers hold the
 * call); the result is in its registers. Returns whether memory ownership
 * may have changed (the isolation oracle's cue: hv_hypercall, entry.h). */
bool hypercall_handle(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp);

/* msr.c — guest MSR accesses the hypervisor answers (false: #GP) */
bool msr_read(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t *value);
bool msr_write(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, uint32_t msr, uint64_t value);
/* cpuid.c — the CPU model: EAX, EBX, ECX, EDX of CPUID leaf for vp. */
void cpuid_model(struct hv *hv, const struct hv_vp *vp, uint32_t leaf, uint64_t r[4]);

/* hc_access.c — the partitions a call may name.
 * Resolve a partition id given by the caller (HV_PARTITION_ID_SELF
 * allowed). Returns SUCCESS or INVALID_PARTITION_ID. */
hv_status_t hc_partition(struct hc_ctx *c, uint64_t id, uint16_t *slot);
/* Resolve a child of the caller: ACCESS_DENIED without CreatePartitions,
 * INVALID_PARTITION_ID if unknown, ACCESS_DENIED if not the caller's child. */
hv_status_t hc_child(struct hc_ctx *c, uint64_t id, uint16_t *slot);

/* hc_partition.c */
hv_status_t hc_create_partition(struct hc_ctx *c);
hv_status_t hc_initialize_partition(struct hc_ctx *c);
hv_status_t hc_finalize_partition(struct hc_ctx *c);
hv_status_t hc_delete_partition(struct hc_ctx *c);
hv_status_t hc_get_partition_property(struct hc_ctx *c);
hv_status_t hc_set_partition_property(struct hc_ctx *c);
hv_status_t hc_get_partition_id(struct hc_ctx *c);
hv_status_t hc_get_next_child_partition(struct hc_ctx *c);
/* hc_memory.c */
hv_status_t hc_deposit_memory(struct hc_ctx *c);
hv_status_t hc_withdraw_memory(struct hc_ctx *c);
hv_status_t hc_get_memory_balance(struct hc_ctx *c);
hv_status_t hc_map_gpa_pages(struct hc_ctx *c);
hv_status_t hc_unmap_gpa_pages(struct hc_ctx *c);
/* hc_vp.c */
hv_status_t hc_create_vp(struct hc_ctx *c);
hv_status_t hc_delete_vp(struct hc_ctx *c);
hv_status_t hc_get_vp_registers(struct hc_ctx *c);
hv_status_t hc_set_vp_registers(struct hc_ctx *c);
hv_status_t hc_notify_long_spin_wait(struct hc_ctx *c);
/* hc_synic.c */
hv_status_t hc_create_port(struct hc_ctx *c);
hv_status_t hc_delete_port(struct hc_ctx *c);
hv_status_t hc_connect_port(struct hc_ctx *c);
hv_status_t hc_disconnect_port(struct hc_ctx *c);
hv_status_t hc_post_message(struct hc_ctx *c);
hv_status_t hc_signal_event(struct hc_ctx *c);
hv_status_t hc_assert_virtual_interrupt(struct hc_ctx *c);
hv_status_t hc_map_device_interrupt(struct hc_ctx *c);
/* hc_intercept.c */
hv_status_t hc_install_intercept(struct hc_ctx *c);
/* hc_iommu.c — the device-domain hypercalls */
hv_status_t hc_create_device_domain(struct hc_ctx *c);
hv_status_t hc_delete_device_domain(struct hc_ctx *c);
hv_status_t hc_attach_device_domain(struct hc_ctx *c);
hv_status_t hc_detach_device_domain(struct hc_ctx *c);
hv_status_t hc_map_device_gpa_pages(struct hc_ctx *c);
hv_status_t hc_unmap_device_gpa_pages(struct hc_ctx *c);
hv_status_t hc_hvsim_map_device_msi(struct hc_ctx *c);
hv_status_t hc_hvsim_unmap_device_msi(struct hc_ctx *c);
/* hc_copy.c */
hv_status_t hc_hvsim_copy_child_gpa(struct hc_ctx *c);

#endif /* HV_CORE_HC_H */
