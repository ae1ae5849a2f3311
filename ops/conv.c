/* Conv in 1-D, 2-D and 3-D (groups, depthwise, pads, strides, dilations,
 * auto_pad): a direct loop nest with guarded loads at the borders. */
#include <stdlib.h>
#include <string.h>

#include "include/lwcc/ckd.h"

#include "include/lwcc/lwcc.h"
#include "ir/kir_build.h"
#include "ops/families.h"
#include "ops/spatial.h"
#include "target/target.h"

typedef struct ConvAttrs {
    Window w;
    int64_t group;
} ConvAttrs;

static LwStatus conv_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ConvAttrs *c = arena_new(ctx->perm, ConvAttrs);
    TRY(window_import(ctx, n, al, &c->w, 1, 0));
    TRY(attr_int(ctx, &n->loc, al, "group", 1, &c->group));
    if (c->group < 1)
        return diag_node(ctx, n, "'group' is %lld, must be at least 1", (long long)c->group);
    n->attrs = c;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus conv_infer(Ctx *ctx, Graph *g, Node *n)
{
    ConvAttrs *c = (ConvAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0), *w = op_in(g, n, 1);
    TRY(op_check_float(ctx, g, n, 0));
    TRY(op_check_same_type(ctx, g, n, 0, 1));
    if (x->shape.rank < 3 || x->shape.rank > 5 || w->shape.rank != x->shape.rank)
        return diag_node(ctx, n, "input rank %u and weight rank %u: expected 3 to 5 and equal",
                         x->shape.rank, w->shape.rank);
    int sp = x->shape.rank - 2;
    int64_t C = x->shape.dims[1], M = w->shape.dims[0];
    if (C % c->group != 0 || M % c->group != 0 || w->shape.dims[1] * c->group != C)
        return diag_node(ctx, n, "input has %lld channels, weight %lldx%lld with group %lld",
                         (long long)C, (long long)M, (long long)w->shape.dims[1],
                         (long long)c->group);
    if (op_has_in(n, 2)) {
        const Value *b = op_in(g, n, 2);
        if (b->shape.rank != 1 || b->shape.dims[0] != M || b->dtype != x->dtype)
            return diag_node(ctx, n, "bias must be [%lld] %s", (long long)M,
                             dtype_name(x->dtype));
    }
    if (c->w.nk == 0) {
        c->w.nk = (uint32_t)sp;
        for (int i = 0; i < sp; i++)
            c->w.kernel[i] = w->shape.dims[2 + i];
    }
    for (int i = 0; i < sp; i++)
        if (c->w.kernel[i] != w->shape.dims[2 + i])
            return diag_node(ctx, n, "kernel_shape does not match the weight's shape");
    Shape s = x->shape;
    s.dims[1] = M;
    TRY(window_resolve(ctx, n, &c->w, sp, &x->shape.dims[2], &s.dims[2]));
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* The arena bytes conv_lower_unrolled's scratch takes: a float32 plane of sums when y
 * is stored in another type, a float plane of x when x is computed at load (memplan's
 * rounding to 16). */
static uint64_t conv_unrolled_scratch(const KBuilder *kb, const Node *n, int64_t kcount)
{
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    uint64_t need = 0;
    if (op_acc_dtype(kb->g, n) != y->dtype)
        need += (shape_count(&y->shape) / (uint64_t)(y->shape.dims[0] * y->shape.dims[1]) * 4 +
                 15) & ~(uint64_t)15;
    if (kb->at_load && kb->at_load[n->in[0]] && kcount > 1)
        need += (shape_count(&x->shape) / (uint64_t)(x->shape.dims[0] * x->shape.dims[1]) * 4 +
                 15) & ~(uint64_t)15;
    return need;
}

/* Direct convolution for small kernels: every kernel position gets its own loop
 * nest over exactly the output positions whose input lies inside the image, so
 * there are no border guards and the innermost loop is unit-stride (or one
 * flattened loop when rows are contiguous): y += x * w, vectorizable as is.
 * A half-type y is storage only: the sums run in a float32 plane of kernel
 * scratch, rounded once when copied out. */
static LwStatus conv_lower_unrolled(KBuilder *kb, const Node *n)
{
    const ConvAttrs *c = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *w = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    int sp = x->shape.rank - 2;
    int64_t G = c->group, Cg = x->shape.dims[1] / G, Mg = w->shape.dims[0] / G;
    int64_t xs[LW_MAX_RANK], ws[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&w->shape, ws);
    shape_strides(&y->shape, ys);
    int64_t plane = ys[1];
    DType ct = op_acc_dtype(kb->g, n);
    int half = ct != y->dtype; /* stored in another type: sums in a scratch plane */
    kb_begin(kb, n, NULL);
    kb_schedule(kb, "direct, a loop nest per tap");
    uint32_t xb = kb_in(kb, 0), wb = kb_in(kb, 1), yb = kb_out(kb, 0);
    uint32_t sb = half ? kb_scratch(kb, ct, (uint64_t)plane) : yb; /* the sums */
    uint16_t vn = kb_for(kb, x->shape.dims[0]);
    uint16_t vg = kb_for(kb, G);
    uint16_t vm = kb_for(kb, Mg);
    KIndex mix = kidx_const(0); /* output channel g*Mg + m */
    kidx_add(&mix, vg, Mg);
    kidx_add(&mix, vm, 1);
    KIndex ybase = kidx_const(0);
    kidx_add(&ybase, vn, ys[0]);
    kidx_add_index(&ybase, &mix, ys[1]);
    KIndex sbase = half ? kidx_const(0) : ybase;
    /* y = bias */
    uint16_t vp = kb_for(kb, plane);
    KIndex yi0 = sbase;
    kidx_add(&yi0, vp, 1);
    kb_store(kb, sb, yi0, op_has_in(n, 2) ? kb_load(kb, kb_in(kb, 2), mix)
                                          : kb_const_f(kb, ct, 0));
    kb_endfor(kb);
    uint16_t vc = kb_for(kb, Cg);
    int64_t kcount = 1;
    for (int i = 0; i < sp; i++)
        kcount *= c->w.kernel[i];
    /* an input computed where it is loaded (a quantized activation, see lower.c):
     * each plane once into a float plane of scratch, which the taps then read,
     * rather than dequantized again at every tap */
    uint32_t xr = xb;
    int xplane = kb->at_load && kb->at_load[n->in[0]] && kcount > 1;
    if (xplane) {
        xr = kb_scratch(kb, ct, (uint64_t)xs[1]);
        uint16_t vp0 = kb_for(kb, xs[1]);
        KIndex src = kidx_const(0), dst = kidx_const(0);
        kidx_add(&src, vn, xs[0]);
        kidx_add(&src, vg, Cg * xs[1]);
        kidx_add(&src, vc, xs[1]);
        kidx_add(&src, vp0, 1);
        kidx_add(&dst, vp0, 1);
        kb_store(kb, xr, dst, kb_load(kb, xb, src));
        kb_endfor(kb);
    }
    /* weights computed where they are loaded (int8 weights dequantized, see lower.c):
     * every tap's weight of this (m, c) first, into locals, as independent chains,
     * rather than one chain in front of each tap's loop */
    uint16_t wl[64];
    int preload = kb->at_load && kb->at_load[n->in[1]] && kcount <= 64;
    if (preload)
        for (int64_t kp = 0; kp < kcount; kp++) {
            KIndex wi = kidx_const(0);
            kidx_add_index(&wi, &mix, ws[0]);
            kidx_add(&wi, vc, ws[1]);
            int64_t rem = kp;
            for (int i = sp - 1; i >= 0; i--) {
                wi.base += (rem % c->w.kernel[i]) * ws[2 + i];
                rem /= c->w.kernel[i];
            }
            wl[kp] = kb_local(kb, ktype(ct));
            kb_set(kb, wl[kp], kb_load(kb, wb, wi));
        }
    for (int64_t kp = 0; kp < kcount; kp++) {
        int64_t k[LW_MAX_SPATIAL], lo[LW_MAX_SPATIAL], hi[LW_MAX_SPATIAL];
        int64_t rem = kp;
        int empty = 0;
        for (int i = sp - 1; i >= 0; i--) {
            k[i] = rem % c->w.kernel[i];
            rem /= c->w.kernel[i];
        }
        for (int i = 0; i < sp; i++) {
            /* outputs o with 0 <= o*s + k*d - p < in */
            int64_t s = c->w.strides[i], off = k[i] * c->w.dilations[i] - c->w.pads[i];
            int64_t in = x->shape.dims[2 + i], out = y->shape.dims[2 + i];
            int64_t l = off >= 0 ? 0 : (-off + s - 1) / s;
            int64_t h = in - off <= 0 ? 0 : (in - off - 1) / s + 1;
            lo[i] = l;
            hi[i] = h < out ? h : out;
            if (hi[i] <= lo[i])
                empty = 1;
        }
        if (empty)
            continue;
        KIndex xi = kidx_const(0), yi = sbase, wi = kidx_const(0);
        if (!xplane) {
            kidx_add(&xi, vn, xs[0]);
            kidx_add(&xi, vg, Cg * xs[1]);
            kidx_add(&xi, vc, xs[1]);
        }
        kidx_add_index(&wi, &mix, ws[0]);
        kidx_add(&wi, vc, ws[1]);
        for (int i = 0; i < sp; i++) {
            int64_t off = k[i] * c->w.dilations[i] - c->w.pads[i];
            xi.base += (lo[i] * c->w.strides[i] + off) * xs[2 + i];
            yi.base += lo[i] * ys[2 + i];
            wi.base += k[i] * ws[2 + i];
        }
        /* rows contiguous in both x and y: one loop over the whole band */
        int flat = sp == 2 && c->w.strides[0] == 1 && c->w.strides[1] == 1 && lo[1] == 0 &&
                   hi[1] == y->shape.dims[3] && y->shape.dims[3] == x->shape.dims[3];
        uint16_t vo[LW_MAX_SPATIAL];
        int nloops = flat ? 1 : sp;
        if (flat) {
            vo[0] = kb_for(kb, (hi[0] - lo[0]) * y->shape.dims[3]);
            kidx_add(&xi, vo[0], 1);
            kidx_add(&yi, vo[0], 1);
        } else {
            for (int i = 0; i < sp; i++) {
                vo[i] = kb_for(kb, hi[i] - lo[i]);
                kidx_add(&xi, vo[i], c->w.strides[i] * xs[2 + i]);
                kidx_add(&yi, vo[i], ys[2 + i]);
            }
        }
        kb_store(kb, sb, yi,
                 kb_op3(kb, KOP_FMA, kb_load(kb, xr, xi),
                        preload ? kb_var(kb, wl[kp]) : kb_load(kb, wb, wi), kb_load(kb, sb, yi)));
        kb_endfor_n(kb, nloops);
    }
    kb_endfor(kb); /* c */
    if (kb->nepi || half)
        kb_store_out_run(kb, yb, ybase, sb, sbase, plane, 1);
    kb_endfor_n(kb, 3);
    kb_end(kb);
    return LW_OK;
}

/* Large kernels: one guarded loop nest. */
static LwStatus conv_lower_guarded(KBuilder *kb, const Node *n)
{

    const ConvAttrs *c = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *w = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    int sp = x->shape.rank - 2;
    int64_t G = c->group, Cg = x->shape.dims[1] / G, Mg = w->shape.dims[0] / G;
    int64_t xs[LW_MAX_RANK], ws[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&w->shape, ws);
    shape_strides(&y->shape, ys);

    kb_begin(kb, n, NULL);
    kb_schedule(kb, "direct, guarded");
    uint32_t xb = kb_in(kb, 0), wb = kb_in(kb, 1), yb = kb_out(kb, 0);
    uint32_t bb = op_has_in(n, 2) ? kb_in(kb, 2) : 0;
    DType ct = op_acc_dtype(kb->g, n);
    uint16_t acc = kb_local(kb, ktype(ct));
    uint16_t vn = kb_for(kb, x->shape.dims[0]);
    uint16_t vg = kb_for(kb, G);
    uint16_t vm = kb_for(kb, Mg);
    uint16_t vo[LW_MAX_SPATIAL], vk[LW_MAX_SPATIAL];
    for (int i = 0; i < sp; i++)
        vo[i] = kb_for(kb, y->shape.dims[2 + i]);
    KIndex mix = kidx_const(0); /* output channel g*Mg + m */
    kidx_add(&mix, vg, Mg);
    kidx_add(&mix, vm, 1);
    if (op_has_in(n, 2))
        kb_set(kb, acc, kb_load(kb, bb, mix));
    else
        kb_set(kb, acc, kb_const_f(kb, ct, 0));
    uint16_t vc = kb_for(kb, Cg);
    for (int i = 0; i < sp; i++)
        vk[i] = kb_for(kb, c->w.kernel[i]);
    KIndex xi = kidx_const(0), wi = kidx_const(0);
    kidx_add(&xi, vn, xs[0]);
    kidx_add(&xi, vg, Cg * xs[1]);
    kidx_add(&xi, vc, xs[1]);
    kidx_add_index(&wi, &mix, ws[0]);
    kidx_add(&wi, vc, ws[1]);
    KCond conds[LW_MAX_SPATIAL];
    uint8_t nc = 0;
    window_taps(&c->w, sp, vo, vk, &xs[2], &x->shape.dims[2], &y->shape.dims[2], &xi, &wi, &ws[2],
                conds, &nc);
    /* the multiply-add skipped entirely outside the input */
    if (nc)
        kb_if(kb, conds, nc);
    KExpr *xv = kb_load(kb, xb, xi);
    kb_set(kb, acc, kb_op3(kb, KOP_FMA, xv, kb_load(kb, wb, wi), kb_var(kb, acc)));
    if (nc)
        kb_endif(kb);
    kb_endfor_n(kb, sp + 1);
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vn, ys[0]);
    kidx_add_index(&yi, &mix, ys[1]);
    for (int i = 0; i < sp; i++)
        kidx_add(&yi, vo[i], ys[2 + i]);
    kb_store_out(kb, yb, yi, kb_var(kb, acc));
    kb_endfor_n(kb, sp + 3);
    kb_end(kb);
    return LW_OK;
}


/* Register-blocked direct convolution, for targets with vectors (float32, constant
 * weights, 1-D and 2-D): the output is computed in tiles of MR output channels by
 * T = NRV * VL consecutive positions, whose sums stay in MR * NRV vector registers
 * across every input channel and tap; each tap loads NRV vectors of input and
 * broadcasts MR weights.
 *
 * Positions are flattened over rows of width Wq. A band of R output rows at a time,
 * the input is copied into scratch with its padding and split into its stride phases
 * (phase (a, b) row r, column q holds x[(oh0 + r)*sh + a - pt][q*sw + b - pl], zero
 * outside), so that every tap reads the phase plane at p + a constant for output
 * position p = r*Wq + ow: one unit-stride vector load per NRV lanes, whatever the
 * stride, dilation or padding. Columns ow >= OW and the tile's overhang are computed
 * into a small scratch tile and dropped when the tile is copied out through the
 * epilogue. Weights are prepacked at compile time as [g][block][c][tap][MR] (zero
 * rows past the group's channels) and the bias as [g][block][MR]. */
typedef struct ConvBlk {
    int64_t G, Cg, Mg, nmb, MR, NRV, VL, T;
    int64_t H, W, OH, OW, sh, sw, pt, pl, Wq, R;
    int64_t ntap, tap_off[256]; /* per tap: its offset from the output position */
    int64_t rhmax, rwmax, plane, Ptmax, cstride;
    uint32_t xb, yb, wpk, bpk, pack, yt;
    int has_bias, direct; /* direct: a pointwise conv reading x itself */
    int inplace;          /* direct with whole channel blocks: sums stored in y, no scratch */
    int xload;            /* x is computed at each load (OpDef.at_load): read only by the
                           * band's copy */
    int yint;             /* y is stored as integers (a fused QuantizeLinear): every sum goes
                           * through the tile scratch and the epilogue once, as it is stored */
    /* xint: x is a DequantizeLinear of int8/uint8 xraw with one scale xsc and zero point
     * xzp: the band is copied as those integers (a quarter of the bytes), padded with
     * xzp, and converted as the tiles load it; xsc is in the packed weights and
     * -xzp * (the channel's weights) in its bias (masked and chan_out read x in place
     * and take xzp off each load instead) */
    int xint;
    int32_t xzp;
    float xsc;
    uint32_t xraw;
    DType xdt;
    int64_t xs0, ys[4];
    /* masked: a stride-1 conv with no room for scratch reads x itself (see
     * conv_blk_masked): tap t at tap_off[t] from the position over x as [C][H*W],
     * its column offset tap_b[t] zeroed by row tap_b[t] of the mask table [kw][P]
     * when tap_mask[t]; positions [plo, phi) in tiles, the rest by conv_blk_edges.
     * mrows: tiles along each row of [rlo, rhi) instead (a last one overlapping the one
     * before it), the mask table [kw][W] by column (mstride: the table's row, P or W) */
    int masked, mrows;
    int64_t mstride;
    /* lanes_out (masked, x and y integers: no room for any scratch): each tile's sums
     * go from the registers through the epilogue lane by lane, the edges' tiles too
     * (conv_blk_edges); x's zero point is taken off each load, as the masks zero the
     * columns past the edge */
    int lanes_out;
    /* mplane (masked, x and y integers, room for one block's sums): the tiles and edges
     * sum into the tile scratch as [MR][P] (a y of one channel block: yloc), and the
     * epilogue then runs over the block's MR * P sums as one run, in vectors */
    int mplane, yloc;
    /* iplane (mplane, weights that are int8 again): the tiles and edges sum x's integers
     * less the zero point times the weights' in int32 (the masks zero whole lanes: int32
     * 0 / -1) into an int32 plane, requantized per channel in fixed point (fixed: from the
     * int32 bias) or as float(sum) * scb + bpk through the epilogue; int32 weights
     * [g][block][c][tap][MR] in wint, int32 biases [g][block][MR] in zci (0 but fixed) */
    int iplane;
    uint32_t wint, zci;
    /* iband (the band schedule, groups, x integers, weights that are int8 again): iplane's
     * int32 sums over the band's integers (padded with the zero point, taken off each
     * load), to the tile scratch as int32, out as iplane's */
    int iband;
    /* chan: rows of OW <= 8 positions (CR) broadcast against CN vectors of output
     * channels (weights [block of CN * VL][c][tap][CN * VL] in wch), sums to the tile
     * scratch as [position][channel]: small feature maps waste no lanes */
    int chan;
    int nocopy; /* chan over x itself: its band would be a copy of x, in order */
    /* xrow (chan, float32, kernels more than one wide): per kernel row, its kw weight
     * vectors loaded first, then the products in the order of the x they broadcast, each
     * x's uses together (every sum's taps still in order). Tap by tap, the C compilers
     * kept a row's broadcasts for the next taps: CR + kw - 1 of them live beside the CR
     * sums, which spilled sums in every step (mlperf_resnet8's rows of 16) */
    int xrow;
    /* xpeel (chan, float32 x padded or strided, no room or need for a band): x read where
     * it is; the rows whose every tap reads a row of x, [rlo, rhi), as one loop, and each
     * other row on its own, the taps outside x (rows and columns) left out */
    int xpeel;
    /* chan_out (x and y integers, no room for any scratch): chan reading x where it is,
     * each tap's row guarded (x's zero point outside, taken off each load) and columns
     * outside x skipped, the sums stored from the registers lane by lane */
    int chan_out;
    int64_t CR, CN;
    uint32_t wch;
    /* dot (a band of integers, weights that are int8 again, a target with a four-way
     * int8 dot product: conv_blk_tile_dot): the band holds x + xoff (the bytes the dot
     * product takes: uint8 for VNNI, int8 for sdot) as [c / 4][phase][row][col][c % 4],
     * channels past Cg at the zero point; the weights are packed as int32 of four int8
     * channels, [block][c / 4][tap][MR][c % 4] in wpk; each sum starts at zc (minus the zero
     * point times the channel's weights) and leaves as float(sum) * scb + bias */
    int dot;
    int32_t xoff;
    DType bdt;
    uint32_t zc, scb;
    const int8_t *wq; /* dot: the weights' integers less their zero points, [Mg][Cg * ntap] */
    /* kdot (chan and dot, one input channel: four channels deep would be three quarters
     * zeros): the four bytes are four taps of a kernel row instead. The band holds, per
     * row of x (padded) and column u, x's bytes at columns u, u + dw, u + 2dw, u + 3dw
     * (rows of Wu words); tap group g = a * kq + j (taps (a, 4j .. 4j + 3), zero
     * weights past kw) reads the word at row r * sh + a * dh, column p * sw + 4j * dw. */
    int kdot;
    int64_t kq, ntg, Wu;
    /* fixed (dot or iplane, y integers, --requant=fixed: quant_fixed_wanted, and
     * quant_fixed_plan holds): the int32 sums (from zc or zci, which hold the int32 bias
     * too) go to the tile scratch as int32 (yt), and out through the requantization in
     * fixed point, in vectors where a run allows (blk_int_run) */
    int fixed;
    QFixed *fx;
    QRequant rq;
    const float *wsc; /* and their scale per output channel */
    int64_t P, plo, phi, rlo, rhi, kh, kw, dh, dw, pr;
    uint32_t mask;
    uint8_t tap_mask[256];
    int64_t tap_b[256];
    const uint8_t *tap_out; /* conv_blk_tile leaves out the taps it marks (NULL: none) */
} ConvBlk;

#define WEIGHTS_L2 (1024.0 * 1024.0) /* weight bytes that stay in a core's L2 across bands */

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

/* Channel block (vg, vm)'s first channel in y of batch vn, at position p. */
static KIndex blk_y0(const ConvBlk *cb, KIndex p, uint16_t vn, uint16_t vg, uint16_t vm,
                     int64_t block)
{
    KIndex y0 = p;
    if (cb->yloc)
        return y0;
    kidx_add(&y0, vn, cb->ys[0]);
    kidx_add(&y0, vg, cb->Mg * cb->ys[1]);
    kidx_add(&y0, vm, block * cb->ys[1]);
    return y0;
}

/* The epilogue over y in place: nch channels from y0, each n contiguous positions. */
static void epi_in_place(KBuilder *kb, const ConvBlk *cb, KIndex y0, int64_t nch, int64_t n)
{
    uint16_t vi = kb_for(kb, nch), vq = kb_for(kb, n);
    KIndex yi = y0;
    kidx_add(&yi, vi, cb->ys[1]);
    kidx_add(&yi, vq, 1);
    kb_store_out(kb, cb->yb, yi, kb_load(kb, cb->yb, yi));
    kb_endfor_n(kb, 2);
}

/* Whether the fused epilogue can run on float32 sums of L lanes before they go through a
 * float32 scratch to y (kb_out_vec_local on them, then a plain copy): it has a vector
 * form, which is the same for every element (kb_out_vec), so the scratch's layout does
 * not matter, and y (yb) is float32. Else it runs over y after the copy, reloading
 * vectors right after the copy's scalar stores to them (mlperf_dscnn's depthwise convs
 * on 25x5 maps: a tenth of their time; mlperf_resnet8's first Winograd conv 23.7 us
 * against 18.8 for its twin, whose residual goes through a row scratch). */
static int conv_epi_on_sums(KBuilder *kb, uint32_t yb, uint8_t L)
{
    return kb->nepi && kb->prog->bufs.data[yb].dtype == DT_FLOAT32 &&
           kb_out_vec_ok(kb, kidx_const(0), L);
}

/* Whether conv_blk_tile stores its sums into dst through the epilogue, as vectors: a
 * pointwise conv's tiles stored in y itself (inplace, not masked, whose edges come after
 * the tiles), where the epilogue can run on the sums (conv_epi_on_sums). Else
 * conv_blk_direct_tile runs it over the tile's rows of y after them, reloading each vector
 * right after its store (mlperf_dscnn, four 64 to 64 channel convs over 125 positions
 * with Relu: 39.1 -> 37.8 us for the model). */
static int blk_epi_on_sums(KBuilder *kb, const ConvBlk *cb, uint32_t dst, uint8_t lanes)
{
    return cb->inplace && !cb->masked && !cb->lanes_out && dst == cb->yb && lanes > 1 &&
           conv_epi_on_sums(kb, dst, lanes);
}

/* A register tile's locals of dt and `lanes` lanes: na sums, nx operands. */
static void tile_locals(KBuilder *kb, DType dt, uint8_t lanes, uint16_t *acc, int64_t na,
                        uint16_t *x, int64_t nx)
{
    KType vt = {dt, lanes};
    for (int64_t i = 0; i < na; i++)
        acc[i] = kb_local(kb, vt);
    for (int64_t j = 0; j < nx; j++)
        x[j] = kb_local(kb, vt);
}

/* v (lanes of x's integers as float32) less x's zero point, for the schedules that read x
 * in place: its padding is not the zero point there */
static KExpr *blk_sub_zp(KBuilder *kb, const ConvBlk *cb, KExpr *v, uint8_t lanes)
{
    if (!cb->xzp)
        return v;
    KExpr *z = kb_const_f(kb, DT_FLOAT32, (double)cb->xzp);
    return kb_op(kb, KOP_SUB, v, lanes > 1 ? kb_splat(kb, z, lanes) : z);
}

/* x's integer at xi where conds hold, else its zero point, as float32 less the zero point
 * (0 outside x) */
static KExpr *blk_x_guarded(KBuilder *kb, const ConvBlk *cb, KIndex xi, const KCond *conds,
                            uint8_t n)
{
    KExpr *q = kb_load_guard(kb, cb->xraw, xi, conds, n, kb_const_i(kb, cb->xdt, cb->xzp));
    return blk_sub_zp(kb, cb, kb_cast(kb, DT_FLOAT32, q), 1);
}

/* lanes of the conv's input from src at xi, as float32: integers (xint: the band, or x
 * itself) converted as loaded, x's zero point taken off where the masked schedule reads
 * x in place */
