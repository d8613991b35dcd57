/*
 * synic.h — per-VP interrupt state: the virtual local APIC, the
 * synthetic interrupt controller (SynIC) and the synthetic timers; and
 * the hypervisor-wide ports and connections of inter-partition
 * communication (TLFS "Virtual Interrupt Controller", "Inter-Partition
 * Communication", "Timers").
 *
 * Messages are never copied into guest memory before their slot is free:
 * they wait in hypervisor buffers (16 per port, in a page of the port
 * owner's pool; one per synthetic timer; one intercept message per VP)
 * and each carries a global sequence number, so the oldest pending
 * message for a (VP, SINT) is always delivered first.
 */
#ifndef HV_CORE_SYNIC_H
#define HV_CORE_SYNIC_H

#include "hv/types.h"

#define HV_SINT_COUNT 16
#define HV_STIMER_COUNT 4
#define HV_MAX_PORTS 256
#define HV_MAX_CONNECTIONS 256
#define HV_PORT_BUFFERS 16
#define HV_MESSAGE_SIZE 256
#define HV_MESSAGE_PAYLOAD 240

/* TLFS SINTx register bits */
#define HV_SINT_VECTOR_MASK 0xFFull
#define HV_SINT_MASKED (1ull << 16)
#define HV_SINT_AUTO_EOI (1ull << 17)
#define HV_SINT_POLLING (1ull << 18)
/* TLFS STIMERx_CONFIG bits */
#define HV_STIMER_ENABLE (1ull << 0)
#define HV_STIMER_PERIODIC (1ull << 1)
#define HV_STIMER_LAZY (1ull << 2)
#define HV_STIMER_AUTO_ENABLE (1ull << 3)
#define HV_STIMER_APIC_VECTOR_SHIFT 4
#define HV_STIMER_DIRECT (1ull << 12)
#define HV_STIMER_SINT_SHIFT 16

struct hv_vapic {
  uint64_t irr[4], isr[4]; /* 256-bit request and in-service sets */
  uint8_t tpr;             /* task priority (class in bits 7:4) */
  uint32_t svr;            /* spurious vector register, bit 8 = enabled */
  uint32_t lvt_timer;      /* vector 7:0, mask 16, mode 18:17 */
  uint32_t timer_initial, timer_divide;
  uint64_t timer_deadline; /* cycle of the next expiry, 0 = stopped */
  uint64_t timer_period;   /* cycles, periodic mode */
  uint64_t icr;            /* last ICR written */
  uint32_t lvt[6];         /* CMCI, thermal, PMI, LINT0, LINT1, error */
  uint32_t esr;            /* error status */
};

struct hv_stimer {
  uint64_t config, count;
  uint64_t deadline;        /* cycle of expiry, 0 = not armed */
  uint64_t deadline_fired;  /* cycle of the expiry whose message waits */
  uint64_t expiration_ref;  /* reference time (100 ns) of the pending expiry */
  bool msg_pending;         /* a timer message waits for its slot */
  uint64_t msg_seq;
};

struct hv_synic {
  uint64_t scontrol, siefp, simp;
  uint64_t sint[HV_SINT_COUNT];
  struct hv_stimer stimer[HV_STIMER_COUNT];
  /* the intercept message this VP (a child) waits on, for the root */
  bool icpt_pending;       /* queued, not yet in the root's slot */
  bool icpt_suspended;     /* HvRegisterInterceptSuspend */
  uint64_t icpt_seq;
  uint32_t icpt_type;      /* HVMSG_X64_* */
  uint16_t icpt_port;      /* I/O port, or the MSR / CPUID leaf in icpt_param */
  uint8_t icpt_access;     /* 0 read, 1 write */
  uint8_t icpt_len;        /* instruction length */
  uint8_t icpt_size;       /* access size in bytes */
  uint32_t icpt_param;
  uint64_t icpt_rax, icpt_rip;
};

enum hv_port_type { HV_PORT_TYPE_MESSAGE = 1, HV_PORT_TYPE_EVENT = 2 };

struct hv_port {
  bool in_use;
  uint32_t id;         /* HV_PORT_ID, per port partition */
  uint16_t partition;  /* port (receiving) partition slot */
  uint16_t conn_partition; /* the only partition allowed to connect */
  uint8_t type;        /* enum hv_port_type */
  uint8_t sint;
  uint32_t vp;         /* target VP index */
  uint16_t base_flag, flag_count;
  spa_t buffers;       /* message ports: 16 x 256-byte buffers (owner's pool) */
  uint16_t pending;    /* message buffers holding an undelivered message */
  uint64_t seq[HV_PORT_BUFFERS];
  uint64_t posted_at[HV_PORT_BUFFERS]; /* cycle of the post, for latency */
};

struct hv_connection {
  bool in_use;
  uint32_t id;         /* HV_CONNECTION_ID, per connection partition */
  uint16_t partition;  /* the sending partition */
  uint16_t port;       /* index in hv->ports */
};

/* Intercept routes installed by the root (HvCallInstallIntercept). */
#define HV_MAX_INTERCEPTS 128
struct hv_intercept {
  bool in_use;
  uint16_t partition;
  uint8_t type;        /* HV_INTERCEPT_TYPE_X64_* */
  uint8_t access;      /* HV_INTERCEPT_ACCESS_MASK_* */
  uint64_t parameter;  /* port, MSR or CPUID leaf */
};

#endif /* HV_CORE_SYNIC_H */
