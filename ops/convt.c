/* ConvTranspose (gather form, one loop nest per stride phase), the
 * normalizations over channel groups and axes (InstanceNormalization,
 * GroupNormalization, MeanVarianceNormalization, LpNormalization, LRN), the
 * Lp pools and MaxUnpool. */
#include <math.h>
#include <string.h>

#include "include/lwcc/ckd.h"
#include "include/lwcc/lwcc.h"
#include "ir/kir_build.h"
#include "ops/families.h"
#include "ops/spatial.h"
#include "target/target.h"

/* Floor division and modulo for possibly negative numerators (b > 0). */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}
/* ---- ConvTranspose ---------------------------------------------------- */

typedef struct ConvTAttrs {
    Window w;
    int64_t group;
    int64_t out_pad[LW_MAX_SPATIAL];
    uint32_t nout_pad;
    int64_t out_shape[LW_MAX_RANK];
    uint32_t nout_shape;
} ConvTAttrs;

static LwStatus convt_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ConvTAttrs *c = arena_new(ctx->perm, ConvTAttrs);
    TRY(window_import(ctx, n, al, &c->w, 1, 0));
    TRY(attr_int(ctx, &n->loc, al, "group", 1, &c->group));
    TRY(attr_ints(ctx, &n->loc, al, "output_padding", c->out_pad, LW_MAX_SPATIAL, &c->nout_pad));
    TRY(attr_ints(ctx, &n->loc, al, "output_shape", c->out_shape, LW_MAX_RANK, &c->nout_shape));
    if (c->group < 1)
        return diag_node(ctx, n, "'group' is %lld, must be at least 1", (long long)c->group);
    for (uint32_t i = 0; i < c->nout_pad; i++)
        if (c->out_pad[i] < 0)
            return diag_node(ctx, n, "'output_padding' must not be negative");
    for (uint32_t i = 0; i < c->nout_shape; i++)
        if (c->out_shape[i] < 1)
            return diag_node(ctx, n, "'output_shape' entries must be positive");
    n->attrs = c;
    return attr_check_unused(ctx, &n->loc, al);
}

/* Output size per spatial dim: s*(in-1) + output_padding + (k-1)*d + 1 - pads.
 * ConvTranspose-11: with output_shape (or SAME_* auto_pad, target in*s) the
 * pads are derived from the total padding, the odd one at the end for
 * SAME_UPPER and at the beginning otherwise; a negative total (output_shape
 * larger than the full output) extends the end with bias-only cells. */
