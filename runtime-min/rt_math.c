/* runtime-min/rt_math.c: float32 math helpers for generated code and the kernel-IR interpreter.
 * Each "@helper NAME deps: ..." line starts one helper, which cmake/embed.cmake copies into
 * the string table; it ends at the next marker. Deps must list every lwrt_ name used. */
#include "runtime-min/lwrt.h"

/* Only float and integer arithmetic, never double: Cortex-M4 has a single-precision FPU.
 * Constants are hex literals so every compiler reads the same bits. */

/* @helper lwrt_f32_bits deps: */
LWRT_FN float lwrt_f32_bits(uint32_t u)
{
    union {
        uint32_t u;
        float f;
    } v;
    v.u = u;
    return v.f;
}

/* @helper lwrt_bits_f32 deps: */
LWRT_FN uint32_t lwrt_bits_f32(float x)
{
    union {
        float f;
        uint32_t u;
    } v;
    v.f = x;
    return v.u;
}

/* @helper lwrt_inff deps: lwrt_f32_bits */
LWRT_FN float lwrt_inff(void)
{
    return lwrt_f32_bits(0x7f800000u);
}

/* @helper lwrt_nanf deps: lwrt_f32_bits */
LWRT_FN float lwrt_nanf(void)
{
    return lwrt_f32_bits(0x7fc00000u);
}

/* @helper lwrt_ldexpf deps: lwrt_f32_bits */
/* x * 2^k with a single rounding: when the result is subnormal, the first step keeps x
 * normal and exact, so only the last multiplication rounds. */
LWRT_FN float lwrt_ldexpf(float x, int32_t k)
{
    if (k > 127) {
        x *= 0x1p127f;
        k -= 127;
        if (k > 127) {
            x *= 0x1p127f;
            k -= 127;
            if (k > 127)
                k = 127;
        }
    } else if (k < -126) {
        x *= 0x1p-102f;
        k += 102;
        if (k < -126) {
            x *= 0x1p-102f;
            k += 102;
            if (k < -126)
                k = -126;
        }
    }
    return x * lwrt_f32_bits((uint32_t)(k + 127) << 23);
}

/* @helper lwrt_two_prodf deps: lwrt_bits_f32 lwrt_f32_bits */
/* Dekker's product: returns RN(a*b) and stores a*b - RN(a*b) exactly in *err (no overflow or
 * underflow assumed). The operands are split by masking into 12-bit halves, so every partial
 * product is exact and FMA contraction cannot change the result. */
LWRT_FN float lwrt_two_prodf(float a, float b, float *err)
{
    float p = a * b;
    float ah = lwrt_f32_bits(lwrt_bits_f32(a) & 0xfffff000u), al = a - ah;
    float bh = lwrt_f32_bits(lwrt_bits_f32(b) & 0xfffff000u), bl = b - bh;
    *err = (((ah * bh - p) + ah * bl) + al * bh) + al * bl;
    return p;
}

/* @helper lwrt_exp_rangef deps: lwrt_bits_f32 lwrt_f32_bits */
/* exp(a) for |a| <= 104 (beyond, exp rounds to 0 or overflows as it does at +-104), without
 * branches so that a compiler vectorizes the loops it is inlined in. a = k*ln2 + r with
 * |r| <= ln2/2, k = a*log2e rounded half away from zero (0.5 with kf's sign added); k*LN2_HI
 * is exact, so r is exact up to one rounding whose error c is carried. exp(r) by its Taylor
 * series to r^7 (truncation < 0.1 ulp); 1 + r is kept as two floats so only the last
 * addition rounds at full size. 2^k, |k| <= 150, is applied as 2^(k/2) * 2^(k - k/2), two
 * normal powers of two, so only the last multiplication rounds (to a subnormal or to
 * infinity too). */
LWRT_FN float lwrt_exp_rangef(float a)
{
    const float ln2_hi = 0x1.62e4p-1f, ln2_lo = 0x1.7f7d1cp-20f, log2e = 0x1.715476p+0f;
    float kf, hi, lo, r, c, q, s;
    int32_t k, k1;

    kf = a * log2e;
    k = (int32_t)(kf + lwrt_f32_bits(0x3f000000u | (lwrt_bits_f32(kf) & 0x80000000u)));
    hi = a - (float)k * ln2_hi;
    lo = (float)k * ln2_lo;
    r = hi - lo;
    c = (hi - r) - lo;
    q = r * r *
        (0.5f + r * (0x1.555556p-3f +
                     r * (0x1.555556p-5f +
                          r * (0x1.111112p-7f + r * (0x1.6c16c2p-10f + r * 0x1.a01a02p-13f)))));
    s = 1.0f + r;
    c += (1.0f - s) + r; /* the rounding error of 1 + r, exact */
    k1 = k / 2;
    return (s + (c + q)) * lwrt_f32_bits((uint32_t)(k1 + 127) << 23) *
           lwrt_f32_bits((uint32_t)(k - k1 + 127) << 23);
}

/* @helper lwrt_expf deps: lwrt_bits_f32 lwrt_exp_rangef lwrt_f32_bits */
/* Within 1 ulp. |x| is clamped to 104 in the bits, as an integer minimum (a float select
 * against a constant lets the compiler split the rest into branches): exp(+-104) is already
 * inf or 0, and a NaN is clamped too, so none reaches exp_rangef's conversion to int; the
 * NaN is put back by a blend in the bits. For |x| < 2^-25 the general path rounds to 1 + x
 * too. No branches, so a loop of exps vectorizes. */
LWRT_FN float lwrt_expf(float x)
{
    uint32_t u = lwrt_bits_f32(x), au = u & 0x7fffffffu, n, ur;

    ur = lwrt_bits_f32(
        lwrt_exp_rangef(lwrt_f32_bits((au < 0x42d00000u ? au : 0x42d00000u) | (u & 0x80000000u))));
    n = 0u - (uint32_t)(au > 0x7f800000u);
    return lwrt_f32_bits(ur ^ ((ur ^ lwrt_bits_f32(x + x)) & n));
}