static KExpr *blk_x(KBuilder *kb, const ConvBlk *cb, uint32_t src, KIndex xi, uint8_t lanes)
{
    if (cb->xint && (src == cb->pack || src == cb->xraw)) {
        KExpr *v = lanes > 1 ? kb_vload_f32(kb, src, xi, lanes)
                             : kb_cast(kb, DT_FLOAT32, kb_load(kb, src, xi));
        return cb->masked ? blk_sub_zp(kb, cb, v, lanes) : v;
    }
    return lanes > 1 ? kb_vload(kb, src, xi, lanes) : kb_load(kb, src, xi);
}

/* Sums of one tile: MR channels of block (vg, vm) by nv vectors of `lanes` lanes
 * (lanes 1: scalars) of source src from xbase (the tile's position in channel 0 of
 * group 0; channel c at + c * cstride, tap t at + tap_off[t]), stored in dst from
 * tcol (row i at + i * drow); the taps past a row's end masked by the mask table from
 * *mpos (masked). ConvBlk.iplane and iband: in int32, x's integers less its zero point
 * (the masks all ones or zero), from the int32 bias. */
static void conv_blk_tile(KBuilder *kb, const ConvBlk *cb, uint16_t vg, uint16_t vm, uint32_t src,
                          KIndex xbase, int64_t nv, uint8_t lanes, uint32_t dst, KIndex tcol,
                          int64_t drow, const KIndex *mpos)
{
    int64_t MR = cb->MR;
    int in = cb->iplane || cb->iband;
    uint16_t acc[256], xv[16];
    tile_locals(kb, in ? DT_INT32 : DT_FLOAT32, lanes, acc, MR * nv, xv, nv);
    KIndex blk = kidx_const(0); /* g * nmb + mb */
    kidx_add(&blk, vg, cb->nmb);
    kidx_add(&blk, vm, 1);
    for (int64_t i = 0; i < MR; i++) {
        KExpr *b0 = kb_const_f(kb, DT_FLOAT32, 0);
        KIndex bi = kidx_const(i);
        kidx_add_index(&bi, &blk, MR);
        if (in)
            b0 = kb_load(kb, cb->zci, bi);
        else if (cb->has_bias)
            b0 = kb_load(kb, cb->bpk, bi);
        for (int64_t j = 0; j < nv; j++)
            kb_set(kb, acc[i * nv + j], lanes > 1 ? kb_splat(kb, b0, lanes) : b0);
    }
    KExpr *zp = kb_const_i(kb, DT_INT32, cb->xzp);
    if (lanes > 1)
        zp = kb_splat(kb, zp, lanes);
    uint16_t vc = kb_for(kb, cb->Cg);
    for (int64_t tap = 0; tap < cb->ntap; tap++) {
        if (cb->tap_out && cb->tap_out[tap])
            continue;
        for (int64_t j = 0; j < nv; j++) {
            KIndex xi = xbase;
            xi.base += cb->tap_off[tap] + j * lanes;
            kidx_add(&xi, vg, cb->Cg * cb->cstride);
            kidx_add(&xi, vc, cb->cstride);
            KExpr *v;
            if (in)
                v = kb_op(kb, KOP_SUB,
                          lanes > 1 ? kb_vload_wide(kb, src, xi, lanes)
                                    : kb_cast(kb, DT_INT32, kb_load(kb, src, xi)),
                          zp);
            else
                v = blk_x(kb, cb, src, xi, lanes);
            if (mpos && cb->tap_mask[tap]) { /* columns past the edge read as 0 */
                KIndex mi = *mpos;
                mi.base += cb->tap_b[tap] * cb->mstride + j * lanes;
                KExpr *mk = lanes == 1 ? kb_load(kb, cb->mask, mi)
                            : in       ? kb_vload_i32(kb, cb->mask, mi, lanes)
                                       : kb_vload(kb, cb->mask, mi, lanes);
                v = kb_op(kb, in ? KOP_AND : KOP_MUL, v, mk);
            }
            kb_set(kb, xv[j], v);
        }
        for (int64_t i = 0; i < MR; i++) {
            KIndex wi = kidx_const(tap * MR + i);
            kidx_add_index(&wi, &blk, cb->Cg * cb->ntap * MR);
            kidx_add(&wi, vc, cb->ntap * MR);
            if (!in) {
                kb_fma_row(kb, &acc[i * nv], kb_load(kb, cb->wpk, wi), xv, nv);
                continue;
            }
            KExpr *w = kb_load(kb, cb->wint, wi);
            if (lanes > 1)
                w = kb_splat(kb, w, lanes);
            for (int64_t j = 0; j < nv; j++)
                kb_set(kb, acc[i * nv + j],
                       kb_op(kb, KOP_ADD, kb_var(kb, acc[i * nv + j]),
                             kb_op(kb, KOP_MUL, kb_var(kb, xv[j]), w)));
        }
    }
    kb_endfor(kb); /* c */
    int fuse = blk_epi_on_sums(kb, cb, dst, lanes);
    for (int64_t i = 0; i < MR; i++)
        for (int64_t j = 0; j < nv; j++) {
            KIndex ti = tcol;
            ti.base += i * drow + j * lanes;
            if (fuse) {
                kb_store(kb, dst, ti, kb_out_vec_local(kb, ti, acc[i * nv + j]));
                continue;
            }
            if (!cb->lanes_out) {
                kb_store(kb, dst, ti, kb_var(kb, acc[i * nv + j]));
                continue;
            }
            /* the epilogue on the vector, stored narrowed, where it has a vector form */
            KExpr *v = lanes > 1 ? kb_out_vec_local(kb, ti, acc[i * nv + j]) : NULL;
            if (v) {
                kb_store(kb, dst, ti, v);
                continue;
            }
            for (uint8_t l = 0; l < lanes; l++) {
                KIndex tl = ti;
                tl.base += l;
                kb_store_out(kb, dst, tl,
                             lanes > 1 ? kb_lane(kb, acc[i * nv + j], l)
                                       : kb_var(kb, acc[i * nv + j]));
            }
        }
}

/* ix * f */
static KIndex kidx_scaled(KIndex ix, int64_t f)
{
    KIndex r = kidx_const(0);
    kidx_add_index(&r, &ix, f);
    return r;
}

/* conv_blk_tile for ConvBlk.dot (G = 1): MR channels of block vm by nv vectors of lanes
 * positions from the band's xbase, summed in int32 four channels at a time, stored in
 * dst from tcol (row i at + i * drow) as float32. */
static void conv_blk_tile_dot(KBuilder *kb, const ConvBlk *cb, uint16_t vm, KIndex xbase,
                              int64_t nv, uint8_t lanes, uint32_t dst, KIndex tcol, int64_t drow)
{
    int64_t MR = cb->MR, C4 = ceil_div(cb->Cg, 4);
    uint16_t acc[256];
    KType it = {DT_INT32, lanes};
    for (int64_t i = 0; i < MR * nv; i++)
        acc[i] = kb_local(kb, it);
    for (int64_t i = 0; i < MR; i++) {
        KIndex zi = kidx_const(i);
        kidx_add(&zi, vm, MR);
        KExpr *z = kb_splat(kb, kb_load(kb, cb->zc, zi), lanes);
        for (int64_t j = 0; j < nv; j++)
            kb_set(kb, acc[i * nv + j], z);
    }
    uint16_t vc = kb_for(kb, C4);
    for (int64_t tap = 0; tap < cb->ntap; tap++)
        for (int64_t i = 0; i < MR; i++) {
            KDotArg w = {cb->wpk, kidx_const(4 * (tap * MR + i)), 1};
            kidx_add(&w.idx, vm, 4 * C4 * cb->ntap * MR);
            kidx_add(&w.idx, vc, 4 * cb->ntap * MR);
            for (int64_t j = 0; j < nv; j++) {
                KDotArg x = {cb->pack, kidx_scaled(xbase, 4), 0};
                x.idx.base += 4 * (cb->tap_off[tap] + j * lanes);
                kidx_add(&x.idx, vc, 4 * cb->cstride);
                kb_set(kb, acc[i * nv + j], kb_dot4(kb, kb_var(kb, acc[i * nv + j]), x, w));
            }
        }
    kb_endfor(kb); /* c / 4 */
    for (int64_t i = 0; i < MR * nv && cb->fixed; i++) {
        KIndex ti = tcol;
        ti.base += (i / nv) * drow + (i % nv) * lanes;
        kb_store(kb, dst, ti, kb_var(kb, acc[i]));
    }
    for (int64_t i = 0; i < MR && !cb->fixed; i++) {
        KIndex ci = kidx_const(i);
        kidx_add(&ci, vm, MR);
        KExpr *sc = kb_splat(kb, kb_load(kb, cb->scb, ci), lanes);
        KExpr *b = kb_splat(kb, kb_load(kb, cb->bpk, ci), lanes);
        for (int64_t j = 0; j < nv; j++) {
            KIndex ti = tcol;
            ti.base += i * drow + j * lanes;
            KExpr *f = kb_cast(kb, DT_FLOAT32, kb_var(kb, acc[i * nv + j]));
            kb_store(kb, dst, ti, kb_op3(kb, KOP_FMA, f, sc, b));
        }
    }
}

/* The input row that band row vr of row phase va reads: (oh0 + vr) * sh + va - pt */
static KIndex band_row(const ConvBlk *cb, KIndex oh0, uint16_t vr, uint16_t va)
{
    KIndex row = kidx_const(-cb->pt);
    kidx_add_index(&row, &oh0, cb->sh);
    kidx_add(&row, vr, cb->sh);
    kidx_add(&row, va, 1);
    return row;
}

/* Column phase b of a band row, in three runs of columns q: [0, qlo) and [qhi, Wq) left
 * and right of x (padding), [qlo, qhi) inside it (column q reads x column
 * q*sw + b - pl); seg[k] = {from, to}. */
static void phase_segments(int64_t pl, int64_t sw, int64_t W, int64_t Wq, int64_t b,
                           int64_t seg[3][2])
{
    int64_t qlo = pl - b > 0 ? ceil_div(pl - b, sw) : 0;
    int64_t qhi = W + pl - b > 0 ? ceil_div(W + pl - b, sw) : 0;
    qlo = qlo < Wq ? qlo : Wq;
    qhi = qhi < Wq ? qhi : Wq;
    qhi = qhi > qlo ? qhi : qlo;
    seg[0][0] = 0;
    seg[0][1] = seg[1][0] = qlo;
    seg[1][1] = seg[2][0] = qhi;
    seg[2][1] = Wq;
}

static void band_segments(const ConvBlk *cb, int64_t b, int64_t seg[3][2])
{
    phase_segments(cb->pl, cb->sw, cb->W, cb->Wq, b, seg);
}

/* Whether a tap reads column phase b (tap column k: phase (k*dw) % sw) */
static int phase_read(int64_t kw, int64_t dw, int64_t sw, int64_t b)
{
    for (int64_t k = 0; k < kw; k++)
        if ((k * dw) % sw == b)
            return 1;
    return 0;
}

static int band_col_read(const ConvBlk *cb, int64_t b)
{
    return phase_read(cb->kw, cb->dw, cb->sw, b);
}

/* The band of a dot conv (ConvBlk.dot): hb phase rows from oh0 as conv_blk_band's, x's
 * integers plus xoff four channels to a position, the zero point (plus xoff) outside x
 * and past its channels. */
static void conv_blk_band_dot(KBuilder *kb, const ConvBlk *cb, uint16_t vn, KIndex oh0, int64_t hb)
{
    int64_t C = cb->Cg, C4 = ceil_div(C, 4), S = cb->sh * cb->sw;
    uint16_t vc = kb_for(kb, C4), va = kb_for(kb, cb->sh), vr = kb_for(kb, hb);
    KIndex row = band_row(cb, oh0, vr, va);
    KExpr *zb = kb_const_i(kb, cb->bdt, cb->xzp + cb->xoff);
    for (int64_t b = 0; b < cb->sw; b++) {
        int64_t seg[3][2];
        band_segments(cb, b, seg);
        for (int k = 0; k < 3; k++) {
            if (seg[k][1] <= seg[k][0])
                continue;
            uint16_t vq = kb_for(kb, seg[k][1] - seg[k][0]), vl = kb_for(kb, 4);
            KIndex dst = kidx_const(4 * (b * cb->plane + seg[k][0]));
            kidx_add(&dst, vc, 4 * S * cb->plane);
            kidx_add(&dst, va, 4 * cb->sw * cb->plane);
            kidx_add(&dst, vr, 4 * cb->Wq);
            kidx_add(&dst, vq, 4);
            kidx_add(&dst, vl, 1);
            KExpr *v = zb;
            if (k == 1) {
                KIndex src = kidx_const(seg[k][0] * cb->sw + b - cb->pl), ch = kidx_const(0);
                kidx_add(&src, vn, cb->xs0);
                kidx_add(&src, vc, 4 * cb->H * cb->W);
                kidx_add(&src, vl, cb->H * cb->W);
                kidx_add_index(&src, &row, cb->W);
                kidx_add(&src, vq, cb->sw);
                kidx_add(&ch, vc, 4);
                kidx_add(&ch, vl, 1);
                KCond conds[2] = {{row, cb->H}, {ch, C}};
                KExpr *q = kb_load_guard(kb, cb->xraw, src, conds, C % 4 ? 2 : 1,
                                         kb_const_i(kb, cb->xdt, cb->xzp));
                v = q;
                if (cb->xoff || cb->bdt != cb->xdt)
                    v = kb_cast(kb, cb->bdt,
                                kb_op(kb, KOP_ADD, kb_cast(kb, DT_INT32, q),
                                      kb_const_i(kb, DT_INT32, cb->xoff)));
            }
            kb_store(kb, cb->pack, dst, v);
            kb_endfor_n(kb, 2);
        }
    }
    kb_endfor_n(kb, 3);
}

/* y[y0 ..] = the n int32 sums at yt[t0 ..] of one channel requantized: in fixed point
 * (ConvBlk.fixed, quant_fixed_at set), else as float(sum) * scb[ch] + bpk[ch] through
 * the epilogue. In vectors of VL (where the epilogue has a vector form), the last one
 * ending at the run's end; else one by one. */
static void blk_int_run(KBuilder *kb, const ConvBlk *cb, KIndex y0, KIndex t0, int64_t n, KIndex ch)
{
    const QRequant *rq = &cb->rq;
    uint8_t L = (uint8_t)cb->VL;
    if (n < L || (!cb->fixed && !kb_out_vec_ok(kb, y0, L))) {
        uint16_t tmp = cb->fixed ? kb_local(kb, ktype(DT_INT64)) : 0, v = kb_for(kb, n);
        KIndex yi = y0, ti = t0;
        kidx_add(&yi, v, 1);
        kidx_add(&ti, v, 1);
        KExpr *s = kb_load(kb, cb->yt, ti);
        if (cb->fixed)
            kb_store(kb, cb->yb, yi,
                     quant_requant_fixed(kb, cb->fx, s, tmp, rq->zp, rq->lo, rq->hi, rq->dt));
        else
            kb_store_out(kb, cb->yb, yi,
                         kb_op3(kb, KOP_FMA, kb_cast(kb, DT_FLOAT32, s), kb_load(kb, cb->scb, ch),
                                kb_load(kb, cb->bpk, ch)));
        kb_endfor(kb);
        return;
    }
    KType vt = {cb->fixed ? DT_INT64 : DT_FLOAT32, L};
    uint16_t tmp = kb_local(kb, vt);
    KExpr *sc = cb->fixed ? NULL : kb_splat(kb, kb_load(kb, cb->scb, ch), L);
    KExpr *b = cb->fixed ? NULL : kb_splat(kb, kb_load(kb, cb->bpk, ch), L);
    uint16_t v = kb_for(kb, n / L);
    for (int last = 0; last < 2; last++) {
        KIndex yi = y0, ti = t0;
        if (last) {
            yi.base += n - L;
            ti.base += n - L;
        } else {
            kidx_add(&yi, v, L);
            kidx_add(&ti, v, L);
        }
        KExpr *s = kb_vload_i32(kb, cb->yt, ti, L);
        if (cb->fixed) {
            kb_store(kb, cb->yb, yi,
                     quant_requant_fixed(kb, cb->fx, s, tmp, rq->zp, rq->lo, rq->hi, rq->dt));
        } else {
            kb_set(kb, tmp, kb_op3(kb, KOP_FMA, kb_cast(kb, DT_FLOAT32, s), sc, b));
            kb_store(kb, cb->yb, yi, kb_out_vec_local(kb, yi, tmp));
        }
        if (!last)
            kb_endfor(kb);
        if (n % L == 0)
            break;
    }
}

/* Copies rows x cols of the tile scratch out through the epilogue: the block's
 * channels that exist; scratch column r * tstride + q, output position ybase + r * ys2
 * + q. Opens and closes its loops inside the (vg, vm) loops. */
static void conv_blk_copyout(KBuilder *kb, const ConvBlk *cb, uint16_t vn, uint16_t vg, uint16_t vm,
                             KIndex ybase, int64_t rows, int64_t tstride, int64_t cols)
{
    int64_t MR = cb->MR;
    uint16_t vi = kb_for(kb, MR);
    KIndex m = kidx_const(0);
    kidx_add(&m, vm, MR);
    kidx_add(&m, vi, 1);
    KCond mc = {m, cb->Mg};
    int guard = cb->nmb * MR != cb->Mg;
    if (guard)
        kb_if(kb, &mc, 1);
    if (cb->fixed || cb->iband) { /* each row (or all, packed) requantized from int32 */
        KIndex ch = m;            /* float32: the channel's scale and bias, [g][block][MR] */
        kidx_add(&ch, vg, cb->nmb * MR);
        if (cb->fixed)
            quant_fixed_at(kb, cb->fx, m);
        KIndex y0 = ybase;
        kidx_add(&y0, vn, cb->ys[0]);
        kidx_add(&y0, vg, cb->Mg * cb->ys[1]);
        kidx_add_index(&y0, &m, cb->ys[1]);
        KIndex t0 = kidx_const(0);
        kidx_add(&t0, vi, cb->Ptmax);
        if (rows > 1 && cols == cb->ys[2] && (cols % cb->VL || tstride == cols)) {
            if (tstride != cols) { /* short rows packed together first, as below */
                uint16_t vr = kb_for(kb, rows), vo = kb_for(kb, cols);
                KIndex from = t0, to = t0;
                kidx_add(&from, vr, tstride);
                kidx_add(&from, vo, 1);
                kidx_add(&to, vr, cols);
                kidx_add(&to, vo, 1);
                kb_store(kb, cb->yt, to, kb_load(kb, cb->yt, from));
                kb_endfor_n(kb, 2);
            }
            blk_int_run(kb, cb, y0, t0, rows * cols, ch);
        } else {
            uint16_t vr = kb_for(kb, rows);
            kidx_add(&y0, vr, cb->ys[2]);
            kidx_add(&t0, vr, tstride);
            blk_int_run(kb, cb, y0, t0, cols, ch);
            kb_endfor(kb);
        }
        if (guard)
            kb_endif(kb);
        kb_endfor(kb);
        return;
    }
    /* rows shorter than a whole number of vectors leave the C compiler a scalar
     * remainder, where an epilogue such as x * sigmoid(x) costs the most: then the
     * rows are copied, and the epilogue runs over them in y as one run */
    int split = kb->nepi && !cb->yint && cols % cb->VL && (rows == 1 || cols == cb->ys[2]);
    KIndex y0 = ybase;
    kidx_add(&y0, vn, cb->ys[0]);
    kidx_add(&y0, vg, cb->Mg * cb->ys[1]);
    kidx_add_index(&y0, &m, cb->ys[1]);
    /* y stored as integers from rows as short (dscnn's 5 positions): the requantizing
     * epilogue would run scalar, row by row; the rows are first packed together in the
     * tile scratch (in place, forward: row r from r * tstride to r * cols; already so when
     * tstride is cols), and the epilogue runs over them as one run, in vectors */
    if (cb->yint && rows > 1 && cols == cb->ys[2] && (cols % cb->VL || tstride == cols)) {
        if (tstride != cols) {
            uint16_t vr = kb_for(kb, rows), vo = kb_for(kb, cols);
            KIndex from = kidx_const(0), to = kidx_const(0);
            kidx_add(&from, vi, cb->Ptmax);
            kidx_add(&from, vr, tstride);
            kidx_add(&from, vo, 1);
            kidx_add(&to, vi, cb->Ptmax);
            kidx_add(&to, vr, cols);
            kidx_add(&to, vo, 1);
            kb_store(kb, cb->yt, to, kb_load(kb, cb->yt, from));
            kb_endfor_n(kb, 2);
        }
        KIndex t0 = kidx_const(0);
        kidx_add(&t0, vi, cb->Ptmax);
        kb_store_out_run(kb, cb->yb, y0, cb->yt, t0, rows * cols, (uint8_t)cb->VL);
        if (guard)
            kb_endif(kb);
        kb_endfor(kb);
        return;
    }
    if (cb->yint && cols >= cb->VL) { /* rows of whole vectors: the epilogue in vectors */
        uint16_t vr = kb_for(kb, rows);
        KIndex t0 = kidx_const(0), yr = y0;
        kidx_add(&t0, vi, cb->Ptmax);
        kidx_add(&t0, vr, tstride);
        kidx_add(&yr, vr, cb->ys[2]);
        kb_store_out_run(kb, cb->yb, yr, cb->yt, t0, cols, (uint8_t)cb->VL);
        kb_endfor(kb);
        if (guard)
            kb_endif(kb);
        kb_endfor(kb);
        return;
    }
    uint16_t vr = kb_for(kb, rows), vo = kb_for(kb, cols);
    KIndex ti = kidx_const(0), yi = y0;
    kidx_add(&ti, vi, cb->Ptmax);
    kidx_add(&ti, vr, tstride);
    kidx_add(&ti, vo, 1);
    kidx_add(&yi, vr, cb->ys[2]);
    kidx_add(&yi, vo, 1);
    if (split)
        kb_store(kb, cb->yb, yi, kb_load(kb, cb->yt, ti));
    else
        kb_store_out(kb, cb->yb, yi, kb_load(kb, cb->yt, ti));
    kb_endfor_n(kb, 2);
    if (split) /* in vectors, the last overlapping (computed first) */
        kb_store_out_run(kb, cb->yb, y0, cb->yb, y0, rows * cols, (uint8_t)cb->VL);
    if (guard)
        kb_endif(kb);
    kb_endfor(kb);
}

/* One band of rb output rows from row oh0 (affine in the band loop, or constant). */
/* The channel-vector tiles of a band of rb rows (ConvBlk.chan): per block of CN * VL
 * output channels and row r, the OW positions' sums over every channel and tap in
 * CR * CN vector locals, stored as [position][channel] and copied out to y. */
static void conv_blk_chan_out(KBuilder *kb, const ConvBlk *cb, uint16_t vn, KIndex oh0, int64_t rb,
                              uint16_t vm, uint16_t vr, int own_vm);

/* The chan schedules' loop over blocks of output channels: the caller's (vmx), or one
 * of their own (vmx UINT16_MAX), which conv_blk_chan_out closes. */
static uint16_t chan_blocks(KBuilder *kb, const ConvBlk *cb, uint16_t vmx)
{
    return vmx != UINT16_MAX ? vmx : kb_for(kb, cb->Mg / (cb->CN * cb->VL));
}

/* conv_blk_chan for ConvBlk.dot: the band's integers (four channels to a position)
 * broadcast against CN vectors of int8 weights four channels deep, int32 sums from zc,
 * to the tile scratch as float(sum) * scb + bias. */
static void conv_blk_chan_dot(KBuilder *kb, const ConvBlk *cb, uint16_t vn, KIndex oh0, int64_t rb,
                              uint16_t vmx)
{
    int64_t CW = cb->CN * cb->VL, CR = cb->CR, CN = cb->CN, C4 = ceil_div(cb->Cg, 4);
    uint8_t VL = (uint8_t)cb->VL;
    uint16_t acc[64];
    KType it = {DT_INT32, VL};
    for (int64_t i = 0; i < CR * CN; i++)
        acc[i] = kb_local(kb, it);
    uint16_t vm = chan_blocks(kb, cb, vmx), vr = kb_for(kb, rb);
    for (int64_t p = 0; p < CR; p++)
        for (int64_t j = 0; j < CN; j++) {
            KIndex zi = kidx_const(j * cb->VL);
            kidx_add(&zi, vm, CW);
            kb_set(kb, acc[p * CN + j], kb_vload_i32(kb, cb->zc, zi, VL));
        }
    uint16_t vc = kb_for(kb, C4);
    /* kdot: groups of four taps, positions sw words apart, rows sh band rows apart */
    int64_t ntap = cb->kdot ? cb->ntg : cb->ntap, pstep = cb->kdot ? cb->sw : 1,
            rstep = cb->kdot ? cb->sh * cb->Wu : cb->Wq;
    for (int64_t tap = 0; tap < ntap; tap++)
        for (int64_t j = 0; j < CN; j++) {
            KDotArg w = {cb->wpk, kidx_const(4 * (tap * CW + j * cb->VL)), 0, 0};
            kidx_add(&w.idx, vm, 4 * C4 * ntap * CW);
            kidx_add(&w.idx, vc, 4 * ntap * CW);
            for (int64_t p = 0; p < CR; p++) {
                KDotArg x = {cb->pack, kidx_const(4 * (cb->tap_off[tap] + p * pstep)), 1, 0};
                kidx_add(&x.idx, vr, 4 * rstep);
                kidx_add(&x.idx, vc, 4 * cb->cstride);
                kb_set(kb, acc[p * CN + j], kb_dot4(kb, kb_var(kb, acc[p * CN + j]), x, w));
            }
        }
    kb_endfor(kb); /* c / 4 */
    for (int64_t j = 0; j < CN && cb->fixed; j++)
        for (int64_t p = 0; p < CR; p++)
            kb_store(kb, cb->yt, kidx_const(p * CW + j * cb->VL), kb_var(kb, acc[p * CN + j]));
    for (int64_t j = 0; j < CN && !cb->fixed; j++) {
        KIndex ci = kidx_const(j * cb->VL);
        kidx_add(&ci, vm, CW);
        KExpr *sc = kb_vload(kb, cb->scb, ci, VL), *b = kb_vload(kb, cb->bpk, ci, VL);
        for (int64_t p = 0; p < CR; p++) {
            KExpr *f = kb_cast(kb, DT_FLOAT32, kb_var(kb, acc[p * CN + j]));
            kb_store(kb, cb->yt, kidx_const(p * CW + j * cb->VL), kb_op3(kb, KOP_FMA, f, sc, b));
        }
    }
    conv_blk_chan_out(kb, cb, vn, oh0, rb, vm, vr, vmx == UINT16_MAX);
}