static LwStatus convt_infer(Ctx *ctx, Graph *g, Node *n)
{
    ConvTAttrs *c = (ConvTAttrs *)n->attrs;
    Window *w = &c->w;
    const Value *x = op_in(g, n, 0), *wt = op_in(g, n, 1);
    TRY(op_check_float(ctx, g, n, 0));
    TRY(op_check_same_type(ctx, g, n, 0, 1));
    if (x->shape.rank < 3 || x->shape.rank > 5 || wt->shape.rank != x->shape.rank)
        return diag_node(ctx, n, "input rank %u and weight rank %u: expected 3 to 5 and equal",
                         x->shape.rank, wt->shape.rank);
    int sp = x->shape.rank - 2;
    int64_t C = x->shape.dims[1], G = c->group;
    if (C % G != 0 || wt->shape.dims[0] != C)
        return diag_node(ctx, n,
                         "input has %lld channels, weight %lld (C x M/group x k...), "
                         "group %lld",
                         (long long)C, (long long)wt->shape.dims[0], (long long)G);
    int64_t M;
    if (!ckd_mul_i64(&M, wt->shape.dims[1], G))
        return diag_node(ctx, n, "output channel count overflows");
    if (op_has_in(n, 2)) {
        const Value *b = op_in(g, n, 2);
        if (b->shape.rank != 1 || b->shape.dims[0] != M || b->dtype != x->dtype)
            return diag_node(ctx, n, "bias must be [%lld] %s", (long long)M, dtype_name(x->dtype));
    }
    if (w->nk == 0) {
        w->nk = (uint32_t)sp;
        for (int i = 0; i < sp; i++)
            w->kernel[i] = wt->shape.dims[2 + i];
    }
    if ((int)w->nk != sp || (w->ns && (int)w->ns != sp) || (w->nd && (int)w->nd != sp) ||
        (w->np && (int)w->np != 2 * sp) || (c->nout_pad && (int)c->nout_pad != sp))
        return diag_node(ctx, n,
                         "kernel_shape/strides/dilations/pads/output_padding do not "
                         "match the %d spatial dims of the input",
                         sp);
    if (c->nout_shape && (int)c->nout_shape != sp && (int)c->nout_shape != sp + 2)
        return diag_node(ctx, n, "'output_shape' has %u entries, expected %d (or %d)",
                         c->nout_shape, sp, sp + 2);
    Shape s = x->shape;
    s.dims[1] = M;
    const int64_t *target = NULL;
    if (c->nout_shape)
        target = c->out_shape + (c->nout_shape - (uint32_t)sp);
    int same = strcmp(w->auto_pad, "SAME_UPPER") == 0 || strcmp(w->auto_pad, "SAME_LOWER") == 0;
    int upper = strcmp(w->auto_pad, "SAME_UPPER") == 0;
    int valid = strcmp(w->auto_pad, "VALID") == 0;
    for (int i = 0; i < sp; i++) {
        if (!w->ns)
            w->strides[i] = 1;
        if (!w->nd)
            w->dilations[i] = 1;
        if (!c->nout_pad)
            c->out_pad[i] = 0;
        if (!w->np || valid)
            w->pads[i] = w->pads[i + sp] = 0;
        if (w->kernel[i] != wt->shape.dims[2 + i])
            return diag_node(ctx, n, "kernel_shape does not match the weight's shape");
        if (w->strides[i] < 1 || w->dilations[i] < 1 || w->kernel[i] < 1)
            return diag_node(ctx, n, "strides, dilations and kernel sizes must be positive");
        if (w->strides[i] > 1 << 20 || w->dilations[i] > 1 << 20 || w->kernel[i] > 1 << 20 ||
            c->out_pad[i] > 1 << 20 || x->shape.dims[2 + i] > (int64_t)1 << 31)
            return diag_node(ctx, n, "window sizes are out of range");
        int64_t in = x->shape.dims[2 + i];
        int64_t full =
            w->strides[i] * (in - 1) + c->out_pad[i] + (w->kernel[i] - 1) * w->dilations[i] + 1;
        if (target || same) {
            int64_t t = target ? target[i] : in * w->strides[i];
            int64_t total = full - t;
            int64_t half = floor_div(total, 2);
            w->pads[i] = upper ? half : total - half;
            w->pads[i + sp] = upper ? total - half : half;
        }
        int64_t o = full - w->pads[i] - w->pads[i + sp];
        if (o < 1 || o > (int64_t)1 << 31)
            return diag_node(ctx, n, "output size %lld along spatial dim %d is out of range",
                             (long long)o, i);
        s.dims[2 + i] = o;
    }
    w->ns = w->nd = w->nk = (uint32_t)sp;
    w->np = (uint32_t)(2 * sp);
    c->nout_pad = (uint32_t)sp;
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* y[n, g*Mg+m, o] = b + sum over c, k with o = i*s + k*d - pb of
 * x[n, g*Cg+c, i] * w[g*Cg+c, m, k]. The output is split by stride phase so
 * the input position of each tap is affine; a border guard keeps it inside. */
static LwStatus convt_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const ConvTAttrs *c = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *wt = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    int sp = x->shape.rank - 2;
    int64_t G = c->group, Cg = x->shape.dims[1] / G, Mg = wt->shape.dims[1];
    int64_t xs[LW_MAX_RANK], ws[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&wt->shape, ws);
    shape_strides(&y->shape, ys);
    int64_t nphase = 1;
    for (int i = 0; i < sp; i++)
        nphase *= c->w.strides[i];
    if (nphase > 4096)
        return diag_node(ctx, n, "strides with %lld phases are not supported", (long long)nphase);

    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), wb = kb_in(kb, 1), yb = kb_out(kb, 0);
    uint32_t bb = op_has_in(n, 2) ? kb_in(kb, 2) : 0;
    DType ct = op_acc_dtype(kb->g, n);
    uint16_t acc = kb_local(kb, ktype(ct));
    for (int64_t ph = 0; ph < nphase; ph++) {
        StridePhase P[LW_MAX_SPATIAL];
        int64_t r[LW_MAX_SPATIAL], rem = ph;
        int empty = 0, notaps = 0;
        for (int i = sp - 1; i >= 0; i--) {
            r[i] = rem % c->w.strides[i];
            rem /= c->w.strides[i];
            P[i] = stride_phase(r[i], c->w.strides[i], c->w.dilations[i], c->w.pads[i],
                                c->w.kernel[i], y->shape.dims[2 + i]);
            empty |= P[i].nq == 0;
            notaps |= P[i].nk == 0;
        }
        if (empty)
            continue;
        uint16_t vn = kb_for(kb, x->shape.dims[0]);
        uint16_t vg = kb_for(kb, G);
        uint16_t vm = kb_for(kb, Mg);
        uint16_t vq[LW_MAX_SPATIAL], vj[LW_MAX_SPATIAL];
        for (int i = 0; i < sp; i++)
            vq[i] = kb_for(kb, P[i].nq);
        KIndex mix = kidx_const(0); /* output channel g*Mg + m */
        kidx_add(&mix, vg, Mg);
        kidx_add(&mix, vm, 1);
        kb_set(kb, acc, bb ? kb_load(kb, bb, mix) : kb_const_f(kb, ct, 0));
        if (!notaps) {
            uint16_t vc = kb_for(kb, Cg);
            for (int i = 0; i < sp; i++)
                vj[i] = kb_for(kb, P[i].nk);
            KIndex ci = kidx_const(0); /* input channel g*Cg + c */
            kidx_add(&ci, vg, Cg);
            kidx_add(&ci, vc, 1);
            KIndex xi = kidx_const(0), wi = kidx_const(0);
            kidx_add(&xi, vn, xs[0]);
            kidx_add_index(&xi, &ci, xs[1]);
            kidx_add_index(&wi, &ci, ws[0]);
            kidx_add(&wi, vm, ws[1]);
            KCond conds[LW_MAX_SPATIAL];
            uint8_t nc = 0;
            for (int i = 0; i < sp; i++) {
                KIndex e = kidx_const(P[i].base);
                kidx_add(&e, vq[i], 1);
                kidx_add(&e, vj[i], P[i].jcoef);
                kidx_add_index(&xi, &e, xs[2 + i]);
                wi.base += P[i].k0 * ws[2 + i];
                kidx_add(&wi, vj[i], P[i].kstep * ws[2 + i]);
                int64_t lo = P[i].base + (P[i].nk - 1) * P[i].jcoef;
                int64_t hi = P[i].base + P[i].nq - 1;
                if (lo < 0 || hi >= x->shape.dims[2 + i]) {
                    conds[nc].e = e;
                    conds[nc++].bound = x->shape.dims[2 + i];
                }
            }
            if (nc)
                kb_if(kb, conds, nc);
            kb_set(kb, acc,
                   kb_op3(kb, KOP_FMA, kb_load(kb, xb, xi), kb_load(kb, wb, wi), kb_var(kb, acc)));
            if (nc)
                kb_endif(kb);
            kb_endfor_n(kb, sp + 1);
        }
        KIndex yi = kidx_const(0);
        kidx_add(&yi, vn, ys[0]);
        kidx_add_index(&yi, &mix, ys[1]);
        for (int i = 0; i < sp; i++) {
            yi.base += r[i] * ys[2 + i];
            kidx_add(&yi, vq[i], c->w.strides[i] * ys[2 + i]);
        }
        kb_store_out(kb, yb, yi, kb_var(kb, acc));
        kb_endfor_n(kb, sp + 3);
    }
    kb_end(kb);
    return LW_OK;
}

/* ---- ConvTranspose as MatMul and Col2Im (OpDef.expand, pass expand) -----------------
 * y = Col2Im(W' x) + b. W' [M * kprod, C] is the weight transposed at compile time; the
 * product, every multiply-add of the op, runs in the blocked matrix kernel (the gather
 * form above runs them one at a time, reading x a channel plane apart); Col2Im then
 * sums the few columns that land on each output, with the bias and a fused activation
 * at its stores. The columns take kprod / prod(strides) times y's memory. For group 1,
 * float32, constant weights and bias, pads that are not negative and one column per
 * input position (output_padding below the stride); at -O2 on targets with vectors, and
 * not for --emit=onnx (Col2Im is of opset 18). */

