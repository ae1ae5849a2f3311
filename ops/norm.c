/* BatchNormalization (inference), LayerNormalization, InstanceNormalization. */
#include "ir/kir_build.h"
#include "runtime-min/lwrt.h"
#include "ops/families.h"

typedef struct NormAttrs {
    float epsilon;
    int64_t axis;
    DType stash; /* LayerNormalization: type of Mean and InvStdDev */
} NormAttrs;

static LwStatus bn_import(Ctx *ctx, Node *n, const AttrList *al)
{
    NormAttrs *a = arena_new(ctx->perm, NormAttrs);
    float momentum;
    int64_t training = 0, spatial = 1, is_test = 1;
    TRY(attr_float(ctx, &n->loc, al, "epsilon", 1e-5f, &a->epsilon));
    TRY(attr_float(ctx, &n->loc, al, "momentum", 0.9f, &momentum));
    TRY(attr_int(ctx, &n->loc, al, "training_mode", 0, &training));
    TRY(attr_int(ctx, &n->loc, al, "spatial", 1, &spatial));
    TRY(attr_int(ctx, &n->loc, al, "is_test", 1, &is_test));
    if (training || n->nout > 1)
        return diag_node(ctx, n, "training mode (running statistics outputs) is not supported");
    if (!spatial)
        return diag_node(ctx, n, "spatial=0 is not supported");
    (void)is_test;
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

/* The input whose type input i (1..4) must have: X and Y are T; scale and bias
 * are T1, mean and var T2 from BatchNormalization-15; mean and var are U in -14;
 * all T before. An input that starts a type of its own answers itself. */
static uint16_t bn_type_like(int64_t opset, uint16_t i)
{
    if (opset >= 15)
        return i == 2 || i == 4 ? (uint16_t)(i - 1) : i;
    if (opset == 14)
        return i >= 3 ? 3 : 0;
    return 0;
}

static LwStatus bn_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    TRY(op_check_float(ctx, g, n, 0));
    if (x->shape.rank < 2)
        return diag_node(ctx, n, "input must have rank >= 2");
    for (uint16_t i = 1; i < 5; i++) {
        const Value *p = op_in(g, n, i);
        uint16_t like = bn_type_like(n->loc.opset, i);
        if (like == i)
            TRY(op_check_float(ctx, g, n, i));
        DType want = op_in(g, n, like)->dtype;
        if (p->dtype != want || p->shape.rank != 1 || p->shape.dims[0] != x->shape.dims[1])
            return diag_node(ctx, n, "input %u must be [%lld] %s", i, (long long)x->shape.dims[1],
                             dtype_name(want));
    }
    return op_infer_same(ctx, g, n);
}

/* y = (x - mean) * (scale / sqrt(var + eps)) + bias, the factor computed once
 * per channel into kernel scratch; in float64 when any input type is. */
static LwStatus bn_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const NormAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    int64_t N = x->shape.dims[0], C = x->shape.dims[1], S = 1;
    for (int i = 2; i < x->shape.rank; i++)
        S *= x->shape.dims[i];
    DType ct = op_compute_wider(
        x->dtype, op_compute_wider(op_in(kb->g, n, 1)->dtype, op_in(kb->g, n, 3)->dtype));
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), sb = kb_in(kb, 1), bb = kb_in(kb, 2), mb = kb_in(kb, 3),
             vb = kb_in(kb, 4), yb = kb_out(kb, 0);
    uint32_t fb = kb_scratch(kb, ct, (uint64_t)C);
    uint16_t vc = kb_for(kb, C);
    KIndex ci = kidx_const(0);
    kidx_add(&ci, vc, 1);
    KExpr *den =
        kb_op(kb, KOP_SQRT,
              kb_op(kb, KOP_ADD, op_load_as(kb, ct, vb, ci), kb_const_f(kb, ct, a->epsilon)), NULL);
    kb_store(kb, fb, ci, kb_op(kb, KOP_DIV, op_load_as(kb, ct, sb, ci), den));
    kb_endfor(kb);
    uint16_t vn = kb_for(kb, N);
    uint16_t vc2 = kb_for(kb, C);
    uint16_t vs = kb_for(kb, S);
    KIndex c2 = kidx_const(0);
    kidx_add(&c2, vc2, 1);
    KIndex xi = kidx_const(0);
    kidx_add(&xi, vn, C * S);
    kidx_add(&xi, vc2, S);
    kidx_add(&xi, vs, 1);
    KExpr *v = kb_op(kb, KOP_SUB, op_load_as(kb, ct, xb, xi), op_load_as(kb, ct, mb, c2));
    v = kb_op3(kb, KOP_FMA, v, kb_load(kb, fb, c2), op_load_as(kb, ct, bb, c2));
    kb_store_out(kb, yb, xi, kb_cast(kb, dtype_compute(x->dtype), v));
    kb_endfor_n(kb, 3);
    kb_end(kb);
    return LW_OK;
}

