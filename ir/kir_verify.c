/* Kernel-IR verifier: loop variables in scope, every affine access in bounds
 * over the loop ranges (guarded and clamped accesses within their guards; a loop
 * with a data-dependent trip count ranges over its constant bound), operand types
 * consistent. A violation is an internal error. */
#include "ir/kir.h"

typedef struct VState {
    const Program *p;
    const Kernel *k;
    const char *after;
    int64_t *extent; /* per loop var: extent while in scope, 0 outside */
    const KCond *guards[64]; /* conditions of the enclosing KS_IFs */
    uint32_t nguards;
} VState;

static void fail(const VState *s, const char *what)
{
    LW_ICE("kir_verify after %s: kernel %s: %s", s->after, s->k->cname, what);
}

/* min and max of an affine index over the loop ranges in scope */
static void range(const VState *s, const KIndex *ix, int64_t *lo, int64_t *hi)
{
    *lo = *hi = ix->base;
    for (uint8_t i = 0; i < ix->n; i++) {
        int64_t ext = s->extent[ix->var[i]];
        if (ext <= 0)
            fail(s, "index uses a loop variable out of scope");
        int64_t span = ix->coef[i] * (ext - 1);
        if (span > 0)
            *hi += span;
        else
            *lo += span;
    }
}

/* Range of ix using guard conditions: a guard 0 <= e < bound whose terms
 * appear in ix scaled by one factor f replaces them by [0, (bound-1)*f]. */
static void guarded_range(const VState *s, KIndex ix, const KCond *g, uint8_t ng, int64_t *lo,
                          int64_t *hi)
{
    const KIndex ix0 = ix;
    int64_t glo = 0, ghi = 0;
    const KCond *all[128];
    uint32_t na = 0;
    for (uint32_t i = 0; i < s->nguards && na < 128; i++)
        all[na++] = s->guards[i];
    for (uint8_t i = 0; i < ng && na < 128; i++)
        all[na++] = &g[i];
    for (uint32_t c = 0; c < na; c++) /* a constant guard that fails: never accessed */
        if (all[c]->e.n == 0 && (all[c]->e.base < 0 || all[c]->e.base >= all[c]->bound)) {
            *lo = *hi = 0;
            return;
        }
    for (uint32_t c = 0; c < na; c++) {
        const KIndex *e = &all[c]->e;
        if (e->n == 0)
            continue;
        int64_t f = 0;
        int ok = 1;
        for (uint8_t t = 0; t < e->n && ok; t++) {
            int found = 0;
            for (uint8_t u = 0; u < ix.n; u++)
                if (ix.var[u] == e->var[t]) {
                    if (t == 0) {
                        if (e->coef[0] == 0 || ix.coef[u] % e->coef[0] != 0)
                            ok = 0;
                        else
                            f = ix.coef[u] / e->coef[0];
                    }
                    if (ix.coef[u] != e->coef[t] * f)
                        ok = 0;
                    found = 1;
                }
            if (!found)
                ok = 0;
        }
        if (!ok || f == 0)
            continue;
        /* remove f*e from ix */
        KIndex r = ix;
        r.n = 0;
        for (uint8_t u = 0; u < ix.n; u++) {
            int in_e = 0;
            for (uint8_t t = 0; t < e->n; t++)
                in_e |= ix.var[u] == e->var[t];
            if (!in_e) {
                r.var[r.n] = ix.var[u];
                r.coef[r.n++] = ix.coef[u];
            }
        }
        r.base = ix.base - e->base * f;
        ix = r;
        int64_t span = (all[c]->bound - 1) * f;
        if (span > 0)
            ghi += span;
        else
            glo += span;
    }
    range(s, &ix, lo, hi);
    *lo += glo;
    *hi += ghi;
    /* a guard may bound a term more loosely than its loops do (an access inside a KS_IF
     * whose condition is on another index): both ranges hold, so their intersection does */
    int64_t plo, phi;
    range(s, &ix0, &plo, &phi);
    *lo = *lo > plo ? *lo : plo;
    *hi = *hi < phi ? *hi : phi;
}

/* cvt: 1 a converting vector load or narrowing store, whose elements may be int8 or
 * uint8; 2 a vector load of int32 */
