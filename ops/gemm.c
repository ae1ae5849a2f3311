/* Gemm (transA/transB, alpha/beta, broadcast C) and batched MatMul. */
#include <string.h>

#include "include/lwcc/lwcc.h"
#include "ir/kir_build.h"
#include "ops/families.h"
#include "ops/spatial.h"
#include "target/target.h"

typedef struct GemmAttrs {
    float alpha, beta;
    int64_t trans_a, trans_b;
} GemmAttrs;

static LwStatus gemm_import(Ctx *ctx, Node *n, const AttrList *al)
{
    GemmAttrs *a = arena_new(ctx->perm, GemmAttrs);
    TRY(attr_float(ctx, &n->loc, al, "alpha", 1.0f, &a->alpha));
    TRY(attr_float(ctx, &n->loc, al, "beta", 1.0f, &a->beta));
    TRY(attr_int(ctx, &n->loc, al, "transA", 0, &a->trans_a));
    TRY(attr_int(ctx, &n->loc, al, "transB", 0, &a->trans_b));
    if (attr_find(al, "broadcast")) { /* Gemm-6 and older */
        int64_t b;
        TRY(attr_int(ctx, &n->loc, al, "broadcast", 0, &b));
    }
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus gemm_infer(Ctx *ctx, Graph *g, Node *n)
{
    const GemmAttrs *at = n->attrs;
    const Value *a = op_in(g, n, 0), *b = op_in(g, n, 1);
    TRY(op_check_float(ctx, g, n, 0));
    TRY(op_check_same_type(ctx, g, n, 0, 1));
    if (a->shape.rank != 2 || b->shape.rank != 2)
        return diag_node(ctx, n, "A and B must be 2-D (ranks %u, %u)", a->shape.rank,
                         b->shape.rank);
    int64_t M = at->trans_a ? a->shape.dims[1] : a->shape.dims[0];
    int64_t K = at->trans_a ? a->shape.dims[0] : a->shape.dims[1];
    int64_t K2 = at->trans_b ? b->shape.dims[1] : b->shape.dims[0];
    int64_t N = at->trans_b ? b->shape.dims[0] : b->shape.dims[1];
    if (K != K2)
        return diag_node(ctx, n, "inner dimensions differ: A gives %lld, B %lld", (long long)K,
                         (long long)K2);
    int64_t d[2] = {M, N};
    Shape s = shape_make(2, d);
    if (op_has_in(n, 2)) {
        const Value *c = op_in(g, n, 2);
        Shape r;
        if (c->dtype != a->dtype || !shape_broadcast(&s, &c->shape, &r) || !shape_equal(&r, &s))
            return diag_node(ctx, n, "C does not broadcast to [%lld, %lld]", (long long)M,
                             (long long)N);
    }
    return op_set_output(ctx, g, n, 0, a->dtype, &s);
}

/* B as [K, N] for the k-outer form: a constant B with transB is transposed
 * here, once, into a weight in the layout the loop reads (prepacked; the same
 * elements in B's own dtype). Returns the buffer, or UINT32_MAX when B is
 * computed and transposed. */
static uint32_t gemm_b_kn(KBuilder *kb, const Node *n, int trans_b)
{
    const Value *b = op_in(kb->g, n, 1);
    if (!trans_b)
        return kb_in(kb, 1);
    if (b->kind != VK_CONST)
        return UINT32_MAX;
    int64_t N = b->shape.dims[0], K = b->shape.dims[1];
    size_t es = dtype_size(b->dtype);
    uint32_t buf;
    unsigned char *t = kb_weight_new(kb, b->dtype, (uint64_t)(N * K), &buf);
    const unsigned char *src = b->data->bytes;
    for (int64_t nn = 0; nn < N; nn++)
        for (int64_t k = 0; k < K; k++)
            memcpy(&t[(size_t)(k * N + nn) * es], &src[(size_t)(nn * K + k) * es], es);
    return buf;
}

/* Register-blocked float32 matrix product, for targets with vectors at -O2: y[m, n]
 * in tiles of MR rows by NRV vectors of VL lanes along n, whose sums stay in MR * NRV
 * vector locals across the whole k loop; each k loads NRV vectors of B[k, n..] and
 * broadcasts MR elements of A. Then alpha and the C term are applied to the sums and
 * they are stored: into y, or (with fused elementwise nodes) into a small tile of
 * scratch copied out through the epilogue, or into y with the epilogue then applied
 * there in place when the scratch does not fit the node's budget. N tails: a tile of
 * the whole vectors left, then single vectors of half, a quarter ... of the lanes
 * (down to 4), then scalars; M tails: a last block of fewer rows. Column tiles are
 * the outer loop, so a tile's panel of B is reused from cache by every row block. */
typedef struct GemmBlk {
    int64_t M, N, K, MR, NRV, VL, T;
    int64_t am, ak; /* A's strides along m and k */
    int64_t cm, cn; /* C's strides along m and n (0 where broadcast) */
    float alpha, beta;
    int has_c, c_first; /* c_first: the sums start from beta * C (alpha 1) */
    uint32_t ab, bb, yb, cb;
    uint32_t yt;           /* tile scratch [MR][T], or UINT32_MAX: stored in y */
    /* bpanel: B prepacked in column panels (gemm_b_panels): the first bfull columns as
     * [bfull / T][K][T], each tile's panel contiguous, the rest as [K][N - bfull] */
    int bpanel;
    int64_t bfull;
    KIndex a0, b0, y0, c0; /* the batch's first elements of A, B [K, N], y, C */
    /* dot: A is a DequantizeLinear of int8/uint8 (one scale xsc, zero point xzp) and B's
     * values are int8 again (quant_int_weights: wq [N][K], wsc [N]), on a target with
     * int8 dot products: the sums are int32, four k at a time, of A's integers plus
     * xoff (the dot product's uint8: apk [M][K4 * 4], a copy when K % 4, else A's
     * own bytes, int8 ones flipped as loaded) and B packed as [N / VL][K4][VL][4] (bq);
     * each starts at zc[n] (the zero point's share) and leaves as float(sum) * sc[n] */
    int dot, flip;
    DType bdt; /* the dot product's bytes of A: uint8 (VNNI) or int8 (sdot) */
    int64_t K4;
    int32_t xzp, xoff;
    float xsc;
    const int8_t *wq;
    const float *wsc;
    uint32_t apk, bq, zc, sc;
} GemmBlk;

/* B (constant, [K, N], or [N, K] with trans_b) prepacked in column panels for GemmBlk
 * gb (its tile T set): [N / T][K][T], then the last N % T columns as [K][N % T], so a
 * tile streams one contiguous panel instead of T columns of rows N apart (a batch-1
 * fully connected layer reads its weights once, from memory: a contiguous stream
 * keeps the prefetchers ahead). Sets gb->bpanel and gb->bfull; the buffer. */
static uint32_t gemm_b_panels(KBuilder *kb, const Node *n, int trans_b, GemmBlk *gb)
{
    const Value *b = op_in(kb->g, n, 1);
    int64_t K = gb->K, N = gb->N, T = gb->T, full = N / T * T, nt = N - full;
    const float *src = (const float *)b->data->bytes;
    uint32_t buf;
    float *d = kb_weight_new(kb, DT_FLOAT32, (uint64_t)(N * K), &buf);
    for (int64_t k = 0; k < K; k++)
        for (int64_t c = 0; c < N; c++) {
            float v = trans_b ? src[c * K + k] : src[k * N + c];
            if (c < full)
                d[(c / T * K + k) * T + c % T] = v;
            else
                d[full * K + k * nt + (c - full)] = v;
        }
    gb->bpanel = 1;
    gb->bfull = full;
    return buf;
}

/* The tile for a product y [M, N] = A [M, K] x B [K, N] of float32 with nepi fused
 * nodes: 0 when the blocked form does not apply (no vectors, not -O2, no scratch
 * budget, N under 4 lanes). */
static int gemm_blk_plan(const Ctx *ctx, const KBuilder *kb, int64_t M, int64_t N, GemmBlk *gb)
{
    const Target *t = ctx->target;
    if (!t || t->vbytes < 16 || !ctx->opt || ctx->opt->opt != LW_O2 || !kb->scratch_budget ||
        N < 4 || M < 1)
        return 0;
    memset(gb, 0, sizeof *gb);
    gb->M = M;
    gb->N = N;
    gb->VL = t->vbytes / 4;
    if (gb->VL > 16)
        gb->VL = 16;
    gb->MR = M < t->f32.mr ? M : t->f32.mr;
    /* the target's tile; fewer rows: wider, up to 4 vectors, and 8 for one row (a batch-1
     * fully connected layer streams B once, and 8 independent FMA chains keep up with
     * it: measured 11.5 -> 9 us on mlperf_fc_autoencoder) */
    int64_t cap = M == 1 ? 8 : 4;
    gb->NRV = M < t->f32.mr ? cap : t->f32.nr / gb->VL;
    if (gb->NRV > cap)
        gb->NRV = cap;
    while (gb->NRV > 1 && gb->MR * gb->NRV + gb->NRV + 1 > t->nvregs)
        gb->NRV--;
    if (gb->NRV < 1)
        gb->NRV = 1;
    gb->T = gb->NRV * gb->VL;
    gb->yt = UINT32_MAX;
    return 1;
}

/* Does any of node n's inputs in mask (bit i: input i) have its value computed at each
 * load (KBuilder.at_load), so that it cannot be read as vectors? */
static int gemm_any_at_load(const KBuilder *kb, const Node *n, unsigned mask)
{
    for (uint16_t i = 0; i < n->nin; i++)
        if ((mask >> i & 1u) && n->in[i] && kb->at_load && kb->at_load[n->in[i]])
            return 1;
    return 0;
}

/* Bytes of the tile scratch, rounded as memplan rounds. */
static uint64_t gemm_blk_tile_bytes(const GemmBlk *gb)
{
    return ((uint64_t)(gb->MR * gb->T * 4) + 15) & ~(uint64_t)15;
}

/* beta * C at row m, column n: `lanes` consecutive columns (a vector, or one element
 * broadcast when C does not vary along n). */
static KExpr *gemm_blk_cterm(KBuilder *kb, const GemmBlk *gb, KIndex m, KIndex n, uint8_t lanes)
{
    KIndex ci = gb->c0;
    kidx_add_index(&ci, &m, gb->cm);
    kidx_add_index(&ci, &n, gb->cn);
    KExpr *c;
    if (lanes > 1 && gb->cn == 1)
        c = kb_vload(kb, gb->cb, ci, lanes);
    else {
        c = kb_load(kb, gb->cb, ci);
        if (lanes > 1)
            c = kb_splat(kb, c, lanes);
    }
    if (gb->beta != 1.0f) {
        KExpr *b = kb_const_f(kb, DT_FLOAT32, gb->beta);
        c = kb_op(kb, KOP_MUL, c, lanes > 1 ? kb_splat(kb, b, lanes) : b);
    }
    return c;
}

/* The int32 sums of a tile of GemmBlk.dot into new locals acc (whole vectors of VL). */
static void gemm_blk_sums_dot(KBuilder *kb, const GemmBlk *gb, KIndex m0, int64_t mr, KIndex n0,
                              int64_t nv, uint8_t lanes, uint16_t *acc)
{
    LW_ASSERT(lanes == gb->VL);
    KType it = {DT_INT32, lanes};
    for (int64_t i = 0; i < mr; i++)
        for (int64_t j = 0; j < nv; j++) {
            KIndex zi = kidx_const(j * lanes);
            kidx_add_index(&zi, &n0, 1);
            acc[i * nv + j] = kb_local(kb, it);
            kb_set(kb, acc[i * nv + j], kb_vload_i32(kb, gb->zc, zi, lanes));
        }
    uint16_t vk = kb_for(kb, gb->K4);
    for (int64_t i = 0; i < mr; i++) {
        KDotArg a = {gb->apk, kidx_const(i * gb->K4 * 4), 1, gb->flip};
        kidx_add_index(&a.idx, &m0, gb->K4 * 4);
        kidx_add(&a.idx, vk, 4);
        for (int64_t j = 0; j < nv; j++) {
            KDotArg b = {gb->bq, kidx_const(j * lanes * gb->K4 * 4), 0};
            kidx_add_index(&b.idx, &n0, gb->K4 * 4);
            kidx_add(&b.idx, vk, lanes * 4);
            kb_set(kb, acc[i * nv + j], kb_dot4(kb, kb_var(kb, acc[i * nv + j]), a, b));
        }
    }
    kb_endfor(kb); /* k / 4 */
}

/* One tile: rows m0 .. m0 + mr - 1, nv vectors of `lanes` lanes (1: scalars) from
 * column n0. */
static void gemm_blk_tile(KBuilder *kb, const GemmBlk *gb, KIndex m0, int64_t mr, KIndex n0,
                          int64_t nv, uint8_t lanes)
{
    KType vt = {DT_FLOAT32, lanes};
    uint16_t acc[64], bv[8];
    LW_ASSERT(mr * nv <= 64 && nv <= 8);
    if (gb->dot) {
        gemm_blk_sums_dot(kb, gb, m0, mr, n0, nv, lanes, acc);
        goto out;
    }
    for (int64_t i = 0; i < mr * nv; i++)
        acc[i] = kb_local(kb, vt);
    for (int64_t j = 0; j < nv; j++)
        bv[j] = kb_local(kb, vt);
    for (int64_t i = 0; i < mr; i++)
        for (int64_t j = 0; j < nv; j++) {
            KIndex m = m0, n = n0;
            m.base += i;
            n.base += j * lanes;
            KExpr *z = kb_const_f(kb, DT_FLOAT32, 0);
            if (gb->c_first)
                z = gemm_blk_cterm(kb, gb, m, n, lanes);
            else if (lanes > 1)
                z = kb_splat(kb, z, lanes);
            kb_set(kb, acc[i * nv + j], z);
        }
    uint16_t vk = kb_for(kb, gb->K);
    for (int64_t j = 0; j < nv; j++) {
        KIndex bi = gb->b0;
        int64_t ks = gb->N;
        if (gb->bpanel && n0.n) { /* a whole tile (n0: the tile loop's T * t): its panel */
            kidx_add_index(&bi, &n0, gb->K);
            ks = gb->T;
        } else if (gb->bpanel) { /* a tail, n0 constant: the columns past the panels */
            bi.base += gb->bfull * gb->K + n0.base - gb->bfull;
            ks = gb->N - gb->bfull;
        } else {
            kidx_add_index(&bi, &n0, 1);
        }
        bi.base += j * lanes;
        kidx_add(&bi, vk, ks);
        kb_set(kb, bv[j], lanes > 1 ? kb_vload(kb, gb->bb, bi, lanes) : kb_load(kb, gb->bb, bi));
    }
    for (int64_t i = 0; i < mr; i++) {
        KIndex ai = gb->a0;
        kidx_add_index(&ai, &m0, gb->am);
        ai.base += i * gb->am;
        kidx_add(&ai, vk, gb->ak);
        kb_fma_row(kb, &acc[i * nv], kb_load(kb, gb->ab, ai), bv, nv);
    }
    kb_endfor(kb); /* k */
out:;
    /* alpha and the C term, then the sums out: to the tile scratch or to y */
    int scratch = gb->yt != UINT32_MAX;
    for (int64_t i = 0; i < mr; i++)
        for (int64_t j = 0; j < nv; j++) {
            KIndex m = m0, n = n0;
            m.base += i;
            n.base += j * lanes;
            KExpr *r = kb_var(kb, acc[i * nv + j]);
            if (gb->dot) { /* float(sum) * sc[n] */
                KIndex si = kidx_const(0);
                kidx_add_index(&si, &n, 1);
                r = kb_op(kb, KOP_MUL, kb_cast(kb, DT_FLOAT32, r), kb_vload(kb, gb->sc, si, lanes));
            }
            if (gb->alpha != 1.0f) {
                KExpr *al = kb_const_f(kb, DT_FLOAT32, gb->alpha);
                r = kb_op(kb, KOP_MUL, r, lanes > 1 ? kb_splat(kb, al, lanes) : al);
            }
            if (gb->has_c && !gb->c_first)
                r = kb_op(kb, KOP_ADD, r, gemm_blk_cterm(kb, gb, m, n, lanes));
            KIndex yi = gb->y0;
            if (scratch)
                yi = kidx_const(i * gb->T + j * lanes);
            else {
                kidx_add_index(&yi, &m, gb->N);
                kidx_add_index(&yi, &n, 1);
            }
            kb_store(kb, scratch ? gb->yt : gb->yb, yi, r);
        }
    if (!kb->nepi)
        return;
    if (scratch) { /* each row through the epilogue from the scratch, in vectors if it can */
        uint16_t vi = kb_for(kb, mr);
        KIndex yi = gb->y0, si = kidx_const(0);
        kidx_add_index(&yi, &m0, gb->N);
        kidx_add(&yi, vi, gb->N);
        kidx_add_index(&yi, &n0, 1);
        kidx_add(&si, vi, gb->T);
        kb_store_out_run(kb, gb->yb, yi, gb->yt, si, nv * lanes, lanes);
        kb_endfor(kb);
        return;
    }
    uint16_t vi = kb_for(kb, mr), vq = kb_for(kb, nv * lanes);
    KIndex yi = gb->y0, si = kidx_const(0);
    kidx_add_index(&yi, &m0, gb->N);
    kidx_add(&yi, vi, gb->N);
    kidx_add_index(&yi, &n0, 1);
    kidx_add(&yi, vq, 1);
    kidx_add(&si, vi, gb->T);
    kidx_add(&si, vq, 1);
    kb_store_out(kb, gb->yb, yi, scratch ? kb_load(kb, gb->yt, si) : kb_load(kb, gb->yb, yi));
    kb_endfor_n(kb, 2);
}

/* Every row block of the columns n0 .. n0 + nv * lanes - 1. */
static void gemm_blk_rows(KBuilder *kb, const GemmBlk *gb, KIndex n0, int64_t nv, uint8_t lanes)
{
    int64_t nfull = gb->M / gb->MR, mt = gb->M % gb->MR;
    if (nfull) {
        uint16_t vm = kb_for(kb, nfull);
        KIndex m0 = kidx_const(0);
        kidx_add(&m0, vm, gb->MR);
        gemm_blk_tile(kb, gb, m0, gb->MR, n0, nv, lanes);
        kb_endfor(kb);
    }
    if (mt)
        gemm_blk_tile(kb, gb, kidx_const(nfull * gb->MR), mt, n0, nv, lanes);
}

/* The whole product of one batch: column tiles, then the tails. */
static void gemm_blk_emit(KBuilder *kb, const GemmBlk *gb)
{
    int64_t nfull = gb->N / gb->T;
    if (nfull) {
        uint16_t vt = kb_for(kb, nfull);
        KIndex n0 = kidx_const(0);
        kidx_add(&n0, vt, gb->T);
        gemm_blk_rows(kb, gb, n0, gb->NRV, (uint8_t)gb->VL);
        kb_endfor(kb);
    }
    int64_t n = nfull * gb->T, nvt = (gb->N - n) / gb->VL;
    if (nvt) {
        gemm_blk_rows(kb, gb, kidx_const(n), nvt, (uint8_t)gb->VL);
        n += nvt * gb->VL;
    }
    for (int64_t l = gb->VL / 2; l >= 4; l /= 2)
        if (gb->N - n >= l) {
            gemm_blk_rows(kb, gb, kidx_const(n), 1, (uint8_t)l);
            n += l;
        }
    if (gb->N > n)
        gemm_blk_rows(kb, gb, kidx_const(n), gb->N - n, 1);
}

/* GemmBlk.dot when it applies to y [M, N] = A [M, K] (not transposed, of one batch) x
 * b (constant, [K, N], or [N, K] with trans): a target with VNNI (N a whole number of
 * 16 or 8 lanes; A's bytes as uint8) or AArch64's sdot (4 lanes; as int8), and the copy
 * of A with the tile scratch within the budget. Sets the tile's lanes and the weights'
 * integers. */
static void gemm_blk_dot_plan(const Ctx *ctx, KBuilder *kb, const Node *n, GemmBlk *gb,
                              const Value *b, int trans)
{
    const Target *t = ctx->target;
    float xsc;
    int32_t xzp;
    const Node *dq = kb->at_load ? kb->at_load[n->in[0]] : NULL;
    DType bdt = DT_UNDEFINED;
    int32_t xoff = 0;
    int isa = dq ? quant_dot_bytes(t, op_in(kb->g, dq, 0)->dtype, &bdt, &xoff) : 0;
    int vnni = isa == 1, sdot = isa == 2;
    if (!isa || !quant_dq_tensor(kb->g, dq, &xsc, &xzp) || gb->ak != 1 ||
        (vnni ? gb->N % 16 && gb->N % 8 : gb->N % 4 || gb->VL != 4) ||
        !quant_int_weights(kb->a, b, trans ? gb->N : gb->K, trans ? gb->K : gb->N, !trans, &gb->wq,
                           &gb->wsc))
        return;
    int64_t vl = sdot ? 4 : gb->N % 16 || t->vbytes < 64 ? 8 : 16;
    GemmBlk d = *gb;
    d.VL = vl;
    d.T = d.NRV * vl;
    d.K4 = (d.K + 3) / 4;
    d.xoff = xoff;
    d.bdt = bdt;
    int copy = d.K % 4 != 0;
    uint64_t bytes = (kb->nepi ? gemm_blk_tile_bytes(&d) : 0) +
                     (copy ? ((uint64_t)(d.M * d.K4 * 4) + 15) & ~(uint64_t)15 : 0);
    if (bytes > kb->scratch_budget[n->out[0]])
        return;
    d.dot = 1;
    d.xsc = xsc;
    d.xzp = xzp;
    d.c_first = 0; /* C is added to the float sums */
    d.apk = copy ? 1 : 0;
    d.flip = d.xoff && !copy;
    *gb = d;
}

/* GemmBlk.dot's tables and A's bytes, after kb_begin (A's buffer: the DequantizeLinear's
 * integers, copied as uint8 plus xoff, k padded with the zero point, when apk is set). */
static void gemm_blk_dot_setup(KBuilder *kb, const Node *n, GemmBlk *gb)
{
    int64_t N = gb->N, K = gb->K, K4 = gb->K4, VL = gb->VL;
    int8_t *bq = kb_weight_new(kb, DT_INT8, (uint64_t)(N * K4 * 4), &gb->bq);
    int32_t *zc = kb_weight_new(kb, DT_INT32, (uint64_t)N, &gb->zc);
    float *sc = kb_weight_new(kb, DT_FLOAT32, (uint64_t)N, &gb->sc);
    for (int64_t c = 0; c < N; c++)
        for (int64_t k = 0; k < K; k++)
            bq[((c / VL * K4 + k / 4) * VL + c % VL) * 4 + k % 4] = gb->wq[c * K + k];
    quant_dot_tables(gb->wq, gb->wsc, N, K, gb->xzp + gb->xoff, gb->xsc, zc, sc);
    const Node *dq = kb->at_load[n->in[0]];
    uint32_t raw = kb_buf(kb, dq->in[0]);
    if (!gb->apk) {
        gb->apk = raw;
        return;
    }
    gb->apk = kb_scratch(kb, gb->bdt, (uint64_t)(gb->M * K4 * 4));
    uint16_t vm = kb_for(kb, gb->M), vk = kb_for(kb, K);
    KIndex src = kidx_const(0), dst = kidx_const(0);
    kidx_add(&src, vm, K);
    kidx_add(&src, vk, 1);
    kidx_add(&dst, vm, K4 * 4);
    kidx_add(&dst, vk, 1);
    kb_store(kb, gb->apk, dst,
             kb_cast(kb, gb->bdt,
                     kb_op(kb, KOP_ADD, kb_cast(kb, DT_INT32, kb_load(kb, raw, src)),
                           kb_const_i(kb, DT_INT32, gb->xoff))));
    kb_endfor(kb);
    if (K4 * 4 > K) { /* k past K: the zero point, whose products the start takes off */
        uint16_t vp = kb_for(kb, K4 * 4 - K);
        KIndex pi = kidx_const(K);
        kidx_add(&pi, vm, K4 * 4);
        kidx_add(&pi, vp, 1);
        kb_store(kb, gb->apk, pi, kb_const_i(kb, gb->bdt, gb->xzp + gb->xoff));
        kb_endfor(kb);
    }
    kb_endfor(kb);
}

/* y is float32, or integers from a fused QuantizeLinear (then the sums must go through
 * the tile scratch and the epilogue: the caller checks that the scratch fits). */
static int gemm_blk_y_ok(const KBuilder *kb, const Node *n)
{
    const Value *y = op_out(kb->g, n, 0);
    return y->dtype == DT_FLOAT32 || (n->nepi && dtype_is_int(y->dtype));
}

/* The tile scratch when there is an epilogue and it fits the node's budget. */
static void gemm_blk_scratch(KBuilder *kb, const Node *n, GemmBlk *gb)
{
    if (kb->nepi && gemm_blk_tile_bytes(gb) <= kb->scratch_budget[n->out[0]])
        gb->yt = kb_scratch(kb, DT_FLOAT32, (uint64_t)(gb->MR * gb->T));
}

/* Gemm through the blocked form, when it applies: float32, B readable as [K, N]
 * (not transposed, or constant and transposed here), no input computed at load but
 * A. Returns 0 (nothing emitted) when it does not apply. */
static int gemm_lower_blocked(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const GemmAttrs *at = n->attrs;
    const Value *a = op_in(kb->g, n, 0), *b = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    GemmBlk gb;
    if (a->dtype != DT_FLOAT32 || !gemm_blk_y_ok(kb, n) || op_acc_dtype(kb->g, n) != DT_FLOAT32 ||
        (at->trans_b && b->kind != VK_CONST) || gemm_any_at_load(kb, n, 6u) ||
        !gemm_blk_plan(ctx, kb, y->shape.dims[0], y->shape.dims[1], &gb) ||
        (y->dtype != DT_FLOAT32 && gemm_blk_tile_bytes(&gb) > kb->scratch_budget[n->out[0]]))
        return 0;
    gb.K = at->trans_a ? a->shape.dims[0] : a->shape.dims[1];
    gb.am = at->trans_a ? 1 : gb.K;
    gb.ak = at->trans_a ? gb.M : 1;
    gb.alpha = at->alpha;
    gb.beta = at->beta;
    gb.has_c = op_has_in(n, 2) && at->beta != 0.0f;
    gb.c_first = gb.has_c && at->alpha == 1.0f;
    gb.a0 = gb.b0 = gb.y0 = gb.c0 = kidx_const(0);
    gemm_blk_dot_plan(ctx, kb, n, &gb, b, (int)at->trans_b);
    kb_begin(kb, n, NULL);
    kb_schedule(kb, "register-blocked GEMM");
    if (gb.dot)
        gemm_blk_dot_setup(kb, n, &gb);
    else {
        gb.ab = kb_in(kb, 0);
        gb.bb = b->kind == VK_CONST && b->dtype == DT_FLOAT32
                    ? gemm_b_panels(kb, n, (int)at->trans_b, &gb)
                    : gemm_b_kn(kb, n, (int)at->trans_b);
    }
    gb.yb = kb_out(kb, 0);
    if (gb.has_c) {
        int64_t cs[LW_MAX_RANK];
        shape_bcast_strides(&op_in(kb->g, n, 2)->shape, &y->shape, cs);
        gb.cb = kb_in(kb, 2);
        gb.cm = cs[0];
        gb.cn = cs[1];
    }
    gemm_blk_scratch(kb, n, &gb);
    gemm_blk_emit(kb, &gb);
    kb_end(kb);
    return 1;
}

int gemm_lower_conv_point(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const Value *x = op_in(kb->g, n, 0), *w = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    GemmBlk gb;
    if (x->dtype != DT_FLOAT32 || w->dtype != DT_FLOAT32 || w->kind != VK_CONST ||
        x->shape.rank < 3 || !gemm_blk_y_ok(kb, n) || op_acc_dtype(kb->g, n) != DT_FLOAT32 ||
        gemm_any_at_load(kb, n, 6u) || (op_has_in(n, 2) && op_in(kb->g, n, 2)->dtype != DT_FLOAT32))
        return 0;
    /* x, w and y over a single position: every spatial extent 1 */
    for (uint8_t i = 2; i < x->shape.rank; i++)
        if (x->shape.dims[i] != 1 || w->shape.dims[i] != 1 || y->shape.dims[i] != 1)
            return 0;
    int64_t nb = x->shape.dims[0], c = x->shape.dims[1], m = w->shape.dims[0];
    if (w->shape.dims[1] != c || y->shape.dims[1] != m || !gemm_blk_plan(ctx, kb, nb, m, &gb) ||
        (y->dtype != DT_FLOAT32 && gemm_blk_tile_bytes(&gb) > kb->scratch_budget[n->out[0]]))
        return 0;
    gb.K = c;
    gb.am = c;
    gb.ak = 1;
    gb.alpha = gb.beta = 1.0f;
    gb.has_c = gb.c_first = op_has_in(n, 2);
    gb.a0 = gb.b0 = gb.y0 = gb.c0 = kidx_const(0);
    kb_begin(kb, n, NULL);
    kb_schedule(kb, "register-blocked GEMM, a pointwise conv over one position");
    gb.ab = kb_in(kb, 0);
    /* w [M, C] as [C, M]; in column panels for one row */
    gb.bb = nb == 1 ? gemm_b_panels(kb, n, 1, &gb) : gemm_b_kn(kb, n, 1);
    gb.yb = kb_out(kb, 0);
    if (gb.has_c) { /* the bias along the output channels, the same for every row */
        gb.cb = kb_in(kb, 2);
        gb.cm = 0;
        gb.cn = 1;
    }
    gemm_blk_scratch(kb, n, &gb);
    gemm_blk_emit(kb, &gb);
    kb_end(kb);
    return 1;
}

/* y[m, :] = beta*C (or 0); for k: y[m, :] += A[m,k] * B[k, :]; then alpha and the
 * epilogue in one pass when needed. The inner loop is unit-stride in y and B. A
 * half-type y is storage only: each row sums in a float32 row of kernel scratch,
 * rounded once in the final pass. */
static LwStatus gemm_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    if (gemm_lower_blocked(ctx, kb, n))
        return LW_OK;
    const GemmAttrs *at = n->attrs;
    const Value *a = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int64_t M = y->shape.dims[0], N = y->shape.dims[1];
    int64_t K = at->trans_a ? a->shape.dims[0] : a->shape.dims[1];
    DType ct = op_acc_dtype(kb->g, n);
    int half = ct != y->dtype; /* stored in another type: sums in a scratch row */
    kb_begin(kb, n, NULL);
    kb_schedule(kb, "rows of y");
    uint32_t bkn = gemm_b_kn(kb, n, (int)at->trans_b);
    uint32_t ab = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint32_t accb = half ? kb_scratch(kb, ct, (uint64_t)N) : yb; /* the sums */
    int64_t srow = half ? 0 : N;                                 /* their row stride */
    int has_c = op_has_in(n, 2) && at->beta != 0.0f;
    int64_t cs[LW_MAX_RANK];
    if (has_c)
        shape_bcast_strides(&op_in(kb->g, n, 2)->shape, &y->shape, cs);
    uint16_t vm = kb_for(kb, M);
    /* the C term: added at the start when alpha is 1, else in the final pass */
    int c_first = has_c && at->alpha == 1.0f;
    uint16_t v0 = kb_for(kb, N);
    KIndex y0 = kidx_const(0);
    kidx_add(&y0, vm, srow);
    kidx_add(&y0, v0, 1);
    KExpr *init = kb_const_f(kb, ct, 0);
    if (c_first) {
        uint16_t vars[2] = {vm, v0};
        init = kb_load(kb, kb_in(kb, 2), kidx_rowmajor(vars, cs, 2, 0));
        if (at->beta != 1.0f)
            init = kb_op(kb, KOP_MUL, init, kb_const_f(kb, ct, at->beta));
    }
    kb_store(kb, accb, y0, init);
    kb_endfor(kb);
    uint16_t vk = kb_for(kb, K);
    KIndex ai = kidx_const(0);
    kidx_add(&ai, vm, at->trans_a ? 1 : K);
    kidx_add(&ai, vk, at->trans_a ? M : 1);
    uint16_t vn = kb_for(kb, N);
    KIndex yi = kidx_const(0);
    kidx_add(&yi, vm, srow);
    kidx_add(&yi, vn, 1);
    KExpr *bv;
    if (bkn != UINT32_MAX) {
        KIndex bi = kidx_const(0);
        kidx_add(&bi, vk, N);
        kidx_add(&bi, vn, 1);
        bv = kb_load(kb, bkn, bi);
    } else { /* computed B, transposed: strided reads */
        KIndex bi = kidx_const(0);
        kidx_add(&bi, vk, 1);
        kidx_add(&bi, vn, K);
        bv = kb_load(kb, kb_in(kb, 1), bi);
    }
    kb_store(kb, accb, yi, kb_op3(kb, KOP_FMA, kb_load(kb, ab, ai), bv, kb_load(kb, accb, yi)));
    kb_endfor_n(kb, 2);
    int final = at->alpha != 1.0f || (has_c && !c_first) || kb->nepi || half;
    if (final) {
        uint16_t vf = kb_for(kb, N);
        KIndex yf = kidx_const(0), sf = kidx_const(0);
        kidx_add(&yf, vm, N);
        kidx_add(&yf, vf, 1);
        kidx_add(&sf, vm, srow);
        kidx_add(&sf, vf, 1);
        KExpr *r = kb_load(kb, accb, sf);
        if (at->alpha != 1.0f)
            r = kb_op(kb, KOP_MUL, r, kb_const_f(kb, ct, at->alpha));
        if (has_c && !c_first) {
            uint16_t vars[2] = {vm, vf};
            KExpr *cv = kb_load(kb, kb_in(kb, 2), kidx_rowmajor(vars, cs, 2, 0));
            if (at->beta != 1.0f)
                cv = kb_op(kb, KOP_MUL, cv, kb_const_f(kb, ct, at->beta));
            r = kb_op(kb, KOP_ADD, r, cv);
        }
        kb_store_out(kb, yb, yf, r);
        kb_endfor(kb);
    }
    kb_endfor(kb);
    kb_end(kb);
    return LW_OK;
}

