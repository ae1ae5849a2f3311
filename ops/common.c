/* Helpers shared by the op families: common infer rules, constant inputs. */
#include <string.h>

#include "include/lwcc/ckd.h"
#include "include/lwcc/lwcc.h"
#include "ir/kir_build.h"
#include "ops/op.h"
#include "target/target.h"

LwStatus op_make_node(Ctx *ctx, const char *op_name, const char *name, const ValueId *in,
                      uint16_t nin, const AttrList *al, const char *outname, NodeId *id)
{
    return op_make_node_at(ctx, op_name, 13, name, in, nin, al, outname, id);
}

LwStatus op_make_node_at(Ctx *ctx, const char *op_name, int64_t opset, const char *name,
                         const ValueId *in, uint16_t nin, const AttrList *al, const char *outname,
                         NodeId *id)
{
    int known;
    const OpDef *op = op_lookup("", op_name, opset, &known);
    LW_ASSERT(op);
    SrcLoc loc = {name, op_name, "", opset, ""};
    const char *names[1] = {outname};
    *id = graph_add_node(ctx->perm, ctx->g, op, &loc, nin, in, 1, names);
    /* the attributes kept for --emit=onnx: the list and its arrays may be the caller's, on
     * its stack (expand's Conv attributes); names, strings and tensors outlive it */
    AttrList *src = arena_new(ctx->perm, AttrList);
    src->n = al->n;
    src->a = arena_array(ctx->perm, Attr, al->n ? al->n : 1);
    for (uint32_t i = 0; i < al->n; i++) {
        Attr *c = &src->a[i];
        *c = al->a[i];
        if (c->ints && c->n)
            c->ints = arena_memdup(ctx->perm, c->ints, sizeof(int64_t) * c->n);
        if (c->floats && c->n)
            c->floats = arena_memdup(ctx->perm, c->floats, sizeof(float) * c->n);
    }
    graph_node(ctx->g, *id)->src = src;
    TRY(op->import(ctx, graph_node(ctx->g, *id), src)); /* the copy: attrs may refer to it */
    return op->infer(ctx, ctx->g, graph_node(ctx->g, *id));
}

LwStatus op_expand_node(Ctx *ctx, const char *base, const char *what, const char *op_name,
                        int64_t opset, const ValueId *in, uint16_t nin, const AttrList *al,
                        NodeId *id)
{
    StrBuf nm;
    sb_init(&nm, ctx->perm);
    sb_printf(&nm, "%s_%s", base, what);
    const char *name = sb_cstr(&nm);
    return op_make_node_at(ctx, op_name, opset, name, in, nin, al, name, id);
}

ValueId op_expand_const(Ctx *ctx, const char *base, const char *what, DType dt, const Shape *s,
                        const void *data)
{
    StrBuf nm;
    sb_init(&nm, ctx->perm);
    sb_printf(&nm, "%s_%s", base, what);
    uint64_t size = shape_count(s) * dtype_size(dt);
    /* the graph keeps a pointer: a copy that lives as long as it (data may be the caller's) */
    return graph_add_const(ctx->perm, ctx->g, sb_cstr(&nm), dt, s,
                           arena_memdup(ctx->perm, data, (size_t)size), size);
}

AttrList op_attr_list(Attr *at, const char *const *names, const int64_t *const *vals,
                      const uint32_t *counts, uint32_t n)
{
    memset(at, 0, sizeof(Attr) * n);
    for (uint32_t i = 0; i < n; i++) {
        at[i].name = names[i];
        at[i].type = counts[i] ? AT_INTS : AT_INT;
        if (counts[i]) {
            at[i].ints = vals[i];
            at[i].n = counts[i];
        } else {
            at[i].i = vals[i][0];
        }
    }
    AttrList al = {at, n};
    return al;
}

int op_expand_linear_ok(const Ctx *ctx, const Node *n)
{
    const Value *x = op_in(ctx->g, n, 0), *w = op_in(ctx->g, n, 1);
    return ctx->target->vbytes && ctx->opt->emit != LW_EMIT_ONNX && x->dtype == DT_FLOAT32 &&
           w->kind == VK_CONST && (!op_has_in(n, 2) || op_in(ctx->g, n, 2)->kind == VK_CONST);
}

LwStatus op_no_attrs(Ctx *ctx, Node *n, const AttrList *al)
{
    return attr_check_unused(ctx, &n->loc, al);
}

LwStatus op_set_output(Ctx *ctx, Graph *g, Node *n, uint16_t i, DType dt, const Shape *s)
{
    uint64_t count, bytes;
    if (!shape_numel(s, &count) || !ckd_mul_u64(&bytes, count, dtype_size(dt)))
        return diag_node(ctx, n, "output %u: element count overflows", i);
    if (!n->out[i])
        return LW_OK;
    Value *v = graph_value(g, n->out[i]);
    if ((v->flags & VF_SHAPE_HINT) && !(v->flags & VF_SHAPED)) {
        /* value_info gave a shape: cross-check the static parts */
        int bad = v->shape.rank != s->rank && v->shape.rank != 0;
        for (uint8_t d = 0; !bad && d < v->shape.rank && d < s->rank; d++)
            if (v->shape.dims[d] >= 0 && v->shape.dims[d] != s->dims[d])
                bad = 1;
        if (bad && v->dtype != DT_UNDEFINED) {
            StrBuf a, b;
            sb_init(&a, ctx->scratch);
            sb_init(&b, ctx->scratch);
            Value tmp = *v;
            graph_dump_value_type(&tmp, &a);
            tmp.shape = *s;
            tmp.dtype = dt;
            graph_dump_value_type(&tmp, &b);
            diag_warning(ctx->diag, "value '%s': the model declares %s, lwcc infers %s; using "
                         "the inferred shape", v->name, sb_cstr(&a), sb_cstr(&b));
        }
    }
    v->dtype = dt;
    v->shape = *s;
    v->flags |= VF_SHAPED;
    return LW_OK;
}

