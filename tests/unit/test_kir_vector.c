/* Unit tests for kernel-IR vectors (lanes > 1) outside the C printer: a hand-made
 * program of two vector kernels (a vload/splat/mul/add/max loop and an fma accumulator
 * in a vector local, then sub/min) run by ir/kir_interp.c against a scalar computation
 * and the same kernels written with scalars; ir/kir_verify.c's bounds over the last lane;
 * ir/kir_dump.c's text; codegen/report.c's MACs; and, when lwcc has the LLVM backend,
 * the program compiled by codegen/llvm_print.c, linked and run. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, test_ices (fork) */

#include "ir/kir_interp.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "codegen/emit.h"
#include "codegen/report.h"
#include "include/lwcc/arena.h"
#include "include/lwcc/ctx.h"
#include "include/lwcc/diag.h"
#include "include/lwcc/lwcc.h"
#include "include/lwcc/strbuf.h"
#include "ir/graph.h"
#include "ir/kir_build.h"
#include "ops/op.h"
#include "passes/pass.h"
#include "target/target.h"
#include "tests/unit/test_util.h"

#define N 32 /* elements of x, b and y */
#define L 8  /* lanes */
#define MAX_BUFS 16

/* The program: y[32] = max(w[0] * x + b, 0) (kernel 0, 4 vector steps), z[8] =
 * min(acc - 1, w[0]) with acc = 0.5 + sum_j x[8j .. 8j+7] * w[1 + j] (kernel 1). */
typedef struct Fixture {
    Ctx ctx;
    Diag diag;
    FILE *out;
    LwOptions opt;
    Graph *g;
    NodeId n1, n2;
    Program *prog;
    KBuilder kb;
    uint32_t xb, bb, wb, yb, zb;
    float x[N], b[N], w[5], y[N], z[L];
    void *mem[MAX_BUFS];
    char dir[64];
} Fixture;

