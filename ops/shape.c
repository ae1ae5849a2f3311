/* Data movement: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat,
 * Split, Slice, Gather, Pad, Expand, Tile. Reshape-like ops are aliases of
 * their input's bytes; their lowering is a copy, used only when the bytes
 * must move (a graph output, constant folding). */
#include <string.h>

#include "include/lwcc/ckd.h"
#include "ir/kir_build.h"
#include "ops/families.h"

typedef struct ShapeAttrs {
    int64_t axis;
    int64_t allowzero;
    int64_t perm[LW_MAX_RANK];
    uint32_t nperm;
    const int64_t *ints; /* axes / split / starts (attribute forms) */
    uint32_t nints;
    const int64_t *ends, *steps, *axes2;
    uint32_t nends, naxes2;
    const char *mode;
    float value;
    int64_t num_outputs;
    int has_axes_attr;
} ShapeAttrs;

/* Copy lowering for alias ops (same element count, same dtype). */
static LwStatus alias_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    kb_copy(kb, yb, xb, shape_count(&op_out(kb->g, n, 0)->shape));
    kb_end(kb);
    return LW_OK;
}

/* --- Reshape --- */
static LwStatus reshape_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ShapeAttrs *a = arena_new(ctx->perm, ShapeAttrs);
    TRY(attr_int(ctx, &n->loc, al, "allowzero", 0, &a->allowzero));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus reshape_infer(Ctx *ctx, Graph *g, Node *n)
{
    const ShapeAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    int64_t *d;
    uint64_t cnt, total = shape_count(&x->shape), known = 1;
    TRY(op_const_ints(ctx, g, n, 1, &d, &cnt));
    if (cnt > LW_MAX_RANK)
        return diag_node(ctx, n, "target rank %llu is not supported (max %d)",
                         (unsigned long long)cnt, LW_MAX_RANK);
    Shape s;
    memset(&s, 0, sizeof s);
    s.rank = (uint8_t)cnt;
    int infer_at = -1;
    for (uint64_t i = 0; i < cnt; i++) {
        int64_t v = d[i];
        if (v == 0 && !a->allowzero) {
            if (i >= x->shape.rank)
                return diag_node(ctx, n, "shape entry %llu is 0 but the input has rank %u",
                                 (unsigned long long)i, x->shape.rank);
            v = x->shape.dims[i];
        }
        if (v == -1) {
            if (infer_at >= 0)
                return diag_node(ctx, n, "more than one -1 in the target shape");
            infer_at = (int)i;
            continue;
        }
        if (v < 0)
            return diag_node(ctx, n, "target shape entry %lld is invalid", (long long)v);
        s.dims[i] = v;
        if (!ckd_mul_u64(&known, known, (uint64_t)v))
            return diag_node(ctx, n, "target shape overflows");
    }
    if (infer_at >= 0) {
        if (known == 0 || total % known != 0)
            return diag_node(ctx, n, "cannot reshape %llu elements with a -1 entry",
                             (unsigned long long)total);
        s.dims[infer_at] = (int64_t)(total / known);
    } else if (known != total) {
        return diag_node(ctx, n, "cannot reshape %llu elements into %llu",
                         (unsigned long long)total, (unsigned long long)known);
    }
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* --- Flatten --- */
static LwStatus axis_import(Ctx *ctx, Node *n, const AttrList *al, int64_t def)
{
    ShapeAttrs *a = arena_new(ctx->perm, ShapeAttrs);
    TRY(attr_int(ctx, &n->loc, al, "axis", def, &a->axis));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus flatten_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return axis_import(ctx, n, al, 1);
}

static LwStatus flatten_infer(Ctx *ctx, Graph *g, Node *n)
{
    const ShapeAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    int64_t ax = a->axis < 0 ? a->axis + x->shape.rank : a->axis;
    if (ax < 0 || ax > x->shape.rank)
        return diag_node(ctx, n, "axis %lld is out of range", (long long)a->axis);
    int64_t d[2] = {1, 1};
    for (int i = 0; i < x->shape.rank; i++)
        d[i < ax ? 0 : 1] *= x->shape.dims[i];
    Shape s = shape_make(2, d);
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* --- Squeeze / Unsqueeze: axes as attribute (<13) or input (>=13) --- */
static LwStatus axes_attr_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ShapeAttrs *a = arena_new(ctx->perm, ShapeAttrs);
    TRY(attr_ints_ref(ctx, &n->loc, al, "axes", &a->ints, &a->nints));
    a->has_axes_attr = 1;
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus axes_input_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ShapeAttrs *a = arena_new(ctx->perm, ShapeAttrs);
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus get_axes(Ctx *ctx, Graph *g, Node *n, const int64_t **axes, uint64_t *cnt)
{
    const ShapeAttrs *a = n->attrs;
    if (a->has_axes_attr) {
        *axes = a->ints;
        *cnt = a->nints;
        return LW_OK;
    }
    if (!op_has_in(n, 1)) {
        *axes = NULL;
        *cnt = 0;
        return LW_OK;
    }
    int64_t *d;
    TRY(op_const_ints(ctx, g, n, 1, &d, cnt));
    *axes = d;
    return LW_OK;
}

static LwStatus squeeze_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    const int64_t *axes;
    uint64_t cnt;
    TRY(get_axes(ctx, g, n, &axes, &cnt));
    uint8_t drop[LW_MAX_RANK] = {0};
    if (cnt == 0) {
        for (int i = 0; i < x->shape.rank; i++)
            drop[i] = x->shape.dims[i] == 1;
    }
    for (uint64_t k = 0; k < cnt; k++) {
        int64_t ax;
        if (!shape_axis(axes[k], x->shape.rank, &ax))
            return diag_node(ctx, n, "axis %lld is out of range", (long long)axes[k]);
        if (x->shape.dims[ax] != 1)
            return diag_node(ctx, n, "axis %lld has size %lld, not 1", (long long)axes[k],
                             (long long)x->shape.dims[ax]);
        drop[ax] = 1;
    }
    Shape s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < x->shape.rank; i++)
        if (!drop[i])
            s.dims[s.rank++] = x->shape.dims[i];
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static LwStatus unsqueeze_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    const int64_t *axes;
    uint64_t cnt;
    TRY(get_axes(ctx, g, n, &axes, &cnt));
    int64_t r = x->shape.rank + (int64_t)cnt;
    if (r > LW_MAX_RANK)
        return diag_node(ctx, n, "output rank %lld is not supported", (long long)r);
    uint8_t ins[LW_MAX_RANK] = {0};
    for (uint64_t k = 0; k < cnt; k++) {
        int64_t ax;
        if (!shape_axis(axes[k], r, &ax) || ins[ax])
            return diag_node(ctx, n, "axis %lld is out of range or repeated", (long long)axes[k]);
        ins[ax] = 1;
    }
    Shape s;
    memset(&s, 0, sizeof s);
    s.rank = (uint8_t)r;
    int j = 0;
    for (int i = 0; i < r; i++)
        s.dims[i] = ins[i] ? 1 : x->shape.dims[j++];
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* --- Transpose --- */
static LwStatus transpose_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ShapeAttrs *a = arena_new(ctx->perm, ShapeAttrs);
    TRY(attr_ints(ctx, &n->loc, al, "perm", a->perm, LW_MAX_RANK, &a->nperm));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus transpose_infer(Ctx *ctx, Graph *g, Node *n)
{
    ShapeAttrs *a = (ShapeAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    int r = x->shape.rank;
    if (a->nperm == 0) {
        a->nperm = (uint32_t)r;
        for (int i = 0; i < r; i++)
            a->perm[i] = r - 1 - i;
    }
    if ((int)a->nperm != r)
        return diag_node(ctx, n, "perm has %u entries, input rank is %d", a->nperm, r);
    uint8_t seen[LW_MAX_RANK] = {0};
    Shape s = x->shape;
    for (int i = 0; i < r; i++) {
        if (a->perm[i] < 0 || a->perm[i] >= r || seen[a->perm[i]])
            return diag_node(ctx, n, "perm is not a permutation");
        seen[a->perm[i]] = 1;
        s.dims[i] = x->shape.dims[a->perm[i]];
    }
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static void transpose_perm(const Node *n, int64_t *perm)
{
    const ShapeAttrs *a = n->attrs;
    for (uint32_t i = 0; i < a->nperm; i++)
        perm[i] = a->perm[i];
}

static const void *transpose_with_perm(Arena *ar, const Node *n, const int64_t *perm)
{
    ShapeAttrs *a = arena_new(ar, ShapeAttrs);
    *a = *(const ShapeAttrs *)n->attrs;
    for (uint32_t i = 0; i < a->nperm; i++)
        a->perm[i] = perm[i];
    return a;
}

static const OpPermute transpose_permute = {transpose_perm, transpose_with_perm};

static LwStatus transpose_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const ShapeAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK], ps[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&y->shape, ys);
    for (int i = 0; i < y->shape.rank; i++)
        ps[i] = xs[a->perm[i]];
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &y->shape, v);
    kb_store(kb, yb, kidx_rowmajor(v, ys, y->shape.rank, 0),
             kb_load(kb, xb, kidx_rowmajor(v, ps, y->shape.rank, 0)));
    kb_endfor_n(kb, y->shape.rank);
    kb_end(kb);
    return LW_OK;
}

