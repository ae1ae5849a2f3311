/* quant-ptq: lwcc's post-training int8 quantizer (--quantize=int8
 * --calibration=DIR). It runs the float graph in the kernel-IR interpreter on
 * every calibration sample and records the range of each activation that a
 * linear op (Conv, Gemm, MatMul: OpDef.linear with a constant float weight)
 * reads; then it writes the model as a QDQ graph, the form quantizers export:
 *
 *   - weights: int8, symmetric, one scale per output channel (max |w| / 127),
 *     stored as DequantizeLinear of the int8 constant;
 *   - activations: uint8, one scale and zero point per tensor, from the range
 *     the --calibration-method picks: minmax (the whole range, 0 included),
 *     percentile (0.01% .. 99.99% of the values), or mse (the clipping of the
 *     range with the least mean squared quantization error on the samples);
 *     QuantizeLinear then DequantizeLinear in front of the quantized readers.
 *
 * Biases stay float; a linear op named in --keep-float, whose input is not float32,
 * or whose int8 weights or uint8 input fall below the error budget (the signal-to-
 * quantization-noise ratio --quant-budget gives, 20 dB by default, measured on the
 * samples) is left as it is. Nothing else changes: the rest of the pipeline
 * treats the result as it treats an imported QDQ model (fusion stores the
 * quantized activations as uint8, readers dequantize as they load). One remark
 * per quantized node gives its scales and the signal-to-quantization-noise
 * ratio of its input over the samples. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "include/lwcc/ckd.h"
#include "include/lwcc/lwcc.h"
#include "ir/kir_build.h"
#include "ir/kir_interp.h"
#include "ops/op.h"
#include "passes/pass.h"

#define NBINS 2048

typedef struct Track {
    ValueId v;
    double lo, hi;          /* observed range */
    double qlo, qhi;        /* the range quantized to */
    double sig, noise;      /* sums of x^2 and of the quantization error^2 */
    uint64_t *hist;         /* NBINS counts over [lo, hi] */
    uint64_t count;
    float scale;
    uint8_t zp;
} Track;

/* Is node n a linear op this pass quantizes? */
static int quantizable(const Ctx *ctx, const Graph *g, const Node *n)
{
    const OpLinear *lin = n->op ? n->op->linear : NULL;
    if (!lin || n->nout != 1 || lin->weight_in >= n->nin || !n->in[0] || !n->in[lin->weight_in])
        return 0;
    const Value *x = graph_value(g, n->in[0]), *w = graph_value(g, n->in[lin->weight_in]);
    if (x->kind == VK_CONST || x->dtype != DT_FLOAT32 || w->kind != VK_CONST ||
        w->dtype != DT_FLOAT32 || w->shape.rank < 2)
        return 0;
    for (uint32_t i = 0; i < ctx->opt->nkeep_float; i++)
        if (!strcmp(ctx->opt->keep_float[i], n->loc.name))
            return 0;
    return 1;
}

/* The weight dim that holds the output channels. */
static int out_axis(const Graph *g, const Node *n)
{
    const OpLinear *lin = n->op->linear;
    if (lin->out_axis != 255)
        return lin->out_axis;
    uint64_t o, in;
    int tr = 0;
    if (lin->matrix && lin->matrix(g, n, &o, &in, &tr))
        return tr ? graph_value(g, n->in[lin->weight_in])->shape.rank - 1 : 0;
    return -1;
}

/* The float graph as kernel IR with a buffer per value, in scratch. */
static LwStatus lower_all(Ctx *ctx, Program **pp, uint32_t **vbp)
{
    Graph *g = ctx->g;
    Program *p = kir_program_new(ctx->scratch);
    uint32_t *vb = arena_array(ctx->scratch, uint32_t, g->values.len);
    KBuilder kb;
    kb_init(&kb, ctx, p, g, vb);
    kb.a = ctx->scratch;
    for (uint32_t i = 0; i < g->inputs.len; i++)
        (void)kb_buf(&kb, g->inputs.data[i]);
    for (uint32_t k = 0; k < g->order.len; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        if ((n->op->flags & OPF_ALIAS) && !vb[n->out[0]]) {
            vb[n->out[0]] = kb_buf(&kb, n->in[0]) + 1;
            continue;
        }
        TRY(n->op->lower(ctx, &kb, n));
    }
    *pp = p;
    *vbp = vb;
    return LW_OK;
}