/* Bits to fill the inputs: a fixed linear congruential sequence. */
static uint32_t next_rand(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    if (!f || test_ctx_open(&f->ctx, &f->diag, &f->out) != 0) {
        free(f);
        return -1;
    }
    strcpy(f->dir, "/tmp/lwcc_test_vector_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    Ctx *ctx = &f->ctx;
    f->opt.input = "vec.onnx";
    f->opt.opt = LW_O2;
    f->opt.target = "generic";
    f->opt.emit = LW_EMIT_C;
    ctx->opt = &f->opt;
    ctx->target = target_find("generic");
    /* two Relu nodes of input x give outputs y and z (kb_begin names kernels after nodes;
     * the printers describe inputs and outputs from their values) */
    Graph *g = graph_new(ctx->perm);
    f->g = g;
    ctx->g = g;
    int known;
    const OpDef *relu = op_lookup("", "Relu", 13, &known);
    if (!relu || !ctx->target)
        return -1;
    ValueId x = graph_add_value(ctx->perm, g, "x", DT_FLOAT32);
    ValueId b = graph_add_value(ctx->perm, g, "b", DT_FLOAT32);
    graph_value(g, x)->shape.rank = graph_value(g, b)->shape.rank = 1;
    graph_value(g, x)->shape.dims[0] = graph_value(g, b)->shape.dims[0] = N;
    vec_push(ctx->perm, &g->inputs, x);
    vec_push(ctx->perm, &g->inputs, b);
    SrcLoc l1 = {"vec_a", "Relu", "", 13, ""}, l2 = {"vec_b", "Relu", "", 13, ""};
    f->n1 = graph_add_node(ctx->perm, g, relu, &l1, 1, &x, 1, NULL);
    f->n2 = graph_add_node(ctx->perm, g, relu, &l2, 1, &x, 1, NULL);
    ValueId y = graph_node(g, f->n1)->out[0], z = graph_node(g, f->n2)->out[0];
    graph_value(g, y)->shape.rank = graph_value(g, z)->shape.rank = 1;
    graph_value(g, y)->shape.dims[0] = N;
    graph_value(g, z)->shape.dims[0] = L;
    vec_push(ctx->perm, &g->outputs, y);
    vec_push(ctx->perm, &g->outputs, z);

    /* inputs: floats of all magnitudes around 1 with every mantissa bit, a NaN, a -0 */
    uint32_t s = 12345;
    for (int i = 0; i < N; i++) {
        f->x[i] = (float)(next_rand(&s) % 2000001u) / 250000.0f - 4.0f;
        f->b[i] = (float)(next_rand(&s) % 2000001u) / 300000.0f - 3.0f;
    }
    f->x[5] = NAN;
    f->b[13] = NAN;
    f->x[20] = -0.0f;
    f->b[20] = -0.0f;
    static const float w[5] = {0.7f, 1.3f, -0.45f, 0.3333f, 2.1f};
    memcpy(f->w, w, sizeof w);

    Program *p = kir_program_new(ctx->perm);
    f->prog = p;
    ctx->prog = p;
    f->xb = kir_add_buf(ctx->perm, p, KB_INPUT, DT_FLOAT32, N, x);
    f->bb = kir_add_buf(ctx->perm, p, KB_INPUT, DT_FLOAT32, N, b);
    p->bufs.data[f->bb].slot = 1;
    f->wb =
        kir_add_weight(ctx->perm, p, DT_FLOAT32, (const unsigned char *)f->w, sizeof f->w, 5, 0);
    f->yb = kir_add_buf(ctx->perm, p, KB_OUTPUT, DT_FLOAT32, N, y);
    f->zb = kir_add_buf(ctx->perm, p, KB_OUTPUT, DT_FLOAT32, L, z);
    p->bufs.data[f->zb].slot = 1;
    vec_push(ctx->perm, &p->inputs, f->xb);
    vec_push(ctx->perm, &p->inputs, f->bb);
    vec_push(ctx->perm, &p->outputs, f->yb);
    vec_push(ctx->perm, &p->outputs, f->zb);
    f->mem[f->xb] = f->x;
    f->mem[f->bb] = f->b;
    f->mem[f->wb] = f->w;
    f->mem[f->yb] = f->y;
    f->mem[f->zb] = f->z;
    uint32_t *val_buf = arena_array(ctx->perm, uint32_t, g->values.len);
    kb_init(&f->kb, ctx, p, g, val_buf);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    test_rmtree(f->dir);
    test_ctx_close(&f->ctx, f->out);
    free(f);
    return 0;
}

static KExpr *cf(Fixture *f, double v)
{
    return kb_const_f(&f->kb, DT_FLOAT32, v);
}

static KExpr *wload(Fixture *f, int64_t i)
{
    return kb_load(&f->kb, f->wb, kidx_const(i));
}

/* base + coef * loop variable v */
static KIndex at(uint16_t v, int64_t coef, int64_t base)
{
    KIndex ix = kidx_const(base);
    kidx_add(&ix, v, coef);
    return ix;
}

/* Kernel 0 with vectors: for i < 4: y[8i ..] = max(splat(w[0]) * x[8i ..] + b[8i ..], 0). */
static void vector_relu_kernel(Fixture *f)
{
    KBuilder *kb = &f->kb;
    kb_begin(kb, graph_node(f->g, f->n1), NULL);
    uint16_t i = kb_for(kb, N / L);
    KExpr *wx =
        kb_op(kb, KOP_MUL, kb_splat(kb, wload(f, 0), L), kb_vload(kb, f->xb, at(i, L, 0), L));
    KExpr *s = kb_op(kb, KOP_ADD, wx, kb_vload(kb, f->bb, at(i, L, 0), L));
    kb_store(kb, f->yb, at(i, L, 0), kb_op(kb, KOP_MAX, s, kb_splat(kb, cf(f, 0), L)));
    kb_endfor(kb);
    kb_end(kb);
}

/* Kernel 1 with a vector accumulator: acc = splat(0.5); for j < 4: acc = fma(x[8j ..],
 * splat(w[1 + j]), acc); z = min(acc - 1, splat(w[0])). */
static void vector_acc_kernel(Fixture *f)
{
    KBuilder *kb = &f->kb;
    kb_begin(kb, graph_node(f->g, f->n2), NULL);
    KType v8 = {DT_FLOAT32, L};
    uint16_t acc = kb_local(kb, v8);
    kb_set(kb, acc, kb_splat(kb, cf(f, 0.5), L));
    uint16_t j = kb_for(kb, N / L);
    KExpr *wj = kb_splat(kb, kb_load(kb, f->wb, at(j, 1, 1)), L);
    kb_set(kb, acc, kb_op3(kb, KOP_FMA, kb_vload(kb, f->xb, at(j, L, 0), L), wj, kb_var(kb, acc)));
    kb_endfor(kb);
    KExpr *d = kb_op(kb, KOP_SUB, kb_var(kb, acc), kb_splat(kb, cf(f, 1.0), L));
    kb_store(kb, f->zb, kidx_const(0), kb_op(kb, KOP_MIN, d, kb_splat(kb, wload(f, 0), L)));
    kb_end(kb);
}

/* The same two kernels with scalars only, into buffers ys and zs. */
static void scalar_kernels(Fixture *f, uint32_t ys, uint32_t zs)
{
    KBuilder *kb = &f->kb;
    kb_begin(kb, graph_node(f->g, f->n1), "scalar");
    uint16_t i = kb_for(kb, N);
    KExpr *wx = kb_op(kb, KOP_MUL, wload(f, 0), kb_load(kb, f->xb, at(i, 1, 0)));
    KExpr *s = kb_op(kb, KOP_ADD, wx, kb_load(kb, f->bb, at(i, 1, 0)));
    kb_store(kb, ys, at(i, 1, 0), kb_op(kb, KOP_MAX, s, cf(f, 0)));
    kb_endfor(kb);
    kb_end(kb);

    kb_begin(kb, graph_node(f->g, f->n2), "scalar");
    uint16_t acc = kb_local(kb, ktype(DT_FLOAT32));
    uint16_t l = kb_for(kb, L);
    kb_set(kb, acc, cf(f, 0.5));
    uint16_t j = kb_for(kb, N / L);
    KIndex xi = at(j, L, 0);
    kidx_add(&xi, l, 1);
    KExpr *xv = kb_load(kb, f->xb, xi);
    kb_set(kb, acc, kb_op3(kb, KOP_FMA, xv, kb_load(kb, f->wb, at(j, 1, 1)), kb_var(kb, acc)));
    kb_endfor(kb);
    KExpr *d = kb_op(kb, KOP_SUB, kb_var(kb, acc), cf(f, 1.0));
    kb_store(kb, zs, at(l, 1, 0), kb_op(kb, KOP_MIN, d, wload(f, 0)));
    kb_endfor(kb);
    kb_end(kb);
}

static void build_vector_program(Fixture *f)
{
    vector_relu_kernel(f);
    vector_acc_kernel(f);
    kir_verify(&f->ctx, f->prog, "test");
}

static uint32_t bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    return u;
}

/* y and z as plain C computes them, each product and sum rounded to float (volatile: no
 * contraction, no wider evaluation), min and max as C's a < b ? a : b and a > b ? a : b. */
static void reference(const Fixture *f, float *y, float *z)
{
    for (int i = 0; i < N; i++) {
        volatile float t = f->w[0] * f->x[i];
        volatile float s = t + f->b[i];
        y[i] = s > 0.0f ? s : 0.0f;
    }
    for (int l = 0; l < L; l++) {
        volatile float acc = 0.5f;
        for (int j = 0; j < N / L; j++) {
            volatile float t = f->x[L * j + l] * f->w[1 + j];
            acc = t + acc;
        }
        volatile float d = acc - 1.0f;
        z[l] = d < f->w[0] ? d : f->w[0];
    }
}

