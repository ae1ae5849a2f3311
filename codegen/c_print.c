/* C printer: prints kernel IR as C99 (no op knowledge here: only kernel
 * operations, buffers and the memory plan), the weight blob as a string
 * literal, the runtime-min helpers used, and the model.h API. */
#include <string.h>

#include "codegen/cname.h"
#include "codegen/emit.h"
#include "include/lwcc/lwcc.h"
#include "ir/graph.h"
#include "ir/kir.h"
#include "passes/pass.h"
#include "runtime-min/rt_blob.h"
#include "target/target.h"

typedef struct Printer {
    Ctx *ctx;
    const Program *p;
    const char *prefix; /* lower case */
    const char *upper;  /* macros */
    StrBuf *sb;
    uint8_t *helper_used; /* per lwrt_helpers entry */
    int need_clamp;
    uint64_t *woff; /* weight offsets in the blob */
    uint64_t blob_size;
    int weights_used;
} Printer;

static const char *ctype(DType dt)
{
    return dtype_info(dt)->ctype;
}

/* unsigned type in which integer arithmetic of dt wraps without UB */
static const char *utype(DType dt)
{
    return dtype_size(dt) == 8 ? "uint64_t" : "uint32_t";
}

static void use_helper(Printer *pr, const char *name)
{
    for (uint32_t i = 0; i < lwrt_nhelpers; i++)
        if (!strcmp(lwrt_helpers[i].name, name)) {
            if (pr->helper_used[i])
                return;
            pr->helper_used[i] = 1;
            /* dependencies */
            const char *d = lwrt_helpers[i].deps;
            while (d && *d) {
                while (*d == ' ')
                    d++;
                const char *e = d;
                while (*e && *e != ' ')
                    e++;
                if (e > d) {
                    char tmp[64];
                    size_t n = (size_t)(e - d) < sizeof tmp - 1 ? (size_t)(e - d) : sizeof tmp - 1;
                    memcpy(tmp, d, n);
                    tmp[n] = 0;
                    use_helper(pr, tmp);
                }
                d = e;
            }
            return;
        }
    LW_ICE("runtime-min has no helper '%s'", name);
}

static void put_index(StrBuf *sb, const KIndex *ix)
{
    int any = 0;
    for (uint8_t i = 0; i < ix->n; i++) {
        if (ix->coef[i] == 0)
            continue;
        if (any)
            sb_puts(sb, ix->coef[i] < 0 ? " - " : " + ");
        else if (ix->coef[i] < 0)
            sb_putc(sb, '-');
        int64_t c = ix->coef[i] < 0 ? -ix->coef[i] : ix->coef[i];
        sb_printf(sb, "i%u", ix->var[i]);
        if (c != 1) {
            sb_puts(sb, " * ");
            sb_i64(sb, c);
        }
        any = 1;
    }
    if (ix->base != 0 || !any) {
        if (any)
            sb_puts(sb, ix->base < 0 ? " - " : " + ");
        else if (ix->base < 0)
            sb_putc(sb, '-');
        sb_i64(sb, ix->base < 0 ? -ix->base : ix->base);
    }
}

static void put_cond(StrBuf *sb, const KCond *c)
{
    sb_puts(sb, "(uint32_t)(");
    put_index(sb, &c->e);
    sb_puts(sb, ") < ");
    sb_i64(sb, c->bound);
    sb_putc(sb, 'u');
}

static void put_float_const(Printer *pr, DType dt, double v)
{
    StrBuf *sb = pr->sb;
    if (v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308) {
        /* infinities and NaN are not literals: build them from their bits */
        use_helper(pr, "lwrt_f32_bits");
        const char *bits = v != v ? "0x7fc00000u" : v > 0 ? "0x7f800000u" : "0xff800000u";
        if (dt == DT_FLOAT32)
            sb_printf(sb, "lwrt_f32_bits(%s)", bits);
        else
            sb_printf(sb, "(double)lwrt_f32_bits(%s)", bits);
        return;
    }
    if (dt == DT_FLOAT32)
        sb_hexf32(sb, (float)v);
    else
        sb_hexf64(sb, v);
}