#define CHAN_XROW_W 24 /* ConvBlk.xrow: kw * CN weight vectors at most */

typedef struct XrowUse {
    int64_t key, b, p; /* x's offset (or column), the tap's column, the position */
} XrowUse;

static int cmp_xrow(const void *a, const void *b)
{
    const XrowUse *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

/* The columns of x that more than one tap of a kernel row reads over a row of OW
 * positions: the broadcasts kept live tap by tap (for ConvBlk.xrow's choice) */
static int64_t chan_shared_x(const ConvBlk *cb)
{
    uint8_t uses[1024] = {0};
    int64_t n = 0, span = (cb->OW - 1) * cb->sw + (cb->kw - 1) * cb->dw + 1;
    if (span > (int64_t)sizeof uses)
        return 0;
    for (int64_t p = 0; p < cb->OW; p++)
        for (int64_t b = 0; b < cb->kw; b++)
            n += ++uses[p * cb->sw + b * cb->dw] == 2;
    return n;
}

/* conv_blk_chan's CN weight vectors of tap over input channel vc, into wv[0 .. CN) */
static void chan_weights(KBuilder *kb, const ConvBlk *cb, uint16_t vm, uint16_t vc, int64_t tap,
                         const uint16_t *wv)
{
    int64_t CW = cb->CN * cb->VL;
    for (int64_t j = 0; j < cb->CN; j++) {
        KIndex wi = kidx_const(tap * CW + j * cb->VL);
        kidx_add(&wi, vm, cb->Cg * cb->ntap * CW);
        kidx_add(&wi, vc, cb->ntap * CW);
        kb_set(kb, wv[j], kb_vload(kb, cb->wch, wi, (uint8_t)cb->VL));
    }
}

/* conv_blk_chan's x at offset off (tap_off[tap] + position) of band row vr, channel vc: in
 * the band, or in x itself (direct, nocopy); its buffer in *src */
static KIndex chan_band_x(const ConvBlk *cb, uint16_t vn, uint16_t vr, uint16_t vc, int64_t off,
                          uint32_t *src)
{
    KIndex xi = kidx_const(off);
    kidx_add(&xi, vr, cb->Wq);
    kidx_add(&xi, vc, cb->cstride);
    *src = cb->pack;
    if (cb->direct || cb->nocopy) { /* x itself */
        kidx_add(&xi, vn, cb->xs0);
        *src = cb->xint ? cb->xraw : cb->xb;
    }
    return xi;
}

/* ConvBlk.xrow: kernel row a of conv_blk_chan's taps over input channel vc */
static void chan_xrow(KBuilder *kb, const ConvBlk *cb, uint16_t vn, KIndex oh0, int64_t rb,
                      uint16_t vm, uint16_t vr, uint16_t vc, int64_t a, const uint16_t *acc,
                      const uint16_t *wv)
{
    int64_t CR = cb->CR, CN = cb->CN;
    KIndex row = kidx_const(a * cb->dh - cb->pt);
    kidx_add_index(&row, &oh0, cb->sh);
    kidx_add(&row, vr, cb->sh);
    /* xpeel: an edge row's kernel rows outside x left out (its other rows' are inside) */
    if (cb->xpeel && !oh0.n && rb == 1 && (row.base < 0 || row.base >= cb->H))
        return;
    XrowUse use[CHAN_XROW_W * 16]; /* kw * CN <= CHAN_XROW_W, CR <= 16 */
    LW_ASSERT(cb->kw * CR <= CHAN_XROW_W * 16);
    int64_t nu = 0;
    for (int64_t b = 0; b < cb->kw; b++) {
        int64_t tap = a * cb->kw + b;
        chan_weights(kb, cb, vm, vc, tap, &wv[b * CN]);
        for (int64_t p = 0; p < CR; p++) {
            int64_t col = p * cb->sw + b * cb->dw - cb->pl;
            if (cb->xpeel && (col < 0 || col >= cb->W))
                continue; /* the taps whose column is outside x left out */
            use[nu++] = (XrowUse){cb->xpeel ? col : cb->tap_off[tap] + p, b, p};
        }
    }
    qsort(use, (size_t)nu, sizeof use[0], cmp_xrow);
    for (int64_t u = 0; u < nu; u++) {
        int64_t b = use[u].b, p = use[u].p, tap = a * cb->kw + b;
        uint32_t src = cb->xb;
        KIndex xi;
        if (cb->xpeel) {
            xi = kidx_const(use[u].key);
            kidx_add_index(&xi, &row, cb->W);
            kidx_add(&xi, vn, cb->xs0);
            kidx_add(&xi, vc, cb->H * cb->W);
        } else {
            xi = chan_band_x(cb, vn, vr, vc, cb->tap_off[tap] + p, &src);
        }
        kb_fma_row(kb, &acc[p * CN], blk_x(kb, cb, src, xi, 1), &wv[b * CN], CN);
    }
}

/* vmx: the caller's loop over blocks of output channels, or UINT16_MAX (its own, inside
 * the rows' loop) */
static void conv_blk_chan(KBuilder *kb, const ConvBlk *cb, uint16_t vn, KIndex oh0, int64_t rb,
                          uint16_t vmx)
{
    if (cb->dot) {
        conv_blk_chan_dot(kb, cb, vn, oh0, rb, vmx);
        return;
    }
    int64_t CW = cb->CN * cb->VL, CR = cb->CR, CN = cb->CN;
    uint8_t VL = (uint8_t)cb->VL;
    uint16_t acc[64], wv[CHAN_XROW_W];
    tile_locals(kb, DT_FLOAT32, VL, acc, CR * CN, wv, cb->xrow ? cb->kw * CN : CN);
    /* NEON's 4 lanes: four positions' inputs in one load, each broadcast from its lane
     * (fmla by element) */
    KType x4t = {DT_FLOAT32, 4};
    int want4 = VL == 4 && CR >= 4 && !cb->chan_out;
    uint16_t x4 = UINT16_MAX; /* made at its first use: xpeel's taps may leave none */
    uint16_t vm = chan_blocks(kb, cb, vmx), vr = kb_for(kb, rb);
    for (int64_t p = 0; p < CR; p++)
        for (int64_t j = 0; j < CN; j++) {
            KExpr *b0 = kb_splat(kb, kb_const_f(kb, DT_FLOAT32, 0), VL);
            if (cb->has_bias) {
                KIndex bi = kidx_const(j * cb->VL);
                kidx_add(&bi, vm, CW);
                b0 = kb_vload(kb, cb->bpk, bi, VL);
            }
            kb_set(kb, acc[p * CN + j], b0);
        }
    uint16_t vc = kb_for(kb, cb->Cg);
    for (int64_t a = 0; cb->xrow && a < cb->kh; a++)
        chan_xrow(kb, cb, vn, oh0, rb, vm, vr, vc, a, acc, wv);
    for (int64_t tap = 0; !cb->xrow && tap < cb->ntap; tap++) {
        chan_weights(kb, cb, vm, vc, tap, wv);
        /* x read where it is (chan_out, xpeel): the taps whose column is outside x left
         * out; chan_out guards each load's row, xpeel leaves out an edge row's (a constant
         * single row) rows outside x, its other rows' being inside */
        for (int64_t p = 0; (cb->chan_out || cb->xpeel) && p < CR; p++) {
            int64_t a = tap / cb->kw, b = tap % cb->kw, col = p * cb->sw + b * cb->dw - cb->pl;
            if (col < 0 || col >= cb->W)
                continue;
            KIndex row = kidx_const(a * cb->dh - cb->pt);
            kidx_add_index(&row, &oh0, cb->sh);
            kidx_add(&row, vr, cb->sh);
            if (cb->xpeel && !oh0.n && rb == 1 && (row.base < 0 || row.base >= cb->H))
                continue;
            KIndex xi = kidx_const(col);
            kidx_add_index(&xi, &row, cb->W);
            kidx_add(&xi, vn, cb->xs0);
            kidx_add(&xi, vc, cb->H * cb->W);
            if (cb->chan_out) {
                KCond rc = {row, cb->H};
                kb_fma_row(kb, &acc[p * CN], blk_x_guarded(kb, cb, xi, &rc, 1), wv, CN);
                continue;
            }
            /* four positions in one load: adjacent columns, all inside x */
            if (want4 && p % 4 == 0 && p + 4 <= CR && cb->sw == 1 && col + 3 < cb->W) {
                x4 = x4 == UINT16_MAX ? kb_local(kb, x4t) : x4;
                kb_set(kb, x4, blk_x(kb, cb, cb->xb, xi, 4));
                for (uint8_t l = 0; l < 4; l++)
                    kb_fma_row(kb, &acc[(p + l) * CN], kb_lane(kb, x4, l), wv, CN);
                p += 3;
                continue;
            }
            kb_fma_row(kb, &acc[p * CN], blk_x(kb, cb, cb->xb, xi, 1), wv, CN);
        }
        for (int64_t p = 0; !cb->chan_out && !cb->xpeel && p < CR; p++) {
            uint32_t src;
            KIndex xi = chan_band_x(cb, vn, vr, vc, cb->tap_off[tap] + p, &src);
            if (want4 && p % 4 == 0 && p + 4 <= CR && (cb->xint || kb_vloadable(kb, src))) {
                x4 = x4 == UINT16_MAX ? kb_local(kb, x4t) : x4;
                kb_set(kb, x4, blk_x(kb, cb, src, xi, 4));
                for (uint8_t l = 0; l < 4; l++)
                    kb_fma_row(kb, &acc[(p + l) * CN], kb_lane(kb, x4, l), wv, CN);
                p += 3;
                continue;
            }
            kb_fma_row(kb, &acc[p * CN], blk_x(kb, cb, src, xi, 1), wv, CN);
        }
    }
    kb_endfor(kb); /* c */
    if (cb->chan_out) {
        for (int64_t p = 0; p < CR; p++)
            for (int64_t j = 0; j < CN; j++)
                for (uint8_t l = 0; l < VL; l++) {
                    KIndex yi = kidx_const((j * cb->VL + l) * cb->ys[1] + p);
                    kidx_add(&yi, vn, cb->ys[0]);
                    kidx_add(&yi, vm, CW * cb->ys[1]);
                    kidx_add_index(&yi, &oh0, cb->ys[2]);
                    kidx_add(&yi, vr, cb->ys[2]);
                    kb_store_out(kb, cb->yb, yi, kb_lane(kb, acc[p * CN + j], l));
                }
        kb_endfor_n(kb, vmx == UINT16_MAX ? 2 : 1); /* r, m */
        return;
    }
    for (int64_t p = 0; p < CR; p++)
        for (int64_t j = 0; j < CN; j++)
            kb_store(kb, cb->yt, kidx_const(p * CW + j * cb->VL), kb_var(kb, acc[p * CN + j]));
    conv_blk_chan_out(kb, cb, vn, oh0, rb, vm, vr, vmx == UINT16_MAX);
}

/* The channel vectors' sums, in the tile scratch as [position][channel], out to y
 * through the epilogue; closes the row loop (vr) and the block loop (vm) if own_vm. */
static void conv_blk_chan_out(KBuilder *kb, const ConvBlk *cb, uint16_t vn, KIndex oh0, int64_t rb,
                              uint16_t vm, uint16_t vr, int own_vm)
{
    int64_t CW = cb->CN * cb->VL, CR = cb->CR;
    /* float32 y: the channels innermost (contiguous loads: digits_cnn 5% faster than
     * with the positions innermost); integers (each store quantized, measured as fast
     * or faster so) and fixed point (per channel vi its multiplier): the positions */
    uint16_t vi = 0, vo = 0;
    if (cb->fixed || cb->yint) {
        vi = kb_for(kb, CW);
        if (cb->fixed) {
            KIndex ch = kidx_const(0);
            kidx_add(&ch, vm, CW);
            kidx_add(&ch, vi, 1);
            quant_fixed_at(kb, cb->fx, ch);
        }
        vo = kb_for(kb, CR);
    } else {
        vo = kb_for(kb, CR);
        vi = kb_for(kb, CW);
    }
    KIndex ti = kidx_const(0), yi = kidx_const(0);
    kidx_add(&ti, vo, CW);
    kidx_add(&ti, vi, 1);
    kidx_add(&yi, vn, cb->ys[0]);
    kidx_add(&yi, vm, CW * cb->ys[1]);
    kidx_add(&yi, vi, cb->ys[1]);
    kidx_add_index(&yi, &oh0, cb->ys[2]);
    kidx_add(&yi, vr, cb->ys[2]);
    kidx_add(&yi, vo, 1);
    /* an epilogue of arithmetic alone (one with a vector form) is applied in the copy
     * (digits_cnn's Relus: 4% faster); others run after the block's rows, over each
     * channel's rows in y as one run (efficientnet_b0's SiLU 2% faster so) */
    int later = kb->nepi && !cb->yint && !kb_out_vec_ok(kb, yi, 4);
    if (cb->fixed)
        kb_store(kb, cb->yb, yi,
                 quant_requant_fixed(kb, cb->fx, kb_load(kb, cb->yt, ti),
                                     kb_local(kb, ktype(DT_INT64)), cb->rq.zp, cb->rq.lo, cb->rq.hi,
                                     cb->rq.dt));
    else if (later)
        kb_store(kb, cb->yb, yi, kb_load(kb, cb->yt, ti));
    else
        kb_store_out(kb, cb->yb, yi, kb_load(kb, cb->yt, ti));
    kb_endfor_n(kb, 3); /* o, i, r */
    if (later) {
        KIndex y0 = kidx_const(0); /* the block's first channel, the band's first row */
        kidx_add(&y0, vn, cb->ys[0]);
        kidx_add(&y0, vm, CW * cb->ys[1]);
        kidx_add_index(&y0, &oh0, cb->ys[2]);
        epi_in_place(kb, cb, y0, CW, rb * cb->OW);
    }
    if (own_vm)
        kb_endfor(kb); /* m */
}

/* The band of a kdot conv (ConvBlk.kdot): the rows of x from oh0 * sh - pt that rb output
 * rows read, each column u holding x's bytes (plus xoff) at u + t * dw - pl, t < 4, the
 * zero point (plus xoff) outside x. */
static void conv_blk_band_kdot(KBuilder *kb, const ConvBlk *cb, uint16_t vn, KIndex oh0, int64_t rb)
{
    int64_t hr = (rb - 1) * cb->sh + (cb->kh - 1) * cb->dh + 1;
    uint16_t vr = kb_for(kb, hr), vu = kb_for(kb, cb->Wu), vt = kb_for(kb, 4);
    KIndex row = kidx_const(-cb->pt), col = kidx_const(-cb->pl);
    kidx_add_index(&row, &oh0, cb->sh);
    kidx_add(&row, vr, 1);
    kidx_add(&col, vu, 1);
    kidx_add(&col, vt, cb->dw);
    KIndex src = col, dst = kidx_const(0);
    kidx_add(&src, vn, cb->xs0);
    kidx_add_index(&src, &row, cb->W);
    kidx_add(&dst, vr, 4 * cb->Wu);
    kidx_add(&dst, vu, 4);
    kidx_add(&dst, vt, 1);
    KCond conds[2] = {{row, cb->H}, {col, cb->W}};
    KExpr *q = kb_load_guard(kb, cb->xraw, src, conds, 2, kb_const_i(kb, cb->xdt, cb->xzp));
    KExpr *v = q;
    if (cb->xoff || cb->bdt != cb->xdt)
        v = kb_cast(
            kb, cb->bdt,
            kb_op(kb, KOP_ADD, kb_cast(kb, DT_INT32, q), kb_const_i(kb, DT_INT32, cb->xoff)));
    kb_store(kb, cb->pack, dst, v);
    kb_endfor_n(kb, 3);
}

static void conv_blk_band(KBuilder *kb, const ConvBlk *cb, uint16_t vn, KIndex oh0, int64_t rb)
{
    if (cb->kdot) {
        conv_blk_band_kdot(kb, cb, vn, oh0, rb);
        conv_blk_chan(kb, cb, vn, oh0, rb, UINT16_MAX);
        return;
    }
    int64_t Pc = (rb - 1) * cb->Wq + cb->OW, ntiles = cb->chan ? 0 : ceil_div(Pc, cb->T);
    /* phase rows the tiles read: up to the last tile's end past the farthest tap */
    int64_t hb = ceil_div((cb->chan ? Pc : ntiles * cb->T) + cb->rhmax * cb->Wq + cb->rwmax, cb->Wq);
    int64_t C = cb->G * cb->Cg, S = cb->sh * cb->sw;
    if (cb->dot && cb->chan) {
        conv_blk_band_dot(kb, cb, vn, oh0, hb);
        conv_blk_chan(kb, cb, vn, oh0, rb, UINT16_MAX);
        return;
    }
    if (cb->dot) {
        conv_blk_band_dot(kb, cb, vn, oh0, hb);
        uint16_t vg = kb_for(kb, cb->G), vm = kb_for(kb, cb->nmb), vt = kb_for(kb, ntiles);
        KIndex xbase = kidx_const(0), tcol = kidx_const(0);
        kidx_add(&xbase, vt, cb->T);
        kidx_add(&tcol, vt, cb->T);
        conv_blk_tile_dot(kb, cb, vm, xbase, cb->NRV, (uint8_t)cb->VL, cb->yt, tcol, cb->Ptmax);
        kb_endfor(kb);
        KIndex ybase = kidx_const(0);
        kidx_add_index(&ybase, &oh0, cb->ys[2]);
        conv_blk_copyout(kb, cb, vn, vg, vm, ybase, rb, cb->Wq, cb->OW);
        kb_endfor_n(kb, 2); /* mb, g (1) */
        return;
    }
    /* the band's input, padded and split into phases: per column phase b, the columns
     * left of the input and right of it are zeros, those between a copy whose only
     * guard is the row's (invariant along the row: the copy vectorizes). Only the phases
     * a tap reads (tap (a, b): row phase (a*dh) % sh, column phase (b*dw) % sw), row
     * phases up to the last of them: a 1x1 conv of stride 2 reads one phase of four
     * (resnet50's downsampling convs copied four) */
    int64_t nra = 1;
    for (int64_t a = 0; a < cb->kh; a++)
        nra = (a * cb->dh) % cb->sh + 1 > nra ? (a * cb->dh) % cb->sh + 1 : nra;
    uint16_t vc = kb_for(kb, C), va = kb_for(kb, nra), vr = kb_for(kb, hb);
    KIndex row = band_row(cb, oh0, vr, va);
    /* a strided conv whose phases read runs of x of one length: those runs copied in one
     * loop, a store per phase from adjacent columns of x, which the C compiler loads as
     * whole vectors and splits (a loop per phase reads x at a stride, element by
     * element) */
    int64_t seg0[3][2];
    band_segments(cb, 0, seg0);
    int merged = cb->sw > 1 && cb->sw <= 4 && !cb->xload && seg0[1][1] > seg0[1][0];
    for (int64_t b = 1; b < cb->sw && merged; b++) {
        int64_t seg[3][2];
        band_segments(cb, b, seg);
        merged = seg[1][1] - seg[1][0] == seg0[1][1] - seg0[1][0];
    }
    if (merged) {
        uint16_t vq = kb_for(kb, seg0[1][1] - seg0[1][0]);
        KCond rc = {row, cb->H};
        for (int64_t b = 0; b < cb->sw; b++) {
            if (!band_col_read(cb, b))
                continue;
            int64_t seg[3][2];
            band_segments(cb, b, seg);
            KIndex dst = kidx_const(b * cb->plane + seg[1][0]),
                   src = kidx_const(seg[1][0] * cb->sw + b - cb->pl);
            kidx_add(&dst, vc, S * cb->plane);
            kidx_add(&dst, va, cb->sw * cb->plane);
            kidx_add(&dst, vr, cb->Wq);
            kidx_add(&dst, vq, 1);
            kidx_add(&src, vn, cb->xs0);
            kidx_add(&src, vc, cb->H * cb->W);
            kidx_add_index(&src, &row, cb->W);
            kidx_add(&src, vq, cb->sw);
            KExpr *z = cb->xint ? kb_const_i(kb, cb->xdt, cb->xzp) : kb_const_f(kb, DT_FLOAT32, 0);
            kb_store(kb, cb->pack, dst,
                     kb_load_guard(kb, cb->xint ? cb->xraw : cb->xb, src, &rc, 1, z));
        }
        kb_endfor(kb);
    }
    for (int64_t b = 0; b < cb->sw; b++) {
        int64_t seg[3][2];
        band_segments(cb, b, seg);
        for (int k = 0; k < 3 && band_col_read(cb, b); k++) {
            if (seg[k][1] <= seg[k][0] || (k == 1 && merged))
                continue;
            uint16_t vq = kb_for(kb, seg[k][1] - seg[k][0]);
            KIndex dst = kidx_const(b * cb->plane + seg[k][0]);
            kidx_add(&dst, vc, S * cb->plane);
            kidx_add(&dst, va, cb->sw * cb->plane);
            kidx_add(&dst, vr, cb->Wq);
            kidx_add(&dst, vq, 1);
            KExpr *v = cb->xint ? kb_const_i(kb, cb->xdt, cb->xzp) : kb_const_f(kb, DT_FLOAT32, 0);
            if (k == 1) {
                KIndex src = kidx_const((seg[k][0] * cb->sw + b - cb->pl));
                kidx_add(&src, vn, cb->xs0);
                kidx_add(&src, vc, cb->H * cb->W);
                kidx_add_index(&src, &row, cb->W);
                kidx_add(&src, vq, cb->sw);
                KCond rc = {row, cb->H};
                if (cb->xint) { /* the integers, padded with the zero point */
                    kb_store(kb, cb->pack, dst, kb_load_guard(kb, cb->xraw, src, &rc, 1, v));
                    kb_endfor(kb);
                    continue;
                }
                if (cb->xload) { /* dequantized as loaded: no guarded form */
                    kb_store(kb, cb->pack, dst, v);
                    kb_if(kb, &rc, 1);
                    kb_store(kb, cb->pack, dst, kb_load(kb, cb->xb, src));
                    kb_endif(kb);
                    kb_endfor(kb);
                    continue;
                }
                v = kb_load_guard(kb, cb->xb, src, &rc, 1, v);
            }
            kb_store(kb, cb->pack, dst, v);
            kb_endfor(kb);
        }
    }
    kb_endfor_n(kb, 3);
    if (cb->chan) {
        conv_blk_chan(kb, cb, vn, oh0, rb, UINT16_MAX);
        return;
    }
    uint16_t vg = kb_for(kb, cb->G), vm = kb_for(kb, cb->nmb);
    uint16_t vt = kb_for(kb, ntiles);
    KIndex xbase = kidx_const(0), tcol = kidx_const(0);
    kidx_add(&xbase, vt, cb->T);
    kidx_add(&tcol, vt, cb->T);
    conv_blk_tile(kb, cb, vg, vm, cb->pack, xbase, cb->NRV, (uint8_t)cb->VL, cb->yt, tcol, cb->Ptmax,
                  NULL);
    kb_endfor(kb);
    KIndex ybase = kidx_const(0);
    kidx_add_index(&ybase, &oh0, cb->ys[2]);
    conv_blk_copyout(kb, cb, vn, vg, vm, ybase, rb, cb->Wq, cb->OW);
    kb_endfor_n(kb, 2); /* mb, g */
}

/* One tile of a pointwise conv from position p: into the tile scratch and copied out,
 * or (inplace) stored in y itself, then the epilogue applied there in place. */
static void conv_blk_direct_tile(KBuilder *kb, const ConvBlk *cb, uint16_t vn, uint16_t vg,
                                 uint16_t vm, KIndex p, int64_t nv, uint8_t lanes, KIndex mp)
{
    KIndex xbase = p;
    kidx_add(&xbase, vn, cb->xs0);
    if (!cb->inplace) {
        conv_blk_tile(kb, cb, vg, vm, cb->xb, xbase, nv, lanes, cb->yt, kidx_const(0), cb->Ptmax,
                      NULL);
        conv_blk_copyout(kb, cb, vn, vg, vm, p, 1, 0, nv * lanes);
        return;
    }
    KIndex y0 = blk_y0(cb, p, vn, vg, vm, cb->MR);
    conv_blk_tile(kb, cb, vg, vm, cb->xint ? cb->xraw : cb->xb, xbase, nv, lanes, cb->yb, y0,
                  cb->ys[1], cb->masked ? &mp : NULL);
    /* masked: the epilogue once, after the edges */
    if (kb->nepi && !cb->masked && !blk_epi_on_sums(kb, cb, cb->yb, lanes))
        epi_in_place(kb, cb, y0, cb->MR, nv * lanes);
}

/* Channel blocks inside the positions pay where x is larger than half a core's L2: with the
 * blocks outside, every block reads all of x again, and x with the block's part of y
 * streaming past it no longer stays in L2, so each pass comes from L3 or memory.
 * resnet50's 1x1 convs from 256 channels to 64 over 56x56: 52 -> 85 GFLOP/s. Also with more
 * output channels than input ones, whose blocks' sums then scatter the stores a plane apart
 * (perf, back to back): mobilenet_v2's 16 to 96 over 112x112 12-23% less time, resnet50's
 * 64 to 256 over 56x56 6-16%, regnet's first 1x1 15-19%; efficientnet_b0's 16 to 96, kept
 * busy by its SiLU, 0-10% more (up to 0.7% of the model). Where x fits (mlperf_dscnn's
 * 32 KB) the blocks stay outside. The masked schedule (NEON's 3x3 convs) takes them inside
 * only with at least as many input channels as output ones, as before this rule widened:
 * no armv8 core here to measure the rest on. */
static int blocks_inside(const ConvBlk *cb)
{
    return (!cb->masked || cb->Cg >= cb->Mg) &&
           (double)(cb->Cg * cb->H * cb->W) * 4.0 > WEIGHTS_L2 / 2;
}

/* One tile of nv vectors of lanes at p (masks from mp); with `inner`, for every channel
 * block (the blocks inside the positions: x's part under the tile is read from the cache
 * by all of them, not from memory by each). */
static void blk_tile_at(KBuilder *kb, const ConvBlk *cb, uint16_t vn, uint16_t vg, uint16_t vm,
                        KIndex p, KIndex mp, int64_t nv, uint8_t lanes, int inner)
{
    if (inner) {
        vg = kb_for(kb, cb->G);
        vm = kb_for(kb, cb->nmb);
    }
    conv_blk_direct_tile(kb, cb, vn, vg, vm, p, nv, lanes, mp);
    if (inner)
        kb_endfor_n(kb, 2);
}

/* A pointwise conv (1x1, stride 1, no pads) reads x itself: tiles of T positions,
 * then one of the whole vectors left, then the last positions. */
static void conv_blk_direct(KBuilder *kb, const ConvBlk *cb, uint16_t vn)
{
    int64_t P = cb->OH * cb->OW, nfull = P / cb->T, rem = P % cb->T;
    int64_t nvt = rem / cb->VL, ns = rem % cb->VL;
    int inner = blocks_inside(cb);
    uint16_t vg = 0, vm = 0;
    if (!inner) {
        vg = kb_for(kb, cb->G);
        vm = kb_for(kb, cb->nmb);
    }
    if (nfull) {
        uint16_t vt = kb_for(kb, nfull);
        KIndex p0 = kidx_const(0);
        kidx_add(&p0, vt, cb->T);
        blk_tile_at(kb, cb, vn, vg, vm, p0, p0, cb->NRV, (uint8_t)cb->VL, inner);
        kb_endfor(kb);
    }
    int64_t p = nfull * cb->T;
    if (nvt) {
        blk_tile_at(kb, cb, vn, vg, vm, kidx_const(p), kidx_const(p), nvt, (uint8_t)cb->VL, inner);
        p += nvt * cb->VL;
    }
    /* the last positions: a vector tile ending at P, over positions the tiles before
     * it computed already (it recomputes their sums from x and stores them again, with
     * the epilogue), rather than ns scalar tiles: mlperf_dscnn's 125 positions left 13
     * whose scalar sums cost as much as the 112 before them in vectors */
    if (ns * 2 >= cb->VL && P >= cb->VL)
        blk_tile_at(kb, cb, vn, vg, vm, kidx_const(P - cb->VL), kidx_const(P - cb->VL), 1,
                    (uint8_t)cb->VL, inner);
    else if (ns)
        blk_tile_at(kb, cb, vn, vg, vm, kidx_const(p), kidx_const(p), ns, 1, inner);
    if (!inner)
        kb_endfor_n(kb, 2);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The positions a masked conv leaves to the edges (rows above rlo and from rhi, the
 * first pl columns of row rlo, the last pr of row rhi - 1) in conv_blk_tile's tiles, the
 * sums stored in y: each row of a rectangle (the pads' few rows) cut where a tap's
 * columns enter or leave x, so that in each piece every tap reads inside x at all its
 * positions or at none (those left out); a piece in tiles of the widest vector it holds,
 * the last one ending at the piece's end (sums stored: the positions computed twice come
 * out the same), and narrower pieces position by position. tcn's dilated 1-D convs (8
 * pad columns a side) spent 60% of their time in scalar sums through y before. */
static void conv_blk_edges(KBuilder *kb, const ConvBlk *cb, uint16_t vn, uint16_t vg, uint16_t vm)
{
    int64_t rect[4][4] = {{0, cb->rlo, 0, cb->OW},
                          {cb->rlo, cb->rlo + 1, 0, cb->mrows ? 0 : cb->pl},
                          {cb->rhi - 1, cb->rhi, cb->OW - (cb->mrows ? 0 : cb->pr), cb->OW},
                          {cb->rhi, cb->OH, 0, cb->OW}};
    ConvBlk view = *cb;
    uint8_t out[256];
    view.tap_out = out;
    uint32_t src = cb->xint ? cb->xraw : cb->xb;
    for (int r = 0; r < 4; r++)
        for (int64_t row = rect[r][0]; row < rect[r][1] && rect[r][2] < rect[r][3]; row++) {
            int64_t cut[2 + 2 * 256], nc = 0;
            cut[nc++] = rect[r][2];
            cut[nc++] = rect[r][3];
            for (int64_t b = 0; b < cb->kw; b++) {
                int64_t lo = cb->pl - b * cb->dw, hi = cb->W + cb->pl - b * cb->dw;
                if (lo > rect[r][2] && lo < rect[r][3])
                    cut[nc++] = lo;
                if (hi > rect[r][2] && hi < rect[r][3])
                    cut[nc++] = hi;
            }
            qsort(cut, (size_t)nc, sizeof cut[0], cmp_i64);
            for (int64_t k = 0; k + 1 < nc; k++) {
                int64_t s = cut[k], e = cut[k + 1];
                if (e <= s)
                    continue;
                /* (with every tap outside, the tiles store the bias) */
                for (int64_t a = 0; a < cb->kh; a++)
                    for (int64_t b = 0; b < cb->kw; b++) {
                        int64_t ir = row + a * cb->dh - cb->pt, ic = s + b * cb->dw - cb->pl;
                        int in = ir >= 0 && ir < cb->H && ic >= 0 && ic < cb->W;
                        out[a * cb->kw + b] = (uint8_t)!in;
                    }
                int64_t w = e - s, lanes = cb->VL;
                while (lanes > w && lanes >= 8)
                    lanes /= 2;
                if (lanes > w || lanes < 4)
                    lanes = 1;
                int64_t nv = lanes == 1 ? w : 1, nt = lanes == 1 ? 1 : w / lanes;
                KIndex p = kidx_const(row * cb->W + s), yp = kidx_const(row * cb->ys[2] + s);
                uint16_t vt = 0;
                if (nt > 1) {
                    vt = kb_for(kb, nt);
                    kidx_add(&p, vt, lanes);
                    kidx_add(&yp, vt, lanes);
                }
                for (int last = 0; last < 2; last++) {
                    if (last) { /* the tile ending at e */
                        if (lanes == 1 || w % lanes == 0)
                            break;
                        p = kidx_const(row * cb->W + e - lanes);
                        yp = kidx_const(row * cb->ys[2] + e - lanes);
                    }
                    KIndex xbase = p;
                    kidx_add(&xbase, vn, cb->xs0);
                    conv_blk_tile(kb, &view, vg, vm, src, xbase, nv, (uint8_t)lanes, cb->yb,
                                  blk_y0(cb, yp, vn, vg, vm, cb->MR), cb->ys[1], NULL);
                    if (!last && nt > 1)
                        kb_endfor(kb);
                }
            }
        }
}

/* A stride-1 conv whose output rows are as long as its input's, with no room for
 * the band's padded copy: x is read where it is, as [C][H*W]. Every position
 * [plo, phi) has each tap's row inside x and reads inside x's plane, so its tiles
 * are conv_blk_tile's over flat positions with the taps that reach past a row's
 * end multiplied by a 0/1 column mask (one multiply per vector of x, shared by
 * the MR channels); a last tile overlaps the one before it rather than leaving
 * a tail (its sums are stored, not added). The other positions are
 * conv_blk_edges', and the epilogue runs over y in place at the end. */
static void conv_blk_masked(KBuilder *kb, const ConvBlk *cbo, uint16_t vn)
{
    int64_t L = cbo->phi - cbo->plo, nfull = L / cbo->T;
    /* float32 sums stored in y: the tiles outside the channel blocks, which the edges and
     * the epilogue then open */
    int inner = !cbo->mplane && !cbo->lanes_out && !cbo->iplane && blocks_inside(cbo);
    uint16_t vg = 0, vm = 0;
    if (!inner) {
        vg = kb_for(kb, cbo->G);
        vm = kb_for(kb, cbo->nmb);
    }
    /* mplane: the sums to the tile scratch, laid out as a y of the block alone */
    ConvBlk view = *cbo;
    const ConvBlk *cb = cbo;
    if (cbo->mplane) {
        view.yb = cbo->yt;
        view.yloc = 1;
        view.ys[0] = 0;
        view.ys[1] = cbo->P;
        view.ys[2] = cbo->OW;
        cb = &view;
    }
    if (cb->mrows) { /* per row: tiles from column 0, the last one ending at the row's end */
        uint16_t vr = kb_for(kb, cb->rhi - cb->rlo);
        KIndex r0 = kidx_const(cb->rlo * cb->W);
        kidx_add(&r0, vr, cb->W);
        uint16_t vt = kb_for(kb, cb->W / cb->T);
        KIndex p0 = r0, m0 = kidx_const(0);
        kidx_add(&p0, vt, cb->T);
        kidx_add(&m0, vt, cb->T);
        blk_tile_at(kb, cb, vn, vg, vm, p0, m0, cb->NRV, (uint8_t)cb->VL, inner);
        kb_endfor(kb);
        if (cb->W % cb->T) {
            KIndex pe = r0;
            pe.base += cb->W - cb->T;
            blk_tile_at(kb, cb, vn, vg, vm, pe, kidx_const(cb->W - cb->T), cb->NRV, (uint8_t)cb->VL,
                        inner);
        }
        kb_endfor(kb);
        nfull = L = 0;
    }
    if (nfull) {
        uint16_t vt = kb_for(kb, nfull);
        KIndex p0 = kidx_const(cb->plo);
        kidx_add(&p0, vt, cb->T);
        blk_tile_at(kb, cb, vn, vg, vm, p0, p0, cb->NRV, (uint8_t)cb->VL, inner);
        kb_endfor(kb);
    }
    if (L % cb->T)
        blk_tile_at(kb, cb, vn, vg, vm, kidx_const(cb->phi - cb->T), kidx_const(cb->phi - cb->T),
                    cb->NRV, (uint8_t)cb->VL, inner);
    if (inner) {
        vg = kb_for(kb, cb->G);
        vm = kb_for(kb, cb->nmb);
    }
    conv_blk_edges(kb, cb, vn, vg, vm);
    if (cb->lanes_out) { /* the sums went out through the epilogue */
        kb_endfor_n(kb, 2);
        return;
    }
    if (cb->iplane) { /* each channel's plane requantized, in fixed point or float32 */
        uint16_t vi = kb_for(kb, cb->MR);
        KIndex y0 = blk_y0(cbo, kidx_const(0), vn, vg, vm, cb->MR), t0 = kidx_const(0);
        kidx_add(&y0, vi, cbo->ys[1]);
        kidx_add(&t0, vi, cb->P);
        KIndex ch = kidx_const(0); /* fixed: the channel; float32: its [g][block][MR] */
        kidx_add(&ch, vg, cb->fixed ? cb->Mg : cb->nmb * cb->MR);
        kidx_add(&ch, vm, cb->MR);
        kidx_add(&ch, vi, 1);
        if (cb->fixed)
            quant_fixed_at(kb, cbo->fx, ch);
        blk_int_run(kb, cbo, y0, t0, cb->P, ch);
        kb_endfor(kb);
    } else if (cb->mplane)
        kb_store_out_run(kb, cbo->yb, blk_y0(cbo, kidx_const(0), vn, vg, vm, cb->MR), cb->yt,
                         kidx_const(0), cb->MR * cb->P, (uint8_t)cb->VL);
    else if (kb->nepi)
        epi_in_place(kb, cb, blk_y0(cb, kidx_const(0), vn, vg, vm, cb->MR), cb->MR, cb->P);
    kb_endfor_n(kb, 2);
}

/* The output rows whose every tap reads a row of x (no padding above or below):
 * [*lo, *hi), lo <= hi <= OH. */
static void conv_rows_inside(const ConvBlk *cb, int64_t *lo, int64_t *hi)
{
    int64_t top = cb->H - 1 + cb->pt - (cb->kh - 1) * cb->dh; /* the last oh * sh so */
    *lo = ceil_div(cb->pt, cb->sh);
    *lo = *lo < cb->OH ? *lo : cb->OH;
    *hi = top < 0 ? 0 : top / cb->sh + 1;
    *hi = *hi < cb->OH ? *hi : cb->OH;
    *hi = *hi > *lo ? *hi : *lo;
}

/* The masked schedule for a conv the band's schedule has no room for: stride 1,
 * rows of the input's length, whole channel blocks (the sums are stored in y), a
 * mask table of at most 64 KB (tiles along the rows for larger maps: a model's peak is
 * often a conv over a large map, whose band would not fit the arena, and the scalar
 * schedule is 2-5x slower), and at least half the positions in tiles. */
static int conv_blk_plan_masked(const Target *t, ConvBlk *cb)
{
    if (cb->sh != 1 || cb->sw != 1 || cb->OW != cb->W || cb->ntap < 2 || cb->kw > 256)
        return 0;
    int64_t mr = cb->MR;
    while (mr > 1 && cb->Mg % mr)
        mr--;
    if (2 * mr < cb->MR)
        return 0;
    cb->P = cb->OH * cb->OW;
    /* a mask table of more than 64 KB: tiles along rows and a table of one row's columns
     * (float32 only; the first and last rows, whose first or last tile would read before
     * x's start or past its end when pl or pr, left to the edges) */
    cb->mrows = (uint64_t)(cb->kw * cb->P) * 4 > 65536;
    cb->mstride = cb->mrows ? cb->W : cb->P;
    if (cb->mrows && (cb->xint || cb->yint || cb->lanes_out || cb->mplane ||
                      (uint64_t)(cb->kw * cb->W) * 4 > 65536))
        return 0;
    conv_rows_inside(cb, &cb->rlo, &cb->rhi);
    if (cb->mrows) {
        cb->rlo += cb->pl > 0;
        cb->rhi -= cb->pr > 0;
    }
    if (cb->rhi <= cb->rlo)
        return 0;
    cb->plo = cb->rlo * cb->W + (cb->mrows ? 0 : cb->pl);
    cb->phi = cb->rhi * cb->W - (cb->mrows ? 0 : cb->pr);
    int64_t L = cb->phi - cb->plo;
    if (2 * L < cb->P)
        return 0;
    cb->MR = mr;
    /* the widest tile that fits the registers and the positions, fewest vectors
     * computed twice by the overlapping last tile */
    double best = 1e30;
    int64_t vmax = t->vbytes / 4;
    for (int64_t vl = vmax; vl >= 4 && vl >= vmax / 4; vl /= 2)
        for (int64_t nrv = 1; nrv <= 4 && mr * nrv + nrv + 2 <= t->nvregs; nrv++) {
            int64_t T = nrv * vl, run = cb->mrows ? cb->W : L; /* tiles cover runs */
            if (T > run || (cb->lanes_out && mr * T > 256))    /* lanes_out: MR * T stores */
                continue;
            double per = (double)(mr * nrv > mr + 2 * nrv ? mr * nrv : mr + 2 * nrv);
            double cost = (double)ceil_div(run, T) * per / ((double)run * (double)mr);
            if (cost >= best - 1e-12)
                continue;
            best = cost;
            cb->VL = vl;
            cb->NRV = nrv;
            cb->T = T;
        }
    if (best >= 1e30)
        return 0;
    cb->masked = cb->inplace = cb->direct = 1;
    cb->cstride = cb->H * cb->W;
    for (int64_t a = 0; a < cb->kh; a++)
        for (int64_t b = 0; b < cb->kw; b++) {
            int64_t dc = b * cb->dw - cb->pl;
            cb->tap_off[a * cb->kw + b] = (a * cb->dh - cb->pt) * cb->W + dc;
            cb->tap_b[a * cb->kw + b] = b;
            cb->tap_mask[a * cb->kw + b] = dc != 0;
        }
    return 1;
}

/* The estimated vector operations of one band of the band schedule: its tiles over pc
 * positions (tiles of T, per operations per tile, channel and tap), its copy (plane
 * positions per channel phase, about two operations per vector for the guards), and the
 * weights streamed again from beyond L2 when they do not fit there. */
static double blk_band_ops(const ConvBlk *cb, int64_t pc, int64_t T, double per, int64_t plane,
                           int64_t S, int64_t vl, double wbytes)
{
    return (double)(ceil_div(pc, T) * ceil_div(cb->Mg, cb->MR) * cb->G * cb->Cg * cb->ntap) * per +
           2.0 * (double)(cb->G * cb->Cg * S * plane) / (double)vl +
           (wbytes > WEIGHTS_L2 ? 8.0 * wbytes / 64.0 : 0.0);
}

/* The blocked schedule's geometry for n, when it applies: a target with vectors, -O2,
 * float32 with constant weights and bias read plainly, 1-D or 2-D, enough positions
 * for a vector, and its scratch (bytes, rounded as memplan does) within the node's
 * budget (KBuilder.scratch_budget). */
static int conv_blk_plan(Ctx *ctx, KBuilder *kb, const Node *n, ConvBlk *out)
{
    const ConvAttrs *c = n->attrs;
    const Target *t = ctx->target;
    const Value *x = op_in(kb->g, n, 0), *w = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    if (!t || t->vbytes < 8 || !ctx->opt || ctx->opt->opt != LW_O2 || !kb->scratch_budget)
        return 0;
    /* y stored as integers: a QuantizeLinear fused into the stores */
    int yint = y->dtype != DT_FLOAT32 && n->nepi && dtype_is_int(y->dtype);
    if (x->dtype != DT_FLOAT32 || (y->dtype != DT_FLOAT32 && !yint) ||
        op_acc_dtype(kb->g, n) != DT_FLOAT32 || w->kind != VK_CONST || w->dtype != DT_FLOAT32 ||
        x->shape.rank > 4)
        return 0;
    if (kb->at_load && (kb->at_load[n->in[1]] || (op_has_in(n, 2) && kb->at_load[n->in[2]])))
        return 0;
    /* x computed at each load (a DequantizeLinear of int8): read only by the band's
     * copy into the scratch, which dequantizes it once */
    int xload = kb->at_load && kb->at_load[n->in[0]];
    float xsc = 1;
    int32_t xzp = 0;
    int xint = xload && quant_dq_tensor(kb->g, kb->at_load[n->in[0]], &xsc, &xzp);
    /* bytes of the band per element, and vector operations per vector of it loaded */
    uint64_t eb = xint ? 1 : 4;
    int64_t xc = xint ? 2 : 1;
    if (op_has_in(n, 2) && op_in(kb->g, n, 2)->kind != VK_CONST)
        return 0;
    int64_t taps = 1;
    for (uint32_t i = 0; i < c->w.nk; i++)
        taps *= c->w.kernel[i];
    int64_t P = (int64_t)(shape_count(&y->shape) / (uint64_t)(y->shape.dims[0] * y->shape.dims[1]));
    if (taps > 256 || P < t->vbytes / 8)
        return 0;
    ConvBlk cb;
    memset(&cb, 0, sizeof cb);
    int sp = x->shape.rank - 2;
    /* 1-D as one row */
    int64_t kh = sp == 2 ? c->w.kernel[0] : 1, kw = c->w.kernel[sp - 1];
    int64_t dh = sp == 2 ? c->w.dilations[0] : 1, dw = c->w.dilations[sp - 1];
    cb.sh = sp == 2 ? c->w.strides[0] : 1;
    cb.sw = c->w.strides[sp - 1];
    cb.pt = sp == 2 ? c->w.pads[0] : 0;
    cb.pl = c->w.pads[sp - 1];
    int64_t pr = c->w.pads[sp + sp - 1];
    cb.H = sp == 2 ? x->shape.dims[2] : 1;
    cb.W = x->shape.dims[1 + sp];
    cb.OH = sp == 2 ? y->shape.dims[2] : 1;
    cb.OW = y->shape.dims[1 + sp];
    cb.G = c->group;
    cb.Cg = x->shape.dims[1] / cb.G;
    cb.Mg = w->shape.dims[0] / cb.G;
    cb.MR = cb.Mg < t->f32.mr ? cb.Mg : t->f32.mr;
    cb.ntap = kh * kw;
    cb.kh = kh;
    cb.kw = kw;
    cb.dh = dh;
    cb.dw = dw;
    cb.pr = pr;
    int64_t S = cb.sh * cb.sw;
    cb.yint = yint;
    cb.xload = xload;
    cb.xint = xint;
    cb.xzp = xzp;
    cb.xsc = xsc;
    cb.direct = !xload && cb.ntap == 1 && S == 1 && !cb.pt && !cb.pl && !pr &&
                !(sp == 2 && c->w.pads[2]) && cb.OW == cb.W && cb.OH == cb.H;
    /* a pointwise conv with no room for the tile scratch: a channel block that divides
     * the group's channels, the sums stored in y itself (slower: see below) */
    int64_t mr_inplace = 0;
    if (cb.direct && !yint) {
        int64_t mr = cb.MR;
        while (mr > 1 && cb.Mg % mr)
            mr--;
        if (2 * mr >= cb.MR)
            mr_inplace = mr;
    }
    if (cb.direct) {
        cb.Wq = cb.W; /* x as [C][H*W] */
        cb.cstride = cb.H * cb.W;
    } else {
        cb.Wq = ceil_div(cb.W + cb.pl + pr, cb.sw);
        if (cb.Wq < cb.OW + (kw - 1) * dw / cb.sw)
            cb.Wq = cb.OW + (kw - 1) * dw / cb.sw;
        cb.rhmax = (kh - 1) * dh / cb.sh;
        cb.rwmax = (kw - 1) * dw / cb.sw;
    }
    /* The tile (VL lanes, the target's or half of it for short rows; NRV vectors within
     * the registers) and band (R rows) of least estimated cost: vector FMAs and loads per
     * useful output, times the positions computed per useful one (a tile overhanging a
     * row's end or the band), plus a little per row of band; among those whose scratch
     * (the band's padded input and one tile of sums per channel) fits the budget. */
    uint64_t budget = kb->scratch_budget[n->out[0]];
    double wbytes = (double)shape_count(&w->shape) * 4.0;
    double best = 1e30;
    int64_t vmax = t->vbytes / 4, mr0 = cb.MR;
    /* the int8 dot product x's integers would take, if any (1 VNNI, 2 sdot; see below) */
    DType bdt = DT_UNDEFINED;
    int32_t xoff = 0;
    int isa =
        xint ? quant_dot_bytes(t, op_in(kb->g, kb->at_load[n->in[0]], 0)->dtype, &bdt, &xoff) : 0;
    /* tiles of 8 lanes or more, or NEON's 4 for the int8 dot products (sdot) over the
     * band: a float band of 4 lanes is not planned (the unrolled schedule serves those) */
    int64_t vlmin = vmax == 4 && isa == 2 && cb.G == 1 && !cb.direct ? 4 : 8;
    /* registers a tile holds besides its sums, per vector of positions and in all: the
     * dot product's exact form without VNNI splits each operand in two */
    int emul = isa == 1 && !(t->isa & ISA_AVX512VNNI);
    /* without VNNI the dot product's exact form pays for pointwise convs only (each
     * weight used once per position: the int8 weights' bytes count), not where the
     * channels pad to a multiple of 4 or a tap's x vectors are reused (float FMAs there:
     * fewer operations) */
    if (emul && (cb.G != 1 || cb.Cg % 4 || cb.direct || cb.ntap != 1))
        isa = emul = 0;
    int64_t xregs = emul ? 2 : 1, wregs = emul ? 3 : 1;
    /* x and y integers: the masked schedule into a plane of sums reads x in place (no
     * band to copy, no short rows to pack for the epilogue) */
    if (xint && yint && !cb.direct && cb.G > 1) {
        ConvBlk cm = cb;
        cm.mplane = 1;
        if (conv_blk_plan_masked(t, &cm) &&
            (((uint64_t)(cm.MR * cm.P * 4) + 15) & ~(uint64_t)15) <= budget) {
            cb = cm;
            best = 0;
        }
    }
    /* in place only when the tile scratch does not fit: measured slower (the sums' rows
     * are a whole plane apart, and the epilogue reads them back) */
    for (int ip = 0; ip < 2 && best >= 1e30; ip++) {
    if (ip && !mr_inplace)
        break;
    cb.inplace = ip;
    cb.MR = ip ? mr_inplace : mr0;
    for (int64_t vl = vmax; vl >= vlmin && vl >= vmax / 2; vl /= 2)
        for (int64_t nrv = 1; nrv <= 4 && cb.MR * nrv + xregs * nrv + wregs <= t->nvregs; nrv++) {
            int64_t T = nrv * vl;
            /* vector operations per tile and (channel, tap): the FMAs or the loads */
            double per = (double)(cb.MR * nrv > cb.MR + xc * nrv ? cb.MR * nrv : cb.MR + xc * nrv);
            for (int64_t r = 1; r <= (cb.direct ? 1 : cb.OH) && r <= 64; r++) {
                int64_t pc = cb.direct ? cb.H * cb.W : (r - 1) * cb.Wq + cb.OW;
                int64_t pt = cb.direct ? T : ceil_div(pc, T) * T;
                uint64_t bytes = cb.inplace ? 0 : ((uint64_t)(cb.MR * pt * 4) + 15) & ~(uint64_t)15;
                int64_t plane = 0;
                if (!cb.direct) {
                    plane = ceil_div(pt + cb.rhmax * cb.Wq + cb.rwmax, cb.Wq) * cb.Wq;
                    bytes += ((uint64_t)(cb.G * cb.Cg * S * plane) * eb + 15) & ~(uint64_t)15;
                }
                /* per useful multiply-add over all the bands: the tiles' vector
                 * operations (positions past a row's end included) and the band's copy
                 * (about two vector operations per vector of input, for the guards);
                 * a last shorter band costs its own tiles and copy (a 7x7 map in bands
                 * of 6 rows copies its 11 padded rows twice) and is its own copy of the
                 * code; and each band streams all the weights again, which costs when
                 * they are larger than a core's L2 (resnet18's last convs, 9.4 MB: about
                 * 8 vector operations' time per 64-byte line from L3 or memory, which
                 * favours tall bands there) */
                int64_t nband = cb.direct ? 1 : cb.OH / r, rlast = cb.direct ? 0 : cb.OH % r;
                double ops = (double)nband * blk_band_ops(&cb, pc, T, per, plane, S, vl, wbytes);
                if (rlast) {
                    int64_t pcl = (rlast - 1) * cb.Wq + cb.OW, ptl = ceil_div(pcl, T) * T;
                    int64_t planel = ceil_div(ptl + cb.rhmax * cb.Wq + cb.rwmax, cb.Wq) * cb.Wq;
                    ops += blk_band_ops(&cb, pcl, T, per, planel, S, vl, wbytes);
                }
                double useful =
                    (double)((cb.direct ? pc : cb.OH * cb.OW) * cb.Mg * cb.G * cb.Cg * cb.ntap);
                double cost = ops / useful * (1.0 + 0.002 * (double)r) * (rlast ? 1.02 : 1.0);
                /* a band taller than one row keeps its scratch within a core's L2: it is
                 * written and read back at once (and the bands fuller rows save would
                 * come back as misses) */
                if (bytes > budget || (r > 1 && (double)bytes > WEIGHTS_L2) || cost >= best - 1e-12)
                    continue;
                best = cost;
                cb.VL = vl;
                cb.NRV = nrv;
                cb.T = T;
                cb.R = r;
                cb.Ptmax = pt;
                cb.plane = plane;
            }
        }
    }
    /* the masked schedule rather than a band whose tiles are half the target's vectors
     * (a row's last tile overhangs it, and a band of rows that long would not fit the
     * arena): tcn's dilated 1-D convs over 200 positions got tiles of 8 lanes, 8 sums,
     * at 94 GFLOP/s */
    if (best < 1e30 && cb.VL < vmax && !xload && !yint && !cb.direct) {
        ConvBlk cm = cb;
        cm.MR = mr0;
        cm.inplace = 0;
        cm.R = cm.Ptmax = cm.plane = 0;
        if (conv_blk_plan_masked(t, &cm) && cm.VL == vmax) {
            cb = cm;
            best = 0;
        }
    }
    /* channel vectors against rows of at most 8 positions, or 16 for a kernel of more
     * than one tap (one band of every row), when that costs fewer vector operations per
     * useful multiply-add: a 7x7 map fills 49 of 64 lanes as position vectors, all of
     * them this way; squeezenet1_1's 3x3 convs over 13x13 maps were 6% faster in all
     * (pointwise ones over 12x12 and 14x14 maps measured 1-2% slower: each tap's sums
     * are copied out of [position][channel] once) */
    /* a pointwise conv over at most 16 positions as one row of them: all its sums in the
     * registers at once, so each weight is loaded once (mlperf_mobilenetv1_025's last conv,
     * 256 channels over 3x3, read its 256 KB of weights once a row of 3) */
    ConvBlk rows = cb;
    int flat = cb.direct && cb.OH > 1 && cb.OH * cb.OW <= 16;
    if (flat) {
        cb.W = cb.OW = cb.Wq = cb.OH * cb.OW;
        cb.H = cb.OH = 1;
    }
    if (cb.G == 1 && (cb.OW <= 8 || (cb.OW <= 16 && (cb.ntap > 1 || flat))) && cb.Mg % vmax == 0 &&
        vmax >= 4) {
        int64_t pc = (cb.OH - 1) * cb.Wq + cb.OW;
        /* a pointwise conv reads x where it is: no band */
        int64_t plane = cb.direct ? 0 : ceil_div(pc + cb.rhmax * cb.Wq + cb.rwmax, cb.Wq) * cb.Wq;
        /* so does one with no padding, stride 1 and rows as wide as x's, whose band
         * would be x as it is (its loads stay within x: plane <= H*W) */
        int nocopy = !cb.direct && !cb.pt && !cb.pl && !pr && !(sp == 2 && c->w.pads[2]) &&
                     S == 1 && cb.Wq == cb.W && plane == cb.H * cb.W;
        /* float32 x padded or strided: read where it is too, its edge rows (at most 4)
         * each on its own (ConvBlk.xpeel) */
        int64_t rlo, rhi;
        conv_rows_inside(&cb, &rlo, &rhi);
        int xpeel = !cb.direct && !nocopy && !xload && rlo + (cb.OH - rhi) <= 4;
        int64_t bplane = nocopy || xpeel ? 0 : plane;
        /* the sums, the weight vectors and three more (a broadcast x and the addresses'
         * spare), the sums in at most three quarters of the registers: resnet18_bn's layer3
         * convs (rows of 14, 2 vectors of channels: 28 sums in 32 registers) spilled sums
         * in every step and ran 22% slower than with 1 vector, squeezenet1_1's 3x3 convs
         * over 13x13 (26 sums) 10% slower */
        for (int64_t cn = 3; cn >= 1; cn--) {
            if ((cb.Mg / vmax) % cn || cb.OW * cn + cn + 3 > t->nvregs ||
                4 * cb.OW * cn > 3 * t->nvregs)
                continue;
            uint64_t bytes = (((uint64_t)(cb.OW * cn * vmax * 4) + 15) & ~(uint64_t)15) +
                             (((uint64_t)(cb.Cg * S * bplane) * eb + 15) & ~(uint64_t)15);
            double per = (double)(cb.OW * cn > xc * cb.OW + cn ? cb.OW * cn : xc * cb.OW + cn);
            double ops = (double)(cb.OH * (cb.Mg / (cn * vmax)) * cb.Cg * cb.ntap) * per +
                         2.0 * (double)(cb.Cg * S * bplane) / (double)vmax +
                         (wbytes > WEIGHTS_L2 ? 8.0 * wbytes / 64.0 : 0.0);
            double cost = ops / (double)(cb.OH * cb.OW * cb.Mg * cb.Cg * cb.ntap);
            if (bytes > budget || cost >= best - 1e-12)
                break;
            best = cost;
            cb.chan = 1;
            cb.inplace = 0;
            cb.MR = mr0;
            cb.VL = vmax;
            cb.CN = cn;
            cb.CR = cb.OW;
            cb.R = cb.OH;
            cb.plane = plane;
            cb.nocopy = nocopy;
            cb.xpeel = xpeel;
            cb.rlo = rlo;
            cb.rhi = rhi;
            /* where tap by tap the sums, the weight vectors and a row's broadcasts would
             * not fit in the registers (else tap by tap measured faster: resnet18_bn's
             * rows of 14 and 7 2-3% slower by kernel rows), and not where NEON loads four
             * positions at once (want4 in conv_blk_chan) */
            cb.xrow = cb.kw > 1 && !(vmax == 4 && cb.OW >= 4) && cb.kw * cn <= CHAN_XROW_W &&
                      cb.OW * cn + cb.kw * cn + 2 <= t->nvregs &&
                      cb.OW * cn + cn + chan_shared_x(&cb) > t->nvregs;
            break;
        }
    }
    if (flat && !cb.chan)
        cb = rows;
    if (best >= 1e30) {
        cb.MR = mr0;
        cb.inplace = 0;
        /* integers in and out: the sums go out from the registers, as channel vectors
         * for rows of at most 8 positions (vectors of a whole number of them), else
         * masked */
        int64_t vo = cb.Mg % vmax == 0 ? vmax : cb.Mg % (vmax / 2) == 0 ? vmax / 2 : 0;
        if (xint && yint && cb.G == 1 && cb.OW <= 8 && vo >= 4 && cb.ntap <= 64) {
            for (int64_t cn = 3; cn >= 1; cn--)
                if ((cb.Mg / vo) % cn == 0 && cb.OW * cn + cn + 1 <= t->nvregs &&
                    cb.OW * cn * vo <= 256) {
                    cb.chan = cb.chan_out = cb.inplace = 1;
                    cb.MR = mr0;
                    cb.VL = vo;
                    cb.CN = cn;
                    cb.CR = cb.OW;
                    cb.R = cb.OH;
                    break;
                }
        }
        cb.lanes_out = xint && yint && !cb.chan_out;
        if (!cb.chan_out && (cb.direct || (xload && !cb.lanes_out) || (yint && !cb.lanes_out) ||
                             !conv_blk_plan_masked(t, &cb)))
            return 0;
    }
    cb.nmb = ceil_div(cb.Mg, cb.MR);
    /* int8 dot products over a band of integers (the band schedule's, or the channel
     * vectors' one, always copied then), when its channels padded to a multiple of 4
     * still fit: four multiply-adds a lane per instruction, and no conversions. AVX-512
     * VNNI takes the band as uint8 (int8 x plus 128), AArch64's sdot as int8 (uint8 x
     * less 128); the channel vectors' 4 lanes are NEON's. */
    int vnni = isa == 1, sdot = isa == 2;
    int dot_band = !cb.chan && !cb.masked && !cb.direct && !cb.inplace &&
                   (vnni ? cb.VL == 16 || cb.VL == 8 : sdot && cb.VL == 4);
    int dot_chan = cb.chan && !cb.chan_out && !cb.direct &&
                   (vnni ? cb.VL == 16 || cb.VL == 8 : sdot && cb.VL == 4);
    if (xint && cb.G == 1 && (dot_band || dot_chan) &&
        quant_int_weights(kb->a, w, cb.Mg, cb.Cg * cb.ntap, 0, &cb.wq, &cb.wsc)) {
        uint64_t tile =
            cb.chan ? (uint64_t)(cb.CR * cb.CN * cb.VL * 4) : (uint64_t)(cb.MR * cb.Ptmax * 4);
        uint64_t bytes = ((tile + 15) & ~(uint64_t)15) +
                         (((uint64_t)(ceil_div(cb.Cg, 4) * 4 * S * cb.plane) + 15) & ~(uint64_t)15);
        if (bytes <= budget) {
            cb.dot = 1;
            cb.nocopy = 0;
            cb.bdt = bdt;
            cb.xoff = xoff;
        }
    }
    /* a band of 4 lanes planned for sdot, which did not apply (masked tiles may be of 4) */
    if (!cb.chan && !cb.masked && !cb.dot && cb.VL < 8)
        return 0;
    if (!cb.direct) {
        cb.cstride = S * cb.plane;
        /* tap (a, b) reads phase ((a*dh) % sh, (b*dw) % sw) at row (a*dh) / sh,
         * column (b*dw) / sw past the output position */
        for (int64_t a = 0; a < kh; a++)
            for (int64_t b = 0; b < kw; b++) {
                int64_t ph = ((a * dh) % cb.sh) * cb.sw + (b * dw) % cb.sw;
                cb.tap_off[a * kw + b] = ph * cb.plane + (a * dh / cb.sh) * cb.Wq + b * dw / cb.sw;
            }
    }
    /* one input channel to the channel vectors' dot products: four taps deep instead */
    if (cb.dot && cb.chan && cb.Cg == 1 && kw >= 2) {
        int64_t kq = ceil_div(kw, 4), Wu = (cb.OW - 1) * cb.sw + (kq - 1) * 4 * dw + 1;
        int64_t hr = (cb.OH - 1) * cb.sh + (kh - 1) * dh + 1;
        uint64_t bytes = (((uint64_t)(cb.CR * cb.CN * cb.VL * 4) + 15) & ~(uint64_t)15) +
                         (((uint64_t)(4 * hr * Wu) + 15) & ~(uint64_t)15);
        if (bytes <= budget) {
            cb.kdot = 1;
            cb.kq = kq;
            cb.ntg = kh * kq;
            cb.Wu = Wu;
            for (int64_t a = 0; a < kh; a++)
                for (int64_t j = 0; j < kq; j++)
                    cb.tap_off[a * kq + j] = a * dh * Wu + 4 * j * dw;
        }
    }
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&y->shape, ys);
    cb.xs0 = xs[0];
    cb.ys[0] = ys[0];
    cb.ys[1] = ys[1];
    cb.ys[2] = sp == 2 ? ys[2] : 0;
    cb.ys[3] = 1;
    *out = cb;
    return 1;
}

