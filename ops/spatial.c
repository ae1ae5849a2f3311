/* Window geometry shared by convolution and pooling. */
#include "ops/spatial.h"

#include "ir/kir_build.h"

#include <string.h>

LwStatus window_import(Ctx *ctx, Node *n, const AttrList *al, Window *w, int has_dilations,
                       int has_ceil)
{
    memset(w, 0, sizeof *w);
    TRY(attr_ints(ctx, &n->loc, al, "kernel_shape", w->kernel, LW_MAX_SPATIAL, &w->nk));
    TRY(attr_ints(ctx, &n->loc, al, "strides", w->strides, LW_MAX_SPATIAL, &w->ns));
    if (has_dilations)
        TRY(attr_ints(ctx, &n->loc, al, "dilations", w->dilations, LW_MAX_SPATIAL, &w->nd));
    TRY(attr_ints(ctx, &n->loc, al, "pads", w->pads, 2 * LW_MAX_SPATIAL, &w->np));
    TRY(attr_string(ctx, &n->loc, al, "auto_pad", "NOTSET", &w->auto_pad));
    if (has_ceil)
        TRY(attr_int(ctx, &n->loc, al, "ceil_mode", 0, &w->ceil_mode));
    if (strcmp(w->auto_pad, "NOTSET") && strcmp(w->auto_pad, "VALID") &&
        strcmp(w->auto_pad, "SAME_UPPER") && strcmp(w->auto_pad, "SAME_LOWER"))
        return diag_node(ctx, n, "auto_pad '%s' is not a valid value", w->auto_pad);
    if (w->np && strcmp(w->auto_pad, "NOTSET") != 0)
        return diag_node(ctx, n, "'pads' and auto_pad '%s' cannot both be given", w->auto_pad);
    for (uint32_t i = 0; i < w->np; i++)
        if (w->pads[i] < 0)
            return diag_node(ctx, n, "negative pads are not supported");
    return LW_OK;
}

LwStatus window_resolve(Ctx *ctx, const Node *n, Window *w, int sp, const int64_t *in,
                        int64_t *out)
{
    if ((w->ns && (int)w->ns != sp) || (w->nd && (int)w->nd != sp) ||
        (w->np && (int)w->np != 2 * sp) || (int)w->nk != sp)
        return diag_node(ctx, n, "kernel_shape/strides/dilations/pads do not match the %d "
                                 "spatial dims of the input", sp);
    for (int i = 0; i < sp; i++) {
        if (!w->ns)
            w->strides[i] = 1;
        if (!w->nd)
            w->dilations[i] = 1;
        if (w->strides[i] < 1 || w->dilations[i] < 1 || w->kernel[i] < 1)
            return diag_node(ctx, n, "strides, dilations and kernel sizes must be positive");
        if (w->kernel[i] > (int64_t)1 << 31 || w->strides[i] > (int64_t)1 << 31 ||
            w->dilations[i] > (int64_t)1 << 31)
            return diag_node(ctx, n, "window sizes are out of range");
    }
    if (!w->np)
        memset(w->pads, 0, sizeof w->pads);
    w->np = (uint32_t)(2 * sp);
    w->ns = w->nd = (uint32_t)sp;
    for (int i = 0; i < sp; i++) {
        int64_t ek = (w->kernel[i] - 1) * w->dilations[i] + 1;
        if (strcmp(w->auto_pad, "SAME_UPPER") == 0 || strcmp(w->auto_pad, "SAME_LOWER") == 0) {
            int64_t o = (in[i] + w->strides[i] - 1) / w->strides[i];
            int64_t total = (o - 1) * w->strides[i] + ek - in[i];
            if (total < 0)
                total = 0;
            int64_t small = total / 2, big = total - small;
            int upper = strcmp(w->auto_pad, "SAME_UPPER") == 0;
            w->pads[i] = upper ? small : big;
            w->pads[i + sp] = upper ? big : small;
            out[i] = o;
            continue;
        }
        int64_t span = in[i] + w->pads[i] + w->pads[i + sp] - ek;
        if (span < 0)
            return diag_node(ctx, n, "the window (%lld) is larger than the padded input (%lld)",
                             (long long)ek, (long long)(in[i] + w->pads[i] + w->pads[i + sp]));
        int64_t o = w->ceil_mode ? (span + w->strides[i] - 1) / w->strides[i] + 1
                                 : span / w->strides[i] + 1;
        /* a last window starting inside the end padding is dropped (ceil_mode) */
        if (w->ceil_mode && (o - 1) * w->strides[i] >= in[i] + w->pads[i])
            o--;
        out[i] = o;
    }
    return LW_OK;
}