/* --- Concat --- */
static LwStatus concat_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ShapeAttrs *a = arena_new(ctx->perm, ShapeAttrs);
    a->axis = INT64_MIN;
    TRY(attr_int(ctx, &n->loc, al, "axis", INT64_MIN, &a->axis));
    if (a->axis == INT64_MIN) {
        if (n->loc.opset >= 4)
            return diag_node(ctx, n, "'axis' is required");
        a->axis = 1;
    }
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus concat_infer(Ctx *ctx, Graph *g, Node *n)
{
    ShapeAttrs *a = (ShapeAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    int64_t ax;
    if (!shape_axis(a->axis, x->shape.rank, &ax))
        return diag_node(ctx, n, "axis %lld is out of range", (long long)a->axis);
    Shape s = x->shape;
    for (uint16_t i = 1; i < n->nin; i++) {
        const Value *v = op_in(g, n, i);
        if (v->dtype != x->dtype || v->shape.rank != x->shape.rank)
            return diag_node(ctx, n, "input %u differs in type or rank from input 0", i);
        for (int d = 0; d < s.rank; d++)
            if (d != ax && v->shape.dims[d] != s.dims[d])
                return diag_node(ctx, n, "input %u differs in dim %d", i, d);
        s.dims[ax] += v->shape.dims[ax];
    }
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static LwStatus concat_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const ShapeAttrs *a = n->attrs;
    const Value *y = op_out(kb->g, n, 0);
    int64_t ax;
    shape_axis(a->axis, y->shape.rank, &ax);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < y->shape.rank; i++) {
        if (i < ax)
            outer *= y->shape.dims[i];
        if (i > ax)
            inner *= y->shape.dims[i];
    }
    int64_t ystride = y->shape.dims[ax] * inner, off = 0;
    kb_begin(kb, n, NULL);
    uint32_t yb = kb_out(kb, 0);
    for (uint16_t i = 0; i < n->nin; i++) {
        const Value *x = op_in(kb->g, n, i);
        int64_t chunk = x->shape.dims[ax] * inner;
        if (chunk == 0)
            continue;
        uint32_t xb = kb_in(kb, i);
        uint16_t vo = kb_for(kb, outer), vi = kb_for(kb, chunk);
        KIndex xi = kidx_const(0), yi = kidx_const(off);
        kidx_add(&xi, vo, chunk);
        kidx_add(&xi, vi, 1);
        kidx_add(&yi, vo, ystride);
        kidx_add(&yi, vi, 1);
        kb_store(kb, yb, yi, kb_load(kb, xb, xi));
        kb_endfor_n(kb, 2);
        off += chunk;
    }
    kb_end(kb);
    return LW_OK;
}

