/* Resampling and block rearrangement: Resize, Upsample, GridSample,
 * DepthToSpace, SpaceToDepth. Resize is separable and its geometry static, so
 * lowering turns each axis into a table of source offsets and weights and sums
 * the taps; GridSample's positions are data, computed per output pixel. */
#include <math.h>
#include <string.h>

#include "include/lwcc/ckd.h"
#include "ir/kir_build.h"
#include "ops/families.h"

typedef enum { RM_NEAREST, RM_LINEAR, RM_CUBIC } ResizeMode;
typedef enum {
    CT_HALF_PIXEL,
    CT_HALF_PIXEL_SYMMETRIC,
    CT_PYTORCH_HALF_PIXEL,
    CT_ALIGN_CORNERS,
    CT_ASYMMETRIC,
    CT_TF_CROP_AND_RESIZE,
    CT_TF_HALF_PIXEL_FOR_NN
} CoordMode;
/* NM_SIMPLE: Resize-10 and Upsample, floor when upsampling, ceil when downsampling */
typedef enum {
    NM_ROUND_PREFER_FLOOR,
    NM_ROUND_PREFER_CEIL,
    NM_FLOOR,
    NM_CEIL,
    NM_SIMPLE
} NearestMode;
typedef enum { KA_STRETCH, KA_NOT_LARGER, KA_NOT_SMALLER } AspectPolicy;
/* Where scales and sizes come from. */
typedef enum {
    RF_SCALES_ATTR, /* Upsample-7: 'scales' attribute */
    RF_SCALES_IN1,  /* Upsample-9, Resize-10: X, scales */
    RF_FULL         /* Resize-11+: X, roi, scales, sizes */
} ResizeForm;

typedef struct ResizeAttrs {
    ResizeForm form;
    ResizeMode mode;
    CoordMode coord;
    NearestMode nearest;
    AspectPolicy policy;
    double cubic_a, extrapolation;
    int exclude_outside, antialias;
    const float *scales_attr;
    uint32_t nscales_attr;
    const int64_t *axes;
    uint32_t naxes;
} ResizeAttrs;

typedef struct Name2Int {
    const char *name;
    int value;
} Name2Int;

static const Name2Int resize_modes[] = {
    {"nearest", RM_NEAREST}, {"linear", RM_LINEAR}, {"cubic", RM_CUBIC}, {NULL, 0}};
static const Name2Int coord_modes[] = {{"half_pixel", CT_HALF_PIXEL},
                                       {"half_pixel_symmetric", CT_HALF_PIXEL_SYMMETRIC},
                                       {"pytorch_half_pixel", CT_PYTORCH_HALF_PIXEL},
                                       {"align_corners", CT_ALIGN_CORNERS},
                                       {"asymmetric", CT_ASYMMETRIC},
                                       {"tf_crop_and_resize", CT_TF_CROP_AND_RESIZE},
                                       {"tf_half_pixel_for_nn", CT_TF_HALF_PIXEL_FOR_NN},
                                       {NULL, 0}};
static const Name2Int nearest_modes[] = {{"round_prefer_floor", NM_ROUND_PREFER_FLOOR},
                                         {"round_prefer_ceil", NM_ROUND_PREFER_CEIL},
                                         {"floor", NM_FLOOR},
                                         {"ceil", NM_CEIL},
                                         {NULL, 0}};
static const Name2Int aspect_policies[] = {{"stretch", KA_STRETCH},
                                           {"not_larger", KA_NOT_LARGER},
                                           {"not_smaller", KA_NOT_SMALLER},
                                           {NULL, 0}};

/* Reads string attribute `name` and maps it through `tab`. */
static LwStatus attr_enum(Ctx *ctx, Node *n, const AttrList *al, const char *name, const char *def,
                          const Name2Int *tab, int *out)
{
    const char *s;
    TRY(attr_string(ctx, &n->loc, al, name, def, &s));
    for (const Name2Int *t = tab; t->name; t++) {
        if (strcmp(s, t->name) == 0) {
            *out = t->value;
            return LW_OK;
        }
    }
    StrBuf sb;
    sb_init(&sb, ctx->scratch);
    for (const Name2Int *t = tab; t->name; t++)
        sb_printf(&sb, "%s%s", t == tab ? "" : ", ", t->name);
    return diag_node(ctx, n, "'%s' = '%s' is not supported (%s)", name, s, sb_cstr(&sb));
}

static LwStatus upsample_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ResizeAttrs *a = arena_new(ctx->perm, ResizeAttrs);
    int mode;
    /* Upsample-7/9 name bilinear interpolation "linear" */
    TRY(attr_enum(ctx, n, al, "mode", "nearest", resize_modes, &mode));
    if (mode == RM_CUBIC)
        return diag_node(ctx, n, "Upsample mode 'cubic' is not supported (nearest or linear)");
    a->mode = (ResizeMode)mode;
    a->coord = CT_ASYMMETRIC;
    a->nearest = NM_SIMPLE;
    a->cubic_a = -0.75;
    if (n->loc.opset < 9) {
        a->form = RF_SCALES_ATTR;
        TRY(attr_floats_ref(ctx, &n->loc, al, "scales", &a->scales_attr, &a->nscales_attr));
        if (!a->nscales_attr)
            return diag_node(ctx, n, "'scales' is required");
    } else {
        a->form = RF_SCALES_IN1;
    }
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus resize_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ResizeAttrs *a = arena_new(ctx->perm, ResizeAttrs);
    int64_t opset = n->loc.opset;
    int v;
    TRY(attr_enum(ctx, n, al, "mode", "nearest", resize_modes, &v));
    a->mode = (ResizeMode)v;
    a->cubic_a = -0.75;
    if (opset < 11) {
        /* Resize-10: Upsample-9 under a new name */
        if (a->mode == RM_CUBIC)
            return diag_node(ctx, n, "Resize-10 mode 'cubic' is not defined (nearest or linear)");
        a->form = RF_SCALES_IN1;
        a->coord = CT_ASYMMETRIC;
        a->nearest = NM_SIMPLE;
        n->attrs = a;
        return attr_check_unused(ctx, &n->loc, al);
    }
    a->form = RF_FULL;
    TRY(attr_enum(ctx, n, al, "coordinate_transformation_mode", "half_pixel", coord_modes, &v));
    a->coord = (CoordMode)v;
    if (a->coord == CT_TF_HALF_PIXEL_FOR_NN && opset >= 13)
        return diag_node(ctx, n,
                         "coordinate_transformation_mode 'tf_half_pixel_for_nn' was "
                         "removed in Resize-13");
    if (a->coord == CT_HALF_PIXEL_SYMMETRIC && opset < 19)
        return diag_node(ctx, n,
                         "coordinate_transformation_mode 'half_pixel_symmetric' needs "
                         "Resize-19 (opset %lld)",
                         (long long)opset);
    TRY(attr_enum(ctx, n, al, "nearest_mode", "round_prefer_floor", nearest_modes, &v));
    a->nearest = (NearestMode)v;
    float f;
    TRY(attr_float(ctx, &n->loc, al, "cubic_coeff_a", -0.75f, &f));
    a->cubic_a = f;
    TRY(attr_float(ctx, &n->loc, al, "extrapolation_value", 0.0f, &f));
    a->extrapolation = f;
    int64_t i;
    TRY(attr_int(ctx, &n->loc, al, "exclude_outside", 0, &i));
    if (i != 0 && i != 1)
        return diag_node(ctx, n, "'exclude_outside' is %lld, must be 0 or 1", (long long)i);
    a->exclude_outside = (int)i;
    if (opset >= 18) {
        TRY(attr_int(ctx, &n->loc, al, "antialias", 0, &i));
        if (i != 0 && i != 1)
            return diag_node(ctx, n, "'antialias' is %lld, must be 0 or 1", (long long)i);
        a->antialias = (int)i;
        TRY(attr_ints_ref(ctx, &n->loc, al, "axes", &a->axes, &a->naxes));
        TRY(attr_enum(ctx, n, al, "keep_aspect_ratio_policy", "stretch", aspect_policies, &v));
        a->policy = (AspectPolicy)v;
        if (a->antialias && a->mode == RM_NEAREST)
            a->antialias = 0; /* Resize-18: antialias only affects linear and cubic */
    }
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

