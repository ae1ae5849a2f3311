/* Index ops: GatherElements, GatherND, ScatterElements/Scatter, ScatterND,
 * OneHot, CumSum, Compress, EyeLike, ReverseSequence, TopK, Trilu. Data-
 * dependent reads go through clamped loads (kb_loadx); scatters are written
 * as a gather: each output position scans the updates whose index hits it. */
#include <string.h>

#include "include/lwcc/ckd.h"
#include "ir/kir_build.h"
#include "ops/families.h"

typedef enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN } RedKind;

typedef struct IndexAttrs {
    int64_t axis, batch_dims, k, dtype;
    int64_t largest, sorted, exclusive, reverse, upper;
    int64_t batch_axis, time_axis;
    int has_axis;
    int wrap;          /* OneHot-11: negative indices count from the end */
    RedKind red;
    int64_t ax;        /* resolved axis (infer) */
    int64_t kval;      /* TopK k, resolved by infer */
    const int32_t *sel; /* Compress: selected positions, resolved by infer */
    uint64_t nsel;
} IndexAttrs;

/* --- shared helpers --- */

static IndexAttrs *new_attrs(Ctx *ctx, Node *n)
{
    IndexAttrs *a = arena_new(ctx->perm, IndexAttrs);
    memset(a, 0, sizeof *a);
    n->attrs = a;
    return a;
}

static int is_index_type(DType dt) { return dt == DT_INT64 || dt == DT_INT32; }

static LwStatus check_indices(Ctx *ctx, const Graph *g, const Node *n, uint16_t i)
{
    DType dt = op_in(g, n, i)->dtype;
    if (!is_index_type(dt))
        return diag_node(ctx, n, "input %u (indices) is %s; int32 or int64 expected", i,
                         dtype_name(dt));
    return LW_OK;
}

/* Data that is only moved: any dtype lwcc stores. */
static LwStatus check_storable(Ctx *ctx, const Graph *g, const Node *n, uint16_t i)
{
    DType dt = op_in(g, n, i)->dtype;
    if (dt == DT_UNDEFINED)
        return diag_node(ctx, n, "input %u has no known element type", i);
    return LW_OK;
}

/* Data that is computed on (sums, products, comparisons). */
static LwStatus check_arith(Ctx *ctx, const Node *n, DType dt, const char *what)
{
    if (!dtype_is_float(dt) && !dtype_is_int(dt))
        return diag_node(ctx, n, "%s of type %s is not supported (float32, float64 and "
                         "integer types)", what, dtype_name(dt));
    return LW_OK;
}

/* A constant numeric input of any integer, bool or float dtype, as int64s
 * (floats truncated, as ONNX casts OneHot's depth). */
static LwStatus const_nums(Ctx *ctx, const Graph *g, const Node *n, uint16_t i, int64_t **vals,
                           uint64_t *count)
{
    const Value *v = op_in(g, n, i);
    if (v->kind != VK_CONST || dtype_is_int(v->dtype))
        return op_const_ints(ctx, g, n, i, vals, count); /* its diagnostics */
    uint64_t c = shape_count(&v->shape);
    int64_t *out = arena_array(ctx->perm, int64_t, c ? c : 1);
    for (uint64_t k = 0; k < c; k++) {
        const unsigned char *p = v->data->bytes + k * dtype_size(v->dtype);
        if (v->dtype == DT_BOOL) {
            out[k] = p[0] != 0;
        } else if (v->dtype == DT_FLOAT32 || v->dtype == DT_FLOAT64) {
            double d;
            if (v->dtype == DT_FLOAT32) {
                float f;
                memcpy(&f, p, 4);
                d = f;
            } else {
                memcpy(&d, p, 8);
            }
            if (!(d > -9.2e18 && d < 9.2e18))
                return diag_node(ctx, n, "input %u holds a value out of the int64 range", i);
            out[k] = (int64_t)d;
        } else {
            return diag_node(ctx, n, "input %u of type %s is not supported here", i,
                             dtype_name(v->dtype));
        }
    }
    *vals = out;
    *count = c;
    return LW_OK;
}

/* One constant integer scalar (or one-element tensor) input. */
static LwStatus const_scalar(Ctx *ctx, const Graph *g, const Node *n, uint16_t i, int64_t *val)
{
    int64_t *v;
    uint64_t c;
    TRY(const_nums(ctx, g, n, i, &v, &c));
    if (c != 1)
        return diag_node(ctx, n, "input %u must hold one value, it has %llu", i,
                         (unsigned long long)c);
    *val = v[0];
    return LW_OK;
}

/* iv < 0 ? iv + dim : iv, in iv's type. */
static KExpr *wrap_index(KBuilder *kb, KExpr *iv, int64_t dim)
{
    DType it = iv->type.dt;
    return kb_select(kb, kb_op(kb, KOP_LT, iv, kb_const_i(kb, it, 0)),
                     kb_op(kb, KOP_ADD, iv, kb_const_i(kb, it, dim)), iv);
}

static int64_t prod_dims(const Shape *s, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= s->dims[i];
    return p;
}

static LwStatus import_reduction(Ctx *ctx, Node *n, const AttrList *al, IndexAttrs *a,
                                 int minmax)
{
    const char *r;
    TRY(attr_string(ctx, &n->loc, al, "reduction", "none", &r));
    if (!strcmp(r, "none"))
        a->red = RED_NONE;
    else if (!strcmp(r, "add"))
        a->red = RED_ADD;
    else if (!strcmp(r, "mul"))
        a->red = RED_MUL;
    else if (minmax && !strcmp(r, "max"))
        a->red = RED_MAX;
    else if (minmax && !strcmp(r, "min"))
        a->red = RED_MIN;
    else
        return diag_node(ctx, n, "'reduction' is '%s'; opset %d allows none, add, mul%s", r,
                         (int)n->loc.opset, minmax ? ", max, min" : "");
    return LW_OK;
}

