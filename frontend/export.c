/* --emit=onnx: the graph as an ONNX ModelProto, written with protobuf-c. It serves
 * --quantize=int8: the graph as lwcc's quantizer leaves it (the float model after the
 * graph rewrites before quantization, with int8 weights through DequantizeLinear and
 * QuantizeLinear-DequantizeLinear pairs in front of the quantized readers), so that
 * anyone can run the quantized model in onnxruntime. Nodes keep the ONNX attributes
 * they were made from (Node.src); constants become initializers, values without a
 * unique name get one. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/fileio.h"
#include "frontend/frontend.h"
#include "include/lwcc/lwcc.h"
#include "ir/graph.h"

typedef struct Exporter {
    Ctx *ctx;
    const Graph *g;
    char **name; /* per value: its name in the file, NULL until used */
} Exporter;

static char *dup_str(Exporter *ex, const char *s)
{
    return arena_strdup(ex->ctx->perm, s ? s : "");
}

/* v's name, unique in the file: its own, else lwcc_<v> */
static char *value_name(Exporter *ex, ValueId v)
{
    if (!v)
        return dup_str(ex, "");
    if (ex->name[v])
        return ex->name[v];
    const char *own = graph_value(ex->g, v)->name;
    int unique = own && *own;
    for (uint32_t u = 1; unique && u < ex->g->values.len; u++)
        unique = !(u != v && ex->name[u] && !strcmp(ex->name[u], own));
    if (unique) {
        ex->name[v] = dup_str(ex, own);
    } else {
        char buf[32];
        snprintf(buf, sizeof buf, "lwcc_%" PRIu32, v);
        ex->name[v] = dup_str(ex, buf);
    }
    return ex->name[v];
}

static Onnx__TensorProto *tensor_proto(Exporter *ex, const char *name, DType dt, const Shape *s,
                                       const unsigned char *data, uint64_t bytes)
{
    Arena *a = ex->ctx->perm;
    Onnx__TensorProto *t = arena_new(a, Onnx__TensorProto);
    onnx__tensor_proto__init(t);
    t->name = dup_str(ex, name);
    t->has_data_type = 1;
    t->data_type = dtype_info(dt)->onnx;
    t->n_dims = s->rank;
    t->dims = arena_array(a, int64_t, s->rank ? s->rank : 1);
    for (uint8_t i = 0; i < s->rank; i++)
        t->dims[i] = s->dims[i];
    t->has_raw_data = 1;
    t->raw_data.len = (size_t)bytes;
    t->raw_data.data = (uint8_t *)(uintptr_t)data;
    return t;
}

static Onnx__ValueInfoProto *value_info(Exporter *ex, ValueId v)
{
    Arena *a = ex->ctx->perm;
    const Value *val = graph_value(ex->g, v);
    Onnx__ValueInfoProto *vi = arena_new(a, Onnx__ValueInfoProto);
    onnx__value_info_proto__init(vi);
    vi->name = value_name(ex, v);
    Onnx__TypeProto *tp = arena_new(a, Onnx__TypeProto);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = arena_new(a, Onnx__TypeProto__Tensor);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = dtype_info(val->dtype)->onnx;
    Onnx__TensorShapeProto *sp = arena_new(a, Onnx__TensorShapeProto);
    onnx__tensor_shape_proto__init(sp);
    sp->n_dim = val->shape.rank;
    sp->dim =
        arena_array(a, Onnx__TensorShapeProto__Dimension *, val->shape.rank ? val->shape.rank : 1);
    for (uint8_t i = 0; i < val->shape.rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = arena_new(a, Onnx__TensorShapeProto__Dimension);
        onnx__tensor_shape_proto__dimension__init(d);
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = val->shape.dims[i];
        sp->dim[i] = d;
    }
    tt->shape = sp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->type = tp;
    return vi;
}

static LwStatus attr_proto(Exporter *ex, const Node *n, const Attr *at, Onnx__AttributeProto **out)
{
    Arena *a = ex->ctx->perm;
    Onnx__AttributeProto *p = arena_new(a, Onnx__AttributeProto);
    onnx__attribute_proto__init(p);
    p->name = dup_str(ex, at->name);
    p->has_type = 1;
    switch (at->type) {
    case AT_FLOAT:
        p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
        p->has_f = 1;
        p->f = at->f;
        break;
    case AT_INT:
        p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        p->has_i = 1;
        p->i = at->i;
        break;
    case AT_STRING:
        p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
        p->has_s = 1;
        p->s.len = (size_t)at->slen;
        p->s.data = (uint8_t *)(uintptr_t)at->s;
        break;
    case AT_FLOATS:
        p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
        p->n_floats = at->n;
        p->floats = (float *)(uintptr_t)at->floats;
        break;
    case AT_INTS:
        p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        p->n_ints = at->n;
        p->ints = (int64_t *)(uintptr_t)at->ints;
        break;
    case AT_STRINGS:
        p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
        p->n_strings = at->n;
        p->strings = arena_array(a, ProtobufCBinaryData, at->n ? at->n : 1);
        for (uint32_t i = 0; i < at->n; i++) {
            p->strings[i].len = strlen(at->strings[i]);
            p->strings[i].data = (uint8_t *)(uintptr_t)at->strings[i];
        }
        break;
    case AT_TENSOR:
        p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
        p->t = tensor_proto(ex, "", at->t->dtype, &at->t->shape, at->t->data, at->t->bytes);
        break;
    default:
        return diag_node(ex->ctx, n,
                         "--emit=onnx: attribute '%s' (a subgraph or sparse tensor) "
                         "cannot be written back",
                         at->name);
    }
    *out = p;
    return LW_OK;
}

