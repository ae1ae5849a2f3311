/* MaxPool, AveragePool (pads, ceil_mode, dilations, count_include_pad) and the
 * global pools. */
#include <math.h>
#include <string.h>

#include "include/lwcc/ckd.h"
#include "include/lwcc/lwcc.h"
#include "ir/kir_build.h"
#include "ops/families.h"
#include "ops/spatial.h"
#include "target/target.h"

typedef struct PoolAttrs {
    Window w;
    int64_t count_include_pad, storage_order;
    int is_max;
} PoolAttrs;

static LwStatus pool_import_kind(Ctx *ctx, Node *n, const AttrList *al, int is_max)
{
    PoolAttrs *p = arena_new(ctx->perm, PoolAttrs);
    TRY(window_import(ctx, n, al, &p->w, 1, 1));
    if (is_max)
        TRY(attr_int(ctx, &n->loc, al, "storage_order", 0, &p->storage_order));
    else
        TRY(attr_int(ctx, &n->loc, al, "count_include_pad", 0, &p->count_include_pad));
    if (p->w.nk == 0)
        return diag_node(ctx, n, "'kernel_shape' is required");
    if (is_max && p->storage_order != 0 && p->storage_order != 1)
        return diag_node(ctx, n, "storage_order is %lld, must be 0 or 1",
                         (long long)p->storage_order);
    p->is_max = is_max;
    n->attrs = p;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus maxpool_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return pool_import_kind(ctx, n, al, 1);
}
static LwStatus avgpool_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return pool_import_kind(ctx, n, al, 0);
}