static void check_access(const VState *s, uint32_t buf, const KIndex *ix, const KCond *g,
                         uint8_t ng, uint8_t lanes, int cvt)
{
    if (buf >= s->p->bufs.len)
        fail(s, "access to an unknown buffer");
    int64_t lo, hi;
    guarded_range(s, *ix, g, ng, &lo, &hi);
    const KBuf *b = &s->p->bufs.data[buf];
    if (hi > INT32_MAX || lo < INT32_MIN)
        fail(s, "index does not fit 32 bits");
    if (lo < 0 || (uint64_t)hi + (lanes - 1u) >= b->nelem)
        LW_ICE("kir_verify after %s: kernel %s: access out of bounds (b%u[%lld .. %lld] of %llu)",
               s->after, s->k->cname, buf, (long long)lo, (long long)(hi + lanes - 1),
               (unsigned long long)b->nelem);
    if (lanes > 1 &&
        (ng ||
         (b->dtype != DT_FLOAT32 && !(cvt == 1 && (b->dtype == DT_INT8 || b->dtype == DT_UINT8)) &&
          !(cvt == 2 && b->dtype == DT_INT32) && !(cvt == 3 && b->dtype == DT_INT16))))
        fail(s, "a vector access is guarded or not float32");
}

/* lane-wise operations a vector may take */
static int vector_op(KOp op, DType dt)
{
    if (dt == DT_INT32 || dt == DT_INT64)
        return op == KOP_ADD || op == KOP_SUB || op == KOP_MUL || op == KOP_MIN || op == KOP_MAX ||
               op == KOP_AND || op == KOP_SHR;
    return op == KOP_ADD || op == KOP_SUB || op == KOP_MUL || op == KOP_DIV || op == KOP_FMA ||
           op == KOP_MIN || op == KOP_MAX || op == KOP_ROUND;
}