LwStatus op_infer_same(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    return op_set_output(ctx, g, n, 0, x->dtype, &x->shape);
}

LwStatus op_infer_broadcast(Ctx *ctx, Graph *g, Node *n)
{
    Shape s = op_in(g, n, 0)->shape;
    DType dt = op_in(g, n, 0)->dtype;
    for (uint16_t i = 1; i < n->nin; i++) {
        if (!n->in[i])
            continue;
        const Value *v = op_in(g, n, i);
        if (v->dtype != dt)
            return diag_node(ctx, n, "input %u is %s, input 0 is %s: types must match", i,
                             dtype_name(v->dtype), dtype_name(dt));
        Shape r;
        if (!shape_broadcast(&s, &v->shape, &r)) {
            StrBuf a, b;
            sb_init(&a, ctx->scratch);
            sb_init(&b, ctx->scratch);
            Value t1 = *op_in(g, n, 0), t2 = *v;
            t1.shape = s;
            graph_dump_value_type(&t1, &a);
            graph_dump_value_type(&t2, &b);
            return diag_node(ctx, n, "shapes %s and %s do not broadcast", sb_cstr(&a),
                             sb_cstr(&b));
        }
        s = r;
    }
    return op_set_output(ctx, g, n, 0, dt, &s);
}

LwStatus op_const_ints(Ctx *ctx, const Graph *g, const Node *n, uint16_t i, int64_t **vals,
                       uint64_t *count)
{
    const Value *v = op_in(g, n, i);
    if (v->kind != VK_CONST) {
        if (v->kind == VK_INPUT)
            return diag_node(ctx, n, "input %u ('%s') must be a constant to give static shapes; "
                             "pass --freeze-input %s=FILE.pb", i, v->name, v->name);
        return diag_node(ctx, n, "input %u ('%s') is computed at run time; lwcc needs it "
                         "constant (static shapes)", i, v->name);
    }
    if (v->dtype != DT_INT64 && v->dtype != DT_INT32)
        return diag_node(ctx, n, "input %u is %s, expected int64", i, dtype_name(v->dtype));
    uint64_t c = shape_count(&v->shape);
    int64_t *out = arena_array(ctx->perm, int64_t, c ? c : 1);
    for (uint64_t k = 0; k < c; k++) {
        if (v->dtype == DT_INT64) {
            memcpy(&out[k], v->data->bytes + k * 8, 8);
        } else {
            int32_t t;
            memcpy(&t, v->data->bytes + k * 4, 4);
            out[k] = t;
        }
    }
    *vals = out;
    *count = c;
    return LW_OK;
}

LwStatus op_const_float(Ctx *ctx, const Graph *g, const Node *n, uint16_t i, double *val)
{
    const Value *v = op_in(g, n, i);
    if (v->kind != VK_CONST)
        return diag_node(ctx, n, "input %u ('%s') must be a constant", i, v->name);
    if (shape_count(&v->shape) != 1)
        return diag_node(ctx, n, "input %u ('%s') must be a scalar", i, v->name);
    switch (v->dtype) {
    case DT_FLOAT32: {
        float f;
        memcpy(&f, v->data->bytes, 4);
        *val = f;
        return LW_OK;
    }
    case DT_FLOAT64:
        memcpy(val, v->data->bytes, 8);
        return LW_OK;
    default:
        return diag_node(ctx, n, "input %u is %s, expected a float", i, dtype_name(v->dtype));
    }
}

LwStatus op_check_float(Ctx *ctx, const Graph *g, const Node *n, uint16_t i)
{
    DType dt = op_in(g, n, i)->dtype;
    if (!dtype_is_floatlike(dt))
        return diag_node(ctx, n,
                         "input %u of type %s is not supported (float32, float64, float16, "
                         "bfloat16)",
                         i, dtype_name(dt));
    return LW_OK;
}

LwStatus op_check_same_type(Ctx *ctx, const Graph *g, const Node *n, uint16_t i, uint16_t j)
{
    if (!op_has_in(n, j))
        return LW_OK;
    DType a = op_in(g, n, i)->dtype, b = op_in(g, n, j)->dtype;
    if (a != b)
        return diag_node(ctx, n, "input %u is %s, input %u is %s: types must match", j,
                         dtype_name(b), i, dtype_name(a));
    return LW_OK;
}

DType op_compute_wider(DType a, DType b)
{
    return dtype_compute(a) == DT_FLOAT64 || dtype_compute(b) == DT_FLOAT64 ? DT_FLOAT64
                                                                            : DT_FLOAT32;
}

DType op_acc_dtype(const Graph *g, const Node *n)
{
    ValueId v = n->out[0];
    if (n->nepi) {
        const Node *e = graph_node(g, n->epi[0]);
        v = e->in[n->epi_arg ? n->epi_arg[0] : 0];
    }
    return dtype_compute(graph_value(g, v)->dtype);
}

KExpr *op_load_as(KBuilder *kb, DType ct, uint32_t buf, KIndex idx)
{
    return kb_cast(kb, ct, kb_load(kb, buf, idx));
}