/* MatMul: numpy matmul semantics (1-D operands promoted, batch dims broadcast). */
static void matmul_dims(const Shape *a, const Shape *b, Shape *pa, Shape *pb)
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

static LwStatus matmul_infer(Ctx *ctx, Graph *g, Node *n)
{
    const Value *a = op_in(g, n, 0), *b = op_in(g, n, 1);
    if (!dtype_is_floatlike(a->dtype) && !dtype_is_int(a->dtype))
        return diag_node(ctx, n,
                         "input 0 of type %s is not supported (float32, float64, float16, "
                         "bfloat16, integers)",
                         dtype_name(a->dtype));
    TRY(op_check_same_type(ctx, g, n, 0, 1));
    if (a->shape.rank == 0 || b->shape.rank == 0)
        return diag_node(ctx, n, "MatMul operands must have rank >= 1");
    Shape pa, pb;
    matmul_dims(&a->shape, &b->shape, &pa, &pb);
    int64_t K = pa.dims[pa.rank - 1];
    if (pb.dims[pb.rank - 2] != K)
        return diag_node(ctx, n, "inner dimensions differ: %lld and %lld", (long long)K,
                         (long long)pb.dims[pb.rank - 2]);
    Shape ba = pa, bbs = pb, batch;
    ba.rank = (uint8_t)(pa.rank - 2);
    bbs.rank = (uint8_t)(pb.rank - 2);
    if (!shape_broadcast(&ba, &bbs, &batch))
        return diag_node(ctx, n, "batch dimensions do not broadcast");
    Shape s = batch;
    if (a->shape.rank != 1)
        s.dims[s.rank++] = pa.dims[pa.rank - 2];
    if (b->shape.rank != 1)
        s.dims[s.rank++] = pb.dims[pb.rank - 1];
    return op_set_output(ctx, g, n, 0, a->dtype, &s);
}

