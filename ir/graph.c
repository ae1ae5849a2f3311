/* Graph builders, use replacement, erasure and topological ordering. */
#include "ir/graph.h"

#include <string.h>

Graph *graph_new(Arena *a)
{
    Graph *g = arena_new(a, Graph);
    Value none;
    Node nnone;
    memset(&none, 0, sizeof none);
    memset(&nnone, 0, sizeof nnone);
    none.name = "";
    vec_push(a, &g->values, none); /* id 0 = none */
    vec_push(a, &g->nodes, nnone);
    return g;
}

ValueId graph_add_value(Arena *a, Graph *g, const char *name, DType dt)
{
    Value v;
    memset(&v, 0, sizeof v);
    v.name = name ? name : "";
    v.dtype = dt;
    vec_push(a, &g->values, v);
    return g->values.len - 1;
}

ValueId graph_add_const(Arena *a, Graph *g, const char *name, DType dt, const Shape *s,
                        const unsigned char *data, uint64_t size)
{
    ValueId id = graph_add_value(a, g, name, dt);
    Value *v = graph_value(g, id);
    Const *c = arena_new(a, Const);
    c->bytes = data;
    c->size = size;
    v->kind = VK_CONST;
    v->shape = *s;
    v->data = c;
    v->flags |= VF_SHAPED;
    return id;
}

void graph_set_const(Arena *a, Graph *g, ValueId id, const unsigned char *data, uint64_t size)
{
    Value *v = graph_value(g, id);
    Const *c = arena_new(a, Const);
    c->bytes = data;
    c->size = size;
    if (v->kind == VK_NODE && v->def) {
        Node *n = graph_node(g, v->def);
        for (uint16_t i = 0; i < n->nout; i++)
            if (n->out[i] == id)
                n->out[i] = 0;
    }
    v->kind = VK_CONST;
    v->def = 0;
    v->data = c;
    v->flags |= VF_SHAPED;
}

NodeId graph_add_node(Arena *a, Graph *g, const OpDef *op, const SrcLoc *loc, uint16_t nin,
                      const ValueId *in, uint16_t nout, const char *const *outnames)
{
    Node n;
    memset(&n, 0, sizeof n);
    n.op = op;
    n.loc = *loc;
    n.nin = nin;
    n.nout = nout;
    n.in = arena_array(a, ValueId, nin ? nin : 1);
    n.out = arena_array(a, ValueId, nout ? nout : 1);
    if (nin)
        memcpy(n.in, in, sizeof(ValueId) * nin);
    vec_push(a, &g->nodes, n);
    NodeId id = g->nodes.len - 1;
    for (uint16_t i = 0; i < nout; i++) {
        ValueId v = graph_add_value(a, g, outnames ? outnames[i] : "", DT_UNDEFINED);
        graph_value(g, v)->kind = VK_NODE;
        graph_value(g, v)->def = id;
        g->nodes.data[id].out[i] = v;
    }
    vec_push(a, &g->order, id);
    return id;
}

void graph_replace_uses(Graph *g, ValueId from, ValueId to)
{
    for (uint32_t k = 0; k < g->order.len; k++) {
        Node *n = graph_node(g, g->order.data[k]);
        for (uint16_t i = 0; i < n->nin; i++)
            if (n->in[i] == from)
                n->in[i] = to;
    }
    for (uint32_t i = 0; i < g->outputs.len; i++)
        if (g->outputs.data[i] == from)
            g->outputs.data[i] = to;
    if (graph_value(g, from)->flags & VF_GRAPH_OUTPUT) {
        graph_value(g, from)->flags &= ~(uint32_t)VF_GRAPH_OUTPUT;
        graph_value(g, to)->flags |= VF_GRAPH_OUTPUT;
    }
}

void graph_erase_node(Graph *g, NodeId id)
{
    Node *n = graph_node(g, id);
    n->op = NULL;
    uint32_t w = 0;
    for (uint32_t k = 0; k < g->order.len; k++)
        if (g->order.data[k] != id)
            g->order.data[w++] = g->order.data[k];
    g->order.len = w;
}

void graph_recount(Graph *g)
{
    for (uint32_t v = 0; v < g->values.len; v++)
        g->values.data[v].nuses = 0;
    uint32_t w = 0;
    for (uint32_t k = 0; k < g->order.len; k++) {
        NodeId id = g->order.data[k];
        Node *n = graph_node(g, id);
        if (!n->op)
            continue;
        g->order.data[w++] = id;
        for (uint16_t i = 0; i < n->nin; i++)
            if (n->in[i])
                graph_value(g, n->in[i])->nuses++;
        for (uint16_t e = 0; e < n->nepi; e++) {
            const Node *f = graph_node(g, n->epi[e]);
            for (uint16_t i = 0; i < f->nin; i++)
                if (f->in[i] && i != n->epi_arg[e] && !graph_epi_chain_value(g, n, e, f->in[i]))
                    graph_value(g, f->in[i])->nuses++;
        }
    }
    g->order.len = w;
    for (uint32_t i = 0; i < g->outputs.len; i++)
        graph_value(g, g->outputs.data[i])->nuses++;
}

