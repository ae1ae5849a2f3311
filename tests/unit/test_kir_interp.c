/* Unit tests for ir/kir_interp.c: kernels built by hand with the KBuilder
 * (ir/kir_build.h) and run op by op: every kernel operation of
 * ir/kir_ops.def on float32 and on the integer types (wrapping, division by
 * zero, INT_MIN / -1, signed and unsigned compares), casts, guarded and
 * clamped loads, locals, KS_IF, loops with a data-dependent trip count. Each
 * program also passes kir_verify; ir/kir_verify.c's rejections of dyn loops and
 * ir/kir_dump.c's text of them are here too. */
#define _POSIX_C_SOURCE 200809L /* test_ices (fork) */

#include "ir/kir_interp.h"

#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "include/lwcc/arena.h"
#include "include/lwcc/ctx.h"
#include "include/lwcc/diag.h"
#include "ir/graph.h"
#include "ir/kir_build.h"
#include "ops/op.h"
#include "tests/unit/test_util.h"

#define MAX_BUFS 64

typedef struct Fixture {
    Ctx ctx;
    Diag diag;
    FILE *out;
    Graph *g;
    NodeId node;
    Program *prog;
    KBuilder kb;
    void *mem[MAX_BUFS];
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    if (!f || test_ctx_open(&f->ctx, &f->diag, &f->out) != 0) {
        free(f);
        return -1;
    }
    /* kb_begin names the kernel after a node: one Relu node */
    f->g = graph_new(f->ctx.perm);
    int known;
    const OpDef *relu = op_lookup("", "Relu", 13, &known);
    if (!relu)
        return -1;
    ValueId x = graph_add_value(f->ctx.perm, f->g, "x", DT_FLOAT32);
    SrcLoc loc = {"relu_0", "Relu", "", 13, ""};
    f->node = graph_add_node(f->ctx.perm, f->g, relu, &loc, 1, &x, 1, NULL);
    f->ctx.g = f->g;
    f->prog = kir_program_new(f->ctx.perm);
    f->ctx.prog = f->prog;
    uint32_t *val_buf = arena_array(f->ctx.perm, uint32_t, f->g->values.len);
    kb_init(&f->kb, &f->ctx, f->prog, f->g, val_buf);
    kb_begin(&f->kb, graph_node(f->g, f->node), NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    test_ctx_close(&f->ctx, f->out);
    free(f);
    return 0;
}

/* A buffer with memory; `data` (nelem elements of dt) may be NULL for zeros. */
static uint32_t new_buf(Fixture *f, KBufKind kind, DType dt, uint64_t nelem, const void *data)
{
    uint32_t b = kir_add_buf(f->ctx.perm, f->prog, kind, dt, nelem, 0);
    assert_true(b < MAX_BUFS);
    size_t bytes = (size_t)nelem * dtype_size(dt);
    f->mem[b] = arena_alloc(f->ctx.perm, bytes ? bytes : 1);
    if (data)
        memcpy(f->mem[b], data, bytes);
    return b;
}

/* Ends the open kernel, verifies and runs it, and opens the next one. */
static void run_kernel(Fixture *f)
{
    kb_end(&f->kb);
    kir_verify(&f->ctx, f->prog, "test");
    uint32_t k = f->prog->kernels.len - 1;
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, k, k + 1, f->mem), LW_OK);
    kb_begin(&f->kb, graph_node(f->g, f->node), NULL);
}

/* Stores e into a fresh one-element output and runs it; returns the buffer. */
static uint32_t eval_store(Fixture *f, KExpr *e)
{
    uint32_t ob = new_buf(f, KB_OUTPUT, e->type.dt, 1, NULL);
    memset(f->mem[ob], 0xcd, dtype_size(e->type.dt));
    kb_store(&f->kb, ob, kidx_const(0), e);
    run_kernel(f);
    return ob;
}

/* The stored value as int64 (sign- or zero-extended from its type). */
static int64_t eval_i(Fixture *f, KExpr *e)
{
    uint32_t ob = eval_store(f, e);
    const void *m = f->mem[ob];
    switch (e->type.dt) {
    case DT_INT8:
        return *(const int8_t *)m;
    case DT_UINT8:
    case DT_BOOL:
        return *(const uint8_t *)m;
    case DT_INT16:
        return *(const int16_t *)m;
    case DT_UINT16:
        return *(const uint16_t *)m;
    case DT_INT32:
        return *(const int32_t *)m;
    case DT_UINT32:
        return *(const uint32_t *)m;
    case DT_INT64:
    case DT_UINT64: {
        int64_t v;
        memcpy(&v, m, 8);
        return v;
    }
    default:
        fail_msg("eval_i on %s", dtype_name(e->type.dt));
    }
    return 0;
}

static float eval_f32(Fixture *f, KExpr *e)
{
    assert_int_equal(e->type.dt, DT_FLOAT32);
    uint32_t ob = eval_store(f, e);
    float v;
    memcpy(&v, f->mem[ob], 4);
    return v;
}

static double eval_f64(Fixture *f, KExpr *e)
{
    assert_int_equal(e->type.dt, DT_FLOAT64);
    uint32_t ob = eval_store(f, e);
    double v;
    memcpy(&v, f->mem[ob], 8);
    return v;
}

static KExpr *ci(Fixture *f, DType dt, int64_t v)
{
    return kb_const_i(&f->kb, dt, v);
}

static KExpr *cf(Fixture *f, double v)
{
    return kb_const_f(&f->kb, DT_FLOAT32, v);
}

static uint32_t bits32(float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    return u;
}

/* ---- integer operations ------------------------------------------------------ */

typedef struct IntCase {
    KOp op;
    DType dt;
    int64_t a, b, c, want;
} IntCase;

static void run_int_cases(Fixture *f, const IntCase *cs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const IntCase *t = &cs[i];
        const KOpInfo *info = kop_info(t->op);
        KExpr *a = ci(f, t->dt, t->a), *b = info->arity > 1 ? ci(f, t->dt, t->b) : NULL;
        KExpr *e = info->arity > 2 ? kb_op3(&f->kb, t->op, a, b, ci(f, t->dt, t->c))
                                   : kb_op(&f->kb, t->op, a, b);
        assert_int_equal(e->type.dt, info->result == 'b' ? DT_BOOL : t->dt);
        int64_t got = eval_i(f, e);
        if (got != t->want)
            fail_msg("case %zu: %s %s(%lld, %lld) = %lld, want %lld", i, dtype_name(t->dt),
                     info->name, (long long)t->a, (long long)t->b, (long long)got,
                     (long long)t->want);
    }
}