/* @helper lwrt_logf deps: lwrt_bits_f32 lwrt_f32_bits */
/* x = 2^e * m with m in [sqrt(1/2), sqrt(2)), f = m - 1 exact. With s = f/(2+f),
 * log(1+f) = 2 atanh(s) = f - (f^2/2 - s*(f^2/2 + R)), R = 2s^2/3 + 2s^4/5 + ...;
 * e*LN2_HI is exact. Without branches, so a loop of logs vectorizes: a subnormal x is
 * scaled by 2^23 (computed for every x, picked in the bits), m > sqrt(2) is halved by a
 * mask, and the special cases are blended in over the general path's result. */
LWRT_FN float lwrt_logf(float x)
{
    const float ln2_hi = 0x1.62e4p-1f, ln2_lo = 0x1.7f7d1cp-20f;
    uint32_t u = lwrt_bits_f32(x), v, m;
    int32_t e;
    float f, s, z, R, hfsq, ef, r;

    /* below 2^-126 (and +0, whose result is replaced): the bits of x * 2^23 */
    m = 0u - (uint32_t)(u < 0x00800000u);
    v = u ^ ((u ^ lwrt_bits_f32(x * 0x1p23f)) & m);
    e = (int32_t)(v >> 23) - 127 - (int32_t)(m & 23u);
    v = (v & 0x007fffffu) | 0x3f800000u;
    m = 0u - (uint32_t)(v > 0x3fb504f3u); /* m > sqrt(2): halve it */
    v -= m & 0x00800000u;
    e += (int32_t)(m & 1u);
    f = lwrt_f32_bits(v) - 1.0f;
    s = f / (2.0f + f);
    z = s * s;
    R = z * (0x1.555556p-1f + z * (0x1.99999ap-2f + z * (0x1.24924ap-2f + z * 0x1.c71c72p-3f)));
    hfsq = 0.5f * f * f;
    ef = (float)e;
    r = ef * ln2_hi + (f - (hfsq - (s * (hfsq + R) + ef * ln2_lo)));
    /* +inf and NaN give x + x; so would negative numbers, which are replaced next */
    v = lwrt_bits_f32(r);
    m = 0u - (uint32_t)(u >= 0x7f800000u);
    v ^= (v ^ lwrt_bits_f32(x + x)) & m;
    /* negative, from below -0 down to -inf (one unsigned comparison): NaN */
    m = 0u - (uint32_t)(u - 0x80000001u <= 0xff800000u - 0x80000001u);
    v ^= (v ^ 0x7fc00000u) & m;
    m = 0u - (uint32_t)((u & 0x7fffffffu) == 0); /* log(+-0) = -inf */
    v ^= (v ^ 0xff800000u) & m;
    return lwrt_f32_bits(v);
}

/* @helper lwrt_sqrtf_soft deps: lwrt_bits_f32 lwrt_f32_bits lwrt_nanf */
/* Correctly rounded square root by integer arithmetic: the 25-bit integer root of the
 * mantissa scaled by 2^25 gives the result and a rounding bit; a square root is never
 * exactly halfway between two floats, so adding the rounding bit rounds to nearest. */
