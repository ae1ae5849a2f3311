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

/* Which buffers a statement reads (|= 1) and writes (|= 2); an empty loop touches none
 * (the printers print none). */
static void used_expr(const KExpr *e, uint8_t *u)
{
    if (!e)
        return;
    switch (e->kind) {
    case KE_LOAD:
        u[e->u.load.buf] |= 1;
        used_expr(e->u.load.other, u);
        return;
    case KE_LOADX:
        u[e->u.loadx.buf] |= 1;
        used_expr(e->u.loadx.dyn, u);
        return;
    case KE_OP:
        for (int i = 0; i < 3; i++)
            used_expr(e->u.op.a[i], u);
        return;
    case KE_SELECT:
        used_expr(e->u.sel.c, u);
        used_expr(e->u.sel.t, u);
        used_expr(e->u.sel.f, u);
        return;
    case KE_CAST:
    case KE_SPLAT:
        used_expr(e->u.cast.a, u);
        return;
    case KE_HREDUCE:
        used_expr(e->u.hred.a, u);
        return;
    case KE_LANE:
        used_expr(e->u.lane.a, u);
        return;
    case KE_DOT4:
    case KE_DOT2:
        used_expr(e->u.dot.acc, u);
        used_expr(e->u.dot.a, u);
        used_expr(e->u.dot.b, u);
        return;
    case KE_CONST:
    case KE_VAR:
    case KE_IDX:
        return;
    }
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

void kir_buffers_used(const KStmt *s, uint8_t *u)
{
    switch (s->kind) {
    case KS_FOR:
        if (s->u.loop.extent > 0) { /* empty loops are not printed */
            used_expr(s->u.loop.dyn, u);
            kir_buffers_used(s->u.loop.body, u);
        }
        return;
    case KS_STORE:
        u[s->u.store.buf] |= 2;
        used_expr(s->u.store.val, u);
        return;
    case KS_SET:
        used_expr(s->u.set.val, u);
        return;
    case KS_SEQ:
        for (uint32_t i = 0; i < s->u.seq.n; i++)
            kir_buffers_used(s->u.seq.items[i], u);
        return;
    case KS_IF:
        kir_buffers_used(s->u.cond.then, u);
        return;
    }
}
