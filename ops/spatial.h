/* Shared window geometry for Conv, ConvTranspose and the pools: kernel,
 * strides, dilations, pads and auto_pad resolved to explicit begin/end pads. */
#ifndef LWCC_OPS_SPATIAL_H
#define LWCC_OPS_SPATIAL_H

#include "ops/op.h"

#define LW_MAX_SPATIAL (LW_MAX_RANK - 2)

typedef struct Window {
    uint32_t nk, ns, nd, np;   /* entries given */
    int64_t kernel[LW_MAX_SPATIAL];
    int64_t strides[LW_MAX_SPATIAL];
    int64_t dilations[LW_MAX_SPATIAL];
    int64_t pads[2 * LW_MAX_SPATIAL]; /* begin..., end... */
    const char *auto_pad;
    int64_t ceil_mode;
} Window;

/* ops/spatial.c */
LW_NODISCARD LwStatus window_import(Ctx *ctx, Node *n, const AttrList *al, Window *w,
                                    int has_dilations, int has_ceil);
/* Resolves defaults and auto_pad for `sp` spatial dims of input `in`, with the
 * kernel taken from w->kernel (callers fill it from the weight when absent);
 * writes output spatial dims. */
LW_NODISCARD LwStatus window_resolve(Ctx *ctx, const Node *n, Window *w, int sp,
                                     const int64_t *in, int64_t *out);

/* Gives w explicit pads (begin..., end..., 2 * nk of them) in place of its own and of
 * auto_pad: a copy of a node run on a tile (passes/patch.c). */
void window_set_pads(Window *w, const int64_t *pads);

/* Adds a sliding window's spatial terms to the input index xi (input spatial
 * strides xs[], per dim o*s + k*d - p over output var vo[i] and tap var vk[i])
 * and, when wi is given, the tap terms to the weight index (strides ws[]);
 * appends a bounds condition 0 <= o*s + k*d - p < in for every dim where the
 * window can leave the input. */
void window_taps(const Window *w, int sp, const uint16_t *vo, const uint16_t *vk,
                 const int64_t *xs, const int64_t *in, const int64_t *out, KIndex *xi, KIndex *wi,
                 const int64_t *ws, KCond *conds, uint8_t *nc);
/* Window cells per output position (row-major over the output spatial dims)
 * that lie inside the input, or inside the padded input with include_pad:
 * the AveragePool divisors. NULL when out of memory. */
float *window_counts(Arena *a, const Window *w, int sp, const int64_t *in, const int64_t *out,
                     int include_pad, uint64_t *n);

/* A transposed window (ConvTranspose, Col2Im) scatters input position i's tap k to output
 * o = i*s + k*d - pb. Gathered instead, one stride phase r of one spatial dim at a time:
 * the outputs o = q*s + r, q < nq, take the taps k = k0 + j*kstep, j < nk, of input
 * position q + base + j*jcoef, an affine index (nk is 0 when no tap lands on the phase;
 * the caller guards positions outside the input). K taps, O outputs. */
typedef struct StridePhase {
    int64_t nq, k0, kstep, nk, base, jcoef;
} StridePhase;
StridePhase stride_phase(int64_t r, int64_t s, int64_t d, int64_t pb, int64_t K, int64_t O);

/* ops/conv_pairs.c: a Conv of quantized activations and int8 weights on a scalar target,
 * summed in int32 two products at a time, requantized in fixed point where the epilogue
 * is a QuantizeLinear; 1 when it lowered n, 0 when the form or the scratch budget does
 * not allow it (nothing emitted). */
int conv_lower_pairs(Ctx *ctx, KBuilder *kb, const Node *n, const Window *w, int64_t group);

/* ops/gemm.c: a Conv of group 1 whose input, weights and output are all of a single
 * position (the 1x1 convs of squeeze-and-excitation blocks, on a pooled map): the matrix
 * product y [N, M] = x [N, C] w [M, C]^T + b, register-blocked along the output
 * channels as a Gemm is (the convolution's schedules vectorize along positions, of
 * which there is one). 1 when it lowered n, 0 when the form does not apply (float32,
 * constant weights, a target with vectors at -O2; nothing emitted). */
int gemm_lower_conv_point(Ctx *ctx, KBuilder *kb, const Node *n);

#endif
