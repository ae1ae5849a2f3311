/* Integer convolution for scalar targets (Cortex-M, portable C): the quantized
 * activations (a DequantizeLinear of int8/uint8 x with one scale and zero point) and
 * int8 weights summed exactly in int32, two products at a time (KE_DOT2: one smlad on
 * Armv7E-M, whose DSP extension multiplies two int16 pairs and adds both products in one
 * instruction).
 *
 * Per image, group and band of output rows (as many as the node's scratch budget
 * allows), the rows of x the band reads, less the zero point, are copied as int16 into
 * a scratch plane laid out so that each pair of the reduction is two adjacent elements:
 *   - kernels at least 2 wide (column pairs): [c][row][Wp], padded with zeros, where
 *     taps (a, 2j) and (a, 2j + 1) of an output position are adjacent columns at any
 *     stride (a last odd tap pairs with a zero weight);
 *   - 1x1 kernels (channel pairs): [c / 2][position][2], the positions the strides
 *     read, channels past the group's zero.
 * Per output channel its weights, int8 in flash as the model has them, are widened into
 * an int16 row in the same pair order (zeros where a pair has no second tap or channel);
 * then every output row in runs of PB positions, PB sums in registers.
 *
 * Each sum leaves through the requantization in fixed point (quant_requant_fixed) when
 * the fused epilogue is exactly [Relu] QuantizeLinear and the bias is the int32 one a
 * quantized model carries: (sum + bias) * mult >> shift, mult and shift giving exactly
 * the float32 scale x_scale * w_scale / y_scale (onnxruntime's QLinearConv's). Otherwise
 * float(sum) * x_scale * w_scale + bias goes through the epilogue as any conv's. */
#include <math.h>
#include <string.h>

#include "include/lwcc/lwcc.h"
#include "ir/kir_build.h"
#include "ops/spatial.h"
#include "target/target.h"

#define PB 4 /* output positions a step */

typedef struct Pairs {
    int64_t N, G, Cg, Mg, H, W, OH, OW, kh, kw, kw2, sh, sw, dh, pt, pl;
    int64_t R;      /* output rows a band */
    int64_t Wp, CS; /* column pairs: the plane's row length; its stride between channels
                     * (column pairs: rows of a band times Wp; channel pairs: R * OW * 2) */
    int64_t C2, Kp; /* channel pairs: ceil(Cg / 2); int16 weights per output channel */
    int cpair;      /* channel pairs (1x1 kernels), else column pairs */
    int32_t xzp;
    DType xdt;
    int64_t xs0, ys0, ys1;
} Pairs;

typedef struct PairsOut {
    int fixed;       /* requantized in fixed point */
    QRequant rq;     /* its parameters */
    uint32_t bi;     /* fixed: int32 bias table */
    QFixed fx;       /* fixed: the multipliers and shifts */
    uint32_t sc, bf; /* else: float scale and bias tables */
    int has_bias;
    uint32_t plane, wrow, wpk, xraw; /* the scratch, the int8 weights, x's integers */
    uint16_t tmp;                    /* fixed: int64 local of quant_requant_fixed */
    int32_t wzp;
    uint16_t vn, vg, vm, acc[PB];
} PairsOut;

static int64_t cdiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

/* Plane rows a band of r output rows reads (column pairs). */
static int64_t band_rows(const Pairs *q, int64_t r)
{
    return (r - 1) * q->sh + (q->kh - 1) * q->dh + 1;
}

/* output channel g * Mg + m */
static KIndex chan(const Pairs *q, const PairsOut *o)
{
    KIndex ch = kidx_const(0);
    kidx_add(&ch, o->vg, q->Mg);
    kidx_add(&ch, o->vm, 1);
    return ch;
}

/* The sums of n output positions from column ow0 of a row whose column 0 reads the
 * plane from xrow (PB locals, or one), the reduction in loops; then each stored. */