static KExpr *combine(KBuilder *kb, RedKind red, KExpr *acc, KExpr *upd)
{
    switch (red) {
    case RED_NONE:
        return upd;
    case RED_ADD:
        return kb_op(kb, KOP_ADD, acc, upd);
    case RED_MUL:
        return kb_op(kb, KOP_MUL, acc, upd);
    case RED_MAX:
        return kb_op(kb, KOP_MAX, acc, upd);
    case RED_MIN:
        return kb_op(kb, KOP_MIN, acc, upd);
    }
    return upd;
}

/* --- GatherElements (11, 13) --- */
static LwStatus axis0_import(Ctx *ctx, Node *n, const AttrList *al)
{
    IndexAttrs *a = new_attrs(ctx, n);
    TRY(attr_int(ctx, &n->loc, al, "axis", 0, &a->axis));
    return attr_check_unused(ctx, &n->loc, al);
}

/* Indices/updates of data's rank, no larger than data off the axis. */
static LwStatus check_along_axis(Ctx *ctx, Node *n, const Value *x, const Value *idx,
                                 int64_t axis, int64_t *ax)
{
    if (x->shape.rank == 0)
        return diag_node(ctx, n, "data must have rank 1 or more");
    if (!shape_axis(axis, x->shape.rank, ax))
        return diag_node(ctx, n, "axis %lld is out of range for rank %u", (long long)axis,
                         x->shape.rank);
    if (idx->shape.rank != x->shape.rank)
        return diag_node(ctx, n, "indices have rank %u, data has rank %u: they must match",
                         idx->shape.rank, x->shape.rank);
    for (int d = 0; d < x->shape.rank; d++)
        if (d != *ax && idx->shape.dims[d] > x->shape.dims[d])
            return diag_node(ctx, n, "indices dim %d is %lld, larger than data's %lld", d,
                             (long long)idx->shape.dims[d], (long long)x->shape.dims[d]);
    if (x->shape.dims[*ax] == 0 && shape_count(&idx->shape) > 0)
        return diag_node(ctx, n, "indexing an empty axis");
    return LW_OK;
}

static LwStatus gather_el_infer(Ctx *ctx, Graph *g, Node *n)
{
    IndexAttrs *a = (IndexAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0), *idx = op_in(g, n, 1);
    TRY(check_storable(ctx, g, n, 0));
    TRY(check_indices(ctx, g, n, 1));
    TRY(check_along_axis(ctx, n, x, idx, a->axis, &a->ax));
    return op_set_output(ctx, g, n, 0, x->dtype, &idx->shape);
}

static LwStatus gather_el_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *idx = op_in(kb->g, n, 1);
    int r = x->shape.rank;
    int64_t ax = a->ax, dim = x->shape.dims[ax];
    int64_t xs[LW_MAX_RANK], is[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&idx->shape, is);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), ib = kb_in(kb, 1), yb = kb_out(kb, 0);
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &idx->shape, v);
    KIndex xi = kidx_const(0), ii = kidx_rowmajor(v, is, r, 0);
    for (int d = 0; d < r; d++)
        if (d != ax)
            kidx_add(&xi, v[d], xs[d]);
    KExpr *iv = wrap_index(kb, kb_load(kb, ib, ii), dim);
    kb_store(kb, yb, ii, kb_loadx(kb, xb, xi, kb_cast(kb, DT_INT32, iv), xs[ax], dim));
    kb_endfor_n(kb, r);
    kb_end(kb);
    return LW_OK;
}

/* --- GatherND (11; batch_dims from 12) --- */
static LwStatus gathernd_import(Ctx *ctx, Node *n, const AttrList *al)
{
    IndexAttrs *a = new_attrs(ctx, n);
    if (n->loc.opset >= 12)
        TRY(attr_int(ctx, &n->loc, al, "batch_dims", 0, &a->batch_dims));
    return attr_check_unused(ctx, &n->loc, al);
}

/* Shared by GatherND and ScatterND: r = rank(data), q = rank(indices),
 * m = indices' last dim; checks 1 <= m <= r - b and the batch dims. */
static LwStatus nd_check(Ctx *ctx, const Node *n, const Value *x, const Value *idx, int64_t b,
                         int64_t *m)
{
    int r = x->shape.rank, q = idx->shape.rank;
    if (r < 1 || q < 1)
        return diag_node(ctx, n, "data and indices must have rank 1 or more");
    if (b < 0 || b >= r || b >= q)
        return diag_node(ctx, n, "'batch_dims' is %lld; it must be below both ranks (%d, %d)",
                         (long long)b, r, q);
    for (int i = 0; i < b; i++)
        if (idx->shape.dims[i] != x->shape.dims[i])
            return diag_node(ctx, n, "batch dim %d differs: indices %lld, data %lld", i,
                             (long long)idx->shape.dims[i], (long long)x->shape.dims[i]);
    *m = idx->shape.dims[q - 1];
    if (*m < 1 || *m > r - b)
        return diag_node(ctx, n, "indices' last dim is %lld; it must be in [1, %lld]",
                         (long long)*m, (long long)(r - b));
    for (int64_t t = 0; t < *m; t++)
        if (x->shape.dims[b + t] == 0 && shape_count(&idx->shape) > 0)
            return diag_node(ctx, n, "indexing an empty axis");
    return LW_OK;
}