/* The batch loops of a MatMul, opened, and the first elements of its batch of A, B and
 * y (row-major, broadcast batch dims read again). */
static void matmul_batch(KBuilder *kb, const Shape *pa, const Shape *pb, Shape *batch, KIndex *a0,
                         KIndex *b0, KIndex *y0)
{
    int64_t M = pa->dims[pa->rank - 2], K = pa->dims[pa->rank - 1], N = pb->dims[pb->rank - 1];
    Shape ba = *pa, bbs = *pb;
    ba.rank = (uint8_t)(pa->rank - 2);
    bbs.rank = (uint8_t)(pb->rank - 2);
    shape_broadcast(&ba, &bbs, batch);
    int64_t sa[LW_MAX_RANK], sb[LW_MAX_RANK], bs[LW_MAX_RANK];
    /* batch strides of A and B in matrices, broadcast dims 0 */
    shape_bcast_strides(&ba, batch, sa);
    shape_bcast_strides(&bbs, batch, sb);
    shape_strides(batch, bs);
    uint16_t bv[LW_MAX_RANK];
    kb_for_shape(kb, batch, bv);
    *a0 = kidx_rowmajor(bv, sa, batch->rank, 0);
    *b0 = kidx_rowmajor(bv, sb, batch->rank, 0);
    *y0 = kidx_rowmajor(bv, bs, batch->rank, 0);
    /* scaled to elements */
    for (uint8_t i = 0; i < a0->n; i++)
        a0->coef[i] *= M * K;
    for (uint8_t i = 0; i < b0->n; i++)
        b0->coef[i] *= K * N;
    for (uint8_t i = 0; i < y0->n; i++)
        y0->coef[i] *= M * N;
}

