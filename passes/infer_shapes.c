/* infer-shapes: output types of every node in order, folding small constant
 * subgraphs on the way (Shape/Gather/Unsqueeze/Concat chains, constant shape
 * operands) so that later nodes see static shapes. */
#include <string.h>

#include "ops/op.h"
#include "passes/pass.h"

/* Shape subgraphs are small: anything up to this many elements folds here. */
#define SHAPE_FOLD_ELEMS 4096

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    uint32_t n0 = g->order.len;
    NodeId *order = arena_array(ctx->scratch, NodeId, n0 ? n0 : 1);
    if (n0)
        memcpy(order, g->order.data, sizeof(NodeId) * n0);
    for (uint32_t k = 0; k < n0; k++) {
        NodeId id = order[k];
        Node *n = graph_node(g, id);
        if (!n->op)
            continue;
        for (uint16_t i = 0; i < n->nin; i++) {
            const Value *v = n->in[i] ? graph_value(g, n->in[i]) : NULL;
            if (v && !(v->flags & VF_SHAPED))
                LW_ICE("input %u of node '%s' has no type", i, n->loc.name);
        }
        TRY(n->op->infer(ctx, g, n));
        if (fold_can(ctx, id, SHAPE_FOLD_ELEMS))
            TRY(fold_node(ctx, id));
    }
    graph_recount(g);
    return LW_OK;
}

const PassDef pass_infer_shapes = {"infer-shapes", PK_GRAPH, run,
                                   "infer output types and static shapes; fold shape subgraphs"};
