/* Text form of the graph for --emit=ir and --print-after:
 *   %3 = Conv 'conv_1' (%0, %1, %2)  -> float32[1,8,8,8]  */
#include "ir/graph.h"
#include "ops/op.h"

void graph_dump_value_type(const Value *v, StrBuf *sb)
{
    sb_puts(sb, dtype_name(v->dtype));
    sb_putc(sb, '[');
    for (uint8_t i = 0; i < v->shape.rank; i++) {
        if (i)
            sb_putc(sb, ',');
        if (v->shape.dims[i] < 0)
            sb_putc(sb, '?');
        else
            sb_i64(sb, v->shape.dims[i]);
    }
    sb_putc(sb, ']');
}

static void value_ref(const Graph *g, ValueId v, StrBuf *sb)
{
    if (!v) {
        sb_puts(sb, "_");
        return;
    }
    sb_printf(sb, "%%%u", v);
    (void)g;
}

static void put_name(StrBuf *sb, const char *s)
{
    sb_putc(sb, '\'');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
            sb_putc(sb, (char)c);
        else
            sb_printf(sb, "\\x%02x", c);
    }
    sb_putc(sb, '\'');
}

void graph_dump(const Graph *g, StrBuf *sb)
{
    for (uint32_t i = 0; i < g->inputs.len; i++) {
        const Value *v = graph_value(g, g->inputs.data[i]);
        sb_puts(sb, "input ");
        value_ref(g, g->inputs.data[i], sb);
        sb_putc(sb, ' ');
        put_name(sb, v->name);
        sb_puts(sb, ": ");
        graph_dump_value_type(v, sb);
        sb_putc(sb, '\n');
    }
    /* constants used by live nodes, in id order */
    uint8_t *used = NULL;
    (void)used;
    for (uint32_t id = 1; id < g->values.len; id++) {
        const Value *v = graph_value(g, id);
        if (v->kind != VK_CONST || !v->nuses)
            continue;
        sb_puts(sb, "const ");
        value_ref(g, id, sb);
        sb_putc(sb, ' ');
        put_name(sb, v->name);
        sb_puts(sb, ": ");
        graph_dump_value_type(v, sb);
        sb_putc(sb, '\n');
    }
    for (uint32_t k = 0; k < g->order.len; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        if (!n->op)
            continue;
        for (uint16_t o = 0; o < n->nout; o++) {
            if (o)
                sb_puts(sb, ", ");
            value_ref(g, n->out[o], sb);
        }
        sb_printf(sb, " = %s%s%s ", n->op->domain[0] ? n->op->domain : "",
                  n->op->domain[0] ? "." : "", n->op->name);
        put_name(sb, n->loc.name);
        sb_puts(sb, " (");
        for (uint16_t i = 0; i < n->nin; i++) {
            if (i)
                sb_puts(sb, ", ");
            value_ref(g, n->in[i], sb);
        }
        sb_putc(sb, ')');
        if (n->flags & NF_SPARSE)
            sb_puts(sb, n->flags & NF_SPARSE_CSR ? " sparse-csr" : " sparse");
        for (uint16_t e = 0; e < n->nepi; e++) {
            const Node *f = graph_node(g, n->epi[e]);
            sb_puts(sb, e ? ", " : " fused: ");
            sb_puts(sb, f->op ? f->op->name : "?");
            sb_putc(sb, ' ');
            put_name(sb, f->loc.name);
        }
        if (n->op->dump_attrs) {
            sb_puts(sb, " {");
            n->op->dump_attrs(n, sb);
            sb_putc(sb, '}');
        }
        sb_puts(sb, " -> ");
        for (uint16_t o = 0; o < n->nout; o++) {
            if (o)
                sb_puts(sb, ", ");
            if (n->out[o])
                graph_dump_value_type(graph_value(g, n->out[o]), sb);
            else
                sb_putc(sb, '_');
        }
        sb_putc(sb, '\n');
    }
    sb_puts(sb, "output ");
    for (uint32_t i = 0; i < g->outputs.len; i++) {
        if (i)
            sb_puts(sb, ", ");
        value_ref(g, g->outputs.data[i], sb);
    }
    sb_putc(sb, '\n');
}