static LwStatus gathernd_infer(Ctx *ctx, Graph *g, Node *n)
{
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0), *idx = op_in(g, n, 1);
    TRY(check_storable(ctx, g, n, 0));
    TRY(check_indices(ctx, g, n, 1));
    int64_t m = 0, b = a->batch_dims;
    TRY(nd_check(ctx, n, x, idx, b, &m));
    int q = idx->shape.rank, r = x->shape.rank;
    if (q - 1 + r - b - m > LW_MAX_RANK)
        return diag_node(ctx, n, "output rank is not supported (max %d)", LW_MAX_RANK);
    Shape s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < q - 1; i++)
        s.dims[s.rank++] = idx->shape.dims[i];
    for (int64_t i = b + m; i < r; i++)
        s.dims[s.rank++] = x->shape.dims[i];
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* The flat offset (in units of data's stride at dim b+m-1) that index tuple
 * `ii` (an affine index of its first component) names, each component
 * wrapped; computed in int32. */
static KExpr *nd_offset(KBuilder *kb, uint32_t ib, KIndex ii, const Shape *xs_shape, int64_t b,
                        int64_t m)
{
    KExpr *off = NULL;
    for (int64_t t = 0; t < m; t++) {
        KIndex it = ii;
        it.base += t;
        KExpr *c = kb_cast(kb, DT_INT32, wrap_index(kb, kb_load(kb, ib, it),
                                                    xs_shape->dims[b + t]));
        int64_t mult = prod_dims(xs_shape, (int)(b + t + 1), (int)(b + m));
        if (mult != 1)
            c = kb_op(kb, KOP_MUL, c, kb_const_i(kb, DT_INT32, mult));
        off = off ? kb_op(kb, KOP_ADD, off, c) : c;
    }
    return off;
}

static LwStatus gathernd_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *idx = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    int64_t b = a->batch_dims, m = idx->shape.dims[idx->shape.rank - 1];
    int q = idx->shape.rank, r = x->shape.rank;
    int64_t xs[LW_MAX_RANK], is[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&idx->shape, is);
    shape_strides(&y->shape, ys);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), ib = kb_in(kb, 1), yb = kb_out(kb, 0);
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &y->shape, v);
    KIndex xi = kidx_const(0), ii = kidx_const(0);
    for (int i = 0; i < q - 1; i++) {
        kidx_add(&ii, v[i], is[i]);
        if (i < b)
            kidx_add(&xi, v[i], xs[i]);
    }
    for (int64_t j = 0; j < r - b - m; j++)
        kidx_add(&xi, v[q - 1 + j], xs[b + m + j]);
    KExpr *off = nd_offset(kb, ib, ii, &x->shape, b, m);
    kb_store(kb, yb, kidx_rowmajor(v, ys, y->shape.rank, 0),
             kb_loadx(kb, xb, xi, off, xs[b + m - 1], prod_dims(&x->shape, (int)b, (int)(b + m))));
    kb_endfor_n(kb, y->shape.rank);
    kb_end(kb);
    return LW_OK;
}

/* --- ScatterElements (11, 16: reduction, 18: max/min) and Scatter (9-10) --- */
static LwStatus scatter_el_import(Ctx *ctx, Node *n, const AttrList *al)
{
    IndexAttrs *a = new_attrs(ctx, n);
    TRY(attr_int(ctx, &n->loc, al, "axis", 0, &a->axis));
    if (n->loc.opset >= 16)
        TRY(import_reduction(ctx, n, al, a, n->loc.opset >= 18));
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus scatter_data_check(Ctx *ctx, const Graph *g, const Node *n, RedKind red)
{
    const Value *x = op_in(g, n, 0), *u = op_in(g, n, 2);
    if (u->dtype != x->dtype)
        return diag_node(ctx, n, "updates are %s, data is %s: types must match",
                         dtype_name(u->dtype), dtype_name(x->dtype));
    if (red != RED_NONE)
        return check_arith(ctx, n, x->dtype, "data");
    return check_storable(ctx, g, n, 0);
}

static LwStatus scatter_el_infer(Ctx *ctx, Graph *g, Node *n)
{
    IndexAttrs *a = (IndexAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0), *idx = op_in(g, n, 1), *u = op_in(g, n, 2);
    TRY(scatter_data_check(ctx, g, n, a->red));
    TRY(check_indices(ctx, g, n, 1));
    TRY(check_along_axis(ctx, n, x, idx, a->axis, &a->ax));
    if (!shape_equal(&u->shape, &idx->shape))
        return diag_node(ctx, n, "updates and indices must have the same shape");
    return op_set_output(ctx, g, n, 0, x->dtype, &x->shape);
}

/* Each output position p starts from data[p] and folds in, in order, every
 * update whose position matches p off the axis and whose index is p's. */
static LwStatus scatter_el_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *idx = op_in(kb->g, n, 1);
    int r = x->shape.rank;
    int64_t ax = a->ax, dim = x->shape.dims[ax];
    int64_t xs[LW_MAX_RANK], is[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&idx->shape, is);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), ib = kb_in(kb, 1), ub = kb_in(kb, 2), yb = kb_out(kb, 0);
    uint16_t acc = kb_local(kb, ktype(x->dtype));
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &x->shape, v);
    KIndex xi = kidx_rowmajor(v, xs, r, 0);
    kb_set(kb, acc, kb_load(kb, xb, xi));
    KCond conds[LW_MAX_RANK];
    uint8_t nc = 0;
    KIndex ui = kidx_const(0);
    for (int d = 0; d < r; d++) {
        if (d == ax)
            continue;
        kidx_add(&ui, v[d], is[d]);
        if (idx->shape.dims[d] < x->shape.dims[d]) {
            conds[nc].e = kidx_const(0);
            kidx_add(&conds[nc].e, v[d], 1);
            conds[nc++].bound = idx->shape.dims[d];
        }
    }
    if (nc)
        kb_if(kb, conds, nc);
    uint16_t j = kb_for(kb, idx->shape.dims[ax]);
    kidx_add(&ui, j, is[ax]);
    DType it = idx->dtype;
    KIndex pa = kidx_const(0);
    kidx_add(&pa, v[ax], 1);
    KExpr *hit = kb_op(kb, KOP_EQ, wrap_index(kb, kb_load(kb, ib, ui), dim), kb_idx(kb, it, pa));
    KExpr *cur = kb_var(kb, acc);
    kb_set(kb, acc, kb_select(kb, hit, combine(kb, a->red, cur, kb_load(kb, ub, ui)), cur));
    kb_endfor(kb);
    if (nc)
        kb_endif(kb);
    kb_store(kb, yb, xi, kb_var(kb, acc));
    kb_endfor_n(kb, r);
    kb_end(kb);
    return LW_OK;
}