static void assert_same_bits(const float *got, const float *want, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        if (bits(got[i]) != bits(want[i]))
            fail_msg("%s[%d]: %a (0x%08x), expected %a (0x%08x)", what, i, (double)got[i],
                     bits(got[i]), (double)want[i], bits(want[i]));
}

static void test_kir_vector_interp_matches_scalar_computation(void **state)
{
    Fixture *f = *state;
    build_vector_program(f);
    memset(f->y, 0xcd, sizeof f->y);
    memset(f->z, 0xcd, sizeof f->z);
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, 0, 2, f->mem), LW_OK);
    float y[N], z[L];
    reference(f, y, z);
    assert_same_bits(f->y, y, N, "y");
    assert_same_bits(f->z, z, L, "z");
    /* the NaN lanes went through max and min as the scalar rules say: a NaN first
     * operand gives the second */
    assert_true(f->y[5] == 0.0f && f->y[13] == 0.0f);
    assert_true(f->z[5] == f->w[0]);
}

static void test_kir_vector_interp_matches_scalar_kernels(void **state)
{
    Fixture *f = *state;
    build_vector_program(f);
    float ys[N], zs[L];
    uint32_t ysb = kir_add_buf(f->ctx.perm, f->prog, KB_OUTPUT, DT_FLOAT32, N, 0);
    uint32_t zsb = kir_add_buf(f->ctx.perm, f->prog, KB_OUTPUT, DT_FLOAT32, L, 0);
    assert_true(zsb < MAX_BUFS);
    f->mem[ysb] = ys;
    f->mem[zsb] = zs;
    scalar_kernels(f, ysb, zsb);
    kir_verify(&f->ctx, f->prog, "test");
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, 0, 4, f->mem), LW_OK);
    assert_same_bits(f->y, ys, N, "vector y against scalar y");
    assert_same_bits(f->z, zs, L, "vector z against scalar z");
}

/* As the scalar KOP_FMA (test_kir_interp_f32_fma_rounds_twice_like_printed_c): a*b is
 * rounded to float before c is added, in every lane. */
static void test_kir_vector_interp_fma_rounds_twice_like_scalar(void **state)
{
    Fixture *f = *state;
    KBuilder *kb = &f->kb;
    kb_begin(kb, graph_node(f->g, f->n2), NULL);
    double a = 1.0 + ldexp(1.0, -12);
    KExpr *e = kb_op3(kb, KOP_FMA, kb_splat(kb, cf(f, a), L), kb_vload(kb, f->xb, kidx_const(0), L),
                      kb_splat(kb, cf(f, -(1.0 + ldexp(1.0, -11))), L));
    kb_store(kb, f->zb, kidx_const(0), e);
    kb_end(kb);
    kir_verify(&f->ctx, f->prog, "test");
    for (int i = 0; i < L; i++)
        f->x[i] = (float)a;
    memset(f->z, 0xcd, sizeof f->z);
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, 0, 1, f->mem), LW_OK);
    for (int i = 0; i < L; i++)
        assert_int_equal(bits(f->z[i]), 0);
}

/* A vector store over the elements its own load reads sees the values from before it:
 * t[1 .. 8] = t[0 .. 7] shifts by one, as one vector load then one vector store do. */
static void test_kir_vector_store_reads_every_lane_first(void **state)
{
    Fixture *f = *state;
    KBuilder *kb = &f->kb;
    kb_begin(kb, graph_node(f->g, f->n1), NULL);
    kb_store(kb, f->yb, kidx_const(1),
             kb_op(kb, KOP_ADD, kb_vload(kb, f->yb, kidx_const(0), L), kb_splat(kb, cf(f, 0), L)));
    kb_end(kb);
    kir_verify(&f->ctx, f->prog, "test");
    for (int i = 0; i < N; i++)
        f->y[i] = (float)i;
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, 0, 1, f->mem), LW_OK);
    static const float want[L + 2] = {0, 0, 1, 2, 3, 4, 5, 6, 7, 9};
    assert_memory_equal(f->y, want, sizeof want);
}

static void run_kir_verify(void *arg)
{
    Fixture *f = arg;
    kir_verify(&f->ctx, f->prog, "test");
}

/* Whether kir_verify of the program with one more kernel (from `make`) stops with an
 * internal error; the kernel is dropped again. */
static int verify_dies_with(Fixture *f, void (*make)(Fixture *, int64_t), int64_t base)
{
    make(f, base);
    int r = test_ices(run_kir_verify, f);
    assert_true(r >= 0);
    f->prog->kernels.len--;
    return r;
}

/* for i < 4: y[8i + base ..] = x[8i ..] */
static void shifted_store(Fixture *f, int64_t base)
{
    KBuilder *kb = &f->kb;
    kb_begin(kb, graph_node(f->g, f->n1), NULL);
    uint16_t i = kb_for(kb, N / L);
    kb_store(kb, f->yb, at(i, L, base), kb_vload(kb, f->xb, at(i, L, 0), L));
    kb_endfor(kb);
    kb_end(kb);
}

/* for i < 4: y[8i ..] = x[8i + base ..] */
static void shifted_load(Fixture *f, int64_t base)
{
    KBuilder *kb = &f->kb;
    kb_begin(kb, graph_node(f->g, f->n1), NULL);
    uint16_t i = kb_for(kb, N / L);
    kb_store(kb, f->yb, at(i, L, 0), kb_vload(kb, f->xb, at(i, L, base), L));
    kb_endfor(kb);
    kb_end(kb);
}