/* Scale and zero point of uint8 for the range [lo, hi] (0 included). */
static void qparams(double lo, double hi, float *scale, uint8_t *zp)
{
    lo = lo < 0 ? lo : 0;
    hi = hi > 0 ? hi : 0;
    double s = (hi - lo) / 255.0;
    if (!(s > 1e-30)) {
        *scale = 1.0f;
        *zp = 0;
        return;
    }
    *scale = (float)s;
    double z = nearbyint(-lo / (double)*scale);
    *zp = (uint8_t)(z < 0 ? 0 : z > 255 ? 255 : z);
}

static double qdq(double x, float scale, uint8_t zp)
{
    double q = nearbyint(x / scale) + zp;
    q = q < 0 ? 0 : q > 255 ? 255 : q;
    return (q - zp) * scale;
}

/* Centre of histogram bin i of t. */
static double bin_mid(const Track *t, int i)
{
    return t->lo + (t->hi - t->lo) * (i + 0.5) / NBINS;
}

/* The range to quantize t to, by the method. */
static void choose_range(Track *t, const char *method)
{
    Track *w = t;
    w->qlo = t->lo;
    w->qhi = t->hi;
    if (!method || !strcmp(method, "minmax") || !(t->hi > t->lo) || !t->count)
        return;
    if (!strcmp(method, "percentile")) {
        uint64_t cut = t->count / 10000, acc = 0; /* 0.01% at each end */
        int a = 0, b = NBINS - 1;
        while (a < NBINS - 1 && acc + t->hist[a] <= cut)
            acc += t->hist[a++];
        acc = 0;
        while (b > a && acc + t->hist[b] <= cut)
            acc += t->hist[b--];
        w->qlo = t->lo + (t->hi - t->lo) * a / NBINS;
        w->qhi = t->lo + (t->hi - t->lo) * (b + 1) / NBINS;
        return;
    }
    /* mse: the range scaled by f in (0.2, 1], the least expected squared error */
    double best = -1;
    for (int k = 100; k >= 20; k--) {
        double f = k / 100.0, lo = t->lo * f, hi = t->hi * f, err = 0;
        float s;
        uint8_t z;
        qparams(lo, hi, &s, &z);
        for (int i = 0; i < NBINS; i++) {
            if (!t->hist[i])
                continue;
            double x = bin_mid(t, i), d = x - qdq(x, s, z);
            err += (double)t->hist[i] * (d * d + (double)s * s / 12.0 * (x >= lo && x <= hi));
        }
        if (best < 0 || err < best) {
            best = err;
            w->qlo = lo;
            w->qhi = hi;
        }
    }
}

/* Runs the float graph on calibration sample s. */
static LwStatus run_sample(Ctx *ctx, const Program *p, const uint32_t *vb, void **mem, uint32_t s)
{
    const Graph *g = ctx->g;
    const CalibSet *cs = ctx->calib;
    for (uint32_t k = 0; k < cs->ninputs; k++) {
        const Value *in = graph_value(g, g->inputs.data[k]);
        memcpy(mem[vb[g->inputs.data[k]] - 1], cs->data[(size_t)s * cs->ninputs + k],
               (size_t)(shape_count(&in->shape) * dtype_size(in->dtype)));
    }
    return kir_interp_run(ctx, p, 0, p->kernels.len, mem);
}

/* Runs every sample; pass 0 records ranges, pass 1 histograms and the noise of the
 * chosen quantization. */
static LwStatus calibrate(Ctx *ctx, const Program *p, const uint32_t *vb, void **mem, Track *t,
                          uint32_t nt, int pass)
{
    const Graph *g = ctx->g;
    const CalibSet *cs = ctx->calib;
    int tty = isatty(2);
    for (uint32_t s = 0; s < cs->nsamples; s++) {
        if (tty) {
            fprintf(stderr, "\rlwcc: calibrating: %s %u/%u samples", pass ? "noise" : "ranges",
                    s + 1, cs->nsamples);
            fflush(stderr);
        }
        TRY(run_sample(ctx, p, vb, mem, s));
        for (uint32_t i = 0; i < nt; i++) {
            const float *x = mem[vb[t[i].v] - 1];
            uint64_t n = shape_count(&graph_value(g, t[i].v)->shape);
            for (uint64_t j = 0; j < n; j++) {
                double v = x[j];
                if (!isfinite(v))
                    continue;
                if (!pass) {
                    if (!t[i].count || v < t[i].lo)
                        t[i].lo = v;
                    if (!t[i].count || v > t[i].hi)
                        t[i].hi = v;
                    t[i].count++;
                    continue;
                }
                double r = t[i].hi > t[i].lo ? (v - t[i].lo) / (t[i].hi - t[i].lo) : 0;
                int b = (int)(r * NBINS);
                t[i].hist[b < 0 ? 0 : b >= NBINS ? NBINS - 1 : b]++;
            }
        }
    }
    if (tty)
        fputs("\r\033[K", stderr);
    return LW_OK;
}

