/* fold-transpose: two permutations of axes that meet (a Transpose of a Transpose whose
 * output has no other reader) become one, reading the first one's input: none at all
 * where they cancel (the second's readers read that input), unless the second's output
 * is a graph output (then one copy). Asked of the op table (OpDef.permute), never by op
 * name. */
#include "ops/op.h"
#include "passes/pass.h"

static void fold_one(Ctx *ctx, Graph *g, NodeId id)
{
    Node *n = graph_node(g, id);
    const Value *mid = graph_value(g, n->in[0]);
    if (mid->kind != VK_NODE || mid->nuses != 1 || (mid->flags & VF_GRAPH_OUTPUT))
        return;
    Node *p = graph_node(g, mid->def);
    if (!p->op || !p->op->permute || p->nepi || n->nepi || p->nout != 1 || p->out[0] != n->in[0] ||
        !p->in[0])
        return;
    int r = mid->shape.rank, same = 1;
    int64_t p1[LW_MAX_RANK], p2[LW_MAX_RANK], q[LW_MAX_RANK];
    p->op->permute->get(p, p1);
    n->op->permute->get(n, p2);
    /* n's output dim i is mid's dim p2[i], which is x's dim p1[p2[i]] */
    for (int i = 0; i < r; i++) {
        q[i] = p1[p2[i]];
        same &= q[i] == i;
    }
    ValueId x = p->in[0];
    p->op = NULL; /* its output has no reader left */
    if (same && !(graph_value(g, n->out[0])->flags & VF_GRAPH_OUTPUT)) {
        /* (reader counts kept right for the permutations after it: x loses p, gains
         * n's readers) */
        graph_value(g, x)->nuses += graph_value(g, n->out[0])->nuses - 1;
        graph_replace_uses(g, n->out[0], x);
        n->op = NULL;
        return;
    }
    n->attrs = n->op->permute->with_perm(ctx->perm, n, q);
    n->in[0] = x;
}

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    graph_recount(g);
    for (uint32_t k = 0; k < g->order.len; k++) {
        NodeId id = g->order.data[k];
        const Node *n = graph_node(g, id);
        if (n->op && n->op->permute && n->nin && n->in[0] && n->nout == 1 && n->out[0])
            fold_one(ctx, g, id);
    }
    graph_recount(g);
    return LW_OK;
}

const PassDef pass_fold_transpose = {"fold-transpose", PK_GRAPH, run,
                                     "merge a Transpose of a Transpose into one (none where "
                                     "they cancel)"};