/* --- Split: 'split' attribute (<13), input (13-17), num_outputs (18) --- */
static LwStatus split_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ShapeAttrs *a = arena_new(ctx->perm, ShapeAttrs);
    TRY(attr_int(ctx, &n->loc, al, "axis", 0, &a->axis));
    if (n->loc.opset < 13)
        TRY(attr_ints_ref(ctx, &n->loc, al, "split", &a->ints, &a->nints));
    if (n->loc.opset >= 18)
        TRY(attr_int(ctx, &n->loc, al, "num_outputs", 0, &a->num_outputs));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus split_infer(Ctx *ctx, Graph *g, Node *n)
{
    ShapeAttrs *a = (ShapeAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    int64_t ax;
    if (!shape_axis(a->axis, x->shape.rank, &ax))
        return diag_node(ctx, n, "axis %lld is out of range", (long long)a->axis);
    a->axis = ax;
    int64_t dim = x->shape.dims[ax];
    const int64_t *sp = a->ints;
    uint64_t cnt = a->nints;
    if (op_has_in(n, 1)) {
        int64_t *d;
        TRY(op_const_ints(ctx, g, n, 1, &d, &cnt));
        sp = d;
    }
    int64_t *sizes = arena_array(ctx->perm, int64_t, n->nout);
    if (cnt) {
        if (cnt != n->nout)
            return diag_node(ctx, n, "'split' has %llu entries for %u outputs",
                             (unsigned long long)cnt, n->nout);
        int64_t sum = 0;
        for (uint64_t i = 0; i < cnt; i++) {
            if (sp[i] < 0)
                return diag_node(ctx, n, "negative split size");
            sizes[i] = sp[i];
            sum += sp[i];
        }
        if (sum != dim)
            return diag_node(ctx, n, "split sizes add up to %lld, the axis has %lld",
                             (long long)sum, (long long)dim);
    } else {
        int64_t k = n->nout, chunk = (dim + k - 1) / k;
        if (a->num_outputs && a->num_outputs != k)
            return diag_node(ctx, n, "num_outputs is %lld but the node has %lld outputs",
                             (long long)a->num_outputs, (long long)k);
        if (!a->num_outputs && dim % k != 0)
            return diag_node(ctx, n, "axis of %lld does not split evenly into %lld",
                             (long long)dim, (long long)k);
        for (int64_t i = 0; i < k; i++) {
            int64_t left = dim - i * chunk;
            sizes[i] = left < 0 ? 0 : left < chunk ? left : chunk;
        }
    }
    a->ends = sizes;
    a->nends = n->nout;
    for (uint16_t i = 0; i < n->nout; i++) {
        Shape s = x->shape;
        s.dims[ax] = sizes[i];
        TRY(op_set_output(ctx, g, n, i, x->dtype, &s));
    }
    return LW_OK;
}

static LwStatus split_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const ShapeAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    int64_t ax = a->axis, outer = 1, inner = 1;
    for (int i = 0; i < x->shape.rank; i++) {
        if (i < ax)
            outer *= x->shape.dims[i];
        if (i > ax)
            inner *= x->shape.dims[i];
    }
    int64_t xstride = x->shape.dims[ax] * inner, off = 0;
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0);
    for (uint16_t i = 0; i < n->nout; i++) {
        int64_t chunk = a->ends[i] * inner;
        if (!n->out[i] || chunk == 0) {
            off += chunk;
            continue;
        }
        uint32_t yb = kb_out(kb, i);
        uint16_t vo = kb_for(kb, outer), vi = kb_for(kb, chunk);
        KIndex xi = kidx_const(off), yi = kidx_const(0);
        kidx_add(&xi, vo, xstride);
        kidx_add(&xi, vi, 1);
        kidx_add(&yi, vo, chunk);
        kidx_add(&yi, vi, 1);
        kb_store(kb, yb, yi, kb_load(kb, xb, xi));
        kb_endfor_n(kb, 2);
        off += chunk;
    }
    kb_end(kb);
    return LW_OK;
}

