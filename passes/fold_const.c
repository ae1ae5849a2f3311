/* fold-const: evaluate every node whose inputs are all constant (e.g. weight
 * transposes, constant arithmetic), up to the fold size limit. */
#include <string.h>

#include "include/lwcc/lwcc.h"
#include "ir/graph.h"
#include "ops/op.h"
#include "passes/pass.h"
#include "target/target.h"

/* Folding must not grow the weights: a node whose outputs are larger than its
 * constant inputs (DequantizeLinear of int8 weights, Expand, Tile) stays a
 * kernel unless the result is small. Except at -O2 on a target with vectors:
 * there weights computed at load (DequantizeLinear) become float32 whatever
 * their size, the form the blocked Conv and Gemm kernels pack and read (-Os and
 * vectorless targets keep them int8: fold_can). */
#define FOLD_GROW_LIMIT 16384

static int worth_folding(const Ctx *ctx, const Graph *g, const Node *n)
{
    if (n->op->at_load && ctx->target->vbytes && ctx->opt && ctx->opt->opt == LW_O2)
        return 1;
    uint64_t in = 0, out = 0;
    for (uint16_t i = 0; i < n->nin; i++)
        if (n->in[i])
            in += graph_value(g, n->in[i])->data->size;
    for (uint16_t o = 0; o < n->nout; o++)
        if (n->out[o]) {
            const Value *v = graph_value(g, n->out[o]);
            out += shape_count(&v->shape) * dtype_size(v->dtype);
        }
    return out <= in || out <= FOLD_GROW_LIMIT;
}

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    uint32_t n0 = g->order.len;
    NodeId *order = arena_array(ctx->scratch, NodeId, n0 ? n0 : 1);
    if (n0)
        memcpy(order, g->order.data, sizeof(NodeId) * n0);
    for (uint32_t k = 0; k < n0; k++) {
        NodeId id = order[k];
        if (graph_node(g, id)->op && fold_can(ctx, id, ctx->lim.fold_elems) &&
            worth_folding(ctx, g, graph_node(g, id)))
            TRY(fold_node(ctx, id));
    }
    graph_recount(g);
    return LW_OK;
}

const PassDef pass_fold_const = {"fold-const", PK_GRAPH, run,
                                 "evaluate constant-only nodes with the kernel-IR interpreter"};
