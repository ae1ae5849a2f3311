/* KBuilder: helpers ops use to lower nodes into kernels. */
#include "ir/kir_build.h"

#include <math.h>
#include <string.h>

#include "codegen/cname.h"
#include "include/lwcc/lwcc.h"
#include "ops/op.h"
#include "target/target.h"

void kb_init(KBuilder *kb, Ctx *ctx, Program *p, const Graph *g, uint32_t *val_buf)
{
    memset(kb, 0, sizeof *kb);
    kb->ctx = ctx;
    kb->a = ctx->perm;
    kb->prog = p;
    kb->g = g;
    kb->val_buf = val_buf;
}

static int is_half(DType dt)
{
    return dt == DT_FLOAT16 || dt == DT_BFLOAT16;
}

static KStmt *new_stmt(KBuilder *kb, KStmtKind kind)
{
    KStmt *s = arena_new(kb->a, KStmt);
    s->kind = kind;
    return s;
}

static KStmt *seq_of(KBuilder *kb, int d)
{
    KStmt *s = new_stmt(kb, KS_SEQ);
    s->u.seq.items = kb->open[d].data;
    s->u.seq.n = kb->open[d].len;
    return s;
}

static void emit(KBuilder *kb, KStmt *s)
{
    vec_push(kb->a, &kb->open[kb->depth], s);
}

void kb_begin(KBuilder *kb, const Node *n, const char *what)
{
    LW_ASSERT(!kb->k);
    Kernel k;
    memset(&k, 0, sizeof k);
    StrBuf sb;
    sb_init(&sb, kb->a);
    sb_printf(&sb, "k%u_", kb->nkernels++);
    cname_ident(&sb, n->loc.name && *n->loc.name ? n->loc.name : n->loc.op_type, 40);
    if (what) {
        sb_putc(&sb, '_');
        sb_puts(&sb, what);
    }
    k.cname = sb_cstr(&sb);
    k.origin = (NodeId)(n - kb->g->nodes.data);
    k.fused = n->epi;
    k.nfused = n->nepi;
    vec_push(kb->a, &kb->prog->kernels, k);
    kb->k = &kb->prog->kernels.data[kb->prog->kernels.len - 1];
    kb->node = n;
    kb->depth = 0;
    memset(&kb->open[0], 0, sizeof kb->open[0]);
}

void kb_schedule(KBuilder *kb, const char *name)
{
    LW_ASSERT(kb->k);
    kb->k->schedule = name;
}

void kb_end(KBuilder *kb)
{
    LW_ASSERT(kb->k && kb->depth == 0);
    Kernel *k = &kb->prog->kernels.data[kb->prog->kernels.len - 1];
    k->locals = kb->k->locals;
    k->body = seq_of(kb, 0);
    kb->k = NULL;
}

uint32_t kb_buf(KBuilder *kb, ValueId v)
{
    LW_ASSERT(v != 0);
    if (kb->val_buf[v])
        return kb->val_buf[v] - 1;
    const Value *val = graph_value(kb->g, v);
    uint64_t n = shape_count(&val->shape);
    uint32_t b;
    if (val->kind == VK_CONST) {
        b = kir_add_weight(kb->a, kb->prog, val->dtype, val->data->bytes, val->data->size, n, v);
    } else {
        b = kir_add_buf(kb->a, kb->prog, KB_ARENA, val->dtype, n, v);
    }
    kb->val_buf[v] = b + 1;
    return b;
}

uint32_t kb_in(KBuilder *kb, uint16_t i)
{
    LW_ASSERT(i < kb->node->nin && kb->node->in[i]);
    return kb_buf(kb, kb->node->in[i]);
}

uint32_t kb_out(KBuilder *kb, uint16_t i)
{
    LW_ASSERT(i < kb->node->nout && kb->node->out[i]);
    return kb_buf(kb, kb->node->out[i]);
}

/* Whether reading value v reads buf: held in it, or computed at the load (OpDef.at_load)
 * from a value that reads it. */
static int reads_buf(const KBuilder *kb, ValueId v, uint32_t buf, int depth)
{
    if (!v)
        return 0;
    if (kb->val_buf[v] == buf + 1)
        return 1;
    const Node *at = kb->at_load ? kb->at_load[v] : NULL;
    if (!at || depth > 16)
        return at != NULL; /* too deep: assume it does */
    for (uint16_t i = 0; i < at->nin; i++)
        if (reads_buf(kb, at->in[i], buf, depth + 1))
            return 1;
    return 0;
}

int kb_dies_at(KBuilder *kb, const Node *n, uint32_t buf, int epi)
{
    const Graph *g = kb->g;
    for (uint32_t i = 0; i < g->outputs.len; i++)
        if (reads_buf(kb, g->outputs.data[i], buf, 0))
            return 0;
    /* the node's own epilogue (a residual Add of the node's input) reads it after the
     * node's stores */
    for (uint16_t e = 0; !epi && e < n->nepi; e++) {
        const Node *r = graph_node(g, n->epi[e]);
        for (uint16_t i = 0; i < r->nin; i++)
            if (reads_buf(kb, r->in[i], buf, 0))
                return 0;
    }
    int after = 0;
    for (uint32_t k = 0; k < g->order.len; k++) {
        const Node *m = graph_node(g, g->order.data[k]);
        if (!after) {
            after = m == n;
            continue;
        }
        /* a value not yet assigned is made later from one that is, by a later node */
        for (uint16_t e = 0; e <= m->nepi; e++) {
            const Node *r = e ? graph_node(g, m->epi[e - 1]) : m;
            for (uint16_t i = 0; i < r->nin; i++)
                if (reads_buf(kb, r->in[i], buf, 0))
                    return 0;
        }
    }
    return after;
}

