/* Unit tests for ops/ shape inference and import, through lwcc_compile
 * --emit=ir on the committed models in tests/models/: each expected shape
 * below was worked out by hand from the case in tests/models/make_models.py. */
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
#include "include/lwcc/lwcc.h"
#include "include/lwcc/strbuf.h"

typedef struct Fixture {
    Ctx ctx;
    Diag diag;
    FILE *out;
    FILE *dump;
    char text[16384];
    char diagtext[4096];
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->out = tmpfile();
    f->dump = tmpfile();
    if (!f->out || !f->dump)
        return -1;
    diag_init(&f->diag, "model.onnx", f->out);
    f->ctx.perm = arena_create(0);
    f->ctx.scratch = arena_create(0);
    f->ctx.diag = &f->diag;
    f->ctx.lim = lw_default_limits();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    fclose(f->out);
    fclose(f->dump);
    arena_destroy(f->ctx.perm);
    arena_destroy(f->ctx.scratch);
    free(f);
    return 0;
}

static const char *read_all(FILE *fp, char *buf, size_t cap)
{
    fflush(fp);
    rewind(fp);
    size_t n = fread(buf, 1, cap - 1, fp);
    buf[n] = 0;
    fseek(fp, 0, SEEK_END);
    return buf;
}

/* --emit=ir text of tests/models/<model> at `level`. */
static const char *ir_at(Fixture *f, const char *model, LwOptLevel level)
{
    StrBuf path;
    sb_init(&path, f->ctx.perm);
    sb_printf(&path, "%s/tests/models/%s/model.onnx", LWCC_SOURCE_DIR, model);
    LwOptions o;
    memset(&o, 0, sizeof o);
    o.input = sb_cstr(&path);
    o.opt = level;
    o.target = "generic";
    o.emit = LW_EMIT_IR;
    o.diag_out = f->out;
    o.dump_out = f->dump;
    fclose(f->dump);
    f->dump = tmpfile();
    assert_non_null(f->dump);
    o.dump_out = f->dump;
    LwStatus st = lwcc_compile(&o);
    if (st != LW_OK)
        fail_msg("%s: status %d: %s", model, (int)st,
                 read_all(f->out, f->diagtext, sizeof f->diagtext));
    return read_all(f->dump, f->text, sizeof f->text);
}

static const char *ir(Fixture *f, const char *model)
{
    return ir_at(f, model, LW_O2);
}

static void expect_line(const char *text, const char *line)
{
    if (!strstr(text, line))
        fail_msg("missing \"%s\" in:\n%s", line, text);
}

/* Number of nodes of an op in a dump ("%N = Op '...'" lines). */
static int count_op(const char *text, const char *op)
{
    char pat[64];
    snprintf(pat, sizeof pat, " = %s '", op);
    int n = 0;
    for (const char *p = strstr(text, pat); p; p = strstr(p + 1, pat))
        n++;
    return n;
}

static void test_ops_conv_pads_strides_shape(void **state)
{
    /* [1,3,9,8], 3x3, pads t1 l0 b2 r1, strides 2,1: H (9+3-3)/2+1 = 5, W (8+1-3)+1 = 7 */
    expect_line(ir(*state, "conv_pads_strides"),
                "= Conv 'conv_0' (%3, %1, %2) -> float32[1,4,5,7]\n");
}

static void test_ops_conv_dilations_groups_depthwise_same_upper_shapes(void **state)
{
    Fixture *f = *state;
    /* dilation 2 (effective kernel 5), pads 2: (9+4-5)+1 = 9 */
    expect_line(ir(f, "conv_dilations"), "= Conv 'conv_0' (%3, %1, %2) -> float32[2,3,9,9]\n");
    /* group 2, no bias: two inputs */
    expect_line(ir(f, "conv_groups"), "= Conv 'conv_0' (%2, %1) -> float32[1,6,6,6]\n");
    /* group 4, multiplier 2, stride 2: (7+2-3)/2+1 = 4 */
    expect_line(ir(f, "conv_depthwise"), "= Conv 'conv_0' (%3, %1, %2) -> float32[1,8,4,4]\n");
    /* SAME_UPPER, stride 2: ceil(7/2) = 4 */
    expect_line(ir(f, "conv_same_upper"), "= Conv 'conv_0' (%3, %1, %2) -> float32[1,3,4,4]\n");
    expect_line(ir(f, "conv_1x1"), "-> float32[1,4,5,5]\n");
}

