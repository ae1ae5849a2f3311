/* dce: Identity and inference Dropout removed (uses read their input), then
 * every node that reaches no graph output. */
#include <string.h>

#include "ops/op.h"
#include "passes/pass.h"

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    graph_recount(g);
    for (uint32_t k = 0; k < g->order.len; k++) {
        Node *n = graph_node(g, g->order.data[k]);
        if (!(n->op->flags & OPF_NOOP) || !n->out[0])
            continue;
        if (n->nout > 1 && n->out[1] && graph_value(g, n->out[1])->nuses)
            continue;
        graph_replace_uses(g, n->out[0], n->in[0]);
    }
    graph_recount(g);
    uint8_t *live = arena_array(ctx->scratch, uint8_t, g->values.len);
    for (uint32_t i = 0; i < g->outputs.len; i++)
        live[g->outputs.data[i]] = 1;
    for (uint32_t k = g->order.len; k-- > 0;) {
        NodeId id = g->order.data[k];
        Node *n = graph_node(g, id);
        int used = 0;
        for (uint16_t o = 0; o < n->nout; o++)
            if (n->out[o] && live[n->out[o]])
                used = 1;
        if (!used) {
            n->op = NULL;
            continue;
        }
        for (uint16_t i = 0; i < n->nin; i++)
            if (n->in[i])
                live[n->in[i]] = 1;
    }
    graph_recount(g);
    return LW_OK;
}

const PassDef pass_dce = {"dce", PK_GRAPH, run,
                          "remove Identity/Dropout and nodes that reach no graph output"};
