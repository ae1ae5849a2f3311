/* fuse: elementwise nodes whose input from the chain is the sole use of an
 * out-fusable node (Conv, Gemm, MatMul) or of another elementwise node become that
 * node's epilogue: they run at its stores, in registers, and their tensor
 * disappears. An epilogue's other inputs are constant scalars (inline) or tensors
 * that broadcast to the stored value's shape and are computed before the node (a
 * bias, a residual Add, the x of x * sigmoid(x) or of GELU's
 * x * (1 + erf(x / sqrt 2)) / 2), loaded at the element stored. Inside the chain
 * the type may change (QuantizeLinear then DequantizeLinear: the fake-quantized
 * activations of QDQ models); the chain ends at a value of the node's own type,
 * which its kernel accumulates in, or at a quantized integer value whose readers
 * all dequantize it where they load it (then the arena holds the int8 tensor and
 * no float copy of it exists). Decided by each op's fusion class and scalar
 * rule, never by its name. */
#include "ops/op.h"
#include "passes/pass.h"

static int elementwise(const Node *n)
{
    return n->op && n->op->scalar && (n->op->fuse == FC_ELEMWISE || n->op->fuse == FC_BROADCAST);
}

/* Can node c run as an epilogue of node p on the value v? *arg: v's input of c.
 * pos[]: order positions (the other inputs must exist before p runs). */
static int fusable_consumer(const Graph *g, const Node *c, ValueId v, const uint32_t *pos,
                            NodeId p, const ValueId *cv, uint16_t ncv, uint8_t *arg)
{
    if (!elementwise(c) || c->nout != 1 || !c->out[0] || c->nin > 8)
        return 0;
    const Value *in = graph_value(g, v), *out = graph_value(g, c->out[0]);
    if (!shape_equal(&in->shape, &out->shape) ||
        !(dtype_is_float(out->dtype) || dtype_is_int(out->dtype)))
        return 0;
    int found = 0;
    for (uint16_t i = 0; i < c->nin; i++) {
        if (!c->in[i])
            continue;
        if (c->in[i] == v) {
            if (found++)
                return 0; /* x * x: v twice */
            *arg = (uint8_t)i;
            continue;
        }
        uint16_t k = 0;
        while (k < ncv && cv[k] != c->in[i])
            k++;
        if (k < ncv)
            continue; /* an earlier value of the chain, in registers */
        const Value *o = graph_value(g, c->in[i]);
        if (shape_count(&o->shape) == 1 && o->kind == VK_CONST)
            continue; /* a constant scalar travels inline */
        Shape b;
        if (!shape_broadcast(&o->shape, &out->shape, &b) || !shape_equal(&b, &out->shape))
            return 0;
        if (o->kind == VK_NODE &&
            (pos[o->def] >= pos[p] || lower_at_load(g, graph_node(g, o->def))))
            return 0; /* made after the node runs, or it has no tensor */
    }
    return found == 1;
}

/* Is every use of v a DequantizeLinear-like node computed at each load of its
 * readers (passes/lower.c), or an op that takes the integers (MaxPool, a QLinear* op
 * of a QOperator model)? Then v, an integer tensor, is what the arena holds. */
static int stored_as_integer(const Graph *g, ValueId v)
{
    uint32_t uses = 0;
    for (uint32_t k = 0; k < g->order.len; k++) {
        const Node *d = graph_node(g, g->order.data[k]);
        for (uint16_t i = 0; i < d->nin; i++) {
            if (d->in[i] != v)
                continue;
            if (d->op->at_load && (i != 0 || !lower_at_load(g, d)))
                return 0;
            uses++;
        }
    }
    return uses > 0 && uses == graph_value(g, v)->nuses;
}

#define KB_CHAIN 16 /* epilogue nodes of one node (KB_MAX_EPI) */

static int reads(const Node *c, ValueId v)
{
    for (uint16_t i = 0; i < c->nin; i++)
        if (c->in[i] == v)
            return 1;
    return 0;
}

