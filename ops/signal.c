/* Signal and linear-algebra ops: DFT, STFT, the Hann/Hamming/Blackman windows,
 * MelWeightMatrix, Col2Im, Einsum and Det.
 *
 * DFT and STFT are direct O(n^2) sums per output bin against cos/sin tables
 * of length n computed at compile time (in double, rounded to the tensor's
 * type), indexed by k*t mod n. Windows and MelWeightMatrix depend only on
 * constant inputs: the whole output is a table computed at compile time and
 * copied out. Col2Im accumulates each column element into its image position
 * (guarded at the padded borders). Einsum is one loop nest over its index
 * letters. Det is Gaussian elimination with partial pivoting in kernel
 * scratch; the data-dependent row swap is a select over all rows with a
 * clamped load of the pivot row. */
#include <math.h>
#include <string.h>

#include "include/lwcc/ckd.h"
#include "ir/kir_build.h"
#include "ops/families.h"
#include "ops/spatial.h"

#define SIG_PI 3.14159265358979323846

/* ------------------------------------------------------------------------ */
/* Shared helpers                                                           */
/* ------------------------------------------------------------------------ */

static int is_f32_f64(DType dt)
{
    return dt == DT_FLOAT32 || dt == DT_FLOAT64;
}

static LwStatus need_float(Ctx *ctx, const Node *n, const Value *v, const char *what)
{
    if (!is_f32_f64(v->dtype))
        return diag_node(ctx, n, "%s of type %s is not supported (float32 or float64)", what,
                         dtype_name(v->dtype));
    return LW_OK;
}

/* A constant integer scalar (or one-element tensor) input. */
static LwStatus const_scalar_int(Ctx *ctx, const Graph *g, const Node *n, uint16_t i,
                                 const char *what, int64_t *out)
{
    int64_t *v;
    uint64_t c;
    TRY(op_const_ints(ctx, g, n, i, &v, &c));
    if (c != 1)
        return diag_node(ctx, n, "'%s' (input %u) must be a scalar, it has %llu elements", what, i,
                         (unsigned long long)c);
    *out = v[0];
    return LW_OK;
}

/* A weight holding `vals` (computed in double) in dt (float32 or float64). */
static uint32_t weight_from_doubles(KBuilder *kb, DType dt, const double *vals, uint64_t count)
{
    if (dt == DT_FLOAT64)
        return kb_weight(kb, DT_FLOAT64, vals, count);
    float *f = arena_array(kb->ctx->scratch, float, count ? count : 1);
    for (uint64_t i = 0; i < count; i++)
        f[i] = (float)vals[i];
    return kb_weight(kb, DT_FLOAT32, f, count);
}

/* The output dtype attribute of the table ops (windows, MelWeightMatrix). */
static LwStatus table_dtype(Ctx *ctx, const Node *n, int64_t code, DType *out)
{
    DType dt = dtype_from_onnx(code);
    if (dt == DT_UNDEFINED || dt == DT_BOOL)
        return diag_node(ctx, n, "output_datatype %lld is not supported", (long long)code);
    *out = dt;
    return LW_OK;
}

/* Copies a compile-time table into output 0, converting to its dtype. */
static void lower_table(KBuilder *kb, const Node *n, const double *vals, uint64_t count)
{
    DType odt = op_out(kb->g, n, 0)->dtype;
    kb_begin(kb, n, NULL);
    uint32_t wb = weight_from_doubles(kb, odt == DT_FLOAT64 ? DT_FLOAT64 : DT_FLOAT32, vals, count);
    uint32_t yb = kb_out(kb, 0);
    uint16_t v = kb_for(kb, (int64_t)count);
    KIndex ix = kidx_const(0);
    kidx_add(&ix, v, 1);
    kb_store(kb, yb, ix, kb_cast(kb, odt, kb_load(kb, wb, ix)));
    kb_endfor(kb);
    kb_end(kb);
}

/* ------------------------------------------------------------------------ */
/* DFT core, shared by DFT and STFT                                         */
/* ------------------------------------------------------------------------ */

/* The sum y[k] = sum_{t<T} x[t] * w[t] * e^(-+2 pi j k t / n) for one output
 * bin. The tables hold cos and +-sin (sign folded in) of 2 pi m / n for
 * m < n, read at m = k*t mod n, which a local steps by k per term: 2n
 * entries instead of K*T. */
typedef struct DftSum {
    DType dt, acc;               /* tensor type; accumulation type */
    uint32_t xb, yb, cb, sb, wb; /* wb: window buffer, UINT32_MAX = none */
    int complex_in;
    int64_t T, n;
    double scale; /* 1/n for the inverse, else 1 */
} DftSum;

/* Makes the twiddle tables for a transform of length n summing T terms. */
static void dft_tables(KBuilder *kb, DftSum *d, int64_t T, int64_t n, int inverse)
{
    double *c = arena_array(kb->ctx->scratch, double, (uint64_t)n);
    double *s = arena_array(kb->ctx->scratch, double, (uint64_t)n);
    for (int64_t m = 0; m < n; m++) {
        double ang = 2.0 * SIG_PI * (double)m / (double)n;
        c[m] = cos(ang);
        s[m] = inverse ? sin(ang) : -sin(ang);
    }
    d->cb = weight_from_doubles(kb, d->acc, c, (uint64_t)n);
    d->sb = weight_from_doubles(kb, d->acc, s, (uint64_t)n);
    d->T = T;
    d->n = n;
}

/* Emits the sum for output bin `kv` (k < n) inside the caller's loops: x
 * element t is at xi + t*tstride (+1 for the imaginary part), the output pair
 * at yi. */
static void dft_emit(KBuilder *kb, const DftSum *d, uint16_t kv, KIndex xi, int64_t tstride,
                     KIndex yi)
{
    DType dt = d->acc;
    uint16_t re = kb_local(kb, ktype(dt)), im = kb_local(kb, ktype(dt));
    uint16_t m = kb_local(kb, ktype(DT_INT32));
    kb_set(kb, re, kb_const_f(kb, dt, 0));
    kb_set(kb, im, kb_const_f(kb, dt, 0));
    kb_set(kb, m, kb_const_i(kb, DT_INT32, 0));
    uint16_t tv = kb_for(kb, d->T);
    KExpr *c = kb_loadx(kb, d->cb, kidx_const(0), kb_var(kb, m), 1, d->n);
    KExpr *s = kb_loadx(kb, d->sb, kidx_const(0), kb_var(kb, m), 1, d->n);
    KIndex xr = xi;
    kidx_add(&xr, tv, tstride);
    KExpr *a = kb_cast(kb, dt, kb_load(kb, d->xb, xr));
    KExpr *b = NULL;
    if (d->complex_in) {
        KIndex xim = xr;
        xim.base += 1;
        b = kb_cast(kb, dt, kb_load(kb, d->xb, xim));
    }
    if (d->wb != UINT32_MAX) {
        KIndex wi = kidx_const(0);
        kidx_add(&wi, tv, 1);
        KExpr *w = kb_cast(kb, dt, kb_load(kb, d->wb, wi));
        a = kb_op(kb, KOP_MUL, a, w);
        if (b)
            b = kb_op(kb, KOP_MUL, b, w);
    }
    /* (a + jb)(c + js) = (ac - bs) + j(as + bc) */
    KExpr *nr = kb_op(kb, KOP_ADD, kb_var(kb, re), kb_op(kb, KOP_MUL, a, c));
    KExpr *ni = kb_op(kb, KOP_ADD, kb_var(kb, im), kb_op(kb, KOP_MUL, a, s));
    if (b) {
        nr = kb_op(kb, KOP_SUB, nr, kb_op(kb, KOP_MUL, b, s));
        ni = kb_op(kb, KOP_ADD, ni, kb_op(kb, KOP_MUL, b, c));
    }
    kb_set(kb, re, nr);
    kb_set(kb, im, ni);
    KIndex ki = kidx_const(0);
    kidx_add(&ki, kv, 1);
    KExpr *next = kb_op(kb, KOP_ADD, kb_var(kb, m), kb_idx(kb, DT_INT32, ki));
    KExpr *wrap = kb_op(kb, KOP_GE, next, kb_const_i(kb, DT_INT32, d->n));
    kb_set(kb, m,
           kb_select(kb, wrap, kb_op(kb, KOP_SUB, next, kb_const_i(kb, DT_INT32, d->n)), next));
    kb_endfor(kb);
    KExpr *vr = kb_var(kb, re), *vi = kb_var(kb, im);
    if (d->scale != 1.0) {
        vr = kb_op(kb, KOP_MUL, vr, kb_const_f(kb, dt, d->scale));
        vi = kb_op(kb, KOP_MUL, vi, kb_const_f(kb, dt, d->scale));
    }
    kb_store(kb, d->yb, yi, kb_cast(kb, d->dt, vr));
    KIndex yim = yi;
    yim.base += 1;
    kb_store(kb, d->yb, yim, kb_cast(kb, d->dt, vi));
}