/* --- ScatterND (11, 16: reduction, 18: max/min) --- */
static LwStatus scatternd_import(Ctx *ctx, Node *n, const AttrList *al)
{
    IndexAttrs *a = new_attrs(ctx, n);
    if (n->loc.opset >= 16)
        TRY(import_reduction(ctx, n, al, a, n->loc.opset >= 18));
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus scatternd_infer(Ctx *ctx, Graph *g, Node *n)
{
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0), *idx = op_in(g, n, 1), *u = op_in(g, n, 2);
    TRY(scatter_data_check(ctx, g, n, a->red));
    TRY(check_indices(ctx, g, n, 1));
    int64_t m = 0;
    TRY(nd_check(ctx, n, x, idx, 0, &m));
    int q = idx->shape.rank, r = x->shape.rank;
    Shape s;
    memset(&s, 0, sizeof s);
    if (q - 1 + r - m > LW_MAX_RANK)
        return diag_node(ctx, n, "updates rank is not supported (max %d)", LW_MAX_RANK);
    for (int i = 0; i < q - 1; i++)
        s.dims[s.rank++] = idx->shape.dims[i];
    for (int64_t i = m; i < r; i++)
        s.dims[s.rank++] = x->shape.dims[i];
    if (!shape_equal(&s, &u->shape))
        return diag_node(ctx, n, "updates must have shape indices.shape[:-1] + data.shape[%lld:]",
                         (long long)m);
    return op_set_output(ctx, g, n, 0, x->dtype, &x->shape);
}

static LwStatus scatternd_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *idx = op_in(kb->g, n, 1), *u = op_in(kb->g, n, 2);
    int q = idx->shape.rank, r = x->shape.rank;
    int64_t m = idx->shape.dims[q - 1];
    int64_t xs[LW_MAX_RANK], is[LW_MAX_RANK], us[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&idx->shape, is);
    shape_strides(&u->shape, us);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), ib = kb_in(kb, 1), ub = kb_in(kb, 2), yb = kb_out(kb, 0);
    uint16_t acc = kb_local(kb, ktype(x->dtype));
    uint16_t v[LW_MAX_RANK], w[LW_MAX_RANK];
    kb_for_shape(kb, &x->shape, v);
    KIndex xi = kidx_rowmajor(v, xs, r, 0);
    kb_set(kb, acc, kb_load(kb, xb, xi));
    KIndex ii = kidx_const(0), ui = kidx_const(0);
    for (int i = 0; i < q - 1; i++) {
        w[i] = kb_for(kb, idx->shape.dims[i]);
        kidx_add(&ii, w[i], is[i]);
        kidx_add(&ui, w[i], us[i]);
    }
    for (int64_t j = 0; j < r - m; j++)
        kidx_add(&ui, v[m + j], us[q - 1 + j]);
    DType it = idx->dtype;
    KExpr *hit = NULL;
    for (int64_t t = 0; t < m; t++) {
        KIndex ti = ii, pt = kidx_const(0);
        ti.base += t;
        kidx_add(&pt, v[t], 1);
        KExpr *e = kb_op(kb, KOP_EQ, wrap_index(kb, kb_load(kb, ib, ti), x->shape.dims[t]),
                         kb_idx(kb, it, pt));
        hit = hit ? kb_op(kb, KOP_AND, hit, e) : e;
    }
    KExpr *cur = kb_var(kb, acc);
    kb_set(kb, acc, kb_select(kb, hit, combine(kb, a->red, cur, kb_load(kb, ub, ui)), cur));
    kb_endfor_n(kb, q - 1);
    kb_store(kb, yb, xi, kb_var(kb, acc));
    kb_endfor_n(kb, r);
    kb_end(kb);
    return LW_OK;
}

/* --- OneHot (9; negative indices wrap from 11) --- */
static LwStatus onehot_import(Ctx *ctx, Node *n, const AttrList *al)
{
    IndexAttrs *a = new_attrs(ctx, n);
    TRY(attr_int(ctx, &n->loc, al, "axis", -1, &a->axis));
    a->wrap = n->loc.opset >= 11;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus onehot_infer(Ctx *ctx, Graph *g, Node *n)
{
    IndexAttrs *a = (IndexAttrs *)n->attrs;
    const Value *idx = op_in(g, n, 0), *vals = op_in(g, n, 2);
    TRY(check_arith(ctx, n, idx->dtype, "indices"));
    TRY(check_storable(ctx, g, n, 2));
    TRY(const_scalar(ctx, g, n, 1, &a->kval));
    if (a->kval < 1)
        return diag_node(ctx, n, "depth is %lld; it must be positive", (long long)a->kval);
    if (shape_count(&vals->shape) != 2)
        return diag_node(ctx, n, "values must hold two elements [off, on]");
    int r = idx->shape.rank;
    if (r + 1 > LW_MAX_RANK)
        return diag_node(ctx, n, "output rank is not supported (max %d)", LW_MAX_RANK);
    if (!shape_axis(a->axis, r + 1, &a->ax))
        return diag_node(ctx, n, "axis %lld is out of range for output rank %d",
                         (long long)a->axis, r + 1);
    Shape s;
    memset(&s, 0, sizeof s);
    for (int i = 0, j = 0; i <= r; i++)
        s.dims[s.rank++] = i == a->ax ? a->kval : idx->shape.dims[j++];
    return op_set_output(ctx, g, n, 0, vals->dtype, &s);
}

static LwStatus onehot_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const IndexAttrs *a = n->attrs;
    const Value *idx = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int r = idx->shape.rank;
    int64_t is[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&idx->shape, is);
    shape_strides(&y->shape, ys);
    kb_begin(kb, n, NULL);
    uint32_t ib = kb_in(kb, 0), vb = kb_in(kb, 2), yb = kb_out(kb, 0);
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &y->shape, v);
    KIndex ii = kidx_const(0), di = kidx_const(0);
    for (int i = 0, j = 0; i <= r; i++) {
        if (i == a->ax)
            kidx_add(&di, v[i], 1);
        else
            kidx_add(&ii, v[i], is[j++]);
    }
    KExpr *iv = kb_cast(kb, DT_INT64, kb_load(kb, ib, ii));
    if (a->wrap)
        iv = wrap_index(kb, iv, a->kval);
    KExpr *hit = kb_op(kb, KOP_EQ, iv, kb_idx(kb, DT_INT64, di));
    kb_store(kb, yb, kidx_rowmajor(v, ys, r + 1, 0),
             kb_select(kb, hit, kb_load(kb, vb, kidx_const(1)), kb_load(kb, vb, kidx_const(0))));
    kb_endfor_n(kb, r + 1);
    kb_end(kb);
    return LW_OK;
}