static void test_kir_interp_int_add_sub_mul_wrap_to_width(void **state)
{
    static const IntCase cs[] = {
        {KOP_ADD, DT_INT8, 127, 1, 0, -128},
        {KOP_ADD, DT_INT8, -100, -100, 0, 56},
        {KOP_ADD, DT_UINT8, 255, 1, 0, 0},
        {KOP_ADD, DT_INT32, INT32_MAX, 1, 0, INT32_MIN},
        {KOP_ADD, DT_INT64, INT64_MAX, 1, 0, INT64_MIN},
        {KOP_SUB, DT_UINT8, 0, 1, 0, 255},
        {KOP_SUB, DT_INT8, -128, 1, 0, 127},
        {KOP_SUB, DT_INT32, INT32_MIN, 1, 0, INT32_MAX},
        {KOP_SUB, DT_INT64, INT64_MIN, 1, 0, INT64_MAX},
        {KOP_MUL, DT_INT8, 16, 16, 0, 0},
        {KOP_MUL, DT_INT8, 64, 3, 0, -64},
        {KOP_MUL, DT_UINT8, 16, 17, 0, 16},
        {KOP_MUL, DT_INT32, 65536, 65536, 0, 0},
        {KOP_MUL, DT_INT32, -3, 7, 0, -21},
        {KOP_MUL, DT_INT64, INT64_MIN, -1, 0, INT64_MIN},
        {KOP_MUL, DT_INT64, INT64_C(1) << 32, INT64_C(1) << 32, 0, 0},
        {KOP_FMA, DT_INT8, 100, 2, 1, -55},
        {KOP_FMA, DT_INT32, 3, 4, 5, 17},
        {KOP_FMA, DT_UINT8, 16, 16, 3, 3},
    };
    run_int_cases(*state, cs, sizeof cs / sizeof cs[0]);
}

static void test_kir_interp_int_div_mod_zero_and_int_min(void **state)
{
    static const IntCase cs[] = {
        {KOP_DIV, DT_INT32, 7, 2, 0, 3},
        {KOP_DIV, DT_INT32, -7, 2, 0, -3}, /* C truncation */
        {KOP_DIV, DT_INT32, 7, 0, 0, 0},   /* division by zero gives 0 */
        {KOP_DIV, DT_INT32, INT32_MIN, -1, 0, INT32_MIN},
        {KOP_DIV, DT_INT32, 5, -1, 0, -5},
        {KOP_DIV, DT_INT8, -128, -1, 0, -128},
        {KOP_DIV, DT_INT8, -128, 0, 0, 0},
        {KOP_DIV, DT_INT64, INT64_MIN, -1, 0, INT64_MIN},
        {KOP_DIV, DT_INT64, INT64_MIN, 0, 0, 0},
        {KOP_DIV, DT_INT64, INT64_MIN, 2, 0, INT64_MIN / 2},
        {KOP_DIV, DT_UINT8, 200, 3, 0, 66},
        {KOP_DIV, DT_UINT8, 200, 0, 0, 0},
        {KOP_DIV, DT_UINT64, -1 /* UINT64_MAX */, 2, 0, INT64_MAX},
        {KOP_MOD, DT_INT32, -7, 3, 0, -1},
        {KOP_MOD, DT_INT32, 7, -3, 0, 1},
        {KOP_MOD, DT_INT32, 5, 0, 0, 0},
        {KOP_MOD, DT_INT32, INT32_MIN, -1, 0, 0},
        {KOP_MOD, DT_INT64, INT64_MIN, -1, 0, 0},
        {KOP_MOD, DT_INT8, -128, -1, 0, 0},
        {KOP_MOD, DT_UINT8, 200, 7, 0, 4},
        {KOP_MOD, DT_UINT8, 200, 0, 0, 0},
    };
    run_int_cases(*state, cs, sizeof cs / sizeof cs[0]);
}

static void test_kir_interp_int_min_max_neg_abs(void **state)
{
    static const IntCase cs[] = {
        {KOP_MIN, DT_INT8, -1, 1, 0, -1},
        {KOP_MAX, DT_INT8, -1, 1, 0, 1},
        {KOP_MIN, DT_UINT8, 255, 1, 0, 1},
        {KOP_MAX, DT_UINT8, 255, 1, 0, 255},
        {KOP_MIN, DT_INT64, INT64_MIN, 0, 0, INT64_MIN},
        {KOP_MAX, DT_INT32, INT32_MIN, INT32_MAX, 0, INT32_MAX},
        {KOP_MIN, DT_UINT64, -1, 1, 0, 1},  /* UINT64_MAX vs 1: unsigned */
        {KOP_MAX, DT_UINT64, -1, 1, 0, -1},
        {KOP_MIN, DT_UINT32, 4294967295LL, 0, 0, 0},
        {KOP_NEG, DT_INT8, -128, 0, 0, -128},
        {KOP_NEG, DT_INT32, 5, 0, 0, -5},
        {KOP_NEG, DT_INT32, INT32_MIN, 0, 0, INT32_MIN},
        {KOP_NEG, DT_UINT8, 1, 0, 0, 255},
        {KOP_NEG, DT_INT64, INT64_MIN, 0, 0, INT64_MIN},
        {KOP_ABS, DT_INT8, -128, 0, 0, -128},
        {KOP_ABS, DT_INT8, -5, 0, 0, 5},
        {KOP_ABS, DT_INT32, -5, 0, 0, 5},
        {KOP_ABS, DT_INT64, INT64_MIN, 0, 0, INT64_MIN},
        {KOP_ABS, DT_UINT8, 200, 0, 0, 200},
    };
    run_int_cases(*state, cs, sizeof cs / sizeof cs[0]);
}

static void test_kir_interp_int_compares_signed_and_unsigned(void **state)
{
    static const IntCase cs[] = {
        {KOP_LT, DT_INT32, -1, 1, 0, 1},
        {KOP_LT, DT_INT8, -128, 127, 0, 1},
        {KOP_LT, DT_UINT8, 255, 1, 0, 0},
        {KOP_LT, DT_UINT32, 4294967295LL, 1, 0, 0},
        {KOP_LT, DT_UINT64, -1 /* UINT64_MAX */, 1, 0, 0},
        {KOP_GT, DT_UINT64, -1, 1, 0, 1},
        {KOP_GT, DT_INT64, -1, 1, 0, 0},
        {KOP_LE, DT_INT64, INT64_MIN, INT64_MIN, 0, 1},
        {KOP_LE, DT_UINT64, INT64_MIN /* 2^63 */, 1, 0, 0},
        {KOP_GE, DT_UINT64, INT64_MIN, INT64_MAX, 0, 1},
        {KOP_GE, DT_INT64, INT64_MIN, INT64_MAX, 0, 0},
        {KOP_GE, DT_INT32, 3, 3, 0, 1},
        {KOP_GT, DT_INT32, 3, 3, 0, 0},
        {KOP_EQ, DT_INT8, -1, -1, 0, 1},
        {KOP_EQ, DT_UINT8, 255, 254, 0, 0},
        {KOP_NE, DT_INT64, 0, 1, 0, 1},
        {KOP_NE, DT_INT32, 9, 9, 0, 0},
    };
    run_int_cases(*state, cs, sizeof cs / sizeof cs[0]);
}