static LwStatus pool_infer(Ctx *ctx, Graph *g, Node *n)
{
    PoolAttrs *p = (PoolAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    if (p->is_max && !dtype_is_floatlike(x->dtype) && x->dtype != DT_INT8 && x->dtype != DT_UINT8)
        return diag_node(ctx, n,
                         "input 0 of type %s is not supported (float32, float64, float16, "
                         "bfloat16, int8, uint8)",
                         dtype_name(x->dtype));
    if (!p->is_max)
        TRY(op_check_float(ctx, g, n, 0));
    if (x->shape.rank < 3)
        return diag_node(ctx, n, "input must have rank >= 3");
    Shape s = x->shape;
    TRY(window_resolve(ctx, n, &p->w, x->shape.rank - 2, &x->shape.dims[2], &s.dims[2]));
    /* MaxPool-8: the optional Indices output, flat int64 positions in X */
    if (n->nout > 1 && n->out[1])
        TRY(op_set_output(ctx, g, n, 1, DT_INT64, &s));
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static LwStatus global_lower_kind(KBuilder *kb, const Node *n, int is_max);

/* On a target with vectors: y = the pool's identity (the lowest value, or 0), then each
 * window cell in turn over the rectangle of outputs whose cell lies inside x, y[o] = max
 * (or +) of y[o] and x there: no guards, rows contiguous in x and y, which the C compiler
 * vectorizes; then the divisors and the epilogue over y in place. The per-position window
 * with its guards (below) runs one element at a time. For stride 1 (the spatial pyramid
 * pools of YOLO-style detectors: 5x5 windows 6x faster), a compute type that is the
 * storage type (not the half types), at most 64 cells a window, and not with the Indices
 * output. 1 when it lowered n. */
#define POOL_TAPS_MAX 64

static int pool_lower_taps(Ctx *ctx, KBuilder *kb, const Node *n, int has_div, uint32_t divb,
                           int64_t cnt)
{
    const PoolAttrs *p = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int sp = x->shape.rank - 2;
    DType dt = x->dtype;
    int64_t ntap = 1;
    for (int i = 0; i < sp; i++)
        ntap *= p->w.kernel[i];
    if (!ctx->target || !ctx->target->vbytes || !ctx->opt || ctx->opt->opt != LW_O2 ||
        dtype_compute(dt) != dt || (!p->is_max && !dtype_is_float(dt)) || ntap > POOL_TAPS_MAX ||
        (n->nout > 1 && n->out[1]))
        return 0;
    for (int i = 0; i < sp; i++)
        if (p->w.strides[i] != 1) /* measured slower: 2x2 and 3x3 windows at stride 2 */
            return 0;
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&y->shape, ys);
    int64_t P = (int64_t)shape_count(&y->shape) / (y->shape.dims[0] * y->shape.dims[1]);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    if (has_div)
        kb->prog->bufs.data[divb].origin = 0;
    uint16_t vn = kb_for(kb, x->shape.dims[0]), vc = kb_for(kb, x->shape.dims[1]);
    KIndex y0 = kidx_const(0), x0 = kidx_const(0);
    kidx_add(&y0, vn, ys[0]);
    kidx_add(&y0, vc, ys[1]);
    kidx_add(&x0, vn, xs[0]);
    kidx_add(&x0, vc, xs[1]);
    uint16_t vp = kb_for(kb, P);
    KIndex yp = y0;
    kidx_add(&yp, vp, 1);
    kb_store(kb, yb, yp, p->is_max ? kb_const_lowest(kb, dt) : kb_const_f(kb, dt, 0));
    kb_endfor(kb);
    for (int64_t t = 0; t < ntap; t++) {
        int64_t k[LW_MAX_SPATIAL], lo[LW_MAX_SPATIAL], hi[LW_MAX_SPATIAL], rem = t;
        int empty = 0;
        for (int i = sp - 1; i >= 0; i--) {
            k[i] = rem % p->w.kernel[i];
            rem /= p->w.kernel[i];
            /* 0 <= o*s + k*d - pad < in */
            int64_t s = p->w.strides[i], off = k[i] * p->w.dilations[i] - p->w.pads[i];
            int64_t in = x->shape.dims[2 + i], out = y->shape.dims[2 + i];
            lo[i] = off >= 0 ? 0 : (-off + s - 1) / s;
            hi[i] = in - off <= 0 ? 0 : (in - off - 1) / s + 1;
            hi[i] = hi[i] < out ? hi[i] : out;
            empty |= hi[i] <= lo[i];
        }
        if (empty)
            continue;
        KIndex yi = y0, xi = x0;
        for (int i = 0; i < sp; i++) {
            uint16_t v = kb_for(kb, hi[i] - lo[i]);
            int64_t s = p->w.strides[i], off = k[i] * p->w.dilations[i] - p->w.pads[i];
            yi.base += lo[i] * ys[2 + i];
            kidx_add(&yi, v, ys[2 + i]);
            xi.base += (lo[i] * s + off) * xs[2 + i];
            kidx_add(&xi, v, s * xs[2 + i]);
        }
        kb_store(
            kb, yb, yi,
            kb_op(kb, p->is_max ? KOP_MAX : KOP_ADD, kb_load(kb, yb, yi), kb_load(kb, xb, xi)));
        kb_endfor_n(kb, sp);
    }
    if (!p->is_max || kb->nepi) {
        uint16_t vq = kb_for(kb, P);
        KIndex yq = y0, di = kidx_const(0);
        kidx_add(&yq, vq, 1);
        kidx_add(&di, vq, 1);
        KExpr *r = kb_load(kb, yb, yq);
        if (has_div)
            r = kb_op(kb, KOP_DIV, r, kb_load(kb, divb, di));
        else if (!p->is_max)
            r = kb_op(kb, KOP_DIV, r, kb_const_f(kb, dt, (double)cnt));
        kb_store_out(kb, yb, yq, r);
        kb_endfor(kb);
    }
    kb_endfor_n(kb, 2);
    kb_end(kb);
    return 1;
}

static LwStatus pool_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const PoolAttrs *p = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int sp = x->shape.rank - 2;
    /* one window over the whole of each plane, no pads: a global pool (its sums in
     * vectors) */
    int whole = !(n->nout > 1 && n->out[1]);
    for (int i = 0; i < sp && whole; i++)
        whole = y->shape.dims[2 + i] == 1 && p->w.kernel[i] == x->shape.dims[2 + i] &&
                !p->w.pads[i] && !p->w.pads[i + sp] && p->w.dilations[i] == 1;
    if (whole)
        return global_lower_kind(kb, n, p->is_max);
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&y->shape, ys);
    DType dt = dtype_compute(x->dtype); /* int8 max pools compare in int8 */
    int any_pad = 0, any_edge = 0;
    for (int i = 0; i < sp; i++) {
        if (p->w.pads[i] || p->w.pads[i + sp])
            any_pad = 1;
        int64_t hi = (y->shape.dims[2 + i] - 1) * p->w.strides[i] +
                     (p->w.kernel[i] - 1) * p->w.dilations[i] - p->w.pads[i];
        if (hi >= x->shape.dims[2 + i])
            any_edge = 1;
    }
    /* AveragePool divisor per output position, computed here from geometry:
     * the window cells inside the input (count_include_pad=0) or inside the
     * padded input (1). */
    uint32_t divb = 0;
    int need_div_table = !p->is_max && (any_pad || any_edge);
    uint64_t opos = 1;
    for (int i = 0; i < sp; i++)
        opos *= (uint64_t)y->shape.dims[2 + i];
    if (need_div_table) {
        if (opos > ctx->lim.fold_elems)
            return diag_node(ctx, n, "output too large");
        float *div = window_counts(ctx->scratch, &p->w, sp, &x->shape.dims[2],
                                   &y->shape.dims[2], (int)p->count_include_pad, &opos);
        if (!div)
            return diag_node(ctx, n, "out of memory");
        if (dt == DT_FLOAT64) { /* the table in the compute type (counts are exact) */
            double *d = arena_array(ctx->scratch, double, opos);
            for (uint64_t i = 0; i < opos; i++)
                d[i] = div[i];
            divb = kb_weight(kb, dt, d, opos);
        } else {
            divb = kb_weight(kb, DT_FLOAT32, div, opos);
        }
    }
    int64_t cnt = 1;
    for (int i = 0; i < sp; i++)
        cnt *= p->w.kernel[i];
    if (pool_lower_taps(ctx, kb, n, need_div_table, divb, cnt))
        return LW_OK;
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    if (need_div_table)
        kb->prog->bufs.data[divb].origin = 0;
    int with_idx = p->is_max && n->nout > 1 && n->out[1];
    uint32_t ib = with_idx ? kb_out(kb, 1) : 0;
    uint16_t acc = kb_local(kb, ktype(dt));
    uint16_t arg = with_idx ? kb_local(kb, ktype(DT_INT64)) : 0;
    uint16_t vn = kb_for(kb, x->shape.dims[0]), vc = kb_for(kb, x->shape.dims[1]);
    uint16_t vo[LW_MAX_SPATIAL], vk[LW_MAX_SPATIAL];
    for (int i = 0; i < sp; i++)
        vo[i] = kb_for(kb, y->shape.dims[2 + i]);
    kb_set(kb, acc, p->is_max ? kb_const_lowest(kb, dt) : kb_const_f(kb, dt, 0));
    if (with_idx)
        kb_set(kb, arg, kb_const_i(kb, DT_INT64, 0));
    for (int i = 0; i < sp; i++)
        vk[i] = kb_for(kb, p->w.kernel[i]);
    KIndex xi = kidx_const(0);
    kidx_add(&xi, vn, xs[0]);
    kidx_add(&xi, vc, xs[1]);
    KCond conds[LW_MAX_SPATIAL];
    uint8_t nc = 0;
    window_taps(&p->w, sp, vo, vk, &xs[2], &x->shape.dims[2], &y->shape.dims[2], &xi, NULL, NULL,
                conds, &nc);
    if (nc)
        kb_if(kb, conds, nc);
    KExpr *xv = kb_load(kb, xb, xi);
    if (with_idx) {
        /* flat index of the first maximum; storage_order 1 numbers the
         * spatial dims column-major */
        KIndex fi = kidx_const(0);
        kidx_add(&fi, vn, xs[0]);
        kidx_add(&fi, vc, xs[1]);
        int64_t cs = 1;
        for (int i = 0; i < sp; i++) {
            int64_t st = p->storage_order ? cs : xs[2 + i];
            fi.base -= p->w.pads[i] * st;
            kidx_add(&fi, vo[i], p->w.strides[i] * st);
            kidx_add(&fi, vk[i], p->w.dilations[i] * st);
            cs *= x->shape.dims[2 + i];
        }
        KExpr *gt = kb_op(kb, KOP_GT, xv, kb_var(kb, acc));
        kb_set(kb, arg, kb_select(kb, gt, kb_idx(kb, DT_INT64, fi), kb_var(kb, arg)));
        kb_set(kb, acc, kb_select(kb, gt, xv, kb_var(kb, acc)));
    } else {
        kb_set(kb, acc, kb_op(kb, p->is_max ? KOP_MAX : KOP_ADD, kb_var(kb, acc), xv));
    }
    if (nc)
        kb_endif(kb);
    kb_endfor_n(kb, sp);
    KExpr *r = kb_var(kb, acc);
    if (!p->is_max) {
        if (need_div_table) {
            int64_t os[LW_MAX_SPATIAL], st = 1;
            for (int i = sp - 1; i >= 0; i--) {
                os[i] = st;
                st *= y->shape.dims[2 + i];
            }
            KIndex di = kidx_rowmajor(vo, os, sp, 0);
            r = kb_op(kb, KOP_DIV, r, kb_load(kb, divb, di));
        } else {
            r = kb_op(kb, KOP_DIV, r, kb_const_f(kb, dt, (double)cnt));
        }
    }
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vn, ys[0]);
    kidx_add(&yi, vc, ys[1]);
    for (int i = 0; i < sp; i++)
        kidx_add(&yi, vo[i], ys[2 + i]);
    kb_store_out(kb, yb, yi, r);
    if (with_idx)
        kb_store(kb, ib, yi, kb_var(kb, arg));
    kb_endfor_n(kb, sp + 2);
    kb_end(kb);
    return LW_OK;
}