static void test_ops_gemm_transb_and_transa_shapes(void **state)
{
    Fixture *f = *state;
    /* A [3,5], B [4,5] transposed: [3,4] */
    const char *t = ir(f, "gemm_transb_alpha_beta");
    expect_line(t, "input %3 'a': float32[3,5]\n");
    expect_line(t, "const %1 'b': float32[4,5]\n");
    expect_line(t, "= Gemm 'gemm_0' (%3, %1, %2) -> float32[3,4]\n");
    expect_line(ir(f, "gemm_transa_col_bias"), "= Gemm 'gemm_0' (%3, %1, %2) -> float32[3,5]\n");
    expect_line(ir(f, "gemm_no_bias"), " = Gemm 'gemm_0' (");
}

static void test_ops_matmul_batch_broadcast_shape(void **state)
{
    /* [2,1,3,4] x [3,4,5] -> [2,3,3,5] */
    expect_line(ir(*state, "matmul_batched"),
                "= MatMul 'matmul_0' (%1, %2) -> float32[2,3,3,5]\n");
}

static void test_ops_reshape_zero_and_minus_one(void **state)
{
    /* [2,3,4] with [0,-1,2]: 0 copies 2, -1 takes 24 / (2*2) = 6 */
    const char *t = ir(*state, "reshape_zero_minus1");
    expect_line(t, "input %2 'x': float32[2,3,4]\n");
    expect_line(t, "= Reshape 'reshape_0' (%2, %1) -> float32[2,6,2]\n");
}

static void test_ops_transpose_perms(void **state)
{
    /* [1,2,3,4] perm [0,2,3,1] -> [1,3,4,2]; perm [3,0,2,1] -> [2,1,4,3] */
    const char *t = ir_at(*state, "transpose", LW_O0);
    expect_line(t, "%2 = Transpose 'transpose_0' (%1) -> float32[1,3,4,2]\n");
    expect_line(t, "%3 = Transpose 'transpose_1' (%2) -> float32[2,1,4,3]\n");
    /* from -O1 on one Transpose (fold-transpose), of x itself, to the same shape */
    t = ir(*state, "transpose");
    assert_int_equal(count_op(t, "Transpose"), 1);
    expect_line(t, "%3 = Transpose 'transpose_1' (%1) -> float32[2,1,4,3]\n");
}

static void test_ops_concat_negative_axis(void **state)
{
    /* axis -3 of rank 4 is 1: 2 + 3 + 1 = 6 */
    expect_line(ir(*state, "concat"), "= Concat 'concat_0' (%2, %1, %3) -> float32[1,6,3,2]\n");
}

static void test_ops_shape_chain_folds_away(void **state)
{
    Fixture *f = *state;
    static const LwOptLevel levels[] = {LW_O0, LW_O1, LW_O2};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        const char *t = ir_at(f, "shape_chain_reshape", levels[i]);
        assert_int_equal(count_op(t, "Shape"), 0);
        assert_int_equal(count_op(t, "Gather"), 0);
        assert_int_equal(count_op(t, "Unsqueeze"), 0);
        assert_int_equal(count_op(t, "Concat"), 0);
        assert_int_equal(count_op(t, "Reshape"), 1);
        /* [2,3,2,2] reshaped to [batch, -1] = [2,12], then x [12,4] */
        expect_line(t, "input %2 'input.1': float32[2,3,2,2]\n");
        expect_line(t, "= Reshape 'Reshape_7' (%2, %9) -> float32[2,12]\n");
        expect_line(t, "= MatMul 'MatMul_8' (%10, %1) -> float32[2,4]\n");
        expect_line(t, "const %9 'onnx::Reshape_7': int64[2]\n");
    }
}

static void test_ops_pool_shapes(void **state)
{
    Fixture *f = *state;
    /* 3x3 stride 2 pads 1 on 7x7: (7+2-3)/2+1 = 4 */
    expect_line(ir(f, "maxpool_pads_strides"), "= MaxPool 'maxpool_0' (%1) -> float32[1,2,4,4]\n");
    /* 2x2 stride 2 on [2,3,6,6] */
    expect_line(ir(f, "maxpool_2x2"), "-> float32[2,3,3,3]\n");
    /* H: (5+0+1-3)/1+1 = 4, W: (5+1+0-3)/2+1 = 2 */
    expect_line(ir(f, "avgpool_include_pad"),
                "= AveragePool 'averagepool_0' (%1) -> float32[1,2,4,2]\n");
    /* [1,2,6,7], 3x3 stride 2 pads 1: H (6+2-3)/2+1 = 3, W (7+2-3)/2+1 = 4 */
    expect_line(ir(f, "avgpool_exclude_pad"), "-> float32[1,2,3,4]\n");
    expect_line(ir(f, "globalaveragepool"),
                "= GlobalAveragePool 'globalaveragepool_0' (%1) -> float32[2,3,1,1]\n");
}