/* --- Slice: starts/ends/axes attributes (<10) or inputs with steps (>=10) --- */
static LwStatus slice_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ShapeAttrs *a = arena_new(ctx->perm, ShapeAttrs);
    if (n->loc.opset < 10) {
        TRY(attr_ints_ref(ctx, &n->loc, al, "starts", &a->ints, &a->nints));
        TRY(attr_ints_ref(ctx, &n->loc, al, "ends", &a->ends, &a->nends));
        TRY(attr_ints_ref(ctx, &n->loc, al, "axes", &a->axes2, &a->naxes2));
        a->has_axes_attr = 1;
    }
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

typedef struct SliceGeo {
    int64_t start[LW_MAX_RANK], step[LW_MAX_RANK];
} SliceGeo;

static LwStatus slice_geometry(Ctx *ctx, Graph *g, Node *n, SliceGeo *geo, Shape *out)
{
    const ShapeAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    const int64_t *starts, *ends, *axes = NULL, *steps = NULL;
    uint64_t ns, ne, na = 0, nst = 0;
    if (a->has_axes_attr) {
        starts = a->ints;
        ns = a->nints;
        ends = a->ends;
        ne = a->nends;
        axes = a->axes2;
        na = a->naxes2;
    } else {
        int64_t *t;
        TRY(op_const_ints(ctx, g, n, 1, &t, &ns));
        starts = t;
        TRY(op_const_ints(ctx, g, n, 2, &t, &ne));
        ends = t;
        if (op_has_in(n, 3)) {
            TRY(op_const_ints(ctx, g, n, 3, &t, &na));
            axes = t;
        }
        if (op_has_in(n, 4)) {
            TRY(op_const_ints(ctx, g, n, 4, &t, &nst));
            steps = t;
        }
    }
    if (ns != ne || (axes && na != ns) || (steps && nst != ns))
        return diag_node(ctx, n, "starts, ends, axes and steps differ in length");
    *out = x->shape;
    for (int i = 0; i < x->shape.rank; i++) {
        geo->start[i] = 0;
        geo->step[i] = 1;
    }
    uint8_t seen[LW_MAX_RANK] = {0};
    for (uint64_t k = 0; k < ns; k++) {
        int64_t ax = (int64_t)k;
        if (axes && !shape_axis(axes[k], x->shape.rank, &ax))
            return diag_node(ctx, n, "axis %lld is out of range", (long long)axes[k]);
        if (ax >= x->shape.rank || seen[ax])
            return diag_node(ctx, n, "axis %lld is out of range or repeated", (long long)ax);
        seen[ax] = 1;
        int64_t dim = x->shape.dims[ax], st = steps ? steps[k] : 1;
        if (st == 0)
            return diag_node(ctx, n, "a step of 0 is invalid");
        int64_t s = starts[k], e = ends[k];
        if (s < 0)
            s = s < -dim ? 0 : s + dim;
        if (e < 0)
            e = e < -dim ? -1 : e + dim;
        if (st > 0) {
            s = s > dim ? dim : s;
            e = e > dim ? dim : e < 0 ? 0 : e;
        } else {
            s = s > dim - 1 ? dim - 1 : s;
            e = e > dim - 1 ? dim - 1 : e;
        }
        int64_t len = st > 0 ? (e - s + st - 1) / st : (s - e + (-st) - 1) / (-st);
        if (len < 0)
            len = 0;
        geo->start[ax] = len ? s : 0;
        geo->step[ax] = st;
        out->dims[ax] = len;
    }
    return LW_OK;
}