/* --- CumSum (11, 14) --- */
static LwStatus cumsum_import(Ctx *ctx, Node *n, const AttrList *al)
{
    IndexAttrs *a = new_attrs(ctx, n);
    TRY(attr_int(ctx, &n->loc, al, "exclusive", 0, &a->exclusive));
    TRY(attr_int(ctx, &n->loc, al, "reverse", 0, &a->reverse));
    if ((a->exclusive != 0 && a->exclusive != 1) || (a->reverse != 0 && a->reverse != 1))
        return diag_node(ctx, n, "'exclusive' and 'reverse' must be 0 or 1");
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus cumsum_infer(Ctx *ctx, Graph *g, Node *n)
{
    IndexAttrs *a = (IndexAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    TRY(check_arith(ctx, n, x->dtype, "input"));
    if (x->shape.rank == 0)
        return diag_node(ctx, n, "input must have rank 1 or more");
    int64_t axis = 0;
    if (!is_index_type(op_in(g, n, 1)->dtype))
        return diag_node(ctx, n, "axis input is %s; int32 or int64 expected",
                         dtype_name(op_in(g, n, 1)->dtype));
    TRY(const_scalar(ctx, g, n, 1, &axis));
    if (!shape_axis(axis, x->shape.rank, &a->ax))
        return diag_node(ctx, n, "axis %lld is out of range for rank %u", (long long)axis,
                         x->shape.rank);
    return op_set_output(ctx, g, n, 0, x->dtype, &x->shape);
}

/* A running sum along the axis, forwards or backwards; exclusive stores
 * before adding. */
static LwStatus cumsum_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    int r = x->shape.rank;
    int64_t dim = x->shape.dims[a->ax], outer = prod_dims(&x->shape, 0, (int)a->ax);
    int64_t inner = prod_dims(&x->shape, (int)a->ax + 1, r);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t acc = kb_local(kb, ktype(x->dtype));
    uint16_t vo = kb_for(kb, outer), vi = kb_for(kb, inner);
    kb_set(kb, acc, kb_const_i(kb, x->dtype, 0));
    uint16_t vj = kb_for(kb, dim);
    KIndex ix = kidx_const(0);
    kidx_add(&ix, vo, dim * inner);
    kidx_add(&ix, vi, 1);
    if (a->reverse) {
        ix.base += (dim - 1) * inner;
        kidx_add(&ix, vj, -inner);
    } else {
        kidx_add(&ix, vj, inner);
    }
    if (a->exclusive)
        kb_store(kb, yb, ix, kb_var(kb, acc));
    kb_set(kb, acc, kb_op(kb, KOP_ADD, kb_var(kb, acc), kb_load(kb, xb, ix)));
    if (!a->exclusive)
        kb_store(kb, yb, ix, kb_var(kb, acc));
    kb_endfor_n(kb, 3);
    (void)vj;
    kb_end(kb);
    return LW_OK;
}

/* --- Compress (9; negative axis from 11) --- */
static LwStatus compress_import(Ctx *ctx, Node *n, const AttrList *al)
{
    IndexAttrs *a = new_attrs(ctx, n);
    a->has_axis = attr_find(al, "axis") != NULL;
    TRY(attr_int(ctx, &n->loc, al, "axis", 0, &a->axis));
    if (n->loc.opset < 11 && a->axis < 0)
        return diag_node(ctx, n, "negative 'axis' needs opset 11 or later");
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus compress_infer(Ctx *ctx, Graph *g, Node *n)
{
    IndexAttrs *a = (IndexAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0), *c = op_in(g, n, 1);
    TRY(check_storable(ctx, g, n, 0));
    if (c->shape.rank != 1)
        return diag_node(ctx, n, "condition must be 1-D, it has rank %u", c->shape.rank);
    int64_t *cv;
    uint64_t cn, span;
    TRY(const_nums(ctx, g, n, 1, &cv, &cn));
    if (a->has_axis) {
        if (!shape_axis(a->axis, x->shape.rank, &a->ax))
            return diag_node(ctx, n, "axis %lld is out of range for rank %u",
                             (long long)a->axis, x->shape.rank);
        span = (uint64_t)x->shape.dims[a->ax];
    } else {
        span = shape_count(&x->shape);
    }
    int32_t *sel = arena_array(ctx->perm, int32_t, cn ? cn : 1);
    uint64_t ns = 0;
    for (uint64_t i = 0; i < cn; i++) {
        if (!cv[i])
            continue;
        if (i >= span)
            return diag_node(ctx, n, "condition selects position %llu, past the %llu "
                             "positions of the input", (unsigned long long)i,
                             (unsigned long long)span);
        if (i > INT32_MAX)
            return diag_node(ctx, n, "input is too large");
        sel[ns++] = (int32_t)i;
    }
    a->sel = sel;
    a->nsel = ns;
    Shape s = x->shape;
    if (a->has_axis) {
        s.dims[a->ax] = (int64_t)ns;
    } else {
        memset(&s, 0, sizeof s);
        s.rank = 1;
        s.dims[0] = (int64_t)ns;
    }
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static LwStatus compress_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    kb_begin(kb, n, NULL);
    if (shape_count(&y->shape) == 0) {
        kb_end(kb);
        return LW_OK;
    }
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint32_t wb = kb_weight(kb, DT_INT32, a->sel, a->nsel);
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &y->shape, v);
    KIndex xi = kidx_const(0), si = kidx_const(0);
    int64_t stride = 1, span = (int64_t)shape_count(&x->shape);
    if (a->has_axis) {
        shape_strides(&x->shape, xs);
        for (int d = 0; d < x->shape.rank; d++)
            if (d != a->ax)
                kidx_add(&xi, v[d], xs[d]);
        kidx_add(&si, v[a->ax], 1);
        stride = xs[a->ax];
        span = x->shape.dims[a->ax];
    } else {
        kidx_add(&si, v[0], 1);
    }
    shape_strides(&y->shape, ys);
    kb_store(kb, yb, kidx_rowmajor(v, ys, y->shape.rank, 0),
             kb_loadx(kb, xb, xi, kb_load(kb, wb, si), stride, span));
    kb_endfor_n(kb, y->shape.rank);
    kb_end(kb);
    return LW_OK;
}

/* --- EyeLike (9) --- */
static LwStatus eyelike_import(Ctx *ctx, Node *n, const AttrList *al)
{
    IndexAttrs *a = new_attrs(ctx, n);
    TRY(attr_int(ctx, &n->loc, al, "dtype", 0, &a->dtype));
    TRY(attr_int(ctx, &n->loc, al, "k", 0, &a->k));
    if (a->dtype && dtype_from_onnx(a->dtype) == DT_UNDEFINED)
        return diag_node(ctx, n, "'dtype' %lld is not supported", (long long)a->dtype);
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus eyelike_infer(Ctx *ctx, Graph *g, Node *n)
{
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    DType dt = a->dtype ? dtype_from_onnx(a->dtype) : x->dtype;
    if (!dtype_is_float(dt) && !dtype_is_int(dt) && dt != DT_BOOL)
        return diag_node(ctx, n, "output type %s is not supported", dtype_name(dt));
    if (x->shape.rank != 2)
        return diag_node(ctx, n, "input must be 2-D, it has rank %u", x->shape.rank);
    return op_set_output(ctx, g, n, 0, dt, &x->shape);
}

static LwStatus eyelike_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const IndexAttrs *a = n->attrs;
    const Value *y = op_out(kb->g, n, 0);
    DType dt = y->dtype;
    kb_begin(kb, n, NULL);
    uint32_t yb = kb_out(kb, 0);
    uint16_t vi = kb_for(kb, y->shape.dims[0]), vj = kb_for(kb, y->shape.dims[1]);
    KIndex d = kidx_const(0), yi = kidx_const(0);
    kidx_add(&d, vj, 1);
    kidx_add(&d, vi, -1);
    kidx_add(&yi, vi, y->shape.dims[1]);
    kidx_add(&yi, vj, 1);
    KExpr *hit = kb_op(kb, KOP_EQ, kb_idx(kb, DT_INT64, d), kb_const_i(kb, DT_INT64, a->k));
    kb_store(kb, yb, yi, kb_select(kb, hit, kb_const_i(kb, dt, 1), kb_const_i(kb, dt, 0)));
    kb_endfor_n(kb, 2);
    kb_end(kb);
    return LW_OK;
}

/* --- ReverseSequence (10): sequence_lens may be a run-time input --- */
static LwStatus revseq_import(Ctx *ctx, Node *n, const AttrList *al)
{
    IndexAttrs *a = new_attrs(ctx, n);
    TRY(attr_int(ctx, &n->loc, al, "batch_axis", 1, &a->batch_axis));
    TRY(attr_int(ctx, &n->loc, al, "time_axis", 0, &a->time_axis));
    if ((a->batch_axis != 0 && a->batch_axis != 1) || (a->time_axis != 0 && a->time_axis != 1) ||
        a->batch_axis == a->time_axis)
        return diag_node(ctx, n, "'batch_axis' and 'time_axis' must be 0 and 1 in some order");
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus revseq_infer(Ctx *ctx, Graph *g, Node *n)
{
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0), *l = op_in(g, n, 1);
    TRY(check_storable(ctx, g, n, 0));
    TRY(check_indices(ctx, g, n, 1));
    if (x->shape.rank < 2)
        return diag_node(ctx, n, "input must have rank 2 or more");
    if (l->shape.rank != 1 || l->shape.dims[0] != x->shape.dims[a->batch_axis])
        return diag_node(ctx, n, "sequence_lens must be 1-D with the batch size (%lld)",
                         (long long)x->shape.dims[a->batch_axis]);
    return op_set_output(ctx, g, n, 0, x->dtype, &x->shape);
}

static LwStatus revseq_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *l = op_in(kb->g, n, 1);
    int r = x->shape.rank;
    int64_t ta = a->time_axis, xs[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), lb = kb_in(kb, 1), yb = kb_out(kb, 0);
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &x->shape, v);
    KIndex xi = kidx_const(0), bi = kidx_const(0), ti = kidx_const(0);
    for (int d = 0; d < r; d++)
        if (d != ta)
            kidx_add(&xi, v[d], xs[d]);
    kidx_add(&bi, v[a->batch_axis], 1);
    kidx_add(&ti, v[ta], 1);
    DType lt = l->dtype;
    KExpr *len = kb_load(kb, lb, bi), *t = kb_idx(kb, lt, ti);
    KExpr *rev = kb_op(kb, KOP_SUB, kb_op(kb, KOP_SUB, len, kb_const_i(kb, lt, 1)), t);
    KExpr *src = kb_select(kb, kb_op(kb, KOP_LT, t, len), rev, t);
    kb_store(kb, yb, kidx_rowmajor(v, xs, r, 0),
             kb_loadx(kb, xb, xi, kb_cast(kb, DT_INT32, src), xs[ta], x->shape.dims[ta]));
    kb_endfor_n(kb, r);
    kb_end(kb);
    return LW_OK;
}