/* The blocked convolution's schedule, as --emit=kir and the C comment name it */
static const char *conv_blk_schedule(const ConvBlk *cb)
{
    return cb->dot      ? "register-blocked, int8 dot products"
           : cb->chan   ? "register-blocked, channels in vectors"
           : cb->masked ? (cb->mrows ? "register-blocked, masked rows" : "register-blocked, masked")
           : cb->direct ? "register-blocked, pointwise"
                        : "register-blocked, band";
}

static LwStatus conv_lower_blocked(KBuilder *kb, const Node *n, ConvBlk cb)
{
    const Value *w = op_in(kb->g, n, 1);
    /* weights [g][block][c][tap][MR], bias [g][block][MR], zero past Mg */
    int64_t nw = cb.G * cb.nmb * cb.Cg * cb.ntap * cb.MR;
    uint32_t wbuf = 0;
    const float *wsrc = (const float *)(const void *)w->data->bytes;
    if (cb.chan && !cb.dot) { /* [block of CW channels][c][tap][CW] */
        int64_t CW = cb.CN * cb.VL;
        float *wc = kb_weight_new(kb, DT_FLOAT32, (uint64_t)(cb.Mg * cb.Cg * cb.ntap), &cb.wch);
        for (int64_t m = 0; m < cb.Mg; m++)
            for (int64_t ci = 0; ci < cb.Cg; ci++)
                for (int64_t tap = 0; tap < cb.ntap; tap++)
                    wc[((m / CW * cb.Cg + ci) * cb.ntap + tap) * CW + m % CW] =
                        wsrc[(m * cb.Cg + ci) * cb.ntap + tap] * cb.xsc;
        nw = 0;
    }
    if (cb.dot) { /* [block][c / 4][tap][MR][c % 4] int8, zero past Cg and Mg */
        int64_t C4 = ceil_div(cb.Cg, 4), K = cb.Cg * cb.ntap;
        int8_t *w4 = kb_weight_new(
            kb, DT_INT8,
            (uint64_t)(ceil_div(cb.Mg, cb.MR) * cb.MR * C4 * (cb.kdot ? cb.ntg : cb.ntap) * 4),
            &wbuf);
        /* channel vectors: [m / CW][c / 4][tap][CW][c % 4] */
        int64_t R = cb.chan ? cb.CN * cb.VL : cb.MR;
        /* kdot: [m / CW][a * kq + j][CW][t], tap (a, 4j + t) */
        for (int64_t m = 0; m < cb.Mg && cb.kdot; m++)
            for (int64_t tap = 0; tap < cb.ntap; tap++) {
                int64_t a = tap / cb.kw, b = tap % cb.kw;
                w4[((m / R * cb.ntg + a * cb.kq + b / 4) * R + m % R) * 4 + b % 4] =
                    cb.wq[m * K + tap];
            }
        for (int64_t m = 0; m < cb.Mg && !cb.kdot; m++)
            for (int64_t ci = 0; ci < cb.Cg; ci++)
                for (int64_t tap = 0; tap < cb.ntap; tap++)
                    w4[(((m / R * C4 + ci / 4) * cb.ntap + tap) * R + m % R) * 4 + ci % 4] =
                        cb.wq[m * K + ci * cb.ntap + tap];
        nw = 0;
    }
    const float *bias0 =
        op_has_in(n, 2) ? (const float *)(const void *)op_in(kb->g, n, 2)->data->bytes : NULL;
    int32_t *bint = NULL;
    /* the masked schedule into a plane in int32, where the weights are int8 again and the
     * requantization is fixed point (every channel a group's: G * Mg of them) */
    int band = !cb.dot && !cb.chan && !cb.masked && !cb.direct && !cb.inplace;
    if (((cb.mplane && cb.yint) || (band && cb.xint && cb.G > 1)) &&
        quant_int_weights(kb->a, w, cb.G * cb.Mg, cb.Cg * cb.ntap, 0, &cb.wq, &cb.wsc)) {
        int64_t M = cb.G * cb.Mg, K = cb.Cg * cb.ntap;
        QFixed *fx = arena_new(kb->a, QFixed);
        bint = arena_array(kb->a, int32_t, (size_t)M);
        cb.iplane = cb.mplane;
        cb.iband = !cb.mplane;
        cb.fixed = quant_fixed_wanted(kb, 1) &&
                   quant_fixed_plan(kb, n, cb.xsc, cb.wsc, M, K, bias0, &cb.rq, fx, bint);
        cb.fx = fx;
        uint64_t nb = (uint64_t)(cb.G * cb.nmb * cb.MR);
        int32_t *wi = kb_weight_new(kb, DT_INT32, (uint64_t)nw, &cb.wint);
        int32_t *zb = kb_weight_new(kb, DT_INT32, nb, &cb.zci);
        /* else each sum leaves as float(sum) * x_scale * w_scale + bias */
        float *sc = cb.fixed ? NULL : kb_weight_new(kb, DT_FLOAT32, nb, &cb.scb);
        float *bp = cb.fixed ? NULL : kb_weight_new(kb, DT_FLOAT32, nb, &cb.bpk);
        for (int64_t g = 0; g < cb.G; g++)
            for (int64_t m = 0; m < cb.Mg; m++) {
                int64_t bm = (g * cb.nmb + m / cb.MR) * cb.MR + m % cb.MR, gm = g * cb.Mg + m;
                zb[bm] = cb.fixed && bias0 ? bint[gm] : 0;
                if (sc) {
                    sc[bm] = cb.xsc * cb.wsc[gm];
                    bp[bm] = bias0 ? bias0[gm] : 0.0f;
                }
                for (int64_t k = 0; k < K; k++)
                    wi[((bm / cb.MR * cb.Cg + k / cb.ntap) * cb.ntap + k % cb.ntap) * cb.MR +
                       m % cb.MR] = cb.wq[gm * K + k];
            }
        nw = 0;
    }
    float *wp = nw ? kb_weight_new(kb, DT_FLOAT32, (uint64_t)nw, &wbuf) : NULL; /* zeroed: past Mg stays 0 */
    for (int64_t g = 0; g < cb.G && wp; g++)
        for (int64_t m = 0; m < cb.Mg; m++)
            for (int64_t ci = 0; ci < cb.Cg; ci++)
                for (int64_t tap = 0; tap < cb.ntap; tap++) {
                    int64_t blk = g * cb.nmb + m / cb.MR;
                    wp[((blk * cb.Cg + ci) * cb.ntap + tap) * cb.MR + m % cb.MR] =
                        wsrc[((g * cb.Mg + m) * cb.Cg + ci) * cb.ntap + tap] * cb.xsc;
                }
    kb_begin(kb, n, NULL);
    kb_schedule(kb, conv_blk_schedule(&cb));
    cb.xb = kb_in(kb, 0);
    cb.yb = kb_out(kb, 0);
    cb.wpk = wbuf;
    /* the band holds x + xzp: xzp times the weights off the bias (masked and chan_out:
     * off each load) */
    int zfold = cb.xint && cb.xzp && !cb.masked && !cb.chan_out && !cb.dot;
    cb.has_bias = op_has_in(n, 2) || zfold || cb.dot;
    if (cb.dot && cb.yint && quant_fixed_wanted(kb, 1)) { /* one shift for channel vectors */
        QFixed *fx = arena_new(kb->a, QFixed);
        bint = arena_array(kb->a, int32_t, (size_t)cb.Mg);
        cb.fixed = quant_fixed_plan(kb, n, cb.xsc, cb.wsc, cb.Mg, cb.Cg * cb.ntap, bias0, &cb.rq,
                                    fx, bint) &&
                   (!cb.chan || fx->shift >= 0);
        cb.fx = fx;
    }
    if (cb.dot) { /* per channel: the sum's start, scale and bias, zero past Mg */
        int64_t nb = cb.nmb * cb.MR, K = cb.Cg * cb.ntap;
        int32_t *zc = kb_weight_new(kb, DT_INT32, (uint64_t)nb, &cb.zc);
        /* fixed point: no float scale and bias */
        float *sc = cb.fixed ? arena_array(kb->a, float, (size_t)nb)
                             : kb_weight_new(kb, DT_FLOAT32, (uint64_t)nb, &cb.scb);
        float *bp = cb.fixed ? arena_array(kb->a, float, (size_t)nb)
                             : kb_weight_new(kb, DT_FLOAT32, (uint64_t)nb, &cb.bpk);
        const float *bsrc =
            op_has_in(n, 2) ? (const float *)(const void *)op_in(kb->g, n, 2)->data->bytes : NULL;
        quant_dot_tables(cb.wq, cb.wsc, cb.Mg, K, cb.xzp + cb.xoff, cb.xsc, zc, sc);
        for (int64_t m = 0; m < cb.Mg && bsrc; m++)
            bp[m] = bsrc[m];
        for (int64_t m = 0; m < cb.Mg && cb.fixed && bias0; m++)
            zc[m] += bint[m];
    } else if (cb.has_bias && !cb.iplane && !cb.iband) {
        int64_t nb = cb.G * cb.nmb * cb.MR;
        float *bp = kb_weight_new(kb, DT_FLOAT32, (uint64_t)nb, &cb.bpk);
        const float *bsrc =
            op_has_in(n, 2) ? (const float *)(const void *)op_in(kb->g, n, 2)->data->bytes : NULL;
        for (int64_t g = 0; g < cb.G; g++)
            for (int64_t m = 0; m < cb.Mg; m++) {
                /* the band holds x + xzp: take xzp times the packed weights off */
                double b = bsrc ? bsrc[g * cb.Mg + m] : 0.0, zw = 0;
                const float *wm = wsrc + (g * cb.Mg + m) * cb.Cg * cb.ntap;
                for (int64_t k = 0; zfold && k < cb.Cg * cb.ntap; k++)
                    zw += (double)(wm[k] * cb.xsc);
                bp[(g * cb.nmb + m / cb.MR) * cb.MR + m % cb.MR] = (float)(b - cb.xzp * zw);
            }
    }
    if (!cb.inplace || cb.mplane)
        cb.yt = kb_scratch(kb, cb.fixed || cb.iplane || cb.iband ? DT_INT32 : DT_FLOAT32,
                           (uint64_t)(cb.mplane ? cb.MR * cb.P
                                      : cb.chan ? cb.CR * cb.CN * cb.VL
                                                : cb.MR * cb.Ptmax));
    if (cb.iplane) { /* int32 masks: all ones, or zero */
        int32_t *mk = kb_weight_new(kb, DT_INT32, (uint64_t)(cb.kw * cb.P), &cb.mask);
        for (int64_t b = 0; b < cb.kw; b++)
            for (int64_t q = 0; q < cb.P; q++) {
                int64_t iw = q % cb.W + b * cb.dw - cb.pl;
                mk[b * cb.P + q] = iw >= 0 && iw < cb.W ? -1 : 0;
            }
    } else if (cb.masked) {
        float *mk = kb_weight_new(kb, DT_FLOAT32, (uint64_t)(cb.kw * cb.mstride), &cb.mask);
        for (int64_t b = 0; b < cb.kw; b++)
            for (int64_t q = 0; q < cb.mstride; q++) {
                int64_t iw = q % cb.W + b * cb.dw - cb.pl;
                mk[b * cb.mstride + q] = iw >= 0 && iw < cb.W ? 1.0f : 0.0f;
            }
    }
    uint16_t vn = kb_for(kb, op_in(kb->g, n, 0)->shape.dims[0]);
    if (cb.xint) {
        const Node *dq = kb->at_load[n->in[0]];
        cb.xraw = kb_buf(kb, dq->in[0]);
        cb.xdt = op_in(kb->g, dq, 0)->dtype;
    }
    if (cb.chan && cb.xpeel) {
        /* per block of output channels, the rows between the edges as a loop, then the
         * edge rows on their own: the block's weights come from memory once, and from the
         * caches for the other rows (a loop over blocks inside each row group read all the
         * weights once per group: resnet18_bn's layer4 convs, 9.4 MB each, three times).
         * Weights past L2 (from memory): the inside rows first, whose every tap runs while
         * they arrive (resnet18_bn's layer4 13% faster); else the rows in order */
        int inside_first = (double)(cb.Mg * cb.Cg * cb.ntap) * 4.0 > WEIGHTS_L2;
        uint16_t vm = kb_for(kb, cb.Mg / (cb.CN * cb.VL));
        if (inside_first && cb.rhi > cb.rlo)
            conv_blk_chan(kb, &cb, vn, kidx_const(cb.rlo), cb.rhi - cb.rlo, vm);
        for (int64_t r = 0; r < cb.OH; r = r < cb.rlo || r >= cb.rhi ? r + 1 : cb.rhi) {
            int edge = r < cb.rlo || r >= cb.rhi;
            if (edge || !inside_first)
                conv_blk_chan(kb, &cb, vn, kidx_const(r), edge ? 1 : cb.rhi - cb.rlo, vm);
        }
        kb_endfor_n(kb, 2); /* m, n */
        kb_end(kb);
        return LW_OK;
    }
    if (cb.chan && (cb.direct || cb.nocopy || cb.chan_out)) {
        conv_blk_chan(kb, &cb, vn, kidx_const(0), cb.OH, UINT16_MAX);
        kb_endfor(kb);
        kb_end(kb);
        return LW_OK;
    }
    if (cb.masked) {
        conv_blk_masked(kb, &cb, vn);
        kb_endfor(kb);
        kb_end(kb);
        return LW_OK;
    }
    if (cb.direct) {
        conv_blk_direct(kb, &cb, vn);
        kb_endfor(kb);
        kb_end(kb);
        return LW_OK;
    }
    if (cb.kdot)
        cb.pack = kb_scratch(
            kb, cb.bdt, (uint64_t)(4 * cb.Wu * ((cb.OH - 1) * cb.sh + (cb.kh - 1) * cb.dh + 1)));
    else if (cb.dot)
        cb.pack = kb_scratch(kb, cb.bdt, (uint64_t)(ceil_div(cb.Cg, 4) * 4 * cb.cstride));
    else
        cb.pack =
            kb_scratch(kb, cb.xint ? cb.xdt : DT_FLOAT32, (uint64_t)(cb.G * cb.Cg * cb.cstride));
    int64_t nb = cb.OH / cb.R, rt = cb.OH % cb.R;
    if (nb) {
        uint16_t vb = kb_for(kb, nb);
        KIndex oh0 = kidx_const(0);
        kidx_add(&oh0, vb, cb.R);
        conv_blk_band(kb, &cb, vn, oh0, cb.R);
        kb_endfor(kb);
    }
    if (rt)
        conv_blk_band(kb, &cb, vn, kidx_const(nb * cb.R), rt);
    kb_endfor(kb);
    kb_end(kb);
    return LW_OK;
}

