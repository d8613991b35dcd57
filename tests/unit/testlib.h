/*
 * testlib.h — helpers shared by the Criterion unit tests of the hypervisor
 * core (tests/unit/test_*.c): a machine booted through the hcdrive harness
 * (64 MiB, 2 LPs, the root partition in slot 0 with id 1) and thin
 * wrappers that issue the partition, memory and VP hypercalls as the root
 * and return the status (and reps completed) of the result value.
 */
#ifndef TESTS_UNIT_TESTLIB_H
#define TESTS_UNIT_TESTLIB_H

#include <stdint.h>

#include "hv/core/entry.h"
#include "hv/core/hc.h"
#include "hv/core/iommu.h"
#include "hv/core/objects.h"
#include "hv/core/vic.h"
#include "sim/machine/hcdrive.h"

#define TL_MEM_BYTES (64ull << 20)
#define TL_LPS 2

/* The machine of the current test (set up by tl_setup). */
extern struct hcdrive tl_d;

/* Criterion fixture: boot tl_d / tear it down (frees everything). */
void tl_setup(void);
void tl_teardown(void);
/* Boot a machine of another size into tl_d (use with .fini = tl_teardown). */
void tl_boot(uint32_t lps, uint64_t mem_bytes);

static inline struct hv *tl_hv(void) { return tl_d.sim.hv; }
static inline uint16_t tl_st(uint64_t rax) { return (uint16_t)(rax & HV_HYPERCALL_RESULT_MASK); }
static inline uint32_t tl_reps(uint64_t rax) {
  return (uint32_t)((rax & HV_HYPERCALL_REP_DONE_MASK) >> HV_HYPERCALL_REP_DONE_OFFSET);
}
static inline uint64_t tl_rep(uint64_t code, uint64_t count) { return code | (count << 32); }
static inline struct hv_partition *tl_part(uint16_t slot) { return &tl_hv()->partitions[slot]; }
/* The slot of partition id (asserts it exists). */
uint16_t tl_slot(uint64_t id);

/* Raw call as VP vp of the partition in slot part (see hcdrive_call). */
uint64_t tl_call(uint16_t part, uint32_t vp, uint64_t control, const void *in, size_t in_len,
                 void *out, size_t out_len);

/* n fresh root pages (identity GPA page numbers); asserts they exist. */
uint64_t tl_root_pages(uint64_t n);

/* Root deposits n fresh root pages into partition id's pool; status. */
uint16_t tl_deposit(uint64_t id, uint64_t n);
/* Root deposits the given root page numbers (rax returned). */
uint64_t tl_deposit_list(uint64_t id, const uint64_t *gpfns, uint32_t n);
/* Root withdraws up to n pages of id's pool (rax returned; page numbers in pfns). */
uint64_t tl_withdraw(uint64_t id, uint32_t n, uint64_t *pfns);
/* Root withdraws everything free in id's pool; returns the page count. */
uint64_t tl_withdraw_all(uint64_t id);
/* GetMemoryBalance as the root: status; available / in use. */
uint16_t tl_balance(uint64_t id, uint64_t *avail, uint64_t *in_use);

/* CreatePartition as the root (first deposits one page into the root's
 * pool when it has none free, for the partition state). Status; id in *id. */
uint16_t tl_create(uint64_t *id);
uint16_t tl_init(uint64_t id);
uint16_t tl_finalize(uint64_t id);
uint16_t tl_delete(uint64_t id);
uint16_t tl_set_prop(uint64_t id, uint32_t prop, uint64_t value);
uint16_t tl_get_prop(uint16_t part, uint64_t id, uint32_t prop, uint64_t *value);

/* MapGpaPages as the root: map the root pages src[0..n) at child GPA
 * page base with flags (rax returned). */
uint64_t tl_map_list(uint64_t id, uint64_t base, uint32_t flags, const uint64_t *src, uint32_t n);
/* Map n fresh root pages at base (RWX); their numbers in src if given. */
uint64_t tl_map(uint64_t id, uint64_t base, uint32_t n, uint64_t *src);
uint64_t tl_unmap(uint64_t id, uint64_t base, uint32_t n);

uint16_t tl_create_vp(uint64_t id, uint32_t index);
uint16_t tl_delete_vp(uint64_t id, uint32_t index);
/* Get/Set one register of VP index of partition id, as VP vp of part. */
uint16_t tl_get_reg(uint16_t part, uint32_t vp, uint64_t id, uint32_t index, uint32_t name,
                    uint64_t *value);