/* y[.., m, :] = 0; for k: y[.., m, :] += A[.., m, k] * B[.., k, :]; or the blocked form
 * for float32 when it applies (B not computed at load). A half-type y is storage only:
 * each row sums in a float32 row of kernel scratch, rounded once. */
static LwStatus matmul_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    const Value *a = op_in(kb->g, n, 0), *b = op_in(kb->g, n, 1), *y = op_out(kb->g, n, 0);
    DType dt = op_acc_dtype(kb->g, n);
    int half = dt != y->dtype; /* stored in another type: a scratch row */
    Shape pa, pb, batch;
    matmul_dims(&a->shape, &b->shape, &pa, &pb);
    if (pb.rank == 2 && pa.rank > 2) { /* one B for every batch: A's rows are one matrix */
        for (uint8_t i = 0; i + 2 < pa.rank; i++)
            pa.dims[pa.rank - 2] *= pa.dims[i];
        pa.dims[0] = pa.dims[pa.rank - 2];
        pa.dims[1] = pa.dims[pa.rank - 1];
        pa.rank = 2;
    }
    int64_t M = pa.dims[pa.rank - 2], K = pa.dims[pa.rank - 1], N = pb.dims[pb.rank - 1];
    GemmBlk gb;
    memset(&gb, 0, sizeof gb);
    /* B computed at each load (the DequantizeLinear of an int8 activation: attention's
     * K and V) is copied once per batch into float32 scratch, when that fits with the
     * tile scratch, and the blocked form reads it there (tiny_encoder_qdq's products of
     * two activations were loop nests converting B at every multiply-add) */
    int bload = gemm_any_at_load(kb, n, 2u);
    uint64_t bbytes = ((uint64_t)(K * N) * 4 + 15) & ~(uint64_t)15;
    int blocked = a->dtype == DT_FLOAT32 && gemm_blk_y_ok(kb, n) && dt == DT_FLOAT32 &&
                  gemm_blk_plan(ctx, kb, M, N, &gb);
    if (blocked) {
        uint64_t need = bload ? bbytes : 0, tile = gemm_blk_tile_bytes(&gb);
        if (y->dtype != DT_FLOAT32 || (bload && kb->nepi))
            need += tile;
        blocked = (!bload || b->kind != VK_CONST) && need <= kb->scratch_budget[n->out[0]];
    }
    if (blocked && pa.rank == 2 && pb.rank == 2 && b->kind == VK_CONST) {
        gb.K = K;
        gb.ak = 1;
        gemm_blk_dot_plan(ctx, kb, n, &gb, b, 0);
    }
    /* one constant B for the whole batch: prepacked in its tiles' panels */
    int panels =
        blocked && !gb.dot && pb.rank == 2 && b->kind == VK_CONST && b->dtype == DT_FLOAT32;
    kb_begin(kb, n, NULL);
    kb_schedule(kb, blocked ? "register-blocked GEMM" : "rows of y");
    uint32_t abuf = gb.dot ? 0 : kb_in(kb, 0), bbuf = gb.dot || panels ? 0 : kb_in(kb, 1);
    uint32_t yb = kb_out(kb, 0);
    KIndex ab, bb, yb0;
    matmul_batch(kb, &pa, &pb, &batch, &ab, &bb, &yb0);
    if (gb.dot)
        gemm_blk_dot_setup(kb, n, &gb);
    if (blocked) {
        gb.K = K;
        gb.am = K;
        gb.ak = 1;
        gb.alpha = gb.beta = 1.0f;
        gb.ab = abuf;
        gb.bb = panels ? gemm_b_panels(kb, n, 0, &gb) : bbuf;
        if (bload) { /* B's matrix of this batch, dequantized */
            uint32_t bs = kb_scratch(kb, DT_FLOAT32, (uint64_t)(K * N));
            uint16_t vk = kb_for(kb, K * N);
            KIndex si = kidx_const(0), bi = bb;
            kidx_add(&si, vk, 1);
            kidx_add(&bi, vk, 1);
            kb_store(kb, bs, si, kb_load(kb, bbuf, bi));
            kb_endfor(kb);
            gb.bb = bs;
            bb = kidx_const(0);
        }
        gb.yb = yb;
        gb.a0 = ab;
        gb.b0 = bb;
        gb.y0 = yb0;
        gemm_blk_scratch(kb, n, &gb);
        gemm_blk_emit(kb, &gb);
        kb_endfor_n(kb, batch.rank);
        kb_end(kb);
        return LW_OK;
    }
    uint16_t vm = kb_for(kb, M);
    kidx_add(&yb0, vm, N);
    uint32_t accb = half ? kb_scratch(kb, dt, (uint64_t)N) : yb; /* the sums */
    KIndex acc0 = half ? kidx_const(0) : yb0;
    uint16_t v0 = kb_for(kb, N);
    KIndex y0 = acc0;
    kidx_add(&y0, v0, 1);
    kb_store(kb, accb, y0, kb_const_i(kb, dt, 0));
    kb_endfor(kb);
    uint16_t vk = kb_for(kb, K);
    KIndex ai = ab;
    kidx_add(&ai, vm, K);
    kidx_add(&ai, vk, 1);
    uint16_t vn = kb_for(kb, N);
    KIndex bi = bb, yi = acc0;
    kidx_add(&bi, vk, N);
    kidx_add(&bi, vn, 1);
    kidx_add(&yi, vn, 1);
    KExpr *acc;
    if (dtype_is_float(dt))
        acc = kb_op3(kb, KOP_FMA, kb_load(kb, abuf, ai), kb_load(kb, bbuf, bi),
                     kb_load(kb, accb, yi));
    else
        acc = kb_op(kb, KOP_ADD, kb_load(kb, accb, yi),
                    kb_op(kb, KOP_MUL, kb_load(kb, abuf, ai), kb_load(kb, bbuf, bi)));
    kb_store(kb, accb, yi, acc);
    kb_endfor_n(kb, 2);
    if (kb->nepi || half)
        kb_store_out_run(kb, yb, yb0, accb, acc0, N, 1);
    kb_endfor_n(kb, 1 + batch.rank);
    kb_end(kb);
    return LW_OK;
}