/* A constant float tensor input as doubles (float32 or float64). */
static LwStatus const_floats(Ctx *ctx, const Graph *g, const Node *n, uint16_t i, double **vals,
                             uint64_t *count)
{
    const Value *v = op_in(g, n, i);
    if (v->kind != VK_CONST) {
        if (v->kind == VK_INPUT)
            return diag_node(ctx, n,
                             "input %u ('%s') must be a constant to give static shapes; "
                             "pass --freeze-input %s=FILE.pb",
                             i, v->name, v->name);
        return diag_node(ctx, n,
                         "input %u ('%s') is computed at run time; lwcc needs it "
                         "constant (static shapes)",
                         i, v->name);
    }
    uint64_t c = shape_count(&v->shape);
    double *out = arena_array(ctx->scratch, double, c ? c : 1);
    for (uint64_t k = 0; k < c; k++) {
        if (v->dtype == DT_FLOAT32) {
            float t;
            memcpy(&t, v->data->bytes + k * 4, 4);
            out[k] = t;
        } else if (v->dtype == DT_FLOAT64) {
            memcpy(&out[k], v->data->bytes + k * 8, 8);
        } else {
            return diag_node(ctx, n,
                             "input %u is %s; a %s input is not supported (float32 or "
                             "float64)",
                             i, dtype_name(v->dtype), dtype_name(v->dtype));
        }
    }
    *vals = out;
    *count = c;
    return LW_OK;
}

/* Static geometry of one Resize/Upsample node. */
typedef struct ResizeGeo {
    Shape out;
    double scale[LW_MAX_RANK]; /* output / input along each axis */
    double width[LW_MAX_RANK]; /* scale * input length (the "output_width" of the spec) */
    double roi0[LW_MAX_RANK], roi1[LW_MAX_RANK];
} ResizeGeo;

static int input_nonempty(const Graph *g, const Node *n, uint16_t i)
{
    return op_has_in(n, i) && shape_count(&op_in(g, n, i)->shape) > 0;
}

static LwStatus resize_geometry(Ctx *ctx, const Graph *g, const Node *n, ResizeGeo *geo)
{
    const ResizeAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    int r = x->shape.rank;
    int64_t axes[LW_MAX_RANK];
    uint32_t na = (uint32_t)r;
    uint8_t seen[LW_MAX_RANK] = {0};
    if (a->naxes) {
        if (a->naxes > (uint32_t)r)
            return diag_node(ctx, n, "'axes' has %u entries, input rank is %d", a->naxes, r);
        na = a->naxes;
        for (uint32_t k = 0; k < na; k++) {
            if (!shape_axis(a->axes[k], r, &axes[k]) || seen[axes[k]])
                return diag_node(ctx, n, "axis %lld is out of range or repeated",
                                 (long long)a->axes[k]);
            seen[axes[k]] = 1;
        }
    } else {
        for (int k = 0; k < r; k++)
            axes[k] = k;
    }
    geo->out = x->shape;
    for (int d = 0; d < r; d++) {
        geo->scale[d] = 1.0;
        geo->roi0[d] = 0.0;
        geo->roi1[d] = 1.0;
    }
    double *scales = NULL;
    int64_t *sizes = NULL;
    uint64_t cnt = 0;
    if (a->form == RF_SCALES_ATTR) {
        scales = arena_array(ctx->scratch, double, a->nscales_attr);
        for (uint32_t k = 0; k < a->nscales_attr; k++)
            scales[k] = a->scales_attr[k];
        cnt = a->nscales_attr;
    } else if (a->form == RF_SCALES_IN1) {
        TRY(const_floats(ctx, g, n, 1, &scales, &cnt));
    } else {
        int has_scales = input_nonempty(g, n, 2), has_sizes = input_nonempty(g, n, 3);
        if (has_scales == has_sizes)
            return diag_node(ctx, n, "exactly one of 'scales' and 'sizes' must be given");
        if (has_scales) {
            TRY(const_floats(ctx, g, n, 2, &scales, &cnt));
        } else {
            TRY(op_const_ints(ctx, g, n, 3, &sizes, &cnt));
        }
        if (a->coord == CT_TF_CROP_AND_RESIZE && input_nonempty(g, n, 1)) {
            double *roi;
            uint64_t nr;
            TRY(const_floats(ctx, g, n, 1, &roi, &nr));
            if (nr != 2 * (uint64_t)na)
                return diag_node(ctx, n, "'roi' has %llu entries, expected %u",
                                 (unsigned long long)nr, 2 * na);
            for (uint32_t k = 0; k < na; k++) {
                geo->roi0[axes[k]] = roi[k];
                geo->roi1[axes[k]] = roi[na + k];
            }
        }
    }
    if (cnt != na)
        return diag_node(ctx, n, "'%s' has %llu entries, expected %u", scales ? "scales" : "sizes",
                         (unsigned long long)cnt, na);
    if (scales) {
        for (uint32_t k = 0; k < na; k++) {
            int64_t d = axes[k];
            if (!(scales[k] > 0.0) || !(scales[k] < 1e9))
                return diag_node(ctx, n, "scale %g along axis %lld must be positive and finite",
                                 scales[k], (long long)d);
            double o = floor(scales[k] * (double)x->shape.dims[d]);
            if (o > 1e15)
                return diag_node(ctx, n, "output dim %lld is too large", (long long)d);
            geo->scale[d] = scales[k];
            geo->out.dims[d] = (int64_t)o;
            geo->width[d] = scales[k] * (double)x->shape.dims[d];
        }
    } else {
        double pick = 0.0;
        for (uint32_t k = 0; k < na; k++) {
            int64_t d = axes[k];
            if (sizes[k] < 0)
                return diag_node(ctx, n, "size %lld along axis %lld is negative",
                                 (long long)sizes[k], (long long)d);
            if (x->shape.dims[d] == 0)
                return diag_node(ctx, n, "axis %lld has length 0 and cannot be resized",
                                 (long long)d);
            double s = (double)sizes[k] / (double)x->shape.dims[d];
            geo->scale[d] = s;
            geo->out.dims[d] = sizes[k];
            if (k == 0 || (a->policy == KA_NOT_LARGER && s < pick) ||
                (a->policy == KA_NOT_SMALLER && s > pick))
                pick = s;
        }
        for (uint32_t k = 0; k < na; k++) {
            int64_t d = axes[k];
            if (a->policy != KA_STRETCH) {
                /* Resize-18: one scale for all axes, sizes rounded half up */
                geo->scale[d] = pick;
                geo->out.dims[d] = (int64_t)(pick * (double)x->shape.dims[d] + 0.5);
            }
            geo->width[d] = a->policy == KA_STRETCH ? (double)geo->out.dims[d]
                                                    : geo->scale[d] * (double)x->shape.dims[d];
        }
    }
    for (int d = 0; d < r; d++) {
        if (!seen[d] && a->naxes) {
            geo->width[d] = (double)x->shape.dims[d];
        }
        if (geo->out.dims[d] > 0 && x->shape.dims[d] == 0)
            return diag_node(ctx, n, "axis %d has length 0 and cannot be resized", d);
        if (geo->out.dims[d] > 0 && geo->scale[d] <= 0.0)
            return diag_node(ctx, n, "axis %d has scale 0", d);
    }
    return LW_OK;
}

