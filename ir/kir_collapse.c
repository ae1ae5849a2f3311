/* Loop collapsing: a loop whose whole body is one loop, where every index below them
 * moves by the outer variable exactly as far as the inner loop's full range (outer
 * coefficient = inner coefficient x inner extent, e.g. the rows and columns of a
 * contiguous tensor), or whose extent is 1, becomes one loop over the product of the
 * extents: the same elements in the same order. An elementwise kernel over [C][H][W]
 * is then one unit-stride loop of C*H*W that a C compiler vectorizes whatever W is
 * (7x7 maps too). Loops with a data-dependent trip count are left alone. */
#include "ir/kir.h"

typedef struct Pair {
    uint16_t o, i;   /* outer and inner loop variables */
    int64_t ext_o, ext_i;
} Pair;

static int index_ok(const Pair *p, const KIndex *ix)
{
    if (p->ext_o == 1)
        return 1;
    int64_t co = 0, ci = 0;
    for (uint8_t k = 0; k < ix->n; k++) {
        if (ix->var[k] == p->o)
            co += ix->coef[k];
        else if (ix->var[k] == p->i)
            ci += ix->coef[k];
    }
    return co == ci * p->ext_i;
}

/* drops the outer variable's terms (they are the inner's, scaled, or the outer loop
 * runs once) */
static void index_fix(const Pair *p, KIndex *ix)
{
    uint8_t n = 0;
    for (uint8_t k = 0; k < ix->n; k++)
        if (ix->var[k] != p->o) {
            ix->var[n] = ix->var[k];
            ix->coef[n] = ix->coef[k];
            n++;
        }
    ix->n = n;
}

/* fix 0: check every index (returns 0 at the first that does not fit); fix 1: rewrite */
static int walk_expr(const Pair *p, KExpr *e, int fix);

static int walk_index(const Pair *p, KIndex *ix, int fix)
{
    if (fix) {
        index_fix(p, ix);
        return 1;
    }
    return index_ok(p, ix);
}

static int walk_conds(const Pair *p, const KCond *c, uint8_t n, int fix)
{
    for (uint8_t k = 0; k < n; k++)
        if (!walk_index(p, &((KCond *)c)[k].e, fix))
            return 0;
    return 1;
}

static int walk_expr(const Pair *p, KExpr *e, int fix)
{
    if (!e)
        return 1;
    switch (e->kind) {
    case KE_CONST:
    case KE_VAR:
        return 1;
    case KE_IDX:
        return walk_index(p, &e->u.idx, fix);
    case KE_LOAD:
        return walk_index(p, &e->u.load.idx, fix) &&
               walk_conds(p, e->u.load.guard, e->u.load.nguard, fix) &&
               walk_expr(p, e->u.load.other, fix);
    case KE_LOADX:
        return walk_index(p, &e->u.loadx.idx, fix) && walk_expr(p, e->u.loadx.dyn, fix);
    case KE_OP:
        for (int k = 0; k < 3; k++)
            if (!walk_expr(p, e->u.op.a[k], fix))
                return 0;
        return 1;
    case KE_SELECT:
        return walk_expr(p, e->u.sel.c, fix) && walk_expr(p, e->u.sel.t, fix) &&
               walk_expr(p, e->u.sel.f, fix);
    case KE_CAST:
    case KE_SPLAT:
        return walk_expr(p, e->u.cast.a, fix);
    case KE_HREDUCE:
        return walk_expr(p, e->u.hred.a, fix);
    case KE_LANE:
        return walk_expr(p, e->u.lane.a, fix);
    case KE_DOT4:
    case KE_DOT2:
        return walk_expr(p, e->u.dot.acc, fix) && walk_expr(p, e->u.dot.a, fix) &&
               walk_expr(p, e->u.dot.b, fix);
    }
    return 0;
}

static int walk_stmt(const Pair *p, KStmt *s, int fix)
{
    switch (s->kind) {
    case KS_FOR:
        return walk_expr(p, s->u.loop.dyn, fix) && walk_stmt(p, s->u.loop.body, fix);
    case KS_STORE:
        return walk_index(p, &s->u.store.idx, fix) && walk_expr(p, s->u.store.val, fix);
    case KS_SET:
        return walk_expr(p, s->u.set.val, fix);
    case KS_SEQ:
        for (uint32_t k = 0; k < s->u.seq.n; k++)
            if (!walk_stmt(p, s->u.seq.items[k], fix))
                return 0;
        return 1;
    case KS_IF:
        return walk_conds(p, s->u.cond.cond, s->u.cond.ncond, fix) &&
               walk_stmt(p, s->u.cond.then, fix);
    }
    return 0;
}

/* The single statement a loop body is, through one-item sequences. */
static KStmt *only(KStmt *s)
{
    while (s->kind == KS_SEQ && s->u.seq.n == 1)
        s = s->u.seq.items[0];
    return s;
}

static void collapse(KStmt *s)
{
    switch (s->kind) {
    case KS_FOR: {
        for (;;) {
            KStmt *in = only(s->u.loop.body);
            if (s->u.loop.dyn || in->kind != KS_FOR || in->u.loop.dyn || s->u.loop.extent <= 0 ||
                in->u.loop.extent <= 0 || s->u.loop.extent > INT32_MAX / in->u.loop.extent)
                break;
            Pair p = {s->u.loop.var, in->u.loop.var, s->u.loop.extent, in->u.loop.extent};
            if (!walk_stmt(&p, in->u.loop.body, 0))
                break;
            walk_stmt(&p, in->u.loop.body, 1);
            /* this statement becomes the inner loop over both ranges */
            s->u.loop.var = in->u.loop.var;
            s->u.loop.extent *= in->u.loop.extent;
            s->u.loop.unroll = in->u.loop.unroll;
            s->u.loop.body = in->u.loop.body;
        }
        collapse(s->u.loop.body);
        return;
    }
    case KS_SEQ:
        for (uint32_t k = 0; k < s->u.seq.n; k++)
            collapse(s->u.seq.items[k]);
        return;
    case KS_IF:
        collapse(s->u.cond.then);
        return;
    case KS_STORE:
    case KS_SET:
        return;
    }
}

void kir_collapse(Program *p)
{
    for (uint32_t k = 0; k < p->kernels.len; k++)
        collapse(p->kernels.data[k].body);
}