static LwStatus slice_infer(Ctx *ctx, Graph *g, Node *n)
{
    SliceGeo geo;
    Shape s;
    TRY(slice_geometry(ctx, g, n, &geo, &s));
    return op_set_output(ctx, g, n, 0, op_in(g, n, 0)->dtype, &s);
}

static LwStatus slice_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    SliceGeo geo;
    Shape s;
    TRY(slice_geometry(ctx, (Graph *)kb->g, (Node *)n, &geo, &s));
    const Value *x = op_in(kb->g, n, 0);
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&s, ys);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &s, v);
    KIndex xi = kidx_const(0);
    for (int i = 0; i < s.rank; i++) {
        xi.base += geo.start[i] * xs[i];
        kidx_add(&xi, v[i], geo.step[i] * xs[i]);
    }
    kb_store(kb, yb, kidx_rowmajor(v, ys, s.rank, 0), kb_load(kb, xb, xi));
    kb_endfor_n(kb, s.rank);
    kb_end(kb);
    return LW_OK;
}

/* --- Gather: data-dependent index along one axis (negative wraps) --- */
static LwStatus gather_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return axis_import(ctx, n, al, 0);
}

static LwStatus gather_infer(Ctx *ctx, Graph *g, Node *n)
{
    const ShapeAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0), *idx = op_in(g, n, 1);
    int64_t ax;
    if (!shape_axis(a->axis, x->shape.rank, &ax))
        return diag_node(ctx, n, "axis %lld is out of range", (long long)a->axis);
    if (idx->dtype != DT_INT64 && idx->dtype != DT_INT32)
        return diag_node(ctx, n, "indices must be int32 or int64");
    if (x->shape.rank + idx->shape.rank - 1 > LW_MAX_RANK)
        return diag_node(ctx, n, "output rank is not supported");
    Shape s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < ax; i++)
        s.dims[s.rank++] = x->shape.dims[i];
    for (int i = 0; i < idx->shape.rank; i++)
        s.dims[s.rank++] = idx->shape.dims[i];
    for (int i = (int)ax + 1; i < x->shape.rank; i++)
        s.dims[s.rank++] = x->shape.dims[i];
    if (x->shape.dims[ax] == 0 && shape_count(&idx->shape) > 0)
        return diag_node(ctx, n, "gathering from an empty axis");
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static LwStatus gather_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const ShapeAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *idx = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    int64_t ax;
    shape_axis(a->axis, x->shape.rank, &ax);
    int64_t xs[LW_MAX_RANK], is[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&idx->shape, is);
    shape_strides(&y->shape, ys);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), ib = kb_in(kb, 1), yb = kb_out(kb, 0);
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &y->shape, v);
    KIndex xi = kidx_const(0), ii = kidx_const(0);
    int r = idx->shape.rank;
    for (int i = 0; i < ax; i++)
        kidx_add(&xi, v[i], xs[i]);
    for (int i = 0; i < r; i++)
        kidx_add(&ii, v[ax + i], is[i]);
    for (int i = (int)ax + 1; i < x->shape.rank; i++)
        kidx_add(&xi, v[i - 1 + r], xs[i]);
    DType it = idx->dtype;
    KExpr *iv = kb_load(kb, ib, ii);
    int64_t dim = x->shape.dims[ax];
    iv = kb_select(kb, kb_op(kb, KOP_LT, iv, kb_const_i(kb, it, 0)),
                   kb_op(kb, KOP_ADD, iv, kb_const_i(kb, it, dim)), iv);
    kb_store(kb, yb, kidx_rowmajor(v, ys, y->shape.rank, 0),
             kb_loadx(kb, xb, xi, kb_cast(kb, DT_INT32, iv), xs[ax], dim));
    kb_endfor_n(kb, y->shape.rank);
    kb_end(kb);
    return LW_OK;
}