static LwStatus convt_expand(Ctx *ctx, NodeId id, int *done)
{
    Graph *g = ctx->g;
    const Node *n = graph_node(g, id);
    const ConvTAttrs *c = n->attrs;
    *done = 0;
    if (!op_expand_linear_ok(ctx, n) || c->group != 1)
        return LW_OK;
    const Value *x = op_in(g, n, 0), *w = op_in(g, n, 1), *y = op_out(g, n, 0);
    const Value *b = op_has_in(n, 2) ? op_in(g, n, 2) : NULL;
    int sp = x->shape.rank - 2;
    int64_t N = x->shape.dims[0], C = x->shape.dims[1], M = w->shape.dims[1];
    int64_t kprod = 1, L = 1, img[LW_MAX_SPATIAL], pads[2 * LW_MAX_SPATIAL];
    for (int i = 0; i < sp; i++) {
        int64_t s = c->w.strides[i], d = c->w.dilations[i], k = c->w.kernel[i];
        int64_t pb = c->w.pads[i], pe = c->w.pads[i + sp], in = x->shape.dims[2 + i];
        img[i] = y->shape.dims[2 + i];
        if (pb < 0 || pe < 0 || (img[i] + pb + pe - d * (k - 1) - 1) / s + 1 != in)
            return LW_OK;
        pads[i] = pb;
        pads[i + sp] = pe;
        kprod *= k;
        L *= in;
    }
    const char *base = n->loc.name && *n->loc.name ? n->loc.name : "convtranspose";
    ValueId xv = n->in[0], yv = n->out[0];
    const float *wf = (const float *)(const void *)w->data->bytes;
    const float *bf = b ? (const float *)(const void *)b->data->bytes : NULL;
    /* W [C, M, k...] as W' [M * kprod, C] */
    float *wt = arena_array(ctx->perm, float, (size_t)(M * kprod * C));
    for (int64_t ci = 0; ci < C; ci++)
        for (int64_t r = 0; r < M * kprod; r++)
            wt[r * C + ci] = wf[ci * M * kprod + r];
    int64_t wd[2] = {M * kprod, C}, xd[3] = {N, C, L}, one = (int64_t)sp, bd[LW_MAX_RANK];
    Shape ws = shape_make(2, wd), s3 = shape_make(1, (int64_t[]){3}), ssp = shape_make(1, &one);
    ValueId wtv = op_expand_const(ctx, base, "weight_t", DT_FLOAT32, &ws, wt);
    ValueId xsv = op_expand_const(ctx, base, "x_shape", DT_INT64, &s3, xd);
    ValueId imv = op_expand_const(ctx, base, "image_shape", DT_INT64, &ssp, img);
    ValueId bkv = op_expand_const(ctx, base, "block_shape", DT_INT64, &ssp, c->w.kernel), bv = 0;
    if (bf) { /* [M, 1, ...]: broadcast over y's positions */
        bd[0] = M;
        for (int i = 0; i < sp; i++)
            bd[1 + i] = 1;
        Shape bs = shape_make((uint8_t)(1 + sp), bd);
        bv = op_expand_const(ctx, base, "bias", DT_FLOAT32, &bs, bf);
    }
    AttrList none = {NULL, 0};
    Attr at[3];
    static const char *const names[3] = {"dilations", "pads", "strides"};
    const int64_t *vals[3] = {c->w.dilations, pads, c->w.strides};
    uint32_t counts[3] = {(uint32_t)sp, (uint32_t)(2 * sp), (uint32_t)sp};
    AttrList c2i = op_attr_list(at, names, vals, counts, 3);
    NodeId rid, mid, cid, aid;
    ValueId rin[2] = {xv, xsv};
    TRY(op_expand_node(ctx, base, "columns_in", "Reshape", 13, rin, 2, &none, &rid));
    ValueId min[2] = {wtv, graph_node(g, rid)->out[0]};
    TRY(op_expand_node(ctx, base, "columns", "MatMul", 13, min, 2, &none, &mid));
    ValueId cin[3] = {graph_node(g, mid)->out[0], imv, bkv};
    TRY(op_expand_node(ctx, base, "col2im", "Col2Im", 18, cin, 3, &c2i, &cid));
    NodeId last = cid;
    if (bv) {
        ValueId ain[2] = {graph_node(g, cid)->out[0], bv};
        TRY(op_expand_node(ctx, base, "bias_add", "Add", 13, ain, 2, &none, &aid));
        last = aid;
    }
    graph_erase_node(g, id);
    graph_take_output(g, last, yv);
    *done = 1;
    return LW_OK;
}

/* ---- normalizations over a set of axes --------------------------------- */

typedef enum NormMode {
    NM_STD_EPS_IN,  /* (x - mean) / sqrt(var + eps)  (Instance/GroupNormalization) */
    NM_STD_EPS_OUT, /* (x - mean) / (sqrt(var) + eps) (MeanVarianceNormalization) */
    NM_L1,          /* x / sum |x|  (LpNormalization p=1) */
    NM_L2           /* x / sqrt(sum x^2) */
} NormMode;

/* A view of the input as `rank` dims, the `reduce` ones normalized together;
 * scale/bias (optional) are indexed by sum sc_coef[d] * var[d]. The statistics
 * are computed in ct; the normalized value is converted to X's compute type
 * before scale and bias (GroupNormalization-21's stash_type). */
typedef struct NormView {
    int rank;
    int64_t dims[LW_MAX_RANK + 1];
    uint8_t reduce[LW_MAX_RANK + 1];
    int64_t sc_coef[LW_MAX_RANK + 1];
    NormMode mode;
    double eps;
    DType ct;
} NormView;

static KIndex view_index(const NormView *v, const uint16_t *vars, const int64_t *coef)
{
    KIndex ix = kidx_const(0);
    for (int d = 0; d < v->rank; d++)
        if (coef[d])
            kidx_add(&ix, vars[d], coef[d]);
    return ix;
}

/* Opens loops over the reduced dims (into vars) and returns how many. */
static int open_reduced(KBuilder *kb, const NormView *v, uint16_t *vars)
{
    int k = 0;
    for (int d = 0; d < v->rank; d++)
        if (v->reduce[d]) {
            vars[d] = kb_for(kb, v->dims[d]);
            k++;
        }
    return k;
}

/* Splits the last reduced dim (S) into S/B x B so sums run in two levels
 * (partial sums of B terms): float32 error grows with sqrt(S/B) + sqrt(B)
 * instead of sqrt(S). */
static void split_last_reduced(NormView *v)
{
    int d = v->rank - 1;
    while (d >= 0 && !v->reduce[d])
        d--;
    if (d < 0 || v->dims[d] < 256 || v->rank > LW_MAX_RANK)
        return;
    int64_t S = v->dims[d], B = 0;
    for (int64_t b = 16; b * b <= S; b++)
        if (S % b == 0)
            B = b;
    if (!B)
        return;
    for (int e = v->rank; e > d + 1; e--) {
        v->dims[e] = v->dims[e - 1];
        v->reduce[e] = v->reduce[e - 1];
        v->sc_coef[e] = v->sc_coef[e - 1];
    }
    v->dims[d] = S / B;
    v->dims[d + 1] = B;
    v->reduce[d + 1] = 1;
    v->sc_coef[d] *= B;
    v->rank++;
}

typedef enum SumTerm { ST_X, ST_SQ_DEV, ST_ABS, ST_SQ } SumTerm;