/* ------------------------------------------------------------------------ */
/* DFT (17: axis attribute; 20: axis input)                                 */
/* ------------------------------------------------------------------------ */

typedef struct DftAttrs {
    int64_t axis, inverse, onesided;
    int opset20;
    int64_t ax, n; /* resolved by infer: axis and transform length */
} DftAttrs;

static LwStatus dft_import_common(Ctx *ctx, Node *n, const AttrList *al, int opset20)
{
    DftAttrs *a = arena_new(ctx->perm, DftAttrs);
    a->opset20 = opset20;
    if (!opset20)
        TRY(attr_int(ctx, &n->loc, al, "axis", 1, &a->axis));
    else
        a->axis = -2;
    TRY(attr_int(ctx, &n->loc, al, "inverse", 0, &a->inverse));
    TRY(attr_int(ctx, &n->loc, al, "onesided", 0, &a->onesided));
    if (a->inverse != 0 && a->inverse != 1)
        return diag_node(ctx, n, "'inverse' is %lld, must be 0 or 1", (long long)a->inverse);
    if (a->onesided != 0 && a->onesided != 1)
        return diag_node(ctx, n, "'onesided' is %lld, must be 0 or 1", (long long)a->onesided);
    if (a->onesided && a->inverse)
        return diag_node(ctx, n, "onesided=1 with inverse=1 (inverse real FFT) is not supported");
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus dft17_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return dft_import_common(ctx, n, al, 0);
}

static LwStatus dft20_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return dft_import_common(ctx, n, al, 1);
}

static LwStatus dft_infer(Ctx *ctx, Graph *g, Node *n)
{
    DftAttrs *a = (DftAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    TRY(need_float(ctx, n, x, "input"));
    int64_t r = x->shape.rank;
    if (r < 2)
        return diag_node(ctx, n, "input rank %lld: expected at least 2 ([..., signal, 1 or 2])",
                         (long long)r);
    int64_t cdim = x->shape.dims[r - 1];
    if (cdim != 1 && cdim != 2)
        return diag_node(ctx, n, "last input dimension is %lld: expected 1 (real) or 2 (complex)",
                         (long long)cdim);
    int64_t axis = a->axis;
    if (a->opset20 && op_has_in(n, 2))
        TRY(const_scalar_int(ctx, g, n, 2, "axis", &axis));
    int64_t ax = axis < 0 ? axis + r : axis;
    if (ax < 0 || ax > r - 2)
        return diag_node(ctx, n,
                         "axis %lld is out of range for input rank %lld (the last "
                         "dimension holds the complex parts)",
                         (long long)axis, (long long)r);
    int64_t len = x->shape.dims[ax];
    if (op_has_in(n, 1)) {
        TRY(const_scalar_int(ctx, g, n, 1, "dft_length", &len));
        if (len < 1)
            return diag_node(ctx, n, "dft_length is %lld, must be positive", (long long)len);
    }
    if (len < 1 || len > INT32_MAX / 2)
        return diag_node(ctx, n, "transform length %lld is not supported", (long long)len);
    if (a->onesided && cdim == 2)
        return diag_node(ctx, n, "onesided=1 with complex input is not supported");
    a->ax = ax;
    a->n = len;
    Shape s = x->shape;
    s.dims[ax] = a->onesided ? len / 2 + 1 : len;
    s.dims[r - 1] = 2;
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static LwStatus dft_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const DftAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int r = x->shape.rank;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < a->ax; i++)
        outer *= x->shape.dims[i];
    for (int i = (int)a->ax + 1; i < r - 1; i++)
        inner *= x->shape.dims[i];
    int64_t L = x->shape.dims[a->ax], C = x->shape.dims[r - 1], K = y->shape.dims[a->ax];
    int64_t T = L < a->n ? L : a->n;
    kb_begin(kb, n, NULL);
    DftSum d;
    memset(&d, 0, sizeof d);
    d.dt = x->dtype;
    d.acc = x->dtype;
    d.xb = kb_in(kb, 0);
    d.yb = kb_out(kb, 0);
    d.wb = UINT32_MAX;
    d.complex_in = C == 2;
    d.scale = a->inverse ? 1.0 / (double)a->n : 1.0;
    dft_tables(kb, &d, T, a->n, (int)a->inverse);
    uint16_t ov = kb_for(kb, outer), kv = kb_for(kb, K), iv = kb_for(kb, inner);
    KIndex xi = kidx_const(0), yi = kidx_const(0);
    kidx_add(&xi, ov, L * inner * C);
    kidx_add(&xi, iv, C);
    kidx_add(&yi, ov, K * inner * 2);
    kidx_add(&yi, kv, inner * 2);
    kidx_add(&yi, iv, 2);
    dft_emit(kb, &d, kv, xi, inner * C, yi);
    kb_endfor_n(kb, 3);
    kb_end(kb);
    return LW_OK;
}

/* ------------------------------------------------------------------------ */
/* STFT (17)                                                                */
/* ------------------------------------------------------------------------ */

typedef struct StftAttrs {
    int64_t onesided;
    int64_t step, flen, frames; /* resolved by infer */
} StftAttrs;

