/* Text form of kernel IR for --emit=kir and --print-after. Vectors show their width:
 * `vload<8> b2[i0]`, `splat<8>(...)`, `local l0: float32x8`, `vstore<8> b3[8*i0] = ...`. */
#include "ir/kir.h"

static void dump_index(const KIndex *ix, StrBuf *sb)
{
    int any = 0;
    for (uint8_t i = 0; i < ix->n; i++) {
        if (any)
            sb_puts(sb, " + ");
        if (ix->coef[i] != 1) {
            sb_i64(sb, ix->coef[i]);
            sb_putc(sb, '*');
        }
        sb_printf(sb, "i%u", ix->var[i]);
        any = 1;
    }
    if (ix->base || !any) {
        if (any)
            sb_puts(sb, " + ");
        sb_i64(sb, ix->base);
    }
}

static void dump_expr(const KExpr *e, StrBuf *sb)
{
    switch (e->kind) {
    case KE_CONST:
        if (dtype_is_float(e->type.dt))
            sb_decf32(sb, (float)e->u.c.f);
        else
            sb_i64(sb, e->u.c.i);
        sb_printf(sb, ":%s", dtype_name(e->type.dt));
        return;
    case KE_VAR:
        sb_printf(sb, "l%u", e->u.local);
        return;
    case KE_IDX:
        sb_putc(sb, '(');
        dump_index(&e->u.idx, sb);
        sb_putc(sb, ')');
        return;
    case KE_LOAD:
        if (e->type.lanes > 1)
            sb_printf(sb, "vload<%u> ", e->type.lanes);
        sb_printf(sb, "b%u[", e->u.load.buf);
        dump_index(&e->u.load.idx, sb);
        sb_putc(sb, ']');
        if (e->u.load.nguard) {
            sb_puts(sb, " if(");
            for (uint8_t i = 0; i < e->u.load.nguard; i++) {
                if (i)
                    sb_puts(sb, ", ");
                dump_index(&e->u.load.guard[i].e, sb);
                sb_printf(sb, " in [0,%lld)", (long long)e->u.load.guard[i].bound);
            }
            sb_puts(sb, ") else ");
            dump_expr(e->u.load.other, sb);
        }
        return;
    case KE_LOADX:
        sb_printf(sb, "b%u[", e->u.loadx.buf);
        dump_index(&e->u.loadx.idx, sb);
        sb_puts(sb, " + clamp(");
        dump_expr(e->u.loadx.dyn, sb);
        sb_printf(sb, ", %lld)*%lld]", (long long)e->u.loadx.extent, (long long)e->u.loadx.stride);
        return;
    case KE_OP: {
        const KOpInfo *info = kop_info(e->u.op.op);
        sb_printf(sb, "%s(", info->name);
        for (int i = 0; i < info->arity; i++) {
            if (i)
                sb_puts(sb, ", ");
            dump_expr(e->u.op.a[i], sb);
        }
        sb_putc(sb, ')');
        return;
    }
    case KE_SELECT:
        sb_puts(sb, "select(");
        dump_expr(e->u.sel.c, sb);
        sb_puts(sb, ", ");
        dump_expr(e->u.sel.t, sb);
        sb_puts(sb, ", ");
        dump_expr(e->u.sel.f, sb);
        sb_putc(sb, ')');
        return;
    case KE_CAST:
        sb_printf(sb, "cast<%s>(", dtype_name(e->type.dt));
        dump_expr(e->u.cast.a, sb);
        sb_putc(sb, ')');
        return;
    case KE_SPLAT:
        sb_printf(sb, "splat<%u>(", e->type.lanes);
        dump_expr(e->u.cast.a, sb);
        sb_putc(sb, ')');
        return;
    case KE_LANE:
        dump_expr(e->u.lane.a, sb);
        sb_printf(sb, "[%u]", e->u.lane.i);
        return;
    case KE_DOT4:
    case KE_DOT2:
        sb_puts(sb, e->kind == KE_DOT2 ? "dot2(" : e->u.dot.flip ? "dot4<flip>(" : "dot4(");
        dump_expr(e->u.dot.acc, sb);
        sb_puts(sb, ", ");
        dump_expr(e->u.dot.a, sb);
        sb_puts(sb, ", ");
        dump_expr(e->u.dot.b, sb);
        sb_putc(sb, ')');
        return;
    case KE_HREDUCE:
        sb_printf(sb, "hreduce<%s>(", kop_info(e->u.hred.op)->name);
        dump_expr(e->u.hred.a, sb);
        sb_putc(sb, ')');
        return;
    }
}