/* A pool runs on a tile with the tile's pads: its divisors (count_include_pad) count the
 * tile's pads, which are the image's border pads only. Not with ceil_mode (a last window may
 * reach past the pads) or the Indices output (positions in the whole input). */
static int pool_window(const Graph *g, const Node *n, Window *w, uint64_t *macs)
{
    const PoolAttrs *p = n->attrs;
    (void)g;
    if ((n->nout > 1 && n->out[1]) || p->w.ceil_mode)
        return 0;
    *w = p->w;
    *macs = 1;
    for (uint32_t i = 0; i < p->w.nk; i++)
        *macs *= (uint64_t)p->w.kernel[i];
    return 1;
}

static const void *pool_with_pads(Arena *a, const Node *n, const int64_t *pads)
{
    PoolAttrs *p = arena_new(a, PoolAttrs);
    *p = *(const PoolAttrs *)n->attrs;
    window_set_pads(&p->w, pads);
    return p;
}

/* An AveragePool that counts its pads divides by them as zeros; MaxPool skips its pads. */
static int pool_pads_read_as(const Node *n, float *v)
{
    const PoolAttrs *p = n->attrs;
    *v = 0.0f;
    return !p->is_max && p->count_include_pad;
}

static const OpWindow pool_window_def = {pool_window, pool_with_pads, pool_pads_read_as};

