/* fuse: elementwise nodes whose only input from the graph is the sole use of
 * an out-fusable node (Conv, Gemm, MatMul) become that node's epilogue: they
 * run at its stores, in registers, and their tensor disappears. Inside the chain
 * the type may change (QuantizeLinear then DequantizeLinear: the fake-quantized
 * activations of QDQ models); the chain ends at a value of the node's own type,
 * which its kernel accumulates in. Decided by each op's fusion class and scalar
 * rule, never by its name. */
#include "ops/op.h"
#include "passes/pass.h"

/* Can node c run as an epilogue on the value v it reads as input 0? */
static int fusable_consumer(const Graph *g, const Node *c, ValueId v)
{
    if (!c->op || !c->op->scalar || c->nout != 1 || !c->out[0] || c->in[0] != v ||
        (c->op->fuse != FC_ELEMWISE && c->op->fuse != FC_BROADCAST))
        return 0;
    const Value *in = graph_value(g, v), *out = graph_value(g, c->out[0]);
    if (!shape_equal(&in->shape, &out->shape) ||
        !(dtype_is_float(out->dtype) || dtype_is_int(out->dtype)))
        return 0;
    for (uint16_t i = 1; i < c->nin; i++) {
        if (!c->in[i])
            continue;
        const Value *o = graph_value(g, c->in[i]);
        if (o->kind != VK_CONST || shape_count(&o->shape) != 1)
            return 0; /* only constant scalars travel with an epilogue */
    }
    return 1;
}

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    graph_recount(g);
    /* the single consumer of each value, or 0 */
    NodeId *user = arena_array(ctx->scratch, NodeId, g->values.len);
    for (uint32_t k = 0; k < g->order.len; k++) {
        NodeId id = g->order.data[k];
        const Node *n = graph_node(g, id);
        for (uint16_t i = 0; i < n->nin; i++)
            if (n->in[i])
                user[n->in[i]] = id;
    }
    for (uint32_t k = 0; k < g->order.len; k++) {
        NodeId id = g->order.data[k];
        Node *n = graph_node(g, id);
        if (!n->op || n->op->fuse != FC_OUT_FUSABLE || n->nout != 1 || n->nepi)
            continue;
        DType own = graph_value(g, n->out[0])->dtype;
        if (!dtype_is_float(own))
            continue;
        NodeId chain[16];
        ValueId ends[16];
        uint16_t nc = 0, keep = 0;
        ValueId v = n->out[0];
        while (nc < 16) {
            const Value *val = graph_value(g, v);
            if (val->nuses != 1 || (val->flags & VF_GRAPH_OUTPUT) || !user[v])
                break;
            Node *c = graph_node(g, user[v]);
            if (!fusable_consumer(g, c, v))
                break;
            chain[nc] = user[v];
            v = ends[nc++] = c->out[0];
            if (graph_value(g, v)->dtype == own)
                keep = nc;
        }
        nc = keep; /* up to the last value of the node's own type */
        if (!nc)
            continue;
        v = ends[nc - 1];
        NodeId *epi = arena_array(ctx->perm, NodeId, nc);
        for (uint16_t i = 0; i < nc; i++)
            epi[i] = chain[i];
        /* n now defines the last value of the chain */
        graph_take_output(g, id, v);
        n->epi = epi;
        n->nepi = nc;
    }
    /* fused nodes leave the order but keep their op: the scalar rule and the
     * comment still read it */
    uint8_t *fused = arena_array(ctx->scratch, uint8_t, g->nodes.len);
    for (uint32_t k = 0; k < g->order.len; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        for (uint16_t e = 0; e < n->nepi; e++)
            fused[n->epi[e]] = 1;
    }
    uint32_t w = 0;
    for (uint32_t k = 0; k < g->order.len; k++)
        if (!fused[g->order.data[k]])
            g->order.data[w++] = g->order.data[k];
    g->order.len = w;
    graph_recount(g);
    return LW_OK;
}

const PassDef pass_fuse = {"fuse", PK_GRAPH, run,
                           "fuse elementwise consumers into Conv/Gemm/MatMul epilogues"};
