/* C printer: prints kernel IR as C99 (no op knowledge here: only kernel
 * operations, buffers and the memory plan), the weight blob as a string
 * literal, the runtime-min helpers used, and the model.h API. */
#include <string.h>

#include "base/fileio.h"
#include "codegen/cname.h"
#include "codegen/emit.h"
#include "include/lwcc/lwcc.h"
#include "ir/graph.h"
#include "ir/kir.h"
#include "passes/pass.h"
#include "runtime-min/rt_blob.h"
#include "target/target.h"

#define HOLE_INT '\x01'
#define HOLE_F32 '\x02'

typedef struct Hole {
    char kind; /* HOLE_INT or HOLE_F32 */
    int64_t i;
    float f;
} Hole;

/* the dot products' operand kinds: uint8 by int8, int8 by int8, uint8 by uint8 */
static const char *const dot_sig[3] = {"us", "ss", "uu"};

typedef struct Printer {
    Ctx *ctx;
    const Program *p;
    const char *prefix; /* lower case */
    const char *upper;  /* macros */
    StrBuf *sb;
    uint8_t *helper_used; /* per lwrt_helpers entry */
    int need_clamp;
    int scalar_loops;          /* LW_SCALAR_LOOP printed (kir_loop_strided) */
    int params_used;           /* kernels printed with LW_PARAMS (print_kernel) */
    uint8_t mm_used[DT_COUNT]; /* per type, lw_min_T (bit 0), lw_max_T (1), lw_abs_T (2) */
    uint32_t vec_used; /* bit L: vectors of L lanes printed (lw_f32xL and its helpers) */
    uint32_t cvt_used[2]; /* bit L: converting loads of L uint8 [0] / int8 [1] lanes */
    uint32_t ivec_used;   /* bit L: int32 vectors of L lanes (lw_i32xL and its helpers) */
    uint32_t iop_used;    /* bit L: integer vector arithmetic, int64 lanes and int32 vector
                           * stores (lw_vi<op>L, lw_vq<op>L, lw_i64xL, lw_vstbL) */
    uint32_t wid_used[2]; /* bit L: widening loads of L uint8 [0] / int8 [1] to int32 lanes */
    uint32_t dot_used[3]; /* bit L: dot products into L lanes, us / ss / uu (dot_sig) */
    int dot2_used;        /* lw_smlad: two-way int16 dot products */
    uint32_t vdiv_used, vround_used; /* bit L: lw_vdivL, lw_vroundL */
    uint32_t nst_used[2];            /* bit L: narrowing stores of L uint8 [0] / int8 [1] lanes */
    uint64_t *woff; /* weight offsets in the blob */
    uint64_t blob_size;
    uint32_t blob_align; /* weight_align */
    int weights_used;
    /* -Os kernel sharing (see share_kernels): with `holes`, every number that may differ
     * between kernels of one shape is printed as a marker and recorded in `hole`, and
     * buffers are numbered by first use (bmap: buffer -> 1 + local number) */
    int holes, unsharable;
    Vec(Hole) hole;
    uint32_t *bmap, nbmap;
    uint32_t nodes; /* expressions and statements printed */
    int steps;      /* -Os: every kernel takes (lw_p, lw_f) and _run walks a table of steps */
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

static void hole_int(Printer *pr, int64_t v)
{
    Hole h = {HOLE_INT, v, 0};
    if (v < INT32_MIN || v > INT32_MAX)
        pr->unsharable = 1;
    sb_putc(pr->sb, HOLE_INT);
    vec_push(pr->ctx->scratch, &pr->hole, h);
}

/* Buffer b's name: its number, or with holes its number in order of first use. */
static void put_buf(Printer *pr, uint32_t b)
{
    if (!pr->holes) {
        sb_printf(pr->sb, "b%u", b);
        return;
    }
    if (!pr->bmap[b])
        pr->bmap[b] = ++pr->nbmap;
    sb_printf(pr->sb, "b%u", pr->bmap[b] - 1);
}

static void put_index(Printer *pr, const KIndex *ix)
{
    StrBuf *sb = pr->sb;
    int any = 0;
    if (pr->holes) {
        for (uint8_t i = 0; i < ix->n; i++) {
            if (ix->coef[i] == 0)
                continue;
            sb_printf(sb, "%si%u * ", any ? " + " : "", ix->var[i]);
            hole_int(pr, ix->coef[i]);
            any = 1;
        }
        if (any)
            sb_puts(sb, " + ");
        hole_int(pr, ix->base);
        return;
    }
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

static void put_cond(Printer *pr, const KCond *c)
{
    StrBuf *sb = pr->sb;
    sb_puts(sb, "(uint32_t)(");
    put_index(pr, &c->e);
    sb_puts(sb, ") < ");
    if (pr->holes) {
        sb_puts(sb, "(uint32_t)");
        hole_int(pr, c->bound);
        return;
    }
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
    if (dt == DT_FLOAT32 && pr->holes) {
        Hole h = {HOLE_F32, 0, (float)v};
        sb_putc(sb, HOLE_F32);
        vec_push(pr->ctx->scratch, &pr->hole, h);
    } else if (dt == DT_FLOAT32) {
        sb_hexf32(sb, (float)v);
    } else {
        sb_hexf64(sb, v);
    }
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

/* vectors of up to 16 float32 lanes (AVX-512's); Printer.vec_used has a bit per width */
#define LW_MAX_LANES 16u

static uint32_t vec_bit(unsigned lanes)
{
    if (lanes < 2 || lanes > LW_MAX_LANES || (lanes & (lanes - 1)))
        LW_ICE("the C printer has no vectors of %u lanes", lanes);
    return 1u << lanes;
}

/* A vector operation: a call of the lw_v<op><L> helper (see print_vector_helpers), on
 * integer lanes lw_vi<op><L> (int32) or lw_vq<op><L> (int64) (print_int_helpers). */
static void vec_op_expr(Printer *pr, const KExpr *e)
{
    const KOpInfo *info = kop_info(e->u.op.op);
    pr->vec_used |= vec_bit(e->type.lanes);
    DType dt = e->u.op.a[0]->type.dt;
    if (dt == DT_INT32 || dt == DT_INT64) {
        pr->ivec_used |= vec_bit(e->type.lanes);
        pr->iop_used |= vec_bit(e->type.lanes);
        sb_printf(pr->sb, "lw_v%c%s%u(", dt == DT_INT32 ? 'i' : 'q', info->name, e->type.lanes);
        for (int i = 0; i < info->arity; i++) {
            if (i)
                sb_puts(pr->sb, ", ");
            expr(pr, e->u.op.a[i]);
        }
        sb_putc(pr->sb, ')');
        return;
    }
    if (e->u.op.op == KOP_DIV)
        pr->vdiv_used |= vec_bit(e->type.lanes);
    if (e->u.op.op == KOP_ROUND) {
        pr->vround_used |= vec_bit(e->type.lanes);
        use_helper(pr, "lwrt_roundevenf"); /* where the target has no vector rounding */
    }
    sb_printf(pr->sb, "lw_v%s%u(", info->name, e->type.lanes);
    for (int i = 0; i < info->arity; i++) {
        if (i)
            sb_puts(pr->sb, ", ");
        expr(pr, e->u.op.a[i]);
    }
    sb_putc(pr->sb, ')');
}

/* The start of a call on L int8/uint8 elements at &buf[idx] (dt: which): lw_v<op>{s8,u8}L(
 * &buf[idx] (a converting load's lw_vcvt, a narrowing store's lw_vst), recorded in
 * used[s8] for the helpers' definitions. */
static void byte_vec_call(Printer *pr, const char *op, uint32_t *used, DType dt, uint8_t lanes,
                          uint32_t buf, const KIndex *idx)
{
    int s8 = dt == DT_INT8;
    pr->vec_used |= vec_bit(lanes);
    used[s8] |= vec_bit(lanes);
    sb_printf(pr->sb, "lw_v%s%s%u(&", op, s8 ? "s8" : "u8", lanes);
    put_buf(pr, buf);
    sb_putc(pr->sb, '[');
    put_index(pr, idx);
    sb_putc(pr->sb, ']');
}

/* An operand that min, max and abs may print more than once: its text stays short. */
static int simple_operand(const KExpr *e)
{
    return e->kind == KE_CONST || e->kind == KE_VAR || e->kind == KE_LANE ||
           (e->kind == KE_LOAD && !e->u.load.nguard);
}

/* min/max/abs of operands that are themselves expressions: a call of a static inline
 * helper (print_minmax_helpers), which evaluates each once. Printed as the conditional
 * they are, a chain of clamps (Q -> DQ -> Relu -> Q) doubles at every level, and GCC
 * then gives up vectorizing the loop. */
static void minmax_call(Printer *pr, const KExpr *e, int form, DType dt)
{
    int bit = form == KF_MIN ? 0 : form == KF_MAX ? 1 : 2;
    pr->mm_used[dt] |= (uint8_t)(1u << bit);
    static const char *const fn[3] = {"min", "max", "abs"};
    sb_printf(pr->sb, "lw_%s_%s(", fn[bit], dtype_name(dt));
    expr(pr, e->u.op.a[0]);
    if (form != KF_ABS) {
        sb_puts(pr->sb, ", ");
        expr(pr, e->u.op.a[1]);
    }
    sb_putc(pr->sb, ')');
}

static void print_minmax_helpers(StrBuf *c, const uint8_t *used)
{
    for (int t = 0; t < DT_COUNT; t++) {
        if (!used[t])
            continue;
        const char *T = ctype((DType)t), *U = utype((DType)t), *n = dtype_name((DType)t);
        for (int bit = 0; bit < 2; bit++)
            if (used[t] & (1u << bit))
                sb_printf(c,
                          "static inline %s lw_%s_%s(%s a, %s b)\n{\n"
                          "    return a %s b ? a : b;\n}\n\n",
                          T, bit ? "max" : "min", n, T, T, bit ? ">" : "<");
        if (!(used[t] & 4u))
            continue;
        sb_printf(c, "static inline %s lw_abs_%s(%s a)\n{\n", T, n, T);
        if (dtype_is_float((DType)t))
            sb_puts(c, "    return a < 0 ? -a : a;\n}\n\n");
        else
            sb_printf(c, "    return (%s)(a < 0 ? (%s)0 - (%s)a : (%s)a);\n}\n\n", T, U, U, U);
    }
}

static void op_expr(Printer *pr, const KExpr *e)
{
    StrBuf *sb = pr->sb;
    const KOpInfo *info = kop_info(e->u.op.op);
    if (e->type.lanes > 1) {
        vec_op_expr(pr, e);
        return;
    }
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
        if ((fl || dtype_is_signed(dt)) && !simple_operand(a)) {
            minmax_call(pr, e, KF_ABS, dt);
        } else if (fl) {
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
        if (!simple_operand(a) || !simple_operand(b)) {
            minmax_call(pr, e, info->form, dt);
            return;
        }
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
    pr->nodes++;
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
        put_index(pr, &e->u.idx);
        sb_puts(sb, "))");
        return;
    case KE_LOAD:
        if (e->type.lanes > 1) {
            pr->vec_used |= vec_bit(e->type.lanes);
            if (e->type.dt == DT_INT32)
                pr->ivec_used |= vec_bit(e->type.lanes);
            sb_printf(sb, "lw_vld%s%u(&", e->type.dt == DT_INT32 ? "b" : "", e->type.lanes);
            put_buf(pr, e->u.load.buf);
            sb_putc(sb, '[');
            put_index(pr, &e->u.load.idx);
            sb_puts(sb, "])");
            return;
        }
        if (e->u.load.nguard) {
            sb_putc(sb, '(');
            for (uint8_t i = 0; i < e->u.load.nguard; i++) {
                if (i)
                    sb_puts(sb, " && ");
                put_cond(pr, &e->u.load.guard[i]);
            }
            sb_puts(sb, " ? ");
        }
        put_buf(pr, e->u.load.buf);
        sb_putc(sb, '[');
        put_index(pr, &e->u.load.idx);
        sb_putc(sb, ']');
        if (e->u.load.nguard) {
            sb_puts(sb, " : ");
            expr(pr, e->u.load.other);
            sb_putc(sb, ')');
        }
        return;
    case KE_LOADX:
        pr->need_clamp = 1;
        put_buf(pr, e->u.loadx.buf);
        sb_putc(sb, '[');
        put_index(pr, &e->u.loadx.idx);
        sb_puts(sb, " + lw_clamp(");
        expr(pr, e->u.loadx.dyn);
        if (pr->holes) {
            sb_puts(sb, ", ");
            hole_int(pr, e->u.loadx.extent);
            sb_puts(sb, ") * ");
            hole_int(pr, e->u.loadx.stride);
        } else {
            sb_printf(sb, ", %lld)", (long long)e->u.loadx.extent);
            if (e->u.loadx.stride != 1)
                sb_printf(sb, " * %lld", (long long)e->u.loadx.stride);
        }
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
        if (e->type.lanes > 1 && (from == DT_INT32 || from == DT_INT64)) {
            /* int32 sums: lw_vcvti<L>(v); int32 to int64 and back: lw_vi2q<L>, lw_vq2i<L> */
            pr->vec_used |= vec_bit(e->type.lanes);
            pr->ivec_used |= vec_bit(e->type.lanes);
            if (to != DT_FLOAT32)
                pr->iop_used |= vec_bit(e->type.lanes);
            sb_printf(sb, "lw_v%s%u(",
                      to == DT_FLOAT32   ? "cvti"
                      : from == DT_INT32 ? "i2q"
                                         : "q2i",
                      e->type.lanes);
            expr(pr, e->u.cast.a);
            sb_putc(sb, ')');
            return;
        }
        if (e->type.lanes > 1 && to == DT_INT32) { /* a widening load: lw_vwid{u8,s8}<L>(&b[i]) */
            const KExpr *l = e->u.cast.a;
            pr->ivec_used |= vec_bit(e->type.lanes);
            byte_vec_call(pr, "wid", pr->wid_used, from, e->type.lanes, l->u.load.buf,
                          &l->u.load.idx);
            sb_putc(sb, ')');
            return;
        }
        if (e->type.lanes > 1) { /* a converting load: lw_vcvt{u8,s8}<L>(&buf[idx]) */
            const KExpr *l = e->u.cast.a;
            byte_vec_call(pr, "cvt", pr->cvt_used, from, e->type.lanes, l->u.load.buf,
                          &l->u.load.idx);
            sb_putc(sb, ')');
            return;
        }
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
        pr->vec_used |= vec_bit(e->type.lanes);
        if (e->type.dt == DT_INT32 || e->type.dt == DT_INT64)
            pr->ivec_used |= vec_bit(e->type.lanes);
        if (e->type.dt == DT_INT64)
            pr->iop_used |= vec_bit(e->type.lanes);
        sb_printf(sb, "lw_vsplat%s%u(",
                  e->type.dt == DT_INT32   ? "i"
                  : e->type.dt == DT_INT64 ? "q"
                                           : "",
                  e->type.lanes);
        expr(pr, e->u.cast.a);
        sb_putc(sb, ')');
        return;
    case KE_LANE:
        pr->vec_used |= vec_bit(e->u.lane.a->type.lanes);
        sb_puts(sb, "lw_vlane(");
        expr(pr, e->u.lane.a);
        sb_printf(sb, ", %u)", e->u.lane.i);
        return;
    case KE_DOT2: /* lw_smlad(acc, &a[i], &b[j]) */
        pr->dot2_used = 1;
        sb_puts(sb, "lw_smlad(");
        expr(pr, e->u.dot.acc);
        for (int i = 0; i < 2; i++) {
            const KExpr *l = i ? e->u.dot.b : e->u.dot.a;
            sb_puts(sb, ", &");
            put_buf(pr, l->u.load.buf);
            sb_putc(sb, '[');
            put_index(pr, &l->u.load.idx);
            sb_putc(sb, ']');
        }
        sb_putc(sb, ')');
        return;
    case KE_DOT4: { /* lw_vdot{us,ss,uu}<L>(acc, a, b), the uint8 operand first */
        KDotSide sd[2];
        kir_dot_sides(e, sd);
        int k = !sd[0].u8 ? 1 : !sd[1].u8 ? 0 : 2;
        pr->vec_used |= vec_bit(e->type.lanes);
        pr->ivec_used |= vec_bit(e->type.lanes);
        pr->dot_used[k] |= vec_bit(e->type.lanes);
        sb_printf(sb, "lw_vdot%s%u(", dot_sig[k], e->type.lanes);
        expr(pr, e->u.dot.acc);
        for (int i = 0; i < 2; i++) {
            const KExpr *l = sd[i].load;
            if (l->type.lanes == 4)
                sb_printf(sb, ", lw_vsplati%u(lw_ld4(&", e->type.lanes);
            else
                sb_printf(sb, ", lw_vldb%u(&", e->type.lanes);
            put_buf(pr, l->u.load.buf);
            sb_putc(sb, '[');
            put_index(pr, &l->u.load.idx);
            /* flipped: the top bit of each byte (int8 as uint8 plus 128, or back) */
            sb_puts(sb, l->type.lanes != 4 ? "])"
                        : sd[i].flip       ? "]) ^ (int32_t)0x80808080u)"
                                           : "]))");
        }
        sb_putc(sb, ')');
        return;
    }
    case KE_HREDUCE:
        break;
    }
    LW_ICE("the C printer does not print horizontal reductions yet");
}

static void stmt(Printer *pr, const KStmt *s, int ind)
{
    StrBuf *sb = pr->sb;
    pr->nodes++;
    switch (s->kind) {
    case KS_FOR:
        if (s->u.loop.extent == 0)
            return;
        if (target_gathers(pr->ctx->target) && kir_loop_strided(pr->p, s)) {
            pr->scalar_loops = 1;
            sb_indent(sb, ind);
            sb_puts(sb, "LW_SCALAR_LOOP\n");
        }
        sb_indent(sb, ind);
        if (s->u.loop.dyn) {
            /* trip count min(max(dyn, 0), extent), evaluated once: lw_clamp to
             * [0, extent + 1 - 1] */
            uint16_t v = s->u.loop.var;
            pr->need_clamp = 1;
            sb_printf(sb, "for (int32_t i%u = 0, n%u = lw_clamp(", v, v);
            expr(pr, s->u.loop.dyn);
            sb_puts(sb, ", ");
            if (pr->holes)
                hole_int(pr, s->u.loop.extent + 1);
            else
                sb_i64(sb, s->u.loop.extent + 1);
            sb_printf(sb, "); i%u < n%u; i%u++) {\n", v, v, v);
        } else if (pr->holes) {
            sb_printf(sb, "for (int32_t i%u = 0; i%u < ", s->u.loop.var, s->u.loop.var);
            hole_int(pr, s->u.loop.extent);
            sb_printf(sb, "; i%u++) {\n", s->u.loop.var);
        } else {
            sb_printf(sb, "for (int32_t i%u = 0; i%u < %lld; i%u++) {\n", s->u.loop.var,
                      s->u.loop.var, (long long)s->u.loop.extent, s->u.loop.var);
        }
        stmt(pr, s->u.loop.body, ind + 1);
        sb_indent(sb, ind);
        sb_puts(sb, "}\n");
        return;
    case KS_STORE:
        sb_indent(sb, ind);
        if (s->u.store.val->type.lanes > 1 && s->u.store.val->kind == KE_CAST &&
            (s->u.store.val->type.dt == DT_INT8 ||
             s->u.store.val->type.dt == DT_UINT8)) { /* narrowing: lw_vst{u8,s8}L(&b[i], v) */
            const KExpr *v = s->u.store.val;
            byte_vec_call(pr, "st", pr->nst_used, v->type.dt, v->type.lanes, s->u.store.buf,
                          &s->u.store.idx);
            sb_puts(sb, ", ");
            expr(pr, v->u.cast.a);
            sb_puts(sb, ");\n");
            return;
        }
        if (s->u.store.val->type.lanes > 1) {
            int i32 = s->u.store.val->type.dt == DT_INT32; /* int32 lanes: lw_vstbL */
            if (i32) {
                pr->ivec_used |= vec_bit(s->u.store.val->type.lanes);
                pr->iop_used |= vec_bit(s->u.store.val->type.lanes);
            }
            sb_printf(sb, "lw_vst%s%u(&", i32 ? "b" : "", s->u.store.val->type.lanes);
            put_buf(pr, s->u.store.buf);
            sb_putc(sb, '[');
            put_index(pr, &s->u.store.idx);
            sb_puts(sb, "], ");
            expr(pr, s->u.store.val);
            sb_puts(sb, ");\n");
            return;
        }
        put_buf(pr, s->u.store.buf);
        sb_putc(sb, '[');
        put_index(pr, &s->u.store.idx);
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
            put_cond(pr, &s->u.cond.cond[i]);
        }
        sb_puts(sb, ") {\n");
        stmt(pr, s->u.cond.then, ind + 1);
        sb_indent(sb, ind);
        sb_puts(sb, "}\n");
        return;
    }
}

/* The vector type of L float32 lanes and its operations, for the kernels' vector
 * expressions: GCC/Clang vector extensions (the compiler picks the target's
 * registers: AVX2/AVX-512 on x86-64 with -march, NEON on AArch64), else a struct of
 * floats with the same operations lane by lane (any C99 compiler). FMA is spelled
 * a * b + c as in the scalar kernels: contracted to one instruction where the
 * compiler contracts (GCC's default). */
static void print_vector_helpers(StrBuf *c, uint32_t used)
{
    int any = 0, any_lane = 0, any_lane2 = 0; /* lw_vlane, defined once per branch */
    for (unsigned L = 2; L <= LW_MAX_LANES; L *= 2) {
        if (!(used & vec_bit(L)))
            continue;
        if (!any)
            sb_puts(c, "/* float32 vectors */\n");
        any = 1;
        /* macros, not functions: a vector argument or result would change the ABI
         * when the file is built without the target's vector flags (GCC -Wpsabi) */
        sb_puts(c, "#if defined(__GNUC__) || defined(__clang__)\n");
        sb_printf(c, "typedef float lw_f32x%u __attribute__((vector_size(%u)));\n", L, 4 * L);
        sb_printf(c, "typedef float lw_f32x%uu __attribute__((vector_size(%u), aligned(4), "
                     "may_alias));\n", L, 4 * L);
        sb_printf(c, "#define lw_vld%u(p) (*(const lw_f32x%uu *)(const void *)(p))\n", L, L);
        sb_printf(c, "#define lw_vst%u(p, v) (*(lw_f32x%uu *)(void *)(p) = (v))\n", L, L);
        /* x - 0 is x for every x (x + 0 is not: -0 + 0 is +0), so the compiler
         * broadcasts x as it is, from memory when x is a load, with no add */
        sb_printf(c, "#define lw_vsplat%u(x) ((float)(x) - (lw_f32x%u){0})\n", L, L);
        static const char *const infix[][2] = {{"add", "+"}, {"sub", "-"}, {"mul", "*"}};
        for (int i = 0; i < 3; i++)
            sb_printf(c, "#define lw_v%s%u(a, b) ((a) %s (b))\n", infix[i][0], L, infix[i][1]);
        sb_printf(c, "#define lw_vfma%u(a, b, c) ((a) * (b) + (c))\n", L);
        if (!any_lane++)
            sb_puts(c, "#define lw_vlane(a, i) ((a)[i])\n");
        /* a select on the comparison's mask, in bits (a < b ? a : b lane by lane, NaN
         * giving b): a loop over the lanes was left scalar by GCC in some kernels, 16
         * compares and blends for a vector's Relu (mlperf_mobilenetv1_025's depthwise
         * convs' stores) */
        static const char *const mmg[][2] = {{"min", "<"}, {"max", ">"}};
        for (int i = 0; i < 2; i++)
            sb_printf(c,
                      "#define lw_v%s%u(a, b) __extension__({ lw_f32x%u a_ = (a), b_ = (b); "
                      "__typeof__(a_ %s b_) m_ = a_ %s b_; (lw_f32x%u)(((__typeof__(m_))a_ & "
                      "m_) | ((__typeof__(m_))b_ & ~m_)); })\n",
                      mmg[i][0], L, L, mmg[i][1], mmg[i][1], L);
        sb_puts(c, "#else\n");
        sb_printf(c, "typedef struct lw_f32x%u {\n    float v[%u];\n} lw_f32x%u;\n", L, L, L);
        sb_printf(c, "static inline lw_f32x%u lw_vld%u(const float *p)\n{\n    lw_f32x%u r;\n"
                     "    for (int i = 0; i < %u; i++)\n        r.v[i] = p[i];\n    return r;\n}\n",
                  L, L, L, L);
        sb_printf(c, "static inline void lw_vst%u(float *p, lw_f32x%u a)\n{\n"
                     "    for (int i = 0; i < %u; i++)\n        p[i] = a.v[i];\n}\n", L, L, L);
        sb_printf(c, "static inline lw_f32x%u lw_vsplat%u(float x)\n{\n    lw_f32x%u r;\n"
                     "    for (int i = 0; i < %u; i++)\n        r.v[i] = x;\n    return r;\n}\n",
                  L, L, L, L);
        static const char *const lane[][2] = {
            {"add", "a.v[i] + b.v[i]"}, {"sub", "a.v[i] - b.v[i]"}, {"mul", "a.v[i] * b.v[i]"}};
        for (int i = 0; i < 3; i++)
            sb_printf(c, "static inline lw_f32x%u lw_v%s%u(lw_f32x%u a, lw_f32x%u b)\n{\n"
                         "    for (int i = 0; i < %u; i++)\n        a.v[i] = %s;\n    return a;\n}\n",
                      L, lane[i][0], L, L, L, L, lane[i][1]);
        if (!any_lane2++)
            sb_puts(c, "#define lw_vlane(a, i) ((a).v[i])\n");
        sb_printf(c, "static inline lw_f32x%u lw_vfma%u(lw_f32x%u a, lw_f32x%u b, lw_f32x%u c)\n{\n"
                     "    for (int i = 0; i < %u; i++)\n        a.v[i] = a.v[i] * b.v[i] + c.v[i];\n"
                     "    return a;\n}\n", L, L, L, L, L, L);
        static const char *const mm[][2] = {{"min", "<"}, {"max", ">"}};
        for (int i = 0; i < 2; i++)
            sb_printf(c, "static inline lw_f32x%u lw_v%s%u(lw_f32x%u a, lw_f32x%u b)\n{\n"
                         "    for (int i = 0; i < %u; i++)\n"
                         "        a.v[i] = a.v[i] %s b.v[i] ? a.v[i] : b.v[i];\n"
                         "    return a;\n}\n", L, mm[i][0], L, L, L, L, mm[i][1]);
        sb_puts(c, "#endif\n");
        sb_putc(c, '\n');
    }
}

/* Division, rounding to nearest even and narrowing stores of float32 vectors, for
 * requantizing epilogues: lw_vdivL(a, b), lw_vroundL(a), lw_vst{u8,s8}L(p, v) (v's lanes
 * hold integers in the type's range: stored as its bytes, at any address). Where the
 * compiler targets SSE4.1, AVX, AVX2, AVX-512 or AArch64 NEON, their rounding and
 * converting instructions; elsewhere a loop over the lanes. */
static void print_requant_helpers(StrBuf *c, uint32_t vdiv, uint32_t vround, const uint32_t *nst)
{
    if (!vdiv && !vround && !nst[0] && !nst[1])
        return;
    sb_puts(c, "/* float32 vectors divided, rounded, stored as int8/uint8 */\n"
               "#if defined(__GNUC__) || defined(__clang__)\n"
               "#if defined(__SSE4_1__)\n#include <immintrin.h>\n"
               "#elif defined(__ARM_NEON) && defined(__aarch64__)\n#include <arm_neon.h>\n#endif\n"
               "typedef int32_t lw_i32n __attribute__((aligned(1), may_alias));\n");
    for (unsigned L = 2; L <= LW_MAX_LANES; L *= 2) {
        if (vdiv & vec_bit(L))
            sb_printf(c, "#define lw_vdiv%u(a, b) ((a) / (b))\n", L);
        if (vround & vec_bit(L)) {
            if (L == 16)
                sb_puts(c, "#if defined(__AVX512F__)\n#define lw_vround16(a) "
                           "((lw_f32x16)_mm512_roundscale_ps((__m512)(a), 8))\n");
            else if (L == 8)
                sb_puts(c, "#if defined(__AVX__)\n#define lw_vround8(a) "
                           "((lw_f32x8)_mm256_round_ps((__m256)(a), 8))\n");
            else if (L == 4)
                sb_puts(c, "#if defined(__SSE4_1__)\n#define lw_vround4(a) "
                           "((lw_f32x4)_mm_round_ps((__m128)(a), 8))\n"
                           "#elif defined(__ARM_NEON) && defined(__aarch64__)\n"
                           "#define lw_vround4(a) ((lw_f32x4)vrndnq_f32((float32x4_t)(a)))\n");
            else
                sb_puts(c, "#if 0\n");
            sb_printf(c,
                      "#else\n#define lw_vround%u(a) __extension__({ lw_f32x%u a_ = (a); "
                      "for (int i_ = 0; i_ < %u; i_++) a_[i_] = lwrt_roundevenf(a_[i_]); a_; })\n"
                      "#endif\n",
                      L, L, L);
        }
        for (int s8 = 0; s8 < 2; s8++) {
            if (!(nst[s8] & vec_bit(L)))
                continue;
            const char *nm = s8 ? "s8" : "u8", *ct = s8 ? "int8_t" : "uint8_t";
            const char *pk = s8 ? "packs" : "packus";
            if (L == 16)
                sb_printf(c,
                          "#if defined(__AVX512F__)\n#define lw_vst%s16(p, v) _mm_storeu_si128("
                          "(__m128i *)(void *)(p), _mm512_cvtepi32_epi8(_mm512_cvttps_epi32("
                          "(__m512)(v))))\n",
                          nm);
            else if (L == 8)
                sb_printf(c,
                          "#if defined(__AVX2__)\n#define lw_vst%s8(p, v) do { __m256i i_ = "
                          "_mm256_cvttps_epi32((__m256)(v)); __m128i w_ = _mm_packs_epi32("
                          "_mm256_castsi256_si128(i_), _mm256_extracti128_si256(i_, 1)); "
                          "_mm_storel_epi64((__m128i *)(void *)(p), _mm_%s_epi16(w_, w_)); "
                          "} while (0)\n",
                          nm, pk);
            else if (L == 4)
                sb_printf(c,
                          "#if defined(__SSE4_1__)\n#define lw_vst%s4(p, v) do { __m128i i_ = "
                          "_mm_cvttps_epi32((__m128)(v)); __m128i w_ = _mm_packs_epi32(i_, i_); "
                          "*(lw_i32n *)(void *)(p) = _mm_cvtsi128_si32(_mm_%s_epi16(w_, w_)); "
                          "} while (0)\n"
                          "#elif defined(__ARM_NEON) && defined(__aarch64__)\n"
                          "#define lw_vst%s4(p, v) (*(lw_i32n *)(void *)(p) = vget_lane_s32("
                          "vreinterpret_s32_s8(vmovn_s16(vcombine_s16(vmovn_s32(vcvtq_s32_f32("
                          "(float32x4_t)(v))), vdup_n_s16(0)))), 0))\n",
                          nm, pk, nm);
            else
                sb_puts(c, "#if 0\n");
            sb_printf(
                c,
                "#else\n#define lw_vst%s%u(p, v) do { lw_f32x%u v_ = (v); %s *p_ = (%s *)(void *)"
                "(p); for (int i_ = 0; i_ < %u; i_++) p_[i_] = (%s)v_[i_]; } while (0)\n"
                "#endif\n",
                nm, L, L, ct, ct, L, ct);
        }
    }
    sb_puts(c, "#else\n");
    for (unsigned L = 2; L <= LW_MAX_LANES; L *= 2) {
        if (vdiv & vec_bit(L))
            sb_printf(c,
                      "static inline lw_f32x%u lw_vdiv%u(lw_f32x%u a, lw_f32x%u b)\n{\n"
                      "    for (int i = 0; i < %u; i++)\n        a.v[i] = a.v[i] / b.v[i];\n"
                      "    return a;\n}\n",
                      L, L, L, L, L);
        if (vround & vec_bit(L))
            sb_printf(
                c,
                "static inline lw_f32x%u lw_vround%u(lw_f32x%u a)\n{\n"
                "    for (int i = 0; i < %u; i++)\n        a.v[i] = lwrt_roundevenf(a.v[i]);\n"
                "    return a;\n}\n",
                L, L, L, L);
        for (int s8 = 0; s8 < 2; s8++)
            if (nst[s8] & vec_bit(L))
                sb_printf(c,
                          "static inline void lw_vst%s%u(%s *p, lw_f32x%u a)\n{\n"
                          "    for (int i = 0; i < %u; i++)\n        p[i] = (%s)a.v[i];\n}\n",
                          s8 ? "s8" : "u8", L, s8 ? "int8_t" : "uint8_t", L, L,
                          s8 ? "int8_t" : "uint8_t");
    }
    sb_puts(c, "#endif\n\n");
}

/* Converting loads, lw_vcvt{u8,s8}<L>(p): L int8/uint8 at any address as float32 lanes.
 * GCC 12 turns __builtin_convertvector from bytes into one scalar conversion per lane,
 * so where the compiler targets SSE4.1, AVX2, AVX-512 or AArch64 NEON they are the
 * widening and converting instructions; elsewhere a loop over the lanes. */
static void print_cvt_helpers(StrBuf *c, const uint32_t *used)
{
    if (!used[0] && !used[1])
        return;
    sb_puts(c,
            "/* int8/uint8 lanes loaded as float32 lanes */\n"
            "#if defined(__GNUC__) || defined(__clang__)\n"
            "typedef int32_t lw_i32u __attribute__((aligned(1), may_alias));\n"
            "#if defined(__SSE4_1__)\n#include <immintrin.h>\n"
            "#elif defined(__ARM_NEON) && defined(__aarch64__)\n#include <arm_neon.h>\n#endif\n");
    for (unsigned L = 2; L <= LW_MAX_LANES; L *= 2)
        for (int s8 = 0; s8 < 2; s8++) {
            if (!(used[s8] & vec_bit(L)))
                continue;
            const char *nm = s8 ? "s8" : "u8", *x = s8 ? "epi8" : "epu8";
            const char *ct = s8 ? "int8_t" : "uint8_t";
            if (L == 4) {
                sb_printf(
                    c,
                    "#if defined(__SSE4_1__)\n#define lw_vcvt%s4(p) ((lw_f32x4)_mm_cvtepi32_ps("
                    "_mm_cvt%s_epi32(_mm_cvtsi32_si128(*(const lw_i32u *)(const void *)(p)))))\n",
                    nm, x);
                char k = s8 ? 's' : 'u'; /* NEON's signed or unsigned widening */
                sb_printf(c,
                          "#elif defined(__ARM_NEON) && defined(__aarch64__)\n"
                          "#define lw_vcvt%s4(p) ((lw_f32x4)vcvtq_f32_%c32(vmovl_%c16(vget_low_%c16("
                          "vmovl_%c8(vreinterpret_%c8_s32(vdup_n_s32(*(const lw_i32u *)(const void "
                          "*)(p))))))))\n",
                          nm, k, k, k, k, k);
            } else if (L == 8) {
                sb_printf(
                    c,
                    "#if defined(__AVX2__)\n#define lw_vcvt%s8(p) ((lw_f32x8)_mm256_cvtepi32_ps("
                    "_mm256_cvt%s_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(p)))))\n",
                    nm, x);
            } else if (L == 16) {
                sb_printf(
                    c,
                    "#if defined(__AVX512F__)\n#define lw_vcvt%s16(p) "
                    "((lw_f32x16)_mm512_cvtepi32_ps("
                    "_mm512_cvt%s_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p)))))\n",
                    nm, x);
            } else {
                sb_puts(c, "#if 0\n");
            }
            sb_printf(
                c,
                "#else\n#define lw_vcvt%s%u(p) __extension__({ const %s *p_ = (const %s *)(const "
                "void *)(p); lw_f32x%u r_; for (int i_ = 0; i_ < %u; i_++) r_[i_] = (float)p_[i_]; "
                "r_; })\n#endif\n",
                nm, L, ct, ct, L, L);
        }
    sb_puts(c, "#else\n");
    for (unsigned L = 2; L <= LW_MAX_LANES; L *= 2)
        for (int s8 = 0; s8 < 2; s8++)
            if (used[s8] & vec_bit(L))
                sb_printf(c,
                          "static inline lw_f32x%u lw_vcvt%s%u(const %s *p)\n{\n    lw_f32x%u r;\n"
                          "    for (int i = 0; i < %u; i++)\n        r.v[i] = (float)p[i];\n"
                          "    return r;\n}\n",
                          L, s8 ? "s8" : "u8", L, s8 ? "int8_t" : "uint8_t", L, L);
    sb_puts(c, "#endif\n\n");
}

/* int32 vectors (lw_i32xL) for the integer dot product: lw_vsplatiL(x), lw_vcvtiL(v) to
 * float32, lw_vldbL(p) (4L bytes at any address), lw_ld4(p) (4 bytes as one int32) and
 * lw_vdot{us,ss,uu}L(acc, a, b): acc plus, per lane, the sum of the four products of
 * a's bytes (uint8 for u, int8 for s) and b's. The instructions where the compiler
 * targets them (AVX-512 VNNI's vpdpbusd for us, AArch64's sdot for ss), else a loop. */
/* Integer vector arithmetic, int64 lanes, int32 vector stores and widening loads (GNU C
 * vector extensions: operators, __builtin_convertvector; widening loads through the
 * target's instructions, which GCC 12 does not make of bytes). */
static void print_iop_gnu(StrBuf *c, unsigned L, int iop, const uint32_t *wid)
{
    if (iop) {
        sb_printf(c, "typedef int64_t lw_i64x%u __attribute__((vector_size(%u)));\n", L, 8 * L);
        sb_printf(c, "typedef uint32_t lw_u32x%u __attribute__((vector_size(%u)));\n", L, 4 * L);
        sb_printf(c, "typedef uint64_t lw_u64x%u __attribute__((vector_size(%u)));\n", L, 8 * L);
        sb_printf(c, "#define lw_vstb%u(p, v) (*(lw_i32x%uu *)(void *)(p) = (v))\n", L, L);
        sb_printf(c, "#define lw_vsplatq%u(x) ((int64_t)(x) + (lw_i64x%u){0})\n", L, L);
        sb_printf(c, "#define lw_vi2q%u(a) __builtin_convertvector((a), lw_i64x%u)\n", L, L);
        sb_printf(c, "#define lw_vq2i%u(a) __builtin_convertvector((a), lw_i32x%u)\n", L, L);
        static const char *const infix[][2] = {
            {"add", "+"}, {"sub", "-"}, {"mul", "*"}, {"and", "&"}};
        for (int q = 0; q < 2; q++) {
            char t = q ? 'q' : 'i';
            unsigned w = q ? 64 : 32;
            for (int i = 0; i < 4; i++)
                sb_printf(c, "#define lw_v%c%s%u(a, b) ((a) %s (b))\n", t, infix[i][0], L,
                          infix[i][1]);
            /* logical, as the scalar shift */
            sb_printf(c,
                      "#define lw_v%cshr%u(a, b) ((lw_i%ux%u)((lw_u%ux%u)(a) >> (lw_u%ux%u)(b)))\n",
                      t, L, w, L, w, L, w, L);
            /* a loop over the lanes, as the float32 ones: GCC makes one instruction of it
             * (of a select on the comparison's mask, lane by lane code) */
            static const char *const mm[][2] = {{"min", "<"}, {"max", ">"}};
            for (int i = 0; i < 2; i++)
                sb_printf(c,
                          "#define lw_v%c%s%u(a, b) __extension__({ lw_i%ux%u a_ = (a), b_ = (b); "
                          "for (int i_ = 0; i_ < %u; i_++) a_[i_] = a_[i_] %s b_[i_] ? a_[i_] : "
                          "b_[i_]; a_; })\n",
                          t, mm[i][0], L, w, L, L, mm[i][1]);
        }
    }
    for (int s8 = 0; s8 < 2; s8++) {
        if (!(wid[s8] & vec_bit(L)))
            continue;
        const char *nm = s8 ? "s8" : "u8", *x = s8 ? "epi8" : "epu8";
        const char *ct = s8 ? "int8_t" : "uint8_t";
        if (L == 16)
            sb_printf(c,
                      "#if defined(__AVX512F__)\n#define lw_vwid%s16(p) ((lw_i32x16)_mm512_cvt%s_"
                      "epi32(_mm_loadu_si128((const __m128i *)(const void *)(p))))\n",
                      nm, x);
        else if (L == 8)
            sb_printf(c,
                      "#if defined(__AVX2__)\n#define lw_vwid%s8(p) ((lw_i32x8)_mm256_cvt%s_epi32("
                      "_mm_loadl_epi64((const __m128i *)(const void *)(p))))\n",
                      nm, x);
        else if (L == 4) {
            char k = s8 ? 's' : 'u';
            sb_printf(c,
                      "#if defined(__SSE4_1__)\n#define lw_vwid%s4(p) ((lw_i32x4)_mm_cvt%s_epi32("
                      "_mm_cvtsi32_si128(lw_ld4(p))))\n"
                      "#elif defined(__ARM_NEON) && defined(__aarch64__)\n"
                      "#define lw_vwid%s4(p) ((lw_i32x4)vmovl_%c16(vget_low_%c16(vmovl_%c8("
                      "vreinterpret_%c8_s32(vdup_n_s32(lw_ld4(p)))))))\n",
                      nm, x, nm, k, k, k, k);
        } else
            sb_puts(c, "#if 0\n");
        sb_printf(c,
                  "#else\n#define lw_vwid%s%u(p) __extension__({ lw_i32x%u r_; const %s *p_ = "
                  "(const %s *)(const void *)(p); for (int i_ = 0; i_ < %u; i_++) r_[i_] = p_[i_]; "
                  "r_; })\n#endif\n",
                  nm, L, L, ct, ct, L);
    }
}

/* print_iop_gnu's helpers for any C99 compiler: structs of lanes, a loop each (integer
 * arithmetic wraps, in unsigned) */
static void print_iop_plain(StrBuf *c, unsigned L, int iop, const uint32_t *wid)
{
    if (iop) {
        sb_printf(c, "typedef struct lw_i64x%u {\n    int64_t v[%u];\n} lw_i64x%u;\n", L, L, L);
        sb_printf(c,
                  "static inline void lw_vstb%u(int32_t *p, lw_i32x%u a)\n{\n"
                  "    for (int i = 0; i < %u; i++)\n        p[i] = a.v[i];\n}\n",
                  L, L, L);
        sb_printf(c,
                  "static inline lw_i64x%u lw_vsplatq%u(int64_t x)\n{\n    lw_i64x%u r;\n"
                  "    for (int i = 0; i < %u; i++)\n        r.v[i] = x;\n    return r;\n}\n",
                  L, L, L, L);
        sb_printf(c,
                  "static inline lw_i64x%u lw_vi2q%u(lw_i32x%u a)\n{\n    lw_i64x%u r;\n"
                  "    for (int i = 0; i < %u; i++)\n        r.v[i] = a.v[i];\n    return r;\n}\n",
                  L, L, L, L, L);
        sb_printf(c,
                  "static inline lw_i32x%u lw_vq2i%u(lw_i64x%u a)\n{\n    lw_i32x%u r;\n"
                  "    for (int i = 0; i < %u; i++)\n        r.v[i] = (int32_t)a.v[i];\n"
                  "    return r;\n}\n",
                  L, L, L, L, L);
        static const char *const lane[][2] = {{"add", "(T)((U)a.v[i] + (U)b.v[i])"},
                                              {"sub", "(T)((U)a.v[i] - (U)b.v[i])"},
                                              {"mul", "(T)((U)a.v[i] * (U)b.v[i])"},
                                              {"and", "a.v[i] & b.v[i]"},
                                              {"shr", "(T)((U)a.v[i] >> b.v[i])"},
                                              {"min", "a.v[i] < b.v[i] ? a.v[i] : b.v[i]"},
                                              {"max", "a.v[i] > b.v[i] ? a.v[i] : b.v[i]"}};
        for (int q = 0; q < 2; q++) {
            unsigned w = q ? 64 : 32;
            for (int i = 0; i < 7; i++) {
                char body[96];
                const char *f = lane[i][1];
                size_t n = 0;
                for (; *f && n + 10 < sizeof body; f++) { /* T, U: the lane's types */
                    if (*f == 'T' || *f == 'U')
                        n += (size_t)snprintf(body + n, sizeof body - n, "%sint%u_t",
                                              *f == 'U' ? "u" : "", w);
                    else
                        body[n++] = *f;
                }
                body[n] = 0;
                sb_printf(c,
                          "static inline lw_i%ux%u lw_v%c%s%u(lw_i%ux%u a, lw_i%ux%u b)\n{\n"
                          "    for (int i = 0; i < %u; i++)\n        a.v[i] = %s;\n"
                          "    return a;\n}\n",
                          w, L, q ? 'q' : 'i', lane[i][0], L, w, L, w, L, L, body);
            }
        }
    }
    for (int s8 = 0; s8 < 2; s8++)
        if (wid[s8] & vec_bit(L))
            sb_printf(
                c,
                "static inline lw_i32x%u lw_vwid%s%u(const %s *p)\n{\n    lw_i32x%u r;\n"
                "    for (int i = 0; i < %u; i++)\n        r.v[i] = p[i];\n    return r;\n}\n",
                L, s8 ? "s8" : "u8", L, s8 ? "int8_t" : "uint8_t", L, L);
}

static void print_int_helpers(StrBuf *c, uint32_t used, const uint32_t *dot, uint32_t iop,
                              const uint32_t *wid)
{
    if (!used)
        return;
    sb_puts(c, "/* int32 vectors and the four-way int8 dot product */\n"
               "#if defined(__GNUC__) || defined(__clang__)\n"
               "#if defined(__AVX2__)\n#include <immintrin.h>\n"
               "#elif defined(__ARM_FEATURE_DOTPROD) && defined(__aarch64__)\n"
               "#include <arm_neon.h>\n#endif\n"
               "typedef int32_t lw_i32b __attribute__((aligned(1), may_alias));\n"
               "#define lw_ld4(p) (*(const lw_i32b *)(const void *)(p))\n");
    if (wid[0] | wid[1]) /* the widening loads' instructions below AVX2 */
        sb_puts(c, "#if defined(__SSE4_1__) && !defined(__AVX2__)\n#include <immintrin.h>\n"
                   "#elif defined(__ARM_NEON) && defined(__aarch64__) && "
                   "!defined(__ARM_FEATURE_DOTPROD)\n#include <arm_neon.h>\n#endif\n");
    for (unsigned L = 2; L <= LW_MAX_LANES; L *= 2) {
        if (!(used & vec_bit(L)))
            continue;
        sb_printf(c, "typedef int32_t lw_i32x%u __attribute__((vector_size(%u)));\n", L, 4 * L);
        sb_printf(c,
                  "typedef int32_t lw_i32x%uu __attribute__((vector_size(%u), aligned(1), "
                  "may_alias));\n",
                  L, 4 * L);
        sb_printf(c, "#define lw_vldb%u(p) (*(const lw_i32x%uu *)(const void *)(p))\n", L, L);
        sb_printf(c, "#define lw_vsplati%u(x) ((int32_t)(x) + (lw_i32x%u){0})\n", L, L);
        sb_printf(c, "#define lw_vcvti%u(a) __builtin_convertvector((a), lw_f32x%u)\n", L, L);
        print_iop_gnu(c, L, !!(iop & vec_bit(L)), wid);
        for (int k = 0; k < 3; k++) {
            if (!(dot[k] & vec_bit(L)))
                continue;
            const char *sg = dot_sig[k];
            if (k == 0 && L == 16)
                sb_puts(c, "#if defined(__AVX512VNNI__)\n#define lw_vdotus16(acc, a, b) "
                           "((lw_i32x16)_mm512_dpbusd_epi32((__m512i)(acc), (__m512i)(a), "
                           "(__m512i)(b)))\n"
                           "#elif defined(__AVX512BW__)\n");
            else if (k == 0 && L == 8)
                sb_puts(c, "#if defined(__AVX512VNNI__) && defined(__AVX512VL__)\n"
                           "#define lw_vdotus8(acc, a, b) ((lw_i32x8)_mm256_dpbusd_epi32("
                           "(__m256i)(acc), (__m256i)(a), (__m256i)(b)))\n"
                           "#elif defined(__AVXVNNI__)\n"
                           "#define lw_vdotus8(acc, a, b) ((lw_i32x8)_mm256_dpbusd_avx_epi32("
                           "(__m256i)(acc), (__m256i)(a), (__m256i)(b)))\n"
                           "#elif defined(__AVX2__)\n");
            /* without VNNI, exactly: the even and the odd bytes of each 16-bit half
             * widened to int16 (uint8 zero-extended, int8 sign-extended), vpmaddwd
             * sums each pair of products into int32 (at most 2 * 255 * 128 in
             * magnitude: no saturation, unlike vpmaddubsw) */
            if (k == 0 && (L == 16 || L == 8)) {
                unsigned w = 32 * L; /* vector bits: _mm<w>_..., __m<w>i */
                sb_printf(c,
                          "#define lw_vdotus%u(acc, a, b) __extension__({ __m%ui x_ = "
                          "(__m%ui)(a), y_ = (__m%ui)(b); (lw_i32x%u)_mm%u_add_epi32("
                          "(__m%ui)(acc), _mm%u_add_epi32(_mm%u_madd_epi16("
                          "_mm%u_and_si%u(x_, _mm%u_set1_epi16(255)), _mm%u_srai_epi16("
                          "_mm%u_slli_epi16(y_, 8), 8)), _mm%u_madd_epi16(_mm%u_srli_epi16("
                          "x_, 8), _mm%u_srai_epi16(y_, 8)))); })\n",
                          L, w, w, w, L, w, w, w, w, w, w, w, w, w, w, w, w);
            }
            if (k == 1 && L == 4)
                sb_puts(c, "#if defined(__ARM_FEATURE_DOTPROD) && defined(__aarch64__)\n"
                           "#define lw_vdotss4(acc, a, b) ((lw_i32x4)vdotq_s32((int32x4_t)(acc), "
                           "(int8x16_t)(a), (int8x16_t)(b)))\n");
            else if (!(k == 0 && (L == 16 || L == 8)))
                sb_puts(c, "#if 0\n");
            const char *ta = sg[0] == 'u' ? "uint8_t" : "int8_t";
            const char *tb = sg[1] == 'u' ? "uint8_t" : "int8_t";
            sb_printf(c,
                      "#else\n#define lw_vdot%s%u(acc, a, b) __extension__({ lw_i32x%u a_ = (acc), "
                      "x_ = (a), y_ = (b); const %s *p_ = (const %s *)(const void *)&x_; "
                      "const %s *q_ = (const %s *)(const void *)&y_; "
                      "for (int i_ = 0; i_ < %u; i_++) for (int j_ = 0; j_ < 4; j_++) a_[i_] += "
                      "p_[4 * i_ + j_] * q_[4 * i_ + j_]; a_; })\n#endif\n",
                      sg, L, L, ta, ta, tb, tb, L);
        }
    }
    sb_puts(c, "#else\n"
               "static inline int32_t lw_ld4(const void *p)\n{\n    int32_t r;\n"
               "    for (int i = 0; i < 4; i++)\n"
               "        ((unsigned char *)&r)[i] = ((const unsigned char *)p)[i];\n"
               "    return r;\n}\n");
    for (unsigned L = 2; L <= LW_MAX_LANES; L *= 2) {
        if (!(used & vec_bit(L)))
            continue;
        sb_printf(c, "typedef struct lw_i32x%u {\n    int32_t v[%u];\n} lw_i32x%u;\n", L, L, L);
        sb_printf(c,
                  "static inline lw_i32x%u lw_vsplati%u(int32_t x)\n{\n    lw_i32x%u r;\n"
                  "    for (int i = 0; i < %u; i++)\n        r.v[i] = x;\n    return r;\n}\n",
                  L, L, L, L);
        sb_printf(c,
                  "static inline lw_i32x%u lw_vldb%u(const void *p)\n{\n    lw_i32x%u r;\n"
                  "    for (int i = 0; i < %u; i++)\n"
                  "        ((unsigned char *)r.v)[i] = ((const unsigned char *)p)[i];\n"
                  "    return r;\n}\n",
                  L, L, L, 4 * L);
        sb_printf(c,
                  "static inline lw_f32x%u lw_vcvti%u(lw_i32x%u a)\n{\n    lw_f32x%u r;\n"
                  "    for (int i = 0; i < %u; i++)\n        r.v[i] = (float)a.v[i];\n"
                  "    return r;\n}\n",
                  L, L, L, L, L);
        print_iop_plain(c, L, !!(iop & vec_bit(L)), wid);
        for (int k = 0; k < 3; k++)
            if (dot[k] & vec_bit(L)) {
                const char *sg = dot_sig[k];
                const char *ta = sg[0] == 'u' ? "uint8_t" : "int8_t";
                const char *tb = sg[1] == 'u' ? "uint8_t" : "int8_t";
                sb_printf(c,
                          "static inline lw_i32x%u lw_vdot%s%u(lw_i32x%u a, lw_i32x%u x, "
                          "lw_i32x%u y)\n{\n    const %s *p = (const %s *)(const void *)x.v;\n"
                          "    const %s *q = (const %s *)(const void *)y.v;\n"
                          "    for (int i = 0; i < %u; i++)\n        for (int j = 0; j < 4; j++)\n"
                          "            a.v[i] += p[4 * i + j] * q[4 * i + j];\n    return a;\n}\n",
                          L, sg, L, L, L, L, ta, ta, tb, tb, L);
            }
    }
    sb_puts(c, "#endif\n\n");
}

/* lw_smlad(acc, a, b): acc + a[0] * b[0] + a[1] * b[1] for int16 pairs, wrapping; where
 * the compiler targets Armv7E-M's DSP extension (Cortex-M4, M7, M33), one smlad of the
 * two pairs as words (unaligned loads, which those cores allow) */
static void print_dot2_helper(StrBuf *c, int used)
{
    if (!used)
        return;
    sb_puts(c, "/* two int16 products added to an int32 */\n"
               "#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32) && "
               "(defined(__GNUC__) || defined(__clang__))\n"
               "#include <arm_acle.h>\n"
               "typedef int32_t lw_i16x2w __attribute__((aligned(2), may_alias));\n"
               "static inline int32_t lw_smlad(int32_t acc, const int16_t *a, const int16_t *b)\n"
               "{\n    return __smlad(*(const lw_i16x2w *)(const void *)a, "
               "*(const lw_i16x2w *)(const void *)b, acc);\n}\n"
               "#else\n"
               "static inline int32_t lw_smlad(int32_t acc, const int16_t *a, const int16_t *b)\n"
               "{\n    return (int32_t)((uint32_t)acc + (uint32_t)(a[0] * b[0]) + "
               "(uint32_t)(a[1] * b[1]));\n}\n"
               "#endif\n\n");
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
    if (k->schedule) {
        sb_puts(sb, "; schedule: ");
        cname_comment(sb, k->schedule, 100);
    }
    sb_puts(sb, " */\n");
}

/* A kernel's buffers as parameters (print_kernel): their declarations and the
 * pointers to pass. */
typedef struct KParams {
    StrBuf decl, args;
} KParams;

/* The kernel's buffer declarations, locals and body, after its signature line. With
 * holes, the holes are recorded in text order (declarations first). With kp, kp gets
 * the buffers as parameters too, and the declarations are printed for compilers other
 * than clang only (#if !LW_PARAMS). */
static void kernel_text(Printer *pr, const Kernel *k, uint8_t *u, StrBuf *out, KParams *kp)
{
    const Program *p = pr->p;
    memset(u, 0, p->bufs.len);
    kir_buffers_used(k->body, u);
    kir_mark_shared(p, u);
    StrBuf body;
    sb_init(&body, pr->ctx->scratch);
    pr->sb = &body;
    pr->hole.len = 0;
    pr->unsharable = 0;
    pr->nodes = 0;
    if (pr->holes) {
        memset(pr->bmap, 0, sizeof(uint32_t) * p->bufs.len);
        pr->nbmap = 0;
    }
    stmt(pr, k->body, 1);
    uint32_t nbh = pr->hole.len;
    Hole *bh = nbh ? arena_memdup(pr->ctx->scratch, pr->hole.data, sizeof(Hole) * nbh) : NULL;
    pr->hole.len = 0;
    /* buffers in number order, or with holes in order of first use */
    uint32_t nb = 0, *order = arena_array(pr->ctx->scratch, uint32_t, p->bufs.len + 1);
    for (uint32_t b = 0; b < p->bufs.len; b++)
        if (u[b])
            order[pr->holes ? pr->bmap[b] - 1 : nb] = b, nb++;
    pr->sb = out;
    if (kp) {
        LW_ASSERT(!pr->holes);
        sb_init(&kp->decl, pr->ctx->scratch);
        sb_init(&kp->args, pr->ctx->scratch);
        sb_puts(out, "#if !LW_PARAMS\n");
    }
    int any_in = 0, any_out = 0, any_a = 0;
    for (uint32_t j = 0; j < nb; j++) {
        uint32_t b = order[j];
        const KBuf *kb = &p->bufs.data[b];
        int ro = !(u[b] & 2);
        const char *T = ctype(kb->dtype), *rs = u[b] & KU_SHARED ? "" : "restrict ";
        if (kp) {
            sb_printf(&kp->decl, "%s%s%s *%s", j ? ",\n    " : "", ro ? "const " : "", T, rs);
            pr->sb = &kp->decl;
            put_buf(pr, b);
            pr->sb = out;
        }
        sb_printf(out, "    %s%s *%s", ro ? "const " : "", T, rs);
        put_buf(pr, b);
        sb_puts(out, " = ");
        size_t at0 = out->len; /* the pointer, for kp->args */
        sb_printf(out, "(%s%s *)", ro ? "const " : "", T);
        uint64_t at = kb->kind == KB_ARENA ? kb->offset
                      : kb->kind == KB_WEIGHT ? pr->woff[kb->slot]
                                              : kb->slot;
        if (pr->holes) {
            /* where it is, a number too: kernels reading an input or writing an output
             * share with those using the arena */
            int kind = kb->kind == KB_INPUT ? 0 : kb->kind == KB_OUTPUT ? 1 : kb->kind == KB_ARENA ? 2 : 3;
            if (kind == 3)
                pr->weights_used = 1;
            sb_puts(out, "lw_ptr(lw_in, lw_out, lw_a, ");
            hole_int(pr, kind);
            sb_puts(out, ", ");
            hole_int(pr, (int64_t)at);
            sb_puts(out, ");\n");
            continue;
        }
        switch (kb->kind) {
        case KB_INPUT:
            sb_puts(out, "lw_in[");
            any_in = 1;
            break;
        case KB_OUTPUT:
            sb_puts(out, "lw_out[");
            any_out = 1;
            break;
        case KB_ARENA:
            sb_puts(out, "(lw_a + ");
            any_a = 1;
            break;
        case KB_WEIGHT:
            pr->weights_used = 1;
            sb_puts(out, "(const void *)(lw_w.b + ");
            break;
        }
        if (pr->holes)
            hole_int(pr, (int64_t)at);
        else
            sb_u64(out, at);
        sb_puts(out, kb->kind == KB_INPUT || kb->kind == KB_OUTPUT ? "]" : ")");
        if (kp) {
            sb_puts(&kp->args, j ? ",\n        " : "");
            sb_putn(&kp->args, out->data + at0, out->len - at0);
        }
        sb_puts(out, ";\n");
    }
    if (!any_in || pr->holes)
        sb_puts(out, "    (void)lw_in;\n");
    if (!any_out || pr->holes)
        sb_puts(out, "    (void)lw_out;\n");
    if (!any_a || pr->holes)
        sb_puts(out, "    (void)lw_a;\n");
    if (kp)
        sb_puts(out, "#endif\n");
    for (uint16_t l = 0; l < k->nlocals; l++) {
        if (k->locals[l].lanes > 1) {
            DType ldt = k->locals[l].dt;
            int in = ldt == DT_INT32 || ldt == DT_INT64;
            pr->vec_used |= vec_bit(k->locals[l].lanes);
            if (in)
                pr->ivec_used |= vec_bit(k->locals[l].lanes);
            if (ldt == DT_INT64)
                pr->iop_used |= vec_bit(k->locals[l].lanes);
            sb_printf(out, "    lw_%sx%u l%u = {0};\n",
                      ldt == DT_INT64 ? "i64"
                      : in            ? "i32"
                                      : "f32",
                      k->locals[l].lanes, l);
        } else {
            sb_printf(out, "    %s l%u = 0;\n", ctype(k->locals[l].dt), l);
        }
    }
    sb_putn(out, body.data ? body.data : "", body.len);
    for (uint32_t i = 0; i < nbh; i++)
        vec_push(pr->ctx->scratch, &pr->hole, bh[i]);
}

static void kernel_sig(StrBuf *sb, const Kernel *k, int steps)
{
    sb_printf(sb,
              "static LW_KERNEL void %s(const void *const *lw_in, void *const *lw_out, "
              "unsigned char *lw_a%s)\n",
              k->cname, steps ? ", const int32_t *lw_p,\n    const float *lw_f" : "");
}

/* For clang (LW_PARAMS), a kernel's buffers are restrict parameters of a function it
 * calls with their pointers, inlined: clang and LLVM take restrict only on parameters,
 * and with restrict locals clang kept a GEMM's input in memory, reloaded after every
 * store to y (mlperf_fc_autoencoder_qdq 36.6 us, 5.5 us so; the corpus 13% faster).
 * GCC takes restrict locals, and its code from the parameters was slower (mlperf_dscnn
 * 64 -> 87 us: x spilled to the stack), so it keeps them; so do -Os's table-driven
 * kernels. */
static void print_kernel(Printer *pr, const Kernel *k, uint8_t *u)
{
    StrBuf *sb = pr->sb;
    kernel_comment(pr, k);
    if (pr->steps) {
        kernel_sig(sb, k, pr->steps);
        sb_puts(sb, "{\n    (void)lw_p;\n    (void)lw_f;\n");
        kernel_text(pr, k, u, sb, NULL);
        pr->sb = sb;
        sb_puts(sb, "}\n\n");
        return;
    }
    StrBuf text;
    sb_init(&text, pr->ctx->scratch);
    KParams kp;
    kernel_text(pr, k, u, &text, &kp);
    pr->sb = sb;
    pr->params_used = 1;
    sb_printf(sb, "#if LW_PARAMS\nLW_BODY void %s_b(", k->cname);
    if (kp.decl.len)
        sb_putn(sb, kp.decl.data, kp.decl.len);
    else
        sb_puts(sb, "void");
    sb_puts(sb, ")\n#else\n");
    kernel_sig(sb, k, 0);
    sb_puts(sb, "#endif\n{\n");
    sb_putn(sb, text.data ? text.data : "", text.len);
    sb_puts(sb, "}\n\n#if LW_PARAMS\n");
    kernel_sig(sb, k, 0);
    sb_printf(sb, "{\n    (void)lw_in;\n    (void)lw_out;\n    (void)lw_a;\n    %s_b(", k->cname);
    sb_putn(sb, kp.args.data ? kp.args.data : "", kp.args.len);
    sb_puts(sb, ");\n}\n#endif\n\n");
}

/* -Os: kernels of one shape (the same text once their numbers are holes: the same
 * loops, operations, buffer kinds and types; different extents, strides, offsets and
 * float32 constants) share one function that takes the numbers that differ from a
 * table, so the code is there once; each kernel's step in _run's table names the
 * function and the kernel's numbers. A group shares when the code it saves, at about
 * SHARE_NODE_BYTES per printed statement or expression, exceeds its tables' bytes. */
#define SHARE_NODE_BYTES 10
#define OS_CALLED_HELPER 400 /* source characters */

typedef struct KText {
    const char *text;
    size_t len;
    Hole *holes;
    uint32_t nholes, nodes;
    int ok;
    int32_t group;    /* template number, or -1 */
    uint32_t *slot;   /* per hole: 1 + its index in lw_p / lw_f when it varies, 0 = literal */
} KText;

static int hole_same(const Hole *a, const Hole *b)
{
    if (a->kind != b->kind)
        return 0;
    return a->kind == HOLE_INT ? a->i == b->i : memcmp(&a->f, &b->f, sizeof a->f) == 0;
}

/* Prints text with its holes: literals, or lw_p[k] / lw_f[k] for the varying ones. */
static void put_holed(StrBuf *sb, const KText *t, const uint32_t *slot)
{
    uint32_t h = 0;
    for (size_t i = 0; i < t->len; i++) {
        char ch = t->text[i];
        if (ch != HOLE_INT && ch != HOLE_F32) {
            sb_putc(sb, ch);
            continue;
        }
        const Hole *x = &t->holes[h];
        if (slot[h])
            sb_printf(sb, "%s[%u]", ch == HOLE_INT ? "lw_p" : "lw_f", slot[h] - 1);
        else if (ch == HOLE_INT)
            sb_i64(sb, x->i);
        else
            sb_hexf32(sb, x->f);
        h++;
    }
}

/* Groups the kernels (t[k].group), prints the shared functions into sb. */
static void share_kernels(Printer *pr, KText *t, uint32_t nk, StrBuf *sb)
{
    const Program *p = pr->p;
    int32_t ngroups = 0;
    uint32_t *members = arena_array(pr->ctx->scratch, uint32_t, nk ? nk : 1);
    for (uint32_t i = 0; i < nk; i++) {
        if (!t[i].ok || t[i].group >= 0)
            continue;
        uint32_t n = 0;
        members[n++] = i;
        for (uint32_t j = i + 1; j < nk; j++)
            if (t[j].ok && t[j].group < 0 && t[j].len == t[i].len &&
                !memcmp(t[j].text, t[i].text, t[i].len))
                members[n++] = j;
        if (n < 2)
            continue;
        uint32_t *slot = arena_array(pr->ctx->scratch, uint32_t, t[i].nholes ? t[i].nholes : 1);
        uint32_t nint = 0, nflt = 0;
        for (uint32_t h = 0; h < t[i].nholes; h++) {
            int same = 1;
            for (uint32_t m = 1; same && m < n; m++)
                same = hole_same(&t[members[m]].holes[h], &t[i].holes[h]);
            if (same)
                continue;
            /* one entry for the holes that hold the same number in every member */
            for (uint32_t e = 0; e < h && !slot[h]; e++) {
                int alike = slot[e] != 0;
                for (uint32_t m = 0; alike && m < n; m++)
                    alike = hole_same(&t[members[m]].holes[e], &t[members[m]].holes[h]);
                if (alike)
                    slot[h] = slot[e];
            }
            if (!slot[h])
                slot[h] = 1 + (t[i].holes[h].kind == HOLE_INT ? nint++ : nflt++);
        }
        uint64_t saved = (uint64_t)(n - 1) * t[i].nodes * SHARE_NODE_BYTES;
        uint64_t cost = (uint64_t)n * 4 * (nint + nflt); /* the tables */
        if (saved <= cost)
            continue;
        if (!ngroups) {
            /* buffer kind (input, output, arena, weight) and position to a pointer */
            sb_puts(sb, "static inline void *lw_ptr(const void *const *lw_in, void *const *lw_out, "
                        "unsigned char *lw_a,\n    int32_t kind, int32_t at)\n{\n");
            sb_printf(sb, "    return kind == 0 ? (void *)(uintptr_t)lw_in[at] : kind == 1 ? "
                          "lw_out[at]\n         : kind == 2 ? (void *)(lw_a + at) : %s;\n}\n\n",
                      pr->weights_used ? "(void *)(uintptr_t)(lw_w.b + at)" : "(void *)0");
        }
        sb_printf(sb, "/* shared by %u kernels:", n);
        for (uint32_t m = 0; m < n; m++) {
            t[members[m]].group = ngroups;
            t[members[m]].slot = slot;
            sb_printf(sb, " %s", p->kernels.data[members[m]].cname);
        }
        sb_printf(sb,
                  " */\nstatic LW_NOINLINE LW_KERNEL void lw_shared%d(const void *const *lw_in, "
                  "void *const *lw_out, unsigned char *lw_a,\n    const int32_t *lw_p, "
                  "const float *lw_f)\n{\n",
                  ngroups);
        if (!nint)
            sb_puts(sb, "    (void)lw_p;\n");
        if (!nflt)
            sb_puts(sb, "    (void)lw_f;\n");
        put_holed(sb, &t[i], slot);
        sb_puts(sb, "}\n\n");
        ngroups++;
    }
}

/* A kernel of a shared group: its numbers, for its step (lw_shared<group>). */
static void print_numbers(Printer *pr, const Kernel *k, const KText *t)
{
    StrBuf *sb = pr->sb;
    kernel_comment(pr, k);
    for (int kind = 0; kind < 2; kind++) {
        char want = kind ? HOLE_F32 : HOLE_INT;
        uint32_t next = 1;
        for (uint32_t h = 0; h < t->nholes; h++) {
            if (t->slot[h] != next || t->holes[h].kind != want)
                continue;
            if (next == 1)
                sb_printf(sb, "static const %s %s_%c[] = {", kind ? "float" : "int32_t", k->cname,
                          kind ? 'f' : 'p');
            else
                sb_puts(sb, ", ");
            next++;
            if (kind)
                sb_hexf32(sb, t->holes[h].f);
            else
                sb_i64(sb, t->holes[h].i);
        }
        if (next > 1)
            sb_puts(sb, "};\n");
    }
    sb_putc(sb, '\n');
}

/* -Os: _run's kernels as a table walked by one loop (a call per kernel is code; a
 * table row is three pointers of data). */
static void print_steps(Printer *pr, StrBuf *c, const KText *kt)
{
    const Program *p = pr->p;
    sb_puts(c, "typedef void (*lw_kernel_fn)(const void *const *, void *const *, unsigned char *,\n"
               "                             const int32_t *, const float *);\n"
               "static const struct lw_step {\n    lw_kernel_fn fn;\n    const int32_t *p;\n"
               "    const float *f;\n} lw_steps[] = {\n");
    for (uint32_t k = 0; k < p->kernels.len; k++) {
        const Kernel *kn = &p->kernels.data[k];
        const KText *t = &kt[k];
        if (t->group < 0) {
            sb_printf(c, "    {%s, 0, 0},\n", kn->cname);
            continue;
        }
        int ni = 0, nf = 0;
        for (uint32_t h = 0; h < t->nholes; h++) {
            ni |= t->slot[h] && t->holes[h].kind == HOLE_INT;
            nf |= t->slot[h] && t->holes[h].kind == HOLE_F32;
        }
        sb_printf(c, "    {lw_shared%d, ", t->group);
        if (ni)
            sb_printf(c, "%s_p, ", kn->cname);
        else
            sb_puts(c, "0, ");
        if (nf)
            sb_printf(c, "%s_f},\n", kn->cname);
        else
            sb_puts(c, "0},\n");
    }
    sb_puts(c, "};\n\n");
}

/* One string literal (in lines of about BLOB_COLS characters) holding n bytes:
 * bytes, or n zeros when bytes is NULL. Printable characters stand for
 * themselves and the rest are the shortest octal escape that the next
 * character cannot extend (about 2.9 characters per byte of float weights,
 * against 4 for "\xHH" or "0xHH,"); a '?' after a '?' is escaped, so no
 * trigraph forms in compilers that still read them. Table-driven: resnet18's
 * 47 MB of weights are most of lwcc's time on it otherwise. */
#define BLOB_COLS 100
typedef struct BlobCode {
    char text[2][4];        /* [1]: the escape when a raw octal digit follows */
    unsigned char len[2];
} BlobCode;

static void blob_codes(BlobCode tab[256])
{
    memset(tab, 0, 256 * sizeof *tab); /* all 4 bytes of each code are copied */
    for (unsigned c = 0; c < 256; c++) {
        BlobCode *bc = &tab[c];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            for (int f = 0; f < 2; f++) {
                bc->text[f][0] = (char)c;
                bc->len[f] = 1;
            }
            continue;
        }
        for (int f = 0; f < 2; f++) {
            unsigned char k = 0;
            bc->text[f][k++] = '\\';
            if (f || c >= 64)
                bc->text[f][k++] = (char)('0' + (c >> 6));
            if (f || c >= 8)
                bc->text[f][k++] = (char)('0' + ((c >> 3) & 7));
            bc->text[f][k++] = (char)('0' + (c & 7));
            bc->len[f] = k;
        }
    }
}

static void blob_string(StrBuf *sb, const BlobCode *tab, const unsigned char *bytes, uint64_t n)
{
    if (!n)
        return;
    /* worst case: 4 characters a byte, and each line's quotes and indent */
    if (n > (SIZE_MAX - 64) / 8)
        LW_ICE("weight blob over SIZE_MAX/8 bytes");
    size_t room = (size_t)n * 4 + ((size_t)n * 4 / (BLOB_COLS - 4) + 2) * 8 + 16;
    char *o0 = sb_reserve(sb, room), *o = o0, *line;
    memcpy(o, "\n    \"", 6);
    o += 6;
    line = o;
    for (uint64_t i = 0; i < n; i++) {
        unsigned c = bytes ? bytes[i] : 0u;
        unsigned nx = i + 1 < n ? (bytes ? bytes[i + 1] : 0u) : 0u;
        int full = nx >= '0' && nx <= '7' && tab[nx].len[0] == 1; /* printed as itself */
        if (c == '?' && o[-1] == '?') {
            memcpy(o, "\\?", 2);
            o += 2;
        } else {
            memcpy(o, tab[c].text[full], 4);
            o += tab[c].len[full];
        }
        if (o - line >= BLOB_COLS - 8 && i + 1 < n) {
            memcpy(o, "\"\n    \"", 7);
            o += 7;
            line = o;
        }
    }
    *o++ = '"';
    sb_commit(sb, (size_t)(o - o0));
}

/* Appends the text of up to `max` more bytes of the blob to sb (in string
 * literals, so the pieces concatenate); 0 once the whole blob is printed. A
 * weight with the same bytes as an earlier one (weight_layout) lies inside
 * what was printed already. */
static int blob_piece(CBlob *b, const BlobCode *tab, StrBuf *sb, uint64_t max)
{
    const Program *p = b->p;
    while (max && b->pos < b->size) {
        while (b->w < p->weights.len &&
               b->woff[b->w] + p->weights.data[b->w].size <= b->pos)
            b->w++;
        const unsigned char *bytes = NULL;
        uint64_t end = b->size; /* tail padding */
        if (b->w < p->weights.len) {
            const Weight *wt = &p->weights.data[b->w];
            if (b->pos < b->woff[b->w]) {
                end = b->woff[b->w]; /* padding to its alignment */
            } else {
                end = b->woff[b->w] + wt->size;
                bytes = wt->bytes + (b->pos - b->woff[b->w]);
            }
        }
        uint64_t n = end - b->pos < max ? end - b->pos : max;
        blob_string(sb, tab, bytes, n);
        b->pos += n;
        max -= n;
    }
    return b->pos < b->size;
}

static void print_blob(Printer *pr, CBlob *blob)
{
    StrBuf *sb = pr->sb;
    sb_puts(sb, "#if defined(__GNUC__)\n#pragma GCC diagnostic push\n"
                "#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n#endif\n");
    /* aligned to the target's vectors where they are wider than 16 bytes (weight_align) */
    if (pr->blob_align > WEIGHT_ALIGN)
        sb_printf(sb, "#if defined(__GNUC__)\n#define LW_BLOB_ALIGN __attribute__((aligned(%u)))\n"
                      "#else\n#define LW_BLOB_ALIGN\n#endif\n",
                  pr->blob_align);
    sb_printf(sb, "static const union {\n    unsigned char b[%llu];\n    uint64_t align;\n} lw_w%s = {",
              (unsigned long long)pr->blob_size, pr->blob_align > WEIGHT_ALIGN ? " LW_BLOB_ALIGN" : "");
    CBlob local, *b = blob ? blob : &local;
    memset(b, 0, sizeof *b);
    b->p = pr->p;
    b->woff = pr->woff;
    b->size = pr->blob_size;
    b->at = sb->len;
    if (!blob) {
        BlobCode tab[256];
        blob_codes(tab);
        while (blob_piece(b, tab, sb, UINT64_MAX))
            ;
    }
    sb_puts(sb, "\n};\n#if defined(__GNUC__)\n#pragma GCC diagnostic pop\n#endif\n\n");
}

/* file_write_gen's source for model.c: the text before the blob, the blob a
 * piece at a time through one reused buffer, the text after it */
typedef struct CWrite {
    const StrBuf *c;
    CBlob *blob;
    StrBuf piece;
    BlobCode tab[256];
    int stage;
} CWrite;

#define BLOB_PIECE ((uint64_t)256 * 1024) /* blob bytes a piece: about 750 KB of text */

static int c_write_next(void *arg, const char **data, size_t *len)
{
    CWrite *w = arg;
    size_t at = w->blob ? w->blob->at : w->c->len;
    switch (w->stage) {
    case 0:
        w->stage = w->blob ? 1 : 2;
        *data = w->c->data;
        *len = at;
        return 1;
    case 1:
        w->piece.len = 0;
        if (!blob_piece(w->blob, w->tab, &w->piece, BLOB_PIECE))
            w->stage = 2;
        *data = w->piece.data;
        *len = w->piece.len;
        return 1;
    case 2:
        w->stage = 3;
        *data = w->c->data + at;
        *len = w->c->len - at;
        return 1;
    default:
        return 0;
    }
}

LwStatus c_write(Ctx *ctx, const char *path, const StrBuf *c, CBlob *blob)
{
    CWrite w;
    memset(&w, 0, sizeof w);
    w.c = c;
    w.blob = blob && blob->p ? blob : NULL;
    sb_init(&w.piece, ctx->scratch);
    blob_codes(w.tab);
    return file_write_gen(ctx->diag, path, c_write_next, &w);
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

LwStatus c_print(Ctx *ctx, const char *prefix, StrBuf *c, StrBuf *h, CBlob *blob)
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
    pr.blob_align = weight_align(ctx->target);
    pr.blob_size = weight_layout(p, pr.blob_align, pr.woff);
    const char *model = base_name(ctx->opt->input);
    const char *tgt = ctx->opt->target ? ctx->opt->target : "generic";

    /* kernels first (to learn which helpers they use), into their own buffer */
    StrBuf kernels;
    sb_init(&kernels, ctx->perm);
    pr.sb = &kernels;
    uint8_t *u = arena_array(ctx->scratch, uint8_t, p->bufs.len ? p->bufs.len : 1);
    KText *kt = NULL;
    if (ctx->opt->opt == LW_OS && p->kernels.len > 1) {
        kt = arena_array(ctx->scratch, KText, p->kernels.len);
        pr.holes = 1;
        pr.bmap = arena_array(ctx->scratch, uint32_t, p->bufs.len ? p->bufs.len : 1);
        for (uint32_t k = 0; k < p->kernels.len; k++) {
            StrBuf t;
            sb_init(&t, ctx->scratch);
            kernel_text(&pr, &p->kernels.data[k], u, &t, NULL);
            kt[k].text = t.data ? t.data : "";
            kt[k].len = t.len;
            kt[k].nholes = pr.hole.len;
            kt[k].holes = pr.hole.len ? arena_memdup(ctx->scratch, pr.hole.data,
                                                     sizeof(Hole) * pr.hole.len)
                                      : NULL;
            kt[k].nodes = pr.nodes;
            kt[k].ok = !pr.unsharable;
            kt[k].group = -1;
        }
        pr.holes = 0;
        share_kernels(&pr, kt, p->kernels.len, &kernels);
    }
    pr.sb = &kernels;
    pr.steps = kt != NULL;
    for (uint32_t k = 0; k < p->kernels.len; k++) {
        if (kt && kt[k].group >= 0)
            print_numbers(&pr, &p->kernels.data[k], &kt[k]);
        else
            print_kernel(&pr, &p->kernels.data[k], u);
        pr.sb = &kernels;
    }
    if (kt)
        print_steps(&pr, &kernels, kt);

    /* model.c: room for about 3 characters a weight byte up front when the
     * blob's text goes into c, so a large model's text is not copied as it grows */
    pr.sb = c;
    if (blob)
        memset(blob, 0, sizeof *blob); /* no blob: nothing for c_write to insert */
    if (!blob && pr.weights_used && pr.blob_size < SIZE_MAX / 4 - kernels.len - 65536)
        (void)sb_reserve(c, (size_t)pr.blob_size * 3 + kernels.len + 65536);
    sb_printf(c, "/* %s.c: generated by lwcc %s from ", prefix, LW_VERSION);
    cname_comment(c, model, 200);
    sb_printf(c, ", %s --target=%s (%s). Do not edit. */\n", opt_name(ctx->opt->opt), tgt,
              ctx->target->name);
    sb_printf(c, "#include \"%s.h\"\n\n", prefix);
    /* GCC 12 at -O2 deleted a call to a kernel whose stores the next kernel copies (its
     * interprocedural mod/ref and pure-const analyses together; a U-Net's Col2Im on
     * armv8, found by comparing with onnxruntime); kernels are opaque to them */
    sb_puts(c, "#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8\n"
               "#define LW_KERNEL __attribute__((noipa))\n#else\n#define LW_KERNEL\n#endif\n\n");
    if (pr.params_used) /* print_kernel */
        sb_puts(c, "#if defined(__clang__)\n#define LW_PARAMS 1\n"
                   "#define LW_BODY static inline __attribute__((always_inline))\n"
                   "#else\n#define LW_PARAMS 0\n#endif\n\n");
    if (pr.weights_used)
        print_blob(&pr, blob);
    int os = ctx->opt->opt == LW_OS;
    if (os)
        sb_puts(c, "#if defined(__GNUC__) || defined(__clang__)\n"
                   "#define LW_NOINLINE __attribute__((noinline, unused))\n#else\n"
                   "#define LW_NOINLINE\n#endif\n\n");
    int any_helper = 0;
    for (uint32_t i = 0; i < lwrt_nhelpers; i++)
        if (pr.helper_used[i]) {
            if (!any_helper) {
                sb_puts(c, "/* runtime-min helpers */\n");
                /* other levels: inlined at every use, so the loops that call them
                 * vectorize (they are branch-free); a compiler's size heuristics would
                 * otherwise leave the larger ones (sigmoid, tanh, exp) as calls. Unused:
                 * a helper's dependency may be left out by the branch it is in
                 * (lwrt_sqrtf_soft where sqrtf is an instruction), and clang warns of
                 * an unused static inline function. */
                sb_printf(c,
                          "#if defined(__GNUC__) || defined(__clang__)\n"
                          "#define LW_INLINE inline __attribute__((%sunused))\n"
                          "#else\n#define LW_INLINE inline\n#endif\n\n",
                          os ? "" : "always_inline, ");
            }
            any_helper = 1;
            /* -Os: the larger helpers (exp, tanh, erf, ...) once, called, not inlined
             * at every use */
            const char *src = lwrt_helpers[i].source, *fn = strstr(src, "static inline ");
            if (os && fn && strlen(fn) > OS_CALLED_HELPER) {
                sb_putn(c, src, (size_t)(fn - src));
                sb_puts(c, "static LW_NOINLINE ");
                src = fn + 14;
            } else if (fn) {
                sb_putn(c, src, (size_t)(fn - src));
                sb_puts(c, "static LW_INLINE ");
                src = fn + 14;
            }
            sb_puts(c, src);
            sb_putc(c, '\n');
        }
    print_vector_helpers(c, pr.vec_used);
    print_cvt_helpers(c, pr.cvt_used);
    print_requant_helpers(c, pr.vdiv_used, pr.vround_used, pr.nst_used);
    print_int_helpers(c, pr.ivec_used, pr.dot_used, pr.iop_used, pr.wid_used);
    print_dot2_helper(c, pr.dot2_used);
    print_minmax_helpers(c, pr.mm_used);
    if (pr.scalar_loops) /* kir_loop_strided: GCC keeps these loops scalar by itself */
        sb_puts(c, "#if defined(__clang__)\n"
                   "#define LW_SCALAR_LOOP _Pragma(\"clang loop vectorize(disable)\")\n"
                   "#else\n#define LW_SCALAR_LOOP\n#endif\n\n");
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
    if (pr.steps)
        sb_printf(c, "    for (uint32_t i = 0; i < %u; i++)\n"
                     "        lw_steps[i].fn(inputs, outputs, lw_a, lw_steps[i].p, lw_steps[i].f);\n",
                  p->kernels.len);
    else
        for (uint32_t k = 0; k < p->kernels.len; k++)
            sb_printf(c, "    %s(inputs, outputs, lw_a);\n", p->kernels.data[k].cname);
    sb_puts(c, "    return 0;\n}\n");

    c_header(ctx, prefix, h);
    return LW_OK;
}