/* --- Pad: constant (guarded load), edge (clamped index), reflect --- */
static LwStatus pad_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ShapeAttrs *a = arena_new(ctx->perm, ShapeAttrs);
    TRY(attr_string(ctx, &n->loc, al, "mode", "constant", &a->mode));
    if (n->loc.opset < 11) {
        TRY(attr_ints_ref(ctx, &n->loc, al, "pads", &a->ints, &a->nints));
        TRY(attr_float(ctx, &n->loc, al, "value", 0.0f, &a->value));
        a->has_axes_attr = 1;
    }
    if (strcmp(a->mode, "constant") && strcmp(a->mode, "edge") && strcmp(a->mode, "reflect") &&
        strcmp(a->mode, "wrap"))
        return diag_node(ctx, n, "mode '%s' is not supported", a->mode);
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus pad_amounts(Ctx *ctx, Graph *g, Node *n, int64_t *pb, int64_t *pe)
{
    const ShapeAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    int r = x->shape.rank;
    const int64_t *p;
    uint64_t np;
    if (a->has_axes_attr) {
        p = a->ints;
        np = a->nints;
    } else {
        int64_t *t;
        TRY(op_const_ints(ctx, g, n, 1, &t, &np));
        p = t;
    }
    const int64_t *axes = NULL;
    uint64_t na = (uint64_t)r;
    if (op_has_in(n, 3)) {
        int64_t *t;
        TRY(op_const_ints(ctx, g, n, 3, &t, &na));
        axes = t;
    }
    if (np != 2 * na)
        return diag_node(ctx, n, "pads has %llu entries, expected %llu", (unsigned long long)np,
                         (unsigned long long)(2 * na));
    for (int i = 0; i < r; i++)
        pb[i] = pe[i] = 0;
    for (uint64_t k = 0; k < na; k++) {
        int64_t ax = (int64_t)k;
        if (axes && !shape_axis(axes[k], r, &ax))
            return diag_node(ctx, n, "axis %lld is out of range", (long long)axes[k]);
        pb[ax] = p[k];
        pe[ax] = p[k + na];
    }
    return LW_OK;
}

/* OpDef.const_pad: constant mode, float32, constant pads (none negative) and value */
static int pad_const(Ctx *ctx, const Graph *g, const Node *n, int64_t *pb, int64_t *pe, float *v)
{
    const ShapeAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    if (strcmp(a->mode, "constant") != 0 || x->dtype != DT_FLOAT32)
        return 0;
    for (uint16_t i = 1; i < n->nin; i++)
        if (n->in[i] && graph_value(g, n->in[i])->kind != VK_CONST)
            return 0;
    uint32_t errs = ctx->diag->errors;
    if (pad_amounts(ctx, (Graph *)g, (Node *)n, pb, pe) != LW_OK) {
        ctx->diag->errors = errs;
        return 0;
    }
    for (int i = 0; i < x->shape.rank; i++)
        if (pb[i] < 0 || pe[i] < 0)
            return 0;
    *v = 0.0f;
    if (a->has_axes_attr)
        *v = a->value;
    else if (op_has_in(n, 2))
        memcpy(v, op_in(g, n, 2)->data->bytes, 4);
    return 1;
}

#define LW_PAD_MAX ((int64_t)1 << 40)

