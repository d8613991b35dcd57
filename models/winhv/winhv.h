/*
 * winhv.h — WinHv: the guest-side hypercall library with plain C calls.
 *
 * Each call lays its input block out in the caller's hypercall input page
 * (a GPA of its own memory), issues the hypercall through the hypercall
 * page, reads the output page back and returns the HV_STATUS. Rep calls
 * are split into page-sized batches; continuations of the hypervisor are
 * transparent (the runtime re-executes the instruction).
 */
#ifndef MODELS_WINHV_H
#define MODELS_WINHV_H

#include "models/guest/guest.h"
#include "hv/hvgdk.h"

struct winhv {
  struct guest *g;
  uint64_t in_gpa, out_gpa; /* one page each, owned by the caller */
  uint64_t last_result;     /* RAX of the last call */
};

#define WINHV_GUEST_OS_ID 0x8100000000000000ull /* open source, "Linux"-style vendor 0x8100 */

/* Write the guest OS id, enable the hypercall page at hypercall_page_gpa.
 * Returns HV_STATUS_SUCCESS or HV_STATUS_ACCESS_DENIED if the MSRs faulted. */
uint16_t winhv_init(struct winhv *w, struct guest *g, uint64_t hypercall_page_gpa,
                    uint64_t in_gpa, uint64_t out_gpa);

/* A raw call: control word, input bytes (copied to the input page), output
 * bytes (copied back). Returns the full result value. */
uint64_t winhv_call(struct winhv *w, uint64_t control, const void *in, size_t in_len,
                    void *out, size_t out_len);
static inline uint16_t winhv_status(uint64_t result) { return (uint16_t)(result & 0xFFFF); }
static inline uint32_t winhv_reps_done(uint64_t result) { return (uint32_t)((result >> 32) & 0xFFF); }

uint16_t winhv_create_partition(struct winhv *w, uint64_t *id);
uint16_t winhv_initialize_partition(struct winhv *w, uint64_t id);
uint16_t winhv_finalize_partition(struct winhv *w, uint64_t id);
uint16_t winhv_delete_partition(struct winhv *w, uint64_t id);
uint16_t winhv_get_partition_property(struct winhv *w, uint64_t id, uint32_t code, uint64_t *value);
uint16_t winhv_set_partition_property(struct winhv *w, uint64_t id, uint32_t code, uint64_t value);
uint16_t winhv_get_partition_id(struct winhv *w, uint64_t *id);
/* Deposit/withdraw/map/unmap: *done receives the pages processed. */
uint16_t winhv_deposit_memory(struct winhv *w, uint64_t id, const uint64_t *gpfns, uint32_t n, uint32_t *done);
uint16_t winhv_withdraw_memory(struct winhv *w, uint64_t id, uint64_t *gpfns, uint32_t n, uint32_t *done);
uint16_t winhv_get_memory_balance(struct winhv *w, uint64_t id, uint64_t *available, uint64_t *in_use);
uint16_t winhv_map_gpa_pages(struct winhv *w, uint64_t id, uint64_t target_gpfn, uint32_t flags,
                             const uint64_t *src_gpfns, uint32_t n, uint32_t *done);
uint16_t winhv_unmap_gpa_pages(struct winhv *w, uint64_t id, uint64_t target_gpfn, uint32_t n, uint32_t *done);
uint16_t winhv_create_vp(struct winhv *w, uint64_t id, uint32_t vp_index);
uint16_t winhv_delete_vp(struct winhv *w, uint64_t id, uint32_t vp_index);
uint16_t winhv_set_vp_register(struct winhv *w, uint64_t id, uint32_t vp_index, uint32_t name, uint64_t value);
uint16_t winhv_get_vp_register(struct winhv *w, uint64_t id, uint32_t vp_index, uint32_t name, uint64_t *value);
/* Several registers in one rep call (at most 16). */
uint16_t winhv_set_vp_registers(struct winhv *w, uint64_t id, uint32_t vp_index, const uint32_t *names,
                                const uint64_t *values, uint32_t n);
/* SynIC: message and event ports (TLFS HV_PORT_INFO), messages, events. */
uint16_t winhv_create_port(struct winhv *w, uint64_t port_partition, uint32_t port_id, uint64_t conn_partition,
                           uint32_t type, uint32_t sint, uint32_t vp, uint16_t base_flag, uint16_t flag_count);
uint16_t winhv_connect_port(struct winhv *w, uint64_t conn_partition, uint32_t conn_id, uint64_t port_partition,
                            uint32_t port_id);
uint16_t winhv_post_message(struct winhv *w, uint32_t conn_id, uint32_t type, const void *payload, uint32_t size);
uint16_t winhv_signal_event(struct winhv *w, uint32_t conn_id, uint16_t flag);
uint16_t winhv_delete_port(struct winhv *w, uint64_t port_partition, uint32_t port_id);
uint16_t winhv_disconnect_port(struct winhv *w, uint64_t conn_partition, uint32_t conn_id);
/* HvCallHvsimCopyChildGpa (root only): copy bytes (1..4096) between the
 * caller's root_gpa and child_gpa of child partition id; to_child picks
 * the direction. The hypervisor checks the child owns the pages. */
uint16_t winhv_copy_child_gpa(struct winhv *w, uint64_t id, uint64_t child_gpa, uint64_t root_gpa, uint32_t bytes,
                              bool to_child);
uint16_t winhv_install_intercept(struct winhv *w, uint64_t id, uint32_t access, uint32_t type, uint64_t param);
uint16_t winhv_map_device_interrupt(struct winhv *w, uint64_t id, uint32_t vector, uint32_t vp, uint32_t to_vector);
uint16_t winhv_assert_virtual_interrupt(struct winhv *w, uint64_t id, uint32_t vp, uint32_t vector);

#endif /* MODELS_WINHV_H */