/* The last lane counts: 32 elements hold 4 vectors of 8 at 0, 8, 16, 24, not at 1 .. 25. */
static void test_kir_vector_verify_checks_last_lane_in_bounds(void **state)
{
    Fixture *f = *state;
    assert_false(verify_dies_with(f, shifted_load, 0));
    assert_true(verify_dies_with(f, shifted_load, 1));
    assert_true(verify_dies_with(f, shifted_store, 1));
    assert_false(verify_dies_with(f, shifted_store, 0));
}

/* Converting loads (kb_vload_f32): int8 and uint8 weights, every extreme among them. */
static const int8_t cvt_s8[N] = {-128, 127, -1,  0,  1,   -127, 64,   -65, 5,   -6, 7,
                                 -8,   9,   -10, 11, -12, 13,   -14,  15,  16,  17, 18,
                                 19,   20,  21,  22, 23,  24,   -100, 100, -99, 99};
static uint32_t cvt_bufs(Fixture *f, uint32_t *ub)
{
    static uint8_t u8[N];
    for (int i = 0; i < N; i++)
        u8[i] = (uint8_t)(i * 37 + 255 * (i == 3));
    u8[0] = 255;
    u8[1] = 0;
    uint32_t sb =
        kir_add_weight(f->ctx.perm, f->prog, DT_INT8, (const unsigned char *)cvt_s8, N, N, 0);
    *ub = kir_add_weight(f->ctx.perm, f->prog, DT_UINT8, u8, N, N, 0);
    f->mem[sb] = (void *)cvt_s8;
    f->mem[*ub] = u8;
    return sb;
}

/* for i < 4: y[8i ..] = float(s8[8i + base ..]) + float(u8[8i ..]) */
static void cvt_kernel(Fixture *f, int64_t base)
{
    KBuilder *kb = &f->kb;
    uint32_t ub, sb = cvt_bufs(f, &ub);
    kb_begin(kb, graph_node(f->g, f->n1), NULL);
    uint16_t i = kb_for(kb, N / L);
    kb_store(kb, f->yb, at(i, L, 0),
             kb_op(kb, KOP_ADD, kb_vload_f32(kb, sb, at(i, L, base), L),
                   kb_vload_f32(kb, ub, at(i, L, 0), L)));
    kb_endfor(kb);
    kb_end(kb);
}

static void test_kir_vector_converting_load(void **state)
{
    Fixture *f = *state;
    cvt_kernel(f, 0);
    kir_verify(&f->ctx, f->prog, "test");
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, 0, 1, f->mem), LW_OK);
    const uint8_t *u8 = f->mem[f->prog->bufs.len - 1];
    for (int i = 0; i < N; i++)
        assert_true(f->y[i] == (float)cvt_s8[i] + (float)u8[i]);
    f->prog->kernels.len--;
    /* the last lane of the int8 load past its 32 bytes */
    assert_true(verify_dies_with(f, cvt_kernel, 1));
}

/* Requantizing stores: for i < 4: q8[8i ..] = int8(min(max(round(x[8i ..] / 0.03125) - 3,
 * -128), 127)) and u8[8i ..] the same as uint8 with 100 added and clamps 0 and 255. x
 * is the fixture's (NaN excepted: set to 0.5) with ties (k + 0.5 steps, both parities)
 * and values past both clamps. narrow_to: 0 as stated; 1 the int8 lanes stored into
 * the uint8 buffer, which the verifier refuses. */
static int8_t rq_s8[N];
static uint8_t rq_u8[N];
static void requant_kernel(Fixture *f, int64_t narrow_to)
{
    KBuilder *kb = &f->kb;
    uint32_t sb = kir_add_buf(f->ctx.perm, f->prog, KB_ARENA, DT_INT8, N, 0);
    uint32_t ub = kir_add_buf(f->ctx.perm, f->prog, KB_ARENA, DT_UINT8, N, 0);
    f->mem[sb] = rq_s8;
    f->mem[ub] = rq_u8;
    kb_begin(kb, graph_node(f->g, f->n1), NULL);
    uint16_t i = kb_for(kb, N / L);
    for (int u = 0; u < 2; u++) {
        KExpr *q = kb_op(kb, KOP_ROUND,
                         kb_op(kb, KOP_DIV, kb_vload(kb, f->xb, at(i, L, 0), L),
                               kb_splat(kb, cf(f, 0.03125), L)),
                         NULL);
        q = kb_op(kb, KOP_ADD, q, kb_splat(kb, cf(f, u ? 100 : -3), L));
        q = kb_op(kb, KOP_MAX, q, kb_splat(kb, cf(f, u ? 0 : -128), L));
        q = kb_op(kb, KOP_MIN, q, kb_splat(kb, cf(f, u ? 255 : 127), L));
        kb_store(kb, u || narrow_to ? ub : sb, at(i, L, 0), kb_cast(kb, u ? DT_UINT8 : DT_INT8, q));
    }
    kb_endfor(kb);
    kb_end(kb);
}

static void test_kir_vector_requantizing_store(void **state)
{
    Fixture *f = *state;
    f->x[5] = 0.5f;
    static const float special[] = {0.015625f, 0.046875f, -0.015625f, -0.046875f,
                                    100.0f,    -100.0f,   3.984375f,  -4.0625f};
    memcpy(&f->x[24], special, sizeof special);
    requant_kernel(f, 0);
    kir_verify(&f->ctx, f->prog, "test");
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, 0, 1, f->mem), LW_OK);
    for (int i = 0; i < N; i++) {
        float r = f->x[i] / 0.03125f, k = floorf(r);
        float re = r - k > 0.5f || (r - k == 0.5f && fmodf(k, 2.0f) != 0) ? k + 1 : k;
        float s = fminf(fmaxf(re - 3, -128), 127), u = fminf(fmaxf(re + 100, 0), 255);
        if (rq_s8[i] != (int8_t)s || rq_u8[i] != (uint8_t)u)
            fail_msg("element %d (x = %a): %d %d, want %g %g", i, (double)f->x[i], rq_s8[i],
                     rq_u8[i], (double)s, (double)u);
    }
    /* the ties went to even, and both clamps were reached */
    assert_int_equal(rq_s8[24], -3);
    assert_int_equal(rq_s8[25], -1);
    assert_int_equal(rq_s8[26], -3);
    assert_int_equal(rq_s8[27], -5);
    assert_int_equal(rq_s8[28], 127);
    assert_int_equal(rq_u8[29], 0);
    assert_int_equal(rq_u8[28], 255);
    f->prog->kernels.len--;
    assert_true(verify_dies_with(f, requant_kernel, 1));
}

