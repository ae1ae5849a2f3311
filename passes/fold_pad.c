/* fold-pad: a constant padding of a window op's input (Pad before Conv, as exporters
 * write asymmetric or "same" padding: mlperf_dscnn's 4 rows above and 5 below its 10x4
 * kernel) becomes the window op's own pads, where the op reads its pads as elements of
 * that value (OpWindow.pads_read_as: a Conv's are zeros) and the padded tensor has no
 * other reader. The padded copy and its kernel disappear; the op's schedules read x where
 * it is or pad it in their own copy. Only the spatial dims, and only where each side's
 * pads stay under the window's extent (no window wholly in the pads); a Pad of no
 * elements at all (a copy) folds into any window op. Asked of the op
 * table (OpDef.const_pad, OpWindow), never by op name. */
#include "ops/op.h"
#include "ops/spatial.h"
#include "passes/pass.h"

static void fold_one(Ctx *ctx, Graph *g, NodeId cid)
{
    Node *c = graph_node(g, cid);
    const OpWindow *win = c->op->window;
    const Value *xp = graph_value(g, c->in[0]);
    if (xp->kind != VK_NODE || xp->nuses != 1 || (xp->flags & VF_GRAPH_OUTPUT))
        return;
    const Node *p = graph_node(g, xp->def);
    if (!p->op || !p->op->const_pad || p->nepi || p->nout != 1 || p->out[0] != c->in[0])
        return; /* (one reader: c reads it as input 0 alone) */
    Window w;
    uint64_t macs;
    float cv, pv;
    if (!win->get(g, c, &w, &macs))
        return;
    int64_t pb[LW_MAX_RANK], pe[LW_MAX_RANK], any = 0;
    int sp = (int)w.nk, r = xp->shape.rank;
    if (r != sp + 2 || !p->op->const_pad(ctx, g, p, pb, pe, &pv))
        return;
    if (pb[0] || pe[0] || pb[1] || pe[1])
        return; /* batch or channels padded */
    for (int i = 2; i < r; i++)
        any |= pb[i] | pe[i];
    /* (no pads at all: a copy, whatever the value) */
    if (any && (!win->pads_read_as || !win->pads_read_as(c, &cv) || pv != cv))
        return;
    int64_t pads[2 * LW_MAX_SPATIAL];
    for (int i = 0; i < sp; i++) {
        int64_t ek = (w.kernel[i] - 1) * w.dilations[i] + 1;
        /* (compared before they are added: a model's pads may be huge) */
        if (pb[2 + i] >= ek || pe[2 + i] >= ek || w.pads[i] >= ek - pb[2 + i] ||
            w.pads[sp + i] >= ek - pe[2 + i])
            return;
        pads[i] = w.pads[i] + pb[2 + i];
        pads[sp + i] = w.pads[sp + i] + pe[2 + i];
    }
    ValueId x = p->in[0];
    c->attrs = win->with_pads(ctx->perm, c, pads);
    c->in[0] = x;
    graph_node(g, xp->def)->op = NULL; /* its output has no reader left */
}

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    graph_recount(g);
    for (uint32_t k = 0; k < g->order.len; k++) {
        NodeId id = g->order.data[k];
        const Node *n = graph_node(g, id);
        if (n->op && n->op->window && n->nin && n->in[0])
            fold_one(ctx, g, id);
    }
    graph_recount(g);
    return LW_OK;
}

const PassDef pass_fold_pad = {"fold-pad", PK_GRAPH, run,
                               "fold a constant Pad into the Conv or AveragePool that reads it"};
