/*
 * coro.h — stackful coroutines for guest VPs in the model simulator.
 *
 * Each VP's guest program runs on its own stack; the simulator switches
 * to it to "enter" the VP and the guest switches back to "exit". A switch
 * saves only the callee-saved registers (System V AMD64 ABI), so an
 * entry/exit round trip costs a few nanoseconds. AddressSanitizer is told
 * about every stack switch.
 */
#ifndef SIM_CORO_H
#define SIM_CORO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct coro {
  void *sp;           /* saved stack pointer while switched out */
  uint64_t entries;   /* switches to this coroutine so far (right after sp: arena.h reads it) */
  struct arena *arena; /* the stack's arena block (arena.h), or NULL: mmap'ed */
  void *stack;        /* mmap'ed stack (NULL for the host context) */
  size_t stack_size;
  void *asan_fake;    /* AddressSanitizer fake-stack handle */
  const void *asan_bottom; /* stack bounds told to AddressSanitizer */
  size_t asan_size;
};

/* Create a coroutine that will run fn(arg) on a new stack when first
 * switched to. Returns 0, or -1 if the stack cannot be allocated. fn must
 * never return. */
int coro_init(struct coro *c, size_t stack_size, void (*fn)(void *), void *arg);
/* The same with the stack taken from arena a (a whole-simulation
 * checkpoint then holds the stack's live part; arena.h). */
int coro_init_in(struct coro *c, struct arena *a, size_t stack_size, void (*fn)(void *), void *arg);
/* Tell AddressSanitizer that [p, p + n) holds no frames (a stack whose
 * frames were replaced by a checkpoint's, or given back); no-op elsewhere. */
void coro_stack_unpoison(void *p, size_t n);

void coro_destroy(struct coro *c);
/* Programs that create and destroy many coroutines (the vmbus fuzzer):
 * destroyed stacks are zeroed (the pages they touched) and reused instead
 * of unmapped and mapped again. Off by default. */
void coro_recycle_stacks(bool on);
/* Save the current context in from and continue in to. Used in pairs
 * only: the host switches to a coroutine, which switches back to it. */
void coro_switch(struct coro *from, struct coro *to);
/* First thing a coroutine's fn does: note the host's stack (ASan). */
void coro_started(struct coro *host);

#endif /* SIM_CORO_H */