/* Gemm as a linear map of A's rows: B is [N, K] with transB, else [K, N]. */
static int gemm_matrix(const Graph *g, const Node *n, uint64_t *out, uint64_t *in, int *tr)
{
    const GemmAttrs *at = n->attrs;
    const Value *b = op_in(g, n, 1);
    if (at->trans_a || at->alpha != 1.0f || b->kind != VK_CONST || b->dtype != DT_FLOAT32)
        return 0;
    *tr = !at->trans_b;
    *out = (uint64_t)b->shape.dims[at->trans_b ? 0 : 1];
    *in = (uint64_t)b->shape.dims[at->trans_b ? 1 : 0];
    return 1;
}

/* MatMul with a constant 2-D B: y = x B, B stored [K, N]. */
static int matmul_matrix(const Graph *g, const Node *n, uint64_t *out, uint64_t *in, int *tr)
{
    const Value *b = op_in(g, n, 1);
    if (b->kind != VK_CONST || b->dtype != DT_FLOAT32 || b->shape.rank != 2)
        return 0;
    *tr = 1;
    *out = (uint64_t)b->shape.dims[1];
    *in = (uint64_t)b->shape.dims[0];
    return 1;
}

static int rows_same_window(const Node *a, const Node *b)
{
    (void)a;
    (void)b;
    return 1; /* plain matrix products read every input row alike */
}