/* sum = sum of the term over the reduced dims, innermost loop into `part` */
static void reduce_pass(KBuilder *kb, const NormView *v, uint16_t *vars, const int64_t *st,
                        uint16_t sum, uint16_t part, uint16_t mean, SumTerm t)
{
    KExpr *zero = kb_const_f(kb, v->ct, 0);
    int last = v->rank - 1, k = 0;
    while (!v->reduce[last])
        last--;
    kb_set(kb, sum, zero);
    for (int d = 0; d < last; d++)
        if (v->reduce[d]) {
            vars[d] = kb_for(kb, v->dims[d]);
            k++;
        }
    kb_set(kb, part, zero);
    vars[last] = kb_for(kb, v->dims[last]);
    KExpr *xv = op_load_as(kb, v->ct, kb_in(kb, 0), view_index(v, vars, st));
    KExpr *term = xv;
    if (t == ST_SQ_DEV) {
        KExpr *dv = kb_op(kb, KOP_SUB, xv, kb_var(kb, mean));
        term = kb_op3(kb, KOP_FMA, dv, dv, kb_var(kb, part));
    } else if (t == ST_SQ) {
        term = kb_op3(kb, KOP_FMA, xv, xv, kb_var(kb, part));
    } else {
        if (t == ST_ABS)
            term = kb_op(kb, KOP_ABS, xv, NULL);
        term = kb_op(kb, KOP_ADD, kb_var(kb, part), term);
    }
    kb_set(kb, part, term);
    kb_endfor(kb);
    kb_set(kb, sum, kb_op(kb, KOP_ADD, kb_var(kb, sum), kb_var(kb, part)));
    kb_endfor_n(kb, k);
}

static void norm_view_lower(KBuilder *kb, const NormView *view, uint32_t sb, uint32_t bb)
{
    NormView vv = *view, *v = &vv;
    split_last_reduced(v);
    int64_t st[LW_MAX_RANK + 1], cnt = 1, acc_st = 1;
    for (int d = v->rank - 1; d >= 0; d--) {
        st[d] = acc_st;
        acc_st *= v->dims[d];
        if (v->reduce[d])
            cnt *= v->dims[d];
    }
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    KType f = ktype(v->ct);
    int lp = v->mode == NM_L1 || v->mode == NM_L2;
    uint16_t mean = lp ? 0 : kb_local(kb, f), sum = kb_local(kb, f), part = kb_local(kb, f);
    uint16_t vars[LW_MAX_RANK + 1];
    int nkept = 0;
    for (int d = 0; d < v->rank; d++)
        if (!v->reduce[d]) {
            vars[d] = kb_for(kb, v->dims[d]);
            nkept++;
        }
    KExpr *cntv = kb_const_f(kb, v->ct, (double)cnt);
    if (!lp) {
        reduce_pass(kb, v, vars, st, mean, part, mean, ST_X);
        kb_set(kb, mean, kb_op(kb, KOP_DIV, kb_var(kb, mean), cntv));
    }
    reduce_pass(kb, v, vars, st, sum, part, mean,
                v->mode == NM_L1   ? ST_ABS
                : v->mode == NM_L2 ? ST_SQ
                                   : ST_SQ_DEV);
    /* sum becomes the reciprocal divisor */
    KExpr *den = NULL;
    KExpr *epsv = kb_const_f(kb, v->ct, v->eps);
    KExpr *var = kb_op(kb, KOP_DIV, kb_var(kb, sum), cntv);
    switch (v->mode) {
    case NM_STD_EPS_IN:
        den = kb_op(kb, KOP_SQRT, kb_op(kb, KOP_ADD, var, epsv), NULL);
        break;
    case NM_STD_EPS_OUT:
        den = kb_op(kb, KOP_ADD, kb_op(kb, KOP_SQRT, var, NULL), epsv);
        break;
    case NM_L1:
        den = kb_var(kb, sum);
        break;
    case NM_L2:
        den = kb_op(kb, KOP_SQRT, kb_var(kb, sum), NULL);
        break;
    }
    kb_set(kb, sum, kb_op(kb, KOP_DIV, kb_const_f(kb, v->ct, 1), den));
    int k = open_reduced(kb, v, vars);
    KIndex xi = view_index(v, vars, st);
    KExpr *yv = op_load_as(kb, v->ct, xb, xi);
    if (!lp)
        yv = kb_op(kb, KOP_SUB, yv, kb_var(kb, mean));
    yv = kb_op(kb, KOP_MUL, yv, kb_var(kb, sum));
    yv = kb_cast(kb, dtype_compute(op_in(kb->g, kb->node, 0)->dtype), yv);
    KIndex si = view_index(v, vars, v->sc_coef);
    if (sb)
        yv = kb_op(kb, KOP_MUL, yv, kb_load(kb, sb, si));
    if (bb)
        yv = kb_op(kb, KOP_ADD, yv, kb_load(kb, bb, si));
    kb_store_out(kb, yb, xi, yv);
    kb_endfor_n(kb, k + nkept);
}

typedef struct NormAttrs {
    float epsilon;
    int64_t groups;  /* GroupNormalization */
    int per_channel; /* GroupNormalization-21: scale/bias per channel */
    DType stash;     /* GroupNormalization-21: the least precision of the statistics */
    int64_t axes[LW_MAX_RANK];
    uint32_t naxes;  /* MVN */
    int64_t axis, p; /* LpNormalization */
} NormAttrs;

/* InstanceNormalization-1 had 'consumed_inputs' (a legacy memory hint). */
static LwStatus instnorm_import(Ctx *ctx, Node *n, const AttrList *al)
{
    NormAttrs *a = arena_new(ctx->perm, NormAttrs);
    TRY(attr_float(ctx, &n->loc, al, "epsilon", 1e-5f, &a->epsilon));
    const int64_t *ci;
    uint32_t nci;
    TRY(attr_ints_ref(ctx, &n->loc, al, "consumed_inputs", &ci, &nci));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus check_param(Ctx *ctx, const Graph *g, const Node *n, uint16_t i, int64_t len)
{
    const Value *p = op_in(g, n, i);
    if (p->dtype != op_in(g, n, 0)->dtype || p->shape.rank != 1 || p->shape.dims[0] != len)
        return diag_node(ctx, n, "input %u must be [%lld] %s", i, (long long)len,
                         dtype_name(op_in(g, n, 0)->dtype));
    return LW_OK;
}

static LwStatus instnorm_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    TRY(op_check_float(ctx, g, n, 0));
    if (x->shape.rank < 3)
        return diag_node(ctx, n, "input must have rank >= 3");
    TRY(check_param(ctx, g, n, 1, x->shape.dims[1]));
    TRY(check_param(ctx, g, n, 2, x->shape.dims[1]));
    return op_infer_same(ctx, g, n);
}

static int64_t spatial_size(const Value *x)
{
    int64_t s = 1;
    for (int i = 2; i < x->shape.rank; i++)
        s *= x->shape.dims[i];
    return s;
}

