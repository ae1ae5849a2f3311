/* Sparse weights: a linear op (OpLinear with a geometry) whose constant weight is
 * mostly zeros, stored as its nonzeros only and run over them (pass sparse-weights
 * decides and picks the form; see passes/sparse_weights.c).
 *
 * Storage: output channel m's nonzeros, row after row: values[] (float32) and cols[]
 * (the input offset each reads, relative to an output position's base, in the
 * narrowest unsigned type that holds them). Two forms run them:
 *
 * - per row (-O2, faster): constant-bound loops, one per output channel over that
 *   channel's nonzeros, inside the output-position loops; the code grows with the
 *   channel count:
 *
 *     for each position p:
 *       acc = bias[0]; for j < nnz[0]: acc += values[j] * x[base(p) + cols[j]]; y[0, p] = acc
 *       acc = bias[1]; for j < nnz[1]: ...
 *
 * - CSR (NF_SPARSE_CSR, -Os): plus a row-pointer table rowptr[out + 1] (row m's
 *   nonzeros are [rowptr[m], rowptr[m+1]), in the narrowest unsigned type that holds
 *   nnz), one loop over the channels and inside it one loop whose trip count is read
 *   from the table (a kernel-IR dyn loop, bounded by the longest row): the same code
 *   whatever the channel count:
 *
 *     for each position p: for m < out:
 *       acc = bias[m]
 *       for j < clamp(rowptr[m+1] - rowptr[m], 0, maxrow):
 *         acc += values[rowptr[m] + j] * x[base(p) + cols[rowptr[m] + j]]
 *       y[m, p] = acc
 *
 * The column offsets address input 0 with a zero border (the op's pads) when it has
 * one: a padded copy in kernel scratch, so no load needs a guard. Every data-dependent
 * load is KE_LOADX, clamped, so kir_verify still proves every access in bounds. */
#include <string.h>

#include "ir/kir_build.h"
#include "ops/op.h"

int sparse_measure(Arena *a, const Graph *g, const Node *n, SparseInfo *si)
{
    const OpLinear *lin = n->op ? n->op->linear : NULL;
    memset(si, 0, sizeof *si);
    if (!lin || !lin->geometry || n->nout != 1)
        return 0;
    uint64_t out, in;
    int tr;
    if (!lin->matrix(g, n, &out, &in, &tr) || (lin->plain_bias && !lin->plain_bias(g, n)))
        return 0;
    if (lin->bias_in != 255 && op_has_in(n, lin->bias_in)) {
        const Value *b = op_in(g, n, lin->bias_in);
        if (b->kind != VK_CONST || b->dtype != DT_FLOAT32 || shape_count(&b->shape) != out)
            return 0;
    }
    LinGeom *geo = &si->geo;
    if (!lin->geometry(a, g, n, geo))
        return 0;
    const float *w = (const float *)(const void *)op_in(g, n, lin->weight_in)->data->bytes;
    int64_t maxcol = 0;
    for (uint64_t k = 0; k < in; k++)
        maxcol = geo->col[k] > maxcol ? geo->col[k] : maxcol;
    si->out = out;
    si->in = in;
    si->tr = tr;
    si->maxcol = maxcol;
    for (uint64_t m = 0; m < out; m++) {
        uint64_t row = 0;
        for (uint64_t k = 0; k < in; k++)
            row += w[tr ? k * out + m : m * in + k] != 0;
        si->nnz += row;
        si->maxrow = row > si->maxrow ? row : si->maxrow;
    }
    si->col_type = maxcol < 256 ? DT_UINT8 : maxcol < 65536 ? DT_UINT16 : DT_INT32;
    si->bytes = si->nnz * (4 + dtype_size(si->col_type));
    si->ptr_type = si->nnz < 256 ? DT_UINT8 : si->nnz < 65536 ? DT_UINT16 : DT_INT32;
    si->ptr_bytes = (out + 1) * dtype_size(si->ptr_type);
    for (int d = 0; d < geo->rank; d++)
        si->padded |= geo->pad_lo[d] || geo->pad_hi[d];
    return 1;
}

