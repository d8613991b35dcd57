/*
 * coro.c — stackful coroutines (see coro.h). Host code of the simulator.
 */
#include "coro.h"

#include <string.h>

#include "arena.h"
#include <sys/mman.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#endif

#ifdef CORO_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old, size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif

void coro_switch_raw(void **save_sp, void *new_sp);
void coro_trampoline(void);

/* Stacks of destroyed coroutines, zeroed, for the next ones (see
 * coro_recycle_stacks). */
#define CORO_SPARE_MAX 16
static struct {
  bool on;
  uint32_t n;
  void *stack[CORO_SPARE_MAX];
  size_t size[CORO_SPARE_MAX];
} coro_spare;

void coro_recycle_stacks(bool on) { coro_spare.on = on; }

static void *coro_stack_take(size_t size) {
  for (uint32_t i = coro_spare.n; i-- > 0;)
    if (coro_spare.size[i] == size) {
      void *s = coro_spare.stack[i];
      coro_spare.stack[i] = coro_spare.stack[--coro_spare.n];
      coro_spare.size[i] = coro_spare.size[coro_spare.n];
      return s;
    }
  return mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}

/* Keep a stack for reuse, as clean as a new one: the pages the coroutine
 * touched and that are resident (mincore) are zeroed; the others are given
 * back (MADV_DONTNEED: never touched, or swapped out) and read as zero
 * again. False: unmap it. */
static bool coro_stack_keep(void *stack, size_t size) {
  unsigned char resident[256];
  size_t pages = size / 4096;
  if (!coro_spare.on || coro_spare.n == CORO_SPARE_MAX || size % 4096 || pages > sizeof resident ||
      mincore(stack, size, resident) != 0)
    return false;
  for (size_t p = 0; p < pages;) {
    size_t q = p;
    while (q < pages && (resident[q] & 1) == (resident[p] & 1))
      q++;
    if (resident[p] & 1)
      memset((char *)stack + p * 4096, 0, (q - p) * 4096);
    else if (madvise((char *)stack + p * 4096, (q - p) * 4096, MADV_DONTNEED) != 0)
      return false;
    p = q;
  }
  coro_spare.stack[coro_spare.n] = stack;
  coro_spare.size[coro_spare.n++] = size;
  return true;
}

void coro_stack_unpoison(void *p, size_t n) {
#ifdef CORO_ASAN
  __asan_unpoison_memory_region(p, n);
#else
  (void)p, (void)n;
#endif
}

static int coro_start(struct coro *c, void *stack, size_t stack_size, void (*fn)(void *), void *arg);

int coro_init(struct coro *c, size_t stack_size, void (*fn)(void *), void *arg) {
  memset(c, 0, sizeof *c);
  void *stack = coro_stack_take(stack_size);
  if (stack == MAP_FAILED)
    return -1;
  return coro_start(c, stack, stack_size, fn, arg);
}

int coro_init_in(struct coro *c, struct arena *a, size_t stack_size, void (*fn)(void *), void *arg) {
  memset(c, 0, sizeof *c);
  void *stack = arena_alloc_stack(a, stack_size);
  if (!stack)
    return -1;
  c->arena = a;
  arena_stack_sp(a, stack, &c->sp);
  return coro_start(c, stack, stack_size, fn, arg);
}

/* Each coroutine's switch count starts at a value of its own (host
 * state, never seen by the simulation): a coroutine created later in the
 * same block never shows a count a checkpoint saw (checkpoint.h). */
static uint64_t coro_serial;

static int coro_start(struct coro *c, void *stack, size_t stack_size, void (*fn)(void *), void *arg) {
  c->entries = ++coro_serial << 32;
  c->stack = stack;
  c->stack_size = stack_size;
  /* Initial frame: r15 r14 r13 r12 rbx rbp, then the return address. The
   * trampoline runs with RSP 16-byte aligned, so fn is entered as if
   * called (RSP = 8 mod 16). */
  uintptr_t top = ((uintptr_t)stack + stack_size) & ~(uintptr_t)15;
  uint64_t *sp = (uint64_t *)(top - 72);
  sp[0] = 0;                        /* r15 */
  sp[1] = 0;                        /* r14 */
  sp[2] = 0;                        /* r13 */
  sp[3] = (uint64_t)(uintptr_t)arg; /* r12 */
  sp[4] = (uint64_t)(uintptr_t)fn;  /* rbx */
  sp[5] = 0;                        /* rbp */
  sp[6] = (uint64_t)(uintptr_t)coro_trampoline;
  c->sp = sp;
  c->asan_bottom = stack;
  c->asan_size = stack_size;
  return 0;
}

void coro_destroy(struct coro *c) {
  if (c->stack && c->arena) {
    arena_free(c->arena, c->stack);
  } else if (c->stack) {
#ifdef CORO_ASAN
    __asan_unpoison_memory_region(c->stack, c->stack_size);
#endif
    if (!coro_stack_keep(c->stack, c->stack_size))
      munmap(c->stack, c->stack_size);
  }
  memset(c, 0, sizeof *c);
}

void coro_switch(struct coro *from, struct coro *to) {
  to->entries++;
#ifdef CORO_ASAN
  __sanitizer_start_switch_fiber(&from->asan_fake, to->asan_bottom, to->asan_size);
#endif
  coro_switch_raw(&from->sp, to->sp);
#ifdef CORO_ASAN
  /* Resumed by `to` (coroutines are used in host <-> fiber pairs). */
  __sanitizer_finish_switch_fiber(from->asan_fake, &to->asan_bottom, &to->asan_size);
#endif
}

void coro_started(struct coro *host) {
#ifdef CORO_ASAN
  __sanitizer_finish_switch_fiber(0, &host->asan_bottom, &host->asan_size);
#else
  (void)host;
#endif
}