static void dump_stmt(const KStmt *s, int ind, StrBuf *sb)
{
    switch (s->kind) {
    case KS_FOR:
        sb_indent(sb, ind);
        sb_printf(sb, "for i%u < ", s->u.loop.var);
        if (s->u.loop.dyn) {
            /* the trip count and its bound: i < clamp(dyn, 0, extent) */
            sb_puts(sb, "clamp(");
            dump_expr(s->u.loop.dyn, sb);
            sb_printf(sb, ", 0, %lld)\n", (long long)s->u.loop.extent);
        } else {
            sb_printf(sb, "%lld\n", (long long)s->u.loop.extent);
        }
        dump_stmt(s->u.loop.body, ind + 1, sb);
        return;
    case KS_STORE:
        sb_indent(sb, ind);
        if (s->u.store.val->type.lanes > 1)
            sb_printf(sb, "vstore<%u> ", s->u.store.val->type.lanes);
        sb_printf(sb, "b%u[", s->u.store.buf);
        dump_index(&s->u.store.idx, sb);
        sb_puts(sb, "] = ");
        dump_expr(s->u.store.val, sb);
        sb_putc(sb, '\n');
        return;
    case KS_SET:
        sb_indent(sb, ind);
        sb_printf(sb, "l%u = ", s->u.set.local);
        dump_expr(s->u.set.val, sb);
        sb_putc(sb, '\n');
        return;
    case KS_SEQ:
        for (uint32_t i = 0; i < s->u.seq.n; i++)
            dump_stmt(s->u.seq.items[i], ind, sb);
        return;
    case KS_IF:
        sb_indent(sb, ind);
        sb_puts(sb, "if ");
        for (uint8_t i = 0; i < s->u.cond.ncond; i++) {
            if (i)
                sb_puts(sb, " && ");
            dump_index(&s->u.cond.cond[i].e, sb);
            sb_printf(sb, " in [0,%lld)", (long long)s->u.cond.cond[i].bound);
        }
        sb_putc(sb, '\n');
        dump_stmt(s->u.cond.then, ind + 1, sb);
        return;
    }
}

void kir_dump_kernel(const Program *p, const Kernel *k, StrBuf *sb)
{
    (void)p;
    sb_printf(sb, "kernel %s", k->cname);
    if (k->schedule)
        sb_printf(sb, " (schedule: %s)", k->schedule);
    sb_putc(sb, '\n');
    for (uint16_t i = 0; i < k->nlocals; i++) {
        sb_printf(sb, "  local l%u: %s", i, dtype_name(k->locals[i].dt));
        if (k->locals[i].lanes > 1)
            sb_printf(sb, "x%u", k->locals[i].lanes);
        sb_putc(sb, '\n');
    }
    dump_stmt(k->body, 1, sb);
}

static const char *const kind_names[] = {"arena", "weight", "input", "output"};

void kir_dump(const Graph *g, const Program *p, StrBuf *sb)
{
    for (uint32_t b = 0; b < p->bufs.len; b++) {
        const KBuf *kb = &p->bufs.data[b];
        sb_printf(sb, "buf b%u: %s %s[%llu]", b, kind_names[kb->kind], dtype_name(kb->dtype),
                  (unsigned long long)kb->nelem);
        if (kb->kind == KB_ARENA)
            sb_printf(sb, " @%llu", (unsigned long long)kb->offset);
        if (kb->origin && g)
            sb_printf(sb, " '%s'", graph_value(g, kb->origin)->name);
        sb_putc(sb, '\n');
    }
    for (uint32_t k = 0; k < p->kernels.len; k++)
        kir_dump_kernel(p, &p->kernels.data[k], sb);
}