static void run(KBuilder *kb, const Pairs *q, const PairsOut *o, KIndex xrow, KIndex yrow,
                KIndex ow0, int64_t n)
{
    const uint16_t *acc = o->acc;
    for (int64_t j = 0; j < n; j++)
        kb_set(kb, acc[j], kb_const_i(kb, DT_INT32, 0));
    uint16_t vc = kb_for(kb, q->cpair ? q->C2 : q->Cg);
    uint16_t va = q->cpair ? 0 : kb_for(kb, q->kh);
    uint16_t vj = q->cpair ? 0 : kb_for(kb, q->kw2);
    KIndex wi = kidx_const(0), xi = xrow;
    kidx_add(&xi, vc, q->CS);
    if (q->cpair) {
        kidx_add(&wi, vc, 2);
        kidx_add_index(&xi, &ow0, 2);
    } else {
        kidx_add(&wi, vc, q->kh * q->kw2 * 2);
        kidx_add(&wi, va, q->kw2 * 2);
        kidx_add(&wi, vj, 2);
        kidx_add(&xi, va, q->dh * q->Wp);
        kidx_add(&xi, vj, 2);
        kidx_add_index(&xi, &ow0, q->sw);
    }
    for (int64_t j = 0; j < n; j++) {
        KIndex x = xi;
        x.base += j * (q->cpair ? 2 : q->sw);
        kb_set(kb, acc[j], kb_dot2(kb, kb_var(kb, acc[j]), o->plane, x, o->wrow, wi));
    }
    kb_endfor_n(kb, q->cpair ? 1 : 3);

    uint32_t yb = kb_out(kb, 0);
    KIndex ch = chan(q, o);
    for (int64_t j = 0; j < n; j++) {
        KIndex yi = yrow;
        kidx_add(&yi, o->vn, q->ys0);
        kidx_add_index(&yi, &ch, q->ys1);
        kidx_add_index(&yi, &ow0, 1);
        yi.base += j;
        KExpr *s = kb_var(kb, acc[j]);
        if (o->fixed) {
            if (o->has_bias)
                s = kb_op(kb, KOP_ADD, s, kb_load(kb, o->bi, ch));
            kb_store(
                kb, yb, yi,
                quant_requant_fixed(kb, &o->fx, s, o->tmp, o->rq.zp, o->rq.lo, o->rq.hi, o->rq.dt));
        } else {
            KExpr *v = kb_op(kb, KOP_MUL, kb_cast(kb, DT_FLOAT32, s), kb_load(kb, o->sc, ch));
            if (o->has_bias)
                v = kb_op(kb, KOP_ADD, v, kb_load(kb, o->bf, ch));
            kb_store_out(kb, yb, yi, v);
        }
    }
}

/* One row of width positions: runs of PB, then the rest one at a time. */
static void row(KBuilder *kb, const Pairs *q, const PairsOut *o, KIndex xrow, KIndex yrow,
                int64_t width)
{
    int64_t nb = width / PB, rt = width % PB;
    if (nb) {
        uint16_t vb = kb_for(kb, nb);
        KIndex ow0 = kidx_const(0);
        kidx_add(&ow0, vb, PB);
        run(kb, q, o, xrow, yrow, ow0, PB);
        kb_endfor(kb);
    }
    if (rt) {
        uint16_t vr = kb_for(kb, rt);
        KIndex ow0 = kidx_const(nb * PB);
        kidx_add(&ow0, vr, 1);
        run(kb, q, o, xrow, yrow, ow0, 1);
        kb_endfor(kb);
    }
}

/* The band of `rows` output rows from oh0: x's rows it reads, less the zero point, as
 * int16 into the plane; then per output channel its weights widened into pair order,
 * and the rows. */
