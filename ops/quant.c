/* Quantization ops as reference kernels with exact rounding: QuantizeLinear,
 * DequantizeLinear, DynamicQuantizeLinear, QLinearConv/MatMul, ConvInteger,
 * MatMulInteger, and onnxruntime's com.microsoft QLinear* ops. */
#include <math.h>
#include <string.h>

#include "include/lwcc/lwcc.h"
#include "ir/kir_build.h"
#include "ops/families.h"
#include "ops/spatial.h"
#include "target/target.h"

/* ---- shared helpers ------------------------------------------------------ */

static int is_q8(DType dt)
{
    return dt == DT_INT8 || dt == DT_UINT8;
}

static int is_qint(DType dt)
{
    return dt == DT_INT8 || dt == DT_UINT8 || dt == DT_INT16 || dt == DT_UINT16;
}

static void qrange(DType dt, double *lo, double *hi)
{
    switch (dt) {
    case DT_INT8:
        *lo = -128, *hi = 127;
        return;
    case DT_UINT8:
        *lo = 0, *hi = 255;
        return;
    case DT_INT16:
        *lo = -32768, *hi = 32767;
        return;
    case DT_UINT16:
        *lo = 0, *hi = 65535;
        return;
    default:
        LW_ASSERT(0);
    }
}

static KExpr *f32(KBuilder *kb, KExpr *e)
{
    return kb_cast(kb, DT_FLOAT32, e);
}

static KExpr *i32(KBuilder *kb, KExpr *e)
{
    return kb_cast(kb, DT_INT32, e);
}

static KExpr *fc(KBuilder *kb, double v)
{
    return kb_const_f(kb, DT_FLOAT32, v);
}

/* saturate(round_half_even(v) + zp) in dt; v and zp are float32 (onnxruntime's
 * MlasQuantizeLinear and MlasRequantizeOutput give the same). Clamping happens
 * in float before the conversion, so the cast is always in range. */
static KExpr *quantize_f(KBuilder *kb, KExpr *v, KExpr *zp, DType dt)
{
    double lo, hi;
    qrange(dt, &lo, &hi);
    KExpr *r = kb_op(kb, KOP_ROUND, v, NULL);
    if (zp)
        r = kb_op(kb, KOP_ADD, r, zp);
    r = kb_op(kb, KOP_MIN, kb_op(kb, KOP_MAX, r, fc(kb, lo)), fc(kb, hi));
    return kb_cast(kb, dt, r);
}

/* Input i (a scale or zero point) at ix; NULL when the optional input is absent. */
static KExpr *qparam(KBuilder *kb, const Node *n, uint16_t i, KIndex ix)
{
    if (!op_has_in(n, i))
        return NULL;
    return kb_load(kb, kb_in(kb, i), ix);
}

/* Scale as float32 (1 when absent, which only optional scales allow). */
static KExpr *qscale(KBuilder *kb, const Node *n, uint16_t i, KIndex ix)
{
    KExpr *e = qparam(kb, n, i, ix);
    return e ? f32(kb, e) : fc(kb, 1);
}

/* Zero point as float32 or int32 (0 when absent). */
static KExpr *qzero_f(KBuilder *kb, const Node *n, uint16_t i, KIndex ix)
{
    KExpr *e = qparam(kb, n, i, ix);
    return e ? f32(kb, e) : fc(kb, 0);
}

static KExpr *qzero_i(KBuilder *kb, const Node *n, uint16_t i, KIndex ix)
{
    KExpr *e = qparam(kb, n, i, ix);
    return e ? i32(kb, e) : kb_const_i(kb, DT_INT32, 0);
}

/* (x - zp) as float32, the integer difference taken exactly first. */
static KExpr *dequant_diff(KBuilder *kb, KExpr *x, KExpr *zp_i)
{
    return f32(kb, kb_op(kb, KOP_SUB, i32(kb, x), zp_i));
}

/* Checks a scale (is_scale) or zero-point input: one element, or `per`
 * elements when per > 0 (then *per_elem is set). */
static LwStatus check_qp(Ctx *ctx, const Graph *g, const Node *n, uint16_t i, int is_scale,
                         int64_t per, int *per_elem)
{
    if (per_elem)
        *per_elem = 0;
    if (!op_has_in(n, i))
        return LW_OK;
    const Value *v = op_in(g, n, i);
    if (is_scale && v->dtype != DT_FLOAT32 && v->dtype != DT_FLOAT16 && v->dtype != DT_BFLOAT16)
        return diag_node(ctx, n, "input %u: %s scale is not supported (float32 or float16)", i,
                         dtype_name(v->dtype));
    if (!is_scale && !is_qint(v->dtype) && v->dtype != DT_INT32)
        return diag_node(ctx, n, "input %u: %s zero point is not supported", i,
                         dtype_name(v->dtype));
    uint64_t c = shape_count(&v->shape);
    if (c == 1)
        return LW_OK;
    if (per > 0 && c == (uint64_t)per && per_elem) {
        *per_elem = 1;
        return LW_OK;
    }
    if (per > 0 && per_elem)
        return diag_node(ctx, n, "input %u has %llu elements: expected 1 or %lld", i,
                         (unsigned long long)c, (long long)per);
    return diag_node(ctx, n, "input %u has %llu elements: expected a scalar", i,
                     (unsigned long long)c);
}

/* The zero point's type must be the quantized tensor's. */
static LwStatus check_zp_type(Ctx *ctx, const Graph *g, const Node *n, uint16_t zp, DType dt)
{
    if (op_has_in(n, zp) && op_in(g, n, zp)->dtype != dt)
        return diag_node(ctx, n, "input %u is %s, expected %s like its tensor", zp,
                         dtype_name(op_in(g, n, zp)->dtype), dtype_name(dt));
    return LW_OK;
}

static LwStatus check_q8(Ctx *ctx, const Graph *g, const Node *n, uint16_t i)
{
    DType dt = op_in(g, n, i)->dtype;
    if (!is_q8(dt))
        return diag_node(ctx, n, "input %u of type %s is not supported (int8 or uint8)", i,
                         dtype_name(dt));
    return LW_OK;
}

/* ---- QuantizeLinear / DequantizeLinear ------------------------------------ */

typedef enum { QP_TENSOR, QP_AXIS, QP_BLOCK } QpMode;

enum { QA_AXIS = 1, QA_SATURATE = 2, QA_BLOCK = 4, QA_OUTTYPE = 8 };

typedef struct QdqAttrs {
    int64_t axis, saturate, block_size, output_dtype;
    int dequant;
    /* resolved by infer */
    int64_t ax;
    QpMode mode;
} QdqAttrs;

static LwStatus qdq_import(Ctx *ctx, Node *n, const AttrList *al, int dequant, unsigned which)
{
    QdqAttrs *a = arena_new(ctx->perm, QdqAttrs);
    a->dequant = dequant;
    a->axis = 1;
    a->saturate = 1;
    if (which & QA_AXIS)
        TRY(attr_int(ctx, &n->loc, al, "axis", 1, &a->axis));
    if (which & QA_SATURATE)
        TRY(attr_int(ctx, &n->loc, al, "saturate", 1, &a->saturate));
    if (which & QA_BLOCK)
        TRY(attr_int(ctx, &n->loc, al, "block_size", 0, &a->block_size));
    if (which & QA_OUTTYPE)
        TRY(attr_int(ctx, &n->loc, al, "output_dtype", 0, &a->output_dtype));
    if (a->block_size < 0)
        return diag_node(ctx, n, "'block_size' is %lld, must not be negative",
                         (long long)a->block_size);
    if (a->saturate != 0 && a->saturate != 1)
        return diag_node(ctx, n, "'saturate' is %lld, must be 0 or 1", (long long)a->saturate);
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

/* QuantizeLinear-10 has no attributes; 13 adds axis; 19 saturate (float8 only);
 * 21 block_size and output_dtype. DequantizeLinear follows without saturate and
 * output_dtype. */
static LwStatus q10_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return qdq_import(ctx, n, al, 0, 0);
}
static LwStatus q13_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return qdq_import(ctx, n, al, 0, QA_AXIS);
}
static LwStatus q19_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return qdq_import(ctx, n, al, 0, QA_AXIS | QA_SATURATE);
}
static LwStatus q21_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return qdq_import(ctx, n, al, 0, QA_AXIS | QA_SATURATE | QA_BLOCK | QA_OUTTYPE);
}
static LwStatus dq10_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return qdq_import(ctx, n, al, 1, 0);
}
static LwStatus dq13_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return qdq_import(ctx, n, al, 1, QA_AXIS);
}
static LwStatus dq21_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return qdq_import(ctx, n, al, 1, QA_AXIS | QA_BLOCK);
}

static LwStatus qdq_infer(Ctx *ctx, Graph *g, Node *n)
{
    QdqAttrs *a = (QdqAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0), *sc = op_in(g, n, 1);
    DType out;
    if (!dtype_is_floatlike(sc->dtype) || sc->dtype == DT_FLOAT64)
        return diag_node(ctx, n, "%s scale is not supported (float32 or float16)",
                         dtype_name(sc->dtype));
    if (a->dequant) {
        if (!is_qint(x->dtype) && x->dtype != DT_INT32)
            return diag_node(ctx, n, "%s input is not supported (8/16-bit integers or int32)",
                             dtype_name(x->dtype));
        TRY(check_zp_type(ctx, g, n, 2, x->dtype));
        out = sc->dtype;
    } else {
        if (!dtype_is_floatlike(x->dtype) || x->dtype == DT_FLOAT64)
            return diag_node(ctx, n, "%s input is not supported (float32 or float16)",
                             dtype_name(x->dtype));
        out = DT_UINT8;
        if (a->output_dtype) {
            out = dtype_from_onnx(a->output_dtype);
            if (!is_qint(out))
                return diag_node(ctx, n,
                                 "output_dtype %lld is not supported (int8, uint8, "
                                 "int16, uint16; float8 and 4-bit types are not supported)",
                                 (long long)a->output_dtype);
        }
        if (op_has_in(n, 2)) {
            DType zt = op_in(g, n, 2)->dtype;
            if (a->output_dtype && zt != out)
                return diag_node(ctx, n, "output_dtype is %s but the zero point is %s",
                                 dtype_name(out), dtype_name(zt));
            out = zt;
        }
        if (!is_qint(out))
            return diag_node(ctx, n,
                             "quantizing to %s is not supported (int8, uint8, int16, "
                             "uint16)",
                             dtype_name(out));
    }
    if (op_has_in(n, 2) && !shape_equal(&op_in(g, n, 2)->shape, &sc->shape))
        return diag_node(ctx, n, "the zero point's shape differs from the scale's");
    uint64_t c = shape_count(&sc->shape);
    a->ax = 0;
    if (a->block_size > 0) {
        if (!shape_axis(a->axis, x->shape.rank, &a->ax))
            return diag_node(ctx, n, "axis %lld is out of range for rank %u", (long long)a->axis,
                             x->shape.rank);
        int bad = sc->shape.rank != x->shape.rank;
        for (int i = 0; !bad && i < x->shape.rank; i++) {
            int64_t want = i == a->ax ? (x->shape.dims[i] + a->block_size - 1) / a->block_size
                                      : x->shape.dims[i];
            bad = sc->shape.dims[i] != want;
        }
        if (bad)
            return diag_node(ctx, n,
                             "the scale's shape does not match blocks of %lld along "
                             "axis %lld",
                             (long long)a->block_size, (long long)a->ax);
        a->mode = QP_BLOCK;
    } else if (c == 1 && sc->shape.rank <= 1) {
        a->mode = QP_TENSOR;
    } else {
        if (!shape_axis(a->axis, x->shape.rank, &a->ax))
            return diag_node(ctx, n, "axis %lld is out of range for rank %u", (long long)a->axis,
                             x->shape.rank);
        if (sc->shape.rank != 1 || sc->shape.dims[0] != x->shape.dims[a->ax])
            return diag_node(ctx, n, "the scale must be a scalar or 1-D of %lld (axis %lld)",
                             (long long)x->shape.dims[a->ax], (long long)a->ax);
        a->mode = QP_AXIS;
    }
    return op_set_output(ctx, g, n, 0, out, &x->shape);
}