static LwStatus instnorm_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const NormAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    NormView v;
    memset(&v, 0, sizeof v);
    v.rank = 3;
    v.dims[0] = x->shape.dims[0];
    v.dims[1] = x->shape.dims[1];
    v.dims[2] = spatial_size(x);
    v.reduce[2] = 1;
    v.sc_coef[1] = 1;
    v.mode = NM_STD_EPS_IN;
    v.eps = a->epsilon;
    v.ct = dtype_compute(x->dtype);
    kb_begin(kb, n, NULL);
    norm_view_lower(kb, &v, kb_in(kb, 1), kb_in(kb, 2));
    kb_end(kb);
    return LW_OK;
}

/* GroupNormalization-18: scale and bias per group; -21: per channel, plus
 * stash_type (the precision of the statistics: float64 when it or X is
 * float64, else float32; the half types compute in float32). */
static LwStatus groupnorm_import_kind(Ctx *ctx, Node *n, const AttrList *al, int per_channel)
{
    NormAttrs *a = arena_new(ctx->perm, NormAttrs);
    TRY(attr_float(ctx, &n->loc, al, "epsilon", 1e-5f, &a->epsilon));
    TRY(attr_int(ctx, &n->loc, al, "num_groups", 0, &a->groups));
    if (!attr_find(al, "num_groups"))
        return diag_node(ctx, n, "'num_groups' is required");
    if (a->groups < 1)
        return diag_node(ctx, n, "'num_groups' is %lld, must be positive", (long long)a->groups);
    a->stash = DT_FLOAT32;
    if (per_channel) {
        int64_t stash;
        TRY(attr_int(ctx, &n->loc, al, "stash_type", 1, &stash));
        if (stash != 0) /* 0: unset, the default */
            a->stash = dtype_from_onnx(stash);
        if (a->stash == DT_UNDEFINED || !dtype_is_floatlike(a->stash))
            return diag_node(ctx, n,
                             "stash_type %lld is not supported (float32, float64, float16, "
                             "bfloat16)",
                             (long long)stash);
    }
    a->per_channel = per_channel;
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}
static LwStatus groupnorm18_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return groupnorm_import_kind(ctx, n, al, 0);
}
static LwStatus groupnorm21_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return groupnorm_import_kind(ctx, n, al, 1);
}

static LwStatus groupnorm_infer(Ctx *ctx, Graph *g, Node *n)
{
    const NormAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    TRY(op_check_float(ctx, g, n, 0));
    if (x->shape.rank < 2)
        return diag_node(ctx, n, "input must have rank >= 2");
    if (x->shape.dims[1] % a->groups != 0)
        return diag_node(ctx, n, "%lld channels do not divide into %lld groups",
                         (long long)x->shape.dims[1], (long long)a->groups);
    int64_t len = a->per_channel ? x->shape.dims[1] : a->groups;
    TRY(check_param(ctx, g, n, 1, len));
    TRY(check_param(ctx, g, n, 2, len));
    return op_infer_same(ctx, g, n);
}

static LwStatus groupnorm_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const NormAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    NormView v;
    memset(&v, 0, sizeof v);
    v.rank = 4;
    v.dims[0] = x->shape.dims[0];
    v.dims[1] = a->groups;
    v.dims[2] = x->shape.dims[1] / a->groups;
    v.dims[3] = spatial_size(x);
    v.reduce[2] = v.reduce[3] = 1;
    v.sc_coef[1] = a->per_channel ? v.dims[2] : 1;
    v.sc_coef[2] = a->per_channel ? 1 : 0;
    v.mode = NM_STD_EPS_IN;
    v.eps = a->epsilon;
    v.ct = op_compute_wider(x->dtype, a->stash);
    kb_begin(kb, n, NULL);
    norm_view_lower(kb, &v, kb_in(kb, 1), kb_in(kb, 2));
    kb_end(kb);
    return LW_OK;
}

/* MeanVarianceNormalization-9/13: (x - mean) / (sqrt(var) + 1e-9) over axes
 * (default [0, 2, 3]), the epsilon of its function body. */