/* Two-way int16 dot products (kb_dot2, KE_DOT2): o[i] = dot2(dot2(acc0[i], a[2i ..],
 * b[2i ..]), a[2i + 1 ..], b[0 ..]) with the int16 extremes, wrapping in int32 as smlad. */
#define ND2 6
static const int16_t d2_a[2 * ND2 + 1] = {-32768, -32768, 32767, -32768, 1, -1, 300,
                                          -7,     -32768, 32767, 12,     5, 9};
static const int16_t d2_b[2 * ND2] = {-32768, -32768, 32767, 32767, -3, 4, 250, -250, 1, -1, 0, 7};
static const int32_t d2_acc[ND2] = {INT32_MAX, INT32_MIN, 0, -5, 1000, 7};
static int32_t d2_out[ND2];
static void dot2_kernel(Fixture *f, int64_t base)
{
    KBuilder *kb = &f->kb;
    uint32_t ab = kir_add_weight(f->ctx.perm, f->prog, DT_INT16, (const unsigned char *)d2_a,
                                 sizeof d2_a, 2 * ND2 + 1, 0);
    uint32_t bb = kir_add_weight(f->ctx.perm, f->prog, DT_INT16, (const unsigned char *)d2_b,
                                 sizeof d2_b, 2 * ND2, 0);
    uint32_t cb = kir_add_weight(f->ctx.perm, f->prog, DT_INT32, (const unsigned char *)d2_acc,
                                 sizeof d2_acc, ND2, 0);
    uint32_t ob = kir_add_buf(f->ctx.perm, f->prog, KB_ARENA, DT_INT32, ND2, 0);
    f->mem[ab] = (void *)d2_a;
    f->mem[bb] = (void *)d2_b;
    f->mem[cb] = (void *)d2_acc;
    f->mem[ob] = d2_out;
    kb_begin(kb, graph_node(f->g, f->n1), NULL);
    uint16_t i = kb_for(kb, ND2);
    KExpr *acc = kb_dot2(kb, kb_load(kb, cb, at(i, 1, 0)), ab, at(i, 2, 0), bb, at(i, 2, 0));
    acc = kb_dot2(kb, acc, ab, at(i, 2, 1 + base), bb, kidx_const(0));
    kb_store(kb, ob, at(i, 1, 0), acc);
    kb_endfor(kb);
    kb_end(kb);
}

static void test_kir_dot2(void **state)
{
    Fixture *f = *state;
    dot2_kernel(f, 0);
    kir_verify(&f->ctx, f->prog, "test");
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, 0, 1, f->mem), LW_OK);
    for (int i = 0; i < ND2; i++) {
        uint32_t want = (uint32_t)d2_acc[i];
        want +=
            (uint32_t)(d2_a[2 * i] * d2_b[2 * i]) + (uint32_t)(d2_a[2 * i + 1] * d2_b[2 * i + 1]);
        want += (uint32_t)(d2_a[2 * i + 1] * d2_b[0]) + (uint32_t)(d2_a[2 * i + 2] * d2_b[1]);
        if (d2_out[i] != (int32_t)want)
            fail_msg("element %d: %d, want %d", i, d2_out[i], (int32_t)want);
    }
    /* INT32_MAX + 3 * 2^30 - 32767 * 32768 wraps to 32767 */
    assert_int_equal(d2_out[0], 32767);
    StrBuf sb;
    sb_init(&sb, f->ctx.perm);
    kir_dump(f->g, f->prog, &sb);
    assert_non_null(strstr(sb_cstr(&sb), "dot2("));
    f->prog->kernels.len--;
    /* the second element of the last pair past a's end */
    assert_true(verify_dies_with(f, dot2_kernel, 1));
}

/* Fixed-point requantization (quant_fixed_multiplier, quant_requant_fixed): against
 * round-half-even of the exact product, and against onnxruntime's float form, equal but
 * within half a float32 ulp of a tie. */
static int64_t rq_exact(int64_t acc, int32_t mult, int32_t shift)
{
    int64_t p = acc * mult, d = (int64_t)1 << shift;
    int64_t q = p >= 0 ? p / d : -((-p + d - 1) / d); /* floor */
    int64_t r = p - q * d;
    return q + (2 * r > d || (2 * r == d && (q & 1)));
}