static LwStatus qdq_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const QdqAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *sc = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    int r = x->shape.rank;
    int64_t ax = a->ax, bs = a->block_size;
    int64_t xs[LW_MAX_RANK], ss[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&sc->shape, ss);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t v[LW_MAX_RANK], vb = 0, vj = 0;
    KIndex xi = kidx_const(0), pi = kidx_const(0);
    for (int i = 0; i < r; i++) {
        if (a->mode == QP_BLOCK && i == ax) {
            vb = kb_for(kb, sc->shape.dims[i]);
            vj = kb_for(kb, bs);
            kidx_add(&xi, vb, bs * xs[i]);
            kidx_add(&xi, vj, xs[i]);
            kidx_add(&pi, vb, ss[i]);
        } else {
            v[i] = kb_for(kb, x->shape.dims[i]);
            kidx_add(&xi, v[i], xs[i]);
            if (a->mode == QP_BLOCK)
                kidx_add(&pi, v[i], ss[i]);
            else if (a->mode == QP_AXIS && i == ax)
                kidx_add(&pi, v[i], 1);
        }
    }
    int guard = a->mode == QP_BLOCK && x->shape.dims[ax] % bs != 0;
    if (guard) {
        KCond c;
        c.e = kidx_const(0);
        kidx_add(&c.e, vb, bs);
        kidx_add(&c.e, vj, 1);
        c.bound = x->shape.dims[ax];
        kb_if(kb, &c, 1);
    }
    KExpr *xv = kb_load(kb, xb, xi), *val;
    if (a->dequant) {
        val = kb_op(kb, KOP_MUL, dequant_diff(kb, xv, qzero_i(kb, n, 2, pi)), qscale(kb, n, 1, pi));
    } else {
        KExpr *q = kb_op(kb, KOP_DIV, f32(kb, xv), qscale(kb, n, 1, pi));
        val = quantize_f(kb, q, qzero_f(kb, n, 2, pi), y->dtype);
    }
    kb_store_out(kb, yb, xi, val);
    if (guard)
        kb_endif(kb);
    kb_endfor_n(kb, r + (a->mode == QP_BLOCK ? 1 : 0));
    kb_end(kb);
    return LW_OK;
}

/* DequantizeLinear of constants, element idx of the output, built into the kernel
 * that loads it (OpDef.at_load): the int8 weight stays in flash as it is and each
 * consumer dequantizes where it reads. The parameter's channel is an affine index when
 * the consumer's loop nest allows, else computed (kb_load_bcast). */
static KExpr *dq_param(KBuilder *kb, const Node *n, uint16_t i, KIndex idx)
{
    if (!op_has_in(n, i))
        return NULL;
    const Value *pv = op_in(kb->g, n, i);
    if (i == 2 && pv->kind == VK_CONST && pv->data) { /* zero points all 0: none stored */
        uint64_t k = 0;
        while (k < pv->data->size && pv->data->bytes[k] == 0)
            k++;
        if (k == pv->data->size)
            return NULL;
    }
    const QdqAttrs *a = n->attrs;
    uint32_t pb = kb_buf(kb, n->in[i]);
    if (a->mode == QP_TENSOR)
        return kb_load(kb, pb, kidx_const(0));
    /* the parameter [C] as [1, .., C, .., 1] (C at the axis), broadcast to x */
    const Value *x = op_in(kb->g, n, 0);
    Shape ps = x->shape;
    for (uint8_t d = 0; d < ps.rank; d++)
        ps.dims[d] = d == a->ax ? x->shape.dims[d] : 1;
    return kb_load_bcast(kb, pb, &ps, &x->shape, idx);
}

static KExpr *dq_at_load(KBuilder *kb, const Node *n, KIndex idx)
{
    KExpr *xv = kb_load(kb, kb_buf(kb, n->in[0]), idx);
    KExpr *zp = dq_param(kb, n, 2, idx), *sc = dq_param(kb, n, 1, idx);
    return kb_op(kb, KOP_MUL, dequant_diff(kb, xv, zp ? i32(kb, zp) : kb_const_i(kb, DT_INT32, 0)),
                 sc ? f32(kb, sc) : fc(kb, 1));
}

/* Per-tensor QuantizeLinear / DequantizeLinear as elementwise rules, for epilogues
 * (passes/fuse.c: a Conv's output quantized and dequantized where it is stored).
 * args: x, then the scale and zero point as constant scalars (NULL when absent). */
static KExpr *q_scalar(KBuilder *kb, const Node *n, KExpr *const *args)
{
    KExpr *q = kb_op(kb, KOP_DIV, f32(kb, args[0]), f32(kb, args[1]));
    return quantize_f(kb, q, n->nin > 2 && args[2] ? f32(kb, args[2]) : fc(kb, 0),
                      op_out(kb->g, n, 0)->dtype);
}

/* x is QuantizeLinear's value, cast<int>(min(max(round(v) + zp, lo), hi)): an integer
 * already, held exactly in float32 before the cast */
static const KExpr *quantized_float(const KExpr *x)
{
    if (x->kind != KE_CAST || !dtype_is_int(x->type.dt))
        return NULL;
    const KExpr *m = x->u.cast.a;
    if (m->type.dt != DT_FLOAT32 || m->kind != KE_OP || m->u.op.op != KOP_MIN)
        return NULL;
    const KExpr *M = m->u.op.a[0];
    if (M->kind != KE_OP || M->u.op.op != KOP_MAX)
        return NULL;
    const KExpr *ad = M->u.op.a[0];
    if (ad->kind != KE_OP || ad->u.op.op != KOP_ADD || ad->u.op.a[0]->kind != KE_OP ||
        ad->u.op.a[0]->u.op.op != KOP_ROUND)
        return NULL;
    return m;
}

static KExpr *dq_scalar(KBuilder *kb, const Node *n, KExpr *const *args)
{
    KExpr *zp = n->nin > 2 && args[2] ? i32(kb, args[2]) : kb_const_i(kb, DT_INT32, 0);
    const KExpr *qf = quantized_float(args[0]);
    if (qf) /* Q then DQ in one epilogue: (q - zp) * s in float32, exact for such q, and
             * without the narrowing and widening that keep compilers from vectorizing */
        return kb_op(kb, KOP_MUL, kb_op(kb, KOP_SUB, (KExpr *)qf, f32(kb, zp)),
                     f32(kb, args[1]));
    return kb_op(kb, KOP_MUL, dequant_diff(kb, args[0], zp), f32(kb, args[1]));
}

int quant_dq_tensor(const Graph *g, const Node *n, float *scale, int32_t *zp)
{
    if (n->op->at_load != dq_at_load || n->nout != 1 || !n->out[0])
        return 0;
    const QdqAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0), *s = op_in(g, n, 1);
    if (!a->dequant || a->mode != QP_TENSOR || (x->dtype != DT_INT8 && x->dtype != DT_UINT8) ||
        op_out(g, n, 0)->dtype != DT_FLOAT32 || s->kind != VK_CONST || !s->data ||
        s->dtype != DT_FLOAT32 || s->data->size < 4)
        return 0;
    memcpy(scale, s->data->bytes, 4);
    *zp = 0;
    if (op_has_in(n, 2)) {
        const Value *z = op_in(g, n, 2);
        if (z->kind != VK_CONST || !z->data || z->dtype != x->dtype || z->data->size < 1)
            return 0;
        *zp = x->dtype == DT_INT8 ? (int32_t)(int8_t)z->data->bytes[0] : (int32_t)z->data->bytes[0];
    }
    return 1;
}

int quant_fused_requant(const Graph *g, const Node *n, QRequant *r)
{
    if (!n->nepi)
        return 0;
    int relu = 0;
    for (uint16_t e = 0; e < n->nepi; e++) {
        const Node *f = graph_node(g, n->epi[e]);
        if (n->epi_arg && n->epi_arg[e] != 0)
            return 0;
        if (e + 1 < n->nepi) {
            if (!op_is_relu(f))
                return 0;
            relu = 1;
            continue;
        }
        const QdqAttrs *a = f->attrs;
        if (f->op->scalar != q_scalar || a->dequant || a->mode != QP_TENSOR)
            return 0;
        const Value *s = op_in(g, f, 1), *y = op_out(g, f, 0);
        if (!is_q8(y->dtype) || s->kind != VK_CONST || !s->data || s->dtype != DT_FLOAT32 ||
            shape_count(&s->shape) != 1 || s->data->size < 4)
            return 0;
        memcpy(&r->ys, s->data->bytes, 4);
        if (!(r->ys > 0 && r->ys < 3e38f))
            return 0;
        r->zp = 0;
        if (op_has_in(f, 2)) {
            const Value *z = op_in(g, f, 2);
            if (z->kind != VK_CONST || !z->data || z->dtype != y->dtype || z->data->size < 1)
                return 0;
            r->zp = y->dtype == DT_INT8 ? (int32_t)(int8_t)z->data->bytes[0]
                                        : (int32_t)z->data->bytes[0];
        }
        double lo, hi;
        qrange(y->dtype, &lo, &hi);
        r->lo = relu && r->zp > (int32_t)lo ? r->zp : (int32_t)lo;
        r->hi = (int32_t)hi;
        r->dt = y->dtype;
    }
    return 1;
}

int quant_fixed_multiplier(float scale, int32_t *mult, int32_t *shift)
{
    if (!(scale > 0 && scale < 3e38f))
        return 0;
    int e;
    float f = frexpf(scale, &e); /* scale = f * 2^e, f in [0.5, 1) */
    int32_t s = 24 - e;
    if (s < 1 || s > 55)
        return 0;
    *mult = (int32_t)ldexpf(f, 24); /* exact: f has at most 24 significant bits */
    *shift = s;
    return 1;
}

int quant_fixed_table(KBuilder *kb, const float *scale, uint64_t n, double acc_max, QFixed *f)
{
    memset(f, 0, sizeof *f);
    int32_t *m = arena_array(kb->a, int32_t, (size_t)n),
            *sh = arena_array(kb->a, int32_t, (size_t)n);
    int32_t smax = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (!quant_fixed_multiplier(scale[i], &m[i], &sh[i]))
            return 0;
        smax = sh[i] > smax ? sh[i] : smax;
    }
    /* one shift for all when every multiplier stays below 2^31 with it */
    int common = smax <= 60;
    for (uint64_t i = 0; i < n && common; i++)
        common = smax - sh[i] <= 7;
    /* |acc * mult| < 2^61 (QFixed) */
    if (!(acc_max * (common ? 2147483648.0 : 16777216.0) < 2305843009213693952.0))
        return 0;
    f->n = n;
    f->shift = common ? smax : -1;
    int32_t *t = arena_array(kb->a, int32_t, (size_t)n);
    for (uint64_t i = 0; i < n; i++)
        t[i] = common ? m[i] << (smax - sh[i]) : sh[i] << 24 | m[i];
    f->tab = t;
    if (n > 1)
        f->buf = kb_weight(kb, DT_INT32, t, n);
    for (int i = 0; i < 4; i++)
        f->loc[i] = UINT16_MAX;
    return 1;
}

int quant_fixed_wanted(const KBuilder *kb, int vec)
{
    int mode = kb->ctx && kb->ctx->opt ? kb->ctx->opt->requant : 0;
    return mode == 2 || (mode == 0 && !vec);
}

int quant_fixed_plan(KBuilder *kb, const Node *n, float xsc, const float *wsc, int64_t M, int64_t K,
                     const float *bsrc, QRequant *rq, QFixed *f, int32_t *bi)
{
    if (!quant_fused_requant(kb->g, n, rq))
        return 0;
    float *rs = arena_array(kb->a, float, (size_t)M);
    int same = 1;
    double bmax = 0;
    for (int64_t m = 0; m < M; m++) {
        float sxw = xsc * wsc[m];
        rs[m] = sxw / rq->ys; /* onnxruntime's QLinearConv scale, in float32 */
        same &= rs[m] == rs[0];
        if (bsrc) { /* the int32 bias of a quantized model: b * x_scale * w_scale exactly */
            double r = nearbyint((double)bsrc[m] / (double)sxw);
            if (!(fabs(r) < 1073741824.0) || (float)r * sxw != bsrc[m])
                return 0;
            bi[m] = (int32_t)r;
            bmax = fabs(r) > bmax ? fabs(r) : bmax;
        }
    }
    /* |(x - zp) * w| <= 255 * 255 a product */
    return quant_fixed_table(kb, rs, same ? 1 : (uint64_t)M, (double)K * 65025.0 + bmax, f);
}

void quant_fixed_at(KBuilder *kb, QFixed *f, KIndex ix)
{
    if (f->n == 1 && f->shift >= 0)
        return; /* all constants */
    KExpr *one = kb_const_i(kb, DT_INT64, 1);
    KExpr *v = f->n == 1 ? kb_const_i(kb, DT_INT64, f->tab[0])
                         : kb_cast(kb, DT_INT64, kb_load(kb, f->buf, ix));
    if (f->loc[0] == UINT16_MAX)
        f->loc[0] = kb_local(kb, ktype(DT_INT64));
    if (f->shift >= 0) { /* the multiplier */
        kb_set(kb, f->loc[0], v);
        return;
    }
    for (int i = 1; i < 4; i++)
        if (f->loc[i] == UINT16_MAX)
            f->loc[i] = kb_local(kb, ktype(DT_INT64));
    /* the entry read once: shift << 24 | multiplier */
    kb_set(kb, f->loc[1], v);
    kb_set(kb, f->loc[0],
           kb_op(kb, KOP_AND, kb_var(kb, f->loc[1]), kb_const_i(kb, DT_INT64, 0xffffff)));
    kb_set(kb, f->loc[1], kb_op(kb, KOP_SHR, kb_var(kb, f->loc[1]), kb_const_i(kb, DT_INT64, 24)));
    /* 2^(shift - 1) - 1, and 2^(62 - shift) */
    kb_set(kb, f->loc[2],
           kb_op(kb, KOP_SUB,
                 kb_op(kb, KOP_SHL, one, kb_op(kb, KOP_SUB, kb_var(kb, f->loc[1]), one)), one));
    kb_set(kb, f->loc[3],
           kb_op(kb, KOP_SHL, one,
                 kb_op(kb, KOP_SUB, kb_const_i(kb, DT_INT64, 62), kb_var(kb, f->loc[1]))));
}