/* SQNR over the samples of t's quantization: a third run (cheap next to the
 * histogram pass, which chose the range). */
static LwStatus measure_noise(Ctx *ctx, const Program *p, const uint32_t *vb, void **mem,
                              Track *t, uint32_t nt)
{
    const Graph *g = ctx->g;
    const CalibSet *cs = ctx->calib;
    for (uint32_t s = 0; s < cs->nsamples; s++) {
        TRY(run_sample(ctx, p, vb, mem, s));
        for (uint32_t i = 0; i < nt; i++) {
            const float *x = mem[vb[t[i].v] - 1];
            uint64_t n = shape_count(&graph_value(g, t[i].v)->shape);
            for (uint64_t j = 0; j < n; j++) {
                double v = x[j], d = v - qdq(v, t[i].scale, t[i].zp);
                t[i].sig += v * v;
                t[i].noise += d * d;
            }
        }
    }
    return LW_OK;
}

static ValueId add_const(Ctx *ctx, const char *base, const char *suffix, DType dt,
                         const Shape *s, const void *data, uint64_t size)
{
    StrBuf sb;
    sb_init(&sb, ctx->perm);
    sb_printf(&sb, "%s%s", base, suffix);
    unsigned char *copy = arena_memdup(ctx->perm, data, (size_t)size);
    return graph_add_const(ctx->perm, ctx->g, sb_cstr(&sb), dt, s, copy, size);
}

/* A QuantizeLinear or DequantizeLinear node of x named after its output; its output. */
static LwStatus add_qdq(Ctx *ctx, const char *opname, ValueId x, ValueId sc, ValueId zp, int axis,
                        const char *outname, ValueId *out)
{
    StrBuf nm;
    sb_init(&nm, ctx->perm);
    sb_printf(&nm, "%s_%s", outname, opname);
    ValueId in[3] = {x, sc, zp};
    return pass_make_node(ctx, opname, sb_cstr(&nm), in, zp ? 3 : 2, axis, outname, out);
}

/* Node n's weight in int8, symmetric per output channel, and its SQNR. */
typedef struct QWeight {
    int axis;
    int64_t C;
    float *scale;
    int8_t *q;
    double sqnr;
} QWeight;

static void measure_weight(Ctx *ctx, const Node *n, int axis, QWeight *qw)
{
    const Value *w = graph_value(ctx->g, n->in[n->op->linear->weight_in]);
    const float *wf = (const float *)(const void *)w->data->bytes;
    int64_t C = w->shape.dims[axis], inner = 1;
    for (int d = axis + 1; d < w->shape.rank; d++)
        inner *= w->shape.dims[d];
    uint64_t count = shape_count(&w->shape);
    float *scale = arena_array(ctx->scratch, float, (size_t)C);
    int8_t *q = arena_array(ctx->scratch, int8_t, (size_t)count);
    for (int64_t c = 0; c < C; c++)
        scale[c] = 0;
    for (uint64_t i = 0; i < count; i++) {
        int64_t c = (int64_t)(i / (uint64_t)inner) % C;
        float a = fabsf(wf[i]);
        scale[c] = a > scale[c] ? a : scale[c];
    }
    for (int64_t c = 0; c < C; c++)
        scale[c] = scale[c] > 0 ? scale[c] / 127.0f : 1.0f;
    double sig = 0, noise = 0;
    for (uint64_t i = 0; i < count; i++) {
        int64_t c = (int64_t)(i / (uint64_t)inner) % C;
        double r = nearbyint((double)wf[i] / scale[c]);
        r = r < -127 ? -127 : r > 127 ? 127 : r;
        q[i] = (int8_t)r;
        double d = wf[i] - r * scale[c];
        sig += (double)wf[i] * wf[i];
        noise += d * d;
    }
    qw->axis = axis;
    qw->C = C;
    qw->scale = scale;
    qw->q = q;
    qw->sqnr = noise > 0 ? 10 * log10(sig / noise) : INFINITY;
}