uint16_t tl_set_reg(uint16_t part, uint32_t vp, uint64_t id, uint32_t index, uint32_t name,
                    uint64_t value);

/* A running child: hcdrive_child (mem_pages of RAM at GPA 0, vps VPs,
 * hypercall page enabled). Asserts success; slot in *slot. */
uint64_t tl_child(uint64_t mem_pages, uint32_t vps, uint16_t *slot);
/* The same, with privileges set (via SetPartitionProperty) before init. */
uint64_t tl_child_priv(uint64_t mem_pages, uint32_t vps, uint64_t privileges, uint16_t *slot);

/* True when code is one of the HV_STATUS_* values the core may return. */
bool tl_status_defined(uint16_t code);

/* ---- interrupts, SynIC, timers (test_vapic, test_synic, test_stimer,
 * test_hc_synic, test_intercept) ----------------------------------------- */
static inline struct hv_lp *tl_lp0(void) { return &tl_hv()->lps[0]; }
/* Set LP 0's virtual clock (the clock hcdrive calls, MSRs and timers use). */
static inline void tl_clock(uint64_t cycles) { tl_lp0()->arch.clock = cycles; }
/* VP index of the partition in slot part (asserts it exists). */
struct hv_vp *tl_vp(uint16_t part, uint32_t index);
/* RDMSR / WRMSR as VP index of part, on LP 0 (msr_read / msr_write). */
bool tl_rdmsr(uint16_t part, uint32_t index, uint32_t msr, uint64_t *value);
bool tl_wrmsr(uint16_t part, uint32_t index, uint32_t msr, uint64_t value);
/* RDMSR that must succeed; returns the value. */
uint64_t tl_msr(uint16_t part, uint32_t index, uint32_t msr);
/* Enable the SynIC of a VP (SCONTROL = 1) and its SIMP / SIEFP pages at
 * the given GPAs (0: leave that page disabled). Asserts success. */
void tl_synic_on(uint16_t part, uint32_t index, uint64_t simp_gpa, uint64_t siefp_gpa);
/* Interrupt request / in-service bit of vector in a VP's virtual APIC. */
bool tl_irr(uint16_t part, uint32_t index, uint8_t vector);
bool tl_isr(uint16_t part, uint32_t index, uint8_t vector);
/* Forget every requested and in-service vector of a VP's APIC. */
void tl_apic_clear(uint16_t part, uint32_t index);
/* The 256-byte message slot sint of the SIM page at simp_gpa of part. */
void tl_msg_read(uint16_t part, uint64_t simp_gpa, uint8_t sint, uint8_t msg[256]);
/* The guest consumes slot sint: MessageType = 0 (flags stay as they were). */
void tl_msg_clear(uint16_t part, uint64_t simp_gpa, uint8_t sint);
static inline uint32_t tl_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t tl_u64(const uint8_t *p) { return tl_u32(p) | (uint64_t)tl_u32(p + 4) << 32; }

/* HvCallCreatePort as VP 0 of caller: a port of type (1 message, 2 event)
 * in port_part, connectable from conn_part, raising sint on VP vp; event
 * ports use flags base .. base+count-1. Status. */
uint16_t tl_create_port(uint16_t caller, uint64_t port_part, uint32_t port_id, uint64_t conn_part,
                        uint32_t type, uint32_t sint, uint32_t vp, uint16_t base, uint16_t count);
uint16_t tl_delete_port(uint16_t caller, uint64_t port_part, uint32_t port_id);
/* HvCallConnectPort as VP 0 of caller. Status. */
uint16_t tl_connect_port(uint16_t caller, uint64_t conn_part, uint32_t conn_id, uint64_t port_part,
                         uint32_t port_id);
uint16_t tl_disconnect_port(uint16_t caller, uint64_t conn_part, uint32_t conn_id);
/* HvCallPostMessage as VP vp of caller. Status. */
uint16_t tl_post(uint16_t caller, uint32_t vp, uint32_t conn_id, uint32_t type, const void *payload,
                 uint32_t size);
/* HvCallSignalEvent (memory form) as VP vp of caller. Status. */
uint16_t tl_signal(uint16_t caller, uint32_t vp, uint32_t conn_id, uint16_t flag);

#endif /* TESTS_UNIT_TESTLIB_H */