/* f's parameter i (0 multiplier, 1 shift, 2 2^(shift - 1) - 1, 3 2^(62 - shift)): a
 * constant when f has one shift (and, per tensor, one multiplier), else its local; splat
 * to `lanes` lanes. */
static KExpr *fixed_par(KBuilder *kb, const QFixed *f, int i, uint8_t lanes)
{
    KExpr *v;
    if (f->shift < 0 || (i == 0 && f->n > 1)) {
        v = kb_var(kb, f->loc[i]);
    } else {
        int64_t sh = f->shift;
        v = kb_const_i(kb, DT_INT64,
                       i == 0   ? f->tab[0]
                       : i == 1 ? sh
                       : i == 2 ? ((int64_t)1 << (sh - 1)) - 1
                                : (int64_t)1 << (62 - sh));
    }
    return lanes > 1 ? kb_splat(kb, v, lanes) : v;
}

static KExpr *lit64(KBuilder *kb, int64_t v, uint8_t lanes)
{
    KExpr *c = kb_const_i(kb, DT_INT64, v);
    return lanes > 1 ? kb_splat(kb, c, lanes) : c;
}

/* p = acc * mult (|p| < 2^61) is taken 2^62 up, so that every shift is of a nonnegative
 * value (floor division) and q0 = floor(p / 2^s) + 2^(62 - s) has p's quotient's parity:
 * then floor((p + 2^(s-1) - 1 + (q0 & 1)) / 2^s) is p / 2^s rounded half to even. */
KExpr *quant_requant_fixed(KBuilder *kb, const QFixed *f, KExpr *acc, uint16_t tmp, int32_t zp,
                           int32_t lo, int32_t hi, DType dt)
{
    uint8_t L = acc->type.lanes;
    kb_set(kb, tmp,
           kb_op(kb, KOP_ADD,
                 kb_op(kb, KOP_MUL, kb_cast(kb, DT_INT64, acc), fixed_par(kb, f, 0, L)),
                 lit64(kb, (int64_t)1 << 62, L)));
    KExpr *q0 = kb_op(kb, KOP_SHR, kb_var(kb, tmp), fixed_par(kb, f, 1, L));
    KExpr *t = kb_op(kb, KOP_ADD, kb_op(kb, KOP_ADD, kb_var(kb, tmp), fixed_par(kb, f, 2, L)),
                     kb_op(kb, KOP_AND, q0, lit64(kb, 1, L)));
    KExpr *r =
        kb_op(kb, KOP_SUB, kb_op(kb, KOP_SHR, t, fixed_par(kb, f, 1, L)), fixed_par(kb, f, 3, L));
    r = kb_op(kb, KOP_ADD, r, lit64(kb, zp, L));
    r = kb_op(kb, KOP_MIN, kb_op(kb, KOP_MAX, r, lit64(kb, lo, L)), lit64(kb, hi, L));
    if (L > 1) /* float32 lanes of the integers, for a narrowing store */
        return kb_cast(kb, dt, kb_cast(kb, DT_FLOAT32, kb_cast(kb, DT_INT32, r)));
    return kb_cast(kb, dt, r);
}

int quant_dq_params(Arena *a, const Graph *g, const Node *n, QuantParams *out)
{
    if (n->op->at_load != dq_at_load || n->nout != 1 || !n->out[0])
        return 0;
    const QdqAttrs *at = n->attrs;
    const Value *x = op_in(g, n, 0), *s = op_in(g, n, 1);
    const Value *z = op_has_in(n, 2) ? op_in(g, n, 2) : NULL;
    if (!at->dequant || (at->mode != QP_TENSOR && at->mode != QP_AXIS) ||
        (x->dtype != DT_INT8 && x->dtype != DT_UINT8) || op_out(g, n, 0)->dtype != DT_FLOAT32 ||
        s->kind != VK_CONST || !s->data || s->dtype != DT_FLOAT32)
        return 0;
    uint64_t ns = shape_count(&s->shape);
    if (ns == 0 || s->data->size < 4 * ns ||
        (z && (z->kind != VK_CONST || !z->data || z->dtype != x->dtype || z->data->size < ns)))
        return 0;
    float *sc = arena_array(a, float, ns);
    int32_t *zp = arena_array(a, int32_t, ns);
    memcpy(sc, s->data->bytes, 4 * ns);
    for (uint64_t i = 0; i < ns; i++)
        zp[i] = !z                    ? 0
                : x->dtype == DT_INT8 ? (int32_t)(int8_t)z->data->bytes[i]
                                      : (int32_t)z->data->bytes[i];
    out->axis = at->mode == QP_AXIS ? (int32_t)at->ax : -1;
    out->n = (uint32_t)ns;
    out->scale = sc;
    out->zero_point = zp;
    return 1;
}

int quant_int_weights(Arena *a, const Value *w, int64_t R, int64_t C, int cols, const int8_t **wq,
                      const float **wsc)
{
    const QuantParams *q = w->quant;
    int64_t nch = cols ? C : R, K = cols ? R : C;
    int32_t axis = cols ? (int32_t)w->shape.rank - 1 : 0;
    if (!q || w->kind != VK_CONST || w->dtype != DT_FLOAT32 || !w->data ||
        w->data->size < (uint64_t)(R * C) * 4 ||
        !((q->axis == -1 && q->n == 1) || (q->axis == axis && q->n == (uint64_t)nch)))
        return 0;
    int8_t *iq = arena_array(a, int8_t, (size_t)(R * C));
    float *sc = arena_array(a, float, (size_t)nch);
    const float *wf = (const float *)(const void *)w->data->bytes;
    for (int64_t m = 0; m < nch; m++) {
        float s = q->scale[q->n == 1 ? 0 : m];
        if (!(s > 0 && s < 3e38f))
            return 0;
        sc[m] = s;
        for (int64_t k = 0; k < K; k++) {
            float v = wf[cols ? k * C + m : m * K + k];
            double d = (double)v / (double)s;
            if (!(d > -128.5 && d < 127.5))
                return 0;
            int r = (int)(d < 0 ? d - 0.5 : d + 0.5);
            if ((float)r * s != v)
                return 0;
            iq[m * K + k] = (int8_t)r;
        }
    }
    *wq = iq;
    *wsc = sc;
    return 1;
}

int quant_dot_bytes(const Target *t, DType xdt, DType *bdt, int32_t *xoff)
{
    int vnni = (t->isa & (ISA_AVX512VNNI | ISA_AVX2)) != 0;
    if (!vnni && !(t->isa & ISA_DOTPROD))
        return 0;
    *bdt = vnni ? DT_UINT8 : DT_INT8;
    *xoff = vnni ? (xdt == DT_INT8 ? 128 : 0) : (xdt == DT_UINT8 ? -128 : 0);
    return vnni ? 1 : 2;
}

void quant_dot_tables(const int8_t *wq, const float *wsc, int64_t nch, int64_t K, int32_t xz,
                      float xsc, int32_t *zc, float *sc)
{
    for (int64_t m = 0; m < nch; m++) {
        int64_t sum = 0;
        for (int64_t k = 0; k < K; k++)
            sum += wq[m * K + k];
        zc[m] = (int32_t)(-(int64_t)xz * sum);
        sc[m] = xsc * wsc[m];
    }
}

static int dq_at_load_ok(const Graph *g, const Node *n)
{
    (void)g;
    const QdqAttrs *a = n->attrs;
    return a->dequant && a->mode != QP_BLOCK;
}

/* ---- DynamicQuantizeLinear ----------------------------------------------- */

static LwStatus dql_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    if (x->dtype != DT_FLOAT32)
        return diag_node(ctx, n, "%s input is not supported (float32 only)", dtype_name(x->dtype));
    Shape s0;
    memset(&s0, 0, sizeof s0);
    TRY(op_set_output(ctx, g, n, 0, DT_UINT8, &x->shape));
    TRY(op_set_output(ctx, g, n, 1, DT_FLOAT32, &s0));
    return op_set_output(ctx, g, n, 2, DT_UINT8, &s0);
}

/* Range widened to include 0, scale = (max - min) / 255 (1 when the range is
 * empty, as onnxruntime does), zero point = saturate(round(-min / scale)). */
static LwStatus dql_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const Value *x = op_in(kb->g, n, 0);
    uint64_t cnt = shape_count(&x->shape);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t lo = kb_local(kb, ktype(DT_FLOAT32)), hi = kb_local(kb, ktype(DT_FLOAT32));
    uint16_t sc = kb_local(kb, ktype(DT_FLOAT32)), zp = kb_local(kb, ktype(DT_FLOAT32));
    kb_set(kb, lo, fc(kb, 0));
    kb_set(kb, hi, fc(kb, 0));
    uint16_t v = kb_for(kb, (int64_t)cnt);
    KIndex xi = kidx_const(0);
    kidx_add(&xi, v, 1);
    kb_set(kb, lo, kb_op(kb, KOP_MIN, kb_var(kb, lo), kb_load(kb, xb, xi)));
    kb_set(kb, hi, kb_op(kb, KOP_MAX, kb_var(kb, hi), kb_load(kb, xb, xi)));
    kb_endfor(kb);
    KExpr *range = kb_op(kb, KOP_SUB, kb_var(kb, hi), kb_var(kb, lo));
    kb_set(kb, sc,
           kb_select(kb, kb_op(kb, KOP_EQ, kb_var(kb, hi), kb_var(kb, lo)), fc(kb, 1),
                     kb_op(kb, KOP_DIV, range, fc(kb, 255))));
    KExpr *z = kb_op(kb, KOP_SUB, fc(kb, 0), kb_op(kb, KOP_DIV, kb_var(kb, lo), kb_var(kb, sc)));
    z = kb_op(kb, KOP_MIN, kb_op(kb, KOP_MAX, z, fc(kb, 0)), fc(kb, 255));
    kb_set(kb, zp, kb_op(kb, KOP_ROUND, z, NULL));
    if (n->nout > 1 && n->out[1])
        kb_store(kb, kb_out(kb, 1), kidx_const(0), kb_var(kb, sc));
    if (n->nout > 2 && n->out[2])
        kb_store(kb, kb_out(kb, 2), kidx_const(0), kb_cast(kb, DT_UINT8, kb_var(kb, zp)));
    uint16_t v2 = kb_for(kb, (int64_t)cnt);
    KIndex xi2 = kidx_const(0);
    kidx_add(&xi2, v2, 1);
    KExpr *q = kb_op(kb, KOP_DIV, kb_load(kb, xb, xi2), kb_var(kb, sc));
    kb_store(kb, yb, xi2, quantize_f(kb, q, kb_var(kb, zp), DT_UINT8));
    kb_endfor(kb);
    kb_end(kb);
    return LW_OK;
}

/* ---- MatMulInteger / QLinearMatMul ---------------------------------------- */

/* Input positions of an integer matmul or conv; -1 = the op has no such input. */
typedef struct QSlots {
    int x, xs, xz, w, ws, wz, ys, yz, bias;
} QSlots;

static const QSlots mmi_slots = {0, -1, 2, 1, -1, 3, -1, -1, -1};
static const QSlots qlmm_slots = {0, 1, 2, 3, 4, 5, 6, 7, -1};
static const QSlots convi_slots = {0, -1, 2, 1, -1, 3, -1, -1, -1};
static const QSlots qlconv_slots = {0, 1, 2, 3, 4, 5, 6, 7, 8};

static int has_slot(const Node *n, int s)
{
    return s >= 0 && op_has_in(n, (uint16_t)s);
}

/* Per-row (x side) or per-column/channel (w side) parameters are indexed by `v`. */
static KIndex pidx(const Node *n, const Graph *g, int s, uint16_t v)
{
    KIndex ix = kidx_const(0);
    if (has_slot(n, s) && shape_count(&op_in(g, n, (uint16_t)s)->shape) > 1)
        kidx_add(&ix, v, 1);
    return ix;
}

static KExpr *slot_zero_i(KBuilder *kb, const Node *n, int s, KIndex ix)
{
    return s >= 0 ? qzero_i(kb, n, (uint16_t)s, ix) : kb_const_i(kb, DT_INT32, 0);
}