static void test_ops_pad_flatten_broadcast_shapes(void **state)
{
    Fixture *f = *state;
    /* [1,2,3,4] + begin [0,0,1,2] + end [0,1,2,0] = [1,3,6,6] */
    expect_line(ir(f, "pad_constant"), "= Pad 'pad_0' (%3, %1, %2) -> float32[1,3,6,6]\n");
    expect_line(ir(f, "flatten"), "= Flatten 'flatten_0' (%1) -> float32[6,20]\n");
    /* [1,3,4,5] + [3,1,1] */
    expect_line(ir(f, "add_broadcast"), "-> float32[1,3,4,5]\n");
    /* [2,1,4] * [3,1] = [2,3,4], then times a scalar */
    const char *t = ir(f, "mul_broadcast");
    /* the second Mul runs in the first one's loop (pass fuse) */
    expect_line(t, "= Mul 'mul_0' (%2, %3) fused: Mul 'mul_1' -> float32[2,3,4]\n");
    expect_line(ir(f, "sub_broadcast"), "-> float32[2,3,4]\n");
}

static void test_ops_identity_and_dropout_disappear(void **state)
{
    const char *t = ir(*state, "identity_dropout");
    assert_int_equal(count_op(t, "Identity"), 0);
    assert_int_equal(count_op(t, "Dropout"), 0);
    assert_int_equal(count_op(t, "Relu"), 1);
    expect_line(t, "= Relu 'relu_2' (%1) -> float32[2,5]\n");
}

static void test_ops_constant_nodes_become_constants(void **state)
{
    const char *t = ir(*state, "constant_node");
    assert_int_equal(count_op(t, "Constant"), 0);
    /* (x + k) * two, the Mul fused into the Add's loop, both constants operands */
    expect_line(t, "= Add 'add_2' (%1, %2) fused: Mul 'mul_3' -> float32[2,3]\n");
}

static void test_ops_softmax_keeps_shape(void **state)
{
    Fixture *f = *state;
    expect_line(ir(f, "softmax_axis1"), " = Softmax '");
    expect_line(ir(f, "softmax_axis1"), "-> float32[2,3,4]\n");
}

/* Regression (was a bug in lib/compile.c compile): with --verify-each (or LWCC_VERIFY set),
 * graph_verify runs right after frontend_import, before infer-shapes has
 * typed any node output, so every model stops with "lwcc: internal error:
 * ir/graph_verify.c:43: graph_verify after import: %2 of node relu_0 has
 * no static type" (exit 4). Skipped until the post-import check allows
 * untyped outputs or moves after infer-shapes. */
static void test_ops_verify_each_accepts_valid_model(void **state)
{
    Fixture *f = *state;
    StrBuf path;
    sb_init(&path, f->ctx.perm);
    sb_printf(&path, "%s/tests/models/relu/model.onnx", LWCC_SOURCE_DIR);
    LwOptions o;
    memset(&o, 0, sizeof o);
    o.input = sb_cstr(&path);
    o.opt = LW_O2;
    o.target = "generic";
    o.emit = LW_EMIT_IR;
    o.diag_out = f->out;
    o.dump_out = f->dump;
    o.verify_each = 1;
    assert_int_equal(lwcc_compile(&o), LW_OK);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_ops_conv_pads_strides_shape),
        T(test_ops_conv_dilations_groups_depthwise_same_upper_shapes),
        T(test_ops_gemm_transb_and_transa_shapes),
        T(test_ops_matmul_batch_broadcast_shape),
        T(test_ops_reshape_zero_and_minus_one),
        T(test_ops_transpose_perms),
        T(test_ops_concat_negative_axis),
        T(test_ops_shape_chain_folds_away),
        T(test_ops_pool_shapes),
        T(test_ops_pad_flatten_broadcast_shapes),
        T(test_ops_identity_and_dropout_disappear),
        T(test_ops_constant_nodes_become_constants),
        T(test_ops_softmax_keeps_shape),
        T(test_ops_verify_each_accepts_valid_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