/* A copy of x (shape s) in scratch with the zero border of geo. */
static uint32_t padded_copy(KBuilder *kb, uint32_t xb, const Shape *s, const LinGeom *geo)
{
    Shape ps = *s;
    for (int d = 0; d < s->rank; d++)
        ps.dims[d] += geo->pad_lo[d] + geo->pad_hi[d];
    uint64_t np = shape_count(&ps);
    uint32_t pb = kb_scratch(kb, DT_FLOAT32, np);
    uint16_t vz = kb_for(kb, (int64_t)np);
    KIndex zi = kidx_const(0);
    kidx_add(&zi, vz, 1);
    kb_store(kb, pb, zi, kb_const_f(kb, DT_FLOAT32, 0));
    kb_endfor(kb);
    int64_t xs[LW_MAX_RANK], pst[LW_MAX_RANK];
    shape_strides(s, xs);
    shape_strides(&ps, pst);
    uint16_t vars[LW_MAX_RANK];
    kb_for_shape(kb, s, vars);
    int64_t base = 0;
    for (int d = 0; d < s->rank; d++)
        base += geo->pad_lo[d] * pst[d];
    kb_store(kb, pb, kidx_rowmajor(vars, pst, s->rank, base),
             kb_load(kb, xb, kidx_rowmajor(vars, xs, s->rank, 0)));
    kb_endfor_n(kb, s->rank);
    return pb;
}

/* v as a table element of `size` bytes (uint8, uint16, or int32 above 16 bits). */
static void put_small(unsigned char *at, size_t size, uint64_t v)
{
    uint32_t v32 = (uint32_t)v;
    uint16_t v16 = (uint16_t)v32;
    uint8_t v8 = (uint8_t)v32;
    const void *src = size == 1 ? (const void *)&v8 : (const void *)&v16;
    memcpy(at, size == 4 ? (const void *)&v32 : src, size);
}

/* Opens the output-position loops; *xi and *yi get a position's input base and output
 * index. */
static void open_positions(KBuilder *kb, const LinGeom *geo, KIndex *xi, KIndex *yi)
{
    *xi = kidx_const(0);
    *yi = kidx_const(0);
    for (uint8_t p = 0; p < geo->npos; p++) {
        uint16_t v = kb_for(kb, geo->pos_extent[p]);
        kidx_add(xi, v, geo->pos_x[p]);
        kidx_add(yi, v, geo->pos_y[p]);
    }
}

/* The per-row form: one constant-bound loop per output channel. */
static void lower_rows(KBuilder *kb, const SparseInfo *si, const Value *bias, uint32_t xb,
                       uint32_t yb, uint32_t vb, uint32_t cb, const uint64_t *start)
{
    const LinGeom *geo = &si->geo;
    uint16_t acc = kb_local(kb, ktype(DT_FLOAT32));
    KIndex xi, yi;
    open_positions(kb, geo, &xi, &yi);
    for (uint64_t m = 0; m < si->out; m++) {
        float b = 0;
        if (bias)
            memcpy(&b, bias->data->bytes + m * 4, 4);
        kb_set(kb, acc, kb_const_f(kb, DT_FLOAT32, b));
        if (start[m + 1] > start[m]) {
            uint16_t vj = kb_for(kb, (int64_t)(start[m + 1] - start[m]));
            KIndex ji = kidx_const((int64_t)start[m]);
            kidx_add(&ji, vj, 1);
            KExpr *xv = kb_loadx(kb, xb, xi, kb_load(kb, cb, ji), 1, si->maxcol + 1);
            kb_set(kb, acc, kb_op3(kb, KOP_FMA, kb_load(kb, vb, ji), xv, kb_var(kb, acc)));
            kb_endfor(kb);
        }
        KIndex ym = yi;
        ym.base += (int64_t)m * geo->y_chan;
        kb_store_out(kb, yb, ym, kb_var(kb, acc));
    }
    kb_endfor_n(kb, geo->npos);
}

/* rowptr[m + d] as int32 (m: the channel loop's variable) */
static KExpr *row_ptr(KBuilder *kb, uint32_t pb, uint16_t m, int64_t d)
{
    KIndex ix = kidx_const(d);
    kidx_add(&ix, m, 1);
    return kb_cast(kb, DT_INT32, kb_load(kb, pb, ix));
}

/* The CSR form: one loop over the channels, one dyn loop over a row's nonzeros; bb is the
 * bias table or UINT32_MAX. */