/* --- TopK (1: k attribute; 10: k input; 11: largest, sorted) --- */
static LwStatus topk_import(Ctx *ctx, Node *n, const AttrList *al)
{
    IndexAttrs *a = new_attrs(ctx, n);
    TRY(attr_int(ctx, &n->loc, al, "axis", -1, &a->axis));
    a->largest = a->sorted = 1;
    a->k = -1;
    if (n->loc.opset < 10) {
        TRY(attr_int(ctx, &n->loc, al, "k", -1, &a->k));
        if (a->k < 0)
            return diag_node(ctx, n, "'k' is required and must be non-negative");
    }
    if (n->loc.opset >= 11) {
        TRY(attr_int(ctx, &n->loc, al, "largest", 1, &a->largest));
        TRY(attr_int(ctx, &n->loc, al, "sorted", 1, &a->sorted));
    }
    if (n->loc.opset < 11 && a->axis < 0 && a->axis != -1)
        return diag_node(ctx, n, "negative 'axis' other than -1 needs opset 11");
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus topk_infer(Ctx *ctx, Graph *g, Node *n)
{
    IndexAttrs *a = (IndexAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    TRY(check_arith(ctx, n, x->dtype, "input"));
    if (!shape_axis(a->axis, x->shape.rank, &a->ax))
        return diag_node(ctx, n, "axis %lld is out of range for rank %u", (long long)a->axis,
                         x->shape.rank);
    a->kval = a->k;
    if (a->k < 0) {
        if (n->nin < 2 || !n->in[1])
            return diag_node(ctx, n, "input 1 (K) is required");
        if (!is_index_type(op_in(g, n, 1)->dtype))
            return diag_node(ctx, n, "K is %s; int64 expected",
                             dtype_name(op_in(g, n, 1)->dtype));
        TRY(const_scalar(ctx, g, n, 1, &a->kval));
    }
    if (a->kval < 0 || a->kval > x->shape.dims[a->ax])
        return diag_node(ctx, n, "K is %lld; the axis has %lld elements", (long long)a->kval,
                         (long long)x->shape.dims[a->ax]);
    Shape s = x->shape;
    s.dims[a->ax] = a->kval;
    TRY(op_set_output(ctx, g, n, 0, x->dtype, &s));
    return op_set_output(ctx, g, n, 1, DT_INT64, &s);
}

/* Round r picks the best element ranked after round r-1's pick in the total
 * order (value, then lower index first): O(k * n) per row, no scratch. */
static LwStatus topk_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    DType dt = x->dtype;
    int r = x->shape.rank;
    int64_t dim = x->shape.dims[a->ax], outer = prod_dims(&x->shape, 0, (int)a->ax);
    int64_t inner = prod_dims(&x->shape, (int)a->ax + 1, r), k = a->kval;
    int big = a->largest != 0;
    KOp worse = big ? KOP_LT : KOP_GT, better = big ? KOP_GT : KOP_LT;
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0);
    uint32_t vb = n->out[0] ? kb_out(kb, 0) : 0, ib = n->nout > 1 && n->out[1] ? kb_out(kb, 1) : 0;
    int has_v = n->out[0] != 0, has_i = n->nout > 1 && n->out[1] != 0;
    uint16_t pv = kb_local(kb, ktype(dt)), pi = kb_local(kb, ktype(DT_INT64));
    uint16_t bv = kb_local(kb, ktype(dt)), bi = kb_local(kb, ktype(DT_INT64));
    uint16_t tk = kb_local(kb, ktype(DT_BOOL));
    uint16_t vo = kb_for(kb, outer), vi = kb_for(kb, inner);
    kb_set(kb, pv, big ? kb_const_highest(kb, dt) : kb_const_lowest(kb, dt));
    kb_set(kb, pi, kb_const_i(kb, DT_INT64, -1));
    uint16_t vr = kb_for(kb, k);
    kb_set(kb, bv, big ? kb_const_lowest(kb, dt) : kb_const_highest(kb, dt));
    kb_set(kb, bi, kb_const_i(kb, DT_INT64, -1));
    uint16_t vt = kb_for(kb, dim);
    KIndex xi = kidx_const(0), ti = kidx_const(0);
    kidx_add(&xi, vo, dim * inner);
    kidx_add(&xi, vi, 1);
    kidx_add(&xi, vt, inner);
    kidx_add(&ti, vt, 1);
    KExpr *v = kb_load(kb, xb, xi), *t = kb_idx(kb, DT_INT64, ti);
    KExpr *after = kb_op(kb, KOP_OR, kb_op(kb, worse, v, kb_var(kb, pv)),
                         kb_op(kb, KOP_AND, kb_op(kb, KOP_EQ, v, kb_var(kb, pv)),
                               kb_op(kb, KOP_GT, t, kb_var(kb, pi))));
    KExpr *first = kb_op(kb, KOP_LT, kb_var(kb, bi), kb_const_i(kb, DT_INT64, 0));
    KExpr *take = kb_op(kb, KOP_AND, after,
                        kb_op(kb, KOP_OR, first, kb_op(kb, better, v, kb_var(kb, bv))));
    kb_set(kb, tk, take);
    kb_set(kb, bi, kb_select(kb, kb_var(kb, tk), t, kb_var(kb, bi)));
    kb_set(kb, bv, kb_select(kb, kb_var(kb, tk), v, kb_var(kb, bv)));
    kb_endfor(kb);
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vo, k * inner);
    kidx_add(&yi, vi, 1);
    kidx_add(&yi, vr, inner);
    if (has_v)
        kb_store(kb, vb, yi, kb_var(kb, bv));
    if (has_i)
        kb_store(kb, ib, yi, kb_var(kb, bi));
    kb_set(kb, pv, kb_var(kb, bv));
    kb_set(kb, pi, kb_var(kb, bi));
    kb_endfor_n(kb, 3);
    kb_end(kb);
    return LW_OK;
}