uint64_t kb_out_room(KBuilder *kb, const Node *n, uint32_t buf, int epi)
{
    const KBuf *b = &kb->prog->bufs.data[buf];
    ValueId yv = n->nout ? n->out[0] : 0;
    if (!yv || b->kind != KB_ARENA)
        return 0;
    const Value *y = graph_value(kb->g, yv);
    uint32_t yb = kb->val_buf[yv];
    if ((yb && kb->prog->bufs.data[yb - 1].kind != KB_ARENA) || y->dtype != b->dtype ||
        shape_count(&y->shape) != b->nelem || !kb_dies_at(kb, n, buf, epi))
        return 0;
    return (b->nelem * dtype_size(b->dtype) + 15) & ~(uint64_t)15;
}

uint32_t kb_scratch(KBuilder *kb, DType dt, uint64_t nelem)
{
    return kir_add_buf(kb->a, kb->prog, KB_ARENA, dt, nelem, 0);
}

uint32_t kb_weight(KBuilder *kb, DType dt, const void *bytes, uint64_t nelem)
{
    uint64_t size = nelem * dtype_size(dt);
    const unsigned char *copy = arena_memdup(kb->a, bytes, (size_t)size);
    return kir_add_weight(kb->a, kb->prog, dt, copy, size, nelem, 0);
}

void *kb_weight_new(KBuilder *kb, DType dt, uint64_t nelem, uint32_t *buf)
{
    uint64_t size = nelem * dtype_size(dt);
    unsigned char *w = arena_must(arena_alloc_array(kb->a, (size_t)nelem, dtype_size(dt)));
    *buf = kir_add_weight(kb->a, kb->prog, dt, w, size, nelem, 0);
    return w;
}

uint16_t kb_for(KBuilder *kb, int64_t extent)
{
    LW_ASSERT(kb->depth + 1 < KB_MAX_DEPTH);
    KStmt *s = new_stmt(kb, KS_FOR);
    s->u.loop.var = kb->k->nvars++;
    s->u.loop.extent = extent;
    emit(kb, s);
    kb->depth++;
    memset(&kb->open[kb->depth], 0, sizeof kb->open[0]);
    kb->open_stmt[kb->depth] = s;
    return s->u.loop.var;
}

uint16_t kb_for_dyn(KBuilder *kb, int64_t bound, KExpr *dyn)
{
    LW_ASSERT(dyn && dyn->type.lanes == 1 && dtype_is_int(dyn->type.dt));
    uint16_t v = kb_for(kb, bound);
    kb->open_stmt[kb->depth]->u.loop.dyn = dyn;
    return v;
}

void kb_endfor(KBuilder *kb)
{
    LW_ASSERT(kb->depth > 0 && kb->open_stmt[kb->depth]->kind == KS_FOR);
    kb->open_stmt[kb->depth]->u.loop.body = seq_of(kb, kb->depth);
    kb->depth--;
}

void kb_if(KBuilder *kb, const KCond *conds, uint8_t n)
{
    LW_ASSERT(kb->depth + 1 < KB_MAX_DEPTH);
    KStmt *s = new_stmt(kb, KS_IF);
    KCond *c = arena_array(kb->a, KCond, n ? n : 1);
    memcpy(c, conds, sizeof(KCond) * n);
    s->u.cond.cond = c;
    s->u.cond.ncond = n;
    emit(kb, s);
    kb->depth++;
    memset(&kb->open[kb->depth], 0, sizeof kb->open[0]);
    kb->open_stmt[kb->depth] = s;
}

void kb_endif(KBuilder *kb)
{
    LW_ASSERT(kb->depth > 0 && kb->open_stmt[kb->depth]->kind == KS_IF);
    kb->open_stmt[kb->depth]->u.cond.then = seq_of(kb, kb->depth);
    kb->depth--;
}

void kb_store(KBuilder *kb, uint32_t buf, KIndex idx, KExpr *val)
{
    DType bt = kb->prog->bufs.data[buf].dtype;
    if (is_half(bt) && val->type.dt != bt)
        val = kb_cast(kb, bt, val);
    KStmt *s = new_stmt(kb, KS_STORE);
    s->u.store.buf = buf;
    s->u.store.idx = idx;
    s->u.store.val = val;
    emit(kb, s);
}

/* A one-element constant as a literal (float32/64 and integer types), else a load. */
static KExpr *const_scalar(KBuilder *kb, ValueId v)
{
    const Value *c = graph_value(kb->g, v);
    const unsigned char *d = c->kind == VK_CONST && c->data ? c->data->bytes : NULL;
    if (d && c->data->size == dtype_size(c->dtype)) {
        if (c->dtype == DT_FLOAT32) {
            float f;
            memcpy(&f, d, 4);
            return kb_const_f(kb, DT_FLOAT32, f);
        }
        if (c->dtype == DT_FLOAT64) {
            double f;
            memcpy(&f, d, 8);
            return kb_const_f(kb, DT_FLOAT64, f);
        }
        if (dtype_is_int(c->dtype)) {
            int64_t i = 0;
            switch (c->dtype) {
            case DT_INT8: { int8_t x; memcpy(&x, d, 1); i = x; break; }
            case DT_UINT8: { uint8_t x; memcpy(&x, d, 1); i = x; break; }
            case DT_INT16: { int16_t x; memcpy(&x, d, 2); i = x; break; }
            case DT_UINT16: { uint16_t x; memcpy(&x, d, 2); i = x; break; }
            case DT_INT32: { int32_t x; memcpy(&x, d, 4); i = x; break; }
            case DT_UINT32: { uint32_t x; memcpy(&x, d, 4); i = x; break; }
            default: memcpy(&i, d, 8); break;
            }
            return kb_const_i(kb, c->dtype, i);
        }
    }
    return kb_load(kb, kb_buf(kb, v), kidx_const(0));
}