static int rows_pointwise(const Node *n)
{
    (void)n;
    return 1;
}

/* Gemm adds beta * C: plain when beta is 1 and C, if given, is one row [N] or [1, N]. */
static int gemm_plain_bias(const Graph *g, const Node *n)
{
    const GemmAttrs *at = n->attrs;
    if (at->beta != 1.0f)
        return 0;
    if (n->nin < 3 || !n->in[2])
        return 1;
    const Value *c = graph_value(g, n->in[2]);
    return c->shape.rank == 1 || (c->shape.rank == 2 && c->shape.dims[0] == 1);
}

/* Rows of A (every leading dim of MatMul's A) are the positions; column k reads
 * element k of the row. */
static int rows_geometry(Arena *a, const Graph *g, const Node *n, LinGeom *geo)
{
    const Value *x = op_in(g, n, 0), *y = op_out(g, n, 0);
    if (x->shape.rank < 2 || y->shape.rank != x->shape.rank)
        return 0;
    int64_t K = x->shape.dims[x->shape.rank - 1], N = y->shape.dims[y->shape.rank - 1];
    memset(geo, 0, sizeof *geo);
    geo->rank = x->shape.rank;
    geo->npos = 1;
    geo->pos_extent[0] = (int64_t)(shape_count(&x->shape) / (uint64_t)(K ? K : 1));
    geo->pos_x[0] = K;
    geo->pos_y[0] = N;
    geo->y_chan = 1;
    geo->col = arena_array(a, int64_t, (size_t)(K ? K : 1));
    for (int64_t k = 0; k < K; k++)
        geo->col[k] = k;
    return 1;
}

static const OpLinear gemm_linear = {1, 2, 255, gemm_matrix, rows_same_window, rows_pointwise,
                                     gemm_plain_bias, rows_geometry};
static const OpLinear matmul_linear = {1, 255, 255, matmul_matrix, rows_same_window,
                                       rows_pointwise, NULL, rows_geometry};

const OpDef ops_gemm[] = {
    {"", "Gemm", 1, LW_OPSET_MAX, 2, 3, 1, 1, FC_OUT_FUSABLE, OPF_LOADS_PLAIN, gemm_import, gemm_infer,
     gemm_lower, NULL, NULL, &gemm_linear, NULL},
    {"", "MatMul", 1, LW_OPSET_MAX, 2, 2, 1, 1, FC_OUT_FUSABLE, OPF_LOADS_PLAIN, op_no_attrs, matmul_infer,
     matmul_lower, NULL, NULL, &matmul_linear, NULL},
};
const uint32_t ops_gemm_count = LW_COUNT(ops_gemm);