static LwStatus node_proto(Exporter *ex, const Node *n, Onnx__NodeProto **out)
{
    Arena *a = ex->ctx->perm;
    if (!n->src || n->nepi || (n->loc.chain && *n->loc.chain))
        return diag_node(ex->ctx, n, "--emit=onnx: this node cannot be written back as ONNX");
    Onnx__NodeProto *p = arena_new(a, Onnx__NodeProto);
    onnx__node_proto__init(p);
    p->name = dup_str(ex, n->loc.name);
    p->op_type = dup_str(ex, n->loc.op_type);
    p->domain = dup_str(ex, n->loc.domain);
    p->n_input = n->nin;
    p->input = arena_array(a, char *, n->nin ? n->nin : 1);
    for (uint16_t i = 0; i < n->nin; i++)
        p->input[i] = value_name(ex, n->in[i]);
    p->n_output = n->nout;
    p->output = arena_array(a, char *, n->nout ? n->nout : 1);
    for (uint16_t i = 0; i < n->nout; i++)
        p->output[i] = value_name(ex, n->out[i]);
    p->n_attribute = n->src->n;
    p->attribute = arena_array(a, Onnx__AttributeProto *, n->src->n ? n->src->n : 1);
    for (uint32_t i = 0; i < n->src->n; i++)
        TRY(attr_proto(ex, n, &n->src->a[i], &p->attribute[i]));
    *out = p;
    return LW_OK;
}

LwStatus onnx_write_model(Ctx *ctx, const char *path)
{
    const Graph *g = ctx->g;
    Arena *a = ctx->perm;
    Exporter ex = {ctx, g, arena_array(a, char *, g->values.len)};
    memset(ex.name, 0, sizeof(char *) * g->values.len);
    Onnx__GraphProto *gp = arena_new(a, Onnx__GraphProto);
    onnx__graph_proto__init(gp);
    gp->name = dup_str(&ex, "lwcc");
    /* graph inputs and outputs first: their names are the API's */
    gp->n_input = g->inputs.len;
    gp->input = arena_array(a, Onnx__ValueInfoProto *, g->inputs.len ? g->inputs.len : 1);
    for (uint32_t i = 0; i < g->inputs.len; i++)
        gp->input[i] = value_info(&ex, g->inputs.data[i]);
    gp->n_output = g->outputs.len;
    gp->output = arena_array(a, Onnx__ValueInfoProto *, g->outputs.len ? g->outputs.len : 1);
    for (uint32_t i = 0; i < g->outputs.len; i++)
        gp->output[i] = value_info(&ex, g->outputs.data[i]);
    /* nodes, and the ai.onnx opset: the newest any node was imported at */
    int64_t opset = 0;
    gp->node = arena_array(a, Onnx__NodeProto *, g->order.len ? g->order.len : 1);
    uint8_t *is_init = arena_array(a, uint8_t, g->values.len);
    memset(is_init, 0, g->values.len);
    for (uint32_t k = 0; k < g->order.len; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        if (!n->op)
            continue;
        if (n->loc.domain && *n->loc.domain)
            return diag_node(ctx, n, "--emit=onnx: only ai.onnx operators can be written back");
        opset = n->loc.opset > opset ? n->loc.opset : opset;
        TRY(node_proto(&ex, n, &gp->node[gp->n_node++]));
        for (uint16_t i = 0; i < n->nin; i++)
            if (n->in[i] && graph_value(g, n->in[i])->kind == VK_CONST)
                is_init[n->in[i]] = 1;
    }
    for (uint32_t i = 0; i < g->outputs.len; i++)
        if (graph_value(g, g->outputs.data[i])->kind == VK_CONST)
            is_init[g->outputs.data[i]] = 1;
    if (opset < 13)
        return diag_error(ctx->diag,
                          "--emit=onnx: the model's opset %" PRId64 " is below 13, "
                          "which per-channel DequantizeLinear needs; export the float model at "
                          "opset 13 or later",
                          opset);
    gp->initializer = arena_array(a, Onnx__TensorProto *, g->values.len);
    for (ValueId v = 1; v < g->values.len; v++) {
        const Value *val = graph_value(g, v);
        if (is_init[v])
            gp->initializer[gp->n_initializer++] =
                tensor_proto(&ex, value_name(&ex, v), val->dtype, &val->shape, val->data->bytes,
                             val->data->size);
    }
    Onnx__OperatorSetIdProto *os = arena_new(a, Onnx__OperatorSetIdProto);
    onnx__operator_set_id_proto__init(os);
    os->domain = dup_str(&ex, "");
    os->has_version = 1;
    os->version = opset;
    Onnx__ModelProto m;
    onnx__model_proto__init(&m);
    m.has_ir_version = 1;
    m.ir_version = 8; /* opsets up to 18 */
    m.producer_name = dup_str(&ex, "lwcc");
    m.producer_version = dup_str(&ex, LW_VERSION);
    m.graph = gp;
    m.n_opset_import = 1;
    m.opset_import = &os;
    size_t len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = arena_array(ctx->scratch, uint8_t, len ? len : 1);
    if (!buf)
        return diag_error(ctx->diag, "out of memory writing '%s'", path);
    onnx__model_proto__pack(&m, buf);
    return file_write(ctx->diag, path, (const char *)buf, len);
}
