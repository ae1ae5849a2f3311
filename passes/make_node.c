/* Nodes of standard ONNX ops that passes add to the graph (patch's Slice and
 * Concat, quant-ptq's QuantizeLinear and DequantizeLinear): looked up at opset
 * 13, imported from a one-attribute list like the frontend's, inferred. */
#include <string.h>

#include "ir/attr.h"
#include "ops/op.h"
#include "passes/pass.h"

LwStatus pass_make_node(Ctx *ctx, const char *op_name, const char *name, const ValueId *in,
                        uint16_t nin, int64_t axis, const char *outname, ValueId *out)
{
    Attr at;
    memset(&at, 0, sizeof at);
    at.name = "axis";
    at.type = AT_INT;
    at.i = axis;
    AttrList al = {&at, axis >= 0 ? 1u : 0u};
    NodeId id;
    TRY(op_make_node(ctx, op_name, name, in, nin, &al, outname, &id));
    *out = graph_node(ctx->g, id)->out[0];
    return LW_OK;
}