KExpr *kb_load_bcast(KBuilder *kb, uint32_t buf, const Shape *in, const Shape *out, KIndex idx)
{
    if (shape_equal(in, out))
        return kb_load(kb, buf, idx);
    int64_t bs[LW_MAX_RANK], os[LW_MAX_RANK];
    shape_bcast_strides(in, out, bs);
    shape_strides(out, os);
    KIndex r = kidx_const(0);
    int affine = 1;
    for (uint8_t d = 0; affine && d < out->rank; d++) {
        KIndex t;
        if (bs[d] == 0)
            continue;
        if (kb_index_divmod(kb, &idx, os[d], out->dims[d], &t))
            kidx_add_index(&r, &t, bs[d]);
        else
            affine = 0;
    }
    if (affine)
        return kb_load(kb, buf, r);
    /* int32, as every index of the generated code */
    KExpr *flat = kb_idx(kb, DT_INT32, idx), *dyn = NULL;
    for (uint8_t d = 0; d < out->rank; d++) {
        if (bs[d] == 0)
            continue;
        KExpr *q = kb_op(kb, KOP_MOD, kb_op(kb, KOP_DIV, flat, kb_const_i(kb, DT_INT32, os[d])),
                         kb_const_i(kb, DT_INT32, out->dims[d]));
        if (bs[d] != 1)
            q = kb_op(kb, KOP_MUL, q, kb_const_i(kb, DT_INT32, bs[d]));
        dyn = dyn ? kb_op(kb, KOP_ADD, dyn, q) : q;
    }
    if (!dyn)
        dyn = kb_const_i(kb, DT_INT32, 0);
    return kb_loadx(kb, buf, kidx_const(0), dyn, 1, (int64_t)shape_count(in));
}

/* The chain's values (the node's own, then each epilogue node's) that a later epilogue
 * node reads again (graph_epi_chain_value): reread[k] for value k. Returns how many of
 * the chain's values are tracked; 1 in *any when some value is read again. */
static uint32_t epi_rereads(const KBuilder *kb, ValueId *cv, uint8_t *reread, int *any)
{
    uint32_t ncv = kb->nepi < KB_MAX_EPI ? kb->nepi : KB_MAX_EPI;
    *any = 0;
    if (ncv) {
        cv[0] = kb->epi[0]->in[kb->epi_arg ? kb->epi_arg[0] : 0];
        for (uint32_t i = 0; i < ncv; i++)
            cv[i + 1] = kb->epi[i]->out[0];
        for (uint32_t i = 1; i < ncv; i++)
            for (uint16_t j = 0; j < kb->epi[i]->nin; j++)
                for (uint32_t k = 0; k < i && j != (kb->epi_arg ? kb->epi_arg[i] : 0); k++)
                    if (kb->epi[i]->in[j] && kb->epi[i]->in[j] == cv[k])
                        *any = reread[k] = 1;
    }
    return ncv;
}

/* The epilogue applied to val, the value of element idx; a value read again is kept in
 * a local (a statement: callers that must emit none check epi_rereads first). */
static KExpr *epi_apply(KBuilder *kb, KIndex idx, KExpr *val)
{
    ValueId cv[KB_MAX_EPI + 1];
    KExpr *ce[KB_MAX_EPI + 1];
    uint8_t reread[KB_MAX_EPI + 1] = {0};
    int any;
    uint32_t ncv = epi_rereads(kb, cv, reread, &any);
    for (uint32_t i = 0; i < kb->nepi; i++) {
        if (i < ncv) {
            if (reread[i]) {
                uint16_t l = kb_local(kb, val->type);
                kb_set(kb, l, val);
                val = kb_var(kb, l);
            }
            ce[i] = val;
        }
        const Node *e = kb->epi[i];
        uint8_t at = kb->epi_arg ? kb->epi_arg[i] : 0;
        KExpr *args[8] = {0};
        for (uint16_t j = 0; j < e->nin && j < 8; j++) {
            uint32_t k = 0;
            while (k < i && k < ncv && !(e->in[j] && e->in[j] == cv[k]))
                k++;
            if (j == at) {
                args[j] = val;
            } else if (k < i && k < ncv) {
                args[j] = ce[k]; /* an earlier value of the chain */
            } else if (e->in[j]) {
                /* a constant scalar inline, else a tensor broadcast to the output's
                 * shape, loaded at the element being stored */
                const Value *o = graph_value(kb->g, e->in[j]);
                const Value *y = graph_value(kb->g, e->out[0]);
                args[j] = shape_count(&o->shape) == 1
                              ? const_scalar(kb, e->in[j])
                              : kb_load_bcast(kb, kb_buf(kb, e->in[j]), &o->shape, &y->shape, idx);
            }
        }
        val = e->op->scalar(kb, e, args);
    }
    return val;
}

void kb_store_out(KBuilder *kb, uint32_t buf, KIndex idx, KExpr *val)
{
    kb_store(kb, buf, idx, epi_apply(kb, idx, val));
}

/* 1 when e has the same value for every element: constants and loads of one-element
 * buffers (scalar parameters), combined. (A load at an index without loop variables is
 * not enough: an epilogue input broadcast along the rows, r[n0] at a run's first
 * element, is r[n0 + q] at its q-th.) */