static void test_kir_interp_int_bit_operations(void **state)
{
    static const IntCase cs[] = {
        {KOP_AND, DT_INT8, -1, 0x0f, 0, 0x0f},
        {KOP_AND, DT_UINT8, 0xf0, 0x3c, 0, 0x30},
        {KOP_OR, DT_UINT8, 0xf0, 0x0f, 0, 0xff},
        {KOP_OR, DT_INT8, 0x70, 0x0f, 0, 0x7f},
        {KOP_XOR, DT_INT32, -1, 1, 0, -2},
        {KOP_XOR, DT_INT64, INT64_MIN, -1, 0, INT64_MAX},
        {KOP_XOR, DT_BOOL, 1, 1, 0, 0}, /* Not on bool is lowered as xor 1 */
        {KOP_XOR, DT_BOOL, 0, 1, 0, 1},
        {KOP_NOT, DT_BOOL, 0, 0, 0, 1},
        {KOP_NOT, DT_BOOL, 1, 0, 0, 0},
        {KOP_NOT, DT_INT32, 5, 0, 0, 0},
        {KOP_SHL, DT_UINT8, 1, 7, 0, 128},
        {KOP_SHL, DT_UINT8, 1, 8, 0, 0},
        {KOP_SHL, DT_UINT8, 0x81, 1, 0, 2},
        {KOP_SHL, DT_UINT32, 1, 31, 0, 2147483648LL},
        {KOP_SHL, DT_UINT64, 1, 63, 0, INT64_MIN},
        {KOP_SHR, DT_UINT8, 128, 7, 0, 1},
        {KOP_SHR, DT_UINT8, 255, 4, 0, 15},
        {KOP_SHR, DT_UINT32, 2147483648LL, 31, 0, 1},
        {KOP_SHR, DT_UINT64, -1, 63, 0, 1},
        {KOP_SHR, DT_UINT64, -1, 1, 0, INT64_MAX},
    };
    run_int_cases(*state, cs, sizeof cs / sizeof cs[0]);
}

/* DIVERGENCE (ir/kir_interp.c op_eval, KOP_SHR): the interpreter shifts the
 * sign-extended 64-bit value, the C printer (codegen/c_print.c, KF_BITS)
 * shifts in uint32_t/uint64_t, so int32 -2^31 >> 1 folds to -2^30 but runs as
 * 2^30 (and int8 -128 >> 25 folds to -1 but runs as 127). No op lowers a
 * signed shift today (ONNX BitShift is unsigned only); skipped until the two
 * agree. */
static void test_kir_interp_signed_shr_matches_printed_c(void **state)
{
    static const IntCase cs[] = {
        {KOP_SHR, DT_INT32, INT32_MIN, 1, 0, 1073741824},
        {KOP_SHR, DT_INT8, -128, 25, 0, 127},
    };
    run_int_cases(*state, cs, sizeof cs / sizeof cs[0]);
}

static void test_kir_interp_loads_extend_by_signedness(void **state)
{
    Fixture *f = *state;
    static const uint8_t raw[2] = {0xff, 0x80};
    uint32_t s8 = new_buf(f, KB_INPUT, DT_INT8, 2, raw);
    uint32_t u8 = new_buf(f, KB_INPUT, DT_UINT8, 2, raw);
    static const uint32_t raw32[1] = {0xffffffffu};
    uint32_t s32 = new_buf(f, KB_INPUT, DT_INT32, 1, raw32);
    uint32_t u32 = new_buf(f, KB_INPUT, DT_UINT32, 1, raw32);
    KIndex i0 = kidx_const(0), i1 = kidx_const(1);
    assert_int_equal(eval_i(f, kb_load(&f->kb, s8, i0)), -1);
    assert_int_equal(eval_i(f, kb_load(&f->kb, s8, i1)), -128);
    assert_int_equal(eval_i(f, kb_load(&f->kb, u8, i0)), 255);
    assert_int_equal(eval_i(f, kb_load(&f->kb, u8, i1)), 128);
    assert_int_equal(eval_i(f, kb_load(&f->kb, s32, i0)), -1);
    assert_int_equal(eval_i(f, kb_load(&f->kb, u32, i0)), 4294967295LL);
    /* compares see the extended values */
    assert_int_equal(eval_i(f, kb_op(&f->kb, KOP_LT, kb_load(&f->kb, s8, i0), ci(f, DT_INT8, 0))),
                     1);
    assert_int_equal(
        eval_i(f, kb_op(&f->kb, KOP_GT, kb_load(&f->kb, u32, i0), ci(f, DT_UINT32, 1))), 1);
}

/* ---- float operations -------------------------------------------------------- */

static void test_kir_interp_f32_arithmetic_rounds_in_float(void **state)
{
    Fixture *f = *state;
    /* 2^24 + 1 is not a float: the sum rounds back to 2^24 in float32 */
    assert_true(eval_f32(f, kb_op(&f->kb, KOP_ADD, cf(f, 16777216.0), cf(f, 1.0))) ==
                16777216.0f);
    assert_true(eval_f32(f, kb_op(&f->kb, KOP_SUB, cf(f, 1.5), cf(f, 4.0))) == -2.5f);
    assert_true(eval_f32(f, kb_op(&f->kb, KOP_MUL, cf(f, 1.5), cf(f, -4.0))) == -6.0f);
    assert_true(eval_f32(f, kb_op(&f->kb, KOP_DIV, cf(f, 1.0), cf(f, 3.0))) == 1.0f / 3.0f);
    assert_true(isinf(eval_f32(f, kb_op(&f->kb, KOP_DIV, cf(f, 1.0), cf(f, 0.0)))));
    assert_true(isnan(eval_f32(f, kb_op(&f->kb, KOP_DIV, cf(f, 0.0), cf(f, 0.0)))));
    assert_true(eval_f32(f, kb_op(&f->kb, KOP_NEG, cf(f, 2.0), NULL)) == -2.0f);
    assert_int_equal(bits32(eval_f32(f, kb_op(&f->kb, KOP_NEG, cf(f, 0.0), NULL))), 0x80000000u);
    assert_true(eval_f32(f, kb_op(&f->kb, KOP_ABS, cf(f, -3.0), NULL)) == 3.0f);
    /* float64 keeps its width */
    KExpr *d = kb_op(&f->kb, KOP_ADD, kb_const_f(&f->kb, DT_FLOAT64, 16777216.0),
                     kb_const_f(&f->kb, DT_FLOAT64, 1.0));
    assert_true(eval_f64(f, d) == 16777217.0);
    d = kb_op(&f->kb, KOP_DIV, kb_const_f(&f->kb, DT_FLOAT64, 1.0),
              kb_const_f(&f->kb, DT_FLOAT64, 3.0));
    assert_true(eval_f64(f, d) == 1.0 / 3.0);
}