/* Integers that float32 holds exactly: interpolated in float32, then rounded
 * half to even and saturated (as the Resize reference does). */
static int small_int(DType dt)
{
    return dt == DT_INT8 || dt == DT_UINT8 || dt == DT_INT16 || dt == DT_UINT16;
}

static LwStatus resize_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0);
    const ResizeAttrs *a = n->attrs;
    DType dt = x->dtype;
    if (a->mode != RM_NEAREST && dt != DT_FLOAT32 && dt != DT_FLOAT64 && !small_int(dt))
        return diag_node(ctx, n,
                         "%s interpolation of %s is not supported (float32, float64, "
                         "8- and 16-bit integers)",
                         a->mode == RM_LINEAR ? "linear" : "cubic", dtype_name(dt));
    if (x->shape.rank == 0)
        return diag_node(ctx, n, "the input is a scalar; Resize needs rank >= 1");
    ResizeGeo geo;
    TRY(resize_geometry(ctx, g, n, &geo));
    return op_set_output(ctx, g, n, 0, x->dtype, &geo.out);
}

/* The source coordinate of output position o along one axis (ONNX Resize
 * coordinate_transformation_mode); *outside is set for tf_crop_and_resize
 * positions outside the input, which take extrapolation_value. */
static double source_coord(const ResizeAttrs *a, const ResizeGeo *geo, int d, int64_t in, int64_t o,
                           int *outside)
{
    double x = (double)o, s = geo->scale[d], w = geo->width[d], len = (double)in;
    int64_t out = geo->out.dims[d];
    *outside = 0;
    switch (a->coord) {
    case CT_HALF_PIXEL:
        return (x + 0.5) / s - 0.5;
    case CT_HALF_PIXEL_SYMMETRIC: {
        double adjust = (double)out / w, offset = len / 2 * (1 - adjust);
        return offset + (x + 0.5) / s - 0.5;
    }
    case CT_PYTORCH_HALF_PIXEL:
        return out > 1 ? (x + 0.5) / s - 0.5 : 0.0;
    case CT_ALIGN_CORNERS:
        return w == 1.0 || out == 1 ? 0.0 : x * (len - 1) / (w - 1);
    case CT_ASYMMETRIC:
        return x / s;
    case CT_TF_HALF_PIXEL_FOR_NN:
        return (x + 0.5) / s;
    case CT_TF_CROP_AND_RESIZE: {
        double r0 = geo->roi0[d], r1 = geo->roi1[d], c;
        if (w == 1.0 || out == 1)
            c = (r1 - r0) * (len - 1) / 2;
        else
            c = x * (r1 - r0) * (len - 1) / (w - 1);
        c += r0 * (len - 1);
        *outside = c < 0 || c > len - 1;
        return c;
    }
    }
    return x;
}

/* Cubic convolution kernel (Keys), coefficient a. */
static double cubic_weight(double t, double a)
{
    t = fabs(t);
    if (t <= 1)
        return ((a + 2) * t - (a + 3)) * t * t + 1;
    if (t < 2)
        return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
    return 0.0;
}

#define RESIZE_MAX_TAPS 512

/* The first tap relative to floor(coordinate), from the kernel's support:
 * Resize-18 antialias widens it by 1/scale when downscaling. */
static int64_t tap_start(const ResizeAttrs *a, double scale)
{
    if (a->mode == RM_NEAREST)
        return 0;
    double s = a->antialias && scale < 1.0 ? scale : 1.0;
    double j0 = floor((a->mode == RM_LINEAR ? -1.0 : -2.0) / s) + 1;
    if (j0 < -RESIZE_MAX_TAPS)
        return -RESIZE_MAX_TAPS;
    return (int64_t)j0;
}

/* Most taps a position can have before merging. */
static int tap_bound(const ResizeAttrs *a, double scale)
{
    return a->mode == RM_NEAREST ? 1 : (int)(2 - 2 * tap_start(a, scale));
}

/* Taps of one output position along one axis: source indices (clamped to the
 * input, as the spec's edge padding) and weights, duplicates merged. Returns
 * the number of taps written (at most `cap`, else -1). */
static int axis_taps(const ResizeAttrs *a, double c, double scale, int64_t in, int64_t *idx,
                     double *w, int cap)
{
    double fl = floor(c);
    int nt = 0;
    int64_t ti[RESIZE_MAX_TAPS];
    double tw[RESIZE_MAX_TAPS];
    if (a->mode == RM_NEAREST) {
        int64_t i = (int64_t)fl;
        double frac = c - fl;
        switch (a->nearest) {
        case NM_ROUND_PREFER_FLOOR:
            i = (int64_t)(frac <= 0.5 ? fl : fl + 1);
            break;
        case NM_ROUND_PREFER_CEIL:
            i = (int64_t)(frac < 0.5 ? fl : fl + 1);
            break;
        case NM_FLOOR:
            i = (int64_t)fl;
            break;
        case NM_CEIL:
            i = (int64_t)ceil(c);
            break;
        case NM_SIMPLE:
            i = (int64_t)(scale < 1.0 ? ceil(c) : fl);
            break;
        }
        ti[0] = i;
        tw[0] = 1.0;
        nt = 1;
    } else {
        /* the taps left of c include c itself when it is an integer: ratio in (0, 1] */
        double base = c == fl ? fl - 1 : fl, ratio = c - base;
        double s = a->antialias && scale < 1.0 ? scale : 1.0;
        int64_t j0 = tap_start(a, scale), j1 = 2 - j0; /* [j0, j1) around base */
        if (j1 - j0 > cap)
            return -1;
        double sum = 0.0;
        for (int64_t j = j0; j < j1; j++) {
            double t = ((double)j - ratio) * s, wt;
            if (a->mode == RM_LINEAR)
                wt = a->antialias ? fmax(0.0, 1 - fabs(t)) : (j == 0 ? 1 - ratio : ratio);
            else
                wt = cubic_weight(t, a->cubic_a);
            int64_t src = (int64_t)base + j;
            if (a->exclude_outside && (src < 0 || src >= in))
                wt = 0.0;
            ti[nt] = src;
            tw[nt] = wt;
            sum += wt;
            nt++;
        }
        if (a->antialias || a->exclude_outside)
            for (int k = 0; k < nt; k++)
                tw[k] = sum != 0.0 ? tw[k] / sum : 0.0;
    }
    int m = 0;
    for (int k = 0; k < nt; k++) {
        int64_t i = ti[k] < 0 ? 0 : ti[k] >= in ? in - 1 : ti[k];
        if (tw[k] == 0.0)
            continue;
        int found = 0;
        for (int q = 0; q < m; q++) {
            if (idx[q] == i) {
                w[q] += tw[k];
                found = 1;
            }
        }
        if (found)
            continue;
        if (m >= cap)
            return -1;
        idx[m] = i;
        w[m] = tw[k];
        m++;
    }
    if (m == 0) { /* all weights zero: one tap of weight 0 keeps the tables regular */
        idx[0] = 0;
        w[0] = 0.0;
        m = 1;
    }
    return m;
}

