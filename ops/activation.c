/* Activations (scalar rules, fused as epilogues later) and Softmax/LogSoftmax. */
#include <math.h>
#include <string.h>

#include "ir/kir_build.h"
#include "ops/families.h"

typedef struct ActAttrs {
    float alpha, beta, gamma;
    int64_t axis;
    int legacy_axis; /* Softmax before opset 13: coerce to 2-D at axis */
    const char *approximate;
} ActAttrs;

static LwStatus lower_ew(Ctx *ctx, KBuilder *kb, const Node *n)
{
    return kb_lower_elementwise(ctx, kb, n);
}

static LwStatus infer_float(Ctx *ctx, Graph *g, Node *n)
{
    for (uint16_t i = 0; i < n->nin; i++)
        if (n->in[i] && !dtype_is_floatlike(op_in(g, n, i)->dtype))
            return diag_node(ctx, n, "input %u of type %s is not supported (floats only)", i,
                             dtype_name(op_in(g, n, i)->dtype));
    return op_infer_same(ctx, g, n);
}

static LwStatus infer_numeric(Ctx *ctx, Graph *g, Node *n)
{
    DType dt = op_in(g, n, 0)->dtype;
    if (!dtype_is_floatlike(dt) && !dtype_is_int(dt))
        return diag_node(ctx, n, "input of type %s is not supported", dtype_name(dt));
    return op_infer_same(ctx, g, n);
}

static LwStatus import_alpha_beta(Ctx *ctx, Node *n, const AttrList *al, float da, float db,
                                  float dg)
{
    ActAttrs *a = arena_new(ctx->perm, ActAttrs);
    TRY(attr_float(ctx, &n->loc, al, "alpha", da, &a->alpha));
    TRY(attr_float(ctx, &n->loc, al, "beta", db, &a->beta));
    TRY(attr_float(ctx, &n->loc, al, "gamma", dg, &a->gamma));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus leaky_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return import_alpha_beta(ctx, n, al, 0.01f, 0, 0);
}
static LwStatus hsig_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return import_alpha_beta(ctx, n, al, 0.2f, 0.5f, 0);
}
static LwStatus elu_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return import_alpha_beta(ctx, n, al, 1.0f, 0, 0);
}
static LwStatus selu_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return import_alpha_beta(ctx, n, al, 1.67326319217681884765625f, 0,
                             1.05070102214813232421875f);
}
static LwStatus thr_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return import_alpha_beta(ctx, n, al, 1.0f, 0, 0);
}

static KExpr *fconst(KBuilder *kb, KExpr *like, double v)
{
    return kb_const_f(kb, like->type.dt, v);
}

static KExpr *s_relu(KBuilder *kb, const Node *n, KExpr *const *a)
{
    (void)n;
    return kb_op(kb, KOP_MAX, a[0], kb_const_i(kb, a[0]->type.dt, 0));
}

static KExpr *s_leaky(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const ActAttrs *at = n->attrs;
    KExpr *x = a[0];
    return kb_select(kb, kb_op(kb, KOP_GE, x, fconst(kb, x, 0)), x,
                     kb_op(kb, KOP_MUL, x, fconst(kb, x, at->alpha)));
}

static KExpr *clamp01(KBuilder *kb, KExpr *v)
{
    return kb_op(kb, KOP_MIN, kb_op(kb, KOP_MAX, v, fconst(kb, v, 0)), fconst(kb, v, 1));
}

static KExpr *s_hsig(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const ActAttrs *at = n->attrs;
    KExpr *x = a[0];
    return clamp01(kb, kb_op(kb, KOP_ADD, kb_op(kb, KOP_MUL, x, fconst(kb, x, at->alpha)),
                             fconst(kb, x, at->beta)));
}

static KExpr *s_hswish(KBuilder *kb, const Node *n, KExpr *const *a)
{
    (void)n;
    KExpr *x = a[0];
    KExpr *h = clamp01(kb, kb_op(kb, KOP_ADD, kb_op(kb, KOP_MUL, x, fconst(kb, x, 1.0 / 6.0)),
                                 fconst(kb, x, 0.5)));
    return kb_op(kb, KOP_MUL, x, h);
}

static KExpr *expm1ish(KBuilder *kb, KExpr *x)
{
    return kb_op(kb, KOP_SUB, kb_op(kb, KOP_EXP, x, NULL), fconst(kb, x, 1));
}