/* --- Trilu (14): k may be a run-time input --- */
static LwStatus trilu_import(Ctx *ctx, Node *n, const AttrList *al)
{
    IndexAttrs *a = new_attrs(ctx, n);
    TRY(attr_int(ctx, &n->loc, al, "upper", 1, &a->upper));
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus trilu_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    TRY(check_storable(ctx, g, n, 0));
    if (x->shape.rank < 2)
        return diag_node(ctx, n, "input must have rank 2 or more");
    if (op_has_in(n, 1)) {
        const Value *k = op_in(g, n, 1);
        if (!is_index_type(k->dtype) || shape_count(&k->shape) != 1)
            return diag_node(ctx, n, "k must be an int64 scalar");
    }
    return op_set_output(ctx, g, n, 0, x->dtype, &x->shape);
}

static LwStatus trilu_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const IndexAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    int r = x->shape.rank;
    int64_t xs[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    KExpr *k = op_has_in(n, 1) ? kb_cast(kb, DT_INT64, kb_load(kb, kb_in(kb, 1), kidx_const(0)))
                               : kb_const_i(kb, DT_INT64, 0);
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &x->shape, v);
    KIndex d = kidx_const(0), xi = kidx_rowmajor(v, xs, r, 0);
    kidx_add(&d, v[r - 1], 1);
    kidx_add(&d, v[r - 2], -1);
    KExpr *keep = kb_op(kb, a->upper ? KOP_GE : KOP_LE, kb_idx(kb, DT_INT64, d), k);
    kb_store(kb, yb, xi, kb_select(kb, keep, kb_load(kb, xb, xi), kb_const_i(kb, x->dtype, 0)));
    kb_endfor_n(kb, r);
    kb_end(kb);
    return LW_OK;
}