static LwStatus stft_import(Ctx *ctx, Node *n, const AttrList *al)
{
    StftAttrs *a = arena_new(ctx->perm, StftAttrs);
    TRY(attr_int(ctx, &n->loc, al, "onesided", 1, &a->onesided));
    if (a->onesided != 0 && a->onesided != 1)
        return diag_node(ctx, n, "'onesided' is %lld, must be 0 or 1", (long long)a->onesided);
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus stft_infer(Ctx *ctx, Graph *g, Node *n)
{
    StftAttrs *a = (StftAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    TRY(need_float(ctx, n, x, "signal"));
    if (x->shape.rank != 3 || (x->shape.dims[2] != 1 && x->shape.dims[2] != 2))
        return diag_node(ctx, n, "signal must be [batch, length, 1 or 2], it has rank %u",
                         x->shape.rank);
    int64_t L = x->shape.dims[1];
    TRY(const_scalar_int(ctx, g, n, 1, "frame_step", &a->step));
    if (a->step < 1)
        return diag_node(ctx, n, "frame_step is %lld, must be positive", (long long)a->step);
    int64_t flen = -1;
    if (op_has_in(n, 2)) {
        const Value *w = op_in(g, n, 2);
        if (w->shape.rank != 1)
            return diag_node(ctx, n, "window must have rank 1, it has rank %u", w->shape.rank);
        if (w->dtype != x->dtype)
            return diag_node(ctx, n, "window is %s, signal is %s: types must match",
                             dtype_name(w->dtype), dtype_name(x->dtype));
        flen = w->shape.dims[0];
    }
    if (op_has_in(n, 3)) {
        int64_t fl = 0;
        TRY(const_scalar_int(ctx, g, n, 3, "frame_length", &fl));
        if (flen >= 0 && fl != flen)
            return diag_node(ctx, n, "frame_length %lld differs from the window length %lld",
                             (long long)fl, (long long)flen);
        flen = fl;
    }
    if (flen < 0)
        flen = L;
    if (flen < 1 || flen > L || flen > INT32_MAX / 2)
        return diag_node(ctx, n, "frame length %lld must be in [1, %lld] (the signal length)",
                         (long long)flen, (long long)L);
    if (a->onesided && x->shape.dims[2] == 2)
        return diag_node(ctx, n, "onesided=1 with a complex signal is not supported");
    a->flen = flen;
    a->frames = 1 + (L - flen) / a->step;
    int64_t d[4] = {x->shape.dims[0], a->frames, a->onesided ? flen / 2 + 1 : flen, 2};
    Shape s = shape_make(4, d);
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static LwStatus stft_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const StftAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int64_t B = x->shape.dims[0], L = x->shape.dims[1], C = x->shape.dims[2];
    int64_t F = a->frames, K = y->shape.dims[2];
    kb_begin(kb, n, NULL);
    DftSum d;
    memset(&d, 0, sizeof d);
    d.dt = x->dtype;
    d.acc = x->dtype;
    d.xb = kb_in(kb, 0);
    d.yb = kb_out(kb, 0);
    d.wb = op_has_in(n, 2) ? kb_in(kb, 2) : UINT32_MAX;
    d.complex_in = C == 2;
    d.scale = 1.0;
    dft_tables(kb, &d, a->flen, a->flen, 0);
    uint16_t bv = kb_for(kb, B), fv = kb_for(kb, F), kv = kb_for(kb, K);
    KIndex xi = kidx_const(0), yi = kidx_const(0);
    kidx_add(&xi, bv, L * C);
    kidx_add(&xi, fv, a->step * C);
    kidx_add(&yi, bv, F * K * 2);
    kidx_add(&yi, fv, K * 2);
    kidx_add(&yi, kv, 2);
    dft_emit(kb, &d, kv, xi, C, yi);
    kb_endfor_n(kb, 3);
    kb_end(kb);
    return LW_OK;
}

/* ------------------------------------------------------------------------ */
/* HannWindow, HammingWindow, BlackmanWindow (17)                           */
/* ------------------------------------------------------------------------ */

typedef enum { WIN_HANN, WIN_HAMMING, WIN_BLACKMAN } WinKind;

typedef struct WinAttrs {
    WinKind kind;
    int64_t periodic, out_dt;
    int64_t size; /* resolved by infer */
} WinAttrs;

static LwStatus win_import(Ctx *ctx, Node *n, const AttrList *al, WinKind kind)
{
    WinAttrs *a = arena_new(ctx->perm, WinAttrs);
    a->kind = kind;
    TRY(attr_int(ctx, &n->loc, al, "periodic", 1, &a->periodic));
    TRY(attr_int(ctx, &n->loc, al, "output_datatype", 1, &a->out_dt));
    if (a->periodic != 0 && a->periodic != 1)
        return diag_node(ctx, n, "'periodic' is %lld, must be 0 or 1", (long long)a->periodic);
    DType dt = DT_UNDEFINED;
    TRY(table_dtype(ctx, n, a->out_dt, &dt));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus hann_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return win_import(ctx, n, al, WIN_HANN);
}
static LwStatus hamming_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return win_import(ctx, n, al, WIN_HAMMING);
}
static LwStatus blackman_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return win_import(ctx, n, al, WIN_BLACKMAN);
}

static LwStatus win_infer(Ctx *ctx, Graph *g, Node *n)
{
    WinAttrs *a = (WinAttrs *)n->attrs;
    TRY(const_scalar_int(ctx, g, n, 0, "size", &a->size));
    if (a->size < 1)
        return diag_node(ctx, n, "window size is %lld, must be positive", (long long)a->size);
    if (!a->periodic && a->size < 2)
        return diag_node(ctx, n, "a symmetric window needs size >= 2 (size - 1 divides)");
    DType dt = DT_UNDEFINED;
    TRY(table_dtype(ctx, n, a->out_dt, &dt));
    Shape s = shape_make(1, &a->size);
    return op_set_output(ctx, g, n, 0, dt, &s);
}

static LwStatus win_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const WinAttrs *a = n->attrs;
    double *v = arena_array(ctx->scratch, double, (uint64_t)a->size);
    double N = (double)(a->periodic ? a->size : a->size - 1);
    for (int64_t i = 0; i < a->size; i++) {
        double x = 2.0 * SIG_PI * (double)i / N;
        switch (a->kind) {
        case WIN_HANN: {
            double sv = sin(SIG_PI * (double)i / N);
            v[i] = sv * sv;
            break;
        }
        case WIN_HAMMING:
            v[i] = 25.0 / 46.0 - (21.0 / 46.0) * cos(x);
            break;
        case WIN_BLACKMAN:
            v[i] = 0.42 - 0.5 * cos(x) + 0.08 * cos(2.0 * x);
            break;
        }
    }
    lower_table(kb, n, v, (uint64_t)a->size);
    return LW_OK;
}

/* ------------------------------------------------------------------------ */
/* MelWeightMatrix (17)                                                     */
/* ------------------------------------------------------------------------ */

typedef struct MelAttrs {
    int64_t out_dt;
    int64_t nmel, nspec;
    double *table; /* [nspec][nmel], made by infer */
} MelAttrs;