static KExpr *s_elu(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const ActAttrs *at = n->attrs;
    KExpr *x = a[0];
    return kb_select(kb, kb_op(kb, KOP_GE, x, fconst(kb, x, 0)), x,
                     kb_op(kb, KOP_MUL, fconst(kb, x, at->alpha), expm1ish(kb, x)));
}

static KExpr *s_celu(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const ActAttrs *at = n->attrs;
    KExpr *x = a[0];
    /* max(0,x) + min(0, alpha*(exp(x/alpha)-1)) */
    KExpr *e = kb_op(kb, KOP_MUL, fconst(kb, x, at->alpha),
                     expm1ish(kb, kb_op(kb, KOP_DIV, x, fconst(kb, x, at->alpha))));
    return kb_op(kb, KOP_ADD, kb_op(kb, KOP_MAX, x, fconst(kb, x, 0)),
                 kb_op(kb, KOP_MIN, e, fconst(kb, x, 0)));
}

static KExpr *s_selu(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const ActAttrs *at = n->attrs;
    KExpr *x = a[0];
    KExpr *neg = kb_op(kb, KOP_SUB, kb_op(kb, KOP_MUL, fconst(kb, x, at->alpha),
                                          kb_op(kb, KOP_EXP, x, NULL)),
                       fconst(kb, x, at->alpha));
    return kb_op(kb, KOP_MUL, fconst(kb, x, at->gamma),
                 kb_select(kb, kb_op(kb, KOP_GT, x, fconst(kb, x, 0)), x, neg));
}

static KExpr *softplus(KBuilder *kb, KExpr *x)
{
    /* log(1 + exp(x)), stable: max(x,0) + log(1 + exp(-|x|)) */
    KExpr *ax = kb_op(kb, KOP_ABS, x, NULL);
    KExpr *t = kb_op(kb, KOP_LOG, kb_op(kb, KOP_ADD, fconst(kb, x, 1),
                                        kb_op(kb, KOP_EXP, kb_op(kb, KOP_NEG, ax, NULL), NULL)),
                     NULL);
    return kb_op(kb, KOP_ADD, kb_op(kb, KOP_MAX, x, fconst(kb, x, 0)), t);
}

static KExpr *s_softplus(KBuilder *kb, const Node *n, KExpr *const *a)
{
    (void)n;
    return softplus(kb, a[0]);
}

static KExpr *s_softsign(KBuilder *kb, const Node *n, KExpr *const *a)
{
    (void)n;
    KExpr *x = a[0];
    return kb_op(kb, KOP_DIV, x,
                 kb_op(kb, KOP_ADD, fconst(kb, x, 1), kb_op(kb, KOP_ABS, x, NULL)));
}

static KExpr *s_mish(KBuilder *kb, const Node *n, KExpr *const *a)
{
    (void)n;
    return kb_op(kb, KOP_MUL, a[0], kb_op(kb, KOP_TANH, softplus(kb, a[0]), NULL));
}

static KExpr *s_thr(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const ActAttrs *at = n->attrs;
    KExpr *x = a[0];
    return kb_select(kb, kb_op(kb, KOP_GT, x, fconst(kb, x, at->alpha)), x, fconst(kb, x, 0));
}

static KExpr *s_prelu(KBuilder *kb, const Node *n, KExpr *const *a)
{
    (void)n;
    KExpr *x = a[0];
    return kb_select(kb, kb_op(kb, KOP_LT, x, kb_const_i(kb, x->type.dt, 0)),
                     kb_op(kb, KOP_MUL, x, a[1]), x);
}

static LwStatus prelu_infer(Ctx *ctx, Graph *g, Node *n)
{
    Shape s;
    if (!shape_broadcast(&op_in(g, n, 0)->shape, &op_in(g, n, 1)->shape, &s) ||
        !shape_equal(&s, &op_in(g, n, 0)->shape))
        return diag_node(ctx, n, "slope does not broadcast to X");
    return infer_numeric(ctx, g, n);
}