static LwStatus mvn_import(Ctx *ctx, Node *n, const AttrList *al)
{
    NormAttrs *a = arena_new(ctx->perm, NormAttrs);
    if (attr_find(al, "axes")) {
        const int64_t *ax;
        uint32_t nax;
        TRY(attr_ints_ref(ctx, &n->loc, al, "axes", &ax, &nax));
        if (nax > LW_MAX_RANK)
            return diag_node(ctx, n, "'axes' has %u entries, more than the rank", nax);
        memcpy(a->axes, ax, nax * sizeof *ax);
        a->naxes = nax;
    } else {
        a->axes[0] = 0;
        a->axes[1] = 2;
        a->axes[2] = 3;
        a->naxes = 3;
    }
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus mvn_infer(Ctx *ctx, Graph *g, Node *n)
{
    NormAttrs *a = (NormAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    TRY(op_check_float(ctx, g, n, 0));
    uint8_t seen[LW_MAX_RANK] = {0};
    for (uint32_t i = 0; i < a->naxes; i++) {
        int64_t ax;
        if (!shape_axis(a->axes[i], x->shape.rank, &ax))
            return diag_node(ctx, n, "axis %lld is out of range for rank %u", (long long)a->axes[i],
                             x->shape.rank);
        if (seen[ax])
            return diag_node(ctx, n, "axis %lld is repeated", (long long)a->axes[i]);
        seen[ax] = 1;
        a->axes[i] = ax;
    }
    return op_infer_same(ctx, g, n);
}

static LwStatus mvn_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const NormAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    NormView v;
    memset(&v, 0, sizeof v);
    v.rank = x->shape.rank;
    for (int d = 0; d < v.rank; d++)
        v.dims[d] = x->shape.dims[d];
    for (uint32_t i = 0; i < a->naxes; i++)
        v.reduce[a->axes[i]] = 1;
    v.mode = NM_STD_EPS_OUT;
    v.eps = 1e-9;
    v.ct = dtype_compute(x->dtype);
    kb_begin(kb, n, NULL);
    norm_view_lower(kb, &v, 0, 0);
    kb_end(kb);
    return LW_OK;
}

/* LpNormalization-1: x / ||x||_p along one axis, p 1 or 2. */
static LwStatus lpnorm_import(Ctx *ctx, Node *n, const AttrList *al)
{
    NormAttrs *a = arena_new(ctx->perm, NormAttrs);
    TRY(attr_int(ctx, &n->loc, al, "axis", -1, &a->axis));
    TRY(attr_int(ctx, &n->loc, al, "p", 2, &a->p));
    if (a->p != 1 && a->p != 2)
        return diag_node(ctx, n, "p = %lld is not supported (1 or 2)", (long long)a->p);
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus lpnorm_infer(Ctx *ctx, Graph *g, Node *n)
{
    NormAttrs *a = (NormAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    TRY(op_check_float(ctx, g, n, 0));
    int64_t ax;
    if (!shape_axis(a->axis, x->shape.rank, &ax))
        return diag_node(ctx, n, "axis %lld is out of range", (long long)a->axis);
    a->axis = ax;
    return op_infer_same(ctx, g, n);
}

static LwStatus lpnorm_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const NormAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    NormView v;
    memset(&v, 0, sizeof v);
    v.rank = 3;
    v.dims[0] = v.dims[2] = 1; /* [outer, axis, inner] */
    for (int d = 0; d < x->shape.rank; d++)
        if (d != a->axis)
            v.dims[d < a->axis ? 0 : 2] *= x->shape.dims[d];
    v.dims[1] = x->shape.dims[a->axis];
    v.reduce[1] = 1;
    v.mode = a->p == 1 ? NM_L1 : NM_L2;
    v.ct = dtype_compute(x->dtype);
    kb_begin(kb, n, NULL);
    norm_view_lower(kb, &v, 0, 0);
    kb_end(kb);
    return LW_OK;
}

/* ---- LRN ---------------------------------------------------------------- */

typedef struct LrnAttrs {
    float alpha, beta, bias;
    int64_t size;
} LrnAttrs;

static LwStatus lrn_import(Ctx *ctx, Node *n, const AttrList *al)
{
    LrnAttrs *a = arena_new(ctx->perm, LrnAttrs);
    TRY(attr_float(ctx, &n->loc, al, "alpha", 1e-4f, &a->alpha));
    TRY(attr_float(ctx, &n->loc, al, "beta", 0.75f, &a->beta));
    TRY(attr_float(ctx, &n->loc, al, "bias", 1.0f, &a->bias));
    TRY(attr_int(ctx, &n->loc, al, "size", 0, &a->size));
    if (!attr_find(al, "size"))
        return diag_node(ctx, n, "'size' is required");
    if (a->size < 1 || a->size > 1 << 20)
        return diag_node(ctx, n, "'size' is %lld, must be positive", (long long)a->size);
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus lrn_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    TRY(op_check_float(ctx, g, n, 0));
    if (x->shape.rank < 3)
        return diag_node(ctx, n, "input must have rank >= 3");
    return op_infer_same(ctx, g, n);
}

/* y = x / (bias + alpha/size * sum of x^2 over channels
 * [c - floor((size-1)/2), c + ceil((size-1)/2)])^beta */
static LwStatus lrn_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const LrnAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    int64_t N = x->shape.dims[0], C = x->shape.dims[1], S = spatial_size(x);
    int64_t lo = (a->size - 1) / 2;
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    DType ct = dtype_compute(x->dtype);
    uint16_t acc = kb_local(kb, ktype(ct));
    uint16_t vn = kb_for(kb, N), vc = kb_for(kb, C), vs = kb_for(kb, S);
    kb_set(kb, acc, kb_const_f(kb, ct, 0));
    uint16_t vt = kb_for(kb, a->size);
    KCond cond;
    cond.e = kidx_const(-lo);
    kidx_add(&cond.e, vc, 1);
    kidx_add(&cond.e, vt, 1);
    cond.bound = C;
    KIndex ti = kidx_const(0);
    kidx_add(&ti, vn, C * S);
    kidx_add(&ti, vs, 1);
    kidx_add_index(&ti, &cond.e, S);
    kb_if(kb, &cond, 1);
    KExpr *t = kb_load(kb, xb, ti);
    kb_set(kb, acc, kb_op3(kb, KOP_FMA, t, t, kb_var(kb, acc)));
    kb_endif(kb);
    kb_endfor(kb);
    KExpr *base =
        kb_op3(kb, KOP_FMA, kb_var(kb, acc), kb_const_f(kb, ct, (double)a->alpha / (double)a->size),
               kb_const_f(kb, ct, a->bias));
    KExpr *den = kb_op(kb, KOP_POW, base, kb_const_f(kb, ct, a->beta));
    KIndex xi = kidx_const(0);
    kidx_add(&xi, vn, C * S);
    kidx_add(&xi, vc, S);
    kidx_add(&xi, vs, 1);
    kb_store_out(kb, yb, xi, kb_op(kb, KOP_DIV, kb_load(kb, xb, xi), den));
    kb_endfor_n(kb, 3);
    kb_end(kb);
    return LW_OK;
}

/* ---- LpPool, GlobalLpPool ------------------------------------------------ */

typedef struct LpPoolAttrs {
    Window w;
    double p;
} LpPoolAttrs;

/* LpPool-1 and GlobalLpPool-1 take p as a float, later versions as an int. */
static LwStatus read_p(Ctx *ctx, Node *n, const AttrList *al, int p_float, double *p)
{
    if (p_float) {
        float pf;
        TRY(attr_float(ctx, &n->loc, al, "p", 2.0f, &pf));
        *p = pf;
    } else {
        int64_t pi;
        TRY(attr_int(ctx, &n->loc, al, "p", 2, &pi));
        *p = (double)pi;
    }
    if (!(*p >= 1.0 && *p <= 1e6))
        return diag_node(ctx, n, "p = %g is not supported (must be at least 1)", *p);
    return LW_OK;
}

static LwStatus lppool_import_kind(Ctx *ctx, Node *n, const AttrList *al, int opset_kind)
{
    LpPoolAttrs *a = arena_new(ctx->perm, LpPoolAttrs);
    /* LpPool-18 added dilations and ceil_mode */
    TRY(window_import(ctx, n, al, &a->w, opset_kind == 18, opset_kind == 18));
    TRY(read_p(ctx, n, al, opset_kind == 1, &a->p));
    if (a->w.nk == 0)
        return diag_node(ctx, n, "'kernel_shape' is required");
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}
static LwStatus lppool1_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return lppool_import_kind(ctx, n, al, 1);
}
static LwStatus lppool2_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return lppool_import_kind(ctx, n, al, 2);
}
static LwStatus lppool18_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return lppool_import_kind(ctx, n, al, 18);
}