/* Per-axis tables for lowering. */
typedef struct AxisTab {
    int identity;   /* output position o reads input o with weight 1 */
    int64_t taps;   /* taps per output position */
    int32_t *off;   /* [out * taps]: source index * input stride */
    double *w;      /* [out * taps], NULL when every weight is 1 */
    int32_t *valid; /* [out], NULL when every position is inside */
} AxisTab;

static LwStatus axis_table(Ctx *ctx, const Node *n, const ResizeAttrs *a, const ResizeGeo *geo,
                           int d, int64_t in, int64_t stride, AxisTab *t)
{
    int64_t out = geo->out.dims[d];
    int bound = tap_bound(a, geo->scale[d]);
    if (bound > RESIZE_MAX_TAPS)
        return diag_node(ctx, n,
                         "axis %d: scale %g needs %d taps per output, more than the %d "
                         "supported",
                         d, geo->scale[d], bound, RESIZE_MAX_TAPS);
    if (out > (int64_t)ctx->lim.fold_elems)
        return diag_node(ctx, n, "output dim %d is too large", d);
    uint64_t cap = (uint64_t)(out ? out : 1) * (uint64_t)bound;
    int64_t *idx = arena_array(ctx->scratch, int64_t, cap);
    double *w = arena_array(ctx->scratch, double, cap);
    int32_t *valid = arena_array(ctx->scratch, int32_t, (uint64_t)(out ? out : 1));
    int *cnt = arena_array(ctx->scratch, int, (uint64_t)(out ? out : 1));
    int64_t taps = 1;
    int any_outside = 0, ident = out == in, unit = 1;
    for (int64_t o = 0; o < out; o++) {
        int outside;
        double c = source_coord(a, geo, d, in, o, &outside);
        if (!isfinite(c) || fabs(c) > 1e15)
            return diag_node(ctx, n, "axis %d: source coordinate %g is not usable", d, c);
        int m = axis_taps(a, c, geo->scale[d], in, idx + o * bound, w + o * bound, bound);
        LW_ASSERT(m > 0);
        cnt[o] = m;
        valid[o] = !outside;
        any_outside |= outside;
        if (m > taps)
            taps = m;
        for (int k = 0; k < m; k++)
            if (w[o * bound + k] != 1.0)
                unit = 0;
        if (m != 1 || idx[o * bound] != o || w[o * bound] != 1.0 || outside)
            ident = 0;
    }
    memset(t, 0, sizeof *t);
    t->identity = ident;
    t->taps = taps;
    if (ident)
        return LW_OK;
    uint64_t nt = (uint64_t)(out ? out : 1) * (uint64_t)taps;
    t->off = arena_array(ctx->scratch, int32_t, nt);
    t->w = unit && taps == 1 ? NULL : arena_array(ctx->scratch, double, nt);
    for (int64_t o = 0; o < out; o++) {
        for (int64_t k = 0; k < taps; k++) {
            int have = k < cnt[o];
            int64_t i = have ? idx[o * bound + k] : idx[o * bound];
            t->off[o * taps + k] = (int32_t)(i * stride);
            if (t->w)
                t->w[o * taps + k] = have ? w[o * bound + k] : 0.0;
        }
    }
    if (any_outside) {
        t->valid = arena_array(ctx->scratch, int32_t, (uint64_t)(out ? out : 1));
        memcpy(t->valid, valid, sizeof(int32_t) * (size_t)out);
    }
    return LW_OK;
}

static uint32_t float_table(KBuilder *kb, DType dt, const double *v, uint64_t nelem)
{
    if (dt == DT_FLOAT64)
        return kb_weight(kb, dt, v, nelem);
    float *f = arena_array(kb->ctx->scratch, float, nelem);
    for (uint64_t i = 0; i < nelem; i++)
        f[i] = (float)v[i];
    return kb_weight(kb, DT_FLOAT32, f, nelem);
}

/* One kernel: for each output element, sum over the taps of every resized axis
 * w0[o0][t0] * w1[o1][t1] * ... * x[off0[o0][t0] + off1[o1][t1] + ...]. */
static LwStatus resize_emit(Ctx *ctx, KBuilder *kb, const Node *n);

static LwStatus resize_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    ArenaMark mark = arena_mark(ctx->scratch);
    LwStatus st = resize_emit(ctx, kb, n);
    arena_reset(ctx->scratch, mark);
    return st;
}