static int invariant(const KBuilder *kb, const KExpr *e)
{
    switch (e->kind) {
    case KE_CONST:
        return 1;
    case KE_LOAD:
        return kb->prog->bufs.data[e->u.load.buf].nelem == 1 && !e->u.load.nguard;
    case KE_OP:
        for (int i = 0; i < kop_info(e->u.op.op)->arity; i++)
            if (!invariant(kb, e->u.op.a[i]))
                return 0;
        return 1;
    case KE_CAST:
        return e->type.lanes == 1 && invariant(kb, e->u.cast.a);
    default:
        return 0;
    }
}

/* e, a scalar expression of element x, over L lanes: x replaced by xv (its L lanes),
 * what is the same for every element broadcast, float32 operations lane by lane, and at
 * the root a conversion to int8/uint8 for a narrowing store. NULL when some part has no
 * vector form. */
static KExpr *widen(KBuilder *kb, const KExpr *e, const KExpr *x, KExpr *xv, uint8_t L, int root)
{
    if (e == x)
        return xv;
    if (e->type.lanes != 1)
        return NULL;
    if (invariant(kb, e))
        return e->type.dt == DT_FLOAT32 ? kb_splat(kb, (KExpr *)e, L) : NULL;
    /* the narrowing store's lanes must hold integers in range: a clamp's (QuantizeLinear's
     * min(max(round(v) + zp, lo), hi)) */
    if (e->kind == KE_CAST && root && (e->type.dt == DT_INT8 || e->type.dt == DT_UINT8) &&
        e->u.cast.a->type.dt == DT_FLOAT32 && e->u.cast.a->kind == KE_OP &&
        (e->u.cast.a->u.op.op == KOP_MIN || e->u.cast.a->u.op.op == KOP_MAX)) {
        KExpr *a = widen(kb, e->u.cast.a, x, xv, L, 0);
        return a ? kb_cast(kb, e->type.dt, a) : NULL;
    }
    if (e->kind != KE_OP || e->type.dt != DT_FLOAT32)
        return NULL;
    KOp op = e->u.op.op;
    if (op != KOP_ADD && op != KOP_SUB && op != KOP_MUL && op != KOP_DIV && op != KOP_FMA &&
        op != KOP_MIN && op != KOP_MAX && op != KOP_ROUND)
        return NULL;
    KExpr *a[3] = {0};
    for (int i = 0; i < kop_info(op)->arity; i++)
        if (!(a[i] = widen(kb, e->u.op.a[i], x, xv, L, 0)))
            return NULL;
    return kb_op3(kb, op, a[0], a[1], a[2]);
}

/* The epilogue of element idx applied to x, then over the L lanes of xv (x's vector) */
static KExpr *out_vec(KBuilder *kb, KIndex idx, KExpr *x, KExpr *xv, uint8_t L)
{
    ValueId cv[KB_MAX_EPI + 1];
    uint8_t reread[KB_MAX_EPI + 1] = {0};
    int any;
    epi_rereads(kb, cv, reread, &any);
    return any ? NULL : widen(kb, epi_apply(kb, idx, x), x, xv, L, 1);
}

KExpr *kb_out_vec(KBuilder *kb, KIndex idx, uint32_t src, KIndex sidx, uint8_t L)
{
    if (!kb_vloadable(kb, src))
        return NULL;
    return out_vec(kb, idx, kb_load(kb, src, sidx), kb_vload(kb, src, sidx, L), L);
}

KExpr *kb_out_vec_local(KBuilder *kb, KIndex idx, uint16_t local)
{
    KType t = kb->k->locals[local];
    if (t.dt != DT_FLOAT32 || t.lanes < 2)
        return NULL;
    /* a lane of the local stands for the element (not a constant: that would be taken as
     * the same for every lane) */
    return out_vec(kb, idx, kb_lane(kb, local, 0), kb_var(kb, local), t.lanes);
}

int kb_out_vec_ok(KBuilder *kb, KIndex idx, uint8_t L)
{
    KType t = {DT_FLOAT32, L};
    uint16_t l = kb_local(kb, t);
    int ok = kb_out_vec_local(kb, idx, l) != NULL;
    if (kb->k->nlocals == l + 1u) /* the probe's expression is dropped, and its local */
        kb->k->nlocals--;
    return ok;
}

void kb_store_out_run(KBuilder *kb, uint32_t buf, KIndex y0, uint32_t src, KIndex s0, int64_t n,
                      uint8_t L)
{
    if (L > 1 && n >= L && kb_out_vec(kb, y0, src, s0, L)) {
        /* vectors of L, the last one ending at the run's end (overlapping the one before
         * it: those elements are stored twice, with the same value) */
        /* (what has a vector form does not depend on the element: see invariant) */
        uint16_t tail = 0;
        KIndex yt = y0, st = s0;
        yt.base += n - L;
        st.base += n - L;
        if (n % L && src == buf) {
            /* in place: the last vector is taken through the epilogue first, into a
             * local, from the elements as they are before the loop changes the ones it
             * shares with the vector before it (applying the epilogue twice), and stored
             * after the loop */
            tail = kb_local(kb, (KType){DT_FLOAT32, L});
            kb_set(kb, tail, kb_out_vec(kb, yt, src, st, L));
        }
        uint16_t v = kb_for(kb, n / L);
        KIndex yi = y0, si = s0;
        kidx_add(&yi, v, L);
        kidx_add(&si, v, L);
        KExpr *e = kb_out_vec(kb, yi, src, si, L);
        LW_ASSERT(e);
        kb_store(kb, buf, yi, e);
        kb_endfor(kb);
        if (n % L && src == buf) {
            kb_store(kb, buf, yt, kb_var(kb, tail));
        } else if (n % L) {
            e = kb_out_vec(kb, yt, src, st, L);
            LW_ASSERT(e);
            kb_store(kb, buf, yt, e);
        }
        return;
    }
    uint16_t v = kb_for(kb, n);
    KIndex yi = y0, si = s0;
    kidx_add(&yi, v, 1);
    kidx_add(&si, v, 1);
    kb_store_out(kb, buf, yi, kb_load(kb, src, si));
    kb_endfor(kb);
}