static LwStatus lppool_infer(Ctx *ctx, Graph *g, Node *n)
{
    LpPoolAttrs *a = (LpPoolAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    TRY(op_check_float(ctx, g, n, 0));
    if (x->shape.rank < 3)
        return diag_node(ctx, n, "input must have rank >= 3");
    Shape s = x->shape;
    TRY(window_resolve(ctx, n, &a->w, x->shape.rank - 2, &x->shape.dims[2], &s.dims[2]));
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* |x|^p, p = 1 and 2 without pow */
static KExpr *lp_term(KBuilder *kb, KExpr *x, double p)
{
    if (p == 1.0)
        return kb_op(kb, KOP_ABS, x, NULL);
    if (p == 2.0)
        return kb_op(kb, KOP_MUL, x, x);
    return kb_op(kb, KOP_POW, kb_op(kb, KOP_ABS, x, NULL), kb_const_f(kb, x->type.dt, p));
}
static KExpr *lp_root(KBuilder *kb, KExpr *s, double p)
{
    if (p == 1.0)
        return s;
    if (p == 2.0)
        return kb_op(kb, KOP_SQRT, s, NULL);
    return kb_op(kb, KOP_POW, s, kb_const_f(kb, s->type.dt, 1.0 / p));
}

static LwStatus lppool_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const LpPoolAttrs *a = n->attrs;
    const Window *w = &a->w;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int sp = x->shape.rank - 2;
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&y->shape, ys);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    DType ct = dtype_compute(x->dtype);
    uint16_t acc = kb_local(kb, ktype(ct));
    uint16_t vn = kb_for(kb, x->shape.dims[0]), vc = kb_for(kb, x->shape.dims[1]);
    uint16_t vo[LW_MAX_SPATIAL], vk[LW_MAX_SPATIAL];
    for (int i = 0; i < sp; i++)
        vo[i] = kb_for(kb, y->shape.dims[2 + i]);
    kb_set(kb, acc, kb_const_f(kb, ct, 0));
    for (int i = 0; i < sp; i++)
        vk[i] = kb_for(kb, w->kernel[i]);
    KIndex xi = kidx_const(0);
    kidx_add(&xi, vn, xs[0]);
    kidx_add(&xi, vc, xs[1]);
    KCond conds[LW_MAX_SPATIAL];
    uint8_t nc = 0;
    for (int i = 0; i < sp; i++) {
        int64_t s = w->strides[i], d = w->dilations[i], pd = w->pads[i];
        KIndex e = kidx_const(-pd);
        kidx_add(&e, vo[i], s);
        kidx_add(&e, vk[i], d);
        kidx_add_index(&xi, &e, xs[2 + i]);
        int64_t hi = (y->shape.dims[2 + i] - 1) * s + (w->kernel[i] - 1) * d - pd;
        if (pd > 0 || hi >= x->shape.dims[2 + i]) {
            conds[nc].e = e;
            conds[nc++].bound = x->shape.dims[2 + i];
        }
    }
    if (nc)
        kb_if(kb, conds, nc);
    kb_set(kb, acc, kb_op(kb, KOP_ADD, kb_var(kb, acc), lp_term(kb, kb_load(kb, xb, xi), a->p)));
    if (nc)
        kb_endif(kb);
    kb_endfor_n(kb, sp);
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vn, ys[0]);
    kidx_add(&yi, vc, ys[1]);
    for (int i = 0; i < sp; i++)
        kidx_add(&yi, vo[i], ys[2 + i]);
    kb_store_out(kb, yb, yi, lp_root(kb, kb_var(kb, acc), a->p));
    kb_endfor_n(kb, sp + 2);
    kb_end(kb);
    return LW_OK;
}

static LwStatus glppool_import_kind(Ctx *ctx, Node *n, const AttrList *al, int p_float)
{
    LpPoolAttrs *a = arena_new(ctx->perm, LpPoolAttrs);
    TRY(read_p(ctx, n, al, p_float, &a->p));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}
static LwStatus glppool1_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return glppool_import_kind(ctx, n, al, 1);
}
static LwStatus glppool2_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return glppool_import_kind(ctx, n, al, 0);
}

static LwStatus glppool_infer(Ctx *ctx, Graph *g, Node *n)
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

static LwStatus glppool_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const LpPoolAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    int64_t S = spatial_size(x);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    DType ct = dtype_compute(x->dtype);
    uint16_t acc = kb_local(kb, ktype(ct));
    uint16_t vnc = kb_for(kb, x->shape.dims[0] * x->shape.dims[1]);
    kb_set(kb, acc, kb_const_f(kb, ct, 0));
    uint16_t vs = kb_for(kb, S);
    KIndex xi = kidx_const(0);
    kidx_add(&xi, vnc, S);
    kidx_add(&xi, vs, 1);
    kb_set(kb, acc, kb_op(kb, KOP_ADD, kb_var(kb, acc), lp_term(kb, kb_load(kb, xb, xi), a->p)));
    kb_endfor(kb);
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vnc, 1);
    kb_store_out(kb, yb, yi, lp_root(kb, kb_var(kb, acc), a->p));
    kb_endfor(kb);
    kb_end(kb);
    return LW_OK;
}

/* ---- MaxUnpool ----------------------------------------------------------- */

typedef struct UnpoolAttrs {
    Window w;
    int64_t inferred[LW_MAX_SPATIAL]; /* (in-1)*s - pads + k */
} UnpoolAttrs;