/* The depthwise and Winograd schedules' common ground: -O2 on a target with vectors of
 * 16 bytes or more and a scratch budget; x, y, constant weights (and bias) and the sums
 * float32; no input computed at each load. */
static int conv_f32_vec(const Ctx *ctx, const KBuilder *kb, const Node *n)
{
    const Target *t = ctx->target;
    const Value *x = op_in(kb->g, n, 0), *w = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    int has_b = op_has_in(n, 2);
    if (!t || t->vbytes < 16 || !ctx->opt || ctx->opt->opt != LW_O2 || !kb->scratch_budget ||
        x->dtype != DT_FLOAT32 || y->dtype != DT_FLOAT32 || w->dtype != DT_FLOAT32 ||
        w->kind != VK_CONST || op_acc_dtype(kb->g, n) != DT_FLOAT32 ||
        (has_b &&
         (op_in(kb->g, n, 2)->kind != VK_CONST || op_in(kb->g, n, 2)->dtype != DT_FLOAT32)))
        return 0;
    return !kb->at_load ||
           !(kb->at_load[n->in[0]] || kb->at_load[n->in[1]] || (has_b && kb->at_load[n->in[2]]));
}

/* A depthwise conv (one input and one output channel per group) over a small map, in
 * vectors of VL channels instead of positions: rows of 7 or 14 positions fill few of a
 * tile's lanes (a 7x7 map's padded band is 11x11 per channel, its tiles 64 positions
 * wide for 49), channels fill every lane. Per block of VL channels, x's plane is copied
 * transposed into scratch as [padded position][VL] (the padding zeroed once), each
 * output row is summed in registers NR positions at a time (a vector load of the VL
 * channels' input per tap and position, against the tap's VL weights, prepacked as
 * [block][tap][VL]), stored as [position][VL] and copied back transposed into y; the
 * epilogue runs on the sums in registers where it has a vector form, else over the
 * block's VL planes, contiguous in y, as one run after the copy. Applies
 * to float32 at -O2 on a vector target with VL (8 or 16 lanes, or 4) dividing the
 * channels, output rows of at most VL positions at any stride (measured: the transposing
 * copies cost as much as the lanes save on 28x28 maps; a strided conv down to 7x7 went
 * from about 78 to 29 us in mobilenet_v2, 131 to 70 us in efficientnet_b0, once the
 * copies ran the channels innermost), and its scratch within the budget.
 * Returns 0 (nothing emitted) when it does not apply. */