static void test_kir_interp_f32_fma_rounds_twice_like_printed_c(void **state)
{
    Fixture *f = *state;
    /* a*b = 1 + 2^-11 + 2^-24 rounds to 1 + 2^-11 in float; a fused fma
     * would leave 2^-24 */
    double a = 1.0 + ldexp(1.0, -12);
    float r = eval_f32(f, kb_op3(&f->kb, KOP_FMA, cf(f, a), cf(f, a), cf(f, -(1.0 + ldexp(1.0, -11)))));
    assert_true(r == 0.0f);
    assert_true(eval_f32(f, kb_op3(&f->kb, KOP_FMA, cf(f, 2.0), cf(f, 3.0), cf(f, 4.0))) == 10.0f);
}

static void test_kir_interp_f32_min_max_follow_printed_ternary(void **state)
{
    Fixture *f = *state;
    assert_true(eval_f32(f, kb_op(&f->kb, KOP_MIN, cf(f, -1.0), cf(f, 2.0))) == -1.0f);
    assert_true(eval_f32(f, kb_op(&f->kb, KOP_MAX, cf(f, -1.0), cf(f, 2.0))) == 2.0f);
    /* C's (a < b ? a : b): a NaN first operand gives b, a NaN second gives NaN */
    assert_true(eval_f32(f, kb_op(&f->kb, KOP_MIN, cf(f, NAN), cf(f, 1.0))) == 1.0f);
    assert_true(isnan(eval_f32(f, kb_op(&f->kb, KOP_MIN, cf(f, 1.0), cf(f, NAN)))));
    assert_true(eval_f32(f, kb_op(&f->kb, KOP_MAX, cf(f, NAN), cf(f, 1.0))) == 1.0f);
    assert_true(eval_f32(f, kb_op(&f->kb, KOP_MAX, cf(f, -INFINITY), cf(f, -FLT_MAX))) ==
                -FLT_MAX);
}

/* DIVERGENCE (ir/kir_interp.c op_eval, KOP_ABS on floats): the interpreter
 * returns +0.0 for abs(-0.0), the printed C `(a < 0 ? -a : a)` keeps -0.0, so
 * a folded Abs and a run one differ in the sign of zero (1/Abs(-0) is +inf
 * folded, -inf at run time). Skipped until they agree. */
static void test_kir_interp_f32_abs_negative_zero_matches_printed_c(void **state)
{
    Fixture *f = *state;
    assert_int_equal(bits32(eval_f32(f, kb_op(&f->kb, KOP_ABS, cf(f, -0.0), NULL))),
                     bits32(-0.0f));
}

static void test_kir_interp_f32_compares_with_nan(void **state)
{
    Fixture *f = *state;
    struct {
        KOp op;
        double a, b;
        int64_t want;
    } cs[] = {
        {KOP_LT, 1, 2, 1},   {KOP_LT, 2, 1, 0},   {KOP_LE, 2, 2, 1},   {KOP_GT, 3, 2, 1},
        {KOP_GE, 2, 3, 0},   {KOP_EQ, 0.0, -0.0, 1}, {KOP_NE, 1, 1, 0}, {KOP_LT, NAN, 1, 0},
        {KOP_GE, NAN, 1, 0}, {KOP_EQ, NAN, NAN, 0}, {KOP_NE, NAN, NAN, 1},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        KExpr *e = kb_op(&f->kb, cs[i].op, cf(f, cs[i].a), cf(f, cs[i].b));
        assert_int_equal(e->type.dt, DT_BOOL);
        if (eval_i(f, e) != cs[i].want)
            fail_msg("case %zu: %s(%g, %g) != %lld", i, kop_info(cs[i].op)->name, cs[i].a,
                     cs[i].b, (long long)cs[i].want);
    }
}

static void test_kir_interp_f32_helper_calls(void **state)
{
    Fixture *f = *state;
    struct {
        KOp op;
        double a, b, want, tol;
    } cs[] = {
        {KOP_EXP, 0, 0, 1, 0},         {KOP_EXP, 1, 0, 2.718281828, 1e-6},
        {KOP_LOG, 1, 0, 0, 0},         {KOP_LOG, 2.718281828, 0, 1, 1e-6},
        {KOP_SQRT, 4, 0, 2, 0},        {KOP_SQRT, 2, 0, 1.414213562, 1e-6},
        {KOP_TANH, 0, 0, 0, 0},        {KOP_TANH, 1, 0, 0.761594156, 1e-6},
        {KOP_ERF, 0, 0, 0, 0},         {KOP_ERF, 1, 0, 0.842700793, 1e-6},
        {KOP_SIGMOID, 0, 0, 0.5, 0},   {KOP_SIGMOID, 2, 0, 0.880797078, 1e-6},
        {KOP_POW, 2, 10, 1024, 0},     {KOP_POW, 9, 0.5, 3, 1e-6},
        {KOP_SIN, 0, 0, 0, 0},         {KOP_COS, 0, 0, 1, 0},
        {KOP_SIN, 1, 0, 0.841470985, 1e-6},
        {KOP_FLOOR, -1.5, 0, -2, 0},   {KOP_CEIL, -1.5, 0, -1, 0},
        {KOP_FLOOR, 2.0, 0, 2, 0},     {KOP_ROUND, 2.5, 0, 2, 0},
        {KOP_ROUND, 3.5, 0, 4, 0},     {KOP_ROUND, -2.5, 0, -2, 0},
        {KOP_ROUND, 0.49999997, 0, 0, 0},
        {KOP_MOD, 7, 3, 1, 0},         {KOP_MOD, -7, 3, -1, 0},
        {KOP_MOD, 5.5, 2, 1.5, 0},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        KExpr *b = kop_info(cs[i].op)->arity > 1 ? cf(f, cs[i].b) : NULL;
        float got = eval_f32(f, kb_op(&f->kb, cs[i].op, cf(f, cs[i].a), b));
        if (!(fabs((double)got - cs[i].want) <= cs[i].tol * fabs(cs[i].want)))
            fail_msg("case %zu: %s(%g) = %.9g, want %.9g", i, kop_info(cs[i].op)->name, cs[i].a,
                     (double)got, cs[i].want);
    }
    assert_true(isnan(eval_f32(f, kb_op(&f->kb, KOP_LOG, cf(f, -1.0), NULL))));
    assert_true(eval_f32(f, kb_op(&f->kb, KOP_EXP, cf(f, -INFINITY), NULL)) == 0.0f);
}

/* ---- casts ------------------------------------------------------------------- */