/* Gelu-20: 0.5 x (1 + erf(x / sqrt 2)), or the tanh approximation. */
static LwStatus gelu_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ActAttrs *a = arena_new(ctx->perm, ActAttrs);
    TRY(attr_string(ctx, &n->loc, al, "approximate", "none", &a->approximate));
    if (strcmp(a->approximate, "none") != 0 && strcmp(a->approximate, "tanh") != 0)
        return diag_node(ctx, n, "approximate '%s' is not supported", a->approximate);
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static KExpr *s_gelu(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const ActAttrs *at = n->attrs;
    KExpr *x = a[0], *inner;
    if (strcmp(at->approximate, "tanh") == 0) {
        KExpr *x3 = kb_op(kb, KOP_MUL, kb_op(kb, KOP_MUL, x, x), x);
        KExpr *u = kb_op(kb, KOP_MUL, fconst(kb, x, 0.7978845608028654),
                         kb_op(kb, KOP_ADD, x, kb_op(kb, KOP_MUL, fconst(kb, x, 0.044715), x3)));
        inner = kb_op(kb, KOP_TANH, u, NULL);
    } else {
        inner = kb_op(kb, KOP_ERF, kb_op(kb, KOP_MUL, x, fconst(kb, x, 0.7071067811865476)),
                      NULL);
    }
    return kb_op(kb, KOP_MUL, kb_op(kb, KOP_MUL, fconst(kb, x, 0.5), x),
                 kb_op(kb, KOP_ADD, fconst(kb, x, 1), inner));
}

/* Clip-6: min/max attributes; Clip-11+: optional scalar inputs. */
static LwStatus clip6_import_real(Ctx *ctx, Node *n, const AttrList *al)
{
    ActAttrs *a = arena_new(ctx->perm, ActAttrs);
    TRY(attr_float(ctx, &n->loc, al, "min", -INFINITY, &a->alpha));
    TRY(attr_float(ctx, &n->loc, al, "max", INFINITY, &a->beta));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static KExpr *s_clip6(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const ActAttrs *at = n->attrs;
    KExpr *x = a[0];
    return kb_op(kb, KOP_MIN, kb_op(kb, KOP_MAX, x, fconst(kb, x, at->alpha)),
                 fconst(kb, x, at->beta));
}

static LwStatus clip_infer(Ctx *ctx, Graph *g, Node *n)
{
    for (uint16_t i = 1; i < n->nin; i++) {
        if (!n->in[i])
            continue;
        const Value *v = op_in(g, n, i);
        if (v->dtype != op_in(g, n, 0)->dtype || shape_count(&v->shape) != 1)
            return diag_node(ctx, n, "input %u must be a scalar of the input's type", i);
    }
    return infer_numeric(ctx, g, n);
}

static LwStatus clip_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    /* min/max are scalars: read them as broadcast loads (rank 0) */
    return kb_lower_elementwise(ctx, kb, n);
}

static KExpr *s_clip(KBuilder *kb, const Node *n, KExpr *const *a)
{
    KExpr *x = a[0];
    if (n->nin > 1 && a[1])
        x = kb_op(kb, KOP_MAX, x, a[1]);
    if (n->nin > 2 && a[2])
        x = kb_op(kb, KOP_MIN, x, a[2]);
    return x;
}