static void expr(const VState *s, const KExpr *e)
{
    if (!e)
        return;
    if (e->type.lanes == 0)
        fail(s, "an expression of 0 lanes");
    if (e->type.lanes > 1 && e->kind != KE_LOAD && e->kind != KE_OP && e->kind != KE_SPLAT &&
        e->kind != KE_VAR && e->kind != KE_CAST && e->kind != KE_DOT4)
        fail(s, "a vector expression of a kind that has no vector form");
    if (e->type.lanes > 1 && e->type.dt == DT_INT64 && e->kind == KE_LOAD)
        fail(s, "a vector load of int64");
    if (e->type.lanes > 1 && e->type.dt != DT_INT32 && e->type.dt != DT_INT64 &&
        e->type.dt != DT_FLOAT32)
        fail(s, "a vector neither float32 nor int32 nor int64");
    switch (e->kind) {
    case KE_CONST:
        return;
    case KE_VAR:
        if (e->u.local >= s->k->nlocals)
            fail(s, "unknown local");
        if (s->k->locals[e->u.local].lanes != e->type.lanes)
            fail(s, "a local read at another width");
        return;
    case KE_IDX: {
        int64_t lo, hi;
        range(s, &e->u.idx, &lo, &hi);
        return;
    }
    case KE_LOAD:
        check_access(s, e->u.load.buf, &e->u.load.idx, e->u.load.guard, e->u.load.nguard,
                     e->type.lanes, e->type.dt == DT_INT32 ? 2 : 0);
        expr(s, e->u.load.other);
        return;
    case KE_LOADX: {
        int64_t lo, hi;
        range(s, &e->u.loadx.idx, &lo, &hi);
        const KBuf *b = &s->p->bufs.data[e->u.loadx.buf];
        if (lo < 0 || hi + (e->u.loadx.extent - 1) * e->u.loadx.stride >= (int64_t)b->nelem ||
            e->u.loadx.extent < 1)
            fail(s, "clamped access out of bounds");
        expr(s, e->u.loadx.dyn);
        return;
    }
    case KE_OP: {
        const KOpInfo *info = kop_info(e->u.op.op);
        for (int i = 0; i < info->arity; i++) {
            if (!e->u.op.a[i])
                fail(s, "missing operand");
            expr(s, e->u.op.a[i]);
            if (i > 0 && e->u.op.a[i]->type.dt != e->u.op.a[0]->type.dt)
                fail(s, "operand types differ");
            if (e->u.op.a[i]->type.lanes != e->type.lanes)
                fail(s, "operand widths differ");
        }
        if (e->type.lanes > 1 && !vector_op(e->u.op.op, e->u.op.a[0]->type.dt))
            fail(s, "an operation with no vector form");
        return;
    }
    case KE_SELECT:
        expr(s, e->u.sel.c);
        expr(s, e->u.sel.t);
        expr(s, e->u.sel.f);
        if (e->u.sel.t->type.dt != e->u.sel.f->type.dt)
            fail(s, "select arms differ in type");
        return;
    case KE_SPLAT:
        if (e->u.cast.a->type.lanes != 1 || e->type.lanes < 2)
            fail(s, "a splat not from a scalar to a vector");
        expr(s, e->u.cast.a);
        return;
    case KE_CAST: {
        const KExpr *a = e->u.cast.a;
        if (e->type.lanes > 1 && (a->type.dt == DT_INT32 || a->type.dt == DT_INT64)) {
            /* int32 to float32 or int64, int64 to int32 */
            if (a->type.lanes != e->type.lanes ||
                (a->type.dt == DT_INT32 ? e->type.dt != DT_FLOAT32 && e->type.dt != DT_INT64
                                        : e->type.dt != DT_INT32))
                fail(s, "an integer vector converted to other than float32, int32 or int64 of "
                        "its width");
            expr(s, a);
            return;
        }
        if (e->type.lanes > 1) { /* a converting or widening load */
            if ((e->type.dt != DT_FLOAT32 && e->type.dt != DT_INT32) || a->kind != KE_LOAD ||
                a->type.lanes != e->type.lanes || a->u.load.nguard ||
                (a->type.dt != DT_INT8 && a->type.dt != DT_UINT8))
                fail(s, "a vector conversion other than a load of int8 or uint8 to float32 or "
                        "int32");
            check_access(s, a->u.load.buf, &a->u.load.idx, NULL, 0, a->type.lanes, 1);
            return;
        }
        expr(s, a);
        return;
    }
    case KE_HREDUCE:
        expr(s, e->u.hred.a);
        return;
    case KE_LANE:
        if (e->u.lane.a->kind != KE_VAR || e->u.lane.i >= e->u.lane.a->type.lanes ||
            e->type.lanes != 1 || e->type.dt != e->u.lane.a->type.dt)
            fail(s, "a lane not of a vector local or past its last");
        expr(s, e->u.lane.a);
        return;
    case KE_DOT2: {
        const KExpr *acc = e->u.dot.acc;
        if (e->type.dt != DT_INT32 || e->type.lanes != 1 || acc->type.dt != DT_INT32 ||
            acc->type.lanes != 1)
            fail(s, "a two-way dot product not into an int32 scalar");
        for (int i = 0; i < 2; i++) {
            const KExpr *a = i ? e->u.dot.b : e->u.dot.a;
            if (a->kind != KE_LOAD || a->u.load.nguard || a->type.lanes != 2 ||
                a->type.dt != DT_INT16)
                fail(s, "a two-way dot product's operand not two int16");
            check_access(s, a->u.load.buf, &a->u.load.idx, NULL, 0, 2, 3);
        }
        expr(s, acc);
        return;
    }
    case KE_DOT4: {
        const KExpr *acc = e->u.dot.acc;
        if (e->type.dt != DT_INT32 || e->type.lanes < 2 || acc->type.dt != DT_INT32 ||
            acc->type.lanes != e->type.lanes)
            fail(s, "a dot product not into int32 lanes");
        for (int i = 0; i < 2; i++) {
            const KExpr *a = i ? e->u.dot.b : e->u.dot.a;
            if (a->kind != KE_LOAD || a->u.load.nguard ||
                (a->type.lanes != 4 * e->type.lanes && a->type.lanes != 4) ||
                (a->type.dt != DT_INT8 && a->type.dt != DT_UINT8))
                fail(s, "a dot product's operand not four int8/uint8 per lane or for all");
            if ((e->u.dot.flip >> i & 1) && a->type.lanes != 4)
                fail(s, "a dot product's flipped operand not four for all lanes");
            check_access(s, a->u.load.buf, &a->u.load.idx, NULL, 0, a->type.lanes, 1);
        }
        expr(s, acc);
        return;
    }
    }
}