static int conv_lower_dwchan(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const ConvAttrs *c = n->attrs;
    const Target *t = ctx->target;
    const Value *x = op_in(kb->g, n, 0), *w = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    if (!conv_f32_vec(ctx, kb, n) || x->shape.rank != 4)
        return 0;
    int64_t G = c->group, C = x->shape.dims[1];
    if (G < 2 || C != G || w->shape.dims[0] != G || w->shape.dims[1] != 1)
        return 0;
    int64_t H = x->shape.dims[2], W = x->shape.dims[3], OH = y->shape.dims[2],
            OW = y->shape.dims[3];
    int64_t kh = c->w.kernel[0], kw = c->w.kernel[1], sh = c->w.strides[0], sw = c->w.strides[1];
    int64_t dh = c->w.dilations[0], dw = c->w.dilations[1];
    int64_t pt = c->w.pads[0], pl = c->w.pads[1], ntap = kh * kw;
    int64_t VL = t->vbytes / 4 > 16 ? 16 : t->vbytes / 4;
    while (VL > 4 && G % VL)
        VL /= 2;
    if (G % VL || OW > VL || ntap > 64)
        return 0;
    /* the padded plane the taps read (rows and columns past the input's end that a
     * window reaches: zero as the pads) */
    int64_t Hp = (OH - 1) * sh + (kh - 1) * dh + 1, Wp = (OW - 1) * sw + (kw - 1) * dw + 1;
    if (Hp < pt + H)
        Hp = pt + H;
    if (Wp < pl + W)
        Wp = pl + W;
    int64_t P = OH * OW;
    uint64_t bytes = (((uint64_t)(Hp * Wp * VL) * 4 + 15) & ~(uint64_t)15) +
                     (((uint64_t)(P * VL) * 4 + 15) & ~(uint64_t)15);
    int inplace = 0;
    if (bytes > kb->scratch_budget[n->out[0]]) {
        /* y in place of x (KBuf.alias) when x dies here and y is x's size: each block's
         * VL planes of x are copied into scratch before the same bytes of y are stored */
        uint64_t room = kb_out_room(kb, n, kb_buf(kb, n->in[0]), 0);
        inplace = room && bytes - kb->scratch_budget[n->out[0]] <= room;
        if (!inplace)
            return 0;
    }
    /* positions per register tile: the sums, a weight vector and an input vector */
    int64_t NR = OW < t->nvregs - 4 ? OW : t->nvregs - 4;
    if (NR > 14)
        NR = 14;
    kb_begin(kb, n, NULL);
    kb_schedule(kb, inplace ? "depthwise, channels in vectors, y in place of x"
                            : "depthwise, channels in vectors");
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0), bpk = op_has_in(n, 2) ? kb_in(kb, 2) : 0;
    if (inplace)
        kb->prog->bufs.data[yb].alias = xb + 1;
    uint32_t wpk;
    float *wp = kb_weight_new(kb, DT_FLOAT32, (uint64_t)(G * ntap), &wpk);
    const float *wsrc = (const float *)w->data->bytes;
    for (int64_t g = 0; g < G; g++)
        for (int64_t tp = 0; tp < ntap; tp++)
            wp[(g / VL * ntap + tp) * VL + g % VL] = wsrc[g * ntap + tp];
    uint32_t xt = kb_scratch(kb, DT_FLOAT32, (uint64_t)(Hp * Wp * VL));
    uint32_t yt = kb_scratch(kb, DT_FLOAT32, (uint64_t)(P * VL));
    /* the padding, once: the copies below write only the input's positions */
    {
        uint16_t vq = kb_for(kb, Hp * Wp * VL);
        KIndex zi = kidx_const(0);
        kidx_add(&zi, vq, 1);
        kb_store(kb, xt, zi, kb_const_f(kb, DT_FLOAT32, 0));
        kb_endfor(kb);
    }
    uint8_t L = (uint8_t)VL;
    int fuse = conv_epi_on_sums(kb, yb, L);
    uint16_t acc[32], wv;
    tile_locals(kb, DT_FLOAT32, L, acc, NR, &wv, 1);
    int64_t xs0 = C * H * W, ys0 = G * P;
    uint16_t vn = kb_for(kb, x->shape.dims[0]), vb = kb_for(kb, G / VL);
    /* the transposing copies run the VL channels innermost, storing (or loading) a
     * position's VL contiguous values: a 16 x 196 block copied in 0.27 us so, 0.85 us
     * with the positions innermost (stores 16 apart), and back in 0.28 against 1.38 */
    { /* x's VL planes, transposed into the padded scratch */
        uint16_t vh = kb_for(kb, H), vw = kb_for(kb, W), vl = kb_for(kb, VL);
        KIndex src = kidx_const(0), dst = kidx_const((pt * Wp + pl) * VL);
        kidx_add(&src, vn, xs0);
        kidx_add(&src, vb, VL * H * W);
        kidx_add(&src, vl, H * W);
        kidx_add(&src, vh, W);
        kidx_add(&src, vw, 1);
        kidx_add(&dst, vl, 1);
        kidx_add(&dst, vh, Wp * VL);
        kidx_add(&dst, vw, VL);
        kb_store(kb, xt, dst, kb_load(kb, xb, src));
        kb_endfor_n(kb, 3);
    }
    /* each output row in tiles of NR positions (then one of the rest) */
    uint16_t vo = kb_for(kb, OH);
    for (int64_t ow0 = 0; ow0 < OW; ow0 += NR) {
        int64_t nr = OW - ow0 < NR ? OW - ow0 : NR;
        for (int64_t j = 0; j < nr; j++) {
            KExpr *b0 = kb_splat(kb, kb_const_f(kb, DT_FLOAT32, 0), L);
            if (op_has_in(n, 2)) {
                KIndex bi = kidx_const(0);
                kidx_add(&bi, vb, VL);
                b0 = kb_vload(kb, bpk, bi, L);
            }
            kb_set(kb, acc[j], b0);
        }
        for (int64_t a = 0; a < kh; a++)
            for (int64_t b = 0; b < kw; b++) {
                KIndex wi = kidx_const((a * kw + b) * VL);
                kidx_add(&wi, vb, ntap * VL);
                kb_set(kb, wv, kb_vload(kb, wpk, wi, L));
                for (int64_t j = 0; j < nr; j++) {
                    KIndex xi = kidx_const((a * dh * Wp + (ow0 + j) * sw + b * dw) * VL);
                    kidx_add(&xi, vo, sh * Wp * VL);
                    kb_set(kb, acc[j],
                           kb_op3(kb, KOP_FMA, kb_vload(kb, xt, xi, L), kb_var(kb, wv),
                                  kb_var(kb, acc[j])));
                }
            }
        for (int64_t j = 0; j < nr; j++) {
            KIndex yi = kidx_const((ow0 + j) * VL);
            kidx_add(&yi, vo, OW * VL);
            kb_store(kb, yt, yi,
                     fuse ? kb_out_vec_local(kb, kidx_const(0), acc[j]) : kb_var(kb, acc[j]));
        }
    }
    kb_endfor(kb); /* oh */
    {              /* back to y, transposed; then the epilogue over the block's planes */
        uint16_t vp = kb_for(kb, P), vl = kb_for(kb, VL);
        KIndex src = kidx_const(0), dst = kidx_const(0);
        kidx_add(&src, vp, VL);
        kidx_add(&src, vl, 1);
        kidx_add(&dst, vn, ys0);
        kidx_add(&dst, vb, VL * P);
        kidx_add(&dst, vl, P);
        kidx_add(&dst, vp, 1);
        if (kb->nepi)
            kb_store(kb, yb, dst, kb_load(kb, yt, src));
        else
            kb_store_out(kb, yb, dst, kb_load(kb, yt, src));
        kb_endfor_n(kb, 2);
        if (kb->nepi && !fuse) {
            KIndex y0 = kidx_const(0);
            kidx_add(&y0, vn, ys0);
            kidx_add(&y0, vb, VL * P);
            kb_store_out_run(kb, yb, y0, yb, y0, VL * P, L);
        }
    }
    kb_endfor_n(kb, 2); /* b, n */
    kb_end(kb);
    return 1;
}

/* A depthwise conv whose output rows are wider than a vector (rows up to one go in channel
 * vectors: conv_lower_dwchan). Per channel, output rows TR at a time (a group), each row
 * in NV vectors of VL positions (the last one ending at the row's end, over positions the
 * one before it has: the same sums twice), all TR x NV sums in registers; each vector of
 * input a group reads is loaded once, for every row of the group it feeds.
 *
 * Stride 1 reads x where it is: a 3x3 conv's rows in pairs load 6 vectors per output
 * vector (the band schedule loaded 9, after copying x into its band, and copied the sums
 * out of a tile). The columns a tap reads past a row's ends are zeroed by a 0/1 mask (a
 * vector wholly outside is left out); x's first and last rows, whose edge vectors would
 * read before x or past its end, come from a copy of the row with its padding; taps above
 * or below x are left out. A larger stride (cp) copies the input rows each group reads
 * into a small scratch first, padded and split into column phases (the band schedule's
 * layout, for a group's rows of one channel rather than a band of every channel:
 * mobilenet_v2's 112x112 band was 875 KB, and missed the caches).
 *
 * Each sum runs from the bias over the taps in order, as in the other schedules. The
 * fused epilogue is applied to the sums as they are stored (without a vector form, over
 * each channel's plane after it). */
typedef struct DwRows {
    int64_t C, H, W, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, pr, VL, NV, TR;
    int64_t Wq, nq;     /* cp: a phase row's length; the input rows a group copies */
    int64_t col[64];    /* each vector's first column */
    int16_t mk[64][64]; /* stride 1, per tap column and vector: its mask (-1: none; -2: the
                         * vector is wholly outside x's row) */
    uint32_t xb, yb, wb, bb, mask, segt, segb, ph;
    int has_b, fuse, seg, cp, hoist;
    /* cp and plane: the channel's whole padded plane (NQ rows in column phases) is copied
     * before its groups, which read it from their rows on, instead of each group's nq rows
     * just before the group: the group's loads then came right after the copy's stores to
     * the bytes they span (their columns one off the stores' vectors), and waited for
     * them (mobilenetv1_025's 48x48 stride 2 conv: about 6 -> 4 us) */
    int plane;
    int64_t NQ;
    uint16_t vn, vc;
    uint16_t wv[64]; /* hoist: the channel's weights as vectors */
} DwRows;

/* The first element of channel (vn, vc) in a plane of n elements per channel */
static KIndex dwrows_plane(const DwRows *d, int64_t n)
{
    KIndex p = kidx_const(0);
    kidx_add(&p, d->vn, d->C * n);
    kidx_add(&p, d->vc, n);
    return p;
}

/* cp: the input rows r0 * sh - pt + q (q0 <= q < q0 + nq: a group's rows, or rows of the
 * channel's plane) into the scratch as [q][phase][Wq], zero outside x. Per phase, the
 * columns left and right of x are zeroed and those between copied; where every phase
 * copies as many, one loop copies them all, from adjacent columns of x (which the C
 * compiler loads as whole vectors and splits). Rows in a loop (r0c -1) are rows of x
 * only; constant rows (r0c the group's first output row) zero those above or below x: no
 * load is guarded, so the copy vectorizes without the C compiler having to if-convert a
 * guard. Tap column 0 reads phase 0, so a merged copy starts there. */
static void dwrows_copy(KBuilder *kb, const DwRows *d, KIndex r0, int64_t r0c, int64_t q0,
                        int64_t nq)
{
    int64_t lo[4], hi[4], len = -1;
    int merged = 1;
    for (int64_t p = 0; p < d->sw; p++) {
        int64_t seg[3][2];
        phase_segments(d->pl, d->sw, d->W, d->Wq, p, seg);
        lo[p] = seg[1][0];
        hi[p] = seg[1][1];
        if (!phase_read(d->kw, d->dw, d->sw, p))
            continue;
        merged &= len < 0 || hi[p] - lo[p] == len;
        len = hi[p] - lo[p];
    }
    KIndex plane = dwrows_plane(d, d->H * d->W);
    for (int64_t q = q0; q < (r0c < 0 ? q0 + 1 : q0 + nq); q++) {
        KIndex row = kidx_const(-d->pt), dst0 = kidx_const(0);
        kidx_add_index(&row, &r0, d->sh);
        if (r0c < 0) {
            uint16_t vq = kb_for(kb, nq);
            kidx_add(&row, vq, 1);
            kidx_add(&dst0, vq, d->sw * d->Wq);
            row.base += q0;
            dst0.base += q0 * d->sw * d->Wq;
        } else {
            row.base += q;
            dst0.base += q * d->sw * d->Wq;
        }
        int64_t irc = r0c * d->sh - d->pt + q;
        int inx = r0c < 0 || (irc >= 0 && irc < d->H);
        for (int k = 0; k < 3; k++)
            for (int64_t p = 0; p < d->sw; p++) {
                /* segment k: left of x, x's columns, right of x (a row outside x: all of
                 * it zero, as segment 0) */
                int64_t a = !inx || k == 0 ? 0 : k == 1 ? lo[p] : hi[p];
                int64_t e = !inx ? (k ? 0 : d->Wq) : k == 0 ? lo[p] : k == 1 ? hi[p] : d->Wq;
                int mk = inx && k == 1 && merged;
                if (!phase_read(d->kw, d->dw, d->sw, p) || e <= a || (mk && p > 0))
                    continue;
                uint16_t vu = kb_for(kb, e - a);
                for (int64_t pp = p; pp < (mk ? d->sw : p + 1); pp++) {
                    if (!phase_read(d->kw, d->dw, d->sw, pp))
                        continue;
                    KIndex dst = dst0;
                    dst.base += pp * d->Wq + (inx && k == 1 ? lo[pp] : a);
                    kidx_add(&dst, vu, 1);
                    KExpr *v = kb_const_f(kb, DT_FLOAT32, 0);
                    if (inx && k == 1) {
                        KIndex src = plane;
                        src.base += lo[pp] * d->sw + pp - d->pl;
                        kidx_add_index(&src, &row, d->W);
                        kidx_add(&src, vu, d->sw);
                        v = kb_load(kb, d->xb, src);
                    }
                    kb_store(kb, d->ph, dst, v);
                }
                kb_endfor(kb);
            }
        if (r0c < 0)
            kb_endfor(kb);
    }
}

/* Output rows r0 .. r0 + tr - 1 (r0c: r0 when it is a constant, a group on its own; -1 in
 * a loop over groups, which at stride 1 read rows 1 .. H - 2 of x only), vectors
 * [j0, j1) of each. */
static void dwrows_group(KBuilder *kb, const DwRows *d, KIndex r0, int64_t r0c, int64_t tr,
                         int64_t j0, int64_t j1, const uint16_t *acc, uint16_t xv)
{
    uint8_t L = (uint8_t)d->VL;
    int64_t nj = j1 - j0, ntap = d->kh * d->kw;
    KIndex ci = kidx_const(0), plane = dwrows_plane(d, d->H * d->W);
    kidx_add(&ci, d->vc, 1);
    KExpr *b0 = d->has_b ? kb_load(kb, d->bb, ci) : kb_const_f(kb, DT_FLOAT32, 0);
    for (int64_t i = 0; i < tr * nj; i++)
        kb_set(kb, acc[i], kb_splat(kb, b0, L));
    /* input row q of the group's (x's row r0 * sh - pt + q) feeds output row r0 + r
     * through kernel row a where q = r * sh + a * dh */
    for (int64_t q = 0; q <= (tr - 1) * d->sh + (d->kh - 1) * d->dh; q++) {
        int64_t irc = r0c < 0 ? -1 : r0c * d->sh + q - d->pt;
        if (!d->cp && r0c >= 0 && (irc < 0 || irc >= d->H))
            continue; /* above or below x: the padding */
        int used = 0; /* by some row of the group */
        for (int64_t r = 0; r < tr; r++) {
            int64_t u = q - r * d->sh;
            used |= u >= 0 && u % d->dh == 0 && u / d->dh < d->kh;
        }
        for (int64_t b = 0; b < d->kw && used; b++)
            for (int64_t j = j0; j < j1; j++) {
                int16_t m = d->cp ? -1 : d->mk[b][j];
                if (m == -2)
                    continue;
                int64_t off = d->col[j] + b * d->dw - d->pl;
                KExpr *v;
                if (d->cp) {
                    int64_t p = (b * d->dw) % d->sw;
                    KIndex pi = kidx_const((q * d->sw + p) * d->Wq + d->col[j] + b * d->dw / d->sw);
                    if (d->plane)
                        kidx_add_index(&pi, &r0, d->sh * d->sw * d->Wq);
                    v = kb_vload(kb, d->ph, pi, L);
                } else if (m >= 0 && d->seg && (irc == 0 || irc == d->H - 1)) {
                    v = kb_vload(kb, irc == 0 ? d->segt : d->segb, kidx_const(off + d->pl), L);
                } else {
                    KIndex xi = plane;
                    xi.base += (q - d->pt) * d->W + off;
                    kidx_add_index(&xi, &r0, d->W);
                    v = kb_vload(kb, d->xb, xi, L);
                    if (m >= 0)
                        v = kb_op(kb, KOP_MUL, v, kb_vload(kb, d->mask, kidx_const(m * d->VL), L));
                }
                kb_set(kb, xv, v);
                for (int64_t r = 0; r < tr; r++) {
                    int64_t u = q - r * d->sh, a = u / d->dh;
                    if (u < 0 || u % d->dh || a >= d->kh)
                        continue;
                    KIndex wi = kidx_const(a * d->kw + b);
                    kidx_add(&wi, d->vc, ntap);
                    KExpr *wx = d->hoist ? kb_var(kb, d->wv[a * d->kw + b])
                                         : kb_splat(kb, kb_load(kb, d->wb, wi), L);
                    uint16_t s = acc[r * nj + j - j0];
                    kb_set(kb, s, kb_op3(kb, KOP_FMA, kb_var(kb, xv), wx, kb_var(kb, s)));
                }
            }
    }
    KIndex yp = dwrows_plane(d, d->OH * d->OW);
    for (int64_t r = 0; r < tr; r++)
        for (int64_t j = j0; j < j1; j++) {
            KIndex yi = yp;
            yi.base += r * d->OW + d->col[j];
            kidx_add_index(&yi, &r0, d->OW);
            uint16_t s = acc[r * nj + j - j0];
            kb_store(kb, d->yb, yi, d->fuse ? kb_out_vec_local(kb, yi, s) : kb_var(kb, s));
        }
}

/* A group: its copy (cp), then its column blocks (vectors [blk[i], blk[i + 1])) */
static void dwrows_groups(KBuilder *kb, const DwRows *d, KIndex r0, int64_t r0c, int64_t tr,
                          const int64_t *blk, int64_t nblk, const uint16_t *acc, uint16_t xv)
{
    if (d->cp && !d->plane)
        dwrows_copy(kb, d, r0, r0c, 0, d->nq);
    for (int64_t i = 0; i < nblk; i++)
        dwrows_group(kb, d, r0, r0c, tr, blk[i], blk[i + 1], acc, xv);
}

