/* Gemm (transA/transB, alpha/beta, broadcast C) and batched MatMul. */
#include <string.h>

#include "ir/kir_build.h"
#include "ops/families.h"

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
    unsigned char *t = arena_must(arena_alloc_array(kb->ctx->scratch, (size_t)(N * K), es));
    const unsigned char *src = b->data->bytes;
    for (int64_t nn = 0; nn < N; nn++)
        for (int64_t k = 0; k < K; k++)
            memcpy(&t[(size_t)(k * N + nn) * es], &src[(size_t)(nn * K + k) * es], es);
    return kb_weight(kb, b->dtype, t, (uint64_t)(N * K));
}

/* y[m, :] = beta*C (or 0); for k: y[m, :] += A[m,k] * B[k, :]; then alpha and the
 * epilogue in one pass when needed. The inner loop is unit-stride in y and B. A
 * half-type y is storage only: each row sums in a float32 row of kernel scratch,
 * rounded once in the final pass. */
static LwStatus gemm_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const GemmAttrs *at = n->attrs;
    const Value *a = op_in(kb->g, n, 0), *y = op_out(kb->g, n, 0);
    int64_t M = y->shape.dims[0], N = y->shape.dims[1];
    int64_t K = at->trans_a ? a->shape.dims[0] : a->shape.dims[1];
    DType ct = op_acc_dtype(kb->g, n);
    int half = ct != y->dtype; /* stored in another type: sums in a scratch row */
    kb_begin(kb, n, NULL);
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

/* y[.., m, :] = 0; for k: y[.., m, :] += A[.., m, k] * B[.., k, :]. A half-type y is
 * storage only: each row sums in a float32 row of kernel scratch, rounded once. */
static LwStatus matmul_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const Value *a = op_in(kb->g, n, 0), *b = op_in(kb->g, n, 1);
    DType dt = op_acc_dtype(kb->g, n);
    int half = dt != op_out(kb->g, n, 0)->dtype; /* stored in another type: a scratch row */
    Shape pa, pb;
    matmul_dims(&a->shape, &b->shape, &pa, &pb);
    int64_t M = pa.dims[pa.rank - 2], K = pa.dims[pa.rank - 1], N = pb.dims[pb.rank - 1];
    Shape ba = pa, bbs = pb, batch;
    ba.rank = (uint8_t)(pa.rank - 2);
    bbs.rank = (uint8_t)(pb.rank - 2);
    shape_broadcast(&ba, &bbs, &batch);
    int64_t sa[LW_MAX_RANK], sb[LW_MAX_RANK];
    /* batch strides of A and B in elements, broadcast dims 0 */
    Shape bam = ba, bbm = bbs;
    shape_bcast_strides(&bam, &batch, sa);
    shape_bcast_strides(&bbm, &batch, sb);
    kb_begin(kb, n, NULL);
    uint32_t abuf = kb_in(kb, 0), bbuf = kb_in(kb, 1), yb = kb_out(kb, 0);
    uint16_t bv[LW_MAX_RANK];
    kb_for_shape(kb, &batch, bv);
    KIndex ab = kidx_rowmajor(bv, sa, batch.rank, 0), bb = kidx_rowmajor(bv, sb, batch.rank, 0);
    /* batch strides above count matrices; scale to elements */
    for (uint8_t i = 0; i < ab.n; i++)
        ab.coef[i] *= M * K;
    for (uint8_t i = 0; i < bb.n; i++)
        bb.coef[i] *= K * N;
    int64_t bs[LW_MAX_RANK];
    shape_strides(&batch, bs);
    KIndex yb0 = kidx_rowmajor(bv, bs, batch.rank, 0);
    for (uint8_t i = 0; i < yb0.n; i++)
        yb0.coef[i] *= M * N;
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
    if (kb->nepi || half) {
        uint16_t vf = kb_for(kb, N);
        KIndex yf = yb0, sf = acc0;
        kidx_add(&yf, vf, 1);
        kidx_add(&sf, vf, 1);
        kb_store_out(kb, yb, yf, kb_load(kb, accb, sf));
        kb_endfor(kb);
    }
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
