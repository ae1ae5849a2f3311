/* runtime-min/lwrt.h: scalar helpers the generated code and the kernel-IR interpreter share.
 * Compiled into lwcc with external linkage; copied into generated C as static inline
 * (cmake/embed.cmake stores each helper's text with LWRT_FN replaced). */
#ifndef LWCC_RUNTIME_MIN_LWRT_H
#define LWCC_RUNTIME_MIN_LWRT_H

#include <stdint.h>

#ifdef LWRT_EMBED
#define LWRT_FN static inline
#else
#define LWRT_FN
#endif

/* rt_math.c: float32 helpers; pure C99, no libm, no double arithmetic. Each is
 * accurate over the whole float range with IEEE special values (tests/unit/test_rt_math.c
 * states and checks the ulp bound of each). */
LWRT_FN float lwrt_f32_bits(uint32_t u);    /* float with bit pattern u */
LWRT_FN uint32_t lwrt_bits_f32(float x);    /* bit pattern of x */
LWRT_FN float lwrt_inff(void);              /* +infinity */
LWRT_FN float lwrt_nanf(void);              /* quiet NaN 0x7fc00000 */
LWRT_FN float lwrt_ldexpf(float x, int32_t k);  /* x * 2^k, one rounding, |k| <= 300 */
LWRT_FN float lwrt_two_prodf(float a, float b, float *err); /* a*b rounded; *err = exact rest */
LWRT_FN float lwrt_exp_rangef(float a);     /* exp(a), |a| <= 104, branch-free */
LWRT_FN float lwrt_expf(float x);           /* branch-free */
LWRT_FN float lwrt_logf(float x);           /* branch-free */
LWRT_FN float lwrt_sqrtf_soft(float x);     /* correctly rounded, integer arithmetic only */
LWRT_FN float lwrt_sqrtf(float x);          /* correctly rounded: hardware or lwrt_sqrtf_soft */
LWRT_FN float lwrt_exp_negf(float a);       /* exp(a), a <= 0, branch-free */
LWRT_FN float lwrt_sigmoidf(float x);       /* 1 / (1 + exp(-x)), branch-free */
LWRT_FN float lwrt_tanhf(float x);          /* branch-free */
LWRT_FN float lwrt_pick3f(uint32_t m1, uint32_t m2, float c0, float c1, float c2); /* by masks */
LWRT_FN float lwrt_erff(float x);           /* branch-free */
LWRT_FN int32_t lwrt_rem_pio2f(float a, float *y); /* a = n*pi/2 + y[0] + y[1]; returns n */
LWRT_FN float lwrt_sinf_k(float hi, float lo); /* sin(hi + lo), |hi| <= pi/4 */
LWRT_FN float lwrt_cosf_k(float hi, float lo); /* cos(hi + lo), |hi| <= pi/4 */
LWRT_FN float lwrt_sinf(float x);
LWRT_FN float lwrt_cosf(float x);
LWRT_FN float lwrt_powf(float x, float y);  /* C99 Annex F powf special cases (ONNX Pow) */
LWRT_FN float lwrt_floorf(float x);
LWRT_FN float lwrt_ceilf(float x);
LWRT_FN float lwrt_roundevenf(float x);     /* round half to even (ONNX Round) */
LWRT_FN float lwrt_roundevenf_bits(float x); /* the same from the bits, any target */
LWRT_FN float lwrt_fmodf(float x, float y); /* C fmodf: exact, sign of x */

/* rt_half.c: float16 / bfloat16 storage, converted at the edges (round to nearest even) */
LWRT_FN float lwrt_f16_to_f32(uint16_t h);
LWRT_FN uint16_t lwrt_f32_to_f16(float f);
LWRT_FN float lwrt_bf16_to_f32(uint16_t h);
LWRT_FN uint16_t lwrt_f32_to_bf16(float f);

/* rt_trig.c: inverse and hyperbolic functions, float32 */
LWRT_FN float lwrt_tanf(float x);
LWRT_FN float lwrt_asinf(float x);
LWRT_FN float lwrt_acosf(float x);
LWRT_FN float lwrt_atanf(float x);
LWRT_FN float lwrt_sinhf(float x);
LWRT_FN float lwrt_coshf(float x);
LWRT_FN float lwrt_asinhf(float x);
LWRT_FN float lwrt_acoshf(float x);
LWRT_FN float lwrt_atanhf(float x);

#endif