static int conv_lower_dwrows(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const ConvAttrs *c = n->attrs;
    const Target *t = ctx->target;
    const Value *x = op_in(kb->g, n, 0), *w = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    int has_b = op_has_in(n, 2);
    int sp = x->shape.rank - 2;
    if (!conv_f32_vec(ctx, kb, n) || (sp != 1 && sp != 2))
        return 0;
    DwRows d;
    memset(&d, 0, sizeof d);
    int64_t G = c->group;
    d.C = x->shape.dims[1];
    if (G < 2 || d.C != G || w->shape.dims[0] != G || w->shape.dims[1] != 1)
        return 0;
    d.H = sp == 2 ? x->shape.dims[2] : 1;
    d.OH = sp == 2 ? y->shape.dims[2] : 1;
    d.W = x->shape.dims[sp + 1];
    d.OW = y->shape.dims[sp + 1];
    d.kh = sp == 2 ? c->w.kernel[0] : 1;
    d.kw = c->w.kernel[sp - 1];
    d.sh = sp == 2 ? c->w.strides[0] : 1;
    d.sw = c->w.strides[sp - 1];
    d.dh = sp == 2 ? c->w.dilations[0] : 1;
    d.dw = c->w.dilations[sp - 1];
    d.pt = sp == 2 ? c->w.pads[0] : 0;
    d.pl = c->w.pads[sp - 1];
    d.pr = c->w.pads[2 * sp - 1];
    d.VL = t->vbytes / 4 > 16 ? 16 : t->vbytes / 4;
    d.cp = d.sh > 1 || d.sw > 1;
    /* rows wider than a vector; a kernel of at most 64 taps; stride 1 with rows as wide
     * as x's and taps at most a row past its ends, or a stride up to 4 */
    if (d.OW <= d.VL || d.OH < 1 || d.kh * d.kw > 64 || d.kw > 64 || d.sh > 4 || d.sw > 4 ||
        (!d.cp && (d.OW != d.W || d.pl > d.W || d.pr > d.W)))
        return 0;
    d.NV = (d.OW + d.VL - 1) / d.VL;
    if (d.NV > 64)
        return 0;
    for (int64_t j = 0; j < d.NV; j++)
        d.col[j] = j + 1 < d.NV ? j * d.VL : d.OW - d.VL;
    /* rows in pairs */
    d.TR = d.OH >= 2 ? 2 : 1;
    int64_t ntap = d.kh * d.kw, nm = 0;
    uint64_t bytes = 0;
    float *mtab = NULL;
    if (d.cp) {
        d.Wq = d.OW + (d.kw - 1) * d.dw / d.sw;
        d.nq = (d.TR - 1) * d.sh + (d.kh - 1) * d.dh + 1;
        d.NQ = (d.OH - 1) * d.sh + (d.kh - 1) * d.dh + 1;
        bytes = ((uint64_t)(d.NQ * d.sw * d.Wq) * 4 + 15) & ~(uint64_t)15;
        /* the plane where it stays in L1 beside x's rows and y's (and the budget allows) */
        d.plane = bytes <= 16384 && bytes <= kb->scratch_budget[n->out[0]];
        if (!d.plane)
            bytes = ((uint64_t)(d.nq * d.sw * d.Wq) * 4 + 15) & ~(uint64_t)15;
    } else {
        /* the masks: distinct 0/1 vectors, one per partly outside (tap column, vector) */
        mtab = arena_array(kb->a, float, (size_t)(d.kw * d.NV * d.VL));
        for (int64_t b = 0; b < d.kw; b++)
            for (int64_t j = 0; j < d.NV; j++) {
                int64_t off = d.col[j] + b * d.dw - d.pl, in = 0;
                float m[16];
                for (int64_t l = 0; l < d.VL; l++) {
                    m[l] = off + l >= 0 && off + l < d.W ? 1.0f : 0.0f;
                    in += m[l] != 0.0f;
                }
                d.mk[b][j] = in == 0 ? -2 : -1;
                if (in == 0 || in == d.VL)
                    continue;
                int64_t k = 0;
                while (k < nm && memcmp(&mtab[k * d.VL], m, (size_t)d.VL * sizeof *m))
                    k++;
                if (k == nm)
                    memcpy(&mtab[nm++ * d.VL], m, (size_t)d.VL * sizeof *m);
                d.mk[b][j] = (int16_t)k;
            }
        d.seg = nm > 0; /* x's first and last rows from padded copies */
        bytes = d.seg ? 2 * (((uint64_t)(d.pl + d.W + d.pr) * 4 + 15) & ~(uint64_t)15) : 0;
    }
    if (bytes > kb->scratch_budget[n->out[0]])
        return 0;
    /* at most 16 sums (8 with 16 vector registers) in a column block, and fewer where
     * the weights go in registers beside them; the blocks as even as they go */
    int64_t amax = t->nvregs >= 32 ? 16 : 8, cb = amax / d.TR;
    d.hoist = d.TR + ntap + 2 <= t->nvregs;
    if (d.hoist && cb > (t->nvregs - 2 - ntap) / d.TR)
        cb = (t->nvregs - 2 - ntap) / d.TR;
    int64_t nblk = (d.NV + cb - 1) / cb, blk[65];
    blk[0] = 0;
    for (int64_t i = 0; i < nblk; i++)
        blk[i + 1] = blk[i] + d.NV / nblk + (i >= nblk - d.NV % nblk);
    LW_ASSERT(blk[nblk] == d.NV);

    kb_begin(kb, n, NULL);
    kb_schedule(kb, !d.cp     ? "depthwise, rows in vectors"
                    : d.plane ? "depthwise, rows in vectors, the plane in column phases"
                              : "depthwise, rows in vectors, each group's rows in column phases");
    d.xb = kb_in(kb, 0);
    d.yb = kb_out(kb, 0);
    d.wb = kb_in(kb, 1);
    d.has_b = has_b;
    if (has_b)
        d.bb = kb_in(kb, 2);
    if (nm) {
        float *mw = kb_weight_new(kb, DT_FLOAT32, (uint64_t)(nm * d.VL), &d.mask);
        memcpy(mw, mtab, (size_t)(nm * d.VL) * sizeof *mw);
    }
    uint8_t L = (uint8_t)d.VL;
    d.fuse = kb->nepi && kb_out_vec_ok(kb, kidx_const(0), L);
    int64_t Wp = d.pl + d.W + d.pr;
    if (d.cp)
        d.ph = kb_scratch(kb, DT_FLOAT32, (uint64_t)((d.plane ? d.NQ : d.nq) * d.sw * d.Wq));
    if (d.seg) { /* the copies' padding, once */
        d.segt = kb_scratch(kb, DT_FLOAT32, (uint64_t)Wp);
        d.segb = kb_scratch(kb, DT_FLOAT32, (uint64_t)Wp);
        for (int k = 0; k < 2; k++) {
            uint16_t vq = kb_for(kb, Wp);
            KIndex zi = kidx_const(0);
            kidx_add(&zi, vq, 1);
            kb_store(kb, k ? d.segb : d.segt, zi, kb_const_f(kb, DT_FLOAT32, 0));
            kb_endfor(kb);
        }
    }
    uint16_t acc[64], xv;
    int64_t bmax = 0;
    for (int64_t i = 0; i < nblk; i++)
        bmax = blk[i + 1] - blk[i] > bmax ? blk[i + 1] - blk[i] : bmax;
    tile_locals(kb, DT_FLOAT32, L, acc, d.TR * bmax, &xv, 1);
    for (int64_t k = 0; d.hoist && k < ntap; k++)
        d.wv[k] = kb_local(kb, (KType){DT_FLOAT32, L});
    d.vn = kb_for(kb, x->shape.dims[0]);
    d.vc = kb_for(kb, d.C);
    for (int64_t k = 0; d.hoist && k < ntap; k++) {
        KIndex wi = kidx_const(k);
        kidx_add(&wi, d.vc, ntap);
        kb_set(kb, d.wv[k], kb_splat(kb, kb_load(kb, d.wb, wi), L));
    }
    for (int k = 0; k < 2 && d.seg; k++) { /* x's first and last rows, padded */
        uint16_t vq = kb_for(kb, d.W);
        KIndex si = dwrows_plane(&d, d.H * d.W), di = kidx_const(d.pl);
        si.base += k ? (d.H - 1) * d.W : 0;
        kidx_add(&si, vq, 1);
        kidx_add(&di, vq, 1);
        kb_store(kb, k ? d.segb : d.segt, di, kb_load(kb, d.xb, si));
        kb_endfor(kb);
    }
    if (d.plane) { /* rows above x (zero), x's rows, rows below x (zero) */
        int64_t top = d.pt < d.NQ ? d.pt : d.NQ, nin = d.NQ - top < d.H ? d.NQ - top : d.H;
        dwrows_copy(kb, &d, kidx_const(0), 0, 0, top);
        if (nin > 0)
            dwrows_copy(kb, &d, kidx_const(0), -1, top, nin);
        dwrows_copy(kb, &d, kidx_const(0), 0, top + nin, d.NQ - top - nin);
    }
    /* groups of TR rows: as a loop those whose taps read only rows 1 .. H - 2 of x (0 ..
     * H - 1 without the row copies; cp: whose copy reads rows of x only), the others
     * each on its own */
    int64_t ng = (d.OH + d.TR - 1) / d.TR, glo = ng, ghi = ng, lo = d.seg ? 1 : 0;
    for (int64_t g = 0; g < ng; g++) {
        int64_t r0 = g * d.TR, tr = d.OH - r0 < d.TR ? d.OH - r0 : d.TR;
        int inside =
            tr == d.TR &&
            (d.plane ? 1
             : d.cp  ? r0 * d.sh - d.pt >= 0 && r0 * d.sh - d.pt + d.nq <= d.H
                     : r0 - d.pt >= lo && r0 + tr - 1 + (d.kh - 1) * d.dh - d.pt <= d.H - 1 - lo);
        if (inside && glo == ng)
            glo = g;
        if (inside)
            ghi = g + 1;
    }
    for (int64_t g = 0; g < ng;) {
        int64_t r0 = g * d.TR, tr = d.OH - r0 < d.TR ? d.OH - r0 : d.TR;
        if (g == glo && ghi > glo) {
            uint16_t vg = kb_for(kb, ghi - glo);
            KIndex ri = kidx_const(r0);
            kidx_add(&ri, vg, d.TR);
            dwrows_groups(kb, &d, ri, -1, d.TR, blk, nblk, acc, xv);
            kb_endfor(kb);
            g = ghi;
            continue;
        }
        dwrows_groups(kb, &d, kidx_const(r0), r0, tr, blk, nblk, acc, xv);
        g++;
    }
    if (kb->nepi && !d.fuse) { /* the epilogue over the channel's plane */
        KIndex p0 = dwrows_plane(&d, d.OH * d.OW);
        kb_store_out_run(kb, d.yb, p0, d.yb, p0, d.OH * d.OW, L);
    }
    kb_endfor_n(kb, 2); /* c, n */
    kb_end(kb);
    return 1;
}

/* Winograd F(2x2, 3x3) for a float32 3x3 conv of stride 1, dilation 1 and one group
 * (conv_lower_wino): each 2x2 tile of y is A^T [(G g G^T) . (B^T d B)] A of the 4x4
 * patch d of x under it, 16 products per input channel where the direct sums take 36.
 * A block of R rows of tiles at a time (T = R * TW tiles, TW = ceil(OW / 2); Tp: T to
 * whole vectors, the tiles past T zero):
 *   - the input transform V [16][C][Tp]: per tile row and CB channels at a time, B^T
 *     down the 4 rows of x under the row into four rows split in column phases (ph
 *     [CB][4][2][Wq], zero where the columns are outside x), then across the tiles
 *     (adjacent phase columns), in vectors of HL tiles;
 *   - per block of MR output channels, 16 products V[e] by the weights' transforms U[e]
 *     (made at compile time as [e][block][c][MR]: 16/9 of the weights' bytes, which
 *     replace them) in register tiles of MR channels by up to NVB vectors of tiles into
 *     Ms [16][MR][Tp]; then per channel and tile row the output transform and the bias
 *     into O [4][TW] (in vectors of tiles), O's 2x2 of each tile to its place in y, and
 *     the epilogue over the block's rows in place.
 * The sums differ from the direct ones by the transforms' rounding (a few ulp of the
 * products' magnitude: resnet18_bn's outputs are as close to onnxruntime's as the direct
 * ones). Only at -O2, with vectors, where the scratch fits the node's budget, the tiles
 * fill a vector and the rows have at least WINO_MIN_TW tiles (on 8x8 maps the transforms
 * cost more than the products save). */
typedef struct Wino {
    int64_t C, M, H, W, OH, OW, pt, pl, TH, TW, Wq, R, MR, NVB, L;
    int64_t HL; /* the transforms' lanes: tiles of a row at a time */
    int has_b;
    uint32_t xb, yb, ub, bb, v, ms, ph, o;
    /* yr (y in place of a residual the epilogue adds): a block's output rows of a channel,
     * [2 R][OW], stored through the epilogue into y as one run (reading the residual's
     * elements before y's take their place); 0: straight into y */
    uint32_t yr;
    /* fuse: the epilogue runs on the output transform's vectors, in el, before they are
     * scattered into y (conv_epi_on_sums); else over a block's rows of y after them */
    int fuse;
    uint16_t el;
    int64_t CB; /* the input transform's channels at a time */
    KIndex ci;  /* its channel */
    uint16_t vn, vc, vi;
} Wino;

/* The elements from one e of V (Ms) to the next, for blocks of Tp tiles: a vector more
 * than the plane, so that the 16 planes' rows do not fall in the same L1 set (their
 * stores 4 KB apart would also seem to alias the loads between them) */
static int64_t wino_vplane(const Wino *w, int64_t Tp)
{
    return w->C * Tp + w->L;
}

static int64_t wino_msplane(const Wino *w, int64_t Tp)
{
    return w->MR * Tp + w->L;
}

static const int8_t wino_bt[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};

/* sum of coef[a] * v[a] over the terms present (v[a] NULL: absent), 0 when none */
static KExpr *wino_comb(KBuilder *kb, const int8_t *coef, KExpr *const *v, int n)
{
    KExpr *e = NULL;
    int first = -1; /* a term added first, so that none is negated but a lone one */
    for (int a = 0; a < n && first < 0; a++)
        if (coef[a] > 0 && v[a])
            first = a;
    if (first >= 0)
        e = v[first];
    for (int a = 0; a < n; a++) {
        if (!coef[a] || !v[a] || a == first)
            continue;
        if (!e)
            e = kb_op(kb, KOP_NEG, v[a], NULL);
        else
            e = kb_op(kb, coef[a] > 0 ? KOP_ADD : KOP_SUB, e, v[a]);
    }
    return e ? e : kb_const_f(kb, DT_FLOAT32, 0);
}

/* Across the tiles from tx0 (HL of them, as vectors): V[i * 4 + j][c][toff + tx] =
 * sum_b bt[j][b] d_i[b], d_i = ph[i][0][tx], ph[i][1][tx], ph[i][0][tx + 1],
 * ph[i][1][tx + 1]. */
static void wino_in_across(KBuilder *kb, const Wino *w, KIndex tx0, KIndex toff, int64_t T,
                           const uint16_t *al, uint16_t bl)
{
    (void)bl;
    uint8_t hl = (uint8_t)w->HL;
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 4; b++) {
            KIndex pi = tx0;
            pi.base += (i * 2 + b % 2) * w->Wq + b / 2;
            kidx_add(&pi, w->vc, 8 * w->Wq);
            kb_set(kb, al[i * 4 + b],
                   hl > 1 ? kb_vload(kb, w->ph, pi, hl) : kb_load(kb, w->ph, pi));
        }
    for (int i = 0; i < 4; i++) {
        KExpr *d[4];
        for (int b = 0; b < 4; b++)
            d[b] = kb_var(kb, al[i * 4 + b]);
        for (int j = 0; j < 4; j++) {
            KIndex vi = toff;
            vi.base += (int64_t)(i * 4 + j) * wino_vplane(w, T);
            kidx_add_index(&vi, &w->ci, T);
            kidx_add_index(&vi, &tx0, 1);
            kb_store(kb, w->v, vi, wino_comb(kb, wino_bt[j], d, 4));
        }
    }
}

typedef void (*WinoAcross)(KBuilder *kb, const Wino *w, KIndex tx0, KIndex toff, int64_t T,
                           const uint16_t *al, uint16_t bl);

/* fn over a row's TW tiles in vectors of HL: the whole vectors in a loop, then one ending
 * at the row's end (over tiles of the one before it, done again to the same values) */
static void wino_row_vectors(KBuilder *kb, const Wino *w, WinoAcross fn, KIndex toff, int64_t T,
                             const uint16_t *al, uint16_t bl)
{
    int64_t nfull = w->TW / w->HL;
    if (nfull) {
        KIndex tx0 = kidx_const(0);
        kidx_add(&tx0, kb_for(kb, nfull), w->HL);
        fn(kb, w, tx0, toff, T, al, bl);
        kb_endfor(kb);
    }
    if (w->TW % w->HL)
        fn(kb, w, kidx_const(w->TW - w->HL), toff, T, al, bl);
}

/* The input transform of tile row ty (tyc: its value when a constant, else -1: every
 * row it reads is inside x) for channel vc, into V's columns from toff (T a row). */
static void wino_in_row(KBuilder *kb, Wino *w, KIndex ty, int64_t tyc, KIndex toff, int64_t T,
                        const uint16_t *xl, const uint16_t *al)
{
    int64_t lo[2], hi[2];
    for (int p = 0; p < 2; p++) {
        int64_t seg[3][2];
        phase_segments(w->pl, 2, w->W, w->Wq, p, seg);
        lo[p] = seg[1][0];
        hi[p] = seg[1][1];
    }
    int merged = hi[0] - lo[0] == hi[1] - lo[1];
    /* channels CB at a time: all CB down, then all CB across (a vector load right after
     * the stores it spans would wait for them; CB channels' rows stay in L1) */
    uint16_t vcc = kb_for(kb, w->C / w->CB);
    w->vc = kb_for(kb, w->CB);
    w->ci = kidx_const(0);
    kidx_add(&w->ci, vcc, w->CB);
    kidx_add(&w->ci, w->vc, 1);
    KIndex plane = kidx_const(0), ph0 = kidx_const(0);
    kidx_add(&plane, w->vn, w->C * w->H * w->W);
    kidx_add_index(&plane, &w->ci, w->H * w->W);
    kidx_add(&ph0, w->vc, 8 * w->Wq);
    /* down the rows: ph[i][p][k] = sum_a bt[i][a] x[2ty - pt + a][2k + p - pl] */
    for (int p = 0; p < 2; p++) {
        if (hi[p] <= lo[p] || (merged && p))
            continue;
        uint16_t vk = kb_for(kb, hi[p] - lo[p]);
        for (int pp = p; pp < (merged ? 2 : p + 1); pp++) {
            KExpr *xv[4];
            for (int a = 0; a < 4; a++) {
                int64_t r = tyc < 0 ? 0 : 2 * tyc - w->pt + a;
                xv[a] = NULL;
                if (tyc >= 0 && (r < 0 || r >= w->H))
                    continue;
                KIndex xi = plane;
                xi.base += (a - w->pt) * w->W + 2 * lo[pp] + pp - w->pl;
                kidx_add_index(&xi, &ty, 2 * w->W);
                kidx_add(&xi, vk, 2);
                kb_set(kb, xl[a], kb_load(kb, w->xb, xi));
                xv[a] = kb_var(kb, xl[a]);
            }
            for (int i = 0; i < 4; i++) {
                KIndex pi = ph0;
                pi.base += (i * 2 + pp) * w->Wq + lo[pp];
                kidx_add(&pi, vk, 1);
                kb_store(kb, w->ph, pi, wino_comb(kb, wino_bt[i], xv, 4));
            }
        }
        kb_endfor(kb);
    }
    kb_endfor(kb); /* c */
    /* across, in vectors of tiles */
    w->vc = kb_for(kb, w->CB);
    w->ci = kidx_const(0);
    kidx_add(&w->ci, vcc, w->CB);
    kidx_add(&w->ci, w->vc, 1);
    wino_row_vectors(kb, w, wino_in_across, toff, T, al, 0);
    kb_endfor_n(kb, 2); /* c, channel blocks */
}

/* The products of output channel block mb (mr channels, mb0 its first U element in a
 * plane e) into Ms: for each e, register tiles of mr channels by up to NVB vectors of
 * the Tp tiles (T of them, then zeros to a whole vector). */
static void wino_gemm(KBuilder *kb, const Wino *w, KIndex mb0, int64_t mr, int64_t Tp,
                      uint16_t *acc, uint16_t *xv)
{
    uint8_t L = (uint8_t)w->L;
    int64_t nv = Tp / w->L, nb = ceil_div(nv, w->NVB);
    uint16_t ve = kb_for(kb, 16);
    for (int64_t b = 0, j0 = 0; b < nb; b++) {
        int64_t j1 = j0 + nv / nb + (b >= nb - nv % nb), n = j1 - j0;
        for (int64_t i = 0; i < mr * n; i++)
            kb_set(kb, acc[i], kb_splat(kb, kb_const_f(kb, DT_FLOAT32, 0), L));
        uint16_t vc = kb_for(kb, w->C);
        for (int64_t j = 0; j < n; j++) {
            KIndex vi = kidx_const((j0 + j) * w->L);
            kidx_add(&vi, ve, wino_vplane(w, Tp));
            kidx_add(&vi, vc, Tp);
            kb_set(kb, xv[j], kb_vload(kb, w->v, vi, L));
        }
        for (int64_t i = 0; i < mr; i++) {
            KIndex ui = mb0;
            ui.base += i;
            kidx_add(&ui, ve, w->M * w->C);
            kidx_add(&ui, vc, mr);
            kb_fma_row(kb, &acc[i * n], kb_load(kb, w->ub, ui), xv, n);
        }
        kb_endfor(kb); /* c */
        for (int64_t i = 0; i < mr; i++)
            for (int64_t j = 0; j < n; j++) {
                KIndex mi = kidx_const(i * Tp + (j0 + j) * w->L);
                kidx_add(&mi, ve, wino_msplane(w, Tp));
                kb_store(kb, w->ms, mi, kb_var(kb, acc[i * n + j]));
            }
        j0 = j1;
    }
    kb_endfor(kb); /* e */
}

/* The output transform of HL tiles from tx0 for channel co (Ms row vi) from Ms's
 * columns toff, plus the bias, into O [4][TW] (y's 2x2 of each tile, by tile). */