static void stmt(VState *s, const KStmt *st)
{
    switch (st->kind) {
    case KS_FOR:
        if (st->u.loop.var >= s->k->nvars || s->extent[st->u.loop.var] != 0)
            fail(s, "loop variable reused while in scope");
        if (st->u.loop.extent < 0)
            fail(s, "negative loop extent");
        if (st->u.loop.extent == 0)
            return; /* body never runs */
        if (st->u.loop.dyn) {
            /* the trip count: evaluated outside the loop, clamped to [0, extent], so the
             * variable stays in [0, extent) whatever it reads */
            const KExpr *d = st->u.loop.dyn;
            if (d->type.lanes != 1 || !dtype_is_int(d->type.dt))
                fail(s, "loop trip count is not a scalar integer");
            if (st->u.loop.extent >= INT32_MAX)
                fail(s, "loop trip count bound does not fit 32 bits");
            expr(s, d);
        }
        s->extent[st->u.loop.var] = st->u.loop.extent;
        stmt(s, st->u.loop.body);
        s->extent[st->u.loop.var] = 0;
        return;
    case KS_STORE: {
        const KExpr *v = st->u.store.val;
        /* a narrowing store: float32 lanes stored as the buffer's int8/uint8 */
        int narrow = v->type.lanes > 1 && v->kind == KE_CAST &&
                     (v->type.dt == DT_INT8 || v->type.dt == DT_UINT8);
        if (narrow &&
            (v->u.cast.a->type.dt != DT_FLOAT32 || v->u.cast.a->type.lanes != v->type.lanes ||
             s->p->bufs.data[st->u.store.buf].dtype != v->type.dt))
            fail(s, "a narrowing store not of float32 lanes into a buffer of their type");
        /* int32 lanes into an int32 buffer */
        int i32 = v->type.lanes > 1 && v->type.dt == DT_INT32;
        if (i32 && s->p->bufs.data[st->u.store.buf].dtype != DT_INT32)
            fail(s, "int32 lanes stored into a buffer of another type");
        check_access(s, st->u.store.buf, &st->u.store.idx, NULL, 0, v->type.lanes,
                     narrow ? 1
                     : i32  ? 2
                            : 0);
        if (s->p->bufs.data[st->u.store.buf].kind == KB_WEIGHT ||
            s->p->bufs.data[st->u.store.buf].kind == KB_INPUT)
            fail(s, "store to a read-only buffer");
        expr(s, narrow ? v->u.cast.a : v);
        return;
    }
    case KS_SET:
        if (st->u.set.local >= s->k->nlocals)
            fail(s, "unknown local");
        if (s->k->locals[st->u.set.local].lanes != st->u.set.val->type.lanes)
            fail(s, "a local set at another width");
        expr(s, st->u.set.val);
        return;
    case KS_SEQ:
        for (uint32_t i = 0; i < st->u.seq.n; i++)
            stmt(s, st->u.seq.items[i]);
        return;
    case KS_IF:
        for (uint8_t i = 0; i < st->u.cond.ncond; i++) {
            int64_t lo, hi;
            range(s, &st->u.cond.cond[i].e, &lo, &hi);
        }
        {
            uint32_t saved = s->nguards;
            for (uint8_t i = 0; i < st->u.cond.ncond && s->nguards < 64; i++)
                s->guards[s->nguards++] = &st->u.cond.cond[i];
            stmt(s, st->u.cond.then);
            s->nguards = saved;
        }
        return;
    }
}

void kir_verify(const Ctx *ctx, const Program *p, const char *after)
{
    (void)ctx;
    for (uint32_t k = 0; k < p->kernels.len; k++) {
        VState s;
        s.p = p;
        s.k = &p->kernels.data[k];
        s.after = after;
        int64_t ext[1024] = {0};
        if (s.k->nvars > 1024)
            LW_ICE("kernel %s has too many loop variables", s.k->cname);
        s.extent = ext;
        s.nguards = 0;
        stmt(&s, s.k->body);
    }
}
