/* fold-affine: a per-channel affine op (BatchNormalization) after a linear op
 * with constant weights and a bias input (Conv, Gemm) is folded into the weights
 * and bias:
 *   W'[m] = W[m] * a[m],  B'[m] = B[m] * a[m] + b[m].
 * The output channel m is the weight's dim out_axis (Conv's [M, C/g, k...]), or
 * the `out` side of the op's matrix (Gemm's [N, K] or [K, N]).
 * Asked of the op table (OpAffine, OpLinear), never by op name. */
#include <string.h>

#include "ops/op.h"
#include "passes/pass.h"

static LwStatus fold_one(Ctx *ctx, Graph *g, NodeId lid, NodeId aid)
{
    Node *ln = graph_node(g, lid), *an = graph_node(g, aid);
    const OpLinear *lin = ln->op->linear;
    const Value *w = graph_value(g, ln->in[lin->weight_in]);
    const Value *y = graph_value(g, ln->out[0]);
    if (y->shape.rank < 2 || lin->bias_in == 255 || (lin->plain_bias && !lin->plain_bias(g, ln)))
        return LW_OK;
    uint64_t C = (uint64_t)y->shape.dims[1];
    if (w->kind != VK_CONST || w->dtype != DT_FLOAT32)
        return LW_OK;
    /* the weight as rows [C][per] (tr 0) or columns [per][C] (tr 1) */
    uint64_t mout = 0, min = 0;
    int tr = 0;
    if (lin->out_axis == 0) {
        if ((uint64_t)w->shape.dims[0] != C)
            return LW_OK;
    } else if (lin->out_axis != 255 || !lin->matrix(g, ln, &mout, &min, &tr) || mout != C ||
               y->shape.rank != 2) {
        return LW_OK;
    }
    const Value *bias = ln->nin > lin->bias_in && ln->in[lin->bias_in]
                            ? graph_value(g, ln->in[lin->bias_in])
                            : NULL;
    if (bias && (bias->kind != VK_CONST || bias->dtype != DT_FLOAT32 || shape_count(&bias->shape) != C))
        return LW_OK;
    float *a = arena_array(ctx->scratch, float, C), *b = arena_array(ctx->scratch, float, C);
    uint32_t errs = ctx->diag->errors;
    if (an->op->affine->coeffs(ctx, g, an, a, b, C) != LW_OK) {
        ctx->diag->errors = errs;
        return LW_OK; /* not constant: leave it */
    }
    uint64_t wn = shape_count(&w->shape), per = wn / C;
    /* every element written below */
    float *nw = arena_must(arena_alloc_uninit(ctx->perm, (size_t)wn * sizeof(float)));
    float *nb = arena_must(arena_alloc_uninit(ctx->perm, (size_t)C * sizeof(float)));
    const float *ow = (const float *)(const void *)w->data->bytes;
    for (uint64_t m = 0; m < C; m++) {
        for (uint64_t i = 0; i < per; i++) {
            uint64_t at = tr ? i * C + m : m * per + i;
            nw[at] = ow[at] * a[m];
        }
        float ob = 0;
        if (bias)
            memcpy(&ob, bias->data->bytes + m * 4, 4);
        nb[m] = ob * a[m] + b[m];
    }
    ValueId wv = graph_add_const(ctx->perm, g, w->name, DT_FLOAT32, &w->shape,
                                 (const unsigned char *)nw, wn * 4);
    int64_t cd = (int64_t)C;
    Shape bs = shape_make(1, &cd);
    ValueId bv = graph_add_const(ctx->perm, g, bias ? bias->name : "", DT_FLOAT32, &bs,
                                 (const unsigned char *)nb, C * 4);
    ln = graph_node(g, lid);
    an = graph_node(g, aid);
    if (ln->nin <= lin->bias_in) {
        ValueId *in = arena_array(ctx->perm, ValueId, (size_t)lin->bias_in + 1);
        memcpy(in, ln->in, sizeof(ValueId) * ln->nin);
        ln->in = in;
        ln->nin = (uint16_t)(lin->bias_in + 1);
    }
    ln->in[lin->weight_in] = wv;
    ln->in[lin->bias_in] = bv;
    /* the linear node now produces the affine node's output */
    graph_take_output(g, lid, an->out[0]);
    an->op = NULL;
    return LW_OK;
}

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    graph_recount(g);
    for (uint32_t k = 0; k < g->order.len; k++) {
        NodeId aid = g->order.data[k];
        Node *an = graph_node(g, aid);
        if (!an->op || !an->op->affine || !an->in[0] || an->nout != 1)
            continue;
        const Value *x = graph_value(g, an->in[0]);
        if (x->kind != VK_NODE || x->nuses != 1 || (x->flags & VF_GRAPH_OUTPUT))
            continue;
        NodeId lid = x->def;
        const Node *ln = graph_node(g, lid);
        if (!ln->op || !ln->op->linear || ln->nepi || ln->out[0] != an->in[0])
            continue;
        TRY(fold_one(ctx, g, lid, aid));
    }
    graph_recount(g);
    return LW_OK;
}

const PassDef pass_fold_affine = {"fold-affine", PK_GRAPH, run,
                                  "fold BatchNormalization into the preceding Conv's or Gemm's "
                                  "weights"};