uint16_t kb_local(KBuilder *kb, KType t)
{
    Kernel *k = kb->k;
    KType *nl = arena_array(kb->a, KType, (size_t)k->nlocals + 1);
    if (k->nlocals)
        memcpy(nl, k->locals, sizeof(KType) * k->nlocals);
    nl[k->nlocals] = t;
    k->locals = nl;
    return k->nlocals++;
}

void kb_set(KBuilder *kb, uint16_t local, KExpr *val)
{
    KStmt *s = new_stmt(kb, KS_SET);
    s->u.set.local = local;
    s->u.set.val = val;
    emit(kb, s);
}

static KExpr *new_expr(KBuilder *kb, KExprKind kind, KType t)
{
    KExpr *e = arena_new(kb->a, KExpr);
    e->kind = kind;
    e->type = t;
    return e;
}

KExpr *kb_const_f(KBuilder *kb, DType dt, double v)
{
    KExpr *e = new_expr(kb, KE_CONST, ktype(dt));
    if (dtype_is_float(dt)) {
        e->u.c.f = dt == DT_FLOAT32 ? (double)(float)v : v;
    } else {
        e->u.c.i = (int64_t)v;
    }
    return e;
}

KExpr *kb_const_i(KBuilder *kb, DType dt, int64_t v)
{
    KExpr *e = new_expr(kb, KE_CONST, ktype(dt));
    if (dtype_is_float(dt))
        e->u.c.f = dt == DT_FLOAT32 ? (double)(float)v : (double)v;
    else
        e->u.c.i = v;
    return e;
}

static int64_t int_min(DType dt)
{
    switch (dtype_size(dt)) {
    case 1:
        return dtype_is_signed(dt) ? INT8_MIN : 0;
    case 2:
        return dtype_is_signed(dt) ? INT16_MIN : 0;
    case 4:
        return dtype_is_signed(dt) ? INT32_MIN : 0;
    default:
        return dtype_is_signed(dt) ? INT64_MIN : 0;
    }
}

static int64_t int_max(DType dt)
{
    switch (dtype_size(dt)) {
    case 1:
        return dt == DT_BOOL ? 1 : dtype_is_signed(dt) ? INT8_MAX : UINT8_MAX;
    case 2:
        return dtype_is_signed(dt) ? INT16_MAX : UINT16_MAX;
    case 4:
        return dtype_is_signed(dt) ? INT32_MAX : (int64_t)UINT32_MAX;
    default:
        return dtype_is_signed(dt) ? INT64_MAX : -1; /* uint64 max as bits */
    }
}

KExpr *kb_const_lowest(KBuilder *kb, DType dt)
{
    if (dtype_is_float(dt))
        return kb_const_f(kb, dt, -(double)INFINITY);
    return kb_const_i(kb, dt, int_min(dt));
}

KExpr *kb_const_highest(KBuilder *kb, DType dt)
{
    if (dtype_is_float(dt))
        return kb_const_f(kb, dt, (double)INFINITY);
    return kb_const_i(kb, dt, int_max(dt));
}

KExpr *kb_var(KBuilder *kb, uint16_t local)
{
    KExpr *e = new_expr(kb, KE_VAR, kb->k->locals[local]);
    e->u.local = local;
    return e;
}

KExpr *kb_idx(KBuilder *kb, DType dt, KIndex idx)
{
    KExpr *e = new_expr(kb, KE_IDX, ktype(dt));
    e->u.idx = idx;
    return e;
}

/* Half-precision buffers are storage only: loads give float32, stores convert back. */
static KExpr *half_in(KBuilder *kb, KExpr *e)
{
    if (!is_half(e->type.dt))
        return e;
    KExpr *c = new_expr(kb, KE_CAST, ktype(DT_FLOAT32));
    c->u.cast.a = e;
    return c;
}

static KExpr *raw_load(KBuilder *kb, uint32_t buf, KIndex idx)
{
    KExpr *e = new_expr(kb, KE_LOAD, ktype(kb->prog->bufs.data[buf].dtype));
    e->u.load.buf = buf;
    e->u.load.idx = idx;
    return e;
}

static const Node *at_load_node(const KBuilder *kb, uint32_t buf)
{
    ValueId v = kb->prog->bufs.data[buf].origin;
    return kb->at_load && v ? kb->at_load[v] : NULL;
}

