/*
 * types.h — typed addresses and identifiers of the hypervisor core.
 *
 * A GPA (guest physical), an SPA (system physical) and a GVA (guest
 * virtual) are different address spaces; mixing them is the classic
 * hypervisor bug, so each is a one-member struct and a mix-up does not
 * compile. Freestanding.
 */
#ifndef HV_TYPES_H
#define HV_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct { uint64_t v; } gpa_t;
typedef struct { uint64_t v; } spa_t;
typedef struct { uint64_t v; } gva_t;

typedef uint16_t hv_status_t;

static inline gpa_t gpa(uint64_t v) { return (gpa_t){v}; }
static inline spa_t spa(uint64_t v) { return (spa_t){v}; }
static inline uint64_t gpa_pfn(gpa_t a) { return a.v >> 12; }
static inline uint64_t spa_pfn(spa_t a) { return a.v >> 12; }
static inline spa_t spa_from_pfn(uint64_t pfn) { return (spa_t){pfn << 12}; }
static inline gpa_t gpa_from_pfn(uint64_t pfn) { return (gpa_t){pfn << 12}; }

#define HV_PAGE_SIZE 4096u
#define HV_PAGE_SHIFT 12
#define HV_PAGE_MASK 0xFFFull

#endif /* HV_TYPES_H */