static void put_int_const(StrBuf *sb, DType dt, int64_t v)
{
    if (dtype_size(dt) == 8) {
        if (dt == DT_UINT64) {
            sb_printf(sb, "UINT64_C(");
            sb_u64(sb, (uint64_t)v);
            sb_putc(sb, ')');
        } else if (v == INT64_MIN) {
            sb_puts(sb, "INT64_MIN");
        } else {
            sb_puts(sb, "INT64_C(");
            sb_i64(sb, v);
            sb_putc(sb, ')');
        }
        return;
    }
    sb_printf(sb, "(%s)", ctype(dt));
    if (v < 0) {
        if (v == INT32_MIN) {
            sb_puts(sb, "INT32_MIN");
            return;
        }
        sb_putc(sb, '(');
        sb_i64(sb, v);
        sb_putc(sb, ')');
    } else {
        sb_i64(sb, v);
        if (v > INT32_MAX)
            sb_putc(sb, 'u');
    }
}

static void expr(Printer *pr, const KExpr *e);

static void op_expr(Printer *pr, const KExpr *e)
{
    StrBuf *sb = pr->sb;
    const KOpInfo *info = kop_info(e->u.op.op);
    const KExpr *a = e->u.op.a[0], *b = e->u.op.a[1], *c = e->u.op.a[2];
    DType dt = a->type.dt;
    int fl = dtype_is_float(dt);
    const char *T = ctype(dt), *U = utype(dt);
    switch (info->form) {
    case KF_INFIX:
        if (fl) {
            sb_putc(sb, '(');
            expr(pr, a);
            sb_printf(sb, " %s ", info->cspell);
            expr(pr, b);
            sb_putc(sb, ')');
        } else {
            sb_printf(sb, "((%s)((%s)", T, U);
            expr(pr, a);
            sb_printf(sb, " %s (%s)", info->cspell, U);
            expr(pr, b);
            sb_puts(sb, "))");
        }
        return;
    case KF_FMA:
        if (fl) {
            sb_putc(sb, '(');
            expr(pr, a);
            sb_puts(sb, " * ");
            expr(pr, b);
            sb_puts(sb, " + ");
            expr(pr, c);
            sb_putc(sb, ')');
        } else {
            sb_printf(sb, "((%s)((%s)", T, U);
            expr(pr, a);
            sb_printf(sb, " * (%s)", U);
            expr(pr, b);
            sb_printf(sb, " + (%s)", U);
            expr(pr, c);
            sb_puts(sb, "))");
        }
        return;
    case KF_PREFIX:
        if (e->u.op.op == KOP_NOT) {
            sb_puts(sb, "((uint8_t)!");
            expr(pr, a);
            sb_putc(sb, ')');
        } else if (fl) {
            sb_puts(sb, "(-");
            expr(pr, a);
            sb_putc(sb, ')');
        } else {
            sb_printf(sb, "((%s)((%s)0 - (%s)", T, U, U);
            expr(pr, a);
            sb_puts(sb, "))");
        }
        return;
    case KF_ABS:
        if (fl) {
            sb_putc(sb, '(');
            expr(pr, a);
            sb_puts(sb, " < 0 ? -");
            expr(pr, a);
            sb_puts(sb, " : ");
            expr(pr, a);
            sb_putc(sb, ')');
        } else if (!dtype_is_signed(dt)) {
            expr(pr, a);
        } else {
            sb_printf(sb, "((%s)(", T);
            expr(pr, a);
            sb_printf(sb, " < 0 ? (%s)0 - (%s)", U, U);
            expr(pr, a);
            sb_printf(sb, " : (%s)", U);
            expr(pr, a);
            sb_puts(sb, "))");
        }
        return;
    case KF_CMP:
        sb_puts(sb, "((uint8_t)(");
        expr(pr, a);
        sb_printf(sb, " %s ", info->cspell);
        expr(pr, b);
        sb_puts(sb, "))");
        return;
    case KF_MIN:
    case KF_MAX:
        sb_printf(sb, "((%s)(", T);
        expr(pr, a);
        sb_puts(sb, info->form == KF_MIN ? " < " : " > ");
        expr(pr, b);
        sb_puts(sb, " ? ");
        expr(pr, a);
        sb_puts(sb, " : ");
        expr(pr, b);
        sb_puts(sb, "))");
        return;
    case KF_BITS:
        if (e->u.op.op == KOP_SHL || e->u.op.op == KOP_SHR) {
            /* a shift by the width or more is 0, never undefined */
            sb_printf(sb, "((%s)(", T);
            expr(pr, b);
            sb_printf(sb, " >= %u ? (%s)0 : (%s)", dtype_size(dt) == 8 ? 64u : 32u, U, U);
            expr(pr, a);
            sb_printf(sb, " %s (%s)", info->cspell, U);
            expr(pr, b);
            sb_puts(sb, "))");
            return;
        }
        sb_printf(sb, "((%s)((%s)", T, U);
        expr(pr, a);
        sb_printf(sb, " %s (%s)", info->cspell, U);
        expr(pr, b);
        sb_puts(sb, "))");
        return;
    case KF_DIV:
        if (fl) {
            if (e->u.op.op == KOP_MOD) {
                use_helper(pr, info->helper);
                sb_printf(sb, "%s%s(%s", dt == DT_FLOAT64 ? "(double)" : "", info->helper,
                          dt == DT_FLOAT64 ? "(float)" : "");
                expr(pr, a);
                sb_puts(sb, dt == DT_FLOAT64 ? ", (float)" : ", ");
                expr(pr, b);
                sb_putc(sb, ')');
            } else {
                sb_putc(sb, '(');
                expr(pr, a);
                sb_puts(sb, " / ");
                expr(pr, b);
                sb_putc(sb, ')');
            }
            return;
        }
        /* integer division: 0 for a zero divisor; x / -1 without overflow. The
         * whole conditional is cast: ?: promotes small integer types to int. */
        sb_printf(sb, "((%s)(", T);
        expr(pr, b);
        sb_printf(sb, " == 0 ? (%s)0 : ", T);
        if (dtype_is_signed(dt)) {
            expr(pr, b);
            if (e->u.op.op == KOP_DIV) {
                sb_printf(sb, " == -1 ? (%s)((%s)0 - (%s)", T, U, U);
                expr(pr, a);
                sb_puts(sb, ") : ");
            } else {
                sb_printf(sb, " == -1 ? (%s)0 : ", T);
            }
        }
        sb_printf(sb, "(%s)(", T);
        expr(pr, a);
        sb_printf(sb, " %s ", info->cspell);
        expr(pr, b);
        sb_puts(sb, ")))");
        return;
    case KF_CALL:
        if (dt != DT_FLOAT32 && dt != DT_FLOAT64)
            LW_ICE("kernel op %s on %s has no helper", info->name, dtype_name(dt));
        use_helper(pr, info->helper);
        /* float64 is computed through the float32 helper (no double helpers yet) */
        sb_printf(sb, "%s%s(%s", dt == DT_FLOAT64 ? "(double)" : "", info->helper,
                  dt == DT_FLOAT64 ? "(float)" : "");
        expr(pr, a);
        if (info->arity > 1) {
            sb_puts(sb, dt == DT_FLOAT64 ? ", (float)" : ", ");
            expr(pr, b);
        }
        sb_putc(sb, ')');
        return;
    }
}