static LwStatus pad_infer(Ctx *ctx, Graph *g, Node *n)
{
    const ShapeAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    int64_t pb[LW_MAX_RANK], pe[LW_MAX_RANK];
    TRY(pad_amounts(ctx, g, n, pb, pe));
    Shape s = x->shape;
    for (int i = 0; i < s.rank; i++) {
        /* (no tensor of more than 2^40 elements could be stored; the sum below then
         * cannot overflow, a dim's elements counting in 64 bits) */
        if (pb[i] > LW_PAD_MAX || pb[i] < -LW_PAD_MAX || pe[i] > LW_PAD_MAX || pe[i] < -LW_PAD_MAX)
            return diag_node(ctx, n, "pads of dim %d are out of range", i);
        s.dims[i] = x->shape.dims[i] + pb[i] + pe[i];
        if (s.dims[i] < 0)
            return diag_node(ctx, n, "padding makes dim %d negative", i);
        if ((pb[i] < 0 || pe[i] < 0) && strcmp(a->mode, "constant") != 0)
            return diag_node(ctx, n, "negative pads with mode '%s' are not supported", a->mode);
        if (strcmp(a->mode, "constant") != 0 && x->shape.dims[i] == 0 && s.dims[i] > 0)
            return diag_node(ctx, n, "cannot pad an empty axis in mode '%s'", a->mode);
        if (strcmp(a->mode, "reflect") == 0 &&
            (pb[i] >= x->shape.dims[i] || pe[i] >= x->shape.dims[i]) && (pb[i] || pe[i]))
            return diag_node(ctx, n, "reflect padding larger than the axis is not supported");
    }
    if (op_has_in(n, 2) && !a->has_axes_attr) {
        const Value *c = op_in(g, n, 2);
        if (c->kind != VK_CONST && c->kind != VK_INPUT && c->kind != VK_NODE)
            return diag_node(ctx, n, "bad constant_value");
        if (c->dtype != x->dtype || shape_count(&c->shape) != 1)
            return diag_node(ctx, n, "constant_value must be a scalar of the input's type");
    }
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static LwStatus pad_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const ShapeAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int64_t pb[LW_MAX_RANK], pe[LW_MAX_RANK];
    TRY(pad_amounts(ctx, (Graph *)kb->g, (Node *)n, pb, pe));
    int r = x->shape.rank;
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&y->shape, ys);
    DType dt = x->dtype;
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    KExpr *cval;
    if (a->has_axes_attr)
        cval = kb_const_f(kb, dt, a->value);
    else if (op_has_in(n, 2))
        cval = kb_load(kb, kb_in(kb, 2), kidx_const(0));
    else
        cval = kb_const_i(kb, dt, 0);
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &y->shape, v);
    KIndex yi = kidx_rowmajor(v, ys, r, 0);
    KExpr *val;
    if (strcmp(a->mode, "constant") == 0) {
        KCond conds[LW_MAX_RANK];
        uint8_t nc = 0;
        KIndex xi = kidx_const(0);
        for (int i = 0; i < r; i++) {
            xi.base -= pb[i] * xs[i];
            kidx_add(&xi, v[i], xs[i]);
            if (pb[i] > 0 || pe[i] > 0) {
                KCond *c = &conds[nc++];
                c->e = kidx_const(-pb[i]);
                kidx_add(&c->e, v[i], 1);
                c->bound = x->shape.dims[i];
            }
        }
        val = kb_load_guard(kb, xb, xi, conds, nc, cval);
    } else {
        /* one data-dependent axis at a time is not enough: compute each source
         * coordinate as an integer expression and combine into one offset */
        KExpr *off = kb_const_i(kb, DT_INT32, 0);
        for (int i = 0; i < r; i++) {
            KIndex o = kidx_const(-pb[i]);
            kidx_add(&o, v[i], 1);
            KExpr *c = kb_idx(kb, DT_INT32, o);
            int64_t dim = x->shape.dims[i];
            KExpr *zero = kb_const_i(kb, DT_INT32, 0), *last = kb_const_i(kb, DT_INT32, dim - 1);
            if (strcmp(a->mode, "edge") == 0) {
                c = kb_op(kb, KOP_MIN, kb_op(kb, KOP_MAX, c, zero), last);
            } else if (strcmp(a->mode, "reflect") == 0) {
                c = kb_select(kb, kb_op(kb, KOP_LT, c, zero), kb_op(kb, KOP_NEG, c, NULL), c);
                c = kb_select(kb, kb_op(kb, KOP_GT, c, last),
                              kb_op(kb, KOP_SUB, kb_const_i(kb, DT_INT32, 2 * (dim - 1)), c), c);
            } else { /* wrap */
                KExpr *d = kb_const_i(kb, DT_INT32, dim);
                KExpr *m = kb_op(kb, KOP_MOD, kb_op(kb, KOP_ADD, c,
                                                    kb_const_i(kb, DT_INT32,
                                                               dim * (1 + pb[i] / (dim ? dim : 1)))),
                                 d);
                c = m;
            }
            off = kb_op(kb, KOP_ADD, off, kb_op(kb, KOP_MUL, c, kb_const_i(kb, DT_INT32, xs[i])));
        }
        val = kb_loadx(kb, xb, kidx_const(0), off, 1, (int64_t)shape_count(&x->shape));
    }
    kb_store(kb, yb, yi, val);
    kb_endfor_n(kb, r);
    kb_end(kb);
    return LW_OK;
}

/* --- Expand / Tile --- */
static LwStatus expand_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    int64_t *d;
    uint64_t cnt;
    TRY(op_const_ints(ctx, g, n, 1, &d, &cnt));
    if (cnt > LW_MAX_RANK)
        return diag_node(ctx, n, "shape rank is not supported");
    Shape t;
    memset(&t, 0, sizeof t);
    t.rank = (uint8_t)cnt;
    for (uint64_t i = 0; i < cnt; i++) {
        if (d[i] < 0)
            return diag_node(ctx, n, "negative dim in shape");
        t.dims[i] = d[i];
    }
    Shape s;
    if (!shape_broadcast(&x->shape, &t, &s))
        return diag_node(ctx, n, "input does not broadcast to the shape");
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static LwStatus expand_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_bcast_strides(&x->shape, &y->shape, xs);
    shape_strides(&y->shape, ys);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &y->shape, v);
    kb_store(kb, yb, kidx_rowmajor(v, ys, y->shape.rank, 0),
             kb_load(kb, xb, kidx_rowmajor(v, xs, y->shape.rank, 0)));
    kb_endfor_n(kb, y->shape.rank);
    kb_end(kb);
    return LW_OK;
}