#define ROW(name, since, until, nin_min, nin_max, nout, fuse, imp, inf, low)                       \
    {"", name, since, until, nin_min, nin_max, 1, nout, fuse, 0, imp, inf, low, NULL, NULL, NULL, \
     NULL}

const OpDef ops_index[] = {
    ROW("GatherElements", 11, LW_OPSET_MAX, 2, 2, 1, FC_INJECTIVE, axis0_import, gather_el_infer,
        gather_el_lower),
    ROW("GatherND", 11, 11, 2, 2, 1, FC_INJECTIVE, gathernd_import, gathernd_infer,
        gathernd_lower),
    ROW("GatherND", 12, LW_OPSET_MAX, 2, 2, 1, FC_INJECTIVE, gathernd_import, gathernd_infer,
        gathernd_lower),
    ROW("Scatter", 9, 10, 3, 3, 1, FC_OPAQUE, scatter_el_import, scatter_el_infer,
        scatter_el_lower),
    ROW("ScatterElements", 11, 15, 3, 3, 1, FC_OPAQUE, scatter_el_import, scatter_el_infer,
        scatter_el_lower),
    ROW("ScatterElements", 16, 17, 3, 3, 1, FC_OPAQUE, scatter_el_import, scatter_el_infer,
        scatter_el_lower),
    ROW("ScatterElements", 18, LW_OPSET_MAX, 3, 3, 1, FC_OPAQUE, scatter_el_import,
        scatter_el_infer, scatter_el_lower),
    ROW("ScatterND", 11, 15, 3, 3, 1, FC_OPAQUE, scatternd_import, scatternd_infer,
        scatternd_lower),
    ROW("ScatterND", 16, 17, 3, 3, 1, FC_OPAQUE, scatternd_import, scatternd_infer,
        scatternd_lower),
    ROW("ScatterND", 18, LW_OPSET_MAX, 3, 3, 1, FC_OPAQUE, scatternd_import, scatternd_infer,
        scatternd_lower),
    ROW("OneHot", 9, 10, 3, 3, 1, FC_INJECTIVE, onehot_import, onehot_infer, onehot_lower),
    ROW("OneHot", 11, LW_OPSET_MAX, 3, 3, 1, FC_INJECTIVE, onehot_import, onehot_infer,
        onehot_lower),
    ROW("CumSum", 11, LW_OPSET_MAX, 2, 2, 1, FC_OPAQUE, cumsum_import, cumsum_infer,
        cumsum_lower),
    ROW("Compress", 9, 10, 2, 2, 1, FC_INJECTIVE, compress_import, compress_infer,
        compress_lower),
    ROW("Compress", 11, LW_OPSET_MAX, 2, 2, 1, FC_INJECTIVE, compress_import, compress_infer,
        compress_lower),
    ROW("EyeLike", 9, LW_OPSET_MAX, 1, 1, 1, FC_INJECTIVE, eyelike_import, eyelike_infer,
        eyelike_lower),
    ROW("ReverseSequence", 10, LW_OPSET_MAX, 2, 2, 1, FC_INJECTIVE, revseq_import, revseq_infer,
        revseq_lower),
    ROW("TopK", 1, 9, 1, 1, 2, FC_OPAQUE, topk_import, topk_infer, topk_lower),
    ROW("TopK", 10, 10, 2, 2, 2, FC_OPAQUE, topk_import, topk_infer, topk_lower),
    ROW("TopK", 11, LW_OPSET_MAX, 2, 2, 2, FC_OPAQUE, topk_import, topk_infer, topk_lower),
    ROW("Trilu", 14, LW_OPSET_MAX, 1, 2, 1, FC_INJECTIVE, trilu_import, trilu_infer, trilu_lower),
};
const uint32_t ops_index_count = LW_COUNT(ops_index);