static LwStatus mel_import(Ctx *ctx, Node *n, const AttrList *al)
{
    MelAttrs *a = arena_new(ctx->perm, MelAttrs);
    TRY(attr_int(ctx, &n->loc, al, "output_datatype", 1, &a->out_dt));
    DType dt = DT_UNDEFINED;
    TRY(table_dtype(ctx, n, a->out_dt, &dt));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

/* Follows the ONNX reference: the mel edges and step in float32, the bin
 * frequencies in double, floor((dft_length + 1) * f / sample_rate). */
static LwStatus mel_infer(Ctx *ctx, Graph *g, Node *n)
{
    MelAttrs *a = (MelAttrs *)n->attrs;
    int64_t nmel = 0, dlen = 0, rate = 0;
    double lo, hi;
    TRY(const_scalar_int(ctx, g, n, 0, "num_mel_bins", &nmel));
    TRY(const_scalar_int(ctx, g, n, 1, "dft_length", &dlen));
    TRY(const_scalar_int(ctx, g, n, 2, "sample_rate", &rate));
    TRY(op_const_float(ctx, g, n, 3, &lo));
    TRY(op_const_float(ctx, g, n, 4, &hi));
    if (nmel < 1 || nmel > (1 << 20))
        return diag_node(ctx, n, "num_mel_bins is %lld, must be in [1, 2^20]", (long long)nmel);
    if (dlen < 1 || dlen > (1 << 24))
        return diag_node(ctx, n, "dft_length is %lld, must be in [1, 2^24]", (long long)dlen);
    if (rate < 1)
        return diag_node(ctx, n, "sample_rate is %lld, must be positive", (long long)rate);
    if (!(lo >= 0) || !(hi > lo) || !isfinite(hi))
        return diag_node(ctx, n, "edge frequencies [%g, %g] Hz: need 0 <= lower < upper", lo, hi);
    int64_t nspec = dlen / 2 + 1;
    uint64_t cells;
    if (!ckd_mul_u64(&cells, (uint64_t)nspec, (uint64_t)nmel) || cells > ((uint64_t)1 << 26))
        return diag_node(ctx, n, "the matrix [%lld, %lld] is too large", (long long)nspec,
                         (long long)nmel);
    float lo_mel = (float)(2595.0 * (double)(float)log10((double)(float)(1.0 + lo / 700.0)));
    float hi_mel = (float)(2595.0 * (double)(float)log10((double)(float)(1.0 + hi / 700.0)));
    float step = (hi_mel - lo_mel) / (float)(nmel + 2);
    int64_t *bins = arena_array(ctx->scratch, int64_t, (uint64_t)nmel + 2);
    for (int64_t k = 0; k < nmel + 2; k++) {
        double f = (double)k * (double)step + (double)lo_mel;
        f = 700.0 * (pow(10.0, f / 2595.0) - 1.0);
        bins[k] = (int64_t)floor((double)(dlen + 1) * f / (double)rate);
    }
    double *t = arena_array(ctx->perm, double, cells);
    memset(t, 0, sizeof(double) * cells);
    for (int64_t i = 0; i < nmel; i++) {
        int64_t l = bins[i], c = bins[i + 1], h = bins[i + 2];
        int64_t last = h > c ? h - 1 : c;
        if (l < 0 || c < l || h < c || last >= nspec)
            return diag_node(ctx, n,
                             "mel band %lld covers spectrogram bins [%lld, %lld], outside "
                             "[0, %lld): lower the upper edge frequency",
                             (long long)i, (long long)l, (long long)last, (long long)nspec);
        if (c == l) {
            t[c * nmel + i] = 1.0;
        } else {
            for (int64_t j = l; j <= c; j++)
                t[j * nmel + i] = (double)(j - l) / (double)(c - l);
        }
        for (int64_t j = c; j < h; j++)
            t[j * nmel + i] = (double)(h - j) / (double)(h - c);
    }
    a->nmel = nmel;
    a->nspec = nspec;
    a->table = t;
    DType dt = DT_UNDEFINED;
    TRY(table_dtype(ctx, n, a->out_dt, &dt));
    int64_t d[2] = {nspec, nmel};
    Shape s = shape_make(2, d);
    return op_set_output(ctx, g, n, 0, dt, &s);
}

static LwStatus mel_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const MelAttrs *a = n->attrs;
    lower_table(kb, n, a->table, (uint64_t)(a->nspec * a->nmel));
    return LW_OK;
}

/* ------------------------------------------------------------------------ */
/* Col2Im (18)                                                              */
/* ------------------------------------------------------------------------ */

#define C2I_MAX (LW_MAX_RANK - 2)

typedef struct Col2ImAttrs {
    const int64_t *dil, *pads, *strides;
    uint32_t ndil, npads, nstrides;
    /* resolved by infer */
    int nsp;
    int64_t img[C2I_MAX], blk[C2I_MAX], nb[C2I_MAX], d[C2I_MAX], s[C2I_MAX], pb[C2I_MAX];
} Col2ImAttrs;