/* A constant float32 scalar input's value, or 0 (absent, computed, other types). */
static int const_f32(const Graph *g, const Node *n, int s, float *v)
{
    if (!has_slot(n, s))
        return 0;
    const Value *c = op_in(g, n, (uint16_t)s);
    if (c->kind != VK_CONST || !c->data || c->dtype != DT_FLOAT32 || shape_count(&c->shape) != 1 ||
        c->data->size < 4)
        return 0;
    memcpy(v, c->data->bytes, 4);
    return 1;
}

/* requant in fixed point (quant_requant_fixed) when the scales are constants, x's and
 * y's one each (w's one or per channel at wix), with one constant output zero point and
 * every channel's scale in range; NULL otherwise. */
static KExpr *requant_fixed(KBuilder *kb, const Node *n, const QSlots *sl, KExpr *acc, KIndex wix,
                            DType ydt, double acc_max)
{
    const Graph *g = kb->g;
    float xs, ys;
    int32_t zp = 0;
    if (!const_f32(g, n, sl->xs, &xs) || !const_f32(g, n, sl->ys, &ys) || !has_slot(n, sl->ws))
        return NULL;
    if (has_slot(n, sl->yz)) {
        const Value *z = op_in(g, n, (uint16_t)sl->yz);
        if (z->kind != VK_CONST || !z->data || z->dtype != ydt || shape_count(&z->shape) != 1)
            return NULL;
        zp = ydt == DT_INT8 ? (int32_t)(int8_t)z->data->bytes[0] : (int32_t)z->data->bytes[0];
    }
    const Value *w = op_in(g, n, (uint16_t)sl->ws);
    uint64_t nw = shape_count(&w->shape);
    if (w->kind != VK_CONST || !w->data || w->dtype != DT_FLOAT32 || nw == 0 ||
        w->data->size < 4 * nw)
        return NULL;
    float *sc = arena_array(kb->a, float, (size_t)nw);
    for (uint64_t i = 0; i < nw; i++) {
        float ws;
        memcpy(&ws, w->data->bytes + 4 * i, 4);
        sc[i] = xs * ws / ys; /* onnxruntime's: (x_scale * w_scale) / y_scale in float32 */
    }
    QFixed f;
    if (!quant_fixed_table(kb, sc, nw, acc_max, &f))
        return NULL;
    quant_fixed_at(kb, &f, wix);
    double lo, hi;
    qrange(ydt, &lo, &hi);
    return quant_requant_fixed(kb, &f, acc, kb_local(kb, ktype(DT_INT64)), zp, (int32_t)lo,
                               (int32_t)hi, ydt);
}

/* The largest magnitude of an int32 bias input: its values when constant, else 2^31. */
static double bias_max(const Graph *g, const Node *n, const QSlots *sl)
{
    if (!has_slot(n, sl->bias))
        return 0;
    const Value *b = op_in(g, n, (uint16_t)sl->bias);
    uint64_t nb = shape_count(&b->shape);
    if (b->kind != VK_CONST || !b->data || b->dtype != DT_INT32 || b->data->size < 4 * nb)
        return 2147483648.0;
    double m = 0;
    for (uint64_t i = 0; i < nb; i++) {
        int32_t v;
        memcpy(&v, b->data->bytes + 4 * i, 4);
        m = fabs((double)v) > m ? fabs((double)v) : m;
    }
    return m;
}

/* Requantizes an int32 accumulator: float(acc) * (xs * ws / ys), rounded half
 * to even, plus the output zero point, saturated (onnxruntime's order); in fixed point
 * where the scales are constants (requant_fixed). */
static KExpr *requant(KBuilder *kb, const Node *n, const QSlots *sl, KExpr *acc, KIndex xix,
                      KIndex wix, DType ydt, double acc_max)
{
    KExpr *fx = quant_fixed_wanted(kb, 0) ? requant_fixed(kb, n, sl, acc, wix, ydt, acc_max) : NULL;
    if (fx)
        return fx;
    KExpr *mult = kb_op(kb, KOP_MUL, qscale(kb, n, (uint16_t)sl->xs, xix),
                        qscale(kb, n, (uint16_t)sl->ws, wix));
    mult = kb_op(kb, KOP_DIV, mult, qscale(kb, n, (uint16_t)sl->ys, kidx_const(0)));
    return quantize_f(kb, kb_op(kb, KOP_MUL, f32(kb, acc), mult),
                      qzero_f(kb, n, (uint16_t)sl->yz, kidx_const(0)), ydt);
}

static void mm_dims(const Shape *a, const Shape *b, Shape *pa, Shape *pb)
{
    *pa = *a;
    *pb = *b;
    if (a->rank == 1) {
        pa->rank = 2;
        pa->dims[0] = 1;
        pa->dims[1] = a->dims[0];
    }
    if (b->rank == 1) {
        pb->rank = 2;
        pb->dims[0] = b->dims[0];
        pb->dims[1] = 1;
    }
}

static LwStatus imm_infer(Ctx *ctx, Graph *g, Node *n, const QSlots *sl)
{
    const Value *a = op_in(g, n, (uint16_t)sl->x), *b = op_in(g, n, (uint16_t)sl->w);
    TRY(check_q8(ctx, g, n, (uint16_t)sl->x));
    TRY(check_q8(ctx, g, n, (uint16_t)sl->w));
    if (a->shape.rank == 0 || b->shape.rank == 0)
        return diag_node(ctx, n, "matrix operands must have rank >= 1");
    Shape pa, pb;
    mm_dims(&a->shape, &b->shape, &pa, &pb);
    int64_t M = pa.dims[pa.rank - 2], K = pa.dims[pa.rank - 1], N = pb.dims[pb.rank - 1];
    if (pb.dims[pb.rank - 2] != K)
        return diag_node(ctx, n, "inner dimensions differ: %lld and %lld", (long long)K,
                         (long long)pb.dims[pb.rank - 2]);
    Shape ba = pa, bbs = pb, batch;
    ba.rank = (uint8_t)(pa.rank - 2);
    bbs.rank = (uint8_t)(pb.rank - 2);
    if (!shape_broadcast(&ba, &bbs, &batch))
        return diag_node(ctx, n, "batch dimensions do not broadcast");
    int pe;
    TRY(check_zp_type(ctx, g, n, (uint16_t)sl->xz, a->dtype));
    TRY(check_zp_type(ctx, g, n, (uint16_t)sl->wz, b->dtype));
    TRY(check_qp(ctx, g, n, (uint16_t)sl->xz, 0, M, &pe));
    TRY(check_qp(ctx, g, n, (uint16_t)sl->wz, 0, N, &pe));
    DType out = DT_INT32;
    if (sl->ys >= 0) {
        TRY(check_qp(ctx, g, n, (uint16_t)sl->xs, 1, M, &pe));
        TRY(check_qp(ctx, g, n, (uint16_t)sl->ws, 1, N, &pe));
        TRY(check_qp(ctx, g, n, (uint16_t)sl->ys, 1, 0, NULL));
        TRY(check_qp(ctx, g, n, (uint16_t)sl->yz, 0, 0, NULL));
        out = has_slot(n, sl->yz) ? op_in(g, n, (uint16_t)sl->yz)->dtype : a->dtype;
        if (!is_q8(out))
            return diag_node(ctx, n, "%s output is not supported (int8 or uint8)", dtype_name(out));
    }
    Shape s = batch;
    if (a->shape.rank != 1)
        s.dims[s.rank++] = M;
    if (b->shape.rank != 1)
        s.dims[s.rank++] = N;
    return op_set_output(ctx, g, n, 0, out, &s);
}

static LwStatus mmi_infer(Ctx *ctx, Graph *g, Node *n)
{
    return imm_infer(ctx, g, n, &mmi_slots);
}
static LwStatus qlmm_infer(Ctx *ctx, Graph *g, Node *n)
{
    return imm_infer(ctx, g, n, &qlmm_slots);
}

/* int32 sum of (a - a_zp) * (b - b_zp), then int32 out or requantized. */
static LwStatus imm_lower(KBuilder *kb, const Node *n, const QSlots *sl)
{
    const Graph *g = kb->g;
    const Value *a = op_in(g, n, (uint16_t)sl->x), *b = op_in(g, n, (uint16_t)sl->w);
    const Value *y = op_out(g, n, 0);
    Shape pa, pb;
    mm_dims(&a->shape, &b->shape, &pa, &pb);
    int64_t M = pa.dims[pa.rank - 2], K = pa.dims[pa.rank - 1], N = pb.dims[pb.rank - 1];
    Shape ba = pa, bbs = pb, batch;
    ba.rank = (uint8_t)(pa.rank - 2);
    bbs.rank = (uint8_t)(pb.rank - 2);
    shape_broadcast(&ba, &bbs, &batch);
    int64_t sa[LW_MAX_RANK], sb[LW_MAX_RANK], bs[LW_MAX_RANK];
    shape_bcast_strides(&ba, &batch, sa);
    shape_bcast_strides(&bbs, &batch, sb);
    shape_strides(&batch, bs);
    kb_begin(kb, n, NULL);
    uint32_t abuf = kb_in(kb, (uint16_t)sl->x), bbuf = kb_in(kb, (uint16_t)sl->w);
    uint32_t yb = kb_out(kb, 0);
    uint16_t acc = kb_local(kb, ktype(DT_INT32));
    uint16_t bv[LW_MAX_RANK];
    kb_for_shape(kb, &batch, bv);
    uint16_t vm = kb_for(kb, M), vn = kb_for(kb, N);
    KIndex mix = pidx(n, g, sl->xz, vm), nix = pidx(n, g, sl->wz, vn);
    kb_set(kb, acc, kb_const_i(kb, DT_INT32, 0));
    uint16_t vk = kb_for(kb, K);
    KIndex ai = kidx_rowmajor(bv, sa, batch.rank, 0), bi = kidx_rowmajor(bv, sb, batch.rank, 0);
    for (uint8_t i = 0; i < ai.n; i++)
        ai.coef[i] *= M * K;
    for (uint8_t i = 0; i < bi.n; i++)
        bi.coef[i] *= K * N;
    kidx_add(&ai, vm, K);
    kidx_add(&ai, vk, 1);
    kidx_add(&bi, vk, N);
    kidx_add(&bi, vn, 1);
    KExpr *av = kb_op(kb, KOP_SUB, i32(kb, kb_load(kb, abuf, ai)), slot_zero_i(kb, n, sl->xz, mix));
    KExpr *bv2 =
        kb_op(kb, KOP_SUB, i32(kb, kb_load(kb, bbuf, bi)), slot_zero_i(kb, n, sl->wz, nix));
    kb_set(kb, acc, kb_op(kb, KOP_ADD, kb_var(kb, acc), kb_op(kb, KOP_MUL, av, bv2)));
    kb_endfor(kb);
    KExpr *r = kb_var(kb, acc);
    if (sl->ys >= 0)
        r = requant(kb, n, sl, r, pidx(n, g, sl->xs, vm), pidx(n, g, sl->ws, vn), y->dtype,
                    (double)K * 65025.0);
    KIndex yi = kidx_rowmajor(bv, bs, batch.rank, 0);
    for (uint8_t i = 0; i < yi.n; i++)
        yi.coef[i] *= M * N;
    kidx_add(&yi, vm, N);
    kidx_add(&yi, vn, 1);
    kb_store(kb, yb, yi, r);
    kb_endfor_n(kb, 2 + batch.rank);
    kb_end(kb);
    return LW_OK;
}

static LwStatus mmi_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return imm_lower(kb, n, &mmi_slots);
}
static LwStatus qlmm_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return imm_lower(kb, n, &qlmm_slots);
}

/* ---- ConvInteger / QLinearConv ---------------------------------------------- */

typedef struct QConvAttrs {
    Window w;
    int64_t group;
} QConvAttrs;