/* Softmax / LogSoftmax / Hardmax: the reduced axis is viewed as [outer, K, inner]. */
static LwStatus softmax_import_legacy(Ctx *ctx, Node *n, const AttrList *al)
{
    ActAttrs *a = arena_new(ctx->perm, ActAttrs);
    TRY(attr_int(ctx, &n->loc, al, "axis", 1, &a->axis));
    a->legacy_axis = 1;
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus softmax_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ActAttrs *a = arena_new(ctx->perm, ActAttrs);
    TRY(attr_int(ctx, &n->loc, al, "axis", -1, &a->axis));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus softmax_infer(Ctx *ctx, Graph *g, Node *n)
{
    const ActAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    int64_t ax;
    if (!shape_axis(a->axis, x->shape.rank, &ax))
        return diag_node(ctx, n, "axis %lld is out of range for rank %u", (long long)a->axis,
                         x->shape.rank);
    return infer_float(ctx, g, n);
}

static void softmax_dims(const Node *n, const Shape *s, int64_t *outer, int64_t *k,
                         int64_t *inner)
{
    const ActAttrs *a = n->attrs;
    int64_t ax;
    shape_axis(a->axis, s->rank, &ax);
    *outer = *k = *inner = 1;
    for (int i = 0; i < s->rank; i++) {
        if (i < ax)
            *outer *= s->dims[i];
        else if (i == ax || a->legacy_axis)
            *k *= s->dims[i];
        else
            *inner *= s->dims[i];
    }
}

typedef enum { SM_SOFTMAX, SM_LOGSOFTMAX, SM_HARDMAX } SmKind;

static LwStatus softmax_lower_kind(KBuilder *kb, const Node *n, SmKind kind)
{
    const Value *x = op_in(kb->g, n, 0);
    int64_t outer, K, inner;
    softmax_dims(n, &x->shape, &outer, &K, &inner);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    DType dt = x->dtype;
    uint16_t m = kb_local(kb, ktype(dt)), s = kb_local(kb, ktype(dt));
    uint16_t o = kb_for(kb, outer), i = kb_for(kb, inner);
    KIndex base = kidx_const(0);
    kidx_add(&base, o, K * inner);
    kidx_add(&base, i, 1);
    /* a row of float32 in vectors: its maximum and sum (the exps stored first) as vector
     * reductions, where a loop's running sum waits on each add */
    uint8_t L = kb_vector_lanes(kb);
    int vec = kind == SM_SOFTMAX && L && inner == 1 && dt == DT_FLOAT32 && K >= L &&
              kb_vloadable(kb, xb) && kb_vloadable(kb, yb);
    /* max */
    if (vec) {
        kb_reduce_vec(kb, KOP_MAX, xb, base, K, L, NULL, m);
    } else {
        kb_set(kb, m, kb_const_lowest(kb, dt));
        uint16_t k = kb_for(kb, K);
        KIndex ix = base;
        kidx_add(&ix, k, inner);
        kb_set(kb, m, kb_op(kb, KOP_MAX, kb_var(kb, m), kb_load(kb, xb, ix)));
        kb_endfor(kb);
    }
    if (kind == SM_HARDMAX) {
        /* y = (x == max && no earlier max) ? 1 : 0: track "seen" in s */
        kb_set(kb, s, kb_const_f(kb, dt, 0));
        uint16_t k2 = kb_for(kb, K);
        KIndex ix2 = base;
        kidx_add(&ix2, k2, inner);
        KExpr *hit = kb_op(kb, KOP_EQ, kb_load(kb, xb, ix2), kb_var(kb, m));
        KExpr *first = kb_op(kb, KOP_EQ, kb_var(kb, s), kb_const_f(kb, dt, 0));
        KExpr *one = kb_select(kb, hit, kb_select(kb, first, kb_const_f(kb, dt, 1),
                                                  kb_const_f(kb, dt, 0)),
                               kb_const_f(kb, dt, 0));
        kb_store(kb, yb, ix2, one);
        kb_set(kb, s, kb_op(kb, KOP_MAX, kb_var(kb, s), kb_load(kb, yb, ix2)));
        kb_endfor(kb);
        kb_endfor_n(kb, 2);
        kb_end(kb);
        return LW_OK;
    }
    /* sum of exp(x - max) */
    kb_set(kb, s, kb_const_f(kb, dt, 0));
    uint16_t k2 = kb_for(kb, K);
    KIndex ix2 = base;
    kidx_add(&ix2, k2, inner);
    KExpr *e = kb_op(kb, KOP_EXP, kb_op(kb, KOP_SUB, kb_load(kb, xb, ix2), kb_var(kb, m)), NULL);
    if (vec) {
        kb_store(kb, yb, ix2, e);
        kb_endfor(kb);
        kb_reduce_vec(kb, KOP_ADD, yb, base, K, L, NULL, s);
    } else if (kind == SM_SOFTMAX) {
        kb_store(kb, yb, ix2, e);
        kb_set(kb, s, kb_op(kb, KOP_ADD, kb_var(kb, s), kb_load(kb, yb, ix2)));
    } else {
        kb_set(kb, s, kb_op(kb, KOP_ADD, kb_var(kb, s), e));
    }
    if (!vec)
        kb_endfor(kb);
    uint16_t k3 = kb_for(kb, K);
    KIndex ix3 = base;
    kidx_add(&ix3, k3, inner);
    if (kind == SM_SOFTMAX) {
        kb_store_out(kb, yb, ix3, kb_op(kb, KOP_DIV, kb_load(kb, yb, ix3), kb_var(kb, s)));
    } else {
        KExpr *ls = kb_op(kb, KOP_LOG, kb_var(kb, s), NULL);
        kb_store_out(kb, yb, ix3,
                     kb_op(kb, KOP_SUB, kb_op(kb, KOP_SUB, kb_load(kb, xb, ix3), kb_var(kb, m)),
                           ls));
    }
    kb_endfor(kb);
    kb_endfor_n(kb, 2);
    kb_end(kb);
    return LW_OK;
}

static LwStatus softmax_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return softmax_lower_kind(kb, n, SM_SOFTMAX);
}
static LwStatus logsoftmax_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return softmax_lower_kind(kb, n, SM_LOGSOFTMAX);
}
static LwStatus hardmax_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return softmax_lower_kind(kb, n, SM_HARDMAX);
}

