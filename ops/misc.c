/* Identity, Dropout (inference), Cast, Shape, Size, ConstantOfShape, Range. */
#include <string.h>

#include "include/lwcc/ckd.h"
#include "ir/kir_build.h"
#include "ops/families.h"

typedef struct MiscAttrs {
    int64_t to, start, end;
    int has_end;
    const TensorVal *value;
    float ratio;
} MiscAttrs;

static LwStatus copy_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    kb_copy(kb, yb, xb, shape_count(&op_out(kb->g, n, 0)->shape));
    if (n->nout > 1 && n->out[1]) { /* Dropout mask: all kept in inference */
        uint32_t mb = kb_out(kb, 1);
        uint16_t v = kb_for(kb, (int64_t)shape_count(&op_out(kb->g, n, 1)->shape));
        KIndex ix = kidx_const(0);
        kidx_add(&ix, v, 1);
        kb_store(kb, mb, ix, kb_const_i(kb, DT_BOOL, 1));
        kb_endfor(kb);
    }
    kb_end(kb);
    return LW_OK;
}

static LwStatus dropout_import(Ctx *ctx, Node *n, const AttrList *al)
{
    MiscAttrs *a = arena_new(ctx->perm, MiscAttrs);
    int64_t is_test = 1, seed = 0;
    TRY(attr_float(ctx, &n->loc, al, "ratio", 0.5f, &a->ratio));
    TRY(attr_int(ctx, &n->loc, al, "is_test", 1, &is_test));
    TRY(attr_int(ctx, &n->loc, al, "seed", 0, &seed));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus dropout_infer(Ctx *ctx, Graph *g, Node *n)
{
    if (op_has_in(n, 2)) {
        const Value *t = op_in(g, n, 2);
        if (t->kind != VK_CONST)
            return diag_node(ctx, n, "training_mode must be a constant");
        /* training mode with ratio 0 keeps everything: the same as inference */
        double ratio = 0.5;
        if (op_has_in(n, 1))
            TRY(op_const_float(ctx, g, n, 1, &ratio));
        if (t->data->bytes[0] && ratio != 0.0)
            return diag_node(ctx, n, "training mode with ratio %g is not supported (random)",
                             ratio);
    }
    TRY(op_infer_same(ctx, g, n));
    if (n->nout > 1 && n->out[1])
        TRY(op_set_output(ctx, g, n, 1, DT_BOOL, &op_in(g, n, 0)->shape));
    return LW_OK;
}

/* --- Cast --- */
static LwStatus castlike_import(Ctx *ctx, Node *n, const AttrList *al)
{
    MiscAttrs *a = arena_new(ctx->perm, MiscAttrs);
    int64_t saturate = 1;
    TRY(attr_int(ctx, &n->loc, al, "saturate", 1, &saturate));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus cast_import(Ctx *ctx, Node *n, const AttrList *al)
{
    MiscAttrs *a = arena_new(ctx->perm, MiscAttrs);
    int64_t saturate = 1;
    TRY(attr_int(ctx, &n->loc, al, "to", -1, &a->to));
    TRY(attr_int(ctx, &n->loc, al, "saturate", 1, &saturate));
    if (dtype_from_onnx(a->to) == DT_UNDEFINED)
        return diag_node(ctx, n, "cast to type %lld is not supported", (long long)a->to);
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static int computable(DType dt)
{
    return dt == DT_BOOL || dtype_is_int(dt) || dtype_is_floatlike(dt);
}

static LwStatus cast_infer(Ctx *ctx, Graph *g, Node *n)
{
    const MiscAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    DType to = dtype_from_onnx(a->to);
    if (!computable(to) || !computable(x->dtype))
        return diag_node(ctx, n, "cast from %s to %s is not supported", dtype_name(x->dtype),
                         dtype_name(to));
    return op_set_output(ctx, g, n, 0, to, &x->shape);
}

static KExpr *s_cast(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const MiscAttrs *at = n->attrs;
    DType to = dtype_from_onnx(at->to);
    if (to == DT_BOOL)
        return kb_cast(kb, DT_BOOL, kb_op(kb, KOP_NE, a[0], kb_const_i(kb, a[0]->type.dt, 0)));
    return kb_cast(kb, to, a[0]);
}

static LwStatus ew_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    return kb_lower_elementwise(ctx, kb, n);
}

/* CastLike: cast input 0 to input 1's type. */
static KExpr *s_castlike(KBuilder *kb, const Node *n, KExpr *const *a)
{
    DType to = op_in(kb->g, n, 1)->dtype;
    if (to == DT_BOOL)
        return kb_cast(kb, DT_BOOL, kb_op(kb, KOP_NE, a[0], kb_const_i(kb, a[0]->type.dt, 0)));
    return kb_cast(kb, to, a[0]);
}

static LwStatus castlike_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0), *t = op_in(g, n, 1);
    if (!computable(t->dtype) || !computable(x->dtype))
        return diag_node(ctx, n, "cast from %s to %s is not supported", dtype_name(x->dtype),
                         dtype_name(t->dtype));
    return op_set_output(ctx, g, n, 0, t->dtype, &x->shape);
}