static void band(KBuilder *kb, const Pairs *q, PairsOut *o, KIndex oh0, int64_t rows)
{
    KIndex xi = kidx_const(0), pi = kidx_const(0);
    kidx_add(&xi, o->vn, q->xs0);
    kidx_add(&xi, o->vg, q->Cg * q->H * q->W);
    KCond cond[2];
    uint8_t nc;
    int nl;
    if (q->cpair) { /* [c2][r][ow][i] = x[2 c2 + i][(oh0 + r) * sh][ow * sw] */
        uint16_t vc = kb_for(kb, q->C2), vr = kb_for(kb, rows), vw = kb_for(kb, q->OW);
        uint16_t vi = kb_for(kb, 2);
        kidx_add(&xi, vc, 2 * q->H * q->W);
        kidx_add(&xi, vi, q->H * q->W);
        kidx_add_index(&xi, &oh0, q->sh * q->W);
        kidx_add(&xi, vr, q->sh * q->W);
        kidx_add(&xi, vw, q->sw);
        kidx_add(&pi, vc, q->CS);
        kidx_add(&pi, vr, q->OW * 2);
        kidx_add(&pi, vw, 2);
        kidx_add(&pi, vi, 1);
        cond[0].e = kidx_const(0);
        kidx_add(&cond[0].e, vc, 2);
        kidx_add(&cond[0].e, vi, 1);
        cond[0].bound = q->Cg;
        nc = q->Cg % 2 ? 1 : 0;
        nl = 4;
    } else { /* [c][hp][wp] = x[c][oh0 * sh + hp - pt][wp - pl], zero point outside */
        uint16_t vc = kb_for(kb, q->Cg), vh = kb_for(kb, band_rows(q, rows));
        uint16_t vw = kb_for(kb, q->Wp);
        kidx_add(&xi, vc, q->H * q->W);
        kidx_add_index(&xi, &oh0, q->sh * q->W);
        kidx_add(&xi, vh, q->W);
        kidx_add(&xi, vw, 1);
        xi.base -= q->pt * q->W + q->pl;
        kidx_add(&pi, vc, q->CS);
        kidx_add(&pi, vh, q->Wp);
        kidx_add(&pi, vw, 1);
        cond[0].e = kidx_const(-q->pt);
        kidx_add_index(&cond[0].e, &oh0, q->sh);
        kidx_add(&cond[0].e, vh, 1);
        cond[0].bound = q->H;
        cond[1].e = kidx_const(-q->pl);
        kidx_add(&cond[1].e, vw, 1);
        cond[1].bound = q->W;
        nc = 2;
        nl = 3;
    }
    KExpr *v = nc ? kb_load_guard(kb, o->xraw, xi, cond, nc, kb_const_i(kb, q->xdt, q->xzp))
                  : kb_load(kb, o->xraw, xi);
    kb_store(
        kb, o->plane, pi,
        kb_cast(kb, DT_INT16,
                kb_op(kb, KOP_SUB, kb_cast(kb, DT_INT32, v), kb_const_i(kb, DT_INT32, q->xzp))));
    kb_endfor_n(kb, nl);

    o->vm = kb_for(kb, q->Mg);
    { /* this channel's weights widened, in pair order */
        int64_t ntap = q->kh * q->kw, K = q->Cg * ntap;
        KIndex src = kidx_const(0), dst = kidx_const(0);
        kidx_add(&src, o->vg, q->Mg * K);
        kidx_add(&src, o->vm, K);
        uint16_t vc = kb_for(kb, q->Cg);
        kidx_add(&src, vc, ntap);
        if (q->cpair) {
            kidx_add(&dst, vc, 1);
        } else {
            uint16_t va = kb_for(kb, q->kh), vb = kb_for(kb, q->kw);
            kidx_add(&src, va, q->kw);
            kidx_add(&src, vb, 1);
            kidx_add(&dst, vc, q->kh * q->kw2 * 2);
            kidx_add(&dst, va, q->kw2 * 2);
            kidx_add(&dst, vb, 1);
        }
        KExpr *wv = kb_cast(kb, DT_INT32, kb_load(kb, o->wpk, src));
        if (o->wzp)
            wv = kb_op(kb, KOP_SUB, wv, kb_const_i(kb, DT_INT32, o->wzp));
        kb_store(kb, o->wrow, dst, kb_cast(kb, DT_INT16, wv));
        kb_endfor_n(kb, q->cpair ? 1 : 3);
    }
    if (o->fixed)
        quant_fixed_at(kb, &o->fx, chan(q, o));
    KIndex yrow = kidx_const(0);
    kidx_add_index(&yrow, &oh0, q->OW);
    if (q->cpair) { /* the band's positions as one row */
        row(kb, q, o, kidx_const(0), yrow, rows * q->OW);
    } else {
        uint16_t vr = kb_for(kb, rows);
        KIndex xrow = kidx_const(0);
        kidx_add(&xrow, vr, q->sh * q->Wp);
        kidx_add(&yrow, vr, q->OW);
        row(kb, q, o, xrow, yrow, q->OW);
        kb_endfor(kb);
    }
    kb_endfor(kb); /* m */
}