#define ACT(name, since, until, imp, infer, scalar)                                                \
    {"", name, since, until, 1, 1, 1, 1, FC_ELEMWISE, OPF_INPLACE_OK | OPF_LOADS_PLAIN, imp, infer, lower_ew,       \
     scalar, NULL, NULL, NULL}

int op_is_relu(const Node *n)
{
    return n->op && n->op->scalar == s_relu;
}

const OpDef ops_activation[] = {
    ACT("Relu", 6, LW_OPSET_MAX, op_no_attrs, infer_numeric, s_relu),
    ACT("LeakyRelu", 6, LW_OPSET_MAX, leaky_import, infer_float, s_leaky),
    ACT("HardSigmoid", 6, LW_OPSET_MAX, hsig_import, infer_float, s_hsig),
    ACT("HardSwish", 14, LW_OPSET_MAX, op_no_attrs, infer_float, s_hswish),
    ACT("Elu", 6, LW_OPSET_MAX, elu_import, infer_float, s_elu),
    ACT("Celu", 12, LW_OPSET_MAX, elu_import, infer_float, s_celu),
    ACT("Selu", 6, LW_OPSET_MAX, selu_import, infer_float, s_selu),
    ACT("Softplus", 1, LW_OPSET_MAX, op_no_attrs, infer_float, s_softplus),
    ACT("Softsign", 1, LW_OPSET_MAX, op_no_attrs, infer_float, s_softsign),
    ACT("Mish", 18, LW_OPSET_MAX, op_no_attrs, infer_float, s_mish),
    ACT("ThresholdedRelu", 10, LW_OPSET_MAX, thr_import, infer_float, s_thr),
    ACT("Gelu", 20, LW_OPSET_MAX, gelu_import, infer_float, s_gelu),
    ACT("Clip", 6, 10, clip6_import_real, infer_float, s_clip6),
    {"", "Clip", 11, LW_OPSET_MAX, 1, 3, 1, 1, FC_ELEMWISE, OPF_INPLACE_OK, op_no_attrs,
     clip_infer, clip_lower, s_clip, NULL, NULL, NULL},
    {"", "PRelu", 9, LW_OPSET_MAX, 2, 2, 1, 1, FC_BROADCAST, OPF_INPLACE_OK, op_no_attrs,
     prelu_infer, lower_ew, s_prelu, NULL, NULL, NULL},
    {"", "Softmax", 1, 12, 1, 1, 1, 1, FC_OPAQUE, 0, softmax_import_legacy, softmax_infer,
     softmax_lower, NULL, NULL, NULL, NULL},
    {"", "Softmax", 13, LW_OPSET_MAX, 1, 1, 1, 1, FC_OPAQUE, 0, softmax_import, softmax_infer,
     softmax_lower, NULL, NULL, NULL, NULL},
    {"", "LogSoftmax", 1, 12, 1, 1, 1, 1, FC_OPAQUE, 0, softmax_import_legacy, softmax_infer,
     logsoftmax_lower, NULL, NULL, NULL, NULL},
    {"", "LogSoftmax", 13, LW_OPSET_MAX, 1, 1, 1, 1, FC_OPAQUE, 0, softmax_import, softmax_infer,
     logsoftmax_lower, NULL, NULL, NULL, NULL},
    {"", "Hardmax", 1, 12, 1, 1, 1, 1, FC_OPAQUE, 0, softmax_import_legacy, softmax_infer,
     hardmax_lower, NULL, NULL, NULL, NULL},
    {"", "Hardmax", 13, LW_OPSET_MAX, 1, 1, 1, 1, FC_OPAQUE, 0, softmax_import, softmax_infer,
     hardmax_lower, NULL, NULL, NULL, NULL},
};
const uint32_t ops_activation_count = LW_COUNT(ops_activation);