/* GlobalAveragePool / GlobalMaxPool: reduce every spatial dim. */
static LwStatus global_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    TRY(op_check_float(ctx, g, n, 0));
    if (x->shape.rank < 3)
        return diag_node(ctx, n, "input must have rank >= 3");
    Shape s = x->shape;
    for (int i = 2; i < s.rank; i++)
        s.dims[i] = 1;
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* GlobalAveragePool of float32 on a vector target at -O2: each plane's sum as a vector
 * reduction (a loop's running sum waits on each add: a 112x112 plane took 4 cycles per
 * element), in another order than the loop's. xb holds x, or the int8/uint8 that x
 * dequantizes with scale xsc and zero point xzp. */
static void gap_lower_vec(KBuilder *kb, const Node *n, uint32_t xb, uint32_t yb, int64_t spatial,
                          uint8_t L, float xsc, int32_t xzp)
{
    const Value *x = op_in(kb->g, n, 0);
    uint16_t s = kb_local(kb, ktype(DT_FLOAT32));
    uint16_t vnc = kb_for(kb, x->shape.dims[0] * x->shape.dims[1]);
    KIndex base = kidx_const(0);
    kidx_add(&base, vnc, spatial);
    kb_reduce_vec(kb, KOP_ADD, xb, base, spatial, L, NULL, s);
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vnc, 1);
    KExpr *sum = kb_var(kb, s);
    if (xzp)
        sum = kb_op(kb, KOP_SUB, sum, kb_const_f(kb, DT_FLOAT32, (double)xzp * (double)spatial));
    if (xsc != 1)
        sum = kb_op(kb, KOP_MUL, sum, kb_const_f(kb, DT_FLOAT32, (double)xsc));
    kb_store_out(kb, yb, yi, kb_op(kb, KOP_DIV, sum, kb_const_f(kb, DT_FLOAT32, (double)spatial)));
    kb_endfor(kb);
}