static void test_kir_interp_cast_float_to_int_truncates(void **state)
{
    Fixture *f = *state;
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT32, cf(f, -3.7))), -3);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT32, cf(f, 3.7))), 3);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT32, cf(f, -0.5))), 0);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT8, cf(f, 127.9))), 127);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT8, cf(f, -128.9))), -128);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_UINT8, cf(f, 255.5))), 255);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT64, cf(f, 16777216.0))), 16777216);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT64,
                                       kb_const_f(&f->kb, DT_FLOAT64, -9007199254740993.0))),
                     -9007199254740992LL);
    /* out of range and NaN never invoke undefined behavior in the compiler */
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT32, cf(f, NAN))), 0);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT64, cf(f, 1e19))), INT64_MAX);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT64, cf(f, -1e19))), INT64_MIN);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_UINT64, cf(f, -5.0))), 0);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_UINT64, cf(f, 1e30))), -1);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_UINT64, kb_const_f(&f->kb, DT_FLOAT64, 1e19))),
                     (int64_t)UINT64_C(10000000000000000000));
}

static void test_kir_interp_cast_int_to_float_rounds(void **state)
{
    Fixture *f = *state;
    assert_true(eval_f32(f, kb_cast(&f->kb, DT_FLOAT32, ci(f, DT_INT32, 16777217))) ==
                16777216.0f);
    assert_true(eval_f32(f, kb_cast(&f->kb, DT_FLOAT32, ci(f, DT_INT8, -1))) == -1.0f);
    assert_true(eval_f32(f, kb_cast(&f->kb, DT_FLOAT32, ci(f, DT_UINT8, 255))) == 255.0f);
    assert_true(eval_f32(f, kb_cast(&f->kb, DT_FLOAT32, ci(f, DT_UINT64, -1))) ==
                18446744073709551616.0f);
    assert_true(eval_f64(f, kb_cast(&f->kb, DT_FLOAT64, ci(f, DT_INT64, INT64_MIN))) ==
                -9223372036854775808.0);
    assert_true(eval_f64(f, kb_cast(&f->kb, DT_FLOAT64, ci(f, DT_INT64, 9007199254740993LL))) ==
                9007199254740992.0);
    /* float64 -> float32 rounds once */
    assert_true(eval_f32(f, kb_cast(&f->kb, DT_FLOAT32, kb_const_f(&f->kb, DT_FLOAT64, 0.1))) ==
                0.1f);
}

static void test_kir_interp_cast_int_to_int_wraps(void **state)
{
    Fixture *f = *state;
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT8, ci(f, DT_INT32, 300))), 44);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_UINT8, ci(f, DT_INT32, -1))), 255);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT32, ci(f, DT_UINT8, 255))), 255);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT64, ci(f, DT_INT8, -1))), -1);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_UINT32, ci(f, DT_INT64, -1))), 4294967295LL);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_INT32, ci(f, DT_INT64, INT64_C(1) << 32))), 0);
    /* int -> bool is "nonzero", not truncation */
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_BOOL, ci(f, DT_INT32, 256))), 1);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_BOOL, ci(f, DT_INT32, 0))), 0);
}

/* INCONSISTENCY (ir/kir_interp.c cast, float -> DT_BOOL): int -> bool gives
 * v != 0, but float -> bool goes through cast_to_int and wraps to uint8, so
 * 0.5 becomes 0 and 2.0 becomes 2 (not a valid bool); the C printer's
 * ((uint8_t)x) does the same. Ops avoid it (Cast lowers `x != 0` first), so
 * skipped until a direct float -> bool cast means "nonzero". */
static void test_kir_interp_cast_float_to_bool_is_nonzero(void **state)
{
    Fixture *f = *state;
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_BOOL, cf(f, 0.5))), 1);
    assert_int_equal(eval_i(f, kb_cast(&f->kb, DT_BOOL, cf(f, 2.0))), 1);
}

/* ---- loads, stores, control flow ------------------------------------------- */

static void test_kir_interp_guarded_load_returns_other_outside(void **state)
{
    Fixture *f = *state;
    static const float in[4] = {1, 2, 3, 4};
    uint32_t ib = new_buf(f, KB_INPUT, DT_FLOAT32, 4, in);
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_FLOAT32, 6, NULL);
    uint16_t i = kb_for(&f->kb, 6);
    KIndex src = kidx_const(-1);
    kidx_add(&src, i, 1);
    KCond c = {src, 4};
    KIndex dst = kidx_const(0);
    kidx_add(&dst, i, 1);
    kb_store(&f->kb, ob, dst, kb_load_guard(&f->kb, ib, src, &c, 1, cf(f, -7.0)));
    kb_endfor(&f->kb);
    run_kernel(f);
    const float want[6] = {-7, 1, 2, 3, 4, -7};
    assert_memory_equal(f->mem[ob], want, sizeof want);
}

static void test_kir_interp_guarded_load_two_conditions_2d(void **state)
{
    Fixture *f = *state;
    /* 2x2 input padded by one on each side into 4x4 */
    static const float in[4] = {1, 2, 3, 4};
    uint32_t ib = new_buf(f, KB_INPUT, DT_FLOAT32, 4, in);
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_FLOAT32, 16, NULL);
    uint16_t y = kb_for(&f->kb, 4);
    uint16_t x = kb_for(&f->kb, 4);
    KIndex ey = kidx_const(-1), ex = kidx_const(-1);
    kidx_add(&ey, y, 1);
    kidx_add(&ex, x, 1);
    KCond c[2] = {{ey, 2}, {ex, 2}};
    KIndex src = kidx_const(-3);
    kidx_add(&src, y, 2);
    kidx_add(&src, x, 1);
    const uint16_t vars[2] = {y, x};
    const int64_t st[2] = {4, 1};
    kb_store(&f->kb, ob, kidx_rowmajor(vars, st, 2, 0),
             kb_load_guard(&f->kb, ib, src, c, 2, cf(f, 0.5)));
    kb_endfor_n(&f->kb, 2);
    run_kernel(f);
    const float want[16] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 1, 2, 0.5f,
                            0.5f, 3,    4,    0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    assert_memory_equal(f->mem[ob], want, sizeof want);
}

/* kb_index_divmod: the channel floor(idx / inner) % extent of a flat index as an affine
 * index of the loop variables, checked element by element against the arithmetic. */
static void check_divmod(Fixture *f, const KIndex *ix, int64_t n0, int64_t n1, int64_t inner,
                         int64_t extent, uint16_t v0, uint16_t v1)
{
    KIndex q;
    assert_true(kb_index_divmod(&f->kb, ix, inner, extent, &q));
    for (int64_t a = 0; a < n0; a++)
        for (int64_t b = 0; b < n1; b++) {
            int64_t flat = ix->base, got = q.base;
            for (uint8_t i = 0; i < ix->n; i++)
                flat += ix->coef[i] * (ix->var[i] == v0 ? a : ix->var[i] == v1 ? b : 0);
            for (uint8_t i = 0; i < q.n; i++)
                got += q.coef[i] * (q.var[i] == v0 ? a : q.var[i] == v1 ? b : 0);
            assert_int_equal(got, (flat / inner) % extent);
        }
}

