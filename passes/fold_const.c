/* fold-const: evaluate every node whose inputs are all constant (e.g. weight
 * transposes, constant arithmetic), up to the fold size limit. */
#include <string.h>

#include "passes/pass.h"
#include "ir/graph.h"

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    uint32_t n0 = g->order.len;
    NodeId *order = arena_array(ctx->scratch, NodeId, n0 ? n0 : 1);
    memcpy(order, g->order.data, sizeof(NodeId) * n0);
    for (uint32_t k = 0; k < n0; k++) {
        NodeId id = order[k];
        if (graph_node(g, id)->op && fold_can(ctx, id, ctx->lim.fold_elems))
            TRY(fold_node(ctx, id));
    }
    graph_recount(g);
    return LW_OK;
}

const PassDef pass_fold_const = {"fold-const", PK_GRAPH, run,
                                 "evaluate constant-only nodes with the kernel-IR interpreter"};
