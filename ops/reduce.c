/* Reductions (axes as attribute, or as input from opset 18; ReduceSum from 13)
 * and ArgMax/ArgMin. */
#include <string.h>

#include "ir/kir_build.h"
#include "ops/families.h"

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LOGSUMEXP,
               R_SUMSQUARE, R_ARGMAX, R_ARGMIN } RKind;

typedef struct ReduceAttrs {
    RKind kind;
    int64_t keepdims, noop_empty, select_last;
    const int64_t *axes;
    uint32_t naxes;
    int axes_attr;
    uint8_t red[LW_MAX_RANK]; /* resolved by infer */
} ReduceAttrs;

static LwStatus reduce_import_kind(Ctx *ctx, Node *n, const AttrList *al, RKind kind,
                                   int axes_input)
{
    ReduceAttrs *a = arena_new(ctx->perm, ReduceAttrs);
    a->kind = kind;
    TRY(attr_int(ctx, &n->loc, al, "keepdims", 1, &a->keepdims));
    if (kind == R_ARGMAX || kind == R_ARGMIN) {
        int64_t ax;
        TRY(attr_int(ctx, &n->loc, al, "axis", 0, &ax));
        TRY(attr_int(ctx, &n->loc, al, "select_last_index", 0, &a->select_last));
        int64_t *p = arena_new(ctx->perm, int64_t);
        *p = ax;
        a->axes = p;
        a->naxes = 1;
        a->axes_attr = 1;
    } else if (axes_input) {
        TRY(attr_int(ctx, &n->loc, al, "noop_with_empty_axes", 0, &a->noop_empty));
    } else {
        TRY(attr_ints_ref(ctx, &n->loc, al, "axes", &a->axes, &a->naxes));
        a->axes_attr = 1;
    }
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

#define IMPORTS(fn, kind)                                                                          \
    static LwStatus fn##_attr(Ctx *ctx, Node *n, const AttrList *al)                               \
    {                                                                                              \
        return reduce_import_kind(ctx, n, al, kind, 0);                                            \
    }                                                                                              \
    static LwStatus fn##_input(Ctx *ctx, Node *n, const AttrList *al)                              \
    {                                                                                              \
        return reduce_import_kind(ctx, n, al, kind, 1);                                            \
    }

IMPORTS(rsum, R_SUM)
IMPORTS(rmean, R_MEAN)
IMPORTS(rmax, R_MAX)
IMPORTS(rmin, R_MIN)
IMPORTS(rprod, R_PROD)
IMPORTS(rl1, R_L1)
IMPORTS(rl2, R_L2)
IMPORTS(rlogsum, R_LOGSUM)
IMPORTS(rlse, R_LOGSUMEXP)
IMPORTS(rss, R_SUMSQUARE)
static LwStatus amax_attr(Ctx *ctx, Node *n, const AttrList *al)
{
    return reduce_import_kind(ctx, n, al, R_ARGMAX, 0);
}
static LwStatus amin_attr(Ctx *ctx, Node *n, const AttrList *al)
{
    return reduce_import_kind(ctx, n, al, R_ARGMIN, 0);
}

static LwStatus reduce_infer(Ctx *ctx, Graph *g, Node *n)
{
    ReduceAttrs *a = (ReduceAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    const int64_t *axes = a->axes;
    uint64_t na = a->naxes;
    if (!a->axes_attr && op_has_in(n, 1)) {
        int64_t *t;
        TRY(op_const_ints(ctx, g, n, 1, &t, &na));
        axes = t;
    }
    int arg = a->kind == R_ARGMAX || a->kind == R_ARGMIN;
    if (!dtype_is_float(x->dtype) && !dtype_is_int(x->dtype))
        return diag_node(ctx, n, "%s input is not supported", dtype_name(x->dtype));
    if (!dtype_is_float(x->dtype) && (a->kind == R_L2 || a->kind == R_LOGSUM ||
                                   a->kind == R_LOGSUMEXP || a->kind == R_MEAN))
        return diag_node(ctx, n, "%s input is not supported for this reduction",
                         dtype_name(x->dtype));
    memset(a->red, 0, sizeof a->red);
    if (na == 0) {
        if (!a->noop_empty)
            for (int i = 0; i < x->shape.rank; i++)
                a->red[i] = 1;
    }
    for (uint64_t k = 0; k < na; k++) {
        int64_t ax;
        if (!shape_axis(axes[k], x->shape.rank, &ax))
            return diag_node(ctx, n, "axis %lld is out of range", (long long)axes[k]);
        a->red[ax] = 1;
    }
    Shape s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < x->shape.rank; i++) {
        if (!a->red[i])
            s.dims[s.rank++] = x->shape.dims[i];
        else if (a->keepdims)
            s.dims[s.rank++] = 1;
        if (a->red[i] && x->shape.dims[i] == 0 && (arg || a->kind == R_MAX || a->kind == R_MIN))
            return diag_node(ctx, n, "reducing an empty axis with no identity");
    }
    return op_set_output(ctx, g, n, 0, arg ? DT_INT64 : x->dtype, &s);
}

static LwStatus reduce_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const ReduceAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    DType dt = x->dtype;
    int64_t xs[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    int arg = a->kind == R_ARGMAX || a->kind == R_ARGMIN;
    uint16_t acc = kb_local(kb, ktype(dt)), best = arg ? kb_local(kb, ktype(DT_INT64)) : 0;
    /* outer loops over kept dims (in input order), then reduced dims */
    KIndex xi = kidx_const(0), yi = kidx_const(0);
    int64_t ystride = 1, count = 1;
    uint16_t kv[LW_MAX_RANK];
    int nk = 0;
    for (int i = 0; i < x->shape.rank; i++)
        if (!a->red[i])
            kv[nk++] = (uint16_t)i;
    uint16_t vars[LW_MAX_RANK];
    for (int j = 0; j < nk; j++)
        vars[kv[j]] = kb_for(kb, x->shape.dims[kv[j]]);
    for (int j = nk - 1; j >= 0; j--) {
        kidx_add(&yi, vars[kv[j]], ystride);
        ystride *= x->shape.dims[kv[j]];
    }
    KExpr *init;
    switch (a->kind) {
    case R_MAX:
    case R_ARGMAX:
        init = kb_const_lowest(kb, dt);
        break;
    case R_MIN:
    case R_ARGMIN:
        init = kb_const_highest(kb, dt);
        break;
    case R_PROD:
        init = kb_const_i(kb, dt, 1);
        break;
    default:
        init = kb_const_i(kb, dt, 0);
        break;
    }
    kb_set(kb, acc, init);
    if (arg)
        kb_set(kb, best, kb_const_i(kb, DT_INT64, 0));
    int nr = 0;
    uint16_t rv = 0;
    for (int i = 0; i < x->shape.rank; i++) {
        if (a->red[i]) {
            vars[i] = kb_for(kb, x->shape.dims[i]);
            rv = vars[i];
            count *= x->shape.dims[i];
            nr++;
        }
        kidx_add(&xi, vars[i], xs[i]);
    }
    KExpr *v = kb_load(kb, xb, xi), *nv = NULL;
    switch (a->kind) {
    case R_SUM:
    case R_MEAN:
        nv = kb_op(kb, KOP_ADD, kb_var(kb, acc), v);
        break;
    case R_MAX:
        nv = kb_op(kb, KOP_MAX, kb_var(kb, acc), v);
        break;
    case R_MIN:
        nv = kb_op(kb, KOP_MIN, kb_var(kb, acc), v);
        break;
    case R_PROD:
        nv = kb_op(kb, KOP_MUL, kb_var(kb, acc), v);
        break;
    case R_L1:
        nv = kb_op(kb, KOP_ADD, kb_var(kb, acc), kb_op(kb, KOP_ABS, v, NULL));
        break;
    case R_L2:
    case R_SUMSQUARE:
        nv = kb_op(kb, KOP_ADD, kb_var(kb, acc), kb_op(kb, KOP_MUL, v, v));
        break;
    case R_LOGSUM:
        nv = kb_op(kb, KOP_ADD, kb_var(kb, acc), v);
        break;
    case R_LOGSUMEXP:
        nv = kb_op(kb, KOP_ADD, kb_var(kb, acc), kb_op(kb, KOP_EXP, v, NULL));
        break;
    case R_ARGMAX:
    case R_ARGMIN: {
        KOp cmp = a->kind == R_ARGMAX ? (a->select_last ? KOP_GE : KOP_GT)
                                      : (a->select_last ? KOP_LE : KOP_LT);
        KExpr *better = kb_op(kb, cmp, v, kb_var(kb, acc));
        KIndex ri = kidx_const(0);
        kidx_add(&ri, rv, 1);
        kb_set(kb, best, kb_select(kb, better, kb_idx(kb, DT_INT64, ri), kb_var(kb, best)));
        nv = kb_select(kb, better, v, kb_var(kb, acc));
        break;
    }
    }
    kb_set(kb, acc, nv);
    kb_endfor_n(kb, nr);
    KExpr *r = kb_var(kb, acc);
    if (a->kind == R_MEAN)
        r = kb_op(kb, KOP_DIV, r, kb_const_f(kb, dt, (double)count));
    else if (a->kind == R_L2)
        r = kb_op(kb, KOP_SQRT, r, NULL);
    else if (a->kind == R_LOGSUM || a->kind == R_LOGSUMEXP)
        r = kb_op(kb, KOP_LOG, r, NULL);
    if (arg)
        r = kb_var(kb, best);
    kb_store_out(kb, yb, yi, r);
    kb_endfor_n(kb, nk);
    kb_end(kb);
    (void)y;
    return LW_OK;
}

#define RED(name, since, until, imp)                                                               \
    {"", name, since, until, 1, 2, 1, 1, FC_REDUCTION, 0, imp, reduce_infer, reduce_lower, NULL,  \
     NULL, NULL, NULL}

const OpDef ops_reduce[] = {
    RED("ReduceSum", 1, 12, rsum_attr),
    RED("ReduceSum", 13, LW_OPSET_MAX, rsum_input),
    RED("ReduceMean", 1, 17, rmean_attr),
    RED("ReduceMean", 18, LW_OPSET_MAX, rmean_input),
    RED("ReduceMax", 1, 17, rmax_attr),
    RED("ReduceMax", 18, LW_OPSET_MAX, rmax_input),
    RED("ReduceMin", 1, 17, rmin_attr),
    RED("ReduceMin", 18, LW_OPSET_MAX, rmin_input),
    RED("ReduceProd", 1, 17, rprod_attr),
    RED("ReduceProd", 18, LW_OPSET_MAX, rprod_input),
    RED("ReduceL1", 1, 17, rl1_attr),
    RED("ReduceL1", 18, LW_OPSET_MAX, rl1_input),
    RED("ReduceL2", 1, 17, rl2_attr),
    RED("ReduceL2", 18, LW_OPSET_MAX, rl2_input),
    RED("ReduceLogSum", 1, 17, rlogsum_attr),
    RED("ReduceLogSum", 18, LW_OPSET_MAX, rlogsum_input),
    RED("ReduceLogSumExp", 1, 17, rlse_attr),
    RED("ReduceLogSumExp", 18, LW_OPSET_MAX, rlse_input),
    RED("ReduceSumSquare", 1, 17, rss_attr),
    RED("ReduceSumSquare", 18, LW_OPSET_MAX, rss_input),
    RED("ArgMax", 1, LW_OPSET_MAX, amax_attr),
    RED("ArgMin", 1, LW_OPSET_MAX, amin_attr),
};
const uint32_t ops_reduce_count = LW_COUNT(ops_reduce);