static void test_kir_build_index_divmod_affine_and_not(void **state)
{
    Fixture *f = *state;
    /* Conv weight [8, 4, 3, 3] read as m*36 + c*9 + 4: channel axis 0 (inner 36) is m */
    uint16_t m = kb_for(&f->kb, 8), c = kb_for(&f->kb, 4);
    KIndex w = kidx_const(4);
    kidx_add(&w, m, 36);
    kidx_add(&w, c, 9);
    check_divmod(f, &w, 8, 4, 36, 8, m, c);
    /* axis 1 of the same weight (inner 9, extent 4): c, with m's multiples dropped */
    check_divmod(f, &w, 8, 4, 9, 4, m, c);
    /* MatMul B [K=5, N=6] read as k*6 + n, axis 1: n */
    KIndex b = kidx_const(0);
    kidx_add(&b, m, 6);
    kidx_add(&b, c, 1);
    check_divmod(f, &b, 5, 4, 1, 6, m, c);
    /* not affine: a term that crosses the channel boundary (m*5 with inner 4) */
    KIndex bad = kidx_const(0), q;
    kidx_add(&bad, m, 5);
    assert_false(kb_index_divmod(&f->kb, &bad, 4, 10, &q));
    /* nor is a variable that is not an open loop's */
    kb_endfor_n(&f->kb, 2);
    assert_false(kb_index_divmod(&f->kb, &w, 9, 4, &q));
    run_kernel(f);
}

static void test_kir_interp_loadx_clamps_dynamic_index(void **state)
{
    Fixture *f = *state;
    static const float table[5] = {10, 20, 30, 40, 50};
    static const int32_t idx[6] = {-3, 0, 2, 4, 9, INT32_MAX};
    uint32_t tb = new_buf(f, KB_WEIGHT, DT_FLOAT32, 5, table);
    uint32_t ib = new_buf(f, KB_INPUT, DT_INT32, 6, idx);
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_FLOAT32, 6, NULL);
    uint16_t i = kb_for(&f->kb, 6);
    KIndex ii = kidx_const(0);
    kidx_add(&ii, i, 1);
    KExpr *dyn = kb_load(&f->kb, ib, ii);
    kb_store(&f->kb, ob, ii, kb_loadx(&f->kb, tb, kidx_const(0), dyn, 1, 5));
    kb_endfor(&f->kb);
    run_kernel(f);
    const float want[6] = {10, 10, 30, 50, 50, 50};
    assert_memory_equal(f->mem[ob], want, sizeof want);
}

static void test_kir_interp_loadx_with_stride_gathers_rows(void **state)
{
    Fixture *f = *state;
    /* Gather axis 0 of a [3,2] table with indices {2, -1, 1} (clamped) */
    static const int32_t table[6] = {1, 2, 3, 4, 5, 6};
    static const int64_t idx[3] = {2, -1, 1};
    uint32_t tb = new_buf(f, KB_WEIGHT, DT_INT32, 6, table);
    uint32_t ib = new_buf(f, KB_INPUT, DT_INT64, 3, idx);
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_INT32, 6, NULL);
    uint16_t r = kb_for(&f->kb, 3);
    uint16_t c = kb_for(&f->kb, 2);
    KIndex ri = kidx_const(0), ci_ = kidx_const(0);
    kidx_add(&ri, r, 1);
    kidx_add(&ci_, c, 1);
    const uint16_t vars[2] = {r, c};
    const int64_t st[2] = {2, 1};
    kb_store(&f->kb, ob, kidx_rowmajor(vars, st, 2, 0),
             kb_loadx(&f->kb, tb, ci_, kb_load(&f->kb, ib, ri), 2, 3));
    kb_endfor_n(&f->kb, 2);
    run_kernel(f);
    const int32_t want[6] = {5, 6, 1, 2, 3, 4};
    assert_memory_equal(f->mem[ob], want, sizeof want);
}

static void test_kir_interp_if_runs_body_only_inside_bounds(void **state)
{
    Fixture *f = *state;
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_INT32, 6, NULL);
    uint16_t i = kb_for(&f->kb, 6);
    KIndex e = kidx_const(-2);
    kidx_add(&e, i, 1);
    KCond c = {e, 3}; /* 2 <= i < 5 */
    kb_if(&f->kb, &c, 1);
    KIndex ii = kidx_const(0);
    kidx_add(&ii, i, 1);
    kb_store(&f->kb, ob, ii, ci(f, DT_INT32, 7));
    kb_endif(&f->kb);
    kb_endfor(&f->kb);
    run_kernel(f);
    const int32_t want[6] = {0, 0, 7, 7, 7, 0};
    assert_memory_equal(f->mem[ob], want, sizeof want);
}

static void test_kir_interp_if_needs_all_conditions(void **state)
{
    Fixture *f = *state;
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_UINT8, 9, NULL);
    uint16_t y = kb_for(&f->kb, 3);
    uint16_t x = kb_for(&f->kb, 3);
    KIndex ey = kidx_const(-1), exy = kidx_const(0);
    kidx_add(&ey, y, 1);    /* y >= 1 */
    kidx_add(&exy, x, 1);   /* x + y < 3 */
    kidx_add(&exy, y, 1);
    KCond c[2] = {{ey, 2}, {exy, 3}};
    kb_if(&f->kb, c, 2);
    const uint16_t vars[2] = {y, x};
    const int64_t st[2] = {3, 1};
    kb_store(&f->kb, ob, kidx_rowmajor(vars, st, 2, 0), ci(f, DT_UINT8, 1));
    kb_endif(&f->kb);
    kb_endfor_n(&f->kb, 2);
    run_kernel(f);
    const uint8_t want[9] = {0, 0, 0, 1, 1, 0, 1, 0, 0};
    assert_memory_equal(f->mem[ob], want, sizeof want);
}

static void test_kir_interp_local_accumulates_across_loop(void **state)
{
    Fixture *f = *state;
    static const int8_t in[5] = {100, 100, 100, -50, 7};
    uint32_t ib = new_buf(f, KB_INPUT, DT_INT8, 5, in);
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_INT8, 1, NULL);
    uint16_t acc = kb_local(&f->kb, ktype(DT_INT8));
    kb_set(&f->kb, acc, ci(f, DT_INT8, 0));
    uint16_t i = kb_for(&f->kb, 5);
    KIndex ii = kidx_const(0);
    kidx_add(&ii, i, 1);
    kb_set(&f->kb, acc, kb_op(&f->kb, KOP_ADD, kb_var(&f->kb, acc), kb_load(&f->kb, ib, ii)));
    kb_endfor(&f->kb);
    kb_store(&f->kb, ob, kidx_const(0), kb_var(&f->kb, acc));
    run_kernel(f);
    /* 257 wraps at every step in int8: 100, -56, 44, -6, 1 */
    assert_int_equal(*(int8_t *)f->mem[ob], 1);
}