static LwStatus resize_emit(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const ResizeAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int r = x->shape.rank;
    DType dt = x->dtype;
    ResizeGeo geo;
    TRY(resize_geometry(ctx, kb->g, n, &geo));
    int64_t xs[LW_MAX_RANK], ys[LW_MAX_RANK];
    shape_strides(&x->shape, xs);
    shape_strides(&y->shape, ys);
    AxisTab tab[LW_MAX_RANK];
    int first = r, weighted = 0, extrap = 0;
    DType adt = dt == DT_FLOAT64 ? DT_FLOAT64 : DT_FLOAT32; /* accumulator type */
    for (int d = 0; d < r; d++) {
        TRY(axis_table(ctx, n, a, &geo, d, x->shape.dims[d], xs[d], &tab[d]));
        if (!tab[d].identity && first == r)
            first = d;
        weighted |= tab[d].w != NULL;
        extrap |= tab[d].valid != NULL;
    }
    uint64_t total = shape_count(&y->shape);
    if (first == r || total == 0) {
        kb_begin(kb, n, NULL);
        if (total)
            kb_copy(kb, kb_out(kb, 0), kb_in(kb, 0), total);
        kb_end(kb);
        return LW_OK;
    }
    int64_t extent = first == 0 ? (int64_t)shape_count(&x->shape) : xs[first - 1];
    if (extent > INT32_MAX)
        return diag_node(ctx, n, "the input is too large for 32-bit offsets");
    uint32_t offb[LW_MAX_RANK] = {0}, wb[LW_MAX_RANK] = {0}, vb[LW_MAX_RANK] = {0};
    for (int d = first; d < r; d++) {
        if (tab[d].identity)
            continue;
        uint64_t nt = (uint64_t)y->shape.dims[d] * (uint64_t)tab[d].taps;
        offb[d] = kb_weight(kb, DT_INT32, tab[d].off, nt);
        if (tab[d].w)
            wb[d] = float_table(kb, adt, tab[d].w, nt);
        if (tab[d].valid)
            vb[d] = kb_weight(kb, DT_INT32, tab[d].valid, (uint64_t)y->shape.dims[d]);
    }
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t v[LW_MAX_RANK], tv[LW_MAX_RANK];
    kb_for_shape(kb, &y->shape, v);
    uint16_t acc = 0;
    if (weighted) {
        acc = kb_local(kb, ktype(adt));
        kb_set(kb, acc, kb_const_f(kb, adt, 0.0));
    }
    int ntaploops = 0;
    for (int d = first; d < r; d++) {
        if (!tab[d].identity && tab[d].taps > 1) {
            tv[d] = kb_for(kb, tab[d].taps);
            ntaploops++;
        }
    }
    KIndex base = kidx_const(0);
    for (int d = 0; d < first; d++)
        kidx_add(&base, v[d], xs[d]);
    KExpr *off = NULL, *w = NULL;
    for (int d = first; d < r; d++) {
        KExpr *term;
        if (tab[d].identity) {
            KIndex e = kidx_const(0);
            kidx_add(&e, v[d], xs[d]);
            term = kb_idx(kb, DT_INT32, e);
        } else {
            KIndex e = kidx_const(0);
            kidx_add(&e, v[d], tab[d].taps);
            if (tab[d].taps > 1)
                kidx_add(&e, tv[d], 1);
            term = kb_load(kb, offb[d], e);
            if (tab[d].w) {
                KExpr *wt = kb_load(kb, wb[d], e);
                w = w ? kb_op(kb, KOP_MUL, w, wt) : wt;
            }
        }
        off = off ? kb_op(kb, KOP_ADD, off, term) : term;
    }
    KExpr *xv = kb_loadx(kb, xb, base, off, 1, extent);
    KExpr *res;
    if (weighted) {
        if (adt != dt)
            xv = kb_cast(kb, adt, xv);
        kb_set(kb, acc, kb_op(kb, KOP_ADD, kb_var(kb, acc), w ? kb_op(kb, KOP_MUL, w, xv) : xv));
        kb_endfor_n(kb, ntaploops);
        res = kb_var(kb, acc);
        if (adt != dt) {
            res = kb_op(kb, KOP_ROUND, res, NULL);
            res = kb_op(kb, KOP_MAX, res, kb_cast(kb, adt, kb_const_lowest(kb, dt)));
            res = kb_op(kb, KOP_MIN, res, kb_cast(kb, adt, kb_const_highest(kb, dt)));
            res = kb_cast(kb, dt, res);
        }
    } else {
        res = xv;
    }
    if (extrap) {
        KExpr *ok = NULL;
        for (int d = first; d < r; d++) {
            if (tab[d].identity || !tab[d].valid)
                continue;
            KIndex e = kidx_const(0);
            kidx_add(&e, v[d], 1);
            KExpr *vd = kb_load(kb, vb[d], e);
            ok = ok ? kb_op(kb, KOP_AND, ok, vd) : vd;
        }
        res = kb_select(kb, kb_op(kb, KOP_NE, ok, kb_const_i(kb, DT_INT32, 0)), res,
                        kb_const_f(kb, dt, a->extrapolation));
    }
    kb_store_out(kb, yb, kidx_rowmajor(v, ys, r, 0), res);
    kb_endfor_n(kb, r);
    kb_end(kb);
    return LW_OK;
}

/* --- DepthToSpace / SpaceToDepth --- */
typedef struct BlockAttrs {
    int64_t blocksize;
    int crd; /* DepthToSpace mode CRD (else DCR) */
} BlockAttrs;