static LwStatus unpool_import(Ctx *ctx, Node *n, const AttrList *al)
{
    UnpoolAttrs *a = arena_new(ctx->perm, UnpoolAttrs);
    TRY(window_import(ctx, n, al, &a->w, 0, 0));
    if (a->w.nk == 0)
        return diag_node(ctx, n, "'kernel_shape' is required");
    if (strcmp(a->w.auto_pad, "NOTSET") != 0)
        return diag_node(ctx, n, "auto_pad is not an attribute of MaxUnpool");
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

/* MaxUnpool-11: the indices address the unpooled tensor of the inferred
 * shape; an output_shape input larger than that pads it with zeros at the end
 * of each dim (as the ONNX reference and its node tests do). */
static LwStatus unpool_infer(Ctx *ctx, Graph *g, Node *n)
{
    UnpoolAttrs *a = (UnpoolAttrs *)n->attrs;
    Window *w = &a->w;
    const Value *x = op_in(g, n, 0), *idx = op_in(g, n, 1);
    if (!dtype_is_floatlike(x->dtype) && !dtype_is_int(x->dtype))
        return diag_node(ctx, n,
                         "input 0 of type %s is not supported (float32, float64, float16, "
                         "bfloat16, integers)",
                         dtype_name(x->dtype));
    if (idx->dtype != DT_INT64 || !shape_equal(&idx->shape, &x->shape))
        return diag_node(ctx, n, "indices must be int64 of the input's shape");
    if (x->shape.rank < 3)
        return diag_node(ctx, n, "input must have rank >= 3");
    int sp = x->shape.rank - 2;
    if ((int)w->nk != sp || (w->ns && (int)w->ns != sp) || (w->np && (int)w->np != 2 * sp))
        return diag_node(ctx, n,
                         "kernel_shape/strides/pads do not match the %d spatial dims "
                         "of the input",
                         sp);
    Shape s = x->shape;
    for (int i = 0; i < sp; i++) {
        if (!w->ns)
            w->strides[i] = 1;
        if (!w->np)
            w->pads[i] = w->pads[i + sp] = 0;
        if (w->strides[i] < 1 || w->kernel[i] < 1 || w->strides[i] > 1 << 20 ||
            w->kernel[i] > 1 << 20)
            return diag_node(ctx, n, "strides and kernel sizes must be positive");
        int64_t o = (x->shape.dims[2 + i] - 1) * w->strides[i] - w->pads[i] - w->pads[i + sp] +
                    w->kernel[i];
        if (o < 1 || o > (int64_t)1 << 31)
            return diag_node(ctx, n, "output size %lld is out of range", (long long)o);
        a->inferred[i] = s.dims[2 + i] = o;
    }
    w->ns = w->nk = (uint32_t)sp;
    w->np = (uint32_t)(2 * sp);
    if (op_has_in(n, 2)) {
        int64_t *os;
        uint64_t cnt;
        TRY(op_const_ints(ctx, g, n, 2, &os, &cnt));
        if (cnt != x->shape.rank)
            return diag_node(ctx, n, "output_shape has %llu entries, expected %u",
                             (unsigned long long)cnt, x->shape.rank);
        for (int i = 0; i < x->shape.rank; i++) {
            int64_t min = i < 2 ? x->shape.dims[i] : a->inferred[i - 2];
            if (os[i] < min || (i < 2 && os[i] != min) || os[i] > (int64_t)1 << 31)
                return diag_node(ctx, n, "output_shape[%d] = %lld: expected %s %lld", i,
                                 (long long)os[i], i < 2 ? "" : "at least", (long long)min);
            s.dims[i] = os[i];
        }
    }
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* Gather form of the scatter y[I[i]] = x[i]: each output cell takes the last
 * x in its (n, c) plane whose index names it. Indices outside their own plane
 * (never made by MaxPool) are ignored. */
static LwStatus unpool_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const UnpoolAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int sp = x->shape.rank - 2;
    DType dt = dtype_compute(x->dtype);
    int64_t NC = x->shape.dims[0] * x->shape.dims[1], P = spatial_size(x), Q = 1;
    int64_t ys[LW_MAX_RANK], ist[LW_MAX_SPATIAL];
    shape_strides(&y->shape, ys);
    for (int i = sp - 1; i >= 0; i--) {
        ist[i] = Q;
        Q *= a->inferred[i];
    }
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), ib = kb_in(kb, 1), yb = kb_out(kb, 0);
    uint16_t acc = kb_local(kb, ktype(dt));
    uint16_t vnc = kb_for(kb, NC);
    uint16_t vo[LW_MAX_SPATIAL];
    for (int i = 0; i < sp; i++)
        vo[i] = kb_for(kb, y->shape.dims[2 + i]);
    KExpr *zero = dtype_is_float(dt) ? kb_const_f(kb, dt, 0) : kb_const_i(kb, dt, 0);
    kb_set(kb, acc, zero);
    KCond conds[LW_MAX_SPATIAL];
    uint8_t nc = 0;
    KIndex flat = kidx_const(0); /* index of this cell in the inferred tensor */
    kidx_add(&flat, vnc, Q);
    for (int i = 0; i < sp; i++) {
        kidx_add(&flat, vo[i], ist[i]);
        if (y->shape.dims[2 + i] > a->inferred[i]) {
            conds[nc].e = kidx_const(0);
            kidx_add(&conds[nc].e, vo[i], 1);
            conds[nc++].bound = a->inferred[i];
        }
    }
    if (nc)
        kb_if(kb, conds, nc);
    uint16_t vp = kb_for(kb, P);
    KIndex xi = kidx_const(0);
    kidx_add(&xi, vnc, P);
    kidx_add(&xi, vp, 1);
    KExpr *hit = kb_op(kb, KOP_EQ, kb_load(kb, ib, xi), kb_idx(kb, DT_INT64, flat));
    kb_set(kb, acc, kb_select(kb, hit, kb_load(kb, xb, xi), kb_var(kb, acc)));
    kb_endfor(kb);
    if (nc)
        kb_endif(kb);
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vnc, ys[1]);
    for (int i = 0; i < sp; i++)
        kidx_add(&yi, vo[i], ys[2 + i]);
    kb_store_out(kb, yb, yi, kb_var(kb, acc));
    kb_endfor_n(kb, sp + 1);
    kb_end(kb);
    return LW_OK;
}

const OpDef ops_convt[] = {
    {"",
     "ConvTranspose",
     1,
     LW_OPSET_MAX,
     2,
     3,
     1,
     1,
     FC_OUT_FUSABLE,
     0,
     convt_import,
     convt_infer,
     convt_lower,
     NULL,
     NULL,
     NULL,
     NULL,
     NULL,
     NULL,
     NULL,
     convt_expand},
    {"", "InstanceNormalization", 1, LW_OPSET_MAX, 3, 3, 1, 1, FC_OPAQUE, 0, instnorm_import,
     instnorm_infer, instnorm_lower, NULL, NULL, NULL, NULL},
    {"", "GroupNormalization", 18, 20, 3, 3, 1, 1, FC_OPAQUE, 0, groupnorm18_import,
     groupnorm_infer, groupnorm_lower, NULL, NULL, NULL, NULL},
    {"", "GroupNormalization", 21, LW_OPSET_MAX, 3, 3, 1, 1, FC_OPAQUE, 0, groupnorm21_import,
     groupnorm_infer, groupnorm_lower, NULL, NULL, NULL, NULL},
    {"", "MeanVarianceNormalization", 9, LW_OPSET_MAX, 1, 1, 1, 1, FC_OPAQUE, 0, mvn_import,
     mvn_infer, mvn_lower, NULL, NULL, NULL, NULL},
    {"", "LpNormalization", 1, LW_OPSET_MAX, 1, 1, 1, 1, FC_OPAQUE, 0, lpnorm_import, lpnorm_infer,
     lpnorm_lower, NULL, NULL, NULL, NULL},
    {"", "LRN", 1, LW_OPSET_MAX, 1, 1, 1, 1, FC_OPAQUE, 0, lrn_import, lrn_infer, lrn_lower, NULL,
     NULL, NULL, NULL},
    {"", "LpPool", 1, 1, 1, 1, 1, 1, FC_OPAQUE, 0, lppool1_import, lppool_infer, lppool_lower, NULL,
     NULL, NULL, NULL},
    {"", "LpPool", 2, 17, 1, 1, 1, 1, FC_OPAQUE, 0, lppool2_import, lppool_infer, lppool_lower,
     NULL, NULL, NULL, NULL},
    {"", "LpPool", 18, LW_OPSET_MAX, 1, 1, 1, 1, FC_OPAQUE, 0, lppool18_import, lppool_infer,
     lppool_lower, NULL, NULL, NULL, NULL},
    {"", "GlobalLpPool", 1, 1, 1, 1, 1, 1, FC_REDUCTION, 0, glppool1_import, glppool_infer,
     glppool_lower, NULL, NULL, NULL, NULL},
    {"", "GlobalLpPool", 2, LW_OPSET_MAX, 1, 1, 1, 1, FC_REDUCTION, 0, glppool2_import,
     glppool_infer, glppool_lower, NULL, NULL, NULL, NULL},
    {"", "MaxUnpool", 9, LW_OPSET_MAX, 2, 3, 1, 1, FC_OPAQUE, 0, unpool_import, unpool_infer,
     unpool_lower, NULL, NULL, NULL, NULL},
};
const uint32_t ops_convt_count = LW_COUNT(ops_convt);