/* Are all of v's uses (as counted by graph_recount) inputs of chain[0..nc)? */
static int reads_inside(const Graph *g, ValueId v, const NodeId *chain, uint16_t nc)
{
    uint32_t uses = 0;
    for (uint16_t k = 0; k < nc; k++) {
        const Node *c = graph_node(g, chain[k]);
        for (uint16_t i = 0; i < c->nin; i++)
            uses += c->in[i] == v;
    }
    return uses == graph_value(g, v)->nuses;
}

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    graph_recount(g);
    /* the single consumer of each value, or 0; order positions; nodes fused so far */
    NodeId *user = arena_array(ctx->scratch, NodeId, g->values.len);
    uint32_t *pos = arena_array(ctx->scratch, uint32_t, g->nodes.len);
    uint8_t *fused = arena_array(ctx->scratch, uint8_t, g->nodes.len);
    for (uint32_t k = 0; k < g->order.len; k++)
        pos[g->order.data[k]] = k;
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
        if (!n->op || !(n->op->fuse == FC_OUT_FUSABLE || elementwise(n)) || n->nout != 1 ||
            n->nepi || fused[id])
            continue;
        DType own = graph_value(g, n->out[0])->dtype;
        if (!dtype_is_float(own))
            continue;
        NodeId chain[KB_CHAIN];
        ValueId cv[KB_CHAIN + 1]; /* the chain's values: n's own, then each node's */
        uint8_t args[KB_CHAIN];
        uint16_t nc = 0, keep = 0;
        int quant = 0;
        ValueId v = cv[0] = n->out[0];
        while (nc < KB_CHAIN) {
            const Value *val = graph_value(g, v);
            if (!val->nuses || (val->flags & VF_GRAPH_OUTPUT))
                break;
            /* the next node: the one reader of v that can take it, when v has
             * several (x of x * sigmoid(x): Sigmoid now, the Mul once it can) */
            NodeId next = 0;
            uint8_t a = 0;
            int many = 0;
            if (val->nuses == 1) {
                if (user[v] && fusable_consumer(g, graph_node(g, user[v]), v, pos, id, cv,
                                                (uint16_t)(nc + 1), &a))
                    next = user[v];
            } else {
                for (uint32_t k2 = pos[id] + 1; k2 < g->order.len && !many; k2++) {
                    NodeId cid = g->order.data[k2];
                    const Node *c = graph_node(g, cid);
                    uint8_t a2;
                    if (fused[cid] || !reads(c, v) ||
                        !fusable_consumer(g, c, v, pos, id, cv, (uint16_t)(nc + 1), &a2))
                        continue;
                    many = next != 0;
                    next = cid;
                    a = a2;
                }
            }
            if (!next || many)
                break;
            Node *c = graph_node(g, next);
            chain[nc] = next;
            args[nc] = a;
            v = cv[++nc] = c->out[0];
            DType dt = graph_value(g, v)->dtype;
            /* a prefix of the chain is kept when every value before its last is read
             * only inside it */
            int inside = 1;
            for (uint16_t q = 0; q < nc && inside; q++)
                inside = reads_inside(g, cv[q], chain, nc);
            if (!inside)
                continue;
            if (dt == own && !quant)
                keep = nc;
            if (dtype_is_int(dt) && stored_as_integer(g, v))
                keep = nc, quant = 1; /* stored quantized: readers dequantize as they load,
                                       * or take the integers */
        }
        /* up to the last quantized value read through its dequantization, else the
         * last value of the node's own type */
        nc = keep;
        if (!nc)
            continue;
        v = cv[nc];
        NodeId *epi = arena_array(ctx->perm, NodeId, nc);
        uint8_t *arg = arena_array(ctx->perm, uint8_t, nc);
        for (uint16_t i = 0; i < nc; i++) {
            epi[i] = chain[i];
            arg[i] = args[i];
            fused[chain[i]] = 1;
        }
        /* n now defines the last value of the chain */
        graph_take_output(g, id, v);
        n->epi = epi;
        n->epi_arg = arg;
        n->nepi = nc;
    }
    /* fused nodes leave the order but keep their op: the scalar rule and the
     * comment still read it */
    uint32_t w = 0;
    for (uint32_t k = 0; k < g->order.len; k++)
        if (!fused[g->order.data[k]])
            g->order.data[w++] = g->order.data[k];
    g->order.len = w;
    graph_recount(g);
    return LW_OK;
}

const PassDef pass_fuse = {"fuse", PK_GRAPH, run,
                           "fuse elementwise consumers into Conv/Gemm/MatMul and elementwise producers"};