static void expr(Printer *pr, const KExpr *e)
{
    StrBuf *sb = pr->sb;
    switch (e->kind) {
    case KE_CONST:
        if (dtype_is_float(e->type.dt))
            put_float_const(pr, e->type.dt, e->u.c.f);
        else
            put_int_const(sb, e->type.dt, e->u.c.i);
        return;
    case KE_VAR:
        sb_printf(sb, "l%u", e->u.local);
        return;
    case KE_IDX:
        sb_printf(sb, "((%s)(", ctype(e->type.dt));
        put_index(sb, &e->u.idx);
        sb_puts(sb, "))");
        return;
    case KE_LOAD:
        if (e->u.load.nguard) {
            sb_putc(sb, '(');
            for (uint8_t i = 0; i < e->u.load.nguard; i++) {
                if (i)
                    sb_puts(sb, " && ");
                put_cond(sb, &e->u.load.guard[i]);
            }
            sb_puts(sb, " ? ");
        }
        sb_printf(sb, "b%u[", e->u.load.buf);
        put_index(sb, &e->u.load.idx);
        sb_putc(sb, ']');
        if (e->u.load.nguard) {
            sb_puts(sb, " : ");
            expr(pr, e->u.load.other);
            sb_putc(sb, ')');
        }
        return;
    case KE_LOADX:
        pr->need_clamp = 1;
        sb_printf(sb, "b%u[", e->u.loadx.buf);
        put_index(sb, &e->u.loadx.idx);
        sb_puts(sb, " + lw_clamp(");
        expr(pr, e->u.loadx.dyn);
        sb_printf(sb, ", %lld)", (long long)e->u.loadx.extent);
        if (e->u.loadx.stride != 1)
            sb_printf(sb, " * %lld", (long long)e->u.loadx.stride);
        sb_putc(sb, ']');
        return;
    case KE_OP:
        op_expr(pr, e);
        return;
    case KE_SELECT:
        /* ?: promotes small integer types to int: cast back */
        sb_printf(sb, "((%s)(", ctype(e->type.dt));
        expr(pr, e->u.sel.c);
        sb_puts(sb, " ? ");
        expr(pr, e->u.sel.t);
        sb_puts(sb, " : ");
        expr(pr, e->u.sel.f);
        sb_puts(sb, "))");
        return;
    case KE_CAST: {
        DType from = e->u.cast.a->type.dt, to = e->type.dt;
        const char *conv = from == DT_FLOAT16   ? "lwrt_f16_to_f32"
                           : from == DT_BFLOAT16 ? "lwrt_bf16_to_f32"
                           : to == DT_FLOAT16    ? "lwrt_f32_to_f16"
                           : to == DT_BFLOAT16   ? "lwrt_f32_to_bf16"
                                                 : NULL;
        if (conv) {
            use_helper(pr, conv);
            sb_printf(sb, "%s(", conv);
        } else if (to == DT_BOOL && dtype_is_float(from)) {
            sb_puts(sb, "((uint8_t)(0 != ");
            expr(pr, e->u.cast.a);
            sb_puts(sb, "))");
            return;
        } else {
            sb_printf(sb, "((%s)", ctype(to));
        }
        expr(pr, e->u.cast.a);
        sb_putc(sb, ')');
        return;
    }
    case KE_SPLAT:
    case KE_HREDUCE:
        break;
    }
    LW_ICE("the C printer does not print vector expressions yet");
}