static void test_kir_interp_idx_expression_wraps_to_its_type(void **state)
{
    Fixture *f = *state;
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_INT8, 4, NULL);
    uint32_t fb = new_buf(f, KB_OUTPUT, DT_FLOAT32, 4, NULL);
    uint16_t i = kb_for(&f->kb, 4);
    KIndex ii = kidx_const(0), v = kidx_const(-10);
    kidx_add(&ii, i, 1);
    kidx_add(&v, i, 70); /* -10, 60, 130, 200 */
    kb_store(&f->kb, ob, ii, kb_idx(&f->kb, DT_INT8, v));
    kb_store(&f->kb, fb, ii, kb_idx(&f->kb, DT_FLOAT32, v));
    kb_endfor(&f->kb);
    run_kernel(f);
    const int8_t want[4] = {-10, 60, -126, -56};
    const float wantf[4] = {-10, 60, 130, 200};
    assert_memory_equal(f->mem[ob], want, sizeof want);
    assert_memory_equal(f->mem[fb], wantf, sizeof wantf);
}

static void test_kir_interp_select_picks_by_condition(void **state)
{
    Fixture *f = *state;
    static const float a[4] = {1, -2, 3, -4}, b[4] = {0, 0, 5, -5};
    uint32_t ab = new_buf(f, KB_INPUT, DT_FLOAT32, 4, a);
    uint32_t bb = new_buf(f, KB_INPUT, DT_FLOAT32, 4, b);
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_FLOAT32, 4, NULL);
    uint16_t i = kb_for(&f->kb, 4);
    KIndex ii = kidx_const(0);
    kidx_add(&ii, i, 1);
    KExpr *x = kb_load(&f->kb, ab, ii), *y = kb_load(&f->kb, bb, ii);
    kb_store(&f->kb, ob, ii, kb_select(&f->kb, kb_op(&f->kb, KOP_GT, x, y), x, y));
    kb_endfor(&f->kb);
    run_kernel(f);
    const float want[4] = {1, 0, 5, -4};
    assert_memory_equal(f->mem[ob], want, sizeof want);
}

static void test_kir_interp_runs_only_requested_kernels(void **state)
{
    Fixture *f = *state;
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_INT32, 2, NULL);
    kb_store(&f->kb, ob, kidx_const(0), ci(f, DT_INT32, 11));
    kb_end(&f->kb);
    kb_begin(&f->kb, graph_node(f->g, f->node), "second");
    kb_store(&f->kb, ob, kidx_const(1), ci(f, DT_INT32, 22));
    kb_end(&f->kb);
    assert_int_equal(f->prog->kernels.len, 2);
    assert_string_equal(f->prog->kernels.data[0].cname, "k0_relu_0");
    assert_string_equal(f->prog->kernels.data[1].cname, "k1_relu_0_second");
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, 1, 2, f->mem), LW_OK);
    assert_int_equal(((int32_t *)f->mem[ob])[0], 0);
    assert_int_equal(((int32_t *)f->mem[ob])[1], 22);
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, 0, 2, f->mem), LW_OK);
    assert_int_equal(((int32_t *)f->mem[ob])[0], 11);
    kb_begin(&f->kb, graph_node(f->g, f->node), NULL); /* the fixture leaves one open */
}

/* y[r] = sum of x[j] for j < clamp(t[r], 0, 4): a trip count below zero, above the bound,
 * zero and in range */
static void test_kir_interp_dyn_loop_clamps_trip_count(void **state)
{
    Fixture *f = *state;
    static const int32_t t[5] = {-3, 9, 0, 2, INT32_MIN};
    static const float x[4] = {1, 2, 4, 8};
    uint32_t tb = new_buf(f, KB_WEIGHT, DT_INT32, 5, t);
    uint32_t xb = new_buf(f, KB_INPUT, DT_FLOAT32, 4, x);
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_FLOAT32, 5, NULL);
    uint16_t acc = kb_local(&f->kb, ktype(DT_FLOAT32));
    uint16_t r = kb_for(&f->kb, 5);
    KIndex ri = kidx_const(0);
    kidx_add(&ri, r, 1);
    kb_set(&f->kb, acc, cf(f, 0));
    uint16_t j = kb_for_dyn(&f->kb, 4, kb_load(&f->kb, tb, ri));
    KIndex ji = kidx_const(0);
    kidx_add(&ji, j, 1);
    kb_set(&f->kb, acc, kb_op(&f->kb, KOP_ADD, kb_var(&f->kb, acc), kb_load(&f->kb, xb, ji)));
    kb_endfor(&f->kb);
    kb_store(&f->kb, ob, ri, kb_var(&f->kb, acc));
    kb_endfor(&f->kb);
    run_kernel(f);
    const float want[5] = {0, 15, 0, 3, 0};
    assert_memory_equal(f->mem[ob], want, sizeof want);
}

/* CSR rows: the trip count rowptr[r+1] - rowptr[r] from a uint8 table (a decreasing
 * pair gives a negative count: no trips), the row's elements through clamped loads */
static void test_kir_interp_dyn_loop_runs_csr_rows(void **state)
{
    Fixture *f = *state;
    static const uint8_t rowptr[5] = {0, 2, 2, 5, 1};
    static const int32_t vals[5] = {1, 10, 100, 1000, 10000};
    uint32_t pb = new_buf(f, KB_WEIGHT, DT_UINT8, 5, rowptr);
    uint32_t vb = new_buf(f, KB_WEIGHT, DT_INT32, 5, vals);
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_INT32, 4, NULL);
    uint16_t acc = kb_local(&f->kb, ktype(DT_INT32));
    uint16_t r = kb_for(&f->kb, 4);
    KIndex r0 = kidx_const(0), r1 = kidx_const(1);
    kidx_add(&r0, r, 1);
    kidx_add(&r1, r, 1);
    KExpr *lo = kb_cast(&f->kb, DT_INT32, kb_load(&f->kb, pb, r0));
    KExpr *hi = kb_cast(&f->kb, DT_INT32, kb_load(&f->kb, pb, r1));
    kb_set(&f->kb, acc, ci(f, DT_INT32, 0));
    uint16_t j = kb_for_dyn(&f->kb, 3, kb_op(&f->kb, KOP_SUB, hi, lo));
    KIndex ji = kidx_const(0);
    kidx_add(&ji, j, 1);
    KExpr *at = kb_op(&f->kb, KOP_ADD, kb_cast(&f->kb, DT_INT32, kb_load(&f->kb, pb, r0)),
                      kb_idx(&f->kb, DT_INT32, ji));
    KExpr *v = kb_loadx(&f->kb, vb, kidx_const(0), at, 1, 5);
    kb_set(&f->kb, acc, kb_op(&f->kb, KOP_ADD, kb_var(&f->kb, acc), v));
    kb_endfor(&f->kb);
    kb_store(&f->kb, ob, r0, kb_var(&f->kb, acc));
    kb_endfor(&f->kb);
    run_kernel(f);
    const int32_t want[4] = {11, 0, 11100, 0};
    assert_memory_equal(f->mem[ob], want, sizeof want);
}