KExpr *kb_load(KBuilder *kb, uint32_t buf, KIndex idx)
{
    const Node *n = at_load_node(kb, buf);
    if (n)
        return n->op->at_load(kb, n, idx);
    return half_in(kb, raw_load(kb, buf, idx));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The extent of loop variable v among the open loops, or 0. */
static int64_t open_extent(const KBuilder *kb, uint16_t v)
{
    for (int d = 1; d <= kb->depth; d++) {
        const KStmt *s = kb->open_stmt[d];
        if (s->kind == KS_FOR && s->u.loop.var == v)
            return s->u.loop.extent;
    }
    return 0;
}

/* One step of kb_index_divmod: floor(ix / d) when affine. */
static int index_div(const KBuilder *kb, const KIndex *ix, int64_t d, KIndex *q)
{
    *q = kidx_const(floor_div(ix->base, d));
    int64_t lo = ix->base - q->base * d, hi = lo;
    for (uint8_t i = 0; i < ix->n; i++) {
        int64_t c = ix->coef[i];
        if (c % d == 0) {
            if (c)
                kidx_add(q, ix->var[i], c / d);
            continue;
        }
        int64_t n = open_extent(kb, ix->var[i]);
        if (n <= 0)
            return 0;
        int64_t span = c * (n - 1);
        if (span < 0)
            lo += span;
        else
            hi += span;
    }
    return lo >= 0 && hi < d;
}

int kb_index_divmod(const KBuilder *kb, const KIndex *ix, int64_t inner, int64_t extent,
                    KIndex *out)
{
    LW_ASSERT(inner > 0 && extent > 0);
    KIndex q;
    if (!index_div(kb, ix, inner, &q))
        return 0;
    /* q mod extent: drop the multiples of extent; the rest must stay in [0, extent) */
    KIndex whole;
    if (!index_div(kb, &q, extent, &whole))
        return 0;
    *out = kidx_const(q.base - whole.base * extent);
    for (uint8_t i = 0; i < q.n; i++)
        if (q.coef[i] % extent)
            kidx_add(out, q.var[i], q.coef[i]);
    return 1;
}

KExpr *kb_load_guard(KBuilder *kb, uint32_t buf, KIndex idx, const KCond *conds, uint8_t n,
                     KExpr *other)
{
    if (!n)
        return kb_load(kb, buf, idx);
    if (at_load_node(kb, buf))
        LW_ICE("a guarded load of a value computed at load time");
    if (is_half(kb->prog->bufs.data[buf].dtype) && n)
        other = kb_cast(kb, kb->prog->bufs.data[buf].dtype, other);
    KExpr *e = raw_load(kb, buf, idx);
    if (n) {
        KCond *c = arena_array(kb->a, KCond, n);
        memcpy(c, conds, sizeof(KCond) * n);
        e->u.load.guard = c;
        e->u.load.nguard = n;
        e->u.load.other = other;
    }
    return half_in(kb, e);
}

KExpr *kb_loadx(KBuilder *kb, uint32_t buf, KIndex idx, KExpr *dyn, int64_t stride,
                int64_t extent)
{
    if (at_load_node(kb, buf))
        LW_ICE("a data-dependent load of a value computed at load time");
    KExpr *e = new_expr(kb, KE_LOADX, ktype(kb->prog->bufs.data[buf].dtype));
    e->u.loadx.buf = buf;
    e->u.loadx.idx = idx;
    e->u.loadx.dyn = dyn;
    e->u.loadx.stride = stride;
    e->u.loadx.extent = extent;
    return half_in(kb, e);
}

int kb_vloadable(const KBuilder *kb, uint32_t buf)
{
    return kb->prog->bufs.data[buf].dtype == DT_FLOAT32 && !at_load_node(kb, buf);
}

KExpr *kb_vload(KBuilder *kb, uint32_t buf, KIndex idx, uint8_t lanes)
{
    LW_ASSERT(lanes > 1 && kb_vloadable(kb, buf));
    KExpr *e = raw_load(kb, buf, idx);
    e->type.lanes = lanes;
    return e;
}

/* `lanes` int8/uint8 of a plain buffer as lanes of `to` (a converting or widening load) */
static KExpr *byte_vload(KBuilder *kb, uint32_t buf, KIndex idx, uint8_t lanes, DType to)
{
    DType dt = kb->prog->bufs.data[buf].dtype;
    LW_ASSERT(lanes > 1 && (dt == DT_INT8 || dt == DT_UINT8) && !at_load_node(kb, buf));
    KExpr *l = raw_load(kb, buf, idx);
    l->type.lanes = lanes;
    KType t = {to, lanes};
    KExpr *e = new_expr(kb, KE_CAST, t);
    e->u.cast.a = l;
    return e;
}

KExpr *kb_vload_f32(KBuilder *kb, uint32_t buf, KIndex idx, uint8_t lanes)
{
    if (kb->prog->bufs.data[buf].dtype == DT_FLOAT32)
        return kb_vload(kb, buf, idx, lanes);
    return byte_vload(kb, buf, idx, lanes, DT_FLOAT32);
}

KExpr *kb_vload_wide(KBuilder *kb, uint32_t buf, KIndex idx, uint8_t lanes)
{
    return byte_vload(kb, buf, idx, lanes, DT_INT32);
}

KExpr *kb_vload_i32(KBuilder *kb, uint32_t buf, KIndex idx, uint8_t lanes)
{
    LW_ASSERT(lanes > 1 && kb->prog->bufs.data[buf].dtype == DT_INT32 && !at_load_node(kb, buf));
    KExpr *e = raw_load(kb, buf, idx);
    e->type.lanes = lanes;
    return e;
}

KExpr *kb_lane(KBuilder *kb, uint16_t local, uint8_t i)
{
    KExpr *v = kb_var(kb, local);
    LW_ASSERT(v->type.lanes > 1 && i < v->type.lanes);
    KExpr *e = new_expr(kb, KE_LANE, ktype(v->type.dt));
    e->u.lane.a = v;
    e->u.lane.i = i;
    return e;
}

uint8_t kb_vector_lanes(const KBuilder *kb)
{
    const Target *t = kb->ctx->target;
    if (!t || t->vbytes < 16 || t->vbytes > 64 || !kb->ctx->opt || kb->ctx->opt->opt != LW_O2)
        return 0;
    return (uint8_t)(t->vbytes / 4);
}

/* element v (a vector or a scalar) of a reduction: v, or (v - center)^2 added to acc */
static KExpr *reduce_step(KBuilder *kb, KOp op, KExpr *acc, KExpr *v, KExpr *center)
{
    if (!center)
        return kb_op(kb, op, acc, v);
    KExpr *c = v->type.lanes > 1 ? kb_splat(kb, center, v->type.lanes) : center;
    KExpr *d = kb_op(kb, KOP_SUB, v, c);
    return kb_op3(kb, KOP_FMA, d, d, acc);
}

void kb_reduce_vec(KBuilder *kb, KOp op, uint32_t buf, KIndex base, int64_t n, uint8_t L,
                   KExpr *center, uint16_t dst)
{
    DType bdt = kb->prog->bufs.data[buf].dtype;
    LW_ASSERT(
        (op == KOP_ADD || (op == KOP_MAX && !center)) && L > 1 && n >= L &&
        (kb_vloadable(kb, buf) || ((bdt == DT_INT8 || bdt == DT_UINT8) && !at_load_node(kb, buf))));
    KType vt = {DT_FLOAT32, L};
    int64_t nv = n / L, tail = n - nv * L;
    /* long rows: four accumulators, each add waiting only on its own */
    int nacc = nv >= 16 ? 4 : 1;
    int64_t groups = nv / nacc;
    uint16_t a[4];
    KExpr *zero = kb_splat(kb, kb_const_f(kb, DT_FLOAT32, 0), L);
    for (int k = 0; k < nacc; k++) {
        a[k] = kb_local(kb, vt);
        KIndex ix = base;
        ix.base += k * L;
        KExpr *first = kb_vload_f32(kb, buf, ix, L);
        kb_set(kb, a[k], center ? reduce_step(kb, op, zero, first, center) : first);
    }
    if (groups > 1) {
        uint16_t j = kb_for(kb, groups - 1);
        for (int k = 0; k < nacc; k++) {
            KIndex ix = base;
            ix.base += (nacc + k) * L;
            kidx_add(&ix, j, nacc * L);
            kb_set(kb, a[k],
                   reduce_step(kb, op, kb_var(kb, a[k]), kb_vload_f32(kb, buf, ix, L), center));
        }
        kb_endfor(kb);
    }
    for (int64_t v = groups * nacc; v < nv; v++) { /* whole vectors past the last group */
        KIndex ix = base;
        ix.base += v * L;
        kb_set(kb, a[0],
               reduce_step(kb, op, kb_var(kb, a[0]), kb_vload_f32(kb, buf, ix, L), center));
    }
    if (tail && op == KOP_MAX) { /* the last L elements again: a maximum is idempotent */
        KIndex ix = base;
        ix.base += n - L;
        kb_set(kb, a[0], kb_op(kb, op, kb_var(kb, a[0]), kb_vload_f32(kb, buf, ix, L)));
        tail = 0;
    }
    if (nacc == 4)
        kb_set(kb, a[0],
               kb_op(kb, op, kb_op(kb, op, kb_var(kb, a[0]), kb_var(kb, a[1])),
                     kb_op(kb, op, kb_var(kb, a[2]), kb_var(kb, a[3]))));
    /* the lanes combined pairwise */
    KExpr *t[64];
    for (uint8_t l = 0; l < L; l++)
        t[l] = kb_lane(kb, a[0], l);
    for (unsigned w = L; w > 1; w /= 2)
        for (unsigned l = 0; l < w / 2; l++)
            t[l] = kb_op(kb, op, t[2 * l], t[2 * l + 1]);
    kb_set(kb, dst, t[0]);
    if (tail) {
        uint16_t q = kb_for(kb, tail);
        KIndex ix = base;
        ix.base += nv * L;
        kidx_add(&ix, q, 1);
        kb_set(kb, dst,
               reduce_step(kb, op, kb_var(kb, dst), kb_cast(kb, DT_FLOAT32, kb_load(kb, buf, ix)),
                           center));
        kb_endfor(kb);
    }
}

static KExpr *dot_arg(KBuilder *kb, KDotArg a, uint8_t lanes)
{
    DType dt = kb->prog->bufs.data[a.buf].dtype;
    LW_ASSERT((dt == DT_INT8 || dt == DT_UINT8) && !at_load_node(kb, a.buf));
    KExpr *l = raw_load(kb, a.buf, a.idx);
    l->type.lanes = (uint8_t)(a.bcast ? 4 : 4 * lanes);
    return l;
}

KExpr *kb_dot4(KBuilder *kb, KExpr *acc, KDotArg a, KDotArg b)
{
    LW_ASSERT(acc->type.dt == DT_INT32 && acc->type.lanes > 1 && acc->type.lanes <= 64 / 4);
    KExpr *e = new_expr(kb, KE_DOT4, acc->type);
    e->u.dot.acc = acc;
    e->u.dot.a = dot_arg(kb, a, acc->type.lanes);
    e->u.dot.b = dot_arg(kb, b, acc->type.lanes);
    LW_ASSERT((!a.flip || a.bcast) && (!b.flip || b.bcast));
    e->u.dot.flip = (uint8_t)((a.flip ? 1 : 0) | (b.flip ? 2 : 0));
    return e;
}

KExpr *kb_dot2(KBuilder *kb, KExpr *acc, uint32_t abuf, KIndex ai, uint32_t bbuf, KIndex bi)
{
    LW_ASSERT(acc->type.dt == DT_INT32 && acc->type.lanes == 1);
    KExpr *e = new_expr(kb, KE_DOT2, acc->type);
    e->u.dot.acc = acc;
    e->u.dot.a = raw_load(kb, abuf, ai);
    e->u.dot.b = raw_load(kb, bbuf, bi);
    LW_ASSERT(e->u.dot.a->type.dt == DT_INT16 && e->u.dot.b->type.dt == DT_INT16);
    e->u.dot.a->type.lanes = e->u.dot.b->type.lanes = 2;
    return e;
}

KExpr *kb_splat(KBuilder *kb, KExpr *a, uint8_t lanes)
{
    LW_ASSERT(a->type.lanes == 1);
    KType t = {a->type.dt, lanes};
    KExpr *e = new_expr(kb, KE_SPLAT, t);
    e->u.cast.a = a;
    return e;
}

void kb_fma_row(KBuilder *kb, const uint16_t *acc, KExpr *a, const uint16_t *x, int64_t n)
{
    uint8_t lanes = n ? kb->k->locals[acc[0]].lanes : 1;
    if (lanes > 1)
        a = kb_splat(kb, a, lanes);
    for (int64_t j = 0; j < n; j++)
        kb_set(kb, acc[j], kb_op3(kb, KOP_FMA, a, kb_var(kb, x[j]), kb_var(kb, acc[j])));
}

KExpr *kb_op3(KBuilder *kb, KOp op, KExpr *a, KExpr *b, KExpr *c)
{
    const KOpInfo *info = kop_info(op);
    KType t = a->type;
    if (info->result == 'b')
        t.dt = DT_BOOL;
    KExpr *e = new_expr(kb, KE_OP, t);
    e->u.op.op = op;
    e->u.op.a[0] = a;
    e->u.op.a[1] = b;
    e->u.op.a[2] = c;
    return e;
}

KExpr *kb_op(KBuilder *kb, KOp op, KExpr *a, KExpr *b)
{
    return kb_op3(kb, op, a, b, NULL);
}

KExpr *kb_select(KBuilder *kb, KExpr *c, KExpr *t, KExpr *f)
{
    KExpr *e = new_expr(kb, KE_SELECT, t->type);
    e->u.sel.c = c;
    e->u.sel.t = t;
    e->u.sel.f = f;
    return e;
}

KExpr *kb_cast(KBuilder *kb, DType dt, KExpr *a)
{
    if (a->type.dt == dt)
        return a;
    /* half types convert through float32 only */
    if ((is_half(dt) && a->type.dt != DT_FLOAT32) || (is_half(a->type.dt) && dt != DT_FLOAT32))
        a = kb_cast(kb, DT_FLOAT32, a);
    if (a->type.dt == dt)
        return a;
    /* vectors: int32 to float32, int32 to and from int64, and float32 to int8/uint8 for a
     * narrowing store (see kir.h) */
    LW_ASSERT(a->type.lanes == 1 || (a->type.dt == DT_INT32 && dt == DT_FLOAT32) ||
              (a->type.dt == DT_INT32 && dt == DT_INT64) ||
              (a->type.dt == DT_INT64 && dt == DT_INT32) ||
              (a->type.dt == DT_FLOAT32 && (dt == DT_INT8 || dt == DT_UINT8)));
    KType t = {dt, a->type.lanes};
    KExpr *e = new_expr(kb, KE_CAST, t);
    e->u.cast.a = a;
    return e;
}

KIndex kidx_const(int64_t base)
{
    KIndex ix;
    memset(&ix, 0, sizeof ix);
    ix.base = base;
    return ix;
}

void kidx_add(KIndex *ix, uint16_t var, int64_t coef)
{
    if (coef == 0)
        return;
    for (uint8_t i = 0; i < ix->n; i++)
        if (ix->var[i] == var) {
            ix->coef[i] += coef;
            return;
        }
    LW_ASSERT(ix->n < KIDX_MAX);
    ix->var[ix->n] = var;
    ix->coef[ix->n] = coef;
    ix->n++;
}

void kidx_add_index(KIndex *ix, const KIndex *other, int64_t scale)
{
    ix->base += other->base * scale;
    for (uint8_t i = 0; i < other->n; i++)
        kidx_add(ix, other->var[i], other->coef[i] * scale);
}

KIndex kidx_rowmajor(const uint16_t *vars, const int64_t *strides, int rank, int64_t base)
{
    KIndex ix = kidx_const(base);
    for (int i = 0; i < rank; i++)
        kidx_add(&ix, vars[i], strides[i]);
    return ix;
}

void kb_for_shape(KBuilder *kb, const Shape *s, uint16_t *vars)
{
    for (uint8_t i = 0; i < s->rank; i++)
        vars[i] = kb_for(kb, s->dims[i]);
}

void kb_endfor_n(KBuilder *kb, int n)
{
    for (int i = 0; i < n; i++)
        kb_endfor(kb);
}

LwStatus kb_lower_elementwise(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const Value *out = op_out(kb->g, n, 0);
    uint16_t vars[LW_MAX_RANK];
    KExpr *args[8];
    LW_ASSERT(n->nin <= 8);
    kb_begin(kb, n, NULL);
    uint32_t ob = kb_out(kb, 0);
    kb_for_shape(kb, &out->shape, vars);
    for (uint16_t i = 0; i < n->nin; i++) {
        if (!n->in[i]) {
            args[i] = NULL;
            continue;
        }
        const Value *v = op_in(kb->g, n, i);
        int64_t st[LW_MAX_RANK];
        shape_bcast_strides(&v->shape, &out->shape, st);
        args[i] = kb_load(kb, kb_in(kb, i), kidx_rowmajor(vars, st, out->shape.rank, 0));
    }
    int64_t ost[LW_MAX_RANK];
    shape_strides(&out->shape, ost);
    kb_store_out(kb, ob, kidx_rowmajor(vars, ost, out->shape.rank, 0), n->op->scalar(kb, n, args));
    kb_endfor_n(kb, out->shape.rank);
    kb_end(kb);
    return LW_OK;
}

void kb_copy(KBuilder *kb, uint32_t dst, uint32_t src, uint64_t nelem)
{
    uint16_t v = kb_for(kb, (int64_t)nelem);
    KIndex ix = kidx_const(0);
    kidx_add(&ix, v, 1);
    kb_store(kb, dst, ix, kb_load(kb, src, ix));
    kb_endfor(kb);
}