static LwStatus block_import(Ctx *ctx, Node *n, const AttrList *al)
{
    BlockAttrs *a = arena_new(ctx->perm, BlockAttrs);
    TRY(attr_int(ctx, &n->loc, al, "blocksize", 0, &a->blocksize));
    if (a->blocksize < 1)
        return diag_node(ctx, n, "'blocksize' is %lld; it is required and must be at least 1",
                         (long long)a->blocksize);
    if (n->loc.opset >= 11 && strcmp(n->loc.op_type, "DepthToSpace") == 0) {
        const char *m;
        TRY(attr_string(ctx, &n->loc, al, "mode", "DCR", &m));
        if (strcmp(m, "DCR") && strcmp(m, "CRD"))
            return diag_node(ctx, n, "mode '%s' is not supported (DCR or CRD)", m);
        a->crd = strcmp(m, "CRD") == 0;
    }
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus block_check(Ctx *ctx, const Node *n, const Value *x, int64_t b)
{
    if (x->shape.rank != 4)
        return diag_node(ctx, n, "input rank is %u, expected 4 (NCHW)", x->shape.rank);
    if (b > (int64_t)1 << 20)
        return diag_node(ctx, n, "'blocksize' %lld is too large", (long long)b);
    return LW_OK;
}

static LwStatus d2s_infer(Ctx *ctx, Graph *g, Node *n)
{
    const BlockAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    int64_t b = a->blocksize;
    TRY(block_check(ctx, n, x, b));
    if (x->shape.dims[1] % (b * b) != 0)
        return diag_node(ctx, n, "channels %lld are not divisible by blocksize^2 = %lld",
                         (long long)x->shape.dims[1], (long long)(b * b));
    Shape s = x->shape;
    s.dims[1] = x->shape.dims[1] / (b * b);
    if (!ckd_mul_i64(&s.dims[2], x->shape.dims[2], b) ||
        !ckd_mul_i64(&s.dims[3], x->shape.dims[3], b))
        return diag_node(ctx, n, "output dims overflow");
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static LwStatus s2d_infer(Ctx *ctx, Graph *g, Node *n)
{
    const BlockAttrs *a = n->attrs;
    const Value *x = op_in(g, n, 0);
    int64_t b = a->blocksize;
    TRY(block_check(ctx, n, x, b));
    if (x->shape.dims[2] % b || x->shape.dims[3] % b)
        return diag_node(ctx, n, "height %lld and width %lld must be divisible by blocksize %lld",
                         (long long)x->shape.dims[2], (long long)x->shape.dims[3], (long long)b);
    Shape s = x->shape;
    if (!ckd_mul_i64(&s.dims[1], x->shape.dims[1], b * b))
        return diag_node(ctx, n, "output channels overflow");
    s.dims[2] = x->shape.dims[2] / b;
    s.dims[3] = x->shape.dims[3] / b;
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

/* Both ops move x[n][depth][h][w] <-> y[n][c][h*b+i][w*b+j]; `depth` is
 * (i*b + j)*C + c (DCR, and SpaceToDepth) or c*b*b + i*b + j (CRD). Loops run
 * over n, c, h, i, w, j with the deep tensor's and the wide tensor's strides. */
static void block_lower_kind(KBuilder *kb, const Node *n, int to_space)
{
    const BlockAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    const Value *deep = to_space ? x : y, *wide = to_space ? y : x;
    int64_t b = a->blocksize, ds[LW_MAX_RANK], ws[LW_MAX_RANK];
    shape_strides(&deep->shape, ds);
    shape_strides(&wide->shape, ws);
    int64_t c = wide->shape.dims[1];
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint16_t vn = kb_for(kb, wide->shape.dims[0]), vc = kb_for(kb, c);
    uint16_t vh = kb_for(kb, deep->shape.dims[2]), vi = kb_for(kb, b);
    uint16_t vw = kb_for(kb, deep->shape.dims[3]), vj = kb_for(kb, b);
    KIndex di = kidx_const(0), wi = kidx_const(0);
    kidx_add(&di, vn, ds[0]);
    kidx_add(&di, vh, ds[2]);
    kidx_add(&di, vw, ds[3]);
    if (a->crd) {
        kidx_add(&di, vc, b * b * ds[1]);
        kidx_add(&di, vi, b * ds[1]);
        kidx_add(&di, vj, ds[1]);
    } else {
        kidx_add(&di, vi, b * c * ds[1]);
        kidx_add(&di, vj, c * ds[1]);
        kidx_add(&di, vc, ds[1]);
    }
    kidx_add(&wi, vn, ws[0]);
    kidx_add(&wi, vc, ws[1]);
    kidx_add(&wi, vh, b * ws[2]);
    kidx_add(&wi, vi, ws[2]);
    kidx_add(&wi, vw, b * ws[3]);
    kidx_add(&wi, vj, ws[3]);
    if (to_space)
        kb_store(kb, yb, wi, kb_load(kb, xb, di));
    else
        kb_store(kb, yb, di, kb_load(kb, xb, wi));
    kb_endfor_n(kb, 6);
    kb_end(kb);
}

static LwStatus d2s_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    block_lower_kind(kb, n, 1);
    return LW_OK;
}

static LwStatus s2d_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    block_lower_kind(kb, n, 0);
    return LW_OK;
}

/* ---- GridSample-16/20 ----------------------------------------------------
 * Y[n, c, h, w] samples X[n, c] at grid[n, h, w] = (x, y) in [-1, 1] (PyTorch's
 * grid_sample, which onnxruntime follows): the position unnormalized to pixels
 * (align_corners: -1 and 1 are the corner pixels' centres, else their outer
 * edges), then bilinear (4 taps), nearest (round half to even) or bicubic (4x4
 * taps, A = -0.75). Out-of-range positions: zeros (taps outside read 0), border
 * (clamped into the image) or reflection (mirrored at the border until inside,
 * then clamped); bicubic applies the padding to each tap. Taps read X through
 * clamped loads and are masked by their in-range test, so no grid value, NaN
 * included, reads outside X. 4-D only. */

enum { GM_LINEAR, GM_NEAREST, GM_CUBIC };
enum { GP_ZEROS, GP_BORDER, GP_REFLECTION };

typedef struct GridAttrs {
    int mode, pad, align;
} GridAttrs;

static const Name2Int grid_modes16[] = {
    {"bilinear", GM_LINEAR}, {"nearest", GM_NEAREST}, {"bicubic", GM_CUBIC}, {NULL, 0}};
static const Name2Int grid_modes20[] = {
    {"linear", GM_LINEAR}, {"nearest", GM_NEAREST}, {"cubic", GM_CUBIC}, {NULL, 0}};
static const Name2Int grid_pads[] = {
    {"zeros", GP_ZEROS}, {"border", GP_BORDER}, {"reflection", GP_REFLECTION}, {NULL, 0}};

static LwStatus grid_import(Ctx *ctx, Node *n, const AttrList *al, const Name2Int *modes,
                            const char *def)
{
    GridAttrs *a = arena_new(ctx->perm, GridAttrs);
    int64_t align;
    TRY(attr_enum(ctx, n, al, "mode", def, modes, &a->mode));
    TRY(attr_enum(ctx, n, al, "padding_mode", "zeros", grid_pads, &a->pad));
    TRY(attr_int(ctx, &n->loc, al, "align_corners", 0, &align));
    if (align != 0 && align != 1)
        return diag_node(ctx, n, "'align_corners' is %lld, must be 0 or 1", (long long)align);
    a->align = (int)align;
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus grid16_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return grid_import(ctx, n, al, grid_modes16, "bilinear");
}

static LwStatus grid20_import(Ctx *ctx, Node *n, const AttrList *al)
{
    return grid_import(ctx, n, al, grid_modes20, "linear");
}

static LwStatus grid_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *x = op_in(g, n, 0), *gr = op_in(g, n, 1);
    if (x->dtype != DT_FLOAT32 && x->dtype != DT_FLOAT64)
        return diag_node(ctx, n, "input X of type %s is not supported (float32, float64)",
                         dtype_name(x->dtype));
    if (gr->dtype != DT_FLOAT32 && gr->dtype != DT_FLOAT64)
        return diag_node(ctx, n, "grid of type %s is not supported (float32, float64)",
                         dtype_name(gr->dtype));
    if (x->shape.rank != 4)
        return diag_node(ctx, n, "X has rank %u: only 4-D (N, C, H, W) inputs are supported",
                         x->shape.rank);
    if (gr->shape.rank != 4 || gr->shape.dims[3] != 2 || gr->shape.dims[0] != x->shape.dims[0])
        return diag_node(ctx, n, "grid must be [N, H_out, W_out, 2] with X's N");
    Shape s = x->shape;
    s.dims[2] = gr->shape.dims[1];
    s.dims[3] = gr->shape.dims[2];
    return op_set_output(ctx, g, n, 0, x->dtype, &s);
}

static KExpr *gf(KBuilder *kb, DType dt, double v)
{
    return kb_const_f(kb, dt, v);
}

/* e computed once into a new local: expressions that use a value several times
 * refer to the local, so their trees stay small */
static KExpr *let(KBuilder *kb, KExpr *e)
{
    uint16_t l = kb_local(kb, e->type);
    kb_set(kb, l, e);
    return kb_var(kb, l);
}

/* floor(a) as a float */
static KExpr *gfloor(KBuilder *kb, KExpr *a)
{
    return kb_op(kb, KOP_FLOOR, a, NULL);
}

/* Pixel position of grid coordinate g along an axis of `size` pixels. */
static KExpr *grid_unnormalize(KBuilder *kb, DType dt, KExpr *g, int64_t size, int align)
{
    KExpr *p = kb_op(kb, KOP_ADD, g, gf(kb, dt, 1));
    if (align)
        return kb_op(kb, KOP_MUL, p, gf(kb, dt, (double)(size - 1) / 2));
    return kb_op(kb, KOP_MUL, kb_op(kb, KOP_SUB, kb_op(kb, KOP_MUL, p, gf(kb, dt, (double)size)),
                                    gf(kb, dt, 1)),
                 gf(kb, dt, 0.5));
}

