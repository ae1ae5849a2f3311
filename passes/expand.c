/* expand: at -O2, nodes whose op can be written as standard ops that faster kernels run
 * (OpDef.expand) are rewritten so: onnxruntime's QOperator form (QLinearConv,
 * QLinearMatMul) becomes the QDQ form, DequantizeLinear, the float op and
 * QuantizeLinear, which fusion and the blocked kernels take like an imported QDQ model
 * (on a target with vectors its weights folded to float32 by fold-const). On scalar
 * targets (Cortex-M) only QLinearConv, for the integer convolution of QDQ models
 * (ops/conv_pairs.c). Elsewhere (-Os, -O0/-O1) they stay as they are: the integer
 * reference kernels, int8 weights. */
#include "include/lwcc/lwcc.h"
#include "ops/op.h"
#include "passes/pass.h"
#include "target/target.h"

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    if (!ctx->target || !ctx->opt || ctx->opt->opt != LW_O2)
        return LW_OK;
    uint32_t n0 = g->order.len;
    NodeId *order = arena_array(ctx->scratch, NodeId, n0 ? n0 : 1);
    for (uint32_t k = 0; k < n0; k++)
        order[k] = g->order.data[k];
    int changed = 0;
    for (uint32_t k = 0; k < n0; k++) {
        const OpDef *op = graph_node(g, order[k])->op;
        if (!op || !op->expand)
            continue;
        int done = 0;
        TRY(op->expand(ctx, order[k], &done));
        changed |= done;
    }
    if (!changed)
        return LW_OK;
    graph_recount(g);
    return graph_toposort(ctx, g);
}

const PassDef pass_expand = {
    "expand", PK_GRAPH, run,
    "rewrite QLinearConv/QLinearMatMul as DequantizeLinear, the "
    "float op, QuantizeLinear (-O2; QLinearMatMul on targets with vectors)"};
