/*
 * winhv.c — WinHv, the guest-side hypercall library (see winhv.h).
 * Guest software: only guest.h, its own memory and hypercalls.
 */
#include "winhv.h"

#define WINHV_PAGE 4096u
#define WINHV_MAP_BATCH ((WINHV_PAGE - 24) / 8)    /* source pages per MapGpaPages */
#define WINHV_DEPOSIT_BATCH ((WINHV_PAGE - 8) / 8)
#define WINHV_WITHDRAW_BATCH (WINHV_PAGE / 8)

static void winhv_zero(void *p, size_t n) {
  uint8_t *b = p;
  while (n--)
    *b++ = 0;
}

uint16_t winhv_init(struct winhv *w, struct guest *g, uint64_t hypercall_page_gpa,
                    uint64_t in_gpa, uint64_t out_gpa) {
  w->g = g;
  w->in_gpa = in_gpa;
  w->out_gpa = out_gpa;
  w->last_result = 0;
  if (!guest_wrmsr(g, HV_X64_MSR_GUEST_OS_ID, WINHV_GUEST_OS_ID))
    return HV_STATUS_ACCESS_DENIED;
  if (!guest_wrmsr(g, HV_X64_MSR_HYPERCALL, hypercall_page_gpa | HV_X64_MSR_HYPERCALL_ENABLE))
    return HV_STATUS_ACCESS_DENIED;
  return HV_STATUS_SUCCESS;
}

uint64_t winhv_call(struct winhv *w, uint64_t control, const void *in, size_t in_len,
                    void *out, size_t out_len) {
  if (in_len && !guest_write(w->g, w->in_gpa, in, in_len))
    return w->last_result = HV_STATUS_INVALID_ALIGNMENT;
  uint64_t r = guest_hypercall(w->g, control, w->in_gpa, w->out_gpa);
  if (out_len && winhv_status(r) == HV_STATUS_SUCCESS)
    guest_read(w->g, w->out_gpa, out, out_len);
  return w->last_result = r;
}

static uint64_t winhv_rep(uint16_t code, uint32_t reps) {
  return code | ((uint64_t)reps << HV_HYPERCALL_REP_COMP_OFFSET);
}

uint16_t winhv_create_partition(struct winhv *w, uint64_t *id) {
  uint8_t in[56];
  winhv_zero(in, sizeof in);
  return winhv_status(winhv_call(w, HVCALL_CREATE_PARTITION, in, sizeof in, id, 8));
}

static uint16_t winhv_id_call(struct winhv *w, uint16_t code, uint64_t id) {
  return winhv_status(winhv_call(w, code, &id, 8, 0, 0));
}

uint16_t winhv_initialize_partition(struct winhv *w, uint64_t id) { return winhv_id_call(w, HVCALL_INITIALIZE_PARTITION, id); }
uint16_t winhv_finalize_partition(struct winhv *w, uint64_t id) { return winhv_id_call(w, HVCALL_FINALIZE_PARTITION, id); }
uint16_t winhv_delete_partition(struct winhv *w, uint64_t id) { return winhv_id_call(w, HVCALL_DELETE_PARTITION, id); }

uint16_t winhv_get_partition_property(struct winhv *w, uint64_t id, uint32_t code, uint64_t *value) {
  uint64_t in[2] = {id, code};
  return winhv_status(winhv_call(w, HVCALL_GET_PARTITION_PROPERTY, in, sizeof in, value, 8));
}

uint16_t winhv_set_partition_property(struct winhv *w, uint64_t id, uint32_t code, uint64_t value) {
  uint64_t in[3] = {id, code, value};
  return winhv_status(winhv_call(w, HVCALL_SET_PARTITION_PROPERTY, in, sizeof in, 0, 0));
}

uint16_t winhv_get_partition_id(struct winhv *w, uint64_t *id) {
  return winhv_status(winhv_call(w, HVCALL_GET_PARTITION_ID, 0, 0, id, 8));
}

uint16_t winhv_deposit_memory(struct winhv *w, uint64_t id, const uint64_t *gpfns, uint32_t n, uint32_t *done) {
  uint64_t buf[1 + WINHV_DEPOSIT_BATCH];
  uint16_t st = HV_STATUS_SUCCESS;
  *done = 0;
  while (*done < n && st == HV_STATUS_SUCCESS) {
    uint32_t k = n - *done < WINHV_DEPOSIT_BATCH ? n - *done : WINHV_DEPOSIT_BATCH;
    buf[0] = id;
    for (uint32_t i = 0; i < k; i++)
      buf[1 + i] = gpfns[*done + i];
    uint64_t r = winhv_call(w, winhv_rep(HVCALL_DEPOSIT_MEMORY, k), buf, 8 + 8ull * k, 0, 0);
    st = winhv_status(r);
    *done += winhv_reps_done(r);
  }
  return st;
}

