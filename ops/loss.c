/* Loss ops: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, each one
 * kernel over the input viewed as [N, C, D] with the class picked by a clamped
 * data-dependent load (kb_loadx) and ignored targets masked by a select. */
#include <string.h>

#include "ir/kir_build.h"
#include "ops/families.h"

typedef enum { LR_NONE, LR_SUM, LR_MEAN } LossReduction;

typedef struct LossAttrs {
    LossReduction reduction;
    int has_ignore;
    int64_t ignore_index;
} LossAttrs;

/* NegativeLogLikelihoodLoss-12/13/22 and SoftmaxCrossEntropyLoss-12/13 share
 * their attributes: 'reduction' (default "mean") and an optional
 * 'ignore_index' with no default (absent: no target is ignored). */
static LwStatus loss_import(Ctx *ctx, Node *n, const AttrList *al)
{
    LossAttrs *a = arena_new(ctx->perm, LossAttrs);
    const char *red;
    TRY(attr_string(ctx, &n->loc, al, "reduction", "mean", &red));
    if (strcmp(red, "none") == 0)
        a->reduction = LR_NONE;
    else if (strcmp(red, "sum") == 0)
        a->reduction = LR_SUM;
    else if (strcmp(red, "mean") == 0)
        a->reduction = LR_MEAN;
    else
        return diag_node(ctx, n, "reduction '%s' is not one of none, sum, mean", red);
    a->has_ignore = attr_find(al, "ignore_index") != NULL;
    TRY(attr_int(ctx, &n->loc, al, "ignore_index", 0, &a->ignore_index));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

/* Input 0 is [N, C, d1..dk] of a float type, input 1 [N, d1..dk] int32/int64, input 2
 * (optional) [C] of input 0's type. Output 0 is input 1's shape for
 * reduction none, a scalar otherwise; SoftmaxCrossEntropyLoss's optional
 * output 1 (log_prob) is input 0's shape. */
static LwStatus loss_infer(Ctx *ctx, Graph *g, Node *n)
{
    const LossAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0), *t = op_in(g, n, 1);
    TRY(op_check_float(ctx, g, n, 0));
    if (t->dtype != DT_INT32 && t->dtype != DT_INT64)
        return diag_node(ctx, n, "input 1 (target) is %s, expected int32 or int64",
                         dtype_name(t->dtype));
    if (x->shape.rank < 2)
        return diag_node(ctx, n, "input 0 has rank %u, expected [N, C, d1..dk] (rank >= 2)",
                         x->shape.rank);
    if (x->shape.dims[1] < 1)
        return diag_node(ctx, n, "input 0 has no classes (dimension 1 is %lld)",
                         (long long)x->shape.dims[1]);
    int bad = t->shape.rank + 1 != x->shape.rank || t->shape.dims[0] != x->shape.dims[0];
    for (uint8_t i = 1; !bad && i < t->shape.rank; i++)
        bad = t->shape.dims[i] != x->shape.dims[i + 1];
    if (bad) {
        StrBuf xs, ts;
        sb_init(&xs, ctx->scratch);
        sb_init(&ts, ctx->scratch);
        graph_dump_value_type(x, &xs);
        graph_dump_value_type(t, &ts);
        return diag_node(ctx, n, "target %s does not match input %s: expected input's shape "
                         "without dimension 1", sb_cstr(&ts), sb_cstr(&xs));
    }
    if (op_has_in(n, 2)) {
        const Value *w = op_in(g, n, 2);
        if (w->dtype != x->dtype || w->shape.rank != 1 || w->shape.dims[0] != x->shape.dims[1])
            return diag_node(ctx, n, "input 2 (weight) must be [%lld] %s",
                             (long long)x->shape.dims[1], dtype_name(x->dtype));
    }
    Shape s;
    memset(&s, 0, sizeof s);
    if (a->reduction == LR_NONE)
        s = t->shape;
    TRY(op_set_output(ctx, g, n, 0, x->dtype, &s));
    if (n->nout > 1 && n->out[1])
        TRY(op_set_output(ctx, g, n, 1, x->dtype, &x->shape));
    return LW_OK;
}

/* One kernel: for each (n, d) the target t picks x[n, t, d] (clamped load);
 * SoftmaxCrossEntropyLoss first takes log-softmax over C (and stores it when
 * log_prob is wanted). w = ignored ? 0 : (weight ? weight[t] : 1), loss =
 * -x * w; mean divides the summed loss by the summed w (the reference's
 * ReduceSum(L) / ReduceSum(W), which is the count without weights). */