static void stmt(Printer *pr, const KStmt *s, int ind)
{
    StrBuf *sb = pr->sb;
    switch (s->kind) {
    case KS_FOR:
        if (s->u.loop.extent == 0)
            return;
        sb_indent(sb, ind);
        sb_printf(sb, "for (int32_t i%u = 0; i%u < %lld; i%u++) {\n", s->u.loop.var,
                  s->u.loop.var, (long long)s->u.loop.extent, s->u.loop.var);
        stmt(pr, s->u.loop.body, ind + 1);
        sb_indent(sb, ind);
        sb_puts(sb, "}\n");
        return;
    case KS_STORE:
        sb_indent(sb, ind);
        sb_printf(sb, "b%u[", s->u.store.buf);
        put_index(sb, &s->u.store.idx);
        sb_puts(sb, "] = ");
        expr(pr, s->u.store.val);
        sb_puts(sb, ";\n");
        return;
    case KS_SET:
        sb_indent(sb, ind);
        sb_printf(sb, "l%u = ", s->u.set.local);
        expr(pr, s->u.set.val);
        sb_puts(sb, ";\n");
        return;
    case KS_SEQ:
        for (uint32_t i = 0; i < s->u.seq.n; i++)
            stmt(pr, s->u.seq.items[i], ind);
        return;
    case KS_IF:
        sb_indent(sb, ind);
        sb_puts(sb, "if (");
        for (uint8_t i = 0; i < s->u.cond.ncond; i++) {
            if (i)
                sb_puts(sb, " && ");
            put_cond(sb, &s->u.cond.cond[i]);
        }
        sb_puts(sb, ") {\n");
        stmt(pr, s->u.cond.then, ind + 1);
        sb_indent(sb, ind);
        sb_puts(sb, "}\n");
        return;
    }
}

static void kernel_comment(Printer *pr, const Kernel *k)
{
    StrBuf *sb = pr->sb;
    const Graph *g = pr->ctx->g;
    sb_puts(sb, "/* ");
    if (k->comment) {
        cname_comment(sb, k->comment, 300);
    } else {
        const Node *n = graph_node(g, k->origin);
        sb_puts(sb, "node '");
        cname_comment(sb, n->loc.name, 200);
        sb_puts(sb, "' (");
        if (n->loc.domain && *n->loc.domain) {
            cname_comment(sb, n->loc.domain, 100);
            sb_putc(sb, ' ');
        }
        cname_comment(sb, n->loc.op_type, 100);
        sb_printf(sb, ", opset %lld)", (long long)n->loc.opset);
        for (uint32_t i = 0; i < k->nfused; i++) {
            const Node *f = graph_node(g, k->fused[i]);
            sb_puts(sb, i ? ", '" : ", fused: '");
            cname_comment(sb, f->loc.name, 200);
            sb_puts(sb, "' (");
            cname_comment(sb, f->loc.op_type, 100);
            sb_putc(sb, ')');
        }
    }
    sb_puts(sb, " */\n");
}