/* LayerNormalization-17: normalize over dims [axis, rank); scale and bias
 * cover those dims (full shape of the normalized part). stash_type is the type
 * of the optional Mean and InvStdDev outputs (U) and the least precision of the
 * statistics: float64 when it or X is float64, else float32. */
static LwStatus ln_import(Ctx *ctx, Node *n, const AttrList *al)
{
    NormAttrs *a = arena_new(ctx->perm, NormAttrs);
    int64_t stash = 1;
    TRY(attr_float(ctx, &n->loc, al, "epsilon", 1e-5f, &a->epsilon));
    TRY(attr_int(ctx, &n->loc, al, "axis", -1, &a->axis));
    TRY(attr_int(ctx, &n->loc, al, "stash_type", 1, &stash));
    a->stash = stash == 0 ? DT_FLOAT32 : dtype_from_onnx(stash); /* 0: unset, the default */
    if (a->stash == DT_UNDEFINED || !dtype_is_floatlike(a->stash))
        return diag_node(ctx, n,
                         "stash_type %lld is not supported (float32, float64, float16, "
                         "bfloat16)",
                         (long long)stash);
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus ln_infer(Ctx *ctx, Graph *g, Node *n)
{
    NormAttrs *a = (NormAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    TRY(op_check_float(ctx, g, n, 0));
    int64_t ax;
    if (!shape_axis(a->axis, x->shape.rank, &ax))
        return diag_node(ctx, n, "axis %lld is out of range", (long long)a->axis);
    a->axis = ax;
    for (uint16_t i = 1; i < n->nin; i++) {
        if (!n->in[i])
            continue;
        const Value *p = op_in(g, n, i);
        if (p->dtype != x->dtype)
            return diag_node(ctx, n, "input %u type differs from X", i);
        uint64_t inner = 1;
        for (int d = (int)ax; d < x->shape.rank; d++)
            inner *= (uint64_t)x->shape.dims[d];
        if (shape_count(&p->shape) != inner)
            return diag_node(ctx, n, "input %u must cover the normalized dims (%llu elements); "
                             "broadcast scale/bias are not supported", i,
                             (unsigned long long)inner);
    }
    /* optional Mean and InvStdDev: the input shape with normalized dims 1 */
    Shape st = x->shape;
    for (int d = (int)ax; d < st.rank; d++)
        st.dims[d] = 1;
    for (uint16_t o = 1; o < n->nout; o++)
        if (n->out[o])
            TRY(op_set_output(ctx, g, n, o, a->stash, &st));
    return op_infer_same(ctx, g, n);
}

static LwStatus norm_lower(KBuilder *kb, const Node *n)
{
    const NormAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < x->shape.rank; i++) {
        if (i < a->axis)
            outer *= x->shape.dims[i];
        else
            inner *= x->shape.dims[i];
    }
    DType ct = op_compute_wider(x->dtype, a->stash);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint32_t sb = op_has_in(n, 1) ? kb_in(kb, 1) : 0, bb = op_has_in(n, 2) ? kb_in(kb, 2) : 0;
    uint16_t mean = kb_local(kb, ktype(ct)), var = kb_local(kb, ktype(ct));
    uint16_t vo = kb_for(kb, outer);
    KIndex base = kidx_const(0);
    kidx_add(&base, vo, inner);
    /* float32 rows in vectors: the sums of x and of (x - mean)^2 as vector reductions (a
     * loop's running sum waits on each add), in another order than a loop's */
    uint8_t L = kb_vector_lanes(kb);
    int vec = L && ct == DT_FLOAT32 && x->dtype == DT_FLOAT32 && inner >= L && kb_vloadable(kb, xb);
    if (vec) {
        kb_reduce_vec(kb, KOP_ADD, xb, base, inner, L, NULL, mean);
    } else {
        kb_set(kb, mean, kb_const_f(kb, ct, 0));
        uint16_t v1 = kb_for(kb, inner);
        KIndex i1 = base;
        kidx_add(&i1, v1, 1);
        kb_set(kb, mean, kb_op(kb, KOP_ADD, kb_var(kb, mean), op_load_as(kb, ct, xb, i1)));
        kb_endfor(kb);
    }
    kb_set(kb, mean, kb_op(kb, KOP_DIV, kb_var(kb, mean), kb_const_f(kb, ct, (double)inner)));
    if (vec) {
        kb_reduce_vec(kb, KOP_ADD, xb, base, inner, L, kb_var(kb, mean), var);
    } else {
        kb_set(kb, var, kb_const_f(kb, ct, 0));
        uint16_t v2 = kb_for(kb, inner);
        KIndex i2 = base;
        kidx_add(&i2, v2, 1);
        KExpr *d = kb_op(kb, KOP_SUB, op_load_as(kb, ct, xb, i2), kb_var(kb, mean));
        kb_set(kb, var, kb_op3(kb, KOP_FMA, d, d, kb_var(kb, var)));
        kb_endfor(kb);
    }
    KExpr *inv =
        kb_op(kb, KOP_DIV, kb_const_f(kb, ct, 1),
              kb_op(kb, KOP_SQRT,
                    kb_op(kb, KOP_ADD,
                          kb_op(kb, KOP_DIV, kb_var(kb, var), kb_const_f(kb, ct, (double)inner)),
                          kb_const_f(kb, ct, a->epsilon)),
                    NULL));
    kb_set(kb, var, inv);
    KIndex oi = kidx_const(0);
    kidx_add(&oi, vo, 1);
    DType ut = dtype_compute(a->stash);
    if (n->nout > 1 && n->out[1])
        kb_store(kb, kb_out(kb, 1), oi, kb_cast(kb, ut, kb_var(kb, mean)));
    if (n->nout > 2 && n->out[2])
        kb_store(kb, kb_out(kb, 2), oi, kb_cast(kb, ut, kb_var(kb, var)));
    uint16_t v3 = kb_for(kb, inner);
    KIndex i3 = base;
    kidx_add(&i3, v3, 1);
    KExpr *y = kb_op(kb, KOP_MUL, kb_op(kb, KOP_SUB, op_load_as(kb, ct, xb, i3), kb_var(kb, mean)),
                     kb_var(kb, var));
    KIndex pi = kidx_const(0);
    kidx_add(&pi, v3, 1);
    /* Y = Cast<T>(normalized) * scale + bias in T (the function body's stage two) */
    DType tt = dtype_compute(x->dtype);
    y = kb_cast(kb, tt, y);
    if (sb)
        y = kb_op(kb, KOP_MUL, y, kb_load(kb, sb, pi));
    if (bb)
        y = kb_op(kb, KOP_ADD, y, kb_load(kb, bb, pi));
    kb_store_out(kb, yb, i3, y);
    kb_endfor_n(kb, 2);
    kb_end(kb);
    return LW_OK;
}

static LwStatus ln_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return norm_lower(kb, n);
}