uint16_t winhv_withdraw_memory(struct winhv *w, uint64_t id, uint64_t *gpfns, uint32_t n, uint32_t *done) {
  uint16_t st = HV_STATUS_SUCCESS;
  *done = 0;
  while (*done < n && st == HV_STATUS_SUCCESS) {
    uint32_t k = n - *done < WINHV_WITHDRAW_BATCH ? n - *done : WINHV_WITHDRAW_BATCH;
    uint64_t in[2] = {id, 0};
    if (!guest_write(w->g, w->in_gpa, in, sizeof in))
      return HV_STATUS_INVALID_ALIGNMENT;
    uint64_t r = guest_hypercall(w->g, winhv_rep(HVCALL_WITHDRAW_MEMORY, k), w->in_gpa, w->out_gpa);
    w->last_result = r;
    st = winhv_status(r);
    uint32_t got = winhv_reps_done(r);
    if (got)
      guest_read(w->g, w->out_gpa, gpfns + *done, 8ull * got);
    *done += got;
  }
  return st;
}

uint16_t winhv_get_memory_balance(struct winhv *w, uint64_t id, uint64_t *available, uint64_t *in_use) {
  uint64_t in[2] = {id, 0}, out[2] = {0, 0};
  uint16_t st = winhv_status(winhv_call(w, HVCALL_GET_MEMORY_BALANCE, in, sizeof in, out, sizeof out));
  *available = out[0];
  *in_use = out[1];
  return st;
}

uint16_t winhv_map_gpa_pages(struct winhv *w, uint64_t id, uint64_t target_gpfn, uint32_t flags,
                             const uint64_t *src, uint32_t n, uint32_t *done) {
  uint64_t buf[3 + WINHV_MAP_BATCH];
  uint16_t st = HV_STATUS_SUCCESS;
  *done = 0;
  while (*done < n && st == HV_STATUS_SUCCESS) {
    uint32_t k = n - *done < WINHV_MAP_BATCH ? n - *done : WINHV_MAP_BATCH;
    buf[0] = id;
    buf[1] = target_gpfn + *done;
    buf[2] = flags;
    for (uint32_t i = 0; i < k; i++)
      buf[3 + i] = src[*done + i];
    uint64_t r = winhv_call(w, winhv_rep(HVCALL_MAP_GPA_PAGES, k), buf, 24 + 8ull * k, 0, 0);
    st = winhv_status(r);
    *done += winhv_reps_done(r);
  }
  return st;
}

uint16_t winhv_unmap_gpa_pages(struct winhv *w, uint64_t id, uint64_t target_gpfn, uint32_t n, uint32_t *done) {
  uint16_t st = HV_STATUS_SUCCESS;
  *done = 0;
  while (*done < n && st == HV_STATUS_SUCCESS) {
    uint32_t k = n - *done < 4095 ? n - *done : 4095;
    uint64_t in[3] = {id, target_gpfn + *done, 0};
    uint64_t r = winhv_call(w, winhv_rep(HVCALL_UNMAP_GPA_PAGES, k), in, sizeof in, 0, 0);
    st = winhv_status(r);
    *done += winhv_reps_done(r);
  }
  return st;
}

uint16_t winhv_create_vp(struct winhv *w, uint64_t id, uint32_t vp_index) {
  uint64_t in[5] = {id, vp_index, 0, 0, 0};
  return winhv_status(winhv_call(w, HVCALL_CREATE_VP, in, sizeof in, 0, 0));
}

uint16_t winhv_delete_vp(struct winhv *w, uint64_t id, uint32_t vp_index) {
  uint64_t in[2] = {id, vp_index};
  return winhv_status(winhv_call(w, HVCALL_DELETE_VP, in, sizeof in, 0, 0));
}

uint16_t winhv_set_vp_register(struct winhv *w, uint64_t id, uint32_t vp_index, uint32_t name, uint64_t value) {
  uint64_t in[6] = {id, vp_index, name, 0, value, 0};
  return winhv_status(winhv_call(w, winhv_rep(HVCALL_SET_VP_REGISTERS, 1), in, sizeof in, 0, 0));
}

uint16_t winhv_get_vp_register(struct winhv *w, uint64_t id, uint32_t vp_index, uint32_t name, uint64_t *value) {
  uint64_t in[3] = {id, vp_index, name}, out[2] = {0, 0};
  uint16_t st = winhv_status(winhv_call(w, winhv_rep(HVCALL_GET_VP_REGISTERS, 1), in, 20, out, sizeof out));
  *value = out[0];
  return st;
}