static LwStatus castlike_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const Value *y = op_out(kb->g, n, 0);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t v = kb_for(kb, (int64_t)shape_count(&y->shape));
    KIndex ix = kidx_const(0);
    kidx_add(&ix, v, 1);
    KExpr *args[1] = {kb_load(kb, xb, ix)};
    kb_store(kb, yb, ix, s_castlike(kb, n, args));
    kb_endfor(kb);
    kb_end(kb);
    return LW_OK;
}

/* --- Shape (start/end from opset 15), Size: values known from static shapes --- */
static LwStatus shape_import(Ctx *ctx, Node *n, const AttrList *al)
{
    MiscAttrs *a = arena_new(ctx->perm, MiscAttrs);
    TRY(attr_int(ctx, &n->loc, al, "start", 0, &a->start));
    a->has_end = attr_find(al, "end") != NULL;
    TRY(attr_int(ctx, &n->loc, al, "end", 0, &a->end));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static void shape_range(const MiscAttrs *a, int r, int64_t *s, int64_t *e)
{
    int64_t st = a->start < 0 ? a->start + r : a->start;
    int64_t en = a->has_end ? (a->end < 0 ? a->end + r : a->end) : r;
    st = st < 0 ? 0 : st > r ? r : st;
    en = en < 0 ? 0 : en > r ? r : en;
    *s = st;
    *e = en < st ? st : en;
}

static LwStatus shape_infer(Ctx *ctx, Graph *g, Node *n)
{
    int64_t s, e;
    shape_range(n->attrs, op_in(g, n, 0)->shape.rank, &s, &e);
    int64_t d = e - s;
    Shape o = shape_make(1, &d);
    return op_set_output(ctx, g, n, 0, DT_INT64, &o);
}

static LwStatus shape_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const Value *x = op_in(kb->g, n, 0);
    int64_t s, e;
    shape_range(n->attrs, x->shape.rank, &s, &e);
    kb_begin(kb, n, NULL);
    uint32_t yb = kb_out(kb, 0);
    for (int64_t i = s; i < e; i++)
        kb_store(kb, yb, kidx_const(i - s), kb_const_i(kb, DT_INT64, x->shape.dims[i]));
    kb_end(kb);
    return LW_OK;
}

static LwStatus size_infer(Ctx *ctx, Graph *g, Node *n)
{
    Shape o = shape_make(0, NULL);
    return op_set_output(ctx, g, n, 0, DT_INT64, &o);
}

static LwStatus size_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    kb_begin(kb, n, NULL);
    uint32_t yb = kb_out(kb, 0);
    kb_store(kb, yb, kidx_const(0),
             kb_const_i(kb, DT_INT64, (int64_t)shape_count(&op_in(kb->g, n, 0)->shape)));
    kb_end(kb);
    return LW_OK;
}