static void print_kernel(Printer *pr, const Kernel *k, uint8_t *u)
{
    StrBuf *sb = pr->sb;
    const Program *p = pr->p;
    memset(u, 0, p->bufs.len);
    kir_buffers_used(k->body, u);
    kernel_comment(pr, k);
    sb_printf(sb, "static void %s(const void *const *lw_in, void *const *lw_out, "
                  "unsigned char *lw_a)\n{\n", k->cname);
    int any_in = 0, any_out = 0, any_a = 0;
    for (uint32_t b = 0; b < p->bufs.len; b++) {
        if (!u[b])
            continue;
        const KBuf *kb = &p->bufs.data[b];
        int ro = !(u[b] & 2);
        const char *T = ctype(kb->dtype);
        sb_printf(sb, "    %s%s *restrict b%u = (%s%s *)", ro ? "const " : "", T, b,
                  ro ? "const " : "", T);
        switch (kb->kind) {
        case KB_INPUT:
            sb_printf(sb, "lw_in[%u];\n", kb->slot);
            any_in = 1;
            break;
        case KB_OUTPUT:
            sb_printf(sb, "lw_out[%u];\n", kb->slot);
            any_out = 1;
            break;
        case KB_ARENA:
            sb_printf(sb, "(lw_a + %llu);\n", (unsigned long long)kb->offset);
            any_a = 1;
            break;
        case KB_WEIGHT:
            pr->weights_used = 1;
            sb_printf(sb, "(const void *)(lw_w.b + %llu);\n",
                      (unsigned long long)pr->woff[kb->slot]);
            break;
        }
    }
    if (!any_in)
        sb_puts(sb, "    (void)lw_in;\n");
    if (!any_out)
        sb_puts(sb, "    (void)lw_out;\n");
    if (!any_a)
        sb_puts(sb, "    (void)lw_a;\n");
    for (uint16_t l = 0; l < k->nlocals; l++)
        sb_printf(sb, "    %s l%u = 0;\n", ctype(k->locals[l].dt), l);
    stmt(pr, k->body, 1);
    sb_puts(sb, "}\n\n");
}

static void print_blob(Printer *pr)
{
    StrBuf *sb = pr->sb;
    const Program *p = pr->p;
    sb_puts(sb, "#if defined(__GNUC__)\n#pragma GCC diagnostic push\n"
                "#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n#endif\n");
    sb_printf(sb, "static const union {\n    unsigned char b[%llu];\n    uint64_t align;\n} lw_w = {",
              (unsigned long long)pr->blob_size);
    uint64_t pos = 0, col = 0;
    for (uint32_t w = 0; w < p->weights.len; w++) {
        const Weight *wt = &p->weights.data[w];
        if (w == 0 || col > 0)
            sb_puts(sb, "\n    \"");
        col = 1;
        while (pos < pr->woff[w]) {
            sb_puts(sb, "\\000");
            pos++;
        }
        for (uint64_t i = 0; i < wt->size; i++) {
            unsigned char c = wt->bytes[i];
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
                sb_putc(sb, (char)c);
                col++;
            } else {
                char esc[5] = {'\\', (char)('0' + (c >> 6)), (char)('0' + ((c >> 3) & 7)),
                               (char)('0' + (c & 7)), 0};
                sb_puts(sb, esc);
                col += 4;
            }
            if (col >= 96 && i + 1 < wt->size) {
                sb_puts(sb, "\"\n    \"");
                col = 1;
            }
            pos++;
        }
        sb_putc(sb, '"');
    }
    while (pos < pr->blob_size) { /* tail padding */
        sb_puts(sb, " \"\\000\"");
        pos++;
    }
    sb_puts(sb, "\n};\n#if defined(__GNUC__)\n#pragma GCC diagnostic pop\n#endif\n\n");
}