uint16_t winhv_set_vp_registers(struct winhv *w, uint64_t id, uint32_t vp_index, const uint32_t *names,
                                const uint64_t *values, uint32_t n) {
  uint64_t in[2 + 4 * 16];
  if (n > 16)
    return HV_STATUS_INVALID_PARAMETER;
  winhv_zero(in, sizeof in);
  in[0] = id;
  in[1] = vp_index;
  for (uint32_t i = 0; i < n; i++) {
    in[2 + 4 * i] = names[i];
    in[2 + 4 * i + 2] = values[i];
  }
  return winhv_status(winhv_call(w, winhv_rep(HVCALL_SET_VP_REGISTERS, n), in, 16 + 32ull * n, 0, 0));
}

uint16_t winhv_create_port(struct winhv *w, uint64_t port_partition, uint32_t port_id, uint64_t conn_partition,
                           uint32_t type, uint32_t sint, uint32_t vp, uint16_t base_flag, uint16_t flag_count) {
  uint64_t in[7];
  winhv_zero(in, sizeof in);
  in[0] = port_partition;
  in[1] = port_id;
  in[2] = conn_partition;
  in[3] = type;
  in[4] = sint | ((uint64_t)vp << 32);
  in[5] = base_flag | ((uint64_t)flag_count << 16);
  return winhv_status(winhv_call(w, HVCALL_CREATE_PORT, in, sizeof in, 0, 0));
}

uint16_t winhv_connect_port(struct winhv *w, uint64_t conn_partition, uint32_t conn_id, uint64_t port_partition,
                            uint32_t port_id) {
  uint64_t in[9];
  winhv_zero(in, sizeof in);
  in[0] = conn_partition;
  in[1] = conn_id;
  in[2] = port_partition;
  in[3] = port_id;
  return winhv_status(winhv_call(w, HVCALL_CONNECT_PORT, in, sizeof in, 0, 0));
}

uint16_t winhv_post_message(struct winhv *w, uint32_t conn_id, uint32_t type, const void *payload, uint32_t size) {
  uint8_t in[256];
  winhv_zero(in, sizeof in);
  uint32_t hdr[4] = {conn_id, 0, type, size};
  const uint8_t *src = payload;
  for (unsigned i = 0; i < 16; i++)
    in[i] = ((const uint8_t *)hdr)[i];
  for (uint32_t i = 0; i < size && i < 240; i++)
    in[16 + i] = src[i];
  return winhv_status(winhv_call(w, HVCALL_POST_MESSAGE, in, 16 + ((size + 7) & ~7u), 0, 0));
}

uint16_t winhv_signal_event(struct winhv *w, uint32_t conn_id, uint16_t flag) {
  return winhv_status(guest_hypercall(w->g, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT,
                                      conn_id | ((uint64_t)flag << 32), 0));
}

uint16_t winhv_delete_port(struct winhv *w, uint64_t port_partition, uint32_t port_id) {
  uint64_t in[2] = {port_partition, port_id};
  return winhv_status(winhv_call(w, HVCALL_DELETE_PORT, in, sizeof in, 0, 0));
}

uint16_t winhv_disconnect_port(struct winhv *w, uint64_t conn_partition, uint32_t conn_id) {
  uint64_t in[2] = {conn_partition, conn_id};
  return winhv_status(winhv_call(w, HVCALL_DISCONNECT_PORT, in, sizeof in, 0, 0));
}

uint16_t winhv_copy_child_gpa(struct winhv *w, uint64_t id, uint64_t child_gpa, uint64_t root_gpa, uint32_t bytes,
                              bool to_child) {
  uint64_t in[4] = {id, child_gpa, root_gpa, bytes | ((uint64_t)(to_child ? 1 : 0) << 32)};
  return winhv_status(winhv_call(w, HVCALL_HVSIM_COPY_CHILD_GPA, in, sizeof in, 0, 0));
}

uint16_t winhv_install_intercept(struct winhv *w, uint64_t id, uint32_t access, uint32_t type, uint64_t param) {
  uint64_t in[3] = {id, access | ((uint64_t)type << 32), param};
  return winhv_status(winhv_call(w, HVCALL_INSTALL_INTERCEPT, in, sizeof in, 0, 0));
}

uint16_t winhv_map_device_interrupt(struct winhv *w, uint64_t id, uint32_t vector, uint32_t vp, uint32_t to_vector) {
  uint64_t in[3] = {id, vector | ((uint64_t)vp << 32), to_vector};
  return winhv_status(winhv_call(w, HVCALL_MAP_DEVICE_INTERRUPT, in, sizeof in, 0, 0));
}

uint16_t winhv_assert_virtual_interrupt(struct winhv *w, uint64_t id, uint32_t vp, uint32_t vector) {
  uint64_t in[4] = {id, 0, vp, vector};
  return winhv_status(winhv_call(w, HVCALL_ASSERT_VIRTUAL_INTERRUPT, in, sizeof in, 0, 0));
}