static KExpr *grid_clamp(KBuilder *kb, DType dt, KExpr *p, int64_t size)
{
    /* NaN compares false: it becomes 0 */
    p = let(kb, p);
    KExpr *lo = let(kb, kb_select(kb, kb_op(kb, KOP_GT, p, gf(kb, dt, 0)), p, gf(kb, dt, 0)));
    return kb_select(kb, kb_op(kb, KOP_LT, lo, gf(kb, dt, (double)(size - 1))), lo,
                     gf(kb, dt, (double)(size - 1)));
}

/* p mirrored into [twice_lo / 2, twice_hi / 2] (the reflection padding). */
static KExpr *grid_reflect(KBuilder *kb, DType dt, KExpr *p, int64_t twice_lo, int64_t twice_hi)
{
    if (twice_lo == twice_hi)
        return gf(kb, dt, 0);
    double mn = (double)twice_lo / 2, span = (double)(twice_hi - twice_lo) / 2;
    KExpr *d = let(kb, kb_op(kb, KOP_ABS, kb_op(kb, KOP_SUB, p, gf(kb, dt, mn)), NULL));
    KExpr *flips = let(kb, gfloor(kb, kb_op(kb, KOP_DIV, d, gf(kb, dt, span))));
    KExpr *extra = let(kb, kb_op(kb, KOP_SUB, d, kb_op(kb, KOP_MUL, flips, gf(kb, dt, span))));
    KExpr *odd = kb_op(kb, KOP_SUB, flips,
                       kb_op(kb, KOP_MUL, gfloor(kb, kb_op(kb, KOP_MUL, flips, gf(kb, dt, 0.5))),
                             gf(kb, dt, 2)));
    return kb_select(kb, kb_op(kb, KOP_EQ, odd, gf(kb, dt, 0)),
                     kb_op(kb, KOP_ADD, extra, gf(kb, dt, mn)),
                     kb_op(kb, KOP_ADD, kb_op(kb, KOP_SUB, gf(kb, dt, span), extra),
                           gf(kb, dt, mn)));
}

/* The padding mode applied to a position along an axis of `size` pixels. */
static KExpr *grid_pad(KBuilder *kb, const GridAttrs *a, DType dt, KExpr *p, int64_t size)
{
    if (a->pad == GP_BORDER)
        return grid_clamp(kb, dt, p, size);
    if (a->pad == GP_REFLECTION) {
        KExpr *r = a->align ? grid_reflect(kb, dt, p, 0, 2 * (size - 1))
                            : grid_reflect(kb, dt, p, -1, 2 * size - 1);
        return grid_clamp(kb, dt, r, size);
    }
    return p;
}

/* A tap at integral float position (px, py): whether it is inside the image, and
 * its offset in a plane (clamped into the image first: no out-of-range conversion,
 * NaN included), both in locals before the channel loop. */
typedef struct GridTap {
    KExpr *in, *off, *w;
} GridTap;

static GridTap grid_tap_at(KBuilder *kb, DType dt, int64_t H, int64_t W, KExpr *px, KExpr *py,
                           KExpr *w)
{
    GridTap t;
    px = let(kb, px);
    py = let(kb, py);
    t.in = let(kb, kb_op(kb, KOP_AND,
                         kb_op(kb, KOP_AND, kb_op(kb, KOP_GE, px, gf(kb, dt, 0)),
                               kb_op(kb, KOP_LE, px, gf(kb, dt, (double)(W - 1)))),
                         kb_op(kb, KOP_AND, kb_op(kb, KOP_GE, py, gf(kb, dt, 0)),
                               kb_op(kb, KOP_LE, py, gf(kb, dt, (double)(H - 1))))));
    KExpr *ix = kb_cast(kb, DT_INT32, grid_clamp(kb, dt, px, W));
    KExpr *iy = kb_cast(kb, DT_INT32, grid_clamp(kb, dt, py, H));
    t.off = let(kb, kb_op(kb, KOP_ADD, kb_op(kb, KOP_MUL, iy, kb_const_i(kb, DT_INT32, W)), ix));
    t.w = w ? let(kb, w) : NULL;
    return t;
}

/* X's value at tap t of a plane (0 outside the image), times its weight. */
static KExpr *grid_tap_value(KBuilder *kb, DType dt, uint32_t xb, KIndex plane, int64_t H,
                             int64_t W, const GridTap *t)
{
    KExpr *v = kb_select(kb, t->in, kb_loadx(kb, xb, plane, t->off, 1, H * W), gf(kb, dt, 0));
    return t->w ? kb_op(kb, KOP_MUL, t->w, v) : v;
}

/* Cubic convolution weight of tap k (0..3) at fraction t, A = -0.75. */
static KExpr *grid_cubic_w(KBuilder *kb, DType dt, KExpr *t, int k)
{
    const double A = -0.75;
    KExpr *d; /* the tap's distance */
    switch (k) {
    case 0:
        d = kb_op(kb, KOP_ADD, t, gf(kb, dt, 1));
        break;
    case 1:
        d = t;
        break;
    case 2:
        d = kb_op(kb, KOP_SUB, gf(kb, dt, 1), t);
        break;
    default:
        d = kb_op(kb, KOP_SUB, gf(kb, dt, 2), t);
        break;
    }
    if (k == 1 || k == 2) /* ((A + 2) d - (A + 3)) d d + 1 */
        return kb_op(kb, KOP_ADD,
                     kb_op(kb, KOP_MUL,
                           kb_op(kb, KOP_MUL,
                                 kb_op(kb, KOP_SUB, kb_op(kb, KOP_MUL, gf(kb, dt, A + 2), d),
                                       gf(kb, dt, A + 3)),
                                 d),
                           d),
                     gf(kb, dt, 1));
    /* ((A d - 5A) d + 8A) d - 4A */
    KExpr *e = kb_op(kb, KOP_SUB, kb_op(kb, KOP_MUL, gf(kb, dt, A), d), gf(kb, dt, 5 * A));
    e = kb_op(kb, KOP_ADD, kb_op(kb, KOP_MUL, e, d), gf(kb, dt, 8 * A));
    return kb_op(kb, KOP_SUB, kb_op(kb, KOP_MUL, e, d), gf(kb, dt, 4 * A));
}