#define NRQ 1024
static int32_t rq_acc[NRQ];
static int8_t rq_out[NRQ];
static float rq_sc[4]; /* scales per channel: rq_acc in rq_n blocks */
static uint64_t rq_n;
static int32_t rq_shift; /* the QFixed's shift (-1: per channel) */
static uint8_t rq_lanes = 1; /* 16: the vector form (int32 lanes loaded, stored narrowed) */
static void fixed_kernel(Fixture *f, int32_t zp, int32_t lo, int32_t hi)
{
    KBuilder *kb = &f->kb;
    uint32_t ab = kir_add_weight(f->ctx.perm, f->prog, DT_INT32, (const unsigned char *)rq_acc,
                                 sizeof rq_acc, NRQ, 0);
    uint32_t ob = kir_add_buf(f->ctx.perm, f->prog, KB_ARENA, DT_INT8, NRQ, 0);
    f->mem[ab] = rq_acc;
    f->mem[ob] = rq_out;
    QFixed fx;
    assert_true(quant_fixed_table(kb, rq_sc, rq_n, 16777216.0, &fx));
    rq_shift = fx.shift;
    if (rq_n > 1)
        f->mem[fx.buf] = (void *)fx.tab;
    kb_begin(kb, graph_node(f->g, f->n1), NULL);
    KType tt = {DT_INT64, rq_lanes};
    uint16_t tmp = kb_local(kb, tt);
    int64_t per = NRQ / (int64_t)rq_n;
    uint16_t c = kb_for(kb, (int64_t)rq_n);
    quant_fixed_at(kb, &fx, at(c, 1, 0));
    uint16_t i = kb_for(kb, per / rq_lanes);
    KIndex ix = at(i, rq_lanes, 0);
    kidx_add(&ix, c, per);
    KExpr *acc = rq_lanes > 1 ? kb_vload_i32(kb, ab, ix, rq_lanes) : kb_load(kb, ab, ix);
    kb_store(kb, ob, ix, quant_requant_fixed(kb, &fx, acc, tmp, zp, lo, hi, DT_INT8));
    kb_endfor_n(kb, 2);
    kb_end(kb);
}

/* fixed_kernel run by the interpreter, then taken out of the program again */
static void fixed_run(Fixture *f, int32_t zp, int32_t lo, int32_t hi)
{
    uint32_t nb = f->prog->bufs.len, nw = f->prog->weights.len;
    fixed_kernel(f, zp, lo, hi);
    kir_verify(&f->ctx, f->prog, "test");
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, 0, 1, f->mem), LW_OK);
    f->prog->kernels.len--;
    f->prog->bufs.len = nb;
    f->prog->weights.len = nw;
}

static void test_quant_fixed_multiplier(void **state)
{
    (void)state;
    uint32_t s = 777;
    for (int k = 0; k < 100000; k++) {
        uint32_t bits = (next_rand(&s) << 8 | (next_rand(&s) & 255)) & 0x7fffffu;
        int e = (int)(next_rand(&s) % 50) - 30;
        float scale = ldexpf(1.0f + (float)bits / 8388608.0f, e);
        int32_t m, sh;
        assert_true(quant_fixed_multiplier(scale, &m, &sh));
        assert_true(m >= 1 << 23 && m < 1 << 24 && sh >= 1 && sh <= 55);
        assert_true(ldexp((double)m, -sh) == (double)scale);
    }
    int32_t m, sh;
    assert_false(quant_fixed_multiplier(0.0f, &m, &sh));
    assert_false(quant_fixed_multiplier(-0.5f, &m, &sh));
    assert_false(quant_fixed_multiplier(INFINITY, &m, &sh));
    assert_false(quant_fixed_multiplier(NAN, &m, &sh));
    assert_false(quant_fixed_multiplier(1e-12f, &m, &sh)); /* shift past 55 */
    assert_false(quant_fixed_multiplier(4e9f, &m, &sh));   /* shift below 1 */
    assert_true(quant_fixed_multiplier(1.0f, &m, &sh) && m == 1 << 23 && sh == 23);
}

static void test_quant_requant_fixed(void **state)
{
    Fixture *f = *state;
    uint32_t s = 4242;
    int64_t near = 0, total = 0;
    /* scale 0.25 exactly: acc / 4 with ties at odd multiples of 2, both signs, both
     * parities; and saturation past both ends around a negative zero point */
    rq_sc[0] = 0.25f;
    rq_n = 1;
    static const int32_t ties[] = {2, 6,  -2,  -6,  10,  -10,  1,    3,    -1,   -3,    5, -5,
                                   7, -7, 490, 530, 526, -520, -522, -524, 2000, -2000, 0, 4};
    memset(rq_acc, 0, sizeof rq_acc);
    memcpy(rq_acc, ties, sizeof ties);
    fixed_run(f, -5, -128, 127);
    static const int8_t want[] = {-5, -3, -5,  -7,  -3,  -7,   -5,   -4,   -5,  -6,   -4, -6,
                                  -3, -7, 117, 127, 127, -128, -128, -128, 127, -128, -5, -4};
    for (size_t k = 0; k < sizeof want; k++)
        if (rq_out[k] != want[k])
            fail_msg("acc %d: %d, want %d", rq_acc[k], rq_out[k], want[k]);
    /* a Relu's lower bound: the zero point */
    fixed_run(f, -5, -5, 127);
    assert_int_equal(rq_out[3], -5);
    assert_int_equal(rq_out[1], -3);
    /* random scales (per tensor; 4 channels within 2^7 of each other: one shift; or
     * apart: a shift each) and sums: exact rounding always; the float form but near ties */
    int seen[3] = {0, 0, 0};
    for (int round = 0; round < 120; round++) {
        int kind = round % 3;
        rq_n = kind ? 4 : 1;
        int e0 = -(int)(next_rand(&s) % 18) - 2;
        for (uint64_t c = 0; c < rq_n; c++)
            rq_sc[c] = ldexpf(1.0f + (float)(next_rand(&s) & 0x7fffff) / 8388608.0f,
                              e0 - (kind == 2 ? 4 * (int)c : (int)(next_rand(&s) % 6)));
        int32_t zp = (int32_t)(next_rand(&s) % 41) - 20;
        for (int k = 0; k < NRQ; k++) {
            int32_t mag = (int32_t)(next_rand(&s) % (1u << (next_rand(&s) % 24)));
            rq_acc[k] = next_rand(&s) & 1 ? -mag : mag;
        }
        fixed_run(f, zp, -128, 127);
        seen[rq_n == 1 ? 0 : rq_shift >= 0 ? 1 : 2] = 1;
        /* the vector form (int32 and int64 lanes) gives the same bytes */
        int8_t scalar[NRQ];
        memcpy(scalar, rq_out, sizeof scalar);
        rq_lanes = 16;
        fixed_run(f, zp, -128, 127);
        rq_lanes = 1;
        assert_memory_equal(rq_out, scalar, sizeof scalar);
        for (int k = 0; k < NRQ; k++) {
            float scale = rq_sc[k / (NRQ / (int)rq_n)];
            int32_t m, sh;
            assert_true(quant_fixed_multiplier(scale, &m, &sh));
            int64_t q = rq_exact(rq_acc[k], m, sh) + zp;
            q = q < -128 ? -128 : q > 127 ? 127 : q;
            if (rq_out[k] != q)
                fail_msg("acc %d scale %a: %d, want %lld", rq_acc[k], (double)scale, rq_out[k],
                         (long long)q);
            float fp = (float)rq_acc[k] * scale; /* onnxruntime's MlasRequantizeOutput */
            float fq = nearbyintf(fp) + (float)zp;
            fq = fq < -128 ? -128 : fq > 127 ? 127 : fq;
            total++;
            if ((int)fq != q) {
                long double ex = ldexpl((long double)rq_acc[k] * m, -sh);
                long double tie = floorl(ex) + 0.5L;
                assert_true(fabsl(ex - tie) <=
                            (long double)(nextafterf(fabsf(fp), INFINITY) - fabsf(fp)));
                near++;
            }
        }
    }
    /* all three forms: constants, one shift, a shift per channel */
    assert_true(seen[0] && seen[1] && seen[2]);
    assert_true(near * 1000 < total); /* rare: within an ulp of a tie */
}