static void lower_csr(KBuilder *kb, const SparseInfo *si, uint32_t bb, uint32_t xb, uint32_t yb,
                      uint32_t vb, uint32_t cb, uint32_t pb)
{
    const LinGeom *geo = &si->geo;
    uint16_t acc = kb_local(kb, ktype(DT_FLOAT32));
    KIndex xi, yi;
    open_positions(kb, geo, &xi, &yi);
    uint16_t m = kb_for(kb, (int64_t)si->out);
    KIndex mi = kidx_const(0);
    kidx_add(&mi, m, 1);
    kb_set(kb, acc, bb != UINT32_MAX ? kb_load(kb, bb, mi) : kb_const_f(kb, DT_FLOAT32, 0));
    if (si->maxrow) {
        KExpr *len = kb_op(kb, KOP_SUB, row_ptr(kb, pb, m, 1), row_ptr(kb, pb, m, 0));
        uint16_t j = kb_for_dyn(kb, (int64_t)si->maxrow, len);
        KIndex ji = kidx_const(0);
        kidx_add(&ji, j, 1);
        int64_t nnz = (int64_t)si->nnz;
        KExpr *at = kb_op(kb, KOP_ADD, row_ptr(kb, pb, m, 0), kb_idx(kb, DT_INT32, ji));
        KExpr *col = kb_loadx(kb, cb, kidx_const(0), at, 1, nnz);
        KExpr *xv = kb_loadx(kb, xb, xi, col, 1, si->maxcol + 1);
        KExpr *at2 = kb_op(kb, KOP_ADD, row_ptr(kb, pb, m, 0), kb_idx(kb, DT_INT32, ji));
        KExpr *wv = kb_loadx(kb, vb, kidx_const(0), at2, 1, nnz);
        kb_set(kb, acc, kb_op3(kb, KOP_FMA, wv, xv, kb_var(kb, acc)));
        kb_endfor(kb);
    }
    KIndex ym = yi;
    kidx_add(&ym, m, geo->y_chan);
    kb_store_out(kb, yb, ym, kb_var(kb, acc));
    kb_endfor(kb);
    kb_endfor_n(kb, geo->npos);
}

LwStatus sparse_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const Graph *g = kb->g;
    const OpLinear *lin = n->op->linear;
    SparseInfo si;
    if (!sparse_measure(kb->a, g, n, &si))
        LW_ICE("node '%s' was made sparse but can't be", n->loc.name);
    uint64_t out = si.out, in = si.in;
    int tr = si.tr;
    const LinGeom *geo = &si.geo;
    const Value *x = op_in(g, n, 0);
    const float *w = (const float *)(const void *)op_in(g, n, lin->weight_in)->data->bytes;
    const Value *bias = lin->bias_in != 255 && op_has_in(n, lin->bias_in)
                            ? op_in(g, n, lin->bias_in)
                            : NULL;
    /* the nonzeros, row after row; start[m]: row m's first */
    uint64_t nnz = si.nnz;
    float *vals = arena_array(kb->a, float, nnz ? nnz : 1);
    size_t cs = dtype_size(si.col_type);
    unsigned char *cols = arena_array(kb->a, unsigned char, (nnz ? nnz : 1) * cs);
    uint64_t *start = arena_array(kb->a, uint64_t, out + 1);
    uint64_t j = 0;
    for (uint64_t m = 0; m < out; m++) {
        start[m] = j;
        for (uint64_t k = 0; k < in; k++) {
            float v = w[tr ? k * out + m : m * in + k];
            if (v == 0)
                continue;
            vals[j] = v;
            put_small(cols + j * cs, cs, (uint64_t)geo->col[k]);
            j++;
        }
    }
    start[out] = j;
    kb_begin(kb, n, NULL);
    uint32_t xb = kb_in(kb, 0), yb = kb_out(kb, 0);
    uint32_t vb = kb_weight(kb, DT_FLOAT32, vals, nnz ? nnz : 1);
    uint32_t cb = kb_weight(kb, si.col_type, cols, nnz ? nnz : 1);
    int csr = (n->flags & NF_SPARSE_CSR) != 0;
    uint32_t pb = UINT32_MAX, bb = UINT32_MAX;
    if (csr) {
        /* the row pointers; the bias as a table (the per-row form has it in the code) */
        size_t ps = dtype_size(si.ptr_type);
        unsigned char *ptr = arena_array(kb->a, unsigned char, (out + 1) * ps);
        for (uint64_t m = 0; m <= out; m++)
            put_small(ptr + m * ps, ps, start[m]);
        pb = kb_weight(kb, si.ptr_type, ptr, out + 1);
        if (bias)
            bb = kb_in(kb, lin->bias_in);
    }
    if (si.padded)
        xb = padded_copy(kb, xb, &x->shape, geo);
    if (csr)
        lower_csr(kb, &si, bb, xb, yb, vb, cb, pb);
    else
        lower_rows(kb, &si, bias, xb, yb, vb, cb, start);
    kb_end(kb);
    return LW_OK;
}