static void wino_out_across(KBuilder *kb, const Wino *w, KIndex tx0, KIndex toff, int64_t T,
                            const uint16_t *al, uint16_t bl)
{
    static const int8_t at[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
    uint8_t hl = (uint8_t)w->HL;
    for (int e = 0; e < 16; e++) {
        KIndex mi = toff;
        mi.base += e * wino_msplane(w, T);
        kidx_add(&mi, w->vi, T);
        kidx_add_index(&mi, &tx0, 1);
        kb_set(kb, al[e], hl > 1 ? kb_vload(kb, w->ms, mi, hl) : kb_load(kb, w->ms, mi));
    }
    for (int a = 0; a < 2; a++) {
        KExpr *s[4]; /* (A^T M)[a][j] */
        for (int j = 0; j < 4; j++) {
            KExpr *m[4];
            for (int i = 0; i < 4; i++)
                m[i] = kb_var(kb, al[i * 4 + j]);
            s[j] = wino_comb(kb, at[a], m, 4);
        }
        for (int b = 0; b < 2; b++) {
            KExpr *r = wino_comb(kb, at[b], s, 4);
            if (w->has_b)
                r = kb_op(kb, KOP_ADD, r,
                          hl > 1 ? kb_splat(kb, kb_var(kb, bl), hl) : kb_var(kb, bl));
            if (w->fuse) {
                kb_set(kb, w->el, r);
                r = kb_out_vec_local(kb, kidx_const(0), w->el);
            }
            KIndex oi = tx0;
            oi.base += (a * 2 + b) * w->TW;
            kb_store(kb, w->o, oi, r);
        }
    }
}

/* The output transform of a tile row (nra of its two output rows inside y): through O,
 * then O's 2x2 of each tile to their places in dst (y, or yr) from yp, its first row. */
static void wino_out_row(KBuilder *kb, const Wino *w, uint32_t dst, KIndex yp, int64_t nra,
                         KIndex toff, int64_t T, const uint16_t *al, uint16_t bl)
{
    wino_row_vectors(kb, w, wino_out_across, toff, T, al, bl);
    int64_t half = w->OW / 2;
    for (int a = 0; a < nra; a++) {
        if (half) {
            uint16_t vt = kb_for(kb, half);
            for (int b = 0; b < 2; b++) {
                KIndex yi = yp, oi = kidx_const((a * 2 + b) * w->TW);
                yi.base += a * w->OW + b;
                kidx_add(&yi, vt, 2);
                kidx_add(&oi, vt, 1);
                kb_store(kb, dst, yi, kb_load(kb, w->o, oi));
            }
            kb_endfor(kb);
        }
        if (w->OW % 2) { /* the last tile's first column only */
            KIndex yi = yp;
            yi.base += a * w->OW + 2 * half;
            kb_store(kb, dst, yi, kb_load(kb, w->o, kidx_const(a * 2 * w->TW + half)));
        }
    }
}

/* V's columns [T, Tp) of every (e, c) zero: the tiles past T of a block's last vector */
static void wino_zero_pad(KBuilder *kb, const Wino *w, int64_t T, int64_t Tp)
{
    if (Tp == T)
        return;
    uint16_t ve = kb_for(kb, 16), vr = kb_for(kb, w->C), vq = kb_for(kb, Tp - T);
    KIndex zi = kidx_const(T);
    kidx_add(&zi, ve, wino_vplane(w, Tp));
    kidx_add(&zi, vr, Tp);
    kidx_add(&zi, vq, 1);
    kb_store(kb, w->v, zi, kb_const_f(kb, DT_FLOAT32, 0));
    kb_endfor_n(kb, 3);
}

/* The block of tr tile rows from ty0 (ty0c: its value when a constant, else -1: an
 * interior block in the loop over blocks); its first skip rows are the block before's,
 * not output again (a last block of R rows ending at the last row). */
static void wino_block(KBuilder *kb, Wino *w, KIndex ty0, int64_t ty0c, int64_t tr, int64_t skip,
                       uint16_t *acc, uint16_t *xv, const uint16_t *xl, const uint16_t *al,
                       uint16_t bl)
{
    int64_t T = tr * w->TW, Tp = ceil_div(T, w->L) * w->L;
    /* rows [r0, r1) of the block (a constant block: the rows whose input rows are all
     * inside x) as a loop, the others each on its own */
    int64_t r0 = 0, r1 = tr;
    if (ty0c >= 0) {
        while (r0 < tr && 2 * (ty0c + r0) - w->pt < 0)
            r0++;
        r1 = r0;
        while (r1 < tr && 2 * (ty0c + r1) - w->pt + 3 <= w->H - 1)
            r1++;
    }
    for (int64_t r = 0; r < tr; r++) {
        if (r == r0 && r1 > r0) {
            uint16_t vr = kb_for(kb, r1 - r0);
            KIndex ty = ty0, toff = kidx_const(r0 * w->TW);
            ty.base += r0;
            kidx_add(&ty, vr, 1);
            kidx_add(&toff, vr, w->TW);
            wino_in_row(kb, w, ty, -1, toff, Tp, xl, al);
            kb_endfor(kb);
            r = r1 - 1;
            continue;
        }
        wino_in_row(kb, w, kidx_const(ty0c + r), ty0c + r, kidx_const(r * w->TW), Tp, xl, al);
    }
    int64_t nfull = w->M / w->MR, mt = w->M % w->MR;
    for (int part = 0; part < 2; part++) {
        int64_t mr = part ? mt : w->MR;
        if (!(part ? mt : nfull))
            continue;
        KIndex mb0 = kidx_const(nfull * w->MR * w->C), co0 = kidx_const(nfull * w->MR);
        if (!part) {
            uint16_t vm = kb_for(kb, nfull);
            mb0 = co0 = kidx_const(0);
            kidx_add(&mb0, vm, w->MR * w->C);
            kidx_add(&co0, vm, w->MR);
        }
        wino_gemm(kb, w, mb0, mr, Tp, acc, xv);
        w->vi = kb_for(kb, mr);
        KIndex co = co0;
        kidx_add(&co, w->vi, 1);
        if (w->has_b)
            kb_set(kb, bl, kb_load(kb, w->bb, co));
        /* the rows from skip with both output rows inside y as a loop, then a last one
         * with one (OH odd) */
        int64_t full = ty0c < 0 ? tr : (w->OH - 2 * (ty0c + skip)) / 2;
        full = full > tr - skip ? tr - skip : full;
        int64_t nrows = 2 * full;
        /* the block's first output row in y (from skip), and where its rows go */
        KIndex y0 = kidx_const(0);
        kidx_add(&y0, w->vn, w->M * w->OH * w->OW);
        kidx_add_index(&y0, &co, w->OH * w->OW);
        kidx_add_index(&y0, &ty0, 2 * w->OW);
        y0.base += 2 * skip * w->OW;
        uint32_t dst = w->yr ? w->yr : w->yb;
        KIndex d0 = w->yr ? kidx_const(0) : y0;
        if (full > 0) {
            uint16_t vr = kb_for(kb, full);
            KIndex yp = d0, toff = kidx_const(skip * w->TW);
            kidx_add(&yp, vr, 2 * w->OW);
            kidx_add(&toff, vr, w->TW);
            wino_out_row(kb, w, dst, yp, 2, toff, Tp, al, bl);
            kb_endfor(kb);
        }
        if (skip + full < tr) {
            LW_ASSERT(ty0c >= 0 && skip + full == tr - 1 && w->OH - 2 * (ty0c + tr - 1) == 1);
            KIndex yp = d0;
            yp.base += 2 * full * w->OW;
            wino_out_row(kb, w, dst, yp, 1, kidx_const((tr - 1) * w->TW), Tp, al, bl);
            nrows += 1;
        }
        /* the epilogue over the block's rows of the channel: in place, or from yr */
        if (kb->nepi && !w->fuse)
            kb_store_out_run(kb, w->yb, y0, dst, d0, nrows * w->OW, (uint8_t)w->L);
        kb_endfor(kb); /* i */
        if (!part)
            kb_endfor(kb); /* mb */
    }
}

/* The scratch bytes of blocks of r tile rows (yr: with the rows through the epilogue) */
static uint64_t wino_need(const Wino *w, int64_t r, int yr)
{
    int64_t tp = ceil_div(r * w->TW, w->L) * w->L;
    uint64_t vb = (uint64_t)(16 * (w->C * tp + w->L)) * 4;
    return ((vb + 15) & ~(uint64_t)15) +
           (((uint64_t)(16 * (16 * tp + w->L)) * 4 + 15) & ~(uint64_t)15) +
           (((uint64_t)(8 * w->CB * w->Wq) * 4 + 15) & ~(uint64_t)15) +
           (((uint64_t)(4 * w->TW) * 4 + 15) & ~(uint64_t)15) +
           (yr ? ((uint64_t)(2 * r * w->OW) * 4 + 15) & ~(uint64_t)15 : 0);
}

/* 1 + the buffer of a value the fused epilogue of n adds (or otherwise reads at y's
 * index: the size of y) that y can take the place of (kb_out_room, its bytes in *room):
 * not an input of n, dead after n but for the epilogue; or 0. Each element of it is read
 * just before y's element is stored in its place: an epilogue that loads from a buffer
 * has no vector form (kb_out_vec), so kb_store_out_run takes it element by element, with
 * no vectors overlapping. */
static uint32_t conv_epi_inplace(KBuilder *kb, const Node *n, uint64_t *room)
{
    const Graph *g = kb->g;
    for (uint16_t e = 0; e < n->nepi; e++) {
        const Node *r = graph_node(g, n->epi[e]);
        for (uint16_t i = 0; i < r->nin; i++) {
            ValueId v = r->in[i];
            if (!v || !kb->val_buf[v] || (kb->at_load && kb->at_load[v]))
                continue;
            uint32_t b = kb->val_buf[v] - 1;
            int input = 0;
            for (uint16_t j = 0; j < n->nin; j++)
                input |= n->in[j] && kb->val_buf[n->in[j]] == b + 1;
            if (!input && !kb->prog->bufs.data[b].alias && (*room = kb_out_room(kb, n, b, 1)) != 0)
                return b + 1;
        }
    }
    return 0;
}

#define WINO_MIN_CH 8
#define WINO_MIN_TW 5
#define WINO_V_BYTES (768u << 10) /* V's bytes, to stay in L2 across the channel blocks */

static int conv_lower_wino(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const ConvAttrs *c = n->attrs;
    const Target *t = ctx->target;
    const Value *x = op_in(kb->g, n, 0), *wt = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    int has_b = op_has_in(n, 2);
    if (!conv_f32_vec(ctx, kb, n) || c->group != 1 || x->shape.rank != 4)
        return 0;
    if (c->w.kernel[0] != 3 || c->w.kernel[1] != 3 || c->w.strides[0] != 1 ||
        c->w.strides[1] != 1 || c->w.dilations[0] != 1 || c->w.dilations[1] != 1)
        return 0;
    Wino w;
    memset(&w, 0, sizeof w);
    w.C = x->shape.dims[1];
    w.M = y->shape.dims[1];
    w.H = x->shape.dims[2];
    w.W = x->shape.dims[3];
    w.OH = y->shape.dims[2];
    w.OW = y->shape.dims[3];
    w.pt = c->w.pads[0];
    w.pl = c->w.pads[1];
    w.L = t->vbytes / 4 > 16 ? 16 : t->vbytes / 4;
    w.TH = (w.OH + 1) / 2;
    w.TW = (w.OW + 1) / 2;
    w.Wq = w.TW + 1;
    /* enough channels that 16 products a tile pay for the transforms; a vector of tiles */
    if (w.C < WINO_MIN_CH || w.M < WINO_MIN_CH || w.TW < WINO_MIN_TW || w.TH * w.TW < w.L)
        return 0;
    /* the transforms' vectors: the widest of 16, 8 and 4 lanes a row of tiles fills */
    w.HL = 1;
    for (int64_t l = w.L; l >= 4 && w.HL == 1; l /= 2)
        if (w.TW >= l)
            w.HL = l;
    /* CB: the largest divisor of C up to 16 */
    for (int64_t cb = 16; cb >= 1 && !w.CB; cb--)
        if (w.C % cb == 0)
            w.CB = cb;
    /* the rows of tiles a block, R: the fewest products past the tiles (a last vector
     * of a block filled with zeros; a last block of fewer rows than a vector's tiles
     * takes R rows, over rows of the one before), the scratch within the budget and V
     * within WINO_V_BYTES but at the fewest rows a vector takes; of as many, the most */
    uint64_t budget = kb->scratch_budget[n->out[0]];
    int64_t rmin = ceil_div(w.L, w.TW), bestw = INT64_MAX;
    /* y in place of a residual the epilogue adds, where that buffer dies here and the
     * scratch does not fit the budget without its bytes (mlperf_resnet8's 32x32 convs) */
    uint32_t rin = 0;
    uint64_t room = 0;
    if (wino_need(&w, rmin, 0) > budget && (rin = conv_epi_inplace(kb, n, &room)) != 0) {
        budget += room;
        if (wino_need(&w, rmin, 1) > budget)
            return 0;
    }
    for (int64_t r = rmin; r <= w.TH; r++) {
        int64_t tp = ceil_div(r * w.TW, w.L) * w.L, tail = w.TH % r;
        int64_t lanes = w.TH / r * tp + (!tail                ? 0
                                         : tail * w.TW >= w.L ? ceil_div(tail * w.TW, w.L) * w.L
                                                              : tp);
        uint64_t vb = (uint64_t)(16 * (w.C * tp + w.L)) * 4;
        if (wino_need(&w, r, rin != 0) > budget || (r > rmin && vb > WINO_V_BYTES))
            break;
        if (lanes <= bestw) {
            bestw = lanes;
            w.R = r;
        }
    }
    if (!w.R)
        return 0;
    { /* the register tile: MR channels by NVB vectors, the most products per load */
        int64_t nv = ceil_div(w.R * w.TW, w.L), best = 0;
        for (int64_t nvb = 1; nvb <= 4 && nvb <= nv; nvb++) {
            if (ceil_div(nv, ceil_div(nv, nvb)) != nvb)
                continue; /* the blocks as even as they go would be narrower */
            int64_t mr = (t->nvregs - nvb - 1) / nvb;
            mr = mr > 16 ? 16 : mr;
            mr = mr > w.M ? w.M : mr;
            int64_t score = mr < 1 ? 0 : 1000 * mr * nvb / (mr + nvb);
            if (score > best) {
                best = score;
                w.MR = mr;
                w.NVB = nvb;
            }
        }
        if (!w.MR)
            return 0;
    }

    kb_begin(kb, n, NULL);
    kb_schedule(kb,
                rin ? "Winograd F(2x2, 3x3), y in place of the residual" : "Winograd F(2x2, 3x3)");
    w.xb = kb_in(kb, 0);
    w.yb = kb_out(kb, 0);
    if (rin) {
        kb->prog->bufs.data[w.yb].alias = rin;
        w.yr = kb_scratch(kb, DT_FLOAT32, (uint64_t)(2 * w.R * w.OW));
    }
    w.has_b = has_b;
    if (has_b)
        w.bb = kb_in(kb, 2);
    { /* U[e] = G g G^T per (m, c), as [e][block][c][MR] (the last block's MR: M % MR) */
        static const double G[4][3] = {{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}};
        const float *g = (const float *)wt->data->bytes;
        float *u = kb_weight_new(kb, DT_FLOAT32, (uint64_t)(16 * w.M * w.C), &w.ub);
        int64_t nfull = w.M / w.MR * w.MR;
        for (int64_t m = 0; m < w.M; m++)
            for (int64_t ci = 0; ci < w.C; ci++) {
                const float *k = g + (m * w.C + ci) * 9;
                int64_t mr = m < nfull ? w.MR : w.M - nfull,
                        blk0 = m < nfull ? m / w.MR * w.MR : nfull;
                for (int a = 0; a < 4; a++)
                    for (int b = 0; b < 4; b++) {
                        double s = 0;
                        for (int p = 0; p < 3; p++)
                            for (int q = 0; q < 3; q++)
                                s += G[a][p] * (double)k[p * 3 + q] * G[b][q];
                        u[(a * 4 + b) * w.M * w.C + blk0 * w.C + ci * mr + (m - blk0)] = (float)s;
                    }
            }
    }
    int64_t Tp = ceil_div(w.R * w.TW, w.L) * w.L, tail = w.TH % w.R;
    w.v = kb_scratch(kb, DT_FLOAT32, (uint64_t)(16 * wino_vplane(&w, Tp)));
    w.ms = kb_scratch(kb, DT_FLOAT32, (uint64_t)(16 * wino_msplane(&w, Tp)));
    w.ph = kb_scratch(kb, DT_FLOAT32, (uint64_t)(8 * w.CB * w.Wq));
    w.o = kb_scratch(kb, DT_FLOAT32, (uint64_t)(4 * w.TW));
    { /* the phase rows' columns outside x stay zero */
        uint16_t vq = kb_for(kb, 8 * w.CB * w.Wq);
        KIndex zi = kidx_const(0);
        kidx_add(&zi, vq, 1);
        kb_store(kb, w.ph, zi, kb_const_f(kb, DT_FLOAT32, 0));
        kb_endfor(kb);
    }
    uint8_t L = (uint8_t)w.L;
    uint16_t acc[64], xv[4], xl[4], al[16], bl = 0;
    tile_locals(kb, DT_FLOAT32, L, acc, w.MR * w.NVB, xv, w.NVB);
    for (int i = 0; i < 4; i++)
        xl[i] = kb_local(kb, (KType){DT_FLOAT32, 1});
    for (int i = 0; i < 16; i++)
        al[i] = kb_local(kb, (KType){DT_FLOAT32, (uint8_t)w.HL});
    if (has_b)
        bl = kb_local(kb, (KType){DT_FLOAT32, 1});
    w.fuse = !w.yr && w.HL > 1 && conv_epi_on_sums(kb, w.yb, (uint8_t)w.HL);
    if (w.fuse)
        w.el = kb_local(kb, (KType){DT_FLOAT32, (uint8_t)w.HL});
    w.vn = kb_for(kb, x->shape.dims[0]);
    /* blocks of R tile rows, then the rows left (R rows ending at the last row where they
     * are fewer than a vector's tiles, over rows of the block before, not output again):
     * the blocks that read rows of x only as one loop, the others each on its own */
    int64_t ng = w.TH / w.R, glo = ng, ghi = ng;
    for (int64_t g = 0; g < ng; g++) {
        int64_t t0 = g * w.R;
        int inside = 2 * t0 - w.pt >= 0 && 2 * (t0 + w.R - 1) - w.pt + 3 <= w.H - 1;
        if (inside && glo == ng)
            glo = g;
        if (inside)
            ghi = g + 1;
    }
    wino_zero_pad(kb, &w, w.R * w.TW, Tp);
    for (int64_t g = 0; g < ng;) {
        int64_t t0 = g * w.R;
        if (g == glo && ghi > glo) {
            uint16_t vg = kb_for(kb, ghi - glo);
            KIndex ty0 = kidx_const(t0);
            kidx_add(&ty0, vg, w.R);
            wino_block(kb, &w, ty0, -1, w.R, 0, acc, xv, xl, al, bl);
            kb_endfor(kb);
            g = ghi;
            continue;
        }
        wino_block(kb, &w, kidx_const(t0), t0, w.R, 0, acc, xv, xl, al, bl);
        g++;
    }
    if (tail * w.TW >= w.L) {
        wino_zero_pad(kb, &w, tail * w.TW, ceil_div(tail * w.TW, w.L) * w.L);
        wino_block(kb, &w, kidx_const(ng * w.R), ng * w.R, tail, 0, acc, xv, xl, al, bl);
    } else if (tail) {
        wino_block(kb, &w, kidx_const(w.TH - w.R), w.TH - w.R, w.R, w.R - tail, acc, xv, xl, al,
                   bl);
    }
    kb_endfor(kb); /* n */
    kb_end(kb);
    return 1;
}

static LwStatus conv_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const ConvAttrs *c = n->attrs;
    int64_t kcount = 1;
    for (uint32_t i = 0; i < c->w.nk; i++)
        kcount *= c->w.kernel[i];
    ConvBlk cb;
    if (c->group == 1 && gemm_lower_conv_point(ctx, kb, n))
        return LW_OK;
    if (c->group > 1 && (conv_lower_dwrows(ctx, kb, n) || conv_lower_dwchan(ctx, kb, n)))
        return LW_OK;
    if (conv_lower_wino(ctx, kb, n))
        return LW_OK;
    if (conv_blk_plan(ctx, kb, n, &cb))
        return conv_lower_blocked(kb, n, cb);
    if (conv_lower_pairs(ctx, kb, n, &c->w, c->group))
        return LW_OK;
    /* -Os: one guarded loop nest (smallest code) instead of a guard-free nest per tap;
     * with integer activations (KBuilder.lean), that nest also where the unrolled one's
     * scratch is not within the budget */
    if (kcount <= 64 && !(ctx->opt && ctx->opt->opt == LW_OS)) {
        uint64_t need = conv_unrolled_scratch(kb, n, kcount);
        if (!need || !kb->lean ||
            (kb->lean == KB_LEAN_FIT && need <= kb->scratch_budget[n->out[0]]))
            return conv_lower_unrolled(kb, n);
    }
    return conv_lower_guarded(kb, n);
}

static int conv_matrix(const Graph *g, const Node *n, uint64_t *out, uint64_t *in, int *tr)
{
    const ConvAttrs *c = n->attrs;
    const Value *w = op_in(g, n, 1);
    if (c->group != 1 || w->kind != VK_CONST || w->dtype != DT_FLOAT32)
        return 0;
    *out = (uint64_t)w->shape.dims[0];
    *in = shape_count(&w->shape) / *out;
    *tr = 0;
    return 1;
}

static int conv_same_window(const Node *a, const Node *b)
{
    const ConvAttrs *x = a->attrs, *y = b->attrs;
    if (x->group != y->group || x->w.nk != y->w.nk)
        return 0;
    for (uint32_t i = 0; i < x->w.nk; i++)
        if (x->w.kernel[i] != y->w.kernel[i] || x->w.strides[i] != y->w.strides[i] ||
            x->w.dilations[i] != y->w.dilations[i] || x->w.pads[i] != y->w.pads[i] ||
            x->w.pads[i + x->w.nk] != y->w.pads[i + y->w.nk])
            return 0;
    return 1;
}

static int conv_pointwise(const Node *n)
{
    const ConvAttrs *c = n->attrs;
    if (c->group != 1)
        return 0;
    for (uint32_t i = 0; i < c->w.nk; i++)
        if (c->w.kernel[i] != 1 || c->w.strides[i] != 1 || c->w.pads[i] || c->w.pads[i + c->w.nk])
            return 0;
    return 1;
}

/* Column (c, taps...) reads x[n, c, o*s + k*d] of the input padded by the pads. */
static int conv_geometry(Arena *a, const Graph *g, const Node *n, LinGeom *geo)
{
    const ConvAttrs *c = n->attrs;
    const Value *x = op_in(g, n, 0), *w = op_in(g, n, 1), *y = op_out(g, n, 0);
    int sp = x->shape.rank - 2;
    if (c->group != 1)
        return 0;
    memset(geo, 0, sizeof *geo);
    geo->rank = x->shape.rank;
    Shape xp = x->shape;
    for (int i = 0; i < sp; i++) {
        geo->pad_lo[2 + i] = c->w.pads[i];
        geo->pad_hi[2 + i] = c->w.pads[sp + i];
        xp.dims[2 + i] += c->w.pads[i] + c->w.pads[sp + i];
    }
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&xp, xs);
    shape_strides(&y->shape, ys);
    geo->npos = (uint8_t)(1 + sp);
    geo->pos_extent[0] = x->shape.dims[0];
    geo->pos_x[0] = xs[0];
    geo->pos_y[0] = ys[0];
    for (int i = 0; i < sp; i++) {
        geo->pos_extent[1 + i] = y->shape.dims[2 + i];
        geo->pos_x[1 + i] = c->w.strides[i] * xs[2 + i];
        geo->pos_y[1 + i] = ys[2 + i];
    }
    geo->y_chan = ys[1];
    uint64_t in = shape_count(&w->shape) / (uint64_t)w->shape.dims[0];
    geo->col = arena_array(a, int64_t, in);
    for (uint64_t k = 0; k < in; k++) {
        uint64_t rem = k;
        int64_t off = 0;
        for (int i = sp - 1; i >= 0; i--) {
            off += (int64_t)(rem % (uint64_t)c->w.kernel[i]) * c->w.dilations[i] * xs[2 + i];
            rem /= (uint64_t)c->w.kernel[i];
        }
        geo->col[k] = off + (int64_t)rem * xs[1];
    }
    return 1;
}

static int conv_window(const Graph *g, const Node *n, Window *w, uint64_t *macs)
{
    const ConvAttrs *c = n->attrs;
    const Value *wt = op_in(g, n, 1);
    if (n->nout != 1)
        return 0;
    *w = c->w;
    /* per output element: one tap per input channel of its group and kernel cell */
    *macs = shape_count(&wt->shape) / (uint64_t)wt->shape.dims[0];
    return 1;
}

static const void *conv_with_pads(Arena *a, const Node *n, const int64_t *pads)
{
    ConvAttrs *c = arena_new(a, ConvAttrs);
    *c = *(const ConvAttrs *)n->attrs;
    window_set_pads(&c->w, pads);
    return c;
}

static int conv_pads_read_as(const Node *n, float *v)
{
    (void)n;
    *v = 0.0f;
    return 1;
}

static const OpWindow conv_window_def = {conv_window, conv_with_pads, conv_pads_read_as};

static const OpLinear conv_linear = {1, 2, 0, conv_matrix, conv_same_window, conv_pointwise,
                                     NULL, conv_geometry};

/* ---- a 3-D Conv as a 2-D one (OpDef.expand, pass expand) -----------------------------
 * Output depth plane od of a Conv over [N, C, D, H, W] sums the 2-D convs of input planes
 * od*sd + kd*dd - pd by the kernel's planes kd: one 2-D Conv over a batch of N*OD with
 * C*KD channels, channel c*KD + kd being channel c's plane kd (the weight's bytes, [M][C/G]
 * [KD][KH][KW], are that conv's [M][C/G*KD][KH][KW] as they are), which the blocked
 * schedules run (the 3-D form is one element at a time). x is padded in depth (Pad), its
 * planes gathered ([N, C, OD, KD, H, W]) and moved to [N, OD, C, KD, H, W] (Transpose); y
 * comes back from [N, OD, M, OH, OW] (Transpose). The gathered input takes KD / sd times
 * x's memory. For float32, constant weights and bias; at -O2 on targets with vectors, not
 * for --emit=onnx. */
static LwStatus conv_expand(Ctx *ctx, NodeId id, int *done)
{
    Graph *g = ctx->g;
    const Node *n = graph_node(g, id);
    const ConvAttrs *c = n->attrs;
    *done = 0;
    if (!op_expand_linear_ok(ctx, n))
        return LW_OK;
    const Value *x = op_in(g, n, 0), *w = op_in(g, n, 1), *y = op_out(g, n, 0);
    if (x->shape.rank != 5)
        return LW_OK;
    int64_t N = x->shape.dims[0], C = x->shape.dims[1], H = x->shape.dims[3], W = x->shape.dims[4];
    int64_t M = w->shape.dims[0], Cg = w->shape.dims[1], KD = c->w.kernel[0];
    int64_t OD = y->shape.dims[2], OH = y->shape.dims[3], OW = y->shape.dims[4];
    int64_t sd = c->w.strides[0], dd = c->w.dilations[0], pd0 = c->w.pads[0], pd1 = c->w.pads[3];
    uint64_t gathered = 0;
    if (!ckd_mul_u64(&gathered, shape_count(&x->shape) / (uint64_t)x->shape.dims[2],
                     (uint64_t)(OD * KD)) ||
        gathered > ((uint64_t)1 << 31))
        return LW_OK;
    const char *base = n->loc.name && *n->loc.name ? n->loc.name : "conv";
    ValueId xv = n->in[0], bv = op_has_in(n, 2) ? n->in[2] : 0, yv = n->out[0];
    Shape ws = w->shape;
    ws.rank = 4;
    ws.dims[1] = Cg * KD;
    ws.dims[2] = c->w.kernel[1];
    ws.dims[3] = c->w.kernel[2];
    ValueId wv = op_expand_const(ctx, base, "weight_2d", DT_FLOAT32, &ws, w->data->bytes);
    AttrList none = {NULL, 0};
    Attr at[5];
    NodeId id1;
    if (pd0 || pd1) {
        int64_t pads[10] = {0, 0, pd0, 0, 0, 0, 0, pd1, 0, 0}, ten = 10;
        Shape ps = shape_make(1, &ten);
        ValueId pin[2] = {xv, op_expand_const(ctx, base, "depth_pads", DT_INT64, &ps, pads)};
        TRY(op_expand_node(ctx, base, "depth_padded", "Pad", 13, pin, 2, &none, &id1));
        xv = graph_node(g, id1)->out[0];
    }
    int64_t *idx = arena_array(ctx->perm, int64_t, (size_t)(OD * KD)), idd[2] = {OD, KD};
    for (int64_t o = 0; o < OD; o++)
        for (int64_t k = 0; k < KD; k++)
            idx[o * KD + k] = o * sd + k * dd;
    Shape is = shape_make(2, idd);
    ValueId gin[2] = {xv, op_expand_const(ctx, base, "depth_taps", DT_INT64, &is, idx)};
    int64_t two = 2;
    static const char *const axis_name[1] = {"axis"}, *const perm_name[1] = {"perm"};
    const int64_t *axis_val[1] = {&two};
    uint32_t scalar[1] = {0}, six[1] = {6}, five[1] = {5};
    AttrList al = op_attr_list(at, axis_name, axis_val, scalar, 1);
    TRY(op_expand_node(ctx, base, "depth_planes", "Gather", 13, gin, 2, &al, &id1));
    static const int64_t perm6[6] = {0, 2, 1, 3, 4, 5}, perm5[5] = {0, 2, 1, 3, 4};
    const int64_t *p6[1] = {perm6}, *p5[1] = {perm5};
    al = op_attr_list(at, perm_name, p6, six, 1);
    ValueId tin = graph_node(g, id1)->out[0];
    TRY(op_expand_node(ctx, base, "planes_by_depth", "Transpose", 13, &tin, 1, &al, &id1));
    int64_t xd[4] = {N * OD, C * KD, H, W}, four = 4, yd[5] = {N, OD, M, OH, OW}, fv = 5;
    Shape s4 = shape_make(1, &four), s5 = shape_make(1, &fv);
    ValueId rin[2] = {graph_node(g, id1)->out[0],
                      op_expand_const(ctx, base, "x_2d_shape", DT_INT64, &s4, xd)};
    TRY(op_expand_node(ctx, base, "x_2d", "Reshape", 13, rin, 2, &none, &id1));
    static const char *const conv_names[5] = {"kernel_shape", "strides", "dilations", "pads",
                                              "group"};
    int64_t pads2[4] = {c->w.pads[1], c->w.pads[2], c->w.pads[4], c->w.pads[5]};
    const int64_t *cvals[5] = {&c->w.kernel[1], &c->w.strides[1], &c->w.dilations[1], pads2,
                               &c->group};
    uint32_t ccounts[5] = {2, 2, 2, 4, 0};
    al = op_attr_list(at, conv_names, cvals, ccounts, 5);
    ValueId cin[3] = {graph_node(g, id1)->out[0], wv, bv};
    TRY(op_expand_node(ctx, base, "conv_2d", "Conv", 13, cin, bv ? 3 : 2, &al, &id1));
    ValueId yin[2] = {graph_node(g, id1)->out[0],
                      op_expand_const(ctx, base, "y_planes_shape", DT_INT64, &s5, yd)};
    TRY(op_expand_node(ctx, base, "y_planes", "Reshape", 13, yin, 2, &none, &id1));
    al = op_attr_list(at, perm_name, p5, five, 1);
    ValueId ti = graph_node(g, id1)->out[0];
    TRY(op_expand_node(ctx, base, "y_3d", "Transpose", 13, &ti, 1, &al, &id1));
    graph_erase_node(g, id);
    graph_take_output(g, id1, yv);
    *done = 1;
    return LW_OK;
}

const OpDef ops_conv[] = {
    {"",
     "Conv",
     1,
     LW_OPSET_MAX,
     2,
     3,
     1,
     1,
     FC_OUT_FUSABLE,
     OPF_LOADS_PLAIN,
     conv_import,
     conv_infer,
     conv_lower,
     NULL,
     NULL,
     &conv_linear,
     NULL,
     NULL,
     NULL,
     &conv_window_def,
     conv_expand},
};
const uint32_t ops_conv_count = LW_COUNT(ops_conv);