/* Node n's weight as DequantizeLinear of qw's int8. */
static LwStatus quantize_weight(Ctx *ctx, Node *n, const QWeight *qw)
{
    Graph *g = ctx->g;
    uint8_t wi = n->op->linear->weight_in;
    const Value *w = graph_value(g, n->in[wi]);
    uint64_t count = shape_count(&w->shape);
    int64_t C = qw->C;
    const char *base = w->name && *w->name ? w->name : "weight";
    Shape cs;
    cs.rank = 1;
    cs.dims[0] = C;
    ValueId vq = add_const(ctx, base, "_quantized", DT_INT8, &w->shape, qw->q, count);
    ValueId vs = add_const(ctx, base, "_scale", DT_FLOAT32, &cs, qw->scale, (uint64_t)C * 4);
    StrBuf nm;
    sb_init(&nm, ctx->perm);
    sb_printf(&nm, "%s_dequantized", base);
    ValueId out;
    TRY(add_qdq(ctx, "DequantizeLinear", vq, vs, 0, qw->axis, sb_cstr(&nm), &out));
    n->in[wi] = out;
    return LW_OK;
}

/* QuantizeLinear -> DequantizeLinear of activation t->v; its dequantized value. */
static LwStatus quantize_act(Ctx *ctx, const Track *t, ValueId *out)
{
    const Value *x = graph_value(ctx->g, t->v);
    const char *base = x->name && *x->name ? x->name : "act";
    Shape s0;
    s0.rank = 0;
    ValueId vs = add_const(ctx, base, "_scale", DT_FLOAT32, &s0, &t->scale, 4);
    ValueId vz = add_const(ctx, base, "_zero_point", DT_UINT8, &s0, &t->zp, 1);
    StrBuf q, d;
    sb_init(&q, ctx->perm);
    sb_init(&d, ctx->perm);
    sb_printf(&q, "%s_quantized", base);
    sb_printf(&d, "%s_dequantized", base);
    ValueId vq;
    TRY(add_qdq(ctx, "QuantizeLinear", t->v, vs, vz, -1, sb_cstr(&q), &vq));
    return add_qdq(ctx, "DequantizeLinear", vq, vs, vz, -1, sb_cstr(&d), out);
}

/* A ratio in dB with one decimal ("inf" when there is no noise). */
static void put_db(StrBuf *sb, double db)
{
    if (!isfinite(db)) {
        sb_puts(sb, "inf dB");
        return;
    }
    long t = lround(db * 10);
    if (t < 0) {
        sb_putc(sb, '-');
        t = -t;
    }
    sb_printf(sb, "%ld.%ld dB", t / 10, t % 10);
}