static void desc_table(Printer *pr, StrBuf *sb, const char *which, const uint32_t *bdata,
                       uint32_t blen)
{
    const Graph *g = pr->ctx->g;
    const Program *p = pr->p;
    for (uint32_t i = 0; i < blen; i++) {
        const KBuf *kb = &p->bufs.data[bdata[i]];
        const Value *v = graph_value(g, kb->origin);
        if (v->shape.rank) {
            sb_printf(sb, "static const int32_t lw_%s%u_dims[%u] = {", which, i, v->shape.rank);
            for (uint8_t d = 0; d < v->shape.rank; d++)
                sb_printf(sb, "%s%lld", d ? ", " : "", (long long)v->shape.dims[d]);
            sb_puts(sb, "};\n");
        }
    }
    if (!blen)
        return;
    sb_printf(sb, "const struct %s_tensor_desc %s_%ss[%u] = {\n", pr->prefix, pr->prefix, which,
              blen);
    for (uint32_t i = 0; i < blen; i++) {
        const KBuf *kb = &p->bufs.data[bdata[i]];
        const Value *v = graph_value(g, kb->origin);
        sb_puts(sb, "    {\"");
        cname_string(sb, v->name, 200);
        sb_printf(sb, "\", %d, %u, ", (int)dtype_info(v->dtype)->onnx, v->shape.rank);
        if (v->shape.rank)
            sb_printf(sb, "lw_%s%u_dims", which, i);
        else
            sb_puts(sb, "0");
        sb_printf(sb, ", %lluu, -1, 0, 0, 0},\n",
                  (unsigned long long)(kb->nelem * dtype_size(kb->dtype)));
    }
    sb_puts(sb, "};\n\n");
}

LwStatus c_print(Ctx *ctx, const char *prefix, StrBuf *c, StrBuf *h)
{
    Printer pr;
    memset(&pr, 0, sizeof pr);
    pr.ctx = ctx;
    pr.p = ctx->prog;
    pr.prefix = prefix;
    pr.upper = upper_name(ctx->perm, prefix);
    pr.helper_used = arena_array(ctx->perm, uint8_t, lwrt_nhelpers ? lwrt_nhelpers : 1);
    const Program *p = ctx->prog;
    /* weight blob layout */
    pr.woff = arena_array(ctx->perm, uint64_t, p->weights.len ? p->weights.len : 1);
    pr.blob_size = weight_layout(p, pr.woff);
    const char *model = base_name(ctx->opt->input);
    const char *tgt = ctx->opt->target ? ctx->opt->target : "generic";

    /* kernels first (to learn which helpers they use), into their own buffer */
    StrBuf kernels;
    sb_init(&kernels, ctx->perm);
    pr.sb = &kernels;
    uint8_t *u = arena_array(ctx->scratch, uint8_t, p->bufs.len ? p->bufs.len : 1);
    for (uint32_t k = 0; k < p->kernels.len; k++)
        print_kernel(&pr, &p->kernels.data[k], u);

    /* model.c */
    pr.sb = c;
    sb_printf(c, "/* %s.c: generated by lwcc %s from ", prefix, LW_VERSION);
    cname_comment(c, model, 200);
    sb_printf(c, ", %s --target=%s (%s). Do not edit. */\n", opt_name(ctx->opt->opt), tgt,
              ctx->target->name);
    sb_printf(c, "#include \"%s.h\"\n\n", prefix);
    if (pr.weights_used)
        print_blob(&pr);
    int any_helper = 0;
    for (uint32_t i = 0; i < lwrt_nhelpers; i++)
        if (pr.helper_used[i]) {
            if (!any_helper)
                sb_puts(c, "/* runtime-min helpers */\n");
            any_helper = 1;
            sb_puts(c, lwrt_helpers[i].source);
            sb_putc(c, '\n');
        }
    if (pr.need_clamp)
        sb_puts(c, "static inline int32_t lw_clamp(int32_t v, int32_t n)\n{\n"
                   "    return v < 0 ? 0 : v >= n ? n - 1 : v;\n}\n\n");
    sb_putn(c, kernels.data ? kernels.data : "", kernels.len);
    desc_table(&pr, c, "input", p->inputs.data, p->inputs.len);
    desc_table(&pr, c, "output", p->outputs.data, p->outputs.len);
    sb_printf(c, "int %s_run(const void *const inputs[], void *const outputs[], void *arena)\n{\n",
              prefix);
    sb_puts(c, "    unsigned char *lw_a = (unsigned char *)arena;\n");
    sb_printf(c, "    if (!inputs || !outputs || !arena || ((uintptr_t)arena & (%s_ARENA_ALIGN - 1u)) "
                 "!= 0)\n        return 1;\n", pr.upper);
    for (uint32_t i = 0; i < p->inputs.len; i++)
        sb_printf(c, "    if (!inputs[%u])\n        return 1;\n", i);
    for (uint32_t i = 0; i < p->outputs.len; i++)
        sb_printf(c, "    if (!outputs[%u])\n        return 1;\n", i);
    for (uint32_t k = 0; k < p->kernels.len; k++)
        sb_printf(c, "    %s(inputs, outputs, lw_a);\n", p->kernels.data[k].cname);
    sb_puts(c, "    return 0;\n}\n");

    c_header(ctx, prefix, h);
    return LW_OK;
}