/* --- ConstantOfShape --- */
static LwStatus cos_import(Ctx *ctx, Node *n, const AttrList *al)
{
    MiscAttrs *a = arena_new(ctx->perm, MiscAttrs);
    TRY(attr_tensor(ctx, &n->loc, al, "value", &a->value));
    if (a->value && (shape_count(&a->value->shape) != 1 || !computable(a->value->dtype)))
        return diag_node(ctx, n, "'value' must be a one-element tensor of a supported type");
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus cos_infer(Ctx *ctx, Graph *g, Node *n)
{
    const MiscAttrs *a = n->attrs;
    int64_t *d;
    uint64_t cnt;
    TRY(op_const_ints(ctx, g, n, 0, &d, &cnt));
    if (cnt > LW_MAX_RANK)
        return diag_node(ctx, n, "rank %llu is not supported", (unsigned long long)cnt);
    Shape s;
    memset(&s, 0, sizeof s);
    s.rank = (uint8_t)cnt;
    for (uint64_t i = 0; i < cnt; i++) {
        if (d[i] < 0)
            return diag_node(ctx, n, "negative dim %lld", (long long)d[i]);
        s.dims[i] = d[i];
    }
    return op_set_output(ctx, g, n, 0, a->value ? a->value->dtype : DT_FLOAT32, &s);
}

static KExpr *const_from_bytes(KBuilder *kb, DType dt, const unsigned char *p)
{
    switch (dt) {
    case DT_FLOAT32: {
        float f;
        memcpy(&f, p, 4);
        return kb_const_f(kb, dt, f);
    }
    case DT_FLOAT64: {
        double f;
        memcpy(&f, p, 8);
        return kb_const_f(kb, dt, f);
    }
    default: {
        int64_t v = 0;
        uint32_t sz = dtype_size(dt);
        if (dtype_is_signed(dt)) {
            if (sz == 1) {
                int8_t t;
                memcpy(&t, p, 1);
                v = t;
            } else if (sz == 2) {
                int16_t t;
                memcpy(&t, p, 2);
                v = t;
            } else if (sz == 4) {
                int32_t t;
                memcpy(&t, p, 4);
                v = t;
            } else {
                memcpy(&v, p, 8);
            }
        } else {
            uint64_t u = 0;
            memcpy(&u, p, sz);
            v = (int64_t)u;
        }
        return kb_const_i(kb, dt, v);
    }
    }
}

static LwStatus cos_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const MiscAttrs *a = n->attrs;
    const Value *y = op_out(kb->g, n, 0);
    kb_begin(kb, n, NULL);
    uint32_t yb = kb_out(kb, 0);
    uint16_t v = kb_for(kb, (int64_t)shape_count(&y->shape));
    KIndex ix = kidx_const(0);
    kidx_add(&ix, v, 1);
    kb_store(kb, yb, ix, a->value ? const_from_bytes(kb, y->dtype, a->value->data)
                                  : kb_const_f(kb, DT_FLOAT32, 0));
    kb_endfor(kb);
    kb_end(kb);
    return LW_OK;
}