void window_taps(const Window *w, int sp, const uint16_t *vo, const uint16_t *vk,
                 const int64_t *xs, const int64_t *in, const int64_t *out, KIndex *xi, KIndex *wi,
                 const int64_t *ws, KCond *conds, uint8_t *nc)
{
    for (int i = 0; i < sp; i++) {
        int64_t s = w->strides[i], d = w->dilations[i], p = w->pads[i];
        xi->base -= p * xs[i];
        kidx_add(xi, vo[i], s * xs[i]);
        kidx_add(xi, vk[i], d * xs[i]);
        if (wi)
            kidx_add(wi, vk[i], ws[i]);
        int64_t lo = -p, hi = (out[i] - 1) * s + (w->kernel[i] - 1) * d - p;
        if (lo >= 0 && hi < in[i])
            continue;
        KCond *c = &conds[(*nc)++];
        c->e = kidx_const(-p);
        kidx_add(&c->e, vo[i], s);
        kidx_add(&c->e, vk[i], d);
        c->bound = in[i];
    }
}

float *window_counts(Arena *a, const Window *w, int sp, const int64_t *in, const int64_t *out,
                     int include_pad, uint64_t *n)
{
    uint64_t opos = 1;
    for (int i = 0; i < sp; i++)
        opos *= (uint64_t)out[i];
    float *cnt = arena_alloc_array(a, opos ? opos : 1, sizeof(float));
    if (!cnt)
        return NULL;
    for (uint64_t o = 0; o < opos; o++) {
        uint64_t rem = o, total = 1;
        for (int i = sp - 1; i >= 0; i--) {
            int64_t od = (int64_t)(rem % (uint64_t)out[i]);
            rem /= (uint64_t)out[i];
            int64_t lo = include_pad ? -w->pads[i] : 0;
            int64_t hi = in[i] + (include_pad ? w->pads[i + sp] : 0);
            uint64_t c = 0;
            for (int64_t k = 0; k < w->kernel[i]; k++) {
                int64_t pos = od * w->strides[i] + k * w->dilations[i] - w->pads[i];
                if (pos >= lo && pos < hi)
                    c++;
            }
            total *= c;
        }
        cnt[o] = (float)total;
    }
    *n = opos;
    return cnt;
}

void window_set_pads(Window *w, const int64_t *pads)
{
    memcpy(w->pads, pads, sizeof(int64_t) * 2 * w->nk);
    w->np = 2 * w->nk;
    w->auto_pad = "NOTSET";
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t m = a % b;
    return m < 0 ? m + b : m;
}

StridePhase stride_phase(int64_t r, int64_t s, int64_t d, int64_t pb, int64_t K, int64_t O)
{
    StridePhase p = {0, 0, 1, 0, 0, 0};
    p.nq = O > r ? (O - r + s - 1) / s : 0;
    p.kstep = s / gcd64(d, s);
    for (int64_t k = 0; k < K && k < p.kstep; k++)
        if (floor_mod(r + pb - k * d, s) == 0) {
            p.k0 = k;
            p.nk = (K - 1 - k) / p.kstep + 1;
            p.base = (r + pb - k * d) / s; /* exact */
            p.jcoef = -(p.kstep * d) / s;
            break;
        }
    return p;
}