static LwStatus loss_lower_kind(KBuilder *kb, const Node *n, int softmax)
{
    const LossAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *t = op_in(kb->g, n, 1);
    DType dt = dtype_compute(x->dtype), it = t->dtype; /* half types sum in float32 */
    int64_t N = x->shape.dims[0], C = x->shape.dims[1], D = 1;
    for (uint8_t i = 2; i < x->shape.rank; i++)
        D *= x->shape.dims[i];
    int has_w = op_has_in(n, 2), want_lp = softmax && n->nout > 1 && n->out[1];

    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), tb = kb_in(kb, 1), yb = kb_out(kb, 0);
    uint32_t wb = has_w ? kb_in(kb, 2) : 0, lpb = want_lp ? kb_out(kb, 1) : 0;
    /* locals only where used: the printed C is built with -Werror */
    uint16_t acc = 0, wacc = 0, m = 0, s = 0;
    if (a->reduction != LR_NONE) {
        acc = kb_local(kb, ktype(dt));
        kb_set(kb, acc, kb_const_f(kb, dt, 0));
    }
    if (a->reduction == LR_MEAN) {
        wacc = kb_local(kb, ktype(dt));
        kb_set(kb, wacc, kb_const_f(kb, dt, 0));
    }
    if (softmax) {
        m = kb_local(kb, ktype(dt));
        s = kb_local(kb, ktype(dt));
    }
    uint16_t vn = kb_for(kb, N), vd = kb_for(kb, D);
    KIndex xbase = kidx_const(0), ti = kidx_const(0);
    kidx_add(&xbase, vn, C * D);
    kidx_add(&xbase, vd, 1);
    kidx_add(&ti, vn, D);
    kidx_add(&ti, vd, 1);

    if (softmax) {
        /* m = max_c x, s = log(sum_c exp(x - m)): log_prob = x - m - s */
        kb_set(kb, m, kb_const_lowest(kb, dt));
        uint16_t c1 = kb_for(kb, C);
        KIndex i1 = xbase;
        kidx_add(&i1, c1, D);
        kb_set(kb, m, kb_op(kb, KOP_MAX, kb_var(kb, m), kb_load(kb, xb, i1)));
        kb_endfor(kb);
        kb_set(kb, s, kb_const_f(kb, dt, 0));
        uint16_t c2 = kb_for(kb, C);
        KIndex i2 = xbase;
        kidx_add(&i2, c2, D);
        KExpr *e = kb_op(kb, KOP_EXP, kb_op(kb, KOP_SUB, kb_load(kb, xb, i2), kb_var(kb, m)),
                         NULL);
        kb_set(kb, s, kb_op(kb, KOP_ADD, kb_var(kb, s), e));
        kb_endfor(kb);
        kb_set(kb, s, kb_op(kb, KOP_ADD, kb_var(kb, m), kb_op(kb, KOP_LOG, kb_var(kb, s), NULL)));
        if (want_lp) {
            uint16_t c3 = kb_for(kb, C);
            KIndex i3 = xbase;
            kidx_add(&i3, c3, D);
            kb_store(kb, lpb, i3, kb_op(kb, KOP_SUB, kb_load(kb, xb, i3), kb_var(kb, s)));
            kb_endfor(kb);
        }
    }

    /* the class index, clamped to [0, C) before narrowing so that any target
     * (ignored or out of range) reads inside the buffers */
    KExpr *tv = kb_load(kb, tb, ti);
    KExpr *cls = kb_op(kb, KOP_MIN, kb_op(kb, KOP_MAX, tv, kb_const_i(kb, it, 0)),
                       kb_const_i(kb, it, C - 1));
    if (it != DT_INT32)
        cls = kb_cast(kb, DT_INT32, cls);
    KExpr *xv = kb_loadx(kb, xb, xbase, cls, D, C);
    if (softmax)
        xv = kb_op(kb, KOP_SUB, xv, kb_var(kb, s));
    KExpr *w = has_w ? kb_loadx(kb, wb, kidx_const(0), cls, 1, C) : kb_const_f(kb, dt, 1);
    /* an int32 target never equals an ignore_index outside int32 */
    if (a->has_ignore &&
        (it == DT_INT64 || (a->ignore_index >= INT32_MIN && a->ignore_index <= INT32_MAX)))
        w = kb_select(kb, kb_op(kb, KOP_EQ, tv, kb_const_i(kb, it, a->ignore_index)),
                      kb_const_f(kb, dt, 0), w);
    KExpr *loss = kb_op(kb, KOP_MUL, kb_op(kb, KOP_NEG, xv, NULL), w);
    if (a->reduction == LR_NONE) {
        kb_store(kb, yb, ti, loss);
    } else {
        kb_set(kb, acc, kb_op(kb, KOP_ADD, kb_var(kb, acc), loss));
        if (a->reduction == LR_MEAN)
            kb_set(kb, wacc, kb_op(kb, KOP_ADD, kb_var(kb, wacc), w));
    }
    kb_endfor_n(kb, 2);
    if (a->reduction == LR_SUM)
        kb_store(kb, yb, kidx_const(0), kb_var(kb, acc));
    else if (a->reduction == LR_MEAN)
        kb_store(kb, yb, kidx_const(0), kb_op(kb, KOP_DIV, kb_var(kb, acc), kb_var(kb, wacc)));
    kb_end(kb);
    return LW_OK;
}

static LwStatus nll_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return loss_lower_kind(kb, n, 0);
}

static LwStatus sce_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return loss_lower_kind(kb, n, 1);
}

/* Opset 13 (and NegativeLogLikelihoodLoss-22) only widen the float types. */
#define LOSS(name, since, until, nout, lower)                                                      \
    {"", name, since, until, 2, 3, 1, nout, FC_OPAQUE, 0, loss_import, loss_infer, lower, NULL,    \
     NULL, NULL, NULL}

const OpDef ops_loss[] = {
    LOSS("NegativeLogLikelihoodLoss", 12, 12, 1, nll_lower),
    LOSS("NegativeLogLikelihoodLoss", 13, LW_OPSET_MAX, 1, nll_lower),
    LOSS("SoftmaxCrossEntropyLoss", 12, 12, 2, sce_lower),
    LOSS("SoftmaxCrossEntropyLoss", 13, LW_OPSET_MAX, 2, sce_lower),
};
const uint32_t ops_loss_count = LW_COUNT(ops_loss);
