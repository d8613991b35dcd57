/*
 * fuzz_common.h — what every hvsim fuzz harness shares: a bounds-checked
 * reader over the fuzzer's input bytes and the oracle failure report.
 *
 * A harness is one file (fuzz_<name>.c) defining LLVMFuzzerTestOneInput;
 * it links with libFuzzer (-fsanitize=fuzzer), with AFL++'s driver
 * (afl-clang-fast -fsanitize=fuzzer) or with fuzz_main.c (replay of files,
 * the regression tests). See fuzz/README.md.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The entry points every harness defines (libFuzzer's interface). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A cursor over the input. Reads past the end yield zeros and set
 * exhausted, so a decoder never needs a length check per field. */
struct fz_in {
  const uint8_t *p;
  size_t n;
  bool exhausted;
};

static inline struct fz_in fz_in_make(const uint8_t *data, size_t size) {
  struct fz_in in = {data, size, false};
  return in;
}

static inline bool fz_more(const struct fz_in *in) { return in->n > 0; }

/* Little-endian integers of the given width; missing bytes read as 0. */
uint64_t fz_uint(struct fz_in *in, unsigned bytes);
static inline uint8_t fz_u8(struct fz_in *in) { return (uint8_t)fz_uint(in, 1); }
static inline uint16_t fz_u16(struct fz_in *in) { return (uint16_t)fz_uint(in, 2); }
static inline uint32_t fz_u32(struct fz_in *in) { return (uint32_t)fz_uint(in, 4); }
static inline uint64_t fz_u64(struct fz_in *in) { return fz_uint(in, 8); }
/* Take up to max bytes (fewer at the end of the input); returns how many
 * and points *out at them (inside the input, not copied). */
size_t fz_take(struct fz_in *in, size_t max, const uint8_t **out);

/* memcmp(a, b, n) == 0 without the sanitizer's interceptor (which checks
 * both ranges byte by byte): the harnesses compare state after every
 * operation. */
bool fz_equal(const void *a, const void *b, size_t n);

/* For the harness support code's own scans of memory it owns. */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 8)
#define FZ_NO_ASAN __attribute__((no_sanitize("address", "undefined")))
#else
#define FZ_NO_ASAN
#endif

/* Oracle failure: prints "hvsim-fuzz: ORACLE FAILED: <message>" with the
 * operation context set by fz_context, then aborts (a crash to the
 * fuzzing engine, which saves the input). Never returns. */
_Noreturn void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define FZ_CHECK(cond, ...)                                                    \
  do {                                                                         \
    if (!(cond))                                                               \
      fz_fail(__VA_ARGS__);                                                    \
  } while (0)
/* The operation being run, shown in failure messages: a fixed text, or a
 * function that writes it, called only when an oracle fails (so a
 * harness pays nothing per operation for describing it). */
void fz_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fz_set_describe(void (*fn)(char *buf, size_t len));

/* True when HVSIM_FUZZ_TRACE is set: harnesses print one line per
 * operation to stderr (for reading a finding's replay). */
bool fz_verbose(void);

#endif /* FUZZ_COMMON_H */