static LwStatus qconv_import(Ctx *ctx, Node *n, const AttrList *al)
{
    QConvAttrs *c = arena_new(ctx->perm, QConvAttrs);
    TRY(window_import(ctx, n, al, &c->w, 1, 0));
    TRY(attr_int(ctx, &n->loc, al, "group", 1, &c->group));
    if (c->group < 1)
        return diag_node(ctx, n, "'group' is %lld, must be at least 1", (long long)c->group);
    n->attrs = c;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus iconv_infer(Ctx *ctx, Graph *g, Node *n, const QSlots *sl)
{
    QConvAttrs *c = (QConvAttrs *)n->attrs;
    const Value *x = op_in(g, n, (uint16_t)sl->x), *w = op_in(g, n, (uint16_t)sl->w);
    TRY(check_q8(ctx, g, n, (uint16_t)sl->x));
    TRY(check_q8(ctx, g, n, (uint16_t)sl->w));
    if (x->shape.rank < 3 || x->shape.rank > 5 || w->shape.rank != x->shape.rank)
        return diag_node(ctx, n, "input rank %u and weight rank %u: expected 3 to 5 and equal",
                         x->shape.rank, w->shape.rank);
    int sp = x->shape.rank - 2;
    int64_t C = x->shape.dims[1], M = w->shape.dims[0];
    if (C % c->group != 0 || M % c->group != 0 || w->shape.dims[1] * c->group != C)
        return diag_node(ctx, n, "input has %lld channels, weight %lldx%lld with group %lld",
                         (long long)C, (long long)M, (long long)w->shape.dims[1],
                         (long long)c->group);
    int pe;
    TRY(check_zp_type(ctx, g, n, (uint16_t)sl->xz, x->dtype));
    TRY(check_zp_type(ctx, g, n, (uint16_t)sl->wz, w->dtype));
    TRY(check_qp(ctx, g, n, (uint16_t)sl->xz, 0, 0, NULL));
    TRY(check_qp(ctx, g, n, (uint16_t)sl->wz, 0, M, &pe));
    DType out = DT_INT32;
    if (sl->ys >= 0) {
        TRY(check_qp(ctx, g, n, (uint16_t)sl->xs, 1, 0, NULL));
        TRY(check_qp(ctx, g, n, (uint16_t)sl->ws, 1, M, &pe));
        TRY(check_qp(ctx, g, n, (uint16_t)sl->ys, 1, 0, NULL));
        TRY(check_qp(ctx, g, n, (uint16_t)sl->yz, 0, 0, NULL));
        out = has_slot(n, sl->yz) ? op_in(g, n, (uint16_t)sl->yz)->dtype : x->dtype;
        if (!is_q8(out))
            return diag_node(ctx, n, "%s output is not supported (int8 or uint8)", dtype_name(out));
    }
    if (has_slot(n, sl->bias)) {
        const Value *b = op_in(g, n, (uint16_t)sl->bias);
        if (b->shape.rank != 1 || b->shape.dims[0] != M || b->dtype != DT_INT32)
            return diag_node(ctx, n, "bias must be [%lld] int32", (long long)M);
    }
    if (c->w.nk == 0) {
        c->w.nk = (uint32_t)sp;
        for (int i = 0; i < sp; i++)
            c->w.kernel[i] = w->shape.dims[2 + i];
    }
    for (int i = 0; i < sp; i++)
        if (c->w.kernel[i] != w->shape.dims[2 + i])
            return diag_node(ctx, n, "kernel_shape does not match the weight's shape");
    Shape s = x->shape;
    s.dims[1] = M;
    TRY(window_resolve(ctx, n, &c->w, sp, &x->shape.dims[2], &s.dims[2]));
    return op_set_output(ctx, g, n, 0, out, &s);
}

static LwStatus convi_infer(Ctx *ctx, Graph *g, Node *n)
{
    return iconv_infer(ctx, g, n, &convi_slots);
}
static LwStatus qlconv_infer(Ctx *ctx, Graph *g, Node *n)
{
    return iconv_infer(ctx, g, n, &qlconv_slots);
}

/* Direct loop nest like Conv; the padding contributes (x_zp - x_zp) = 0, so
 * cells outside the input are skipped. */
static LwStatus iconv_lower(KBuilder *kb, const Node *n, const QSlots *sl)
{
    const QConvAttrs *c = n->attrs;
    const Graph *g = kb->g;
    const Value *x = op_in(g, n, (uint16_t)sl->x), *w = op_in(g, n, (uint16_t)sl->w);
    const Value *y = op_out(g, n, 0);
    int sp = x->shape.rank - 2;
    int64_t G = c->group, Cg = x->shape.dims[1] / G, Mg = w->shape.dims[0] / G;
    int64_t xs[LW_MAX_RANK], ws[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&w->shape, ws);
    shape_strides(&y->shape, ys);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, (uint16_t)sl->x), wb = kb_in(kb, (uint16_t)sl->w);
    uint32_t yb = kb_out(kb, 0);
    uint16_t acc = kb_local(kb, ktype(DT_INT32));
    uint16_t vn = kb_for(kb, x->shape.dims[0]);
    uint16_t vg = kb_for(kb, G);
    uint16_t vm = kb_for(kb, Mg);
    uint16_t vo[LW_MAX_SPATIAL], vk[LW_MAX_SPATIAL];
    for (int i = 0; i < sp; i++)
        vo[i] = kb_for(kb, y->shape.dims[2 + i]);
    KIndex mix = kidx_const(0); /* output channel g*Mg + m */
    kidx_add(&mix, vg, Mg);
    kidx_add(&mix, vm, 1);
    KIndex wzix = kidx_const(0), wsix = kidx_const(0);
    if (has_slot(n, sl->wz) && shape_count(&op_in(g, n, (uint16_t)sl->wz)->shape) > 1)
        wzix = mix;
    if (has_slot(n, sl->ws) && shape_count(&op_in(g, n, (uint16_t)sl->ws)->shape) > 1)
        wsix = mix;
    if (has_slot(n, sl->bias))
        kb_set(kb, acc, kb_load(kb, kb_in(kb, (uint16_t)sl->bias), mix));
    else
        kb_set(kb, acc, kb_const_i(kb, DT_INT32, 0));
    uint16_t vc = kb_for(kb, Cg);
    for (int i = 0; i < sp; i++)
        vk[i] = kb_for(kb, c->w.kernel[i]);
    KIndex xi = kidx_const(0), wi = kidx_const(0);
    kidx_add(&xi, vn, xs[0]);
    kidx_add(&xi, vg, Cg * xs[1]);
    kidx_add(&xi, vc, xs[1]);
    kidx_add_index(&wi, &mix, ws[0]);
    kidx_add(&wi, vc, ws[1]);
    KCond conds[LW_MAX_SPATIAL];
    uint8_t nc = 0;
    window_taps(&c->w, sp, vo, vk, &xs[2], &x->shape.dims[2], &y->shape.dims[2], &xi, &wi, &ws[2],
                conds, &nc);
    if (nc)
        kb_if(kb, conds, nc);
    KExpr *xv =
        kb_op(kb, KOP_SUB, i32(kb, kb_load(kb, xb, xi)), slot_zero_i(kb, n, sl->xz, kidx_const(0)));
    KExpr *wv = kb_op(kb, KOP_SUB, i32(kb, kb_load(kb, wb, wi)), slot_zero_i(kb, n, sl->wz, wzix));
    kb_set(kb, acc, kb_op(kb, KOP_ADD, kb_var(kb, acc), kb_op(kb, KOP_MUL, xv, wv)));
    if (nc)
        kb_endif(kb);
    kb_endfor_n(kb, sp + 1);
    KExpr *r = kb_var(kb, acc);
    if (sl->ys >= 0)
        r = requant(kb, n, sl, r, kidx_const(0), wsix, y->dtype,
                    (double)(shape_count(&w->shape) / (uint64_t)(Mg * G)) * 65025.0 +
                        bias_max(g, n, sl));
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vn, ys[0]);
    kidx_add_index(&yi, &mix, ys[1]);
    for (int i = 0; i < sp; i++)
        kidx_add(&yi, vo[i], ys[2 + i]);
    kb_store(kb, yb, yi, r);
    kb_endfor_n(kb, sp + 3);
    kb_end(kb);
    return LW_OK;
}

static LwStatus convi_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return iconv_lower(kb, n, &convi_slots);
}
static LwStatus qlconv_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return iconv_lower(kb, n, &qlconv_slots);
}

/* ---- com.microsoft QLinearAdd / QLinearMul --------------------------------- */

/* A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp; scalars for the scales. */
static LwStatus qbin_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *a = op_in(g, n, 0), *b = op_in(g, n, 3);
    TRY(check_q8(ctx, g, n, 0));
    if (b->dtype != a->dtype)
        return diag_node(ctx, n, "A is %s and B is %s: types must match", dtype_name(a->dtype),
                         dtype_name(b->dtype));
    static const uint16_t sc[3] = {1, 4, 6}, zp[3] = {2, 5, 7};
    for (int i = 0; i < 3; i++) {
        TRY(check_qp(ctx, g, n, sc[i], 1, 0, NULL));
        TRY(check_qp(ctx, g, n, zp[i], 0, 0, NULL));
        TRY(check_zp_type(ctx, g, n, zp[i], a->dtype));
    }
    Shape s;
    if (!shape_broadcast(&a->shape, &b->shape, &s))
        return diag_node(ctx, n, "A and B do not broadcast");
    return op_set_output(ctx, g, n, 0, a->dtype, &s);
}

static LwStatus qbin_lower_kind(KBuilder *kb, const Node *n, int is_mul)
{
    const Value *a = op_in(kb->g, n, 0), *b = op_in(kb->g, n, 3), *y = op_out(kb->g, n, 0);
    int64_t as[LW_MAX_RANK], bs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_bcast_strides(&a->shape, &y->shape, as);
    shape_bcast_strides(&b->shape, &y->shape, bs);
    shape_strides(&y->shape, ys);
    kb_begin(kb, n, NULL);
    uint32_t ab = kb_in(kb, 0), bb = kb_in(kb, 3), yb = kb_out(kb, 0);
    uint16_t v[LW_MAX_RANK];
    kb_for_shape(kb, &y->shape, v);
    int r = y->shape.rank;
    KIndex ai = kidx_rowmajor(v, as, r, 0), bi = kidx_rowmajor(v, bs, r, 0);
    KIndex yi = kidx_rowmajor(v, ys, r, 0), z = kidx_const(0);
    KExpr *da = dequant_diff(kb, kb_load(kb, ab, ai), qzero_i(kb, n, 2, z));
    KExpr *db = dequant_diff(kb, kb_load(kb, bb, bi), qzero_i(kb, n, 5, z));
    KExpr *sa = qscale(kb, n, 1, z), *sb = qscale(kb, n, 4, z), *sc = qscale(kb, n, 6, z);
    KExpr *val;
    if (is_mul) {
        /* (a - za) * (b - zb) * (sa * sb / sc) */
        KExpr *ratio = kb_op(kb, KOP_DIV, kb_op(kb, KOP_MUL, sa, sb), sc);
        val = kb_op(kb, KOP_MUL, kb_op(kb, KOP_MUL, da, db), ratio);
    } else {
        /* (sa / sc) * (a - za) + (sb / sc) * (b - zb) */
        val = kb_op(kb, KOP_ADD, kb_op(kb, KOP_MUL, kb_op(kb, KOP_DIV, sa, sc), da),
                    kb_op(kb, KOP_MUL, kb_op(kb, KOP_DIV, sb, sc), db));
    }
    kb_store(kb, yb, yi, quantize_f(kb, val, qzero_f(kb, n, 7, z), y->dtype));
    kb_endfor_n(kb, r);
    kb_end(kb);
    return LW_OK;
}

static LwStatus qadd_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return qbin_lower_kind(kb, n, 0);
}
static LwStatus qmul_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    return qbin_lower_kind(kb, n, 1);
}

/* ---- com.microsoft QLinearSigmoid / QLinearLeakyRelu ----------------------- */

typedef struct QActAttrs {
    float alpha;
    int is_leaky;
} QActAttrs;

static LwStatus qsig_import(Ctx *ctx, Node *n, const AttrList *al)
{
    QActAttrs *a = arena_new(ctx->perm, QActAttrs);
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus qleaky_import(Ctx *ctx, Node *n, const AttrList *al)
{
    QActAttrs *a = arena_new(ctx->perm, QActAttrs);
    TRY(attr_float(ctx, &n->loc, al, "alpha", 0.01f, &a->alpha));
    a->is_leaky = 1;
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

/* X, X_scale, X_zp, Y_scale, Y_zp (scalars); output X's type and shape. */
static LwStatus qunary_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    TRY(check_q8(ctx, g, n, 0));
    TRY(check_qp(ctx, g, n, 1, 1, 0, NULL));
    TRY(check_qp(ctx, g, n, 2, 0, 0, NULL));
    TRY(check_qp(ctx, g, n, 3, 1, 0, NULL));
    TRY(check_qp(ctx, g, n, 4, 0, 0, NULL));
    TRY(check_zp_type(ctx, g, n, 2, x->dtype));
    TRY(check_zp_type(ctx, g, n, 4, x->dtype));
    return op_set_output(ctx, g, n, 0, x->dtype, &x->shape);
}

/* Dequantize, f in float32, quantize: what onnxruntime's 256-entry table holds. */
static LwStatus qunary_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const QActAttrs *at = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t v = kb_for(kb, (int64_t)shape_count(&x->shape));
    KIndex xi = kidx_const(0), z = kidx_const(0);
    kidx_add(&xi, v, 1);
    KExpr *f = kb_op(kb, KOP_MUL, dequant_diff(kb, kb_load(kb, xb, xi), qzero_i(kb, n, 2, z)),
                     qscale(kb, n, 1, z));
    if (at->is_leaky)
        f = kb_select(kb, kb_op(kb, KOP_GE, f, fc(kb, 0)), f,
                      kb_op(kb, KOP_MUL, f, fc(kb, at->alpha)));
    else
        f = kb_op(kb, KOP_SIGMOID, f, NULL);
    KExpr *q = kb_op(kb, KOP_DIV, f, qscale(kb, n, 3, z));
    kb_store(kb, yb, xi, quantize_f(kb, q, qzero_f(kb, n, 4, z), x->dtype));
    kb_endfor(kb);
    kb_end(kb);
    return LW_OK;
}

