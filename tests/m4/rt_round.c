/* runtime-min's lwrt_roundevenf as Cortex-M4F firmware compiles it (VFP's vcvtr, blended
 * in the bits), against the portable lwrt_roundevenf_bits, bit for bit: ties to even,
 * signed zeros, values at and past 2^23 (where vcvtr would saturate), infinities, NaN,
 * subnormals, and a sweep of quarters. Prints "rounding: N mismatches" through
 * semihosting (tests/m4/run_rt_round.sh). */
#include <stdint.h>
#include <stdio.h>

#include "runtime-min/lwrt.h"

static unsigned bad;

static void check(float x)
{
    uint32_t got = lwrt_bits_f32(lwrt_roundevenf(x)), want = lwrt_bits_f32(lwrt_roundevenf_bits(x));
    if (got != want && !((want & 0x7fffffffu) > 0x7f800000u && (got & 0x7fffffffu) > 0x7f800000u)) {
        if (bad++ < 10)
            printf("x %08lx: got %08lx want %08lx\n", (unsigned long)lwrt_bits_f32(x),
                   (unsigned long)got, (unsigned long)want);
    }
}

int main(void)
{
    static const uint32_t bits[] = {
        0x00000000u, 0x80000000u, 0x3f000000u, 0xbf000000u, /* +-0, +-0.5 */
        0x3effffffu, 0xbecccccdu, 0x3fc00000u, 0xc0200000u, /* 0.49999997, -0.4, 1.5, -2.5 */
        0x4afffffdu, 0x4affffffu, 0xcaffffffu, 0x4b000000u, /* 8388606.5, 8388607.5, -, 2^23 */
        0xcb000001u, 0x4b800001u, 0x4f000000u, 0xcf000000u, /* -(2^23+1), 2^24+2, +-2^31 */
        0x501502f9u, 0x7f7fffffu, 0xff7fffffu, 0x7f800000u, /* 1e10, +-max, inf */
        0xff800000u, 0x7fc00000u, 0xffc00001u, 0x00000001u, /* -inf, NaNs, subnormals */
        0x807fffffu, 0x00800000u, 0x3f7fffffu, 0xbf800001u,
    };
    for (unsigned i = 0; i < sizeof bits / sizeof bits[0]; i++)
        check(lwrt_f32_bits(bits[i]));
    for (int32_t k = -40000; k <= 40000; k++)
        check((float)k * 0.25f);
    for (uint32_t u = 0x4afff000u; u <= 0x4b001000u; u++) {
        check(lwrt_f32_bits(u));
        check(lwrt_f32_bits(u | 0x80000000u));
    }
    printf("rounding: %u mismatches\n", bad);
    return 0;
}