static LwStatus tile_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    int64_t *d;
    uint64_t cnt;
    TRY(op_const_ints(ctx, g, n, 1, &d, &cnt));
    if (cnt != x->shape.rank)
        return diag_node(ctx, n, "repeats has %llu entries, input rank is %u",
                         (unsigned long long)cnt, x->shape.rank);
    Shape s = x->shape;
    for (int i = 0; i < s.rank; i++) {
        if (d[i] < 0 || !ckd_mul_i64(&s.dims[i], x->shape.dims[i], d[i]))
            return diag_node(ctx, n, "invalid repeats");
    }
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static LwStatus tile_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int r = x->shape.rank;
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&y->shape, ys);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    KIndex xi = kidx_const(0), yi = kidx_const(0);
    for (int i = 0; i < r; i++) {
        int64_t reps = x->shape.dims[i] ? y->shape.dims[i] / x->shape.dims[i] : 0;
        uint16_t vr = kb_for(kb, reps);
        kidx_add(&yi, vr, x->shape.dims[i] * ys[i]);
    }
    for (int i = 0; i < r; i++) {
        uint16_t vi = kb_for(kb, x->shape.dims[i]);
        kidx_add(&yi, vi, ys[i]);
        kidx_add(&xi, vi, xs[i]);
    }
    kb_store(kb, yb, yi, kb_load(kb, xb, xi));
    kb_endfor_n(kb, 2 * r);
    kb_end(kb);
    return LW_OK;
}

#define ALIAS_FLAGS (OPF_ALIAS | OPF_LAYOUT_AGNOSTIC)

const OpDef ops_shape[] = {
    {"", "Reshape", 5, LW_OPSET_MAX, 2, 2, 1, 1, FC_INJECTIVE, ALIAS_FLAGS, reshape_import,
     reshape_infer, alias_lower, NULL, NULL, NULL, NULL},
    {"", "Flatten", 1, LW_OPSET_MAX, 1, 1, 1, 1, FC_INJECTIVE, ALIAS_FLAGS, flatten_import,
     flatten_infer, alias_lower, NULL, NULL, NULL, NULL},
    {"", "Squeeze", 1, 12, 1, 1, 1, 1, FC_INJECTIVE, ALIAS_FLAGS, axes_attr_import, squeeze_infer,
     alias_lower, NULL, NULL, NULL, NULL},
    {"", "Squeeze", 13, LW_OPSET_MAX, 1, 2, 1, 1, FC_INJECTIVE, ALIAS_FLAGS, axes_input_import,
     squeeze_infer, alias_lower, NULL, NULL, NULL, NULL},
    {"", "Unsqueeze", 1, 12, 1, 1, 1, 1, FC_INJECTIVE, ALIAS_FLAGS, axes_attr_import,
     unsqueeze_infer, alias_lower, NULL, NULL, NULL, NULL},
    {"", "Unsqueeze", 13, LW_OPSET_MAX, 2, 2, 1, 1, FC_INJECTIVE, ALIAS_FLAGS, axes_input_import,
     unsqueeze_infer, alias_lower, NULL, NULL, NULL, NULL},
    {"", "Transpose", 1, LW_OPSET_MAX, 1, 1, 1, 1, FC_INJECTIVE, 0, transpose_import,
     transpose_infer, transpose_lower, NULL, NULL, NULL, NULL, .permute = &transpose_permute},
    {"", "Concat", 1, LW_OPSET_MAX, 1, 255, 1, 1, FC_INJECTIVE, 0, concat_import, concat_infer,
     concat_lower, NULL, NULL, NULL, NULL},
    {"", "Split", 2, LW_OPSET_MAX, 1, 2, 1, 255, FC_INJECTIVE, 0, split_import, split_infer,
     split_lower, NULL, NULL, NULL, NULL},
    {"", "Slice", 1, LW_OPSET_MAX, 1, 5, 1, 1, FC_INJECTIVE, 0, slice_import, slice_infer,
     slice_lower, NULL, NULL, NULL, NULL},
    {"", "Gather", 1, LW_OPSET_MAX, 2, 2, 1, 1, FC_INJECTIVE, 0, gather_import, gather_infer,
     gather_lower, NULL, NULL, NULL, NULL},
    {"", "Pad", 2, LW_OPSET_MAX, 1, 4, 1, 1, FC_INJECTIVE, 0, pad_import, pad_infer, pad_lower,
     NULL, NULL, NULL, NULL, .const_pad = pad_const},
    {"", "Expand", 8, LW_OPSET_MAX, 2, 2, 1, 1, FC_BROADCAST, 0, op_no_attrs, expand_infer,
     expand_lower, NULL, NULL, NULL, NULL},
    {"", "Tile", 6, LW_OPSET_MAX, 2, 2, 1, 1, FC_INJECTIVE, 0, op_no_attrs, tile_infer, tile_lower,
     NULL, NULL, NULL, NULL},
};
const uint32_t ops_shape_count = LW_COUNT(ops_shape);