/* ---- com.microsoft QLinearGlobalAveragePool -------------------------------- */

typedef struct QPoolAttrs {
    Window w;
    int64_t channels_last, count_include_pad;
} QPoolAttrs;

static LwStatus qgap_import(Ctx *ctx, Node *n, const AttrList *al)
{
    QPoolAttrs *a = arena_new(ctx->perm, QPoolAttrs);
    TRY(attr_int(ctx, &n->loc, al, "channels_last", 0, &a->channels_last));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus qgap_infer(Ctx *ctx, Graph *g, Node *n)
{
    const QPoolAttrs *a = n->attrs;
    TRY(qunary_infer(ctx, g, n));
    const Value *x = op_in(g, n, 0);
    if (x->shape.rank < 3)
        return diag_node(ctx, n, "input must have rank >= 3");
    Shape s = x->shape;
    int first = a->channels_last ? 1 : 2, last = a->channels_last ? s.rank - 1 : s.rank;
    for (int i = first; i < last; i++)
        s.dims[i] = 1;
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* onnxruntime: int32 sum, then float(sum - zp * count) * (xs / (ys * count)). */
static LwStatus qgap_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const QPoolAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    int r = x->shape.rank;
    int64_t N = x->shape.dims[0], C = a->channels_last ? x->shape.dims[r - 1] : x->shape.dims[1];
    int64_t S = (int64_t)shape_count(&x->shape) / (N * C > 0 ? N * C : 1);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t acc = kb_local(kb, ktype(DT_INT32));
    uint16_t vn = kb_for(kb, N), vc = kb_for(kb, C);
    kb_set(kb, acc, kb_const_i(kb, DT_INT32, 0));
    uint16_t vs = kb_for(kb, S);
    KIndex xi = kidx_const(0), z = kidx_const(0);
    kidx_add(&xi, vn, S * C);
    kidx_add(&xi, vc, a->channels_last ? 1 : S);
    kidx_add(&xi, vs, a->channels_last ? C : 1);
    kb_set(kb, acc, kb_op(kb, KOP_ADD, kb_var(kb, acc), i32(kb, kb_load(kb, xb, xi))));
    kb_endfor(kb);
    KExpr *bias = kb_op(kb, KOP_MUL, qzero_i(kb, n, 2, z), kb_const_i(kb, DT_INT32, S));
    KExpr *sum = f32(kb, kb_op(kb, KOP_SUB, kb_var(kb, acc), bias));
    KExpr *scale = kb_op(kb, KOP_DIV, qscale(kb, n, 1, z),
                         kb_op(kb, KOP_MUL, qscale(kb, n, 3, z), fc(kb, (double)S)));
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vn, C);
    kidx_add(&yi, vc, 1);
    kb_store(kb, yb, yi,
             quantize_f(kb, kb_op(kb, KOP_MUL, sum, scale), qzero_f(kb, n, 4, z), x->dtype));
    kb_endfor_n(kb, 2);
    kb_end(kb);
    return LW_OK;
}

/* ---- com.microsoft QLinearAveragePool --------------------------------------- */

static LwStatus qap_import(Ctx *ctx, Node *n, const AttrList *al)
{
    QPoolAttrs *a = arena_new(ctx->perm, QPoolAttrs);
    TRY(window_import(ctx, n, al, &a->w, 0, 1));
    TRY(attr_int(ctx, &n->loc, al, "channels_last", 0, &a->channels_last));
    TRY(attr_int(ctx, &n->loc, al, "count_include_pad", 0, &a->count_include_pad));
    if (a->w.nk == 0)
        return diag_node(ctx, n, "'kernel_shape' is required");
    if (a->channels_last)
        return diag_node(ctx, n, "channels_last=1 is not supported");
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus qap_infer(Ctx *ctx, Graph *g, Node *n)
{
    QPoolAttrs *a = (QPoolAttrs *)n->attrs;
    TRY(qunary_infer(ctx, g, n));
    const Value *x = op_in(g, n, 0);
    if (x->shape.rank < 3)
        return diag_node(ctx, n, "input must have rank >= 3");
    Shape s = x->shape;
    TRY(window_resolve(ctx, n, &a->w, x->shape.rank - 2, &x->shape.dims[2], &s.dims[2]));
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* Dequantized values averaged in float32, then quantized (onnxruntime). */
static LwStatus qap_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const QPoolAttrs *p = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int sp = x->shape.rank - 2;
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&y->shape, ys);
    uint64_t opos = 1;
    for (int i = 0; i < sp; i++)
        opos *= (uint64_t)y->shape.dims[2 + i];
    if (opos > ctx->lim.fold_elems)
        return diag_node(ctx, n, "output too large");
    /* divisor per output position; a window wholly in the padding divides by 1 */
    float *div = window_counts(ctx->scratch, &p->w, sp, &x->shape.dims[2], &y->shape.dims[2],
                               (int)p->count_include_pad, &opos);
    if (!div)
        return diag_node(ctx, n, "out of memory");
    for (uint64_t o = 0; o < opos; o++)
        if (div[o] == 0)
            div[o] = 1;
    uint32_t divb = kb_weight(kb, DT_FLOAT32, div, opos);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t acc = kb_local(kb, ktype(DT_FLOAT32));
    uint16_t vn = kb_for(kb, x->shape.dims[0]), vc = kb_for(kb, x->shape.dims[1]);
    uint16_t vo[LW_MAX_SPATIAL], vk[LW_MAX_SPATIAL];
    for (int i = 0; i < sp; i++)
        vo[i] = kb_for(kb, y->shape.dims[2 + i]);
    kb_set(kb, acc, fc(kb, 0));
    for (int i = 0; i < sp; i++)
        vk[i] = kb_for(kb, p->w.kernel[i]);
    KIndex xi = kidx_const(0), z = kidx_const(0);
    kidx_add(&xi, vn, xs[0]);
    kidx_add(&xi, vc, xs[1]);
    KCond conds[LW_MAX_SPATIAL];
    uint8_t nc = 0;
    window_taps(&p->w, sp, vo, vk, &xs[2], &x->shape.dims[2], &y->shape.dims[2], &xi, NULL, NULL,
                conds, &nc);
    if (nc)
        kb_if(kb, conds, nc);
    KExpr *dq = kb_op(kb, KOP_MUL, dequant_diff(kb, kb_load(kb, xb, xi), qzero_i(kb, n, 2, z)),
                      qscale(kb, n, 1, z));
    kb_set(kb, acc, kb_op(kb, KOP_ADD, kb_var(kb, acc), dq));
    if (nc)
        kb_endif(kb);
    kb_endfor_n(kb, sp);
    int64_t os[LW_MAX_SPATIAL], st = 1;
    for (int i = sp - 1; i >= 0; i--) {
        os[i] = st;
        st *= y->shape.dims[2 + i];
    }
    KExpr *avg =
        kb_op(kb, KOP_DIV, kb_var(kb, acc), kb_load(kb, divb, kidx_rowmajor(vo, os, sp, 0)));
    /* onnxruntime rounds y / y_scale + y_zp: the zero point joins before rounding */
    KExpr *q =
        kb_op(kb, KOP_ADD, kb_op(kb, KOP_DIV, avg, qscale(kb, n, 3, z)), qzero_f(kb, n, 4, z));
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vn, ys[0]);
    kidx_add(&yi, vc, ys[1]);
    for (int i = 0; i < sp; i++)
        kidx_add(&yi, vo[i], ys[2 + i]);
    kb_store(kb, yb, yi, quantize_f(kb, q, NULL, x->dtype));
    kb_endfor_n(kb, sp + 2);
    kb_end(kb);
    return LW_OK;
}

/* ---- com.microsoft QLinearConcat ------------------------------------------- */

typedef struct QConcatAttrs {
    int64_t axis, ax;
} QConcatAttrs;

static LwStatus qconcat_import(Ctx *ctx, Node *n, const AttrList *al)
{
    QConcatAttrs *a = arena_new(ctx->perm, QConcatAttrs);
    if (!attr_find(al, "axis"))
        return diag_node(ctx, n, "'axis' is required");
    TRY(attr_int(ctx, &n->loc, al, "axis", 0, &a->axis));
    if (n->nin < 5 || (n->nin - 2) % 3 != 0)
        return diag_node(ctx, n,
                         "expected Y_scale, Y_zero_point and (X, X_scale, "
                         "X_zero_point) triples, got %u inputs",
                         n->nin);
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus qconcat_infer(Ctx *ctx, Graph *g, Node *n)
{
    QConcatAttrs *a = (QConcatAttrs *)n->attrs;
    const Value *x0 = op_in(g, n, 2);
    TRY(check_q8(ctx, g, n, 2));
    TRY(check_qp(ctx, g, n, 0, 1, 0, NULL));
    TRY(check_qp(ctx, g, n, 1, 0, 0, NULL));
    DType out = op_has_in(n, 1) ? op_in(g, n, 1)->dtype : x0->dtype;
    if (!is_q8(out))
        return diag_node(ctx, n, "%s output is not supported (int8 or uint8)", dtype_name(out));
    if (!shape_axis(a->axis, x0->shape.rank, &a->ax))
        return diag_node(ctx, n, "axis %lld is out of range for rank %u", (long long)a->axis,
                         x0->shape.rank);
    Shape s = x0->shape;
    s.dims[a->ax] = 0;
    for (uint16_t i = 2; i < n->nin; i = (uint16_t)(i + 3)) {
        const Value *x = op_in(g, n, i);
        TRY(check_q8(ctx, g, n, i));
        TRY(check_qp(ctx, g, n, (uint16_t)(i + 1), 1, 0, NULL));
        TRY(check_qp(ctx, g, n, (uint16_t)(i + 2), 0, 0, NULL));
        TRY(check_zp_type(ctx, g, n, (uint16_t)(i + 2), x->dtype));
        int bad = x->shape.rank != x0->shape.rank;
        for (int d = 0; !bad && d < x->shape.rank; d++)
            bad = d != a->ax && x->shape.dims[d] != x0->shape.dims[d];
        if (bad)
            return diag_node(ctx, n,
                             "input %u's shape does not match input 2's outside axis "
                             "%lld",
                             i, (long long)a->ax);
        s.dims[a->ax] += x->shape.dims[a->ax];
    }
    return op_set_output(ctx, g, n, 0, out, &s);
}

/* Each input is requantized into its slice: round((x - zx) * sx / sy) + zy. */
static LwStatus qconcat_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const QConcatAttrs *a = n->attrs;
    const Value *y = op_out(kb->g, n, 0);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < y->shape.rank; d++) {
        if (d < a->ax)
            outer *= y->shape.dims[d];
        else if (d > a->ax)
            inner *= y->shape.dims[d];
    }
    int64_t Y = y->shape.dims[a->ax], off = 0;
    kb_begin(kb, n, NULL);
    uint32_t yb = kb_out(kb, 0);
    KIndex z = kidx_const(0);
    for (uint16_t i = 2; i < n->nin; i = (uint16_t)(i + 3)) {
        const Value *x = op_in(kb->g, n, i);
        int64_t X = x->shape.dims[a->ax];
        uint32_t xb = kb_in(kb, i);
        uint16_t vo = kb_for(kb, outer), vx = kb_for(kb, X * inner);
        KIndex xi = kidx_const(0), yi = kidx_const(off * inner);
        kidx_add(&xi, vo, X * inner);
        kidx_add(&xi, vx, 1);
        kidx_add(&yi, vo, Y * inner);
        kidx_add(&yi, vx, 1);
        KExpr *f =
            kb_op(kb, KOP_MUL,
                  dequant_diff(kb, kb_load(kb, xb, xi), qzero_i(kb, n, (uint16_t)(i + 2), z)),
                  qscale(kb, n, (uint16_t)(i + 1), z));
        KExpr *q = kb_op(kb, KOP_DIV, f, qscale(kb, n, 0, z));
        kb_store(kb, yb, yi, quantize_f(kb, q, qzero_f(kb, n, 1, z), y->dtype));
        kb_endfor_n(kb, 2);
        off += X;
    }
    kb_end(kb);
    return LW_OK;
}

/* ---- com.microsoft QLinearSoftmax ----------------------------------------- */

typedef struct QSoftmaxAttrs {
    int64_t axis, opset, ax;
} QSoftmaxAttrs;