static LwStatus c2i_import(Ctx *ctx, Node *n, const AttrList *al)
{
    Col2ImAttrs *a = arena_new(ctx->perm, Col2ImAttrs);
    TRY(attr_ints_ref(ctx, &n->loc, al, "dilations", &a->dil, &a->ndil));
    TRY(attr_ints_ref(ctx, &n->loc, al, "pads", &a->pads, &a->npads));
    TRY(attr_ints_ref(ctx, &n->loc, al, "strides", &a->strides, &a->nstrides));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus c2i_infer(Ctx *ctx, Graph *g, Node *n)
{
    Col2ImAttrs *a = (Col2ImAttrs *)n->attrs;
    const Value *x = op_in(g, n, 0);
    if (!dtype_is_float(x->dtype) && !dtype_is_int(x->dtype))
        return diag_node(ctx, n, "input of type %s is not supported", dtype_name(x->dtype));
    int64_t *img, *blk;
    uint64_t ni, nbk;
    TRY(op_const_ints(ctx, g, n, 1, &img, &ni));
    TRY(op_const_ints(ctx, g, n, 2, &blk, &nbk));
    if (ni != nbk || ni < 1 || ni > C2I_MAX)
        return diag_node(ctx, n,
                         "image_shape has %llu entries and block_shape %llu: expected "
                         "the same count, 1 to %d",
                         (unsigned long long)ni, (unsigned long long)nbk, C2I_MAX);
    int nsp = (int)ni;
    if ((a->ndil && a->ndil != ni) || (a->nstrides && a->nstrides != ni) ||
        (a->npads && a->npads != 2 * ni))
        return diag_node(ctx, n, "dilations/strides need %d entries and pads %d", nsp, 2 * nsp);
    if (x->shape.rank != 3)
        return diag_node(ctx, n, "input must be [N, C * prod(block_shape), L], it has rank %u",
                         x->shape.rank);
    int64_t bprod = 1, L = 1;
    for (int i = 0; i < nsp; i++) {
        int64_t d = a->ndil ? a->dil[i] : 1, s = a->nstrides ? a->strides[i] : 1;
        int64_t pb = a->npads ? a->pads[i] : 0, pe = a->npads ? a->pads[i + nsp] : 0;
        if (img[i] < 1 || blk[i] < 1 || d < 1 || s < 1 || pb < 0 || pe < 0)
            return diag_node(ctx, n,
                             "spatial axis %d: image %lld, block %lld, dilation %lld, "
                             "stride %lld, pads %lld/%lld are invalid",
                             i, (long long)img[i], (long long)blk[i], (long long)d, (long long)s,
                             (long long)pb, (long long)pe);
        int64_t span = d * (blk[i] - 1) + 1, padded = img[i] + pb + pe;
        if (span > padded)
            return diag_node(ctx, n,
                             "spatial axis %d: the dilated block (%lld) exceeds the padded "
                             "image (%lld)",
                             i, (long long)span, (long long)padded);
        a->img[i] = img[i];
        a->blk[i] = blk[i];
        a->nb[i] = (padded - span) / s + 1;
        a->d[i] = d;
        a->s[i] = s;
        a->pb[i] = pb;
        bprod *= blk[i];
        L *= a->nb[i];
    }
    a->nsp = nsp;
    if (x->shape.dims[1] % bprod != 0)
        return diag_node(ctx, n,
                         "input dimension 1 (%lld) is not a multiple of the block size "
                         "%lld",
                         (long long)x->shape.dims[1], (long long)bprod);
    if (x->shape.dims[2] != L)
        return diag_node(ctx, n, "input dimension 2 is %lld, the blocks give %lld",
                         (long long)x->shape.dims[2], (long long)L);
    Shape s;
    memset(&s, 0, sizeof s);
    s.rank = (uint8_t)(2 + nsp);
    s.dims[0] = x->shape.dims[0];
    s.dims[1] = x->shape.dims[1] / bprod;
    for (int i = 0; i < nsp; i++)
        s.dims[2 + i] = img[i];
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* The gathered form, for at most C2I_MAX_PHASES stride phases: one loop nest per phase
 * (stride_phase) stores every image element once, the sum of the column elements that
 * land on it (0 where none do), through the epilogue. */
#define C2I_MAX_PHASES 64

static void c2i_gather(KBuilder *kb, const Col2ImAttrs *a, const Value *x, const Value *y,
                       uint32_t xb, uint32_t yb)
{
    int nsp = a->nsp;
    int64_t C = y->shape.dims[1], L = x->shape.dims[2];
    int64_t bst[C2I_MAX], lst[C2I_MAX], ys[LW_MAX_RANK], bs = 1, ls = 1, nphase = 1;
    shape_strides(&y->shape, ys);
    for (int i = nsp - 1; i >= 0; i--) {
        bst[i] = bs; /* a block offset's stride within a channel's column rows */
        bs *= a->blk[i];
        lst[i] = ls; /* a block position's stride along L */
        ls *= a->nb[i];
        nphase *= a->s[i];
    }
    uint16_t acc = kb_local(kb, ktype(x->dtype));
    for (int64_t ph = 0; ph < nphase; ph++) {
        StridePhase P[C2I_MAX];
        int64_t r[C2I_MAX], rem = ph;
        int empty = 0, notaps = 0;
        for (int i = nsp - 1; i >= 0; i--) {
            r[i] = rem % a->s[i];
            rem /= a->s[i];
            P[i] = stride_phase(r[i], a->s[i], a->d[i], a->pb[i], a->blk[i], a->img[i]);
            empty |= P[i].nq == 0;
            notaps |= P[i].nk == 0;
        }
        if (empty)
            continue;
        uint16_t vn = kb_for(kb, y->shape.dims[0]), vc = kb_for(kb, C), vq[C2I_MAX];
        for (int i = 0; i < nsp; i++)
            vq[i] = kb_for(kb, P[i].nq);
        kb_set(kb, acc, kb_const_i(kb, x->dtype, 0));
        if (!notaps) {
            uint16_t vj[C2I_MAX];
            for (int i = 0; i < nsp; i++)
                vj[i] = kb_for(kb, P[i].nk);
            KIndex xi = kidx_const(0);
            kidx_add(&xi, vn, x->shape.dims[1] * L);
            kidx_add(&xi, vc, bs * L);
            KCond conds[C2I_MAX];
            uint8_t nc = 0;
            for (int i = 0; i < nsp; i++) {
                KIndex e = kidx_const(P[i].base); /* the block position */
                kidx_add(&e, vq[i], 1);
                kidx_add(&e, vj[i], P[i].jcoef);
                kidx_add_index(&xi, &e, lst[i]);
                xi.base += P[i].k0 * bst[i] * L;
                kidx_add(&xi, vj[i], P[i].kstep * bst[i] * L);
                int64_t lo = P[i].base + (P[i].nk - 1) * P[i].jcoef;
                int64_t hi = P[i].base + P[i].nq - 1;
                if (lo < 0 || hi >= a->nb[i]) {
                    conds[nc].e = e;
                    conds[nc++].bound = a->nb[i];
                }
            }
            if (nc)
                kb_if(kb, conds, nc);
            kb_set(kb, acc, kb_op(kb, KOP_ADD, kb_var(kb, acc), kb_load(kb, xb, xi)));
            if (nc)
                kb_endif(kb);
            kb_endfor_n(kb, nsp);
        }
        KIndex yi = kidx_const(0);
        kidx_add(&yi, vn, ys[0]);
        kidx_add(&yi, vc, ys[1]);
        for (int i = 0; i < nsp; i++) {
            yi.base += r[i] * ys[2 + i];
            kidx_add(&yi, vq[i], a->s[i] * ys[2 + i]);
        }
        kb_store_out(kb, yb, yi, kb_var(kb, acc));
        kb_endfor_n(kb, nsp + 2);
    }
}

/* The scattered form (any strides): zero the image, add every column element at its
 * position, then run the epilogue over the image in place. */
static void c2i_scatter(KBuilder *kb, const Col2ImAttrs *a, const Value *x, const Value *y,
                        uint32_t xb, uint32_t yb)
{
    int nsp = a->nsp;
    DType dt = x->dtype;
    int64_t N = y->shape.dims[0], C = y->shape.dims[1], L = x->shape.dims[2];
    int64_t bprod = x->shape.dims[1] / C;
    int64_t ys[LW_MAX_RANK];
    shape_strides(&y->shape, ys);
    uint64_t total = shape_count(&y->shape);
    uint16_t zv = kb_for(kb, (int64_t)total);
    KIndex zi = kidx_const(0);
    kidx_add(&zi, zv, 1);
    kb_store(kb, yb, zi, kb_const_i(kb, dt, 0));
    kb_endfor(kb);
    uint16_t nv = kb_for(kb, N), cv = kb_for(kb, C);
    uint16_t bo[C2I_MAX], bp[C2I_MAX];
    for (int i = 0; i < nsp; i++)
        bo[i] = kb_for(kb, a->blk[i]);
    for (int i = 0; i < nsp; i++)
        bp[i] = kb_for(kb, a->nb[i]);
    KIndex xi = kidx_const(0), yi = kidx_const(0);
    kidx_add(&xi, nv, x->shape.dims[1] * L);
    kidx_add(&xi, cv, bprod * L);
    kidx_add(&yi, nv, ys[0]);
    kidx_add(&yi, cv, ys[1]);
    int64_t bstride = L, lstride = 1;
    for (int i = nsp - 1; i >= 0; i--) {
        kidx_add(&xi, bo[i], bstride);
        bstride *= a->blk[i];
        kidx_add(&xi, bp[i], lstride);
        lstride *= a->nb[i];
    }
    KCond conds[C2I_MAX];
    uint8_t nc = 0;
    for (int i = 0; i < nsp; i++) {
        KIndex p = kidx_const(-a->pb[i]);
        kidx_add(&p, bp[i], a->s[i]);
        kidx_add(&p, bo[i], a->d[i]);
        kidx_add_index(&yi, &p, ys[2 + i]);
        int64_t hi = (a->nb[i] - 1) * a->s[i] + (a->blk[i] - 1) * a->d[i] - a->pb[i];
        if (a->pb[i] > 0 || hi >= a->img[i]) {
            conds[nc].e = p;
            conds[nc].bound = a->img[i];
            nc++;
        }
    }
    if (nc)
        kb_if(kb, conds, nc);
    kb_store(kb, yb, yi, kb_op(kb, KOP_ADD, kb_load(kb, yb, yi), kb_load(kb, xb, xi)));
    if (nc)
        kb_endif(kb);
    kb_endfor_n(kb, 2 + 2 * nsp);
    if (kb->nepi) {
        uint16_t ev = kb_for(kb, (int64_t)total);
        KIndex ei = kidx_const(0);
        kidx_add(&ei, ev, 1);
        kb_store_out(kb, yb, ei, kb_load(kb, yb, ei));
        kb_endfor(kb);
    }
}

static LwStatus c2i_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const Col2ImAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int64_t nphase = 1;
    for (int i = 0; i < a->nsp && nphase <= C2I_MAX_PHASES; i++)
        nphase = a->s[i] > C2I_MAX_PHASES ? C2I_MAX_PHASES + 1 : nphase * a->s[i];
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    if (nphase <= C2I_MAX_PHASES)
        c2i_gather(kb, a, x, y, xb, yb);
    else
        c2i_scatter(kb, a, x, y, xb, yb);
    kb_end(kb);
    return LW_OK;
}

/* ------------------------------------------------------------------------ */
/* Einsum (12)                                                              */
/* ------------------------------------------------------------------------ */

#define EIN_MAX_IN 16
#define EIN_LETTERS 52                         /* a-z, A-Z */
#define EIN_LABELS (EIN_LETTERS + LW_MAX_RANK) /* + ellipsis dims */
#define EIN_ELL 0xff                           /* marks '...' in a parsed term */

typedef struct EinTerm {
    uint8_t lab[LW_MAX_RANK + 1]; /* letter ids, EIN_ELL for the ellipsis */
    uint8_t n;
    int ell; /* has an ellipsis */
} EinTerm;

typedef struct EinsumAttrs {
    const char *eq;
    EinTerm in[EIN_MAX_IN];
    uint32_t nin;
    EinTerm out;
    int explicit_out;
    /* resolved by infer */
    int64_t size[EIN_LABELS];
    int used[EIN_LABELS];
    uint8_t olab[LW_MAX_RANK]; /* output labels in order */
    uint8_t nout;
    uint8_t ilab[EIN_MAX_IN][LW_MAX_RANK]; /* each input's dim labels, ellipsis expanded */
} EinsumAttrs;

static int ein_letter(char ch)
{
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a';
    if (ch >= 'A' && ch <= 'Z')
        return 26 + (ch - 'A');
    return -1;
}

/* Parses one term from s[*pos] up to a ',' or '-' or the end. */
static LwStatus ein_term(Ctx *ctx, const Node *n, const char *s, size_t *pos, EinTerm *t)
{
    memset(t, 0, sizeof *t);
    size_t i = *pos;
    while (s[i] && s[i] != ',' && s[i] != '-') {
        char ch = s[i];
        if (ch == ' ') {
            i++;
            continue;
        }
        if (ch == '.') {
            if (s[i + 1] != '.' || s[i + 2] != '.' || t->ell)
                return diag_node(ctx, n,
                                 "equation '%s': malformed or repeated '...' at "
                                 "offset %zu",
                                 s, i);
            if (t->n >= LW_MAX_RANK + 1)
                return diag_node(ctx, n, "equation '%s': term too long", s);
            t->ell = 1;
            t->lab[t->n++] = EIN_ELL;
            i += 3;
            continue;
        }
        int l = ein_letter(ch);
        if (l < 0)
            return diag_node(ctx, n, "equation '%s': unexpected character '%c' at offset %zu", s,
                             ch, i);
        if (t->n >= LW_MAX_RANK + 1)
            return diag_node(ctx, n, "equation '%s': a term has more than %d indices", s,
                             LW_MAX_RANK);
        t->lab[t->n++] = (uint8_t)l;
        i++;
    }
    *pos = i;
    return LW_OK;
}

static LwStatus einsum_import(Ctx *ctx, Node *n, const AttrList *al)
{
    EinsumAttrs *a = arena_new(ctx->perm, EinsumAttrs);
    if (!attr_find(al, "equation"))
        return diag_node(ctx, n, "the 'equation' attribute is required");
    TRY(attr_string(ctx, &n->loc, al, "equation", "", &a->eq));
    const char *s = a->eq;
    size_t pos = 0;
    for (;;) {
        if (a->nin >= EIN_MAX_IN)
            return diag_node(ctx, n, "equation '%s': more than %d operands is not supported", s,
                             EIN_MAX_IN);
        TRY(ein_term(ctx, n, s, &pos, &a->in[a->nin++]));
        if (s[pos] == ',') {
            pos++;
            continue;
        }
        break;
    }
    if (s[pos] == '-') {
        if (s[pos + 1] != '>')
            return diag_node(ctx, n, "equation '%s': expected '->' at offset %zu", s, pos);
        pos += 2;
        a->explicit_out = 1;
        TRY(ein_term(ctx, n, s, &pos, &a->out));
        if (s[pos])
            return diag_node(ctx, n, "equation '%s': unexpected '%c' in the output term", s,
                             s[pos]);
        for (uint8_t i = 0; i < a->out.n; i++)
            for (uint8_t j = 0; j < i; j++)
                if (a->out.lab[i] == a->out.lab[j])
                    return diag_node(ctx, n, "equation '%s': an output index is repeated", s);
    }
    if (n->nin != a->nin)
        return diag_node(ctx, n, "equation '%s' has %u operand terms, the node has %u inputs", s,
                         a->nin, n->nin);
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus einsum_infer(Ctx *ctx, Graph *g, Node *n)
{
    EinsumAttrs *a = (EinsumAttrs *)n->attrs;
    DType dt = op_in(g, n, 0)->dtype;
    if (!dtype_is_float(dt) && !dtype_is_int(dt))
        return diag_node(ctx, n, "input of type %s is not supported", dtype_name(dt));
    for (int i = 0; i < EIN_LABELS; i++) {
        a->size[i] = -1;
        a->used[i] = 0;
    }
    int ell_rank = 0;
    int any_ell = 0;
    for (uint32_t k = 0; k < a->nin; k++) {
        const Value *v = op_in(g, n, (uint16_t)k);
        if (v->dtype != dt)
            return diag_node(ctx, n, "input %u is %s, input 0 is %s: types must match", k,
                             dtype_name(v->dtype), dtype_name(dt));
        const EinTerm *t = &a->in[k];
        int named = t->n - t->ell;
        int er = v->shape.rank - named;
        if ((!t->ell && er != 0) || er < 0)
            return diag_node(ctx, n,
                             "input %u has rank %u, the equation '%s' gives it %d "
                             "indices",
                             k, v->shape.rank, a->eq, named);
        if (t->ell) {
            any_ell = 1;
            if (er > ell_rank)
                ell_rank = er;
        }
    }
    /* labels and sizes; ellipsis dims are right-aligned and broadcast */
    for (uint32_t k = 0; k < a->nin; k++) {
        const Value *v = op_in(g, n, (uint16_t)k);
        const EinTerm *t = &a->in[k];
        int er = v->shape.rank - (t->n - t->ell), d = 0;
        for (uint8_t j = 0; j < t->n; j++) {
            if (t->lab[j] == EIN_ELL) {
                for (int e = 0; e < er; e++, d++) {
                    int lab = EIN_LETTERS + (ell_rank - er) + e;
                    a->ilab[k][d] = (uint8_t)lab;
                    int64_t sz = v->shape.dims[d];
                    if (a->size[lab] < 0 || a->size[lab] == 1)
                        a->size[lab] = sz;
                    else if (sz != 1 && sz != a->size[lab])
                        return diag_node(ctx, n,
                                         "ellipsis dimensions of the inputs do not "
                                         "broadcast (%lld vs %lld)",
                                         (long long)sz, (long long)a->size[lab]);
                    a->used[lab]++;
                }
                continue;
            }
            int lab = t->lab[j];
            int64_t sz = v->shape.dims[d];
            a->ilab[k][d++] = (uint8_t)lab;
            if (a->size[lab] >= 0 && a->size[lab] != sz)
                return diag_node(ctx, n, "index '%c' has sizes %lld and %lld",
                                 lab < 26 ? 'a' + lab : 'A' + lab - 26, (long long)a->size[lab],
                                 (long long)sz);
            a->size[lab] = sz;
            a->used[lab]++;
        }
    }
    /* output labels */
    a->nout = 0;
    if (a->explicit_out) {
        for (uint8_t j = 0; j < a->out.n; j++) {
            if (a->out.lab[j] == EIN_ELL) {
                for (int e = 0; e < ell_rank; e++)
                    a->olab[a->nout++] = (uint8_t)(EIN_LETTERS + e);
                continue;
            }
            int lab = a->out.lab[j];
            if (a->size[lab] < 0)
                return diag_node(ctx, n, "equation '%s': output index '%c' is not in any input",
                                 a->eq, lab < 26 ? 'a' + lab : 'A' + lab - 26);
            if (a->nout >= LW_MAX_RANK)
                return diag_node(ctx, n, "output rank is not supported (max %d)", LW_MAX_RANK);
            a->olab[a->nout++] = (uint8_t)lab;
        }
        if (a->nout > LW_MAX_RANK)
            return diag_node(ctx, n, "output rank is not supported (max %d)", LW_MAX_RANK);
    } else {
        if (any_ell)
            for (int e = 0; e < ell_rank; e++)
                a->olab[a->nout++] = (uint8_t)(EIN_LETTERS + e);
        /* ASCII order: upper case before lower case */
        for (int c = 0; c < 52; c++) {
            int lab = c < 26 ? 26 + c : c - 26;
            if (a->used[lab] == 1) {
                if (a->nout >= LW_MAX_RANK)
                    return diag_node(ctx, n, "output rank is not supported (max %d)", LW_MAX_RANK);
                a->olab[a->nout++] = (uint8_t)lab;
            }
        }
    }
    Shape s;
    memset(&s, 0, sizeof s);
    s.rank = a->nout;
    for (uint8_t i = 0; i < a->nout; i++)
        s.dims[i] = a->size[a->olab[i]];
    return op_set_output(ctx, g, n, 0, dt, &s);
}

static LwStatus einsum_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const EinsumAttrs *a = n->attrs;
    const Value *y = op_out(kb->g, n, 0);
    DType dt = y->dtype;
    kb_begin(kb, n, NULL);
    uint32_t yb = kb_out(kb, 0);
    uint32_t xb[EIN_MAX_IN];
    for (uint32_t k = 0; k < a->nin; k++)
        xb[k] = kb_in(kb, (uint16_t)k);
    uint16_t var[EIN_LABELS];
    int isout[EIN_LABELS];
    memset(isout, 0, sizeof isout);
    int64_t ys[LW_MAX_RANK];
    shape_strides(&y->shape, ys);
    KIndex yi = kidx_const(0);
    for (uint8_t i = 0; i < a->nout; i++) {
        int lab = a->olab[i];
        var[lab] = kb_for(kb, a->size[lab]);
        isout[lab] = 1;
        kidx_add(&yi, var[lab], ys[i]);
    }
    uint16_t acc = kb_local(kb, ktype(dt));
    kb_set(kb, acc, kb_const_i(kb, dt, 0));
    int nred = 0;
    for (int lab = 0; lab < EIN_LABELS; lab++)
        if (a->used[lab] && !isout[lab]) {
            var[lab] = kb_for(kb, a->size[lab]);
            nred++;
        }
    KExpr *prod = NULL;
    for (uint32_t k = 0; k < a->nin; k++) {
        const Value *v = op_in(kb->g, n, (uint16_t)k);
        int64_t st[LW_MAX_RANK];
        shape_strides(&v->shape, st);
        KIndex xi = kidx_const(0);
        for (uint8_t d = 0; d < v->shape.rank; d++) {
            int lab = a->ilab[k][d];
            if (v->shape.dims[d] == 1 && a->size[lab] != 1)
                continue; /* broadcast ellipsis dim */
            kidx_add(&xi, var[lab], st[d]);
        }
        KExpr *e = kb_load(kb, xb[k], xi);
        prod = prod ? kb_op(kb, KOP_MUL, prod, e) : e;
    }
    kb_set(kb, acc, kb_op(kb, KOP_ADD, kb_var(kb, acc), prod));
    kb_endfor_n(kb, nred);
    kb_store_out(kb, yb, yi, kb_var(kb, acc));
    kb_endfor_n(kb, a->nout);
    kb_end(kb);
    return LW_OK;
}

/* ------------------------------------------------------------------------ */
/* Det (11)                                                                 */
/* ------------------------------------------------------------------------ */

static LwStatus det_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    TRY(need_float(ctx, n, x, "input"));
    int r = x->shape.rank;
    if (r < 2 || x->shape.dims[r - 1] != x->shape.dims[r - 2])
        return diag_node(ctx, n, "input must be [..., M, M] (square matrices)");
    if (x->shape.dims[r - 1] < 1)
        return diag_node(ctx, n, "empty (0x0) matrices are not supported");
    Shape s = x->shape;
    s.rank = (uint8_t)(r - 2);
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* Per matrix: copy into scratch A; for each column k pick the row p >= k with
 * the largest |A[p][k]|, swap rows k and p (a select over all rows, the pivot
 * row read through a clamped data-dependent load), flip the sign when p != k,
 * multiply the determinant by the pivot and eliminate below it. */
static LwStatus det_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const Value *x = op_in(kb->g, n, 0);
    DType dt = x->dtype;
    int r = x->shape.rank;
    int64_t M = x->shape.dims[r - 1], MM = M * M;
    int64_t B = (int64_t)(shape_count(&x->shape) / (uint64_t)MM);
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint32_t ab = kb_scratch(kb, dt, (uint64_t)MM), rowb = kb_scratch(kb, dt, (uint64_t)M);
    uint16_t det = kb_local(kb, ktype(dt)), best = kb_local(kb, ktype(dt));
    uint16_t piv = kb_local(kb, ktype(DT_INT32)), pv = kb_local(kb, ktype(dt));
    uint16_t fac = kb_local(kb, ktype(dt));
    uint16_t bv = kb_for(kb, B);
    /* A = X[b] */
    {
        uint16_t e = kb_for(kb, MM);
        KIndex ai = kidx_const(0), xi = kidx_const(0);
        kidx_add(&ai, e, 1);
        kidx_add(&xi, bv, MM);
        kidx_add(&xi, e, 1);
        kb_store(kb, ab, ai, kb_load(kb, xb, xi));
        kb_endfor(kb);
    }
    kb_set(kb, det, kb_const_i(kb, dt, 1));
    uint16_t kv = kb_for(kb, M);
    /* pivot search over rows i >= k */
    kb_set(kb, best, kb_const_i(kb, dt, -1));
    kb_set(kb, piv, kb_idx(kb, DT_INT32, (KIndex){.base = 0, .n = 1, .var = {kv}, .coef = {1}}));
    {
        uint16_t iv = kb_for(kb, M);
        KCond c;
        c.e = kidx_const(0);
        kidx_add(&c.e, iv, 1);
        kidx_add(&c.e, kv, -1);
        c.bound = M;
        kb_if(kb, &c, 1);
        KIndex ai = kidx_const(0);
        kidx_add(&ai, iv, M);
        kidx_add(&ai, kv, 1);
        KExpr *mag = kb_op(kb, KOP_ABS, kb_load(kb, ab, ai), NULL);
        KExpr *better = kb_op(kb, KOP_GT, mag, kb_var(kb, best));
        KIndex ii = kidx_const(0);
        kidx_add(&ii, iv, 1);
        kb_set(kb, piv, kb_select(kb, better, kb_idx(kb, DT_INT32, ii), kb_var(kb, piv)));
        kb_set(kb, best, kb_select(kb, better, mag, kb_var(kb, best)));
        kb_endif(kb);
        kb_endfor(kb);
    }
    KIndex kidx = kidx_const(0);
    kidx_add(&kidx, kv, 1);
    KExpr *swapped = kb_op(kb, KOP_NE, kb_var(kb, piv), kb_idx(kb, DT_INT32, kidx));
    kb_set(kb, det,
           kb_select(kb, swapped, kb_op(kb, KOP_NEG, kb_var(kb, det), NULL), kb_var(kb, det)));
    /* row = A[k] */
    {
        uint16_t j = kb_for(kb, M);
        KIndex ri = kidx_const(0), ai = kidx_const(0);
        kidx_add(&ri, j, 1);
        kidx_add(&ai, kv, M);
        kidx_add(&ai, j, 1);
        kb_store(kb, rowb, ri, kb_load(kb, ab, ai));
        kb_endfor(kb);
    }
    /* swap: A[k] = A[p] (before row p changes, as k <= p), A[p] = row */
    {
        uint16_t rv = kb_for(kb, M), j = kb_for(kb, M);
        KIndex ai = kidx_const(0), ri = kidx_const(0), pj = kidx_const(0), rr = kidx_const(0);
        kidx_add(&ai, rv, M);
        kidx_add(&ai, j, 1);
        kidx_add(&ri, j, 1);
        kidx_add(&pj, j, 1);
        kidx_add(&rr, rv, 1);
        KExpr *ridx = kb_idx(kb, DT_INT32, rr);
        KExpr *is_p = kb_op(kb, KOP_EQ, ridx, kb_var(kb, piv));
        KExpr *is_k = kb_op(kb, KOP_EQ, ridx, kb_idx(kb, DT_INT32, kidx));
        KExpr *prow = kb_loadx(kb, ab, pj, kb_var(kb, piv), M, M);
        KExpr *v = kb_select(kb, is_p, kb_load(kb, rowb, ri),
                             kb_select(kb, is_k, prow, kb_load(kb, ab, ai)));
        kb_store(kb, ab, ai, v);
        kb_endfor_n(kb, 2);
    }
    /* det *= pivot; eliminate rows i > k */
    KIndex kk = kidx_const(0);
    kidx_add(&kk, kv, M + 1);
    kb_set(kb, pv, kb_load(kb, ab, kk));
    kb_set(kb, det, kb_op(kb, KOP_MUL, kb_var(kb, det), kb_var(kb, pv)));
    {
        uint16_t iv = kb_for(kb, M);
        KCond c;
        c.e = kidx_const(-1);
        kidx_add(&c.e, iv, 1);
        kidx_add(&c.e, kv, -1);
        c.bound = M;
        kb_if(kb, &c, 1);
        KIndex ik = kidx_const(0);
        kidx_add(&ik, iv, M);
        kidx_add(&ik, kv, 1);
        KExpr *zero = kb_op(kb, KOP_EQ, kb_var(kb, pv), kb_const_i(kb, dt, 0));
        kb_set(kb, fac,
               kb_select(kb, zero, kb_const_i(kb, dt, 0),
                         kb_op(kb, KOP_DIV, kb_load(kb, ab, ik), kb_var(kb, pv))));
        uint16_t j = kb_for(kb, M);
        KIndex ij = kidx_const(0), kj = kidx_const(0);
        kidx_add(&ij, iv, M);
        kidx_add(&ij, j, 1);
        kidx_add(&kj, kv, M);
        kidx_add(&kj, j, 1);
        kb_store(kb, ab, ij,
                 kb_op(kb, KOP_SUB, kb_load(kb, ab, ij),
                       kb_op(kb, KOP_MUL, kb_var(kb, fac), kb_load(kb, ab, kj))));
        kb_endfor(kb);
        kb_endif(kb);
        kb_endfor(kb);
    }
    kb_endfor(kb); /* k */
    KIndex yi = kidx_const(0);
    kidx_add(&yi, bv, 1);
    kb_store(kb, yb, yi, kb_var(kb, det));
    kb_endfor(kb); /* b */
    kb_end(kb);
    return LW_OK;
}