LwStatus graph_toposort(Ctx *ctx, Graph *g)
{
    /* Kahn's algorithm over the current order, always taking the earliest
     * ready node, so an already ordered graph keeps its order. */
    uint32_t nn = g->order.len;
    ArenaMark m = arena_mark(ctx->scratch);
    uint32_t *pending = arena_array(ctx->scratch, uint32_t, nn ? nn : 1);
    uint8_t *done = arena_array(ctx->scratch, uint8_t, nn ? nn : 1);
    uint8_t *ready_val = arena_array(ctx->scratch, uint8_t, g->values.len);
    NodeId *out = arena_array(ctx->scratch, NodeId, nn ? nn : 1);
    for (uint32_t v = 0; v < g->values.len; v++) {
        const Value *val = graph_value(g, v);
        ready_val[v] = val->kind == VK_INPUT || val->kind == VK_CONST || v == 0;
    }
    for (uint32_t k = 0; k < nn; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        pending[k] = 0;
        for (uint16_t i = 0; i < n->nin; i++)
            if (!ready_val[n->in[i]])
                pending[k]++;
    }
    /* Consumers of each value as a CSR list of order positions. */
    uint32_t nv = g->values.len;
    uint32_t *first = arena_array(ctx->scratch, uint32_t, (size_t)nv + 1);
    uint32_t total = 0;
    for (uint32_t k = 0; k < nn; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        for (uint16_t i = 0; i < n->nin; i++)
            first[n->in[i] + 1]++;
        total += n->nin;
    }
    for (uint32_t v = 0; v < nv; v++)
        first[v + 1] += first[v];
    uint32_t *fill = arena_array(ctx->scratch, uint32_t, nv);
    uint32_t *cons = arena_array(ctx->scratch, uint32_t, total ? total : 1);
    for (uint32_t k = 0; k < nn; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        for (uint16_t i = 0; i < n->nin; i++)
            cons[first[n->in[i]] + fill[n->in[i]]++] = k;
    }
    /* Take the earliest ready node each time (a min-cursor over positions). */
    uint32_t nout = 0, lowest = 0;
    while (nout < nn) {
        uint32_t k = lowest;
        while (k < nn && (done[k] || pending[k] != 0))
            k++;
        if (k == nn) {
            for (k = 0; k < nn && done[k]; k++) {
            }
            const Node *n = graph_node(g, g->order.data[k]);
            LwStatus st = diag_node(ctx, n, "the graph has a cycle, or this node reads a value "
                                            "that nothing defines");
            arena_reset(ctx->scratch, m);
            return st;
        }
        done[k] = 1;
        out[nout++] = g->order.data[k];
        lowest = k + 1;
        const Node *n = graph_node(g, g->order.data[k]);
        for (uint16_t o = 0; o < n->nout; o++) {
            ValueId v = n->out[o];
            if (!v || ready_val[v])
                continue;
            ready_val[v] = 1;
            for (uint32_t c = first[v]; c < first[v + 1]; c++) {
                uint32_t j = cons[c];
                pending[j]--;
                if (pending[j] == 0 && j < lowest)
                    lowest = j;
            }
        }
    }
    if (nn)
        memcpy(g->order.data, out, sizeof(NodeId) * nn);
    arena_reset(ctx->scratch, m);
    return LW_OK;
}

LwStatus diag_node(Ctx *ctx, const Node *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    LwStatus st = diag_vat(ctx->diag, &n->loc, fmt, ap);
    va_end(ap);
    return st;
}

LwStatus diag_value(Ctx *ctx, const Value *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(ctx->diag->out, "%s: error: value '", ctx->diag->file);
    diag_put_name(ctx->diag->out, v->name, 200);
    fputs("': ", ctx->diag->out);
    vfprintf(ctx->diag->out, fmt, ap);
    fputc('\n', ctx->diag->out);
    ctx->diag->errors++;
    va_end(ap);
    return LW_ERR_MODEL;
}

int graph_epi_chain_value(const Graph *g, const Node *n, uint16_t e, ValueId v)
{
    if (!v || !n->nepi)
        return 0;
    const Node *f0 = graph_node(g, n->epi[0]);
    if (f0->in[n->epi_arg[0]] == v)
        return 1;
    for (uint16_t k = 0; k < e && k < n->nepi; k++)
        if (graph_node(g, n->epi[k])->out[0] == v)
            return 1;
    return 0;
}

void graph_take_output(Graph *g, NodeId id, ValueId v)
{
    Node *n = graph_node(g, id);
    graph_value(g, n->out[0])->kind = VK_NONE;
    n->out[0] = v;
    graph_value(g, v)->def = id;
}