static void run_kir_verify(void *arg)
{
    Fixture *f = arg;
    kir_verify(&f->ctx, f->prog, "test");
}

/* Whether kir_verify stops with an internal error (test_ices). */
static int verify_dies(Fixture *f)
{
    int r = test_ices(run_kir_verify, f);
    assert_true(r >= 0);
    return r;
}

/* A kernel reading x[j] (4 elements) in a loop of bound `bound` whose trip count is dyn. */
static void dyn_read_kernel(Fixture *f, int64_t bound, KExpr *dyn, uint32_t xb, uint32_t ob)
{
    uint16_t j = kb_for_dyn(&f->kb, bound, dyn);
    KIndex ji = kidx_const(0);
    kidx_add(&ji, j, 1);
    kb_store(&f->kb, ob, kidx_const(0), kb_load(&f->kb, xb, ji));
    kb_endfor(&f->kb);
    kb_end(&f->kb);
}

/* The body is checked against the bound, whatever the trip count reads: in bounds with
 * bound 4, out of bounds with 5; the count itself must be an integer and its loads in
 * bounds. */
static void test_kir_verify_dyn_loop_checks_bound_and_count(void **state)
{
    Fixture *f = *state;
    uint32_t xb = new_buf(f, KB_INPUT, DT_FLOAT32, 4, NULL);
    uint32_t tb = new_buf(f, KB_WEIGHT, DT_INT32, 2, NULL);
    uint32_t ob = new_buf(f, KB_OUTPUT, DT_FLOAT32, 1, NULL);
    dyn_read_kernel(f, 4, kb_load(&f->kb, tb, kidx_const(1)), xb, ob);
    assert_false(verify_dies(f));
    /* the dump shows the count and its bound */
    StrBuf sb;
    sb_init(&sb, f->ctx.scratch);
    kir_dump_kernel(f->prog, &f->prog->kernels.data[0], &sb);
    assert_non_null(strstr(sb_cstr(&sb), "for i0 < clamp(b1[1], 0, 4)\n"));

    kb_begin(&f->kb, graph_node(f->g, f->node), NULL);
    dyn_read_kernel(f, 5, kb_load(&f->kb, tb, kidx_const(0)), xb, ob);
    assert_true(verify_dies(f));
    f->prog->kernels.len--;

    kb_begin(&f->kb, graph_node(f->g, f->node), NULL);
    dyn_read_kernel(f, 4, kb_load(&f->kb, tb, kidx_const(2)), xb, ob); /* count out of bounds */
    assert_true(verify_dies(f));
    f->prog->kernels.len--;

    kb_begin(&f->kb, graph_node(f->g, f->node), NULL);
    /* a float count (kb_for_dyn asserts against one: set by hand) */
    (void)kb_for_dyn(&f->kb, 4, ci(f, DT_INT32, 1));
    f->kb.open_stmt[f->kb.depth]->u.loop.dyn = cf(f, 2);
    kb_store(&f->kb, ob, kidx_const(0), cf(f, 1));
    kb_endfor(&f->kb);
    kb_end(&f->kb);
    assert_true(verify_dies(f));
    f->prog->kernels.len--;
    kb_begin(&f->kb, graph_node(f->g, f->node), NULL); /* the fixture leaves one open */
}

static void test_kir_interp_const_lowest_highest(void **state)
{
    Fixture *f = *state;
    assert_int_equal(eval_i(f, kb_const_lowest(&f->kb, DT_INT8)), -128);
    assert_int_equal(eval_i(f, kb_const_highest(&f->kb, DT_INT8)), 127);
    assert_int_equal(eval_i(f, kb_const_lowest(&f->kb, DT_UINT8)), 0);
    assert_int_equal(eval_i(f, kb_const_highest(&f->kb, DT_UINT8)), 255);
    assert_int_equal(eval_i(f, kb_const_lowest(&f->kb, DT_INT32)), INT32_MIN);
    assert_int_equal(eval_i(f, kb_const_highest(&f->kb, DT_UINT32)), 4294967295LL);
    assert_int_equal(eval_i(f, kb_const_lowest(&f->kb, DT_INT64)), INT64_MIN);
    assert_int_equal(eval_i(f, kb_const_highest(&f->kb, DT_UINT64)), -1);
    assert_true(eval_f32(f, kb_const_lowest(&f->kb, DT_FLOAT32)) == -INFINITY);
    assert_true(eval_f32(f, kb_const_highest(&f->kb, DT_FLOAT32)) == INFINITY);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_kir_interp_int_add_sub_mul_wrap_to_width),
        T(test_kir_interp_int_div_mod_zero_and_int_min),
        T(test_kir_interp_int_min_max_neg_abs),
        T(test_kir_interp_int_compares_signed_and_unsigned),
        T(test_kir_interp_int_bit_operations),
        T(test_kir_interp_signed_shr_matches_printed_c),
        T(test_kir_interp_loads_extend_by_signedness),
        T(test_kir_interp_f32_arithmetic_rounds_in_float),
        T(test_kir_interp_f32_fma_rounds_twice_like_printed_c),
        T(test_kir_interp_f32_min_max_follow_printed_ternary),
        T(test_kir_interp_f32_abs_negative_zero_matches_printed_c),
        T(test_kir_interp_f32_compares_with_nan),
        T(test_kir_interp_f32_helper_calls),
        T(test_kir_interp_cast_float_to_int_truncates),
        T(test_kir_interp_cast_int_to_float_rounds),
        T(test_kir_interp_cast_int_to_int_wraps),
        T(test_kir_interp_cast_float_to_bool_is_nonzero),
        T(test_kir_interp_guarded_load_returns_other_outside),
        T(test_kir_interp_guarded_load_two_conditions_2d),
        T(test_kir_interp_loadx_clamps_dynamic_index),
        T(test_kir_interp_loadx_with_stride_gathers_rows),
        T(test_kir_interp_if_runs_body_only_inside_bounds),
        T(test_kir_interp_if_needs_all_conditions),
        T(test_kir_interp_local_accumulates_across_loop),
        T(test_kir_interp_idx_expression_wraps_to_its_type),
        T(test_kir_interp_select_picks_by_condition),
        T(test_kir_interp_runs_only_requested_kernels),
        T(test_kir_interp_const_lowest_highest),
        T(test_kir_interp_dyn_loop_clamps_trip_count),
        T(test_kir_interp_dyn_loop_runs_csr_rows),
        T(test_kir_verify_dyn_loop_checks_bound_and_count),
        T(test_kir_build_index_divmod_affine_and_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