/* --- Range: start + i * delta, count from the constant scalars --- */
static LwStatus range_infer(Ctx *ctx, Graph *g, Node *n)
{
    DType dt = op_in(g, n, 0)->dtype;
    for (uint16_t i = 0; i < 3; i++) {
        const Value *v = op_in(g, n, i);
        if (v->kind != VK_CONST)
            return diag_node(ctx, n, "input %u must be a constant (static shapes)", i);
        if (v->dtype != dt || shape_count(&v->shape) != 1)
            return diag_node(ctx, n, "inputs must be scalars of one type");
    }
    double s, l, d;
    if (dtype_is_float(dt)) {
        TRY(op_const_float(ctx, g, n, 0, &s));
        TRY(op_const_float(ctx, g, n, 1, &l));
        TRY(op_const_float(ctx, g, n, 2, &d));
    } else if (dt == DT_INT64 || dt == DT_INT32) {
        int64_t *t;
        uint64_t c;
        TRY(op_const_ints(ctx, g, n, 0, &t, &c));
        s = (double)t[0];
        TRY(op_const_ints(ctx, g, n, 1, &t, &c));
        l = (double)t[0];
        TRY(op_const_ints(ctx, g, n, 2, &t, &c));
        d = (double)t[0];
    } else {
        return diag_node(ctx, n, "%s Range is not supported", dtype_name(dt));
    }
    if (d == 0)
        return diag_node(ctx, n, "delta is 0");
    double cnt = (l - s) / d;
    int64_t k = cnt <= 0 ? 0 : (int64_t)cnt;
    if ((double)k < cnt)
        k++;
    if (k > (int64_t)ctx->lim.fold_elems)
        return diag_node(ctx, n, "Range of %lld elements is too large", (long long)k);
    Shape o = shape_make(1, &k);
    return op_set_output(ctx, g, n, 0, dt, &o);
}

static LwStatus range_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const Value *y = op_out(kb->g, n, 0);
    DType dt = y->dtype;
    kb_begin(kb, n, NULL);
    uint32_t sb = kb_in(kb, 0), db = kb_in(kb, 2), yb = kb_out(kb, 0);
    uint16_t v = kb_for(kb, y->shape.dims[0]);
    KIndex ix = kidx_const(0);
    kidx_add(&ix, v, 1);
    KExpr *i = kb_cast(kb, dt, kb_idx(kb, DT_INT64, ix));
    kb_store(kb, yb, ix,
             kb_op(kb, KOP_ADD, kb_load(kb, sb, kidx_const(0)),
                   kb_op(kb, KOP_MUL, i, kb_load(kb, db, kidx_const(0)))));
    kb_endfor(kb);
    kb_end(kb);
    return LW_OK;
}

const OpDef ops_misc[] = {
    {"", "Identity", 1, LW_OPSET_MAX, 1, 1, 1, 1, FC_ELEMWISE, OPF_NOOP, op_no_attrs,
     op_infer_same, copy_lower, NULL, NULL, NULL, NULL},
    {"", "Dropout", 1, LW_OPSET_MAX, 1, 3, 1, 2, FC_ELEMWISE, OPF_NOOP, dropout_import,
     dropout_infer, copy_lower, NULL, NULL, NULL, NULL},
    {"", "Cast", 6, LW_OPSET_MAX, 1, 1, 1, 1, FC_ELEMWISE, 0, cast_import, cast_infer, ew_lower,
     s_cast, NULL, NULL, NULL},
    {"", "CastLike", 15, LW_OPSET_MAX, 2, 2, 1, 1, FC_OPAQUE, 0, castlike_import, castlike_infer,
     castlike_lower, NULL, NULL, NULL, NULL},
    {"", "Shape", 1, LW_OPSET_MAX, 1, 1, 1, 1, FC_OPAQUE, OPF_SHAPE_ONLY, shape_import,
     shape_infer, shape_lower, NULL, NULL, NULL, NULL},
    {"", "Size", 1, LW_OPSET_MAX, 1, 1, 1, 1, FC_OPAQUE, OPF_SHAPE_ONLY, op_no_attrs, size_infer,
     size_lower, NULL, NULL, NULL, NULL},
    {"", "ConstantOfShape", 9, LW_OPSET_MAX, 1, 1, 1, 1, FC_OPAQUE, 0, cos_import, cos_infer,
     cos_lower, NULL, NULL, NULL, NULL},
    {"", "Range", 11, LW_OPSET_MAX, 3, 3, 1, 1, FC_OPAQUE, 0, op_no_attrs, range_infer,
     range_lower, NULL, NULL, NULL, NULL},
};
const uint32_t ops_misc_count = LW_COUNT(ops_misc);