static LwStatus qsoftmax_import(Ctx *ctx, Node *n, const AttrList *al)
{
    QSoftmaxAttrs *a = arena_new(ctx->perm, QSoftmaxAttrs);
    if (!attr_find(al, "opset"))
        return diag_node(ctx, n, "'opset' is required");
    TRY(attr_int(ctx, &n->loc, al, "opset", 1, &a->opset));
    TRY(attr_int(ctx, &n->loc, al, "axis", a->opset < 13 ? 1 : -1, &a->axis));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus qsoftmax_infer(Ctx *ctx, Graph *g, Node *n)
{
    QSoftmaxAttrs *a = (QSoftmaxAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    if (!shape_axis(a->axis, x->shape.rank, &a->ax))
        return diag_node(ctx, n, "axis %lld is out of range for rank %u", (long long)a->axis,
                         x->shape.rank);
    return qunary_infer(ctx, g, n);
}

/* Softmax of the dequantized input along the axis (all dims from the axis on
 * before opset 13). onnxruntime multiplies the probabilities by
 * floor(1 / y_scale) (exact for its usual 1/256) before rounding: so do we. */
static LwStatus qsoftmax_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const QSoftmaxAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0);
    int64_t outer = 1, K = 1, inner = 1;
    for (int i = 0; i < x->shape.rank; i++) {
        if (i < a->ax)
            outer *= x->shape.dims[i];
        else if (i == a->ax || a->opset < 13)
            K *= x->shape.dims[i];
        else
            inner *= x->shape.dims[i];
    }
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t m = kb_local(kb, ktype(DT_FLOAT32)), s = kb_local(kb, ktype(DT_FLOAT32));
    uint16_t vo = kb_for(kb, outer), vi = kb_for(kb, inner);
    KIndex base = kidx_const(0), z = kidx_const(0);
    kidx_add(&base, vo, K * inner);
    kidx_add(&base, vi, 1);
    kb_set(kb, m, kb_const_lowest(kb, DT_FLOAT32));
    for (int pass = 0; pass < 3; pass++) {
        uint16_t k = kb_for(kb, K);
        KIndex ix = base;
        kidx_add(&ix, k, inner);
        KExpr *v = kb_op(kb, KOP_MUL, dequant_diff(kb, kb_load(kb, xb, ix), qzero_i(kb, n, 2, z)),
                         qscale(kb, n, 1, z));
        if (pass == 0) {
            kb_set(kb, m, kb_op(kb, KOP_MAX, kb_var(kb, m), v));
        } else {
            KExpr *e = kb_op(kb, KOP_EXP, kb_op(kb, KOP_SUB, v, kb_var(kb, m)), NULL);
            if (pass == 1) {
                kb_set(kb, s, kb_op(kb, KOP_ADD, kb_var(kb, s), e));
            } else {
                KExpr *ys =
                    kb_op(kb, KOP_FLOOR, kb_op(kb, KOP_DIV, fc(kb, 1), qscale(kb, n, 3, z)), NULL);
                KExpr *p = kb_op(kb, KOP_DIV, kb_op(kb, KOP_MUL, e, ys), kb_var(kb, s));
                kb_store(kb, yb, ix, quantize_f(kb, p, qzero_f(kb, n, 4, z), x->dtype));
            }
        }
        kb_endfor(kb);
        if (pass == 0)
            kb_set(kb, s, fc(kb, 0));
    }
    kb_endfor_n(kb, 2);
    kb_end(kb);
    return LW_OK;
}

/* ---- table ------------------------------------------------------------------ */

#define QOP(dom, name, since, until, nin0, nin1, nout0, nout1, imp, inf, low)                      \
    {                                                                                              \
        dom, name, since, until, nin0, nin1, nout0, nout1, FC_OPAQUE, 0, imp, inf, low, NULL,      \
            NULL, NULL, NULL                                                                       \
    }
/* with OpDef.expand */
#define QOPX(name, since, until, nin0, nin1, imp, inf, low, exp)                                 \
    {                                                                                              \
        "", name, since, until, nin0, nin1, 1, 1, FC_OPAQUE, 0, imp, inf, low, NULL, NULL, NULL,   \
            NULL, NULL, NULL, NULL, exp                                                            \
    }
#define DQOP(since, until, imp)                                                                    \
    {                                                                                              \
        "", "DequantizeLinear", since, until, 2, 3, 1, 1, FC_ELEMWISE, 0, imp, qdq_infer,          \
            qdq_lower, dq_scalar, NULL, NULL, NULL, dq_at_load, dq_at_load_ok                      \
    }
#define QLOP(since, until, imp)                                                                    \
    {                                                                                              \
        "", "QuantizeLinear", since, until, 2, 3, 1, 1, FC_ELEMWISE, 0, imp, qdq_infer, qdq_lower, \
            q_scalar, NULL, NULL, NULL                                                             \
    }

static LwStatus qlmm_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return op_no_attrs(ctx, n, al);
}

/* ---- QOperator as QDQ (OpDef.expand, pass expand) ------------------------------------
 * QLinearConv and QLinearMatMul rewritten as DequantizeLinear of each input, the float op
 * and QuantizeLinear of its result: the form fusion and the blocked kernels run (an
 * imported QDQ model's). The sums are then float32 rather than int32: exact while they
 * stay below 2^24 in magnitude, within a rounding of the output otherwise, as for QDQ. */

static int const_or_absent(const Graph *g, const Node *n, int s)
{
    return !has_slot(n, s) || op_in(g, n, (uint16_t)s)->kind == VK_CONST;
}

static int scalar_slot(const Graph *g, const Node *n, int s)
{
    return !has_slot(n, s) || shape_count(&op_in(g, n, (uint16_t)s)->shape) == 1;
}

/* DequantizeLinear of (v, scale, zero point) at `axis` when the scale is a vector (a
 * constant scalar zero point repeated to its length: DequantizeLinear wants one per
 * scale, the QLinear ops take one for all). */
static LwStatus expand_dq(Ctx *ctx, const char *base, const char *what, const ValueId *vsz,
                          int64_t axis, ValueId *out)
{
    ValueId in[3] = {vsz[0], vsz[1], vsz[2]};
    Shape ss = graph_value(ctx->g, vsz[1])->shape; /* copies: adding a value may move them */
    uint64_t n = shape_count(&ss);
    if (in[2] && n > 1 && shape_count(&graph_value(ctx->g, in[2])->shape) == 1) {
        const Value *zp = graph_value(ctx->g, in[2]);
        DType zt = zp->dtype;
        size_t es = dtype_size(zt);
        unsigned char *rep = arena_array(ctx->perm, unsigned char, (size_t)n * es);
        for (uint64_t i = 0; i < n; i++)
            memcpy(rep + i * es, zp->data->bytes, es);
        StrBuf nm;
        sb_init(&nm, ctx->perm);
        sb_printf(&nm, "%s_%s_zero_point", base, what);
        in[2] = graph_add_const(ctx->perm, ctx->g, sb_cstr(&nm), zt, &ss, rep, (uint64_t)n * es);
    }
    vsz = in;
    Attr at;
    memset(&at, 0, sizeof at);
    at.name = "axis";
    at.type = AT_INT;
    at.i = axis;
    AttrList al = {&at, shape_count(&graph_value(ctx->g, vsz[1])->shape) > 1 ? 1u : 0u};
    NodeId id;
    TRY(op_expand_node(ctx, base, what, "DequantizeLinear", 13, vsz, vsz[2] ? 3 : 2, &al, &id));
    *out = graph_node(ctx->g, id)->out[0];
    return LW_OK;
}

/* QuantizeLinear of the float op's result f with the node's (y scale, y zero point), made
 * the definition of the node's output y, which the QOperator node gives up. */
static LwStatus expand_q(Ctx *ctx, NodeId qop, const char *base, ValueId f, ValueId ys,
                         ValueId yz)
{
    ValueId y = graph_node(ctx->g, qop)->out[0];
    ValueId in[3] = {f, ys, yz};
    AttrList none = {NULL, 0};
    NodeId id;
    TRY(op_expand_node(ctx, base, "quantized", "QuantizeLinear", 13, in, yz ? 3 : 2, &none, &id));
    graph_erase_node(ctx->g, qop);
    graph_take_output(ctx->g, id, y);
    return LW_OK;
}

/* A QLinearConv's or ConvInteger's window as Conv's attributes (resolved by inference:
 * explicit pads), held in *o. */
typedef struct ConvAttrsOut {
    int64_t kernel[LW_MAX_SPATIAL], strides[LW_MAX_SPATIAL], dil[LW_MAX_SPATIAL];
    int64_t pads[2 * LW_MAX_SPATIAL];
    Attr at[5];
} ConvAttrsOut;

static AttrList conv_attrs(const QConvAttrs *c, int sp, ConvAttrsOut *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < sp; i++) {
        o->kernel[i] = c->w.kernel[i];
        o->strides[i] = c->w.strides[i];
        o->dil[i] = c->w.dilations[i];
        o->pads[i] = c->w.pads[i];
        o->pads[sp + i] = c->w.pads[sp + i];
    }
    const char *names[4] = {"kernel_shape", "strides", "dilations", "pads"};
    const int64_t *vals[4] = {o->kernel, o->strides, o->dil, o->pads};
    for (int i = 0; i < 4; i++) {
        o->at[i].name = names[i];
        o->at[i].type = AT_INTS;
        o->at[i].ints = vals[i];
        o->at[i].n = (uint32_t)(i == 3 ? 2 * sp : sp);
    }
    o->at[4].name = "group";
    o->at[4].type = AT_INT;
    o->at[4].i = c->group;
    AttrList al = {o->at, 5};
    return al;
}

static ValueId slot_or_0(const Node *n, int s)
{
    return has_slot(n, s) ? n->in[s] : 0;
}

static LwStatus qlconv_expand(Ctx *ctx, NodeId id, int *done)
{
    Graph *g = ctx->g;
    const Node *n = graph_node(g, id);
    const QConvAttrs *c = n->attrs;
    const QSlots *sl = &qlconv_slots;
    *done = 0;
    /* constant weights, bias and parameters; one scale for x and for y */
    for (int s = 1; s < n->nin; s++)
        if (s != sl->x && !const_or_absent(g, n, s))
            return LW_OK;
    if (!scalar_slot(g, n, sl->xs) || !scalar_slot(g, n, sl->ys))
        return LW_OK;
    const Value *w = op_in(g, n, (uint16_t)sl->w);
    int sp = w->shape.rank - 2;
    int64_t M = w->shape.dims[0];
    const char *base = n->loc.name && *n->loc.name ? n->loc.name : "qlinearconv";
    ValueId xin[3] = {n->in[sl->x], n->in[sl->xs], slot_or_0(n, sl->xz)};
    ValueId win[3] = {n->in[sl->w], n->in[sl->ws], slot_or_0(n, sl->wz)};
    ValueId ys = n->in[sl->ys], yz = slot_or_0(n, sl->yz), bias = 0;
    if (has_slot(n, sl->bias)) { /* int32 B as float32: B * x_scale * w_scale[m] */
        const Value *bv = op_in(g, n, (uint16_t)sl->bias), *wsv = op_in(g, n, (uint16_t)sl->ws);
        const int32_t *bi = (const int32_t *)(const void *)bv->data->bytes;
        const float *wsf = (const float *)(const void *)wsv->data->bytes;
        float xsf = *(const float *)(const void *)op_in(g, n, (uint16_t)sl->xs)->data->bytes;
        uint64_t nws = shape_count(&wsv->shape);
        float *bf = arena_array(ctx->perm, float, (size_t)M);
        for (int64_t m = 0; m < M; m++)
            bf[m] = (float)bi[m] * (xsf * wsf[nws > 1 ? m : 0]);
        Shape bs;
        memset(&bs, 0, sizeof bs);
        bs.rank = 1;
        bs.dims[0] = M;
        StrBuf nm;
        sb_init(&nm, ctx->perm);
        sb_printf(&nm, "%s_bias", base);
        bias = graph_add_const(ctx->perm, g, sb_cstr(&nm), DT_FLOAT32, &bs,
                               (const unsigned char *)bf, (uint64_t)M * 4);
    }
    ConvAttrsOut ca;
    AttrList al = conv_attrs(c, sp, &ca);
    ValueId dx, dw;
    TRY(expand_dq(ctx, base, "x", xin, 1, &dx));
    TRY(expand_dq(ctx, base, "w", win, 0, &dw));
    ValueId cin[3] = {dx, dw, bias};
    NodeId cid;
    TRY(op_expand_node(ctx, base, "conv", "Conv", 13, cin, bias ? 3 : 2, &al, &cid));
    TRY(expand_q(ctx, id, base, graph_node(g, cid)->out[0], ys, yz));
    *done = 1;
    return LW_OK;
}

/* QLinearMatMul with one scale for a and for y; b's per-column scales (its last axis)
 * when it has them. */