/* a = scale / sqrt(var + eps), b = bias - mean * a, in float32 as bn_lower does */
static LwStatus bn_coeffs(Ctx *ctx, const Graph *g, const Node *n, float *a, float *b, uint64_t c)
{
    (void)ctx;
    const NormAttrs *at = n->attrs;
    const float *p[4];
    for (uint16_t i = 1; i < 5; i++) {
        const Value *v = op_in(g, n, i);
        if (v->kind != VK_CONST || v->dtype != DT_FLOAT32 || shape_count(&v->shape) != c)
            return LW_ERR_MODEL;
        p[i - 1] = (const float *)(const void *)v->data->bytes;
    }
    for (uint64_t k = 0; k < c; k++) {
        a[k] = p[0][k] / lwrt_sqrtf(p[3][k] + at->epsilon);
        b[k] = p[1][k] - p[2][k] * a[k];
    }
    return LW_OK;
}

static const OpAffine bn_affine = {bn_coeffs};

const OpDef ops_norm[] = {
    {"", "BatchNormalization", 1, LW_OPSET_MAX, 5, 5, 1, 5, FC_OPAQUE, 0, bn_import, bn_infer,
     bn_lower, NULL, &bn_affine, NULL, NULL},
    {"", "LayerNormalization", 17, LW_OPSET_MAX, 1, 3, 1, 3, FC_OPAQUE, 0, ln_import, ln_infer,
     ln_lower, NULL, NULL, NULL, NULL},
};
const uint32_t ops_norm_count = LW_COUNT(ops_norm);