/* Dot products (kb_dot4): y[0 .. 8] = float(dot4(dot4(0, s8[base ..], w[0 .. 3] for all),
 * w[4 .. 7] for all, u8[..])) into an int32 vector local, w the int8 extremes among
 * others. */
static const int8_t dot_w[8] = {-1, 1, 127, -128, -128, -128, -6, 5};
static void dot_kernel(Fixture *f, int64_t base)
{
    KBuilder *kb = &f->kb;
    uint32_t ub, sb = cvt_bufs(f, &ub);
    uint32_t wb = kir_add_weight(f->ctx.perm, f->prog, DT_INT8, (const unsigned char *)dot_w,
                                 sizeof dot_w, 8, 0);
    f->mem[wb] = (void *)dot_w;
    kb_begin(kb, graph_node(f->g, f->n1), NULL);
    KType it = {DT_INT32, L};
    uint16_t acc = kb_local(kb, it);
    kb_set(kb, acc, kb_splat(kb, kb_const_i(kb, DT_INT32, 0), L));
    KDotArg s8 = {sb, kidx_const(base), 0}, u8 = {ub, kidx_const(0), 0};
    KDotArg w0 = {wb, kidx_const(0), 1}, w1 = {wb, kidx_const(4), 1};
    kb_set(kb, acc, kb_dot4(kb, kb_var(kb, acc), s8, w0));
    kb_set(kb, acc, kb_dot4(kb, kb_var(kb, acc), w1, u8));
    kb_store(kb, f->yb, kidx_const(0), kb_cast(kb, DT_FLOAT32, kb_var(kb, acc)));
    kb_end(kb);
}

static void test_kir_vector_dot_product(void **state)
{
    Fixture *f = *state;
    dot_kernel(f, 0);
    kir_verify(&f->ctx, f->prog, "test");
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, 0, 1, f->mem), LW_OK);
    const uint8_t *u8 = f->mem[f->prog->bufs.len - 2];
    for (int l = 0; l < L; l++) {
        int32_t want = 0;
        for (int j = 0; j < 4; j++)
            want += cvt_s8[4 * l + j] * dot_w[j] + u8[4 * l + j] * dot_w[4 + j];
        assert_true(f->y[l] == (float)want);
    }
    assert_true(f->y[0] != 0);
    /* 4 * 8 bytes of each, 32 MACs per dot product */
    assert_int_equal(report_macs(f->prog, f->prog->kernels.data[f->prog->kernels.len - 1].body),
                     2 * 4 * L);
    f->prog->kernels.len--;
    /* the last lane's last byte past the int8's 32 */
    assert_true(verify_dies_with(f, dot_kernel, 1));
}