LWRT_FN float lwrt_sqrtf_soft(float x)
{
    uint32_t u = lwrt_bits_f32(x), m;
    int32_t e;
    uint64_t rem, res = 0, bit = (uint64_t)1 << 50;

    if (u >= 0x7f800000u || u == 0) {
        if (u == 0x7f800000u || u == 0 || u == 0x80000000u)
            return x; /* +inf, +0, -0 */
        if (x != x)
            return x + x;
        return lwrt_nanf(); /* negative */
    }
    e = (int32_t)(u >> 23);
    m = u & 0x007fffffu;
    if (e == 0) { /* subnormal: normalize */
        e = 1;
        while (!(m & 0x00800000u)) {
            m <<= 1;
            e--;
        }
    } else {
        m |= 0x00800000u;
    }
    e -= 127; /* x = m * 2^(e-23), m in [2^23, 2^24) */
    if ((uint32_t)e & 1u) {
        m <<= 1;
        e--;
    }
    rem = (uint64_t)m << 25; /* in [2^48, 2^50): its root has 25 bits */
    while (bit) {
        if (rem >= res + bit) {
            rem -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    m = (uint32_t)(res >> 1) + (uint32_t)(res & 1u); /* may carry into the exponent */
    return lwrt_f32_bits(((uint32_t)(e / 2 + 127) << 23) + (m - 0x00800000u));
}

/* @helper lwrt_sqrtf deps: lwrt_sqrtf_soft */
/* The hardware instruction where there is one (IEEE requires it correctly rounded), written
 * as inline assembly so no libm call or errno handling can appear. */
LWRT_FN float lwrt_sqrtf(float x)
{
#if defined(LWRT_BITCODE) && defined(__clang__)
    /* lwcc's LLVM backend (clang -fno-math-errno): the llvm.sqrt intrinsic, which LLVM
     * lowers to the same instruction and can vectorize */
    return __builtin_sqrtf(x);
#elif defined(__GNUC__) && (defined(__x86_64__) || (defined(__i386__) && defined(__SSE_MATH__)))
    float r;
    __asm__("sqrtss %1, %0" : "=x"(r) : "x"(x));
    return r;
#elif defined(__GNUC__) && defined(__aarch64__)
    float r;
    __asm__("fsqrt %s0, %s1" : "=w"(r) : "w"(x));
    return r;
#elif defined(__GNUC__) && defined(__arm__) && defined(__ARM_FP) && (__ARM_FP & 4)
    float r;
    __asm__("vsqrt.f32 %0, %1" : "=t"(r) : "t"(x));
    return r;
#else
    return lwrt_sqrtf_soft(x);
#endif
}

/* @helper lwrt_exp_negf deps: lwrt_bits_f32 lwrt_f32_bits */
/* exp(a) for a <= 0 within 1 ulp (a NaN gives garbage: callers select around it). Cheaper
 * than exp_rangef, for the sigmoid and tanh: a <= 0 is clamped to -104 as an integer minimum
 * of the bits (a NaN with the sign set becomes -104 too); k = a*log2e rounded half away from
 * zero is a truncation of kf - 0.5; k*LN2_HI is exact, so r = a - k*ln2 rounds once, |r| <=
 * ln2/2. exp(r) = 1 + t, t = r + r^2 P(r), P a degree-4 fit (0.08 ulp). 2^k, -150 <= k <= 0,
 * is applied as 2^k1 * 2^(k - k1), k1 = max(k, -126), two normal powers of two, so only the
 * last multiplication rounds (to a subnormal too). No branches, about 20 operations. */
LWRT_FN float lwrt_exp_negf(float a)
{
    const float ln2_hi = 0x1.62e4p-1f, ln2_lo = 0x1.7f7d1cp-20f, log2e = 0x1.715476p+0f;
    uint32_t ua = lwrt_bits_f32(a);
    float fk, r, p, t, f1, f2;
    int32_t k, k1;

    a = lwrt_f32_bits(ua < 0xc2d00000u ? ua : 0xc2d00000u);
    k = (int32_t)(a * log2e - 0.5f);
    fk = (float)k;
    r = (a - fk * ln2_hi) - fk * ln2_lo;
    p = 0x1.fffffcp-2f +
        r * (0x1.55548ap-3f + r * (0x1.555916p-5f + r * (0x1.123fc8p-7f + r * 0x1.6a1a6ap-10f)));
    t = r + r * r * p;
    k1 = k > -126 ? k : -126;
    f1 = lwrt_f32_bits((uint32_t)(k1 + 127) << 23);
    f2 = lwrt_f32_bits((uint32_t)(k - k1 + 127) << 23);
    return ((1.0f + t) * f1) * f2;
}

/* @helper lwrt_sigmoidf deps: lwrt_bits_f32 lwrt_exp_negf lwrt_f32_bits */
/* Within 2.41 ulp (every float checked, x86-64 with and without FMA contraction). u =
 * exp(-|x|) <= 1 never overflows; the result is n/(1 + u) with n = 1 or u: three roundings (u,
 * 1 + u, the division) and nothing to correct them. Keeping 1 + u and u as two floats each and
 * correcting the quotient gave 1.43 ulp for half again the time (0.59 against 0.39 ns per SiLU
 * on a Zen 4 core, where SiLU was a quarter of efficientnet_b0's time); a few ulp is the aim.
 * Without branches (the special cases are blended in the bits, and x's sign is tested once: a
 * second test lets the compiler duplicate the code between them into branches), so a loop of
 * sigmoids vectorizes. */
LWRT_FN float lwrt_sigmoidf(float x)
{
    float u, n, q;
    uint32_t m, uq;

    u = lwrt_exp_negf(lwrt_f32_bits(lwrt_bits_f32(x) | 0x80000000u)); /* exp(-|x|) */
    m = 0u - (uint32_t)(x < 0.0f); /* n = x < 0 ? u : 1, blended in the bits */
    n = lwrt_f32_bits((lwrt_bits_f32(u) & m) | (0x3f800000u & ~m));
    q = n / (1.0f + u);
    /* a blend of computed values in the bits, not a select: a select lets the compiler
     * sink the computation of the value only one arm uses into a branch, and an operation
     * in one arm (that could trap) keeps it from vectorizing */
    uq = lwrt_bits_f32(q);
    m = 0u - (uint32_t)(x != x);
    return lwrt_f32_bits(uq ^ ((uq ^ lwrt_bits_f32(x)) & m));
}

/* @helper lwrt_tanhf deps: lwrt_bits_f32 lwrt_exp_negf lwrt_f32_bits */
/* |x| < 0.625: x + x^3 P(x^2), P a minimax fit (relative error 3e-9); for |x| < 2^-12 that
 * rounds to x, as x^3/3 is below half an ulp. Above, 1 - 2u/(1 + u) with u = exp(-2|x|) <= 0.29,
 * which rounds to 1 from |x| >= 9.02 (also for +-inf, u = 0); u's rounding is damped by the
 * 2/(1 + u) <= 2 and the 1 it is taken from. Without branches: both are computed and one is
 * picked in the bits (a NaN picks the polynomial, which keeps it), then x's sign is put back,
 * so a loop of tanh vectorizes. */
LWRT_FN float lwrt_tanhf(float x)
{
    uint32_t u = lwrt_bits_f32(x), au = u & 0x7fffffffu, m;
    float a = lwrt_f32_bits(au), z, p, e, q;

    z = a * a;
    p = a + a * z *
                (-0x1.555554p-2f +
                 z * (0x1.111066p-3f +
                      z * (-0x1.b9ee9p-5f +
                           z * (0x1.638b58p-6f + z * (-0x1.0bf4fep-7f + z * 0x1.18e1ep-9f)))));
    /* a + a is 2|x| or a NaN; with the sign set exp_negf's clamp takes either */
    e = lwrt_exp_negf(lwrt_f32_bits(lwrt_bits_f32(a + a) | 0x80000000u));
    q = 1.0f - (e + e) / (1.0f + e);
    /* the polynomial for au < 0x3f200000 (0.625) or a NaN (au > 0x7f800000): one unsigned
     * comparison, as au - 0x3f200000 wraps around below 0.625 */
    m = 0u - (uint32_t)(au - 0x3f200000u > 0x7f800000u - 0x3f200000u);
    return lwrt_f32_bits(
        ((lwrt_bits_f32(q) ^ ((lwrt_bits_f32(p) ^ lwrt_bits_f32(q)) & m)) | (u & 0x80000000u)));
}

/* @helper lwrt_pick3f deps: lwrt_bits_f32 lwrt_f32_bits */
/* c0, or c1 where the mask m1 is all ones, or c2 where m2 is (m2 only where m1 is): a choice
 * among computed values made in the bits, no branch or select the compiler could split the
 * code around, so loops over it vectorize. */
LWRT_FN float lwrt_pick3f(uint32_t m1, uint32_t m2, float c0, float c1, float c2)
{
    uint32_t b0 = lwrt_bits_f32(c0), b1 = lwrt_bits_f32(c1);

    return lwrt_f32_bits(b0 ^ ((b0 ^ b1) & m1) ^ ((b1 ^ lwrt_bits_f32(c2)) & m2));
}

/* @helper lwrt_erff deps: lwrt_bits_f32 lwrt_f32_bits lwrt_pick3f */
/* |x| < 1: x + x Q(x^2). 1 <= |x| < 3.9192: 1 - erfc(|x|), erfc by a degree-8 fit on each of
 * [1, 1.75), [1.75, 2.5), [2.5, 3.92] about the interval's middle (absolute error < 5e-9,
 * which is what 1 - erfc needs). Beyond, erfc < 2^-25 and erf rounds to 1. Without branches:
 * the fit's coefficients are picked in the bits, both ranges are computed and one result (or
 * 1) picked (a NaN picks the series, which keeps it), so a loop of erfs vectorizes. */
LWRT_FN float lwrt_erff(float x)
{
    static const float ec[3][9] = {
        {0x1.a8973cp-5f, -0x1.5ce594p-3f, 0x1.dfbbbp-3f, -0x1.4375d8p-3f, 0x1.f3b49cp-6f,
         0x1.f641dep-6f, -0x1.6acd3p-6f, 0x1.ee502ep-11f, 0x1.0ee5b2p-8f},
        {0x1.5bde72p-9f, -0x1.946256p-7f, 0x1.ada86ap-6f, -0x1.0ea3c2p-5f, 0x1.afe6fp-6f,
         -0x1.99bcfap-7f, 0x1.dbb5dcp-10f, 0x1.002b54p-9f, -0x1.5ddfb2p-10f},
        {0x1.7a2b82p-18f, -0x1.3ca796p-15f, 0x1.fcf4ap-14f, -0x1.0461f2p-12f, 0x1.75111ep-12f,
         -0x1.87ba9ep-12f, 0x1.4b64eep-12f, -0x1.d5da7p-13f, 0x1.781332p-14f},
    };
    uint32_t u = lwrt_bits_f32(x), au = u & 0x7fffffffu, m1, m2, m, ur;
    float a = lwrt_f32_bits(au), z, s, t, p;
    int32_t j;

    z = a * a;
    s = a + a * (0x1.06eba8p-3f +
                 z * (-0x1.81273ep-2f +
                      z * (0x1.ce2cf8p-4f +
                           z * (-0x1.b7f90ep-6f +
                                z * (0x1.5405b8p-8f +
                                     z * (-0x1.a3f722p-11f + z * 0x1.496a86p-14f))))));
    m1 = 0u - (uint32_t)(au >= 0x3fe00000u); /* 1.75 */
    m2 = 0u - (uint32_t)(au >= 0x40200000u); /* 2.5 */
    t = a - lwrt_pick3f(m1, m2, 1.375f, 2.125f, 3.21f);
    p = lwrt_pick3f(m1, m2, ec[0][8], ec[1][8], ec[2][8]);
    for (j = 7; j >= 0; j--) /* constant bounds: unrolled, the coefficients constants */
        p = p * t + lwrt_pick3f(m1, m2, ec[0][j], ec[1][j], ec[2][j]);
    ur = lwrt_bits_f32(1.0f - p);
    /* 1 from 0x1.f5a88ap+1 = 3.9192059 (a NaN too, but the next blend overrides it) */
    m = 0u - (uint32_t)(au >= 0x407ad445u);
    ur ^= (ur ^ 0x3f800000u) & m;
    /* the series for au < 0x3f800000 (1) or a NaN: one unsigned comparison, as
     * au - 0x3f800000 wraps around below 1 */
    m = 0u - (uint32_t)(au - 0x3f800000u > 0x7f800000u - 0x3f800000u);
    ur ^= (ur ^ lwrt_bits_f32(s)) & m;
    return lwrt_f32_bits(ur | (u & 0x80000000u));
}

/* @helper lwrt_rem_pio2f deps: lwrt_bits_f32 lwrt_f32_bits lwrt_two_prodf */
/* Payne-Hanek reduction for finite a >= pi/4: a = n*pi/2 + y[0] + y[1], |y| <= pi/4, exact
 * for every float. a = M*2^E with a 24-bit M; the bits of 2/pi worth less than 4/(M*2^E) are
 * skipped, the next 96 are multiplied by M in 32-bit pieces, and the top 64 bits of that
 * product modulo 4 are the quadrant and the fraction (error below 2^-70). */
LWRT_FN int32_t lwrt_rem_pio2f(float a, float *y)
{
    /* 2/pi in binary after the point, behind 64 zero bits for small exponents */
    static const uint32_t two_over_pi[9] = {0,           0,           0xa2f9836eu,
                                            0x4e441529u, 0xfc2757d1u, 0xf534ddc0u,
                                            0xdb629599u, 0x3c439041u, 0xfe5163abu};
    uint32_t u = lwrt_bits_f32(a), w[3], s, h, l, k;
    uint64_t mant = (u & 0x007fffffu) | 0x00800000u, p0, p1, p2, f;
    int32_t n, t, sh = 0, q = (int32_t)(u >> 23) - 150 - 1 + 63; /* first bit needed */
    float hi, lo, ph, pl;
    int neg = 0;

    for (t = 0; t < 3; t++, q += 32) {
        k = (uint32_t)q >> 5;
        s = (uint32_t)q & 31u;
        w[t] = s ? (two_over_pi[k] << s) | (two_over_pi[k + 1] >> (32u - s)) : two_over_pi[k];
    }
    p2 = mant * w[2];
    p1 = mant * w[1] + (p2 >> 32);
    p0 = mant * w[0] + (p1 >> 32);
    f = (p0 << 32) | (p1 & 0xffffffffu); /* 2 bits of quadrant, 62 of fraction */
    n = (int32_t)(f >> 62);
    f <<= 2;
    if (f >> 63) { /* fraction >= 1/2: next quadrant, negative remainder */
        n++;
        f = (uint64_t)0 - f;
        neg = 1;
    }
    if (f == 0) {
        y[0] = y[1] = 0.0f;
        return n & 3;
    }
    while (!(f >> 56)) {
        f <<= 8;
        sh += 8;
    }
    while (!(f >> 63)) {
        f <<= 1;
        sh++;
    }
    h = (uint32_t)(f >> 40);
    l = (uint32_t)(f >> 16) & 0x00ffffffu;
    hi = (float)h * lwrt_f32_bits((uint32_t)(127 - 24 - sh) << 23);
    lo = (float)l * lwrt_f32_bits((uint32_t)(127 - 48 - sh) << 23);
    /* times pi/2 = 0x1.921fb6p+0 - 0x1.777a5cp-25 */
    ph = lwrt_two_prodf(hi, 0x1.921fb6p+0f, &pl);
    pl += hi * -0x1.777a5cp-25f + lo * 0x1.921fb6p+0f;
    hi = ph + pl;
    lo = pl - (hi - ph);
    y[0] = neg ? -hi : hi;
    y[1] = neg ? -lo : lo;
    return n & 3;
}

/* @helper lwrt_sinf_k deps: */
/* sin(hi + lo) for |hi| <= pi/4, |lo| <= ulp(hi): Taylor series to hi^11 (truncation
 * 2e-9 relative); lo enters as lo*cos(hi) ~ lo*(1 - hi^2/2). */
LWRT_FN float lwrt_sinf_k(float hi, float lo)
{
    float z = hi * hi;
    float p = -0x1.555556p-3f +
              z * (0x1.111112p-7f +
                   z * (-0x1.a01a02p-13f + z * (0x1.71de3ap-19f + z * -0x1.ae6456p-26f)));

    return hi + (lo * (1.0f - 0.5f * z) + hi * z * p);
}

/* @helper lwrt_cosf_k deps: */
/* cos(hi + lo) for |hi| <= pi/4: Taylor series to hi^10 (truncation 1e-10);
 * 1 - hi^2/2 is rounded once and its rounding error is added back. */
LWRT_FN float lwrt_cosf_k(float hi, float lo)
{
    float z = hi * hi, hz = 0.5f * z, w = 1.0f - hz;
    float p = 0x1.555556p-5f +
              z * (-0x1.6c16c2p-10f + z * (0x1.a01a02p-16f + z * -0x1.27e4fcp-22f));

    return w + (((1.0f - w) - hz) + (z * z * p - hi * lo));
}

/* @helper lwrt_sinf deps: lwrt_bits_f32 lwrt_f32_bits lwrt_rem_pio2f lwrt_sinf_k lwrt_cosf_k */
LWRT_FN float lwrt_sinf(float x)
{
    uint32_t u = lwrt_bits_f32(x), au = u & 0x7fffffffu;
    float y[2], r;
    int32_t n;

    if (au >= 0x7f800000u) /* NaN for +-inf and NaN */
        return x - x;
    if (au <= 0x3f490fdau) { /* |x| <= pi/4 */
        if (au < 0x39800000u)
            return x; /* |x| < 2^-12: x^3/6 is below half an ulp */
        return lwrt_sinf_k(x, 0.0f);
    }
    n = lwrt_rem_pio2f(lwrt_f32_bits(au), y);
    r = (n & 1) ? lwrt_cosf_k(y[0], y[1]) : lwrt_sinf_k(y[0], y[1]);
    if (n & 2)
        r = -r;
    return (u >> 31) ? -r : r;
}

/* @helper lwrt_cosf deps: lwrt_bits_f32 lwrt_f32_bits lwrt_rem_pio2f lwrt_sinf_k lwrt_cosf_k */
LWRT_FN float lwrt_cosf(float x)
{
    uint32_t au = lwrt_bits_f32(x) & 0x7fffffffu;
    float y[2], r;
    int32_t n;

    if (au >= 0x7f800000u)
        return x - x;
    if (au <= 0x3f490fdau) {
        if (au < 0x39000000u)
            return 1.0f; /* |x| < 2^-13 */
        return lwrt_cosf_k(lwrt_f32_bits(au), 0.0f);
    }
    n = lwrt_rem_pio2f(lwrt_f32_bits(au), y);
    r = (n & 1) ? lwrt_sinf_k(y[0], y[1]) : lwrt_cosf_k(y[0], y[1]);
    return ((n + 1) & 2) ? -r : r;
}

/* @helper lwrt_powf deps: lwrt_bits_f32 lwrt_f32_bits lwrt_inff lwrt_nanf lwrt_ldexpf lwrt_two_prodf */
/* C99 Annex F special cases (ONNX Pow follows C), then 2^(y*log2|x|) in float-float
 * arithmetic (about 2^-35 relative) rounded once at the end: results are nearly always
 * correctly rounded, and exactly representable results (3^2, 2^-140, 1.5^3) are exact.
 * log2: |x| = 2^e*m, m in [sqrt(1/2), sqrt(2)), m*inv = 1 + r with inv ~ 1/(1 + i/32) from a
 * table of 9-bit values and -log2(inv); log(1+r) by series, |r| < 0.023.
 * exp2: t = k + j/32 + d, |d| <= 1/64, table of 2^(j/32), e^(d*ln2) by series. */
LWRT_FN float lwrt_powf(float x, float y)
{
    static const float logt[23][3] = { /* inv, -log2(inv) high, low; i = -9..13 */
        {0x1.64p+0f, -0x1.e726aap-2f, -0x1.e754d2p-30f},
        {0x1.55p+0f, -0x1.a78e14p-2f, -0x1.bdefbep-28f},
        {0x1.48p+0f, -0x1.6e221cp-2f, -0x1.b3a19cp-27f},
        {0x1.3bp+0f, -0x1.326396p-2f, -0x1.b5941ap-29f},
        {0x1.2fp+0f, -0x1.f20534p-3f, 0x1.b7dc36p-29f},
        {0x1.25p+0f, -0x1.8edcaep-3f, -0x1.06a56ep-28f},
        {0x1.1ap+0f, -0x1.1dcd1ap-3f, 0x1.155a9p-28f},
        {0x1.11p+0f, -0x1.7beeeap-4f, 0x1.28ebbp-29f},
        {0x1.08p+0f, -0x1.6bad38p-5f, 0x1.4e205p-30f},
        {0x1p+0f, 0.0f, 0.0f},
        {0x1.fp-1f, 0x1.77394cp-5f, 0x1.3b2b1ap-30f},
        {0x1.e2p-1f, 0x1.64ce26p-4f, 0x1.80ce2ap-29f},
        {0x1.d4p-1f, 0x1.097e38p-3f, 0x1.9cc0cap-28f},
        {0x1.c7p-1f, 0x1.5cba54p-3f, -0x1.7e2744p-29f},
        {0x1.bbp-1f, 0x1.abb2cap-3f, 0x1.3d8e8ep-28f},
        {0x1.afp-1f, 0x1.fcd678p-3f, -0x1.a537e4p-31f},
        {0x1.a4p-1f, 0x1.249cd2p-2f, 0x1.6279aep-27f},
        {0x1.9ap-1f, 0x1.48365ep-2f, 0x1.a575e6p-28f},
        {0x1.9p-1f, 0x1.6cb0f6p-2f, 0x1.0cb91ep-27f},
        {0x1.86p-1f, 0x1.9218p-2f, 0x1.249ba8p-27f},
        {0x1.7dp-1f, 0x1.b495d4p-2f, 0x1.d230bep-27f},
        {0x1.74p-1f, 0x1.d7e6cp-2f, 0x1.5786bp-27f},
        {0x1.6cp-1f, 0x1.f804aep-2f, 0x1.1a19ap-27f},
    };
    static const float expt[33][2] = { /* 2^(j/32) high, low; j = -16..16 */
        {0x1.6a09e6p-1f, 0x1.9fcef4p-27f},  {0x1.71f75ep-1f, 0x1.1d8beep-26f},
        {0x1.7a1148p-1f, -0x1.829fdp-26f},  {0x1.82589ap-1f, -0x1.accc7cp-27f},
        {0x1.8ace54p-1f, 0x1.15506ep-28f},  {0x1.93737cp-1f, -0x1.e64744p-26f},
        {0x1.9c4918p-1f, 0x1.51f848p-28f},  {0x1.a5503cp-1f, -0x1.b83b54p-26f},
        {0x1.ae89fap-1f, -0x1.a94b14p-27f}, {0x1.b7f77p-1f, -0x1.a09438p-26f},
        {0x1.c199bep-1f, -0x1.3d56b2p-28f}, {0x1.cb720ep-1f, -0x1.8837ccp-28f},
        {0x1.d5818ep-1f, -0x1.822dbcp-28f}, {0x1.dfc974p-1f, -0x1.908c94p-26f},
        {0x1.ea4afap-1f, 0x1.52486cp-28f},  {0x1.f50766p-1f, -0x1.246ebp-27f},
        {0x1p+0f, 0.0f},                    {0x1.059b0ep+0f, -0x1.9d4f52p-25f},
        {0x1.0b5586p+0f, 0x1.9f3122p-25f},  {0x1.11301ep+0f, -0x1.fdb496p-25f},
        {0x1.172b84p+0f, -0x1.c15742p-27f}, {0x1.1d4874p+0f, -0x1.d2e8cap-25f},
        {0x1.2387a6p+0f, 0x1.ceac48p-25f},  {0x1.29e9ep+0f, -0x1.5c0424p-25f},
        {0x1.306fep+0f, 0x1.4636e2p-25f},   {0x1.371a74p+0f, -0x1.18aac6p-25f},
        {0x1.3dea64p+0f, 0x1.824684p-25f},  {0x1.44e086p+0f, 0x1.8624b4p-30f},
        {0x1.4bfdaep+0f, -0x1.593abcp-25f}, {0x1.5342b6p+0f, -0x1.2c561p-25f},
        {0x1.5ab07ep+0f, -0x1.5bd5ecp-27f}, {0x1.6247ecp+0f, -0x1.f8b55p-25f},
        {0x1.6a09e6p+0f, 0x1.9fcef4p-26f},
    };
    const float log2e_hi = 0x1.715476p+0f, log2e_lo = 0x1.4ae0cp-26f;
    const float ln2_hi = 0x1.62e43p-1f, ln2_lo = -0x1.05c61p-29f;
    uint32_t ux = lwrt_bits_f32(x), uy = lwrt_bits_f32(y);
    uint32_t ax = ux & 0x7fffffffu, ay = uy & 0x7fffffffu, mb;
    int32_t ey = (int32_t)(ay >> 23) - 127, e, i, k, j;
    int yint = 0, neg, big;
    float m, ph, pl, rh, rl, q, qe, sh, sl, t1, t1e, a1, a1e, b1, b1e, lh, ll, th, tl, f, d;
    float uh, ul, eh, el, r, s;

    if (ay == 0 || ux == 0x3f800000u) /* x^0 = 1, 1^y = 1, even for NaN */
        return 1.0f;
    if (ax > 0x7f800000u || ay > 0x7f800000u)
        return x + y;
    if (ey >= 24) /* 0 not an integer, 1 odd, 2 even */
        yint = 2;
    else if (ey >= 0 && (ay & (0x007fffffu >> ey)) == 0)
        yint = ((ay >> (23 - ey)) & 1u) ? 1 : 2;
    neg = (ux >> 31) && yint == 1;
    if (ay == 0x7f800000u) { /* y = +-inf */
        if (ax == 0x3f800000u)
            return 1.0f;
        return (ax > 0x3f800000u) == !(uy >> 31) ? lwrt_inff() : 0.0f;
    }
    if (ax == 0 || ax == 0x7f800000u) { /* x = +-0 or +-inf */
        big = (ax == 0x7f800000u) == !(uy >> 31);
        r = big ? lwrt_inff() : 0.0f;
        return neg ? -r : r;
    }
    if ((ux >> 31) && yint == 0)
        return lwrt_nanf(); /* negative x, y not an integer */
    if (ax == 0x3f800000u)
        return neg ? -1.0f : 1.0f;
    if (ay >= 0x4f000000u) /* |y| >= 2^31, |x| != 1: |y*log2|x|| > 150 */
        return (ax > 0x3f800000u) == !(uy >> 31) ? lwrt_inff() : 0.0f;

    /* log2|x| = e + log2(m) */
    e = (int32_t)(ax >> 23);
    mb = ax & 0x007fffffu;
    if (e == 0) {
        e = 1;
        while (!(mb & 0x00800000u)) {
            mb <<= 1;
            e--;
        }
        mb &= 0x007fffffu;
    }
    e -= 127;
    mb |= 0x3f800000u;
    if (mb > 0x3fb504f3u) {
        mb -= 0x00800000u;
        e++;
    }
    m = lwrt_f32_bits(mb);
    i = (int32_t)((m - 1.0f) * 32.0f + 16.5f) - 16 + 9;
    ph = lwrt_two_prodf(m, logt[i][0], &pl);
    rh = ph - 1.0f; /* exact */
    r = rh + pl;    /* r + rl = rh + pl exactly */
    s = r - rh;
    rl = (rh - (r - s)) + (pl - s);
    rh = r;
    /* ln(1+r) = r - r^2/2 + r^3 (1/3 - r/4 + r^2/5 - r^3/6 + r^4/7) */
    q = lwrt_two_prodf(rh, rh, &qe);
    sh = rh - 0.5f * q;
    sl = (rh - sh) - 0.5f * q;
    sl += rl - 0.5f * qe - rh * rl +
          rh * q *
              (0x1.555556p-2f +
               rh * (-0x1p-2f + rh * (0x1.99999ap-3f + rh * (-0x1.555556p-3f + rh * 0x1.24924ap-3f))));
    lh = sh + sl;
    ll = sl - (lh - sh);
    t1 = lwrt_two_prodf(lh, log2e_hi, &t1e);
    t1e += lh * log2e_lo + ll * log2e_hi;
    /* L = e + table + t1, as lh + ll */
    a1 = (float)e + logt[i][1];
    s = a1 - (float)e;
    a1e = ((float)e - (a1 - s)) + (logt[i][1] - s);
    b1 = a1 + t1;
    s = b1 - a1;
    b1e = (a1 - (b1 - s)) + (t1 - s);
    ll = a1e + b1e + logt[i][2] + t1e;
    lh = b1 + ll;
    ll = ll - (lh - b1);

    /* t = y * L */
    th = lwrt_two_prodf(lh, y, &tl);
    tl += ll * y;
    s = th + tl;
    tl = tl - (s - th);
    th = s;
    if (th > 130.0f)
        return neg ? -lwrt_inff() : lwrt_inff();
    if (th < -152.0f)
        return neg ? -0.0f : 0.0f;

    /* 2^t = 2^k * 2^(j/32) * e^(d*ln2) */
    k = (int32_t)(th < 0.0f ? th - 0.5f : th + 0.5f);
    f = th - (float)k; /* exact */
    s = f + tl;
    tl = (f - (s - (s - f))) + (tl - (s - f));
    f = s;
    j = (int32_t)(f < 0.0f ? f * 32.0f - 0.5f : f * 32.0f + 0.5f);
    d = f - (float)j * 0x1p-5f; /* exact */
    uh = lwrt_two_prodf(d, ln2_hi, &ul);
    ul += d * ln2_lo + tl * ln2_hi;
    el = ul + uh * uh * (0.5f + uh * (0x1.555556p-3f + uh * 0x1.555556p-5f));
    eh = lwrt_two_prodf(expt[j + 16][0], uh, &ph);
    ph += expt[j + 16][0] * el + expt[j + 16][1] * (1.0f + uh);
    r = expt[j + 16][0] + eh;
    s = (expt[j + 16][0] - r) + eh;
    r = r + (s + ph);
    r = lwrt_ldexpf(r, k);
    return neg ? -r : r;
}

/* @helper lwrt_floorf deps: lwrt_bits_f32 lwrt_f32_bits */
/* Rounding helpers clear the fraction bits of the representation: no FPU rounding mode. */
LWRT_FN float lwrt_floorf(float x)
{
    uint32_t u = lwrt_bits_f32(x), mask;
    int32_t e = (int32_t)((u >> 23) & 0xffu) - 127;

    if (e >= 23) /* integral, inf or NaN */
        return x;
    if (e < 0) { /* |x| < 1 */
        if ((u & 0x7fffffffu) == 0 || !(u >> 31))
            return lwrt_f32_bits(u & 0x80000000u);
        return -1.0f;
    }
    mask = 0x007fffffu >> e;
    if ((u & mask) == 0)
        return x;
    if (u >> 31)
        u += mask + 1u;
    return lwrt_f32_bits(u & ~mask);
}

/* @helper lwrt_ceilf deps: lwrt_bits_f32 lwrt_f32_bits */
LWRT_FN float lwrt_ceilf(float x)
{
    uint32_t u = lwrt_bits_f32(x), mask;
    int32_t e = (int32_t)((u >> 23) & 0xffu) - 127;

    if (e >= 23)
        return x;
    if (e < 0) {
        if ((u & 0x7fffffffu) == 0 || (u >> 31))
            return lwrt_f32_bits(u & 0x80000000u);
        return 1.0f;
    }
    mask = 0x007fffffu >> e;
    if ((u & mask) == 0)
        return x;
    if (!(u >> 31))
        u += mask + 1u;
    return lwrt_f32_bits(u & ~mask);
}

/* @helper lwrt_roundevenf_bits deps: lwrt_bits_f32 lwrt_f32_bits */
LWRT_FN float lwrt_roundevenf_bits(float x)
{
    uint32_t u = lwrt_bits_f32(x), mask, half, frac;
    int32_t e = (int32_t)((u >> 23) & 0xffu) - 127;

    if (e >= 23)
        return x;
    if (e < 0) { /* |x| < 1: 0 up to and including 1/2, else 1 */
        if (e < -1 || (u & 0x7fffffffu) == 0x3f000000u)
            return lwrt_f32_bits(u & 0x80000000u);
        return lwrt_f32_bits((u & 0x80000000u) | 0x3f800000u);
    }
    mask = 0x007fffffu >> e;
    half = (mask + 1u) >> 1;
    frac = u & mask;
    u &= ~mask;
    /* the integer's last bit is mask + 1 (for e = 0 the exponent's last bit, set for 127) */
    if (frac > half || (frac == half && (u & (mask + 1u))))
        u += mask + 1u;
    return lwrt_f32_bits(u);
}

/* @helper lwrt_roundevenf deps: lwrt_roundevenf_bits lwrt_bits_f32 lwrt_f32_bits */
/* The instruction where the C compiler has one (SSE4.1's round, AArch64's frintx) through
 * the builtin, which it inlines and vectorizes (a quantized model rounds every value it
 * stores); on 32-bit Arm with a single-precision FPU (Cortex-M4F) VFP's vcvtr to int32 and
 * back, a few bytes where the bits take a hundred in every kernel that requantizes; else
 * the bits. rint and vcvtr round in the current mode: the default one, to nearest with
 * ties to even, as the C compiler assumes without -frounding-math. Not roundeven, which
 * GCC 12 inlines but does not vectorize. Not in lwcc's bitcode: one module serves every
 * target, Cortex-M included. */
LWRT_FN float lwrt_roundevenf(float x)
{
#if !defined(LWRT_BITCODE) && defined(__GNUC__) && defined(__has_builtin) &&                   \
    (defined(__SSE4_1__) || defined(__aarch64__))
#if __has_builtin(__builtin_rintf)
    return __builtin_rintf(x);
#else
    return lwrt_roundevenf_bits(x);
#endif
#elif !defined(LWRT_BITCODE) && defined(__GNUC__) && defined(__arm__) && defined(__ARM_FP) &&   \
    (__ARM_FP & 4)
    uint32_t u = lwrt_bits_f32(x), m;
    float r;
    __asm__("vcvtr.s32.f32 %0, %1\n\tvcvt.f32.s32 %0, %0" : "=t"(r) : "t"(x));
    /* |x| < 2^23: that with x's sign (-0.4 rounds to -0); else x, an integer already or
     * NaN (where vcvtr saturates). Blended in the bits: no branches. */
    m = 0u - (uint32_t)((u & 0x7fffffffu) < 0x4b000000u);
    return lwrt_f32_bits(((lwrt_bits_f32(r) | (u & 0x80000000u)) & m) | (u & ~m));
#else
    return lwrt_roundevenf_bits(x);
#endif
}

/* @helper lwrt_fmodf deps: lwrt_bits_f32 lwrt_f32_bits lwrt_nanf */
/* Exact remainder by integer long division of the significands, 8 bits a step. */
LWRT_FN float lwrt_fmodf(float x, float y)
{
    uint32_t ux = lwrt_bits_f32(x), uy = lwrt_bits_f32(y);
    uint32_t sx = ux & 0x80000000u, ax = ux & 0x7fffffffu, ay = uy & 0x7fffffffu, mx, my;
    int32_t ex, ey;

    if (ax > 0x7f800000u || ay > 0x7f800000u)
        return x + y;
    if (ay == 0 || ax == 0x7f800000u)
        return lwrt_nanf();
    if (ax < ay) /* includes y = inf and x = 0 */
        return x;
    if (ax == ay)
        return lwrt_f32_bits(sx);
    ex = (int32_t)(ax >> 23);
    mx = ax & 0x007fffffu;
    if (ex == 0) {
        ex = 1;
        while (!(mx & 0x00800000u)) {
            mx <<= 1;
            ex--;
        }
    } else {
        mx |= 0x00800000u;
    }
    ey = (int32_t)(ay >> 23);
    my = ay & 0x007fffffu;
    if (ey == 0) {
        ey = 1;
        while (!(my & 0x00800000u)) {
            my <<= 1;
            ey--;
        }
    } else {
        my |= 0x00800000u;
    }
    /* mx * 2^ex mod my * 2^ey; both significands in [2^23, 2^24) */
    while (ex - ey >= 8) {
        mx = (mx % my) << 8;
        ex -= 8;
    }
    while (ex > ey) {
        mx = (mx % my) << 1;
        ex--;
    }
    mx %= my;
    if (mx == 0)
        return lwrt_f32_bits(sx);
    while (!(mx & 0x00800000u)) {
        mx <<= 1;
        ey--;
    }
    if (ey > 0)
        return lwrt_f32_bits(sx | ((uint32_t)ey << 23) | (mx & 0x007fffffu));
    return lwrt_f32_bits(sx | (mx >> (1 - ey)));
}