static LwStatus grid_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const GridAttrs *a = n->attrs;
    const Value *x = op_in(kb->g, n, 0), *gr = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    DType dt = x->dtype;
    int64_t N = x->shape.dims[0], C = x->shape.dims[1], H = x->shape.dims[2],
            W = x->shape.dims[3], Ho = y->shape.dims[2], Wo = y->shape.dims[3];
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), gb = kb_in(kb, 1), yb = kb_out(kb, 0);
    uint16_t lx = kb_local(kb, ktype(dt)), ly = kb_local(kb, ktype(dt));
    uint16_t vn = kb_for(kb, N), vh = kb_for(kb, Ho), vw = kb_for(kb, Wo);
    KIndex gi = kidx_const(0);
    kidx_add(&gi, vn, Ho * Wo * 2);
    kidx_add(&gi, vh, Wo * 2);
    kidx_add(&gi, vw, 2);
    KIndex gj = gi;
    gj.base += 1;
    KExpr *gx = kb_load(kb, gb, gi), *gy = kb_load(kb, gb, gj);
    if (gr->dtype != dt) {
        gx = kb_cast(kb, dt, gx);
        gy = kb_cast(kb, dt, gy);
    }
    KExpr *px = grid_unnormalize(kb, dt, gx, W, a->align);
    KExpr *py = grid_unnormalize(kb, dt, gy, H, a->align);
    if (a->mode != GM_CUBIC) {
        px = grid_pad(kb, a, dt, px, W);
        py = grid_pad(kb, a, dt, py, H);
    }
    kb_set(kb, lx, px);
    kb_set(kb, ly, py);
    KExpr *X = kb_var(kb, lx), *Y = kb_var(kb, ly);
    /* the taps and their weights, once per output pixel */
    GridTap taps[16];
    int nt = 0;
    if (a->mode == GM_NEAREST) {
        taps[nt++] = grid_tap_at(kb, dt, H, W, kb_op(kb, KOP_ROUND, X, NULL),
                                 kb_op(kb, KOP_ROUND, Y, NULL), NULL);
    } else if (a->mode == GM_LINEAR) {
        KExpr *x0 = let(kb, gfloor(kb, X)), *y0 = let(kb, gfloor(kb, Y));
        KExpr *x1 = let(kb, kb_op(kb, KOP_ADD, x0, gf(kb, dt, 1)));
        KExpr *y1 = let(kb, kb_op(kb, KOP_ADD, y0, gf(kb, dt, 1)));
        KExpr *wx1 = let(kb, kb_op(kb, KOP_SUB, X, x0)), *wy1 = let(kb, kb_op(kb, KOP_SUB, Y, y0));
        KExpr *wx0 = let(kb, kb_op(kb, KOP_SUB, x1, X)), *wy0 = let(kb, kb_op(kb, KOP_SUB, y1, Y));
        taps[nt++] = grid_tap_at(kb, dt, H, W, x0, y0, kb_op(kb, KOP_MUL, wx0, wy0));
        taps[nt++] = grid_tap_at(kb, dt, H, W, x1, y0, kb_op(kb, KOP_MUL, wx1, wy0));
        taps[nt++] = grid_tap_at(kb, dt, H, W, x0, y1, kb_op(kb, KOP_MUL, wx0, wy1));
        taps[nt++] = grid_tap_at(kb, dt, H, W, x1, y1, kb_op(kb, KOP_MUL, wx1, wy1));
    } else {
        KExpr *x0 = let(kb, gfloor(kb, X)), *y0 = let(kb, gfloor(kb, Y));
        KExpr *tx = let(kb, kb_op(kb, KOP_SUB, X, x0)), *ty = let(kb, kb_op(kb, KOP_SUB, Y, y0));
        KExpr *wx[4], *wy[4], *cx[4], *cy[4];
        for (int i = 0; i < 4; i++) {
            wx[i] = let(kb, grid_cubic_w(kb, dt, tx, i));
            wy[i] = let(kb, grid_cubic_w(kb, dt, ty, i));
            cx[i] = let(kb, grid_pad(kb, a, dt, kb_op(kb, KOP_ADD, x0, gf(kb, dt, i - 1)), W));
            cy[i] = let(kb, grid_pad(kb, a, dt, kb_op(kb, KOP_ADD, y0, gf(kb, dt, i - 1)), H));
        }
        for (int j = 0; j < 4; j++)
            for (int i = 0; i < 4; i++)
                taps[nt++] = grid_tap_at(kb, dt, H, W, cx[i], cy[j],
                                         kb_op(kb, KOP_MUL, wx[i], wy[j]));
    }
    uint16_t vc = kb_for(kb, C);
    KIndex plane = kidx_const(0);
    kidx_add(&plane, vn, C * H * W);
    kidx_add(&plane, vc, H * W);
    KExpr *val = NULL;
    for (int k = 0; k < nt; k++) {
        KExpr *v = grid_tap_value(kb, dt, xb, plane, H, W, &taps[k]);
        val = val ? kb_op(kb, KOP_ADD, val, v) : v;
    }
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vn, C * Ho * Wo);
    kidx_add(&yi, vc, Ho * Wo);
    kidx_add(&yi, vh, Wo);
    kidx_add(&yi, vw, 1);
    kb_store_out(kb, yb, yi, val);
    kb_endfor_n(kb, 4);
    kb_end(kb);
    return LW_OK;
}

const OpDef ops_resize[] = {
    {"", "Upsample", 7, 8, 1, 1, 1, 1, FC_INJECTIVE, 0, upsample_import, resize_infer, resize_lower,
     NULL, NULL, NULL, NULL},
    {"", "Upsample", 9, 9, 2, 2, 1, 1, FC_INJECTIVE, 0, upsample_import, resize_infer, resize_lower,
     NULL, NULL, NULL, NULL},
    {"", "Resize", 10, 10, 2, 2, 1, 1, FC_INJECTIVE, 0, resize_import, resize_infer, resize_lower,
     NULL, NULL, NULL, NULL},
    {"", "Resize", 11, 12, 3, 4, 1, 1, FC_INJECTIVE, 0, resize_import, resize_infer, resize_lower,
     NULL, NULL, NULL, NULL},
    {"", "Resize", 13, 17, 1, 4, 1, 1, FC_INJECTIVE, 0, resize_import, resize_infer, resize_lower,
     NULL, NULL, NULL, NULL},
    {"", "Resize", 18, 18, 1, 4, 1, 1, FC_INJECTIVE, 0, resize_import, resize_infer, resize_lower,
     NULL, NULL, NULL, NULL},
    {"", "Resize", 19, LW_OPSET_MAX, 1, 4, 1, 1, FC_INJECTIVE, 0, resize_import, resize_infer,
     resize_lower, NULL, NULL, NULL, NULL},
    {"", "GridSample", 16, 19, 2, 2, 1, 1, FC_OPAQUE, 0, grid16_import, grid_infer, grid_lower,
     NULL, NULL, NULL, NULL},
    {"", "GridSample", 20, LW_OPSET_MAX, 2, 2, 1, 1, FC_OPAQUE, 0, grid20_import, grid_infer,
     grid_lower, NULL, NULL, NULL, NULL},
    {"", "DepthToSpace", 1, 10, 1, 1, 1, 1, FC_INJECTIVE, 0, block_import, d2s_infer, d2s_lower,
     NULL, NULL, NULL, NULL},
    {"", "DepthToSpace", 11, LW_OPSET_MAX, 1, 1, 1, 1, FC_INJECTIVE, 0, block_import, d2s_infer,
     d2s_lower, NULL, NULL, NULL, NULL},
    {"", "SpaceToDepth", 1, LW_OPSET_MAX, 1, 1, 1, 1, FC_INJECTIVE, 0, block_import, s2d_infer,
     s2d_lower, NULL, NULL, NULL, NULL},
};
const uint32_t ops_resize_count = LW_COUNT(ops_resize);