static LwStatus qlmm_expand(Ctx *ctx, NodeId id, int *done)
{
    Graph *g = ctx->g;
    const Node *n = graph_node(g, id);
    const QSlots *sl = &qlmm_slots;
    *done = 0;
    if (!ctx->target->vbytes) /* scalar: the integer kernel (no dot product to gain) */
        return LW_OK;
    for (int s = 1; s < n->nin; s++)
        if (s != sl->x && s != sl->w && !const_or_absent(g, n, s))
            return LW_OK;
    if (!scalar_slot(g, n, sl->xs) || !scalar_slot(g, n, sl->xz) || !scalar_slot(g, n, sl->ys))
        return LW_OK;
    const Value *b = op_in(g, n, (uint16_t)sl->w);
    const Value *bs = op_in(g, n, (uint16_t)sl->ws);
    if (shape_count(&bs->shape) > 1 && (bs->shape.rank != 1 || b->shape.rank < 2 ||
                                        bs->shape.dims[0] != b->shape.dims[b->shape.rank - 1]))
        return LW_OK;
    int64_t baxis = b->shape.rank - 1; /* b's per-column scales; b may move below */
    const char *base = n->loc.name && *n->loc.name ? n->loc.name : "qlinearmatmul";
    ValueId ain[3] = {n->in[sl->x], n->in[sl->xs], slot_or_0(n, sl->xz)};
    ValueId bin[3] = {n->in[sl->w], n->in[sl->ws], slot_or_0(n, sl->wz)};
    ValueId ys = n->in[sl->ys], yz = slot_or_0(n, sl->yz);
    ValueId da, db;
    TRY(expand_dq(ctx, base, "a", ain, 0, &da));
    TRY(expand_dq(ctx, base, "b", bin, baxis, &db));
    ValueId min[2] = {da, db};
    AttrList none = {NULL, 0};
    NodeId mid;
    TRY(op_expand_node(ctx, base, "matmul", "MatMul", 13, min, 2, &none, &mid));
    TRY(expand_q(ctx, id, base, graph_node(g, mid)->out[0], ys, yz));
    *done = 1;
    return LW_OK;
}

/* ConvInteger and MatMulInteger as DequantizeLinear of x with scale 1 and x's zero
 * point, the float op with the weights minus their zero points (constants), and a Cast
 * to int32. Every partial sum is then an integer the float32 sums hold exactly, when
 * 255 times the largest sum of one output's |w - w_zero_point| is at most 2^24 (checked:
 * else the integer kernels run), so the result is the integer op's. */

/* n's constant weights w (int8/uint8) less their zero point wz (absent, a scalar, or one
 * per output: per `outer` index of [outer][inner] when per_row, else per inner index) as
 * float32 constant base_what in *out; 0 when a sum of |w - wz| over one output exceeds
 * 2^24 / 255. */
static int int_weights(Ctx *ctx, const Node *n, const QSlots *sl, uint64_t outer, uint64_t inner,
                       int per_row, const char *base, const char *what, ValueId *out)
{
    const Value *w = op_in(ctx->g, n, (uint16_t)sl->w);
    const Value *wz = has_slot(n, sl->wz) ? op_in(ctx->g, n, (uint16_t)sl->wz) : NULL;
    uint64_t cnt = outer * inner, nz = wz ? shape_count(&wz->shape) : 0;
    if (shape_count(&w->shape) != cnt || (nz > 1 && nz != (per_row ? outer : inner)))
        return 0;
    float *f = arena_array(ctx->perm, float, (size_t)(cnt ? cnt : 1));
    double *sum = arena_array(ctx->scratch, double, (size_t)(per_row ? outer : inner) + 1);
    for (uint64_t i = 0; i < cnt; i++) {
        uint64_t o = per_row ? i / inner : i % inner;
        int32_t wi = w->dtype == DT_INT8 ? (int32_t)(int8_t)w->data->bytes[i] : w->data->bytes[i];
        int32_t zi = 0;
        if (nz) {
            uint64_t k = nz > 1 ? o : 0;
            zi = wz->dtype == DT_INT8 ? (int32_t)(int8_t)wz->data->bytes[k] : wz->data->bytes[k];
        }
        f[i] = (float)(wi - zi);
        sum[o] += fabs((double)(wi - zi));
        if (sum[o] * 255.0 > 16777216.0)
            return 0;
    }
    StrBuf nm;
    sb_init(&nm, ctx->perm);
    sb_printf(&nm, "%s_%s", base, what);
    *out = graph_add_const(ctx->perm, ctx->g, sb_cstr(&nm), DT_FLOAT32, &w->shape,
                           (const unsigned char *)f, cnt * 4);
    return 1;
}

/* Whether slot s of n is absent or a constant int8/uint8 of at most `count` elements. */
static int int_param(const Graph *g, const Node *n, int s, uint64_t count)
{
    if (!has_slot(n, s))
        return 1;
    const Value *v = op_in(g, n, (uint16_t)s);
    uint64_t k = shape_count(&v->shape);
    return v->kind == VK_CONST && v->data && (v->dtype == DT_INT8 || v->dtype == DT_UINT8) &&
           (k == 1 || k == count) && v->data->size >= k;
}

/* x as float32 x - x_zero_point (DequantizeLinear with scale 1), the op's float result f
 * cast to int32 as the integer op's output. */
static LwStatus int_expand(Ctx *ctx, NodeId id, const QSlots *sl, const char *base,
                           const char *op_name, ValueId dw, const AttrList *al)
{
    Graph *g = ctx->g;
    Shape one;
    memset(&one, 0, sizeof one);
    float *onef = arena_array(ctx->perm, float, 1); /* the graph keeps the pointer */
    *onef = 1.0f;
    StrBuf nm;
    sb_init(&nm, ctx->perm);
    sb_printf(&nm, "%s_one", base);
    ValueId s1 = graph_add_const(ctx->perm, g, sb_cstr(&nm), DT_FLOAT32, &one,
                                 (const unsigned char *)onef, 4);
    const Node *n = graph_node(g, id);
    ValueId xin[3] = {n->in[sl->x], s1, slot_or_0(n, sl->xz)};
    ValueId dx;
    TRY(expand_dq(ctx, base, "x", xin, 1, &dx));
    ValueId in[2] = {dx, dw};
    NodeId fid, cid;
    TRY(op_expand_node(ctx, base, "float", op_name, 13, in, 2, al, &fid));
    Attr to;
    memset(&to, 0, sizeof to);
    to.name = "to";
    to.type = AT_INT;
    to.i = 6; /* int32 */
    AttrList cal = {&to, 1};
    ValueId f = graph_node(g, fid)->out[0];
    TRY(op_expand_node(ctx, base, "int32", "Cast", 13, &f, 1, &cal, &cid));
    ValueId y = graph_node(g, id)->out[0];
    graph_erase_node(g, id);
    graph_take_output(g, cid, y);
    return LW_OK;
}

/* The integer op n's inputs allow int_expand: x int8/uint8 with one zero point, constant
 * int8/uint8 weights of at least rank `rank` whose zero points (if any) are one or one per
 * index of axis `ax`. */
static int int_expandable(const Graph *g, const Node *n, const QSlots *sl, uint8_t rank, int ax)
{
    const Value *x = op_in(g, n, (uint16_t)sl->x), *w = op_in(g, n, (uint16_t)sl->w);
    return (x->dtype == DT_INT8 || x->dtype == DT_UINT8) && w->kind == VK_CONST && w->data &&
           (w->dtype == DT_INT8 || w->dtype == DT_UINT8) && w->shape.rank >= rank &&
           scalar_slot(g, n, sl->xz) && int_param(g, n, sl->wz, (uint64_t)w->shape.dims[ax]);
}

static LwStatus convi_expand(Ctx *ctx, NodeId id, int *done)
{
    Graph *g = ctx->g;
    const Node *n = graph_node(g, id);
    const QSlots *sl = &convi_slots;
    *done = 0;
    if (!ctx->target->vbytes) /* scalar: the integer kernel and its int8 weights */
        return LW_OK;
    if (!int_expandable(g, n, sl, 3, 0))
        return LW_OK;
    const Value *w = op_in(g, n, (uint16_t)sl->w);
    int sp = w->shape.rank - 2;
    uint64_t M = (uint64_t)w->shape.dims[0];
    const char *base = n->loc.name && *n->loc.name ? n->loc.name : "convinteger";
    ValueId dw;
    if (!int_weights(ctx, n, sl, M, shape_count(&w->shape) / M, 1, base, "w", &dw))
        return LW_OK;
    ConvAttrsOut ca;
    AttrList al = conv_attrs(graph_node(g, id)->attrs, sp, &ca);
    TRY(int_expand(ctx, id, sl, base, "Conv", dw, &al));
    *done = 1;
    return LW_OK;
}

static LwStatus mmi_expand(Ctx *ctx, NodeId id, int *done)
{
    Graph *g = ctx->g;
    const Node *n = graph_node(g, id);
    const QSlots *sl = &mmi_slots;
    *done = 0;
    if (!ctx->target->vbytes) /* scalar: the integer kernel and its int8 weights */
        return LW_OK;
    const Value *b = op_in(g, n, (uint16_t)sl->w);
    if (b->shape.rank != 2 || !int_expandable(g, n, sl, 2, 1))
        return LW_OK;
    const char *base = n->loc.name && *n->loc.name ? n->loc.name : "matmulinteger";
    ValueId db;
    if (!int_weights(ctx, n, sl, (uint64_t)b->shape.dims[0], (uint64_t)b->shape.dims[1], 0, base,
                     "b", &db))
        return LW_OK;
    AttrList none = {NULL, 0};
    TRY(int_expand(ctx, id, sl, base, "MatMul", db, &none));
    *done = 1;
    return LW_OK;
}

const OpDef ops_quant[] = {
    QLOP(10, 12, q10_import),
    QLOP(13, 18, q13_import),
    QLOP(19, 20, q19_import),
    QLOP(21, LW_OPSET_MAX, q21_import),
    DQOP(10, 12, dq10_import),
    DQOP(13, 18, dq13_import),
    DQOP(19, 20, dq13_import),
    DQOP(21, LW_OPSET_MAX, dq21_import),
    QOP("", "DynamicQuantizeLinear", 11, LW_OPSET_MAX, 1, 1, 3, 3, op_no_attrs, dql_infer,
        dql_lower),
    QOPX("MatMulInteger", 10, LW_OPSET_MAX, 2, 4, op_no_attrs, mmi_infer, mmi_lower, mmi_expand),
    QOPX("QLinearMatMul", 10, 20, 8, 8, qlmm_import, qlmm_infer, qlmm_lower, qlmm_expand),
    QOPX("QLinearMatMul", 21, LW_OPSET_MAX, 8, 8, qlmm_import, qlmm_infer, qlmm_lower,
         qlmm_expand),
    QOPX("ConvInteger", 10, LW_OPSET_MAX, 2, 4, qconv_import, convi_infer, convi_lower,
         convi_expand),
    QOPX("QLinearConv", 10, LW_OPSET_MAX, 8, 9, qconv_import, qlconv_infer, qlconv_lower,
         qlconv_expand),
    /* onnxruntime's contrib copies (written for 16-bit QDQ): opset-13 semantics */
    QOP("com.microsoft", "QuantizeLinear", 1, 1, 2, 3, 1, 1, q13_import, qdq_infer, qdq_lower),
    QOP("com.microsoft", "DequantizeLinear", 1, 1, 2, 3, 1, 1, dq13_import, qdq_infer, qdq_lower),
    QOP("com.microsoft", "QLinearAdd", 1, 1, 7, 8, 1, 1, op_no_attrs, qbin_infer, qadd_lower),
    QOP("com.microsoft", "QLinearMul", 1, 1, 7, 8, 1, 1, op_no_attrs, qbin_infer, qmul_lower),
    QOP("com.microsoft", "QLinearSigmoid", 1, 1, 4, 5, 1, 1, qsig_import, qunary_infer,
        qunary_lower),
    QOP("com.microsoft", "QLinearLeakyRelu", 1, 1, 4, 5, 1, 1, qleaky_import, qunary_infer,
        qunary_lower),
    QOP("com.microsoft", "QLinearGlobalAveragePool", 1, 1, 5, 5, 1, 1, qgap_import, qgap_infer,
        qgap_lower),
    QOP("com.microsoft", "QLinearAveragePool", 1, 1, 4, 5, 1, 1, qap_import, qap_infer, qap_lower),
    QOP("com.microsoft", "QLinearConcat", 1, 1, 5, 254, 1, 1, qconcat_import, qconcat_infer,
        qconcat_lower),
    QOP("com.microsoft", "QLinearSoftmax", 1, 1, 4, 5, 1, 1, qsoftmax_import, qsoftmax_infer,
        qsoftmax_lower),
};
const uint32_t ops_quant_count = LW_COUNT(ops_quant);
