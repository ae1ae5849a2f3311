/* Graph verifier: SSA (one definition per value), topological order, use
 * counts, typed and static shapes on every value in use. */
#include "ir/graph.h"
#include "ops/op.h"

void graph_verify(const Ctx *ctx, const Graph *g, const char *after)
{
    ArenaMark m = arena_mark(ctx->scratch);
    uint8_t *defined = arena_array(ctx->scratch, uint8_t, g->values.len);
    uint32_t *uses = arena_array(ctx->scratch, uint32_t, g->values.len);
    for (uint32_t v = 1; v < g->values.len; v++) {
        const Value *val = graph_value(g, v);
        if (val->kind == VK_INPUT || val->kind == VK_CONST)
            defined[v] = 1;
        if (val->kind == VK_CONST && (!val->data || val->data->size != shape_count(&val->shape) *
                                                                         dtype_size(val->dtype)))
            LW_ICE("graph_verify after %s: constant %%%u has %llu bytes for its type", after, v,
                   val->data ? (unsigned long long)val->data->size : 0ULL);
    }
    for (uint32_t k = 0; k < g->order.len; k++) {
        NodeId id = g->order.data[k];
        const Node *n = graph_node(g, id);
        if (!n->op)
            LW_ICE("graph_verify after %s: erased node %u in the order", after, id);
        for (uint16_t i = 0; i < n->nin; i++) {
            if (!n->in[i])
                continue;
            if (!defined[n->in[i]])
                LW_ICE("graph_verify after %s: node '%s' reads %%%u before its definition", after,
                       n->loc.name, n->in[i]);
            uses[n->in[i]]++;
        }
        for (uint16_t e = 0; e < n->nepi; e++) {
            const Node *f = graph_node(g, n->epi[e]);
            for (uint16_t i = 0; i < f->nin; i++) {
                if (!f->in[i] || i == n->epi_arg[e] || graph_epi_chain_value(g, n, e, f->in[i]))
                    continue;
                if (!defined[f->in[i]])
                    LW_ICE("graph_verify after %s: epilogue '%s' of node '%s' reads %%%u before "
                           "its definition", after, f->loc.name, n->loc.name, f->in[i]);
                uses[f->in[i]]++;
            }
        }
        for (uint16_t o = 0; o < n->nout; o++) {
            ValueId v = n->out[o];
            if (!v)
                continue;
            const Value *val = graph_value(g, v);
            if (defined[v] || val->kind != VK_NODE || val->def != id)
                LW_ICE("graph_verify after %s: %%%u of node '%s' is not in SSA form", after, v,
                       n->loc.name);
            if (!(val->flags & VF_SHAPED) || !shape_is_static(&val->shape) ||
                val->dtype == DT_UNDEFINED)
                LW_ICE("graph_verify after %s: %%%u of node '%s' has no static type", after, v,
                       n->loc.name);
            defined[v] = 1;
        }
    }
    for (uint32_t i = 0; i < g->outputs.len; i++) {
        if (!defined[g->outputs.data[i]])
            LW_ICE("graph_verify after %s: graph output %%%u is not defined", after,
                   g->outputs.data[i]);
        uses[g->outputs.data[i]]++;
    }
    for (uint32_t v = 1; v < g->values.len; v++)
        if (uses[v] != graph_value(g, v)->nuses && defined[v])
            LW_ICE("graph_verify after %s: %%%u has %u uses, recorded %u", after, v, uses[v],
                   graph_value(g, v)->nuses);
    arena_reset(ctx->scratch, m);
}