static void test_kir_vector_dump_shows_widths(void **state)
{
    Fixture *f = *state;
    build_vector_program(f);
    StrBuf sb;
    sb_init(&sb, f->ctx.perm);
    kir_dump(f->g, f->prog, &sb);
    const char *t = sb_cstr(&sb);
    static const char *const want[] = {
        "  local l0: float32x8\n",
        "    l0 = splat<8>(5e-1:float32)\n",
        "vstore<8> b3[8*i0] = max(add(mul(splat<8>(b2[0]), vload<8> b0[8*i0]), vload<8> "
        "b1[8*i0]), splat<8>(0:float32))\n",
        "    l0 = fma(vload<8> b0[8*i0], splat<8>(b2[i0 + 1]), l0)\n",
        "  vstore<8> b4[0] = min(sub(l0, splat<8>(1:float32)), splat<8>(b2[0]))\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(t, want[i]))
            fail_msg("the dump lacks \"%s\":\n%s", want[i], t);
}

/* 4 vector fmas of 8 lanes are 32 MACs; a mul and an add are none. */
static void test_kir_vector_report_counts_macs_per_lane(void **state)
{
    Fixture *f = *state;
    build_vector_program(f);
    assert_int_equal(report_macs(f->prog, f->prog->kernels.data[0].body), 0);
    assert_int_equal(report_macs(f->prog, f->prog->kernels.data[1].body), N);
}

#if LWCC_HAVE_LLVM
static const char *tmp_path(Fixture *f, const char *sub, const char *file)
{
    return test_tmp_path(f->ctx.perm, f->dir, sub, file);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The program printed by the LLVM backend at `level` as an object, linked with a main
 * that runs it on the fixture's inputs and compares every output bit with the
 * interpreter's. */
static void llvm_run(Fixture *f, LwOptLevel level, const char *sub)
{
    float y[N], z[L];
    memcpy(y, f->y, sizeof y);
    memcpy(z, f->z, sizeof z);
    f->opt.opt = level;
    f->opt.emit = LW_EMIT_OBJ;
    f->opt.output = tmp_path(f, sub, "vec.o");
    StrBuf h, m;
    sb_init(&h, f->ctx.perm);
    assert_int_equal(llvm_print(&f->ctx, "vec", &h), LW_OK);
    write_file(tmp_path(f, sub, "vec.h"), sb_cstr(&h));
    sb_init(&m, f->ctx.perm);
    sb_puts(&m, "#include <stdint.h>\n#include <string.h>\n#include \"vec.h\"\n"
                "static _Alignas(64) unsigned char arena[VEC_ARENA_SIZE + 1];\n"
                "static const uint32_t x[32] = {");
    for (int i = 0; i < N; i++)
        sb_printf(&m, "%s0x%08xu", i ? ", " : "", bits(f->x[i]));
    sb_puts(&m, "}, b[32] = {");
    for (int i = 0; i < N; i++)
        sb_printf(&m, "%s0x%08xu", i ? ", " : "", bits(f->b[i]));
    sb_puts(&m, "}, want_y[32] = {");
    for (int i = 0; i < N; i++)
        sb_printf(&m, "%s0x%08xu", i ? ", " : "", bits(y[i]));
    sb_puts(&m, "}, want_z[8] = {");
    for (int i = 0; i < L; i++)
        sb_printf(&m, "%s0x%08xu", i ? ", " : "", bits(z[i]));
    sb_puts(&m, "};\n"
                "int main(void)\n{\n"
                "    uint32_t y[32], z[8];\n"
                "    const void *in[2] = {x, b};\n"
                "    void *out[2] = {y, z};\n"
                "    if (vec_run(in, out, arena))\n        return 2;\n"
                "    return memcmp(y, want_y, sizeof y) != 0 || memcmp(z, want_z, sizeof z) != 0;\n"
                "}\n");
    const char *mp = tmp_path(f, sub, "main.c");
    write_file(mp, sb_cstr(&m));
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cc -std=c11 -Wall -Wextra -Werror '%s' '%s' -o '%s/%s/run' && '%s/%s/run'", mp,
             f->opt.output, f->dir, sub, f->dir, sub);
    if (system(cmd) != 0)
        fail_msg("the vector program at %s does not link or gives other bits: %s", sub, cmd);
}

/* At -O0 (the vector IR as printed) and -O2, and as LLVM text: <8 x float> loads and
 * stores aligned to 4, fmuladd on the vector type. */
static void test_kir_vector_llvm_object_matches_interpreter(void **state)
{
    Fixture *f = *state;
    build_vector_program(f);
    assert_int_equal(pass_memplan.run(&f->ctx), LW_OK);
    assert_int_equal(kir_interp_run(&f->ctx, f->prog, 0, 2, f->mem), LW_OK);
    llvm_run(f, LW_O0, "o0");
    llvm_run(f, LW_O2, "o2");

    f->opt.opt = LW_O0;
    f->opt.emit = LW_EMIT_LLVM;
    f->opt.output = tmp_path(f, "ll", "vec.ll");
    StrBuf h;
    sb_init(&h, f->ctx.perm);
    assert_int_equal(llvm_print(&f->ctx, "vec", &h), LW_OK);
    FILE *fp = fopen(f->opt.output, "r");
    assert_non_null(fp);
    size_t cap = (size_t)1 << 20;
    char *text = arena_alloc(f->ctx.perm, cap);
    size_t n = fread(text, 1, cap - 1, fp);
    fclose(fp);
    text[n] = 0;
    /* the vector accesses of the buffers (3 in kernel 0, 2 in kernel 1) at align 4 */
    int unaligned = 0;
    for (const char *l = text; l; l = strchr(l + 1, '\n')) {
        const char *end = strchr(l + 1, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        const char *v = strstr(l, "<8 x float>* ");
        if (v && v < l + len && len > 9 && !strncmp(l + len - 9, ", align 4", 9))
            unaligned++;
    }
    assert_int_equal(unaligned, 5);
    static const char *const want[] = {
        "load <8 x float>, <8 x float>* ",
        "store <8 x float> ",
        "call <8 x float> @llvm.fmuladd.v8f32(<8 x float> ",
        "fcmp ogt <8 x float> ",
        "fcmp olt <8 x float> ",
        "shufflevector <8 x float> ",
        "alloca <8 x float>",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i]))
            fail_msg("vec.ll lacks \"%s\"", want[i]);
}
#endif

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_kir_vector_interp_matches_scalar_computation),
        T(test_kir_vector_interp_matches_scalar_kernels),
        T(test_kir_vector_interp_fma_rounds_twice_like_scalar),
        T(test_kir_vector_store_reads_every_lane_first),
        T(test_kir_vector_verify_checks_last_lane_in_bounds),
        T(test_kir_vector_converting_load),
        T(test_kir_vector_dot_product),
        T(test_kir_vector_requantizing_store),
        T(test_kir_dot2),
        cmocka_unit_test(test_quant_fixed_multiplier),
        T(test_quant_requant_fixed),
        T(test_kir_vector_dump_shows_widths),
        T(test_kir_vector_report_counts_macs_per_lane),
#if LWCC_HAVE_LLVM
        T(test_kir_vector_llvm_object_matches_interpreter),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