static LwStatus global_lower_kind(KBuilder *kb, const Node *n, int is_max)
{
    const Value *x = op_in(kb->g, n, 0);
    int64_t spatial = 1;
    for (int i = 2; i < x->shape.rank; i++)
        spatial *= x->shape.dims[i];
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    DType ct = dtype_compute(x->dtype);
    uint8_t L = kb_vector_lanes(kb);
    if (!is_max && L && ct == DT_FLOAT32 && x->dtype == DT_FLOAT32 && kb_vloadable(kb, xb) &&
        spatial >= L) {
        gap_lower_vec(kb, n, xb, yb, spatial, L, 1, 0);
        kb_end(kb);
        return LW_OK;
    }
    /* x a DequantizeLinear of int8/uint8 with one scale and zero point (computed at each
     * load): the integers summed, then (sum - spatial * zp) * scale */
    const Node *dq = kb->at_load ? kb->at_load[n->in[0]] : NULL;
    float xsc;
    int32_t xzp;
    if (!is_max && L && x->dtype == DT_FLOAT32 && dq && spatial >= L &&
        quant_dq_tensor(kb->g, dq, &xsc, &xzp)) {
        gap_lower_vec(kb, n, kb_buf(kb, dq->in[0]), yb, spatial, L, xsc, xzp);
        kb_end(kb);
        return LW_OK;
    }
    uint16_t acc = kb_local(kb, ktype(ct));
    uint16_t vnc = kb_for(kb, x->shape.dims[0] * x->shape.dims[1]);
    kb_set(kb, acc, is_max ? kb_const_lowest(kb, ct) : kb_const_f(kb, ct, 0));
    uint16_t vs = kb_for(kb, spatial);
    KIndex xi = kidx_const(0);
    kidx_add(&xi, vnc, spatial);
    kidx_add(&xi, vs, 1);
    kb_set(kb, acc, kb_op(kb, is_max ? KOP_MAX : KOP_ADD, kb_var(kb, acc), kb_load(kb, xb, xi)));
    kb_endfor(kb);
    KExpr *r = kb_var(kb, acc);
    if (!is_max)
        r = kb_op(kb, KOP_DIV, r, kb_const_f(kb, ct, (double)spatial));
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vnc, 1);
    kb_store_out(kb, yb, yi, r);
    kb_endfor(kb);
    kb_end(kb);
    return LW_OK;
}

static LwStatus gap_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return global_lower_kind(kb, n, 0);
}
static LwStatus gmp_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return global_lower_kind(kb, n, 1);
}

const OpDef ops_pool[] = {
    {"", "MaxPool", 1, LW_OPSET_MAX, 1, 1, 1, 2, FC_OPAQUE, OPF_PER_CHANNEL | OPF_LOADS_PLAIN, maxpool_import, pool_infer,
     pool_lower, NULL, NULL, NULL, NULL, NULL, NULL, &pool_window_def},
    {"", "AveragePool", 1, LW_OPSET_MAX, 1, 1, 1, 1, FC_OPAQUE, OPF_PER_CHANNEL | OPF_LOADS_PLAIN, avgpool_import, pool_infer,
     pool_lower, NULL, NULL, NULL, NULL, NULL, NULL, &pool_window_def},
    {"", "GlobalAveragePool", 1, LW_OPSET_MAX, 1, 1, 1, 1, FC_REDUCTION, OPF_PER_CHANNEL | OPF_LOADS_PLAIN, op_no_attrs,
     global_infer, gap_lower, NULL, NULL, NULL, NULL},
    {"", "GlobalMaxPool", 1, LW_OPSET_MAX, 1, 1, 1, 1, FC_REDUCTION, OPF_PER_CHANNEL | OPF_LOADS_PLAIN, op_no_attrs,
     global_infer, gmp_lower, NULL, NULL, NULL, NULL},
};
const uint32_t ops_pool_count = LW_COUNT(ops_pool);
