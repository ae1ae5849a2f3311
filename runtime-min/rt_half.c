/* runtime-min/rt_half.c: float16 and bfloat16 as storage types, converted to and
 * from float32 at the edges (round to nearest even; NaN stays NaN). */
#include "runtime-min/lwrt.h"

/* @helper lwrt_f16_to_f32 deps: lwrt_f32_bits */
LWRT_FN float lwrt_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (uint32_t)(h >> 10) & 0x1fu;
    uint32_t man = (uint32_t)h & 0x3ffu;
    if (exp == 0x1fu)
        return lwrt_f32_bits(sign | 0x7f800000u | (man << 13));
    if (exp == 0) {
        if (man == 0)
            return lwrt_f32_bits(sign);
        /* subnormal: normalize */
        exp = 113;
        while (!(man & 0x400u)) {
            man <<= 1;
            exp--;
        }
        man &= 0x3ffu;
        return lwrt_f32_bits(sign | (exp << 23) | (man << 13));
    }
    return lwrt_f32_bits(sign | ((exp + 112u) << 23) | (man << 13));
}

/* @helper lwrt_f32_to_f16 deps: lwrt_bits_f32 */
LWRT_FN uint16_t lwrt_f32_to_f16(float f)
{
    uint32_t x = lwrt_bits_f32(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t man = x & 0x7fffffu;
    if (exp == 0xffu) /* inf or NaN (quiet, keep the top payload bits) */
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0u));
    int32_t e = (int32_t)exp - 127 + 15;
    if (e >= 0x1f)
        return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) {
        if (e < -10)
            return (uint16_t)sign;
        man |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t half = 1u << (shift - 1);
        uint32_t rest = man & ((1u << shift) - 1u);
        uint32_t r = man >> shift;
        if (rest > half || (rest == half && (r & 1u)))
            r++;
        return (uint16_t)(sign | r);
    }
    uint32_t r = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rest = man & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (r & 1u)))
        r++; /* may carry into the exponent, up to infinity: still correct */
    return (uint16_t)(sign | r);
}

/* @helper lwrt_bf16_to_f32 deps: lwrt_f32_bits */
LWRT_FN float lwrt_bf16_to_f32(uint16_t h)
{
    return lwrt_f32_bits((uint32_t)h << 16);
}

/* @helper lwrt_f32_to_bf16 deps: lwrt_bits_f32 */
LWRT_FN uint16_t lwrt_f32_to_bf16(float f)
{
    uint32_t x = lwrt_bits_f32(f);
    if ((x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffffu))
        return (uint16_t)((x >> 16) | 0x40u); /* quiet NaN */
    uint32_t rest = x & 0xffffu, r = x >> 16;
    if (rest > 0x8000u || (rest == 0x8000u && (r & 1u)))
        r++;
    return (uint16_t)r;
}