int conv_lower_pairs(Ctx *ctx, KBuilder *kb, const Node *n, const Window *cw, int64_t group)
{
    const Target *t = ctx->target;
    const Graph *g = kb->g;
    if (!t || t->vbytes || !ctx->opt || ctx->opt->opt != LW_O2 || !kb->scratch_budget ||
        !kb->at_load)
        return 0;
    const Value *x = op_in(g, n, 0), *w = op_in(g, n, 1), *y = op_out(g, n, 0);
    int sp = x->shape.rank - 2;
    const Node *dq = kb->at_load[n->in[0]];
    float xsc;
    int32_t xzp;
    if (sp < 1 || sp > 2 || x->dtype != DT_FLOAT32 || !dq || !quant_dq_tensor(g, dq, &xsc, &xzp) ||
        op_acc_dtype(g, n) != DT_FLOAT32 ||
        (y->dtype != DT_FLOAT32 && !(n->nepi && dtype_is_int(y->dtype))))
        return 0;
    const Value *bv = op_has_in(n, 2) ? op_in(g, n, 2) : NULL;
    if (bv &&
        (bv->kind != VK_CONST || !bv->data || bv->dtype != DT_FLOAT32 || kb->at_load[n->in[2]]))
        return 0;
    Pairs q;
    memset(&q, 0, sizeof q);
    q.N = x->shape.dims[0];
    q.G = group;
    q.Cg = x->shape.dims[1] / group;
    q.Mg = w->shape.dims[0] / group;
    q.H = sp == 2 ? x->shape.dims[2] : 1;
    q.W = x->shape.dims[1 + sp];
    q.OH = sp == 2 ? y->shape.dims[2] : 1;
    q.OW = y->shape.dims[1 + sp];
    q.kh = sp == 2 ? cw->kernel[0] : 1;
    q.kw = cw->kernel[sp - 1];
    q.sh = sp == 2 ? cw->strides[0] : 1;
    q.sw = cw->strides[sp - 1];
    q.dh = sp == 2 ? cw->dilations[0] : 1;
    int64_t dw = cw->dilations[sp - 1];
    q.pt = sp == 2 ? cw->pads[0] : 0;
    q.pl = cw->pads[sp - 1];
    int64_t pb = sp == 2 ? cw->pads[2] : 0, pr = cw->pads[2 * sp - 1];
    q.xzp = xzp;
    q.xdt = op_in(g, dq, 0)->dtype;
    int64_t ntap = q.kh * q.kw;
    q.cpair = ntap == 1 && !q.pt && !q.pl && !pb && !pr;
    if (q.cpair ? q.Cg < 2 : q.kw < 2 || dw != 1)
        return 0;
    /* the weights' integers: a DequantizeLinear of int8/uint8 computed at each load (kept
     * int8 in flash, as the float schedule keeps them), or float weights that are int8
     * again (quant_int_weights) */
    int64_t M = w->shape.dims[0], K = q.Cg * ntap;
    const int8_t *wq = NULL;
    const float *wsc;
    const Node *wdq = kb->at_load[n->in[1]];
    QuantParams wp;
    int32_t wzp = 0;
    if (wdq) {
        const Value *wr = op_in(g, wdq, 0);
        if (!quant_dq_params(kb->a, g, wdq, &wp) || wr->kind != VK_CONST || !wr->data ||
            (wp.n != 1 && (wp.axis != 0 || wp.n != (uint64_t)M)))
            return 0;
        for (uint32_t i = 0; i < wp.n; i++)
            if (wp.zero_point[i] != wp.zero_point[0] || !(wp.scale[i] > 0))
                return 0;
        wzp = wp.zero_point[0];
        float *sc = arena_array(kb->a, float, (size_t)M);
        for (int64_t m = 0; m < M; m++)
            sc[m] = wp.scale[wp.n == 1 ? 0 : m];
        wsc = sc;
    } else if (w->kind != VK_CONST || !w->data ||
               !quant_int_weights(kb->a, w, M, K, 0, &wq, &wsc)) {
        return 0;
    }
    /* the plane for bands of R output rows (the most whose plane and weight row fit the
     * node's scratch budget): each band copies the rows of x it reads, and widens each
     * output channel's weights again */
    if (q.cpair) {
        q.C2 = cdiv(q.Cg, 2);
        q.Kp = q.C2 * 2;
    } else {
        q.kw2 = cdiv(q.kw, 2);
        q.Wp = q.W + q.pl + pr;
        if (q.Wp < (q.OW - 1) * q.sw + 2 * q.kw2)
            q.Wp = (q.OW - 1) * q.sw + 2 * q.kw2;
        q.Kp = q.Cg * q.kh * q.kw2 * 2;
    }
    uint64_t budget = kb->scratch_budget[n->out[0]];
    for (int64_t r = q.OH; r >= 1; r--) {
        q.CS = q.cpair ? r * q.OW * 2 : band_rows(&q, r) * q.Wp;
        uint64_t need = (((uint64_t)(q.CS * (q.cpair ? q.C2 : q.Cg)) * 2 + 15) & ~(uint64_t)15) +
                        (((uint64_t)q.Kp * 2 + 15) & ~(uint64_t)15);
        if (need <= budget) {
            q.R = r;
            break;
        }
    }
    /* a band of one row re-widens the weights for every row: worth it while a row has
     * a few runs of positions to amortize that over */
    if (!q.R || (q.R < q.OH && q.R * q.OW < 2 * PB))
        return 0;
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&y->shape, ys);
    q.xs0 = xs[0];
    q.ys0 = ys[0];
    q.ys1 = ys[1];

    /* the weights as they were, int8 [M][Cg][kh][kw] (widened into pair order per
     * output channel: no zeros in flash) */
    uint32_t wpk = wq ? kb_weight(kb, DT_INT8, wq, (uint64_t)(M * K)) : 0;
    /* the way out: fixed point when every channel's bias and scale allow */
    PairsOut o;
    memset(&o, 0, sizeof o);
    o.has_bias = bv != NULL;
    const float *bsrc = bv ? (const float *)(const void *)bv->data->bytes : NULL;
    int32_t *bi = arena_array(kb->a, int32_t, (size_t)M);
    o.fixed = y->dtype != DT_FLOAT32 && quant_fixed_wanted(kb, 0) &&
              quant_fixed_plan(kb, n, xsc, wsc, M, K, bsrc, &o.rq, &o.fx, bi);
    if (o.fixed) {
        if (bsrc)
            o.bi = kb_weight(kb, DT_INT32, bi, (uint64_t)M);
    } else {
        float *sc = kb_weight_new(kb, DT_FLOAT32, (uint64_t)M, &o.sc);
        for (int64_t m = 0; m < M; m++)
            sc[m] = xsc * wsc[m];
        if (bsrc)
            o.bf = kb_weight(kb, DT_FLOAT32, bsrc, (uint64_t)M);
    }

    kb_begin(kb, n, NULL);
    kb_schedule(kb, "int16 pairs, two products an instruction");
    o.xraw = kb_buf(kb, dq->in[0]);
    o.wpk = wdq ? kb_buf(kb, wdq->in[0]) : wpk;
    o.wzp = wzp;
    o.plane = kb_scratch(kb, DT_INT16, (uint64_t)(q.CS * (q.cpair ? q.C2 : q.Cg)));
    o.wrow = kb_scratch(kb, DT_INT16, (uint64_t)q.Kp);
    o.tmp = o.fixed ? kb_local(kb, ktype(DT_INT64)) : 0;
    /* PB sums where a band's row has that many positions, else one */
    for (int j = 0; j < ((q.cpair ? q.R * q.OW : q.OW) >= PB ? PB : 1); j++)
        o.acc[j] = kb_local(kb, ktype(DT_INT32));
    if (q.Kp != K) { /* the pairs' missing second taps and channels: zero weights */
        uint16_t vk = kb_for(kb, q.Kp);
        KIndex dst = kidx_const(0);
        kidx_add(&dst, vk, 1);
        kb_store(kb, o.wrow, dst, kb_const_i(kb, DT_INT16, 0));
        kb_endfor(kb);
    }
    o.vn = kb_for(kb, q.N);
    o.vg = kb_for(kb, q.G);
    int64_t nb = q.OH / q.R, rt = q.OH % q.R;
    if (nb) {
        uint16_t vb = kb_for(kb, nb);
        KIndex oh0 = kidx_const(0);
        kidx_add(&oh0, vb, q.R);
        band(kb, &q, &o, oh0, q.R);
        kb_endfor(kb);
    }
    if (rt)
        band(kb, &q, &o, kidx_const(nb * q.R), rt);
    kb_endfor_n(kb, 2);
    kb_end(kb);
    return 1;
}
