/* Kernel IR: the operation table and program containers. */
#include "ir/kir.h"

static const KOpInfo kops[KOP_COUNT] = {
#define X(e, name, arity, res, form, cspell, helper) {name, arity, res, form, cspell, helper},
#include "ir/kir_ops.def"
#undef X
};

const KOpInfo *kop_info(KOp op)
{
    LW_ASSERT((unsigned)op < KOP_COUNT);
    return &kops[op];
}

Program *kir_program_new(Arena *a)
{
    return arena_new(a, Program);
}

uint32_t kir_add_buf(Arena *a, Program *p, KBufKind kind, DType dt, uint64_t nelem,
                     ValueId origin)
{
    KBuf b = {0};
    b.kind = kind;
    b.dtype = dt;
    b.nelem = nelem;
    b.align = dtype_size(dt) < 4 ? 4 : dtype_size(dt);
    if (kind == KB_ARENA)
        b.align = 16;
    b.origin = origin;
    vec_push(a, &p->bufs, b);
    return p->bufs.len - 1;
}

uint32_t kir_add_weight(Arena *a, Program *p, DType dt, const unsigned char *bytes, uint64_t size,
                        uint64_t nelem, ValueId origin)
{
    Weight w = {0};
    w.bytes = bytes;
    w.size = size;
    /* 16 for vector loads; a weight smaller than that needs only its element's */
    w.align = size >= 16 ? 16 : dtype_size(dt);
    w.origin = origin;
    vec_push(a, &p->weights, w);
    uint32_t b = kir_add_buf(a, p, KB_WEIGHT, dt, nelem, origin);
    p->bufs.data[b].slot = p->weights.len - 1;
    return b;
}

/* The buffer accesses under a statement or expression, each passed to f (empty loops
 * excluded: the printers print none). */
typedef struct Walk {
    void (*f)(void *, const KAccess *);
    void *arg;
} Walk;

static void visit(const Walk *w, uint32_t buf, const KIndex *idx, uint8_t lanes, uint8_t write,
                  uint8_t dyn)
{
    KAccess a = {buf, idx, lanes, write, dyn};
    w->f(w->arg, &a);
}

static void walk_expr(const Walk *w, const KExpr *e)
{
    if (!e)
        return;
    switch (e->kind) {
    case KE_LOAD:
        visit(w, e->u.load.buf, &e->u.load.idx, e->type.lanes, 0, 0);
        walk_expr(w, e->u.load.other);
        return;
    case KE_LOADX:
        visit(w, e->u.loadx.buf, &e->u.loadx.idx, e->type.lanes, 0, 1);
        walk_expr(w, e->u.loadx.dyn);
        return;
    case KE_OP:
        for (int i = 0; i < 3; i++)
            walk_expr(w, e->u.op.a[i]);
        return;
    case KE_SELECT:
        walk_expr(w, e->u.sel.c);
        walk_expr(w, e->u.sel.t);
        walk_expr(w, e->u.sel.f);
        return;
    case KE_CAST:
    case KE_SPLAT:
        walk_expr(w, e->u.cast.a);
        return;
    case KE_HREDUCE:
        walk_expr(w, e->u.hred.a);
        return;
    case KE_LANE:
        walk_expr(w, e->u.lane.a);
        return;
    case KE_DOT4:
    case KE_DOT2:
        walk_expr(w, e->u.dot.acc);
        walk_expr(w, e->u.dot.a);
        walk_expr(w, e->u.dot.b);
        return;
    case KE_CONST:
    case KE_VAR:
    case KE_IDX:
        return;
    }
}

static void walk_stmt(const Walk *w, const KStmt *s)
{
    switch (s->kind) {
    case KS_FOR:
        if (s->u.loop.extent > 0) {
            walk_expr(w, s->u.loop.dyn);
            walk_stmt(w, s->u.loop.body);
        }
        return;
    case KS_STORE:
        visit(w, s->u.store.buf, &s->u.store.idx, s->u.store.val->type.lanes, 1, 0);
        walk_expr(w, s->u.store.val);
        return;
    case KS_SET:
        walk_expr(w, s->u.set.val);
        return;
    case KS_SEQ:
        for (uint32_t i = 0; i < s->u.seq.n; i++)
            walk_stmt(w, s->u.seq.items[i]);
        return;
    case KS_IF:
        walk_stmt(w, s->u.cond.then);
        return;
    }
}

void kir_walk_access(const KStmt *s, void (*f)(void *, const KAccess *), void *arg)
{
    Walk w = {f, arg};
    walk_stmt(&w, s);
}

static void mark_used(void *arg, const KAccess *a)
{
    ((uint8_t *)arg)[a->buf] |= a->write ? 2 : 1;
}

void kir_dot_sides(const KExpr *e, KDotSide s[2])
{
    for (int i = 0; i < 2; i++) {
        s[i].load = i ? e->u.dot.b : e->u.dot.a;
        s[i].flip = e->u.dot.flip >> i & 1;
        s[i].u8 = (s[i].load->type.dt == DT_UINT8) != s[i].flip;
    }
    if (!s[0].u8 && s[1].u8) {
        KDotSide t = s[0];
        s[0] = s[1];
        s[1] = t;
    }
}

typedef struct Strided {
    const Program *p;
    uint16_t var;
    int found;
} Strided;

static void note_strided(void *arg, const KAccess *a)
{
    Strided *st = arg;
    if (a->lanes > 1 || dtype_size(st->p->bufs.data[a->buf].dtype) < 4)
        return;
    for (uint8_t i = 0; i < a->idx->n; i++)
        if (a->idx->var[i] == st->var && (a->idx->coef[i] > 2 || a->idx->coef[i] < -2))
            st->found = 1;
}

int kir_loop_strided(const Program *p, const KStmt *loop)
{
    Strided st = {p, loop->u.loop.var, 0};
    kir_walk_access(loop->u.loop.body, note_strided, &st);
    return st.found;
}

void kir_buffers_used(const KStmt *s, uint8_t *u)
{
    kir_walk_access(s, mark_used, u);
}

void kir_mark_shared(const Program *p, uint8_t *u)
{
    for (uint32_t b = 0; b < p->bufs.len; b++) {
        uint32_t a = p->bufs.data[b].alias;
        if (u[b] && a && a - 1 < p->bufs.len && u[a - 1]) {
            u[b] |= KU_SHARED;
            u[a - 1] |= KU_SHARED;
        }
    }
}