/* ------------------------------------------------------------------------ */

#define ROW(name, since, until, mini, maxi, imp, inf, low)                                         \
    {                                                                                              \
        "", name, since, until, mini, maxi, 1, 1, FC_OPAQUE, 0, imp, inf, low, NULL, NULL, NULL,   \
            NULL                                                                                   \
    }

const OpDef ops_signal[] = {
    ROW("DFT", 17, 19, 1, 2, dft17_import, dft_infer, dft_lower),
    ROW("DFT", 20, LW_OPSET_MAX, 1, 3, dft20_import, dft_infer, dft_lower),
    ROW("STFT", 17, LW_OPSET_MAX, 2, 4, stft_import, stft_infer, stft_lower),
    ROW("HannWindow", 17, LW_OPSET_MAX, 1, 1, hann_import, win_infer, win_lower),
    ROW("HammingWindow", 17, LW_OPSET_MAX, 1, 1, hamming_import, win_infer, win_lower),
    ROW("BlackmanWindow", 17, LW_OPSET_MAX, 1, 1, blackman_import, win_infer, win_lower),
    ROW("MelWeightMatrix", 17, LW_OPSET_MAX, 5, 5, mel_import, mel_infer, mel_lower),
    {"", "Col2Im", 18, LW_OPSET_MAX, 3, 3, 1, 1, FC_OUT_FUSABLE, 0, c2i_import, c2i_infer,
     c2i_lower, NULL, NULL, NULL, NULL},
    ROW("Einsum", 12, LW_OPSET_MAX, 1, EIN_MAX_IN, einsum_import, einsum_infer, einsum_lower),
    ROW("Det", 11, LW_OPSET_MAX, 1, 1, op_no_attrs, det_infer, det_lower),
};
const uint32_t ops_signal_count = LW_COUNT(ops_signal);
