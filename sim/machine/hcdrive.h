/*
 * hcdrive.h — drive hypercalls into the core directly, as a given VP of a
 * given partition, without running guest programs: the harness of the
 * unit tests (tests/unit) and of the hypercall fuzzer (fuzz/). It boots a
 * simulated machine whose root does not run its program, enables the
 * hypercall page, and gives each partition a hypercall input and output
 * page, then calls the core's hypercall entry exactly as an exit would.
 */
#ifndef SIM_HCDRIVE_H
#define SIM_HCDRIVE_H

#include "sim.h"


/* Spare pages a harness may use for its own input/output blocks (child
 * GPA, or offset from the root's first page): hcdrive_call uses the pages
 * at 0x2000 * vp instead. */
#define HCDRIVE_IN_GPA_OFF 0x2000ull
#define HCDRIVE_OUT_GPA_OFF 0x3000ull

struct hcdrive {
  struct sim sim;
  uint64_t root_base_gpfn; /* root's first page (boot block) */
  uint64_t root_next_gpfn; /* bump allocator over the root's RAM */
  uint64_t root_end_gpfn;
  uint64_t last_cycles;    /* cycles the last call took */
};

/* Boot a machine (lps, memory bytes). Returns 0 or -1 (message on stderr). */
int hcdrive_init(struct hcdrive *d, uint32_t lps, uint64_t mem_bytes);
void hcdrive_fini(struct hcdrive *d);

/* Issue a hypercall from VP vp_index of the partition in slot part:
 * input bytes go to the caller's input page (memory convention), output
 * comes back from its output page. Continuations are followed until the
 * call returns. Returns RAX (status | reps done << 32), or ~0 when the
 * call raised an exception (#UD: no hypercall page). For fast calls pass
 * rdx/r8 in the first 16 input bytes. */
uint64_t hcdrive_call(struct hcdrive *d, uint16_t part, uint32_t vp_index, uint64_t control,
                      const void *in, size_t in_len, void *out, size_t out_len);
/* Same with explicit GPAs for input and output (alignment tests). */
uint64_t hcdrive_call_at(struct hcdrive *d, uint16_t part, uint32_t vp_index, uint64_t control,
                         uint64_t in_gpa, const void *in, size_t in_len, uint64_t out_gpa, void *out,
                         size_t out_len);

/* Take n free root pages (identity GPAs = SPAs); returns the first gpfn or 0. */
uint64_t hcdrive_root_pages(struct hcdrive *d, uint64_t n);
/* Build a running child through root hypercalls: create, deposit pool,
 * initialize, map mem_pages of RAM at GPA 0, create vps VPs (unsuspended
 * unless suspended), enable its hypercall page. Returns the partition id
 * and its slot, or 0 on failure. */
uint64_t hcdrive_child(struct hcdrive *d, uint64_t mem_pages, uint32_t vps, uint16_t *slot);
/* The partition slot of id, or 0xFFFF. */
uint16_t hcdrive_slot(struct hcdrive *d, uint64_t id);

#endif /* SIM_HCDRIVE_H */
