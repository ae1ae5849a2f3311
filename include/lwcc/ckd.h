/* Checked size arithmetic: each helper returns false on overflow instead of
 * wrapping (as SQLite's sqlite3MulInt64 does), with builtins where available. */
#ifndef LWCC_LWCC_CKD_H
#define LWCC_LWCC_CKD_H

#include <stdbool.h>
#include <stdint.h>

static inline bool ckd_add_u64(uint64_t *r, uint64_t a, uint64_t b)
{
#if defined(__GNUC__)
    return !__builtin_add_overflow(a, b, r);
#else
    if (a > UINT64_MAX - b)
        return false;
    *r = a + b;
    return true;
#endif
}

static inline bool ckd_mul_u64(uint64_t *r, uint64_t a, uint64_t b)
{
#if defined(__GNUC__)
    return !__builtin_mul_overflow(a, b, r);
#else
    if (a != 0 && b > UINT64_MAX / a)
        return false;
    *r = a * b;
    return true;
#endif
}

static inline bool ckd_mul_i64(int64_t *r, int64_t a, int64_t b)
{
#if defined(__GNUC__)
    return !__builtin_mul_overflow(a, b, r);
#else
    if (a > 0 ? (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a)
              : (b > 0 ? a < INT64_MIN / b : (a != 0 && b < INT64_MAX / a)))
        return false;
    *r = a * b;
    return true;
#endif
}

static inline bool ckd_add_i64(int64_t *r, int64_t a, int64_t b)
{
#if defined(__GNUC__)
    return !__builtin_add_overflow(a, b, r);
#else
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
        return false;
    *r = a + b;
    return true;
#endif
}

/* uint64 -> size_t / uint32 narrowing; false when the value does not fit. */
static inline bool ckd_size(size_t *r, uint64_t v)
{
    if (v > (uint64_t)SIZE_MAX)
        return false;
    *r = (size_t)v;
    return true;
}

static inline bool ckd_u32(uint32_t *r, uint64_t v)
{
    if (v > UINT32_MAX)
        return false;
    *r = (uint32_t)v;
    return true;
}

#endif