static LwStatus run(Ctx *ctx)
{
    if (!ctx->opt->quantize)
        return LW_OK;
    Graph *g = ctx->g;
    LW_ASSERT(ctx->calib);
    for (uint32_t v = 1; v < g->values.len; v++) {
        const Value *val = graph_value(g, v);
        if (val->kind == VK_NODE && (val->dtype == DT_INT8 || val->dtype == DT_UINT8) &&
            val->nuses)
            return diag_error(ctx->diag, "--quantize=int8: the model is quantized already "
                              "(value '%s' is %s); compile it without --quantize", val->name,
                              dtype_name(val->dtype));
    }
    for (uint32_t i = 0; i < ctx->opt->nkeep_float; i++) {
        int found = 0;
        for (uint32_t k = 0; k < g->order.len && !found; k++)
            found = !strcmp(graph_node(g, g->order.data[k])->loc.name, ctx->opt->keep_float[i]);
        if (!found)
            return diag_error(ctx->diag, "--keep-float: no node is named '%s'",
                              ctx->opt->keep_float[i]);
    }
    /* the activations to track: input 0 of each quantizable node, once each */
    uint32_t *track_of = arena_array(ctx->scratch, uint32_t, g->values.len);
    Track *t = arena_array(ctx->scratch, Track, g->order.len ? g->order.len : 1);
    uint32_t nt = 0;
    for (uint32_t k = 0; k < g->order.len; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        if (!quantizable(ctx, g, n) || out_axis(g, n) < 0 || track_of[n->in[0]])
            continue;
        memset(&t[nt], 0, sizeof t[nt]);
        t[nt].v = n->in[0];
        t[nt].hist = arena_array(ctx->scratch, uint64_t, NBINS);
        memset(t[nt].hist, 0, sizeof(uint64_t) * NBINS);
        track_of[n->in[0]] = ++nt;
    }
    if (!nt) {
        vec_push(ctx->perm, &ctx->remarks,
                 "quantize: no Conv, Gemm or MatMul with float weights to quantize");
        return LW_OK;
    }
    Program *p = NULL;
    uint32_t *vb = NULL;
    void **mem = NULL;
    TRY(lower_all(ctx, &p, &vb));
    TRY(interp_bufs(ctx, NULL, p, &mem));
    TRY(calibrate(ctx, p, vb, mem, t, nt, 0));
    TRY(calibrate(ctx, p, vb, mem, t, nt, 1));
    const char *method = ctx->opt->calib_method ? ctx->opt->calib_method : "minmax";
    for (uint32_t i = 0; i < nt; i++) {
        choose_range(&t[i], method);
        qparams(t[i].qlo, t[i].qhi, &t[i].scale, &t[i].zp);
    }
    TRY(measure_noise(ctx, p, vb, mem, t, nt));
    /* rewrite each node whose weight and input stay within the error budget; an
     * activation's Q/DQ pair is made once, for its first quantized reader */
    double budget = ctx->opt->quant_budget_db == 0 ? 20.0 : ctx->opt->quant_budget_db;
    ValueId *deq = arena_array(ctx->scratch, ValueId, nt);
    memset(deq, 0, sizeof(ValueId) * nt);
    uint32_t norder = g->order.len, nq = 0;
    for (uint32_t k = 0; k < norder; k++) {
        Node *n = graph_node(g, g->order.data[k]);
        if (!quantizable(ctx, g, n) || !track_of[n->in[0]])
            continue;
        uint32_t ti = track_of[n->in[0]] - 1;
        const Track *tr = &t[ti];
        QWeight qw;
        measure_weight(ctx, n, out_axis(g, n), &qw);
        double asqnr = tr->noise > 0 ? 10 * log10(tr->sig / tr->noise) : INFINITY;
        StrBuf sb;
        sb_init(&sb, ctx->perm);
        if (qw.sqnr < budget || asqnr < budget) {
            sb_printf(&sb, "quantize: node '%s' (%s) kept in float: SQNR of its %s ", n->loc.name,
                      n->op->name, qw.sqnr < budget ? "int8 weights" : "uint8 input");
            put_db(&sb, qw.sqnr < budget ? qw.sqnr : asqnr);
            sb_puts(&sb, " is below the budget of ");
            put_db(&sb, budget);
            vec_push(ctx->perm, &ctx->remarks, sb_cstr(&sb));
            continue;
        }
        if (!deq[ti])
            TRY(quantize_act(ctx, tr, &deq[ti]));
        TRY(quantize_weight(ctx, n, &qw));
        n->in[0] = deq[ti];
        nq++;
        sb_printf(&sb, "quantize: node '%s' (%s): int8 weights per output channel (SQNR ",
                  n->loc.name, n->op->name);
        put_db(&sb, qw.sqnr);
        sb_printf(&sb, "); input '%s' uint8, scale ", graph_value(g, tr->v)->name);
        sb_decf32(&sb, tr->scale);
        sb_printf(&sb, " zero point %u, range [", tr->zp);
        sb_decf32(&sb, (float)tr->qlo);
        sb_puts(&sb, ", ");
        sb_decf32(&sb, (float)tr->qhi);
        sb_printf(&sb, "] by %s over %u samples (SQNR ", method, ctx->calib->nsamples);
        put_db(&sb, asqnr);
        sb_puts(&sb, ")");
        vec_push(ctx->perm, &ctx->remarks, sb_cstr(&sb));
    }
    graph_recount(g);
    return graph_toposort(ctx, g);
}

const PassDef pass_quant_ptq = {"quant-ptq", PK_GRAPH, run,
                                "post-training int8 quantization from --calibration samples "
                                "(--quantize=int8)"};
