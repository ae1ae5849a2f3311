/* Unit tests for the C printer (codegen/c_print.c, driven through
 * lwcc_compile on the committed models in tests/models/, and on a hand-made
 * kernel-IR program for loops with a data-dependent trip count) and for
 * codegen/cname.c (identifiers, comments, strings, the API prefix). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_util.h"

#include "codegen/cname.h"
#include "codegen/emit.h"
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

typedef struct Fixture {
    Ctx ctx;
    Diag diag;
    FILE *out;  /* diagnostics */
    FILE *dump; /* --emit=ir/kir text */
    char dir[64];
    char text[8192];
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->out = tmpfile();
    f->dump = tmpfile();
    strcpy(f->dir, "/tmp/lwcc_test_print_XXXXXX");
    if (!f->out || !f->dump || !mkdtemp(f->dir))
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
    test_rmtree(f->dir);
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

/* Whole file into the perm arena; NULL when missing. */
static char *slurp(Fixture *f, const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    rewind(fp);
    char *buf = arena_alloc(f->ctx.perm, (size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = 0;
    fclose(fp);
    if (len)
        *len = (size_t)n;
    return buf;
}

static const char *model_path(Fixture *f, const char *name)
{
    StrBuf sb;
    sb_init(&sb, f->ctx.perm);
    sb_printf(&sb, "%s/tests/models/%s/model.onnx", LWCC_SOURCE_DIR, name);
    return sb_cstr(&sb);
}

static const char *tmp_path(Fixture *f, const char *sub, const char *file)
{
    return test_tmp_path(f->ctx.perm, f->dir, sub, file);
}

static LwOptions opts(Fixture *f, const char *model, const char *output, LwEmit emit)
{
    LwOptions o;
    memset(&o, 0, sizeof o);
    o.input = model_path(f, model);
    o.output = output;
    o.opt = LW_O2;
    o.target = "generic";
    o.emit = emit;
    o.diag_out = f->out;
    o.dump_out = f->dump;
    return o;
}

static LwStatus compile_c(Fixture *f, const char *model, const char *out)
{
    LwOptions o = opts(f, model, out, LW_EMIT_C);
    LwStatus st = lwcc_compile(&o);
    if (st != LW_OK)
        fprintf(stderr, "%s", read_all(f->out, f->text, sizeof f->text));
    return st;
}

static void test_print_relu_writes_c_and_header_with_api_macros(void **state)
{
    Fixture *f = *state;
    const char *c = tmp_path(f, "a", "relu.c");
    assert_int_equal(compile_c(f, "relu", c), LW_OK);
    char *csrc = slurp(f, c, NULL);
    char *h = slurp(f, tmp_path(f, "a", "relu.h"), NULL);
    assert_non_null(csrc);
    assert_non_null(h);
    static const char *const want[] = {
        "#ifndef RELU_H_INCLUDED",      "#define RELU_ARENA_SIZE ",  "#define RELU_ARENA_ALIGN 16",
        "#define RELU_NUM_INPUTS 1",    "#define RELU_NUM_OUTPUTS 1", "#define RELU_INPUT0_DIMS { 2, 3, 4 }",
        "#define RELU_INPUT0_BYTES 96", "#define RELU_OUTPUT0_DTYPE 1",
        "int relu_run(const void *const inputs[], void *const outputs[], void *arena);",
        "extern const struct relu_tensor_desc relu_inputs[RELU_NUM_INPUTS];",
        "#ifdef __cplusplus",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(h, want[i]))
            fail_msg("relu.h lacks \"%s\"", want[i]);
    assert_non_null(strstr(csrc, "#include \"relu.h\""));
    assert_non_null(strstr(csrc, "int relu_run("));
    /* freestanding: no libc */
    assert_null(strstr(csrc, "<stdio.h>"));
    assert_null(strstr(csrc, "<math.h>"));
    assert_null(strstr(csrc, "malloc"));
}

static void test_print_name_option_sets_prefix(void **state)
{
    Fixture *f = *state;
    const char *c = tmp_path(f, "n", "out.c");
    LwOptions o = opts(f, "relu", c, LW_EMIT_C);
    o.name = "MyNet";
    assert_int_equal(lwcc_compile(&o), LW_OK);
    char *h = slurp(f, tmp_path(f, "n", "out.h"), NULL);
    assert_non_null(h);
    assert_non_null(strstr(h, "#define MYNET_ARENA_SIZE"));
    assert_non_null(strstr(h, "int MyNet_run("));
}

static void test_print_prefix_from_output_name(void **state)
{
    Fixture *f = *state;
    const char *c = tmp_path(f, "p", "My-Net.c");
    assert_int_equal(compile_c(f, "relu", c), LW_OK);
    char *h = slurp(f, tmp_path(f, "p", "My-Net.h"), NULL);
    assert_non_null(h);
    assert_non_null(strstr(h, "int my_net_run("));
    assert_non_null(strstr(h, "#define MY_NET_NUM_INPUTS 1"));
}

/* cc -std=c99 -Wall -Wextra -pedantic -Werror -c on the output of each model. */
static void test_print_output_compiles_cleanly_as_c99(void **state)
{
    Fixture *f = *state;
    static const char *const models[] = {
        "relu",       "small_cnn",     "concat",          "shape_chain_reshape", "clip_min_max",
        "softmax_last", "maxpool_pads_strides", "avgpool_exclude_pad", "gemm_transb_alpha_beta",
        "multi_io",   "pad_constant",  "hardswish",       "tanh",  "div_broadcast",
    };
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        const char *c = tmp_path(f, models[i], "model.c");
        assert_int_equal(compile_c(f, models[i], c), LW_OK);
        char cmd[1024];
        snprintf(cmd, sizeof cmd,
                 "cc -std=c99 -Wall -Wextra -pedantic -Werror -c '%s' -o '%s/%s/model.o'", c,
                 f->dir, models[i]);
        if (system(cmd) != 0)
            fail_msg("generated C for %s does not compile: %s", models[i], cmd);
    }
}

static void test_print_output_is_byte_identical_across_compiles(void **state)
{
    Fixture *f = *state;
    static const char *const models[] = {"small_cnn", "shape_chain_reshape", "multi_io"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        const char *c1 = tmp_path(f, "d1", "net.c"), *c2 = tmp_path(f, "d2", "net.c");
        assert_int_equal(compile_c(f, models[i], c1), LW_OK);
        assert_int_equal(compile_c(f, models[i], c2), LW_OK);
        size_t n1, n2;
        char *a = slurp(f, c1, &n1), *b = slurp(f, c2, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1);
        a = slurp(f, tmp_path(f, "d1", "net.h"), &n1);
        b = slurp(f, tmp_path(f, "d2", "net.h"), &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1);
        /* no host path of the output directory leaks into the output */
        assert_null(strstr(a, f->dir));
    }
}

static void test_print_emit_ir_small_cnn_matches_golden(void **state)
{
    Fixture *f = *state;
    LwOptions o = opts(f, "small_cnn", NULL, LW_EMIT_IR);
    assert_int_equal(lwcc_compile(&o), LW_OK);
    static char got[16384];
    read_all(f->dump, got, sizeof got);
    StrBuf gp;
    sb_init(&gp, f->ctx.perm);
    sb_printf(&gp, "%s/tests/golden/small_cnn.ir.txt", LWCC_SOURCE_DIR);
    char *want = slurp(f, sb_cstr(&gp), NULL);
    assert_non_null(want);
    assert_string_equal(got, want);
}

static void test_print_emit_ir_to_file(void **state)
{
    Fixture *f = *state;
    const char *out = tmp_path(f, "ir", "relu.ir");
    LwOptions o = opts(f, "relu", out, LW_EMIT_IR);
    assert_int_equal(lwcc_compile(&o), LW_OK);
    char *t = slurp(f, out, NULL);
    assert_non_null(t);
    assert_string_equal(t, "input %1 'x': float32[2,3,4]\n"
                           "%2 = Relu 'relu_0' (%1) -> float32[2,3,4]\n"
                           "output %2\n");
    assert_int_equal(ftell(f->dump), 0); /* nothing on the dump stream */
}

static void test_print_output_not_dot_c_is_error_and_writes_nothing(void **state)
{
    Fixture *f = *state;
    const char *out = tmp_path(f, "x", "relu.cc");
    LwOptions o = opts(f, "relu", out, LW_EMIT_C);
    assert_int_equal(lwcc_compile(&o), LW_ERR_MODEL);
    assert_non_null(strstr(read_all(f->out, f->text, sizeof f->text), "must name a .c file"));
    assert_null(slurp(f, out, NULL));
    o.output = NULL;
    assert_int_equal(lwcc_compile(&o), LW_ERR_MODEL);
}

static void test_print_unknown_target_is_error(void **state)
{
    Fixture *f = *state;
    LwOptions o = opts(f, "relu", tmp_path(f, "t", "relu.c"), LW_EMIT_C);
    o.target = "pdp-11";
    assert_int_equal(lwcc_compile(&o), LW_ERR_MODEL);
    assert_non_null(strstr(read_all(f->out, f->text, sizeof f->text), "unknown target 'pdp-11'"));
}

static void test_print_cortex_m4_target_compiles(void **state)
{
    Fixture *f = *state;
    const char *c = tmp_path(f, "m4", "net.c");
    LwOptions o = opts(f, "small_cnn", c, LW_EMIT_C);
    o.target = "cortex-m4";
    assert_int_equal(lwcc_compile(&o), LW_OK);
    char *h = slurp(f, tmp_path(f, "m4", "net.h"), NULL);
    assert_non_null(h);
    assert_non_null(strstr(h, "--target=cortex-m4"));
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cc -std=c99 -Wall -Wextra -pedantic -Werror -c '%s' -o '%s/m4/net.o'",
             c, f->dir);
    assert_int_equal(system(cmd), 0);
}

/* pruned_cnn's 25%-dense Conv and Gemm run sparse: at -O2 one constant-bound loop per
 * output channel, at -Os in CSR form, one loop whose trip count is read from the
 * row-pointer table per node (kernel-IR text) */
static void test_print_sparse_weights_rows_at_o2_csr_at_os(void **state)
{
    Fixture *f = *state;
    static char text[1 << 18];
    static const LwOptLevel levels[2] = {LW_O2, LW_OS};
    size_t dyn[2];
    for (int i = 0; i < 2; i++) {
        LwOptions o = opts(f, "pruned_cnn", NULL, LW_EMIT_KIR);
        o.opt = levels[i];
        o.patch = -1; /* untiled: one sparse kernel per node */
        o.dump_out = tmpfile();
        assert_non_null(o.dump_out);
        assert_int_equal(lwcc_compile(&o), LW_OK);
        read_all(o.dump_out, text, sizeof text);
        fclose(o.dump_out);
        dyn[i] = 0;
        for (const char *t = text; (t = strstr(t, "< clamp(")) != NULL; t++)
            dyn[i]++;
        assert_non_null(strstr(text, "kernel k"));
    }
    assert_int_equal(dyn[0], 0);
    assert_int_equal(dyn[1], 2);
}

/* ---- loops with a data-dependent trip count ------------------------------------ */

/* One kernel of node `node`: out[r] = sum of x[j] for j < clamp(t[r], 0, bound), r < 3,
 * t a weight table. */
static void dyn_sum_kernel(KBuilder *kb, NodeId node, uint32_t xb, uint32_t ob, const int32_t *t,
                           int64_t bound)
{
    kb_begin(kb, graph_node(kb->g, node), NULL);
    uint32_t tb = kb_weight(kb, DT_INT32, t, 3);
    uint16_t acc = kb_local(kb, ktype(DT_FLOAT32));
    uint16_t r = kb_for(kb, 3);
    KIndex ri = kidx_const(0);
    kidx_add(&ri, r, 1);
    kb_set(kb, acc, kb_const_f(kb, DT_FLOAT32, 0));
    uint16_t j = kb_for_dyn(kb, bound, kb_load(kb, tb, ri));
    KIndex ji = kidx_const(0);
    kidx_add(&ji, j, 1);
    kb_set(kb, acc, kb_op(kb, KOP_ADD, kb_var(kb, acc), kb_load(kb, xb, ji)));
    kb_endfor(kb);
    kb_store(kb, ob, ri, kb_var(kb, acc));
    kb_endfor(kb);
    kb_end(kb);
}

/* A hand-made program of two such kernels (the same shape: at -Os they share one function
 * whose numbers, the bound among them, are holes) with trip counts below zero, above the
 * bound, zero and in range; printed at `level` by the C printer (compiled warning-free) or
 * with `llvm` by the LLVM backend (an object), linked with a main that runs it and checks
 * both outputs. Returns the model.c text (C printer). */
static const char *print_and_run_dyn(Fixture *f, LwOptLevel level, int llvm, const char *sub)
{
    Ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.perm = f->ctx.perm;
    ctx.scratch = f->ctx.scratch;
    ctx.diag = &f->diag;
    ctx.lim = f->ctx.lim;
    LwOptions o;
    memset(&o, 0, sizeof o);
    o.input = "dyn.onnx";
    o.opt = level;
    o.target = "generic";
    o.emit = LW_EMIT_C;
    ctx.opt = &o;
    ctx.target = target_find("generic");
    assert_non_null(ctx.target);
    Graph *g = graph_new(ctx.perm);
    ctx.g = g;
    ValueId x = graph_add_value(ctx.perm, g, "x", DT_FLOAT32);
    graph_value(g, x)->shape.rank = 1;
    graph_value(g, x)->shape.dims[0] = 4;
    vec_push(ctx.perm, &g->inputs, x);
    int known;
    const OpDef *relu = op_lookup("", "Relu", 13, &known);
    assert_non_null(relu);
    SrcLoc l1 = {"sum_a", "Relu", "", 13, ""}, l2 = {"sum_b", "Relu", "", 13, ""};
    NodeId n1 = graph_add_node(ctx.perm, g, relu, &l1, 1, &x, 1, NULL);
    NodeId n2 = graph_add_node(ctx.perm, g, relu, &l2, 1, &x, 1, NULL);
    ValueId y = graph_node(g, n1)->out[0], z = graph_node(g, n2)->out[0];
    graph_value(g, y)->shape.rank = graph_value(g, z)->shape.rank = 1;
    graph_value(g, y)->shape.dims[0] = graph_value(g, z)->shape.dims[0] = 3;
    vec_push(ctx.perm, &g->outputs, y);
    vec_push(ctx.perm, &g->outputs, z);
    Program *p = kir_program_new(ctx.perm);
    ctx.prog = p;
    uint32_t xb = kir_add_buf(ctx.perm, p, KB_INPUT, DT_FLOAT32, 4, x);
    uint32_t yb = kir_add_buf(ctx.perm, p, KB_OUTPUT, DT_FLOAT32, 3, y);
    uint32_t zb = kir_add_buf(ctx.perm, p, KB_OUTPUT, DT_FLOAT32, 3, z);
    p->bufs.data[zb].slot = 1;
    vec_push(ctx.perm, &p->inputs, xb);
    vec_push(ctx.perm, &p->outputs, yb);
    vec_push(ctx.perm, &p->outputs, zb);
    uint32_t *val_buf = arena_array(ctx.perm, uint32_t, g->values.len);
    KBuilder kb;
    kb_init(&kb, &ctx, p, g, val_buf);
    static const int32_t t1[3] = {-2, 9, 3}, t2[3] = {2, 0, 100};
    dyn_sum_kernel(&kb, n1, xb, yb, t1, 4);
    dyn_sum_kernel(&kb, n2, xb, zb, t2, 3);
    kir_verify(&ctx, p, "test");
    assert_int_equal(pass_memplan.run(&ctx), LW_OK);
    StrBuf c, h;
    sb_init(&c, ctx.perm);
    sb_init(&h, ctx.perm);
    const char *cp = tmp_path(f, sub, "dyn.c"), *hp = tmp_path(f, sub, "dyn.h");
    const char *mp = tmp_path(f, sub, "main.c"), *op = tmp_path(f, sub, "dyn.o");
    FILE *fp;
    if (llvm) {
        o.emit = LW_EMIT_OBJ;
        o.output = op;
        assert_int_equal(llvm_print(&ctx, "dyn", &h), LW_OK);
    } else {
        assert_int_equal(c_print(&ctx, "dyn", &c, &h, NULL), LW_OK);
        fp = fopen(cp, "w");
        assert_non_null(fp);
        fputs(sb_cstr(&c), fp);
        fclose(fp);
    }
    fp = fopen(hp, "w");
    assert_non_null(fp);
    fputs(sb_cstr(&h), fp);
    fclose(fp);
    fp = fopen(mp, "w");
    assert_non_null(fp);
    fputs("#include \"dyn.h\"\n"
          "static _Alignas(64) unsigned char arena[DYN_ARENA_SIZE + 1];\n"
          "int main(void)\n{\n"
          "    static const float x[4] = {1, 2, 4, 8};\n"
          "    float y[3], z[3];\n"
          "    const void *in[1] = {x};\n"
          "    void *out[2] = {y, z};\n"
          "    if (dyn_run(in, out, arena))\n        return 2;\n"
          "    return !(y[0] == 0 && y[1] == 15 && y[2] == 7 && z[0] == 3 && z[1] == 0 &&\n"
          "             z[2] == 7);\n}\n",
          fp);
    fclose(fp);
    char cmd[1024];
    if (!llvm) {
        snprintf(cmd, sizeof cmd, "cc -std=c99 -Wall -Wextra -pedantic -Werror -c '%s' -o '%s'", cp,
                 op);
        if (system(cmd) != 0)
            fail_msg("dyn loop program at %s does not compile: %s", sub, cmd);
    }
    snprintf(cmd, sizeof cmd,
             "cc -std=c11 -Wall -Wextra -Werror '%s' '%s' -o '%s/%s/run' && '%s/%s/run'", mp, op,
             f->dir, sub, f->dir, sub);
    if (system(cmd) != 0)
        fail_msg("dyn loop program at %s does not link or gives wrong sums: %s", sub, cmd);
    return sb_cstr(&c);
}

static void test_print_dyn_loop_clamps_trip_count(void **state)
{
    Fixture *f = *state;
    const char *c = print_and_run_dyn(f, LW_O2, 0, "o2");
    assert_non_null(strstr(c, "n1 = lw_clamp("));
    assert_non_null(strstr(c, ", 5); i1 < n1; i1++) {"));
    assert_null(strstr(c, "lw_shared"));
    /* -Os: one shared function, the bound + 1 a hole (lw_p) */
    c = print_and_run_dyn(f, LW_OS, 0, "os");
    assert_non_null(strstr(c, "static LW_NOINLINE LW_KERNEL void lw_shared0("));
    assert_non_null(strstr(c, "]); i1 < n1; i1++) {"));
#if LWCC_HAVE_LLVM
    (void)print_and_run_dyn(f, LW_O2, 1, "llvm");
#endif
}

/* ---- cname ------------------------------------------------------------------- */

static const char *ident(Fixture *f, const char *s, size_t max)
{
    StrBuf sb;
    sb_init(&sb, f->ctx.perm);
    cname_ident(&sb, s, max);
    return sb_cstr(&sb);
}

static const char *comment(Fixture *f, const char *s, size_t max)
{
    StrBuf sb;
    sb_init(&sb, f->ctx.perm);
    cname_comment(&sb, s, max);
    return sb_cstr(&sb);
}

static const char *string(Fixture *f, const char *s, size_t max)
{
    StrBuf sb;
    sb_init(&sb, f->ctx.perm);
    cname_string(&sb, s, max);
    return sb_cstr(&sb);
}

/* Weights with the same bytes share one place in the blob (tables lowering makes
 * again for copies of a node); a same-bytes weight needing a stricter alignment
 * than the first one's offset gives, or other bytes, get places of their own. */
static void test_weight_layout_shares_identical_weights(void **state)
{
    (void)state;
    Arena *a = arena_create(1 << 16);
    Program *p = kir_program_new(a);
    static const unsigned char t1[8] = {1, 2, 3, 4, 5, 6, 7, 8}, t2[8] = {1, 2, 3, 4, 5, 6, 7, 9};
    static const unsigned char t3[3] = {1, 2, 3};
    kir_add_weight(a, p, DT_UINT8, t3, 3, 3, 0);  /* 0: offset 0 */
    kir_add_weight(a, p, DT_UINT8, t1, 8, 8, 0);  /* 1: its own place */
    kir_add_weight(a, p, DT_UINT8, t1, 8, 8, 0);  /* 2: shares 1 */
    kir_add_weight(a, p, DT_UINT8, t2, 8, 8, 0);  /* 3: differs in one byte */
    kir_add_weight(a, p, DT_UINT8, t3, 3, 3, 0);  /* 4: shares 0 */
    uint64_t woff[5];
    uint64_t size = weight_layout(p, WEIGHT_ALIGN, woff);
    assert_int_equal(woff[0], woff[4]);
    assert_int_equal(woff[1], woff[2]);
    assert_true(woff[3] != woff[1] && woff[3] >= woff[1] + 8);
    assert_int_equal(size, woff[3] + 8);
    /* the same bytes, but the first copy's offset is not aligned enough for this one */
    p->weights.data[4].align = 64;
    assert_true(woff[0] % 64 == 0); /* offset 0 is aligned for anything: still shared */
    size = weight_layout(p, WEIGHT_ALIGN, woff);
    assert_int_equal(woff[4], woff[0]);
    p->weights.data[2].align = 4096;
    size = weight_layout(p, WEIGHT_ALIGN, woff);
    assert_true(woff[2] != woff[1] && woff[2] % 4096 == 0);
    assert_true(size >= woff[2] + 8);
    /* the blob aligned to 64-byte vectors: weights of 64 bytes or more start on a multiple
     * of 64, smaller ones keep their own alignment */
    static const unsigned char big[100] = {7};
    kir_add_weight(a, p, DT_UINT8, t3, 3, 3, 0); /* 5 */
    kir_add_weight(a, p, DT_FLOAT32, big, 100, 25, 0); /* 6: 16-aligned of itself */
    kir_add_weight(a, p, DT_UINT8, t2, 8, 8, 0); /* 7: its own 8 */
    uint64_t w2[8];
    p->weights.data[2].align = 0;
    p->weights.data[4].align = 0;
    size = weight_layout(p, WEIGHT_ALIGN, w2);
    assert_true(w2[6] % 64 != 0); /* at WEIGHT_ALIGN it lands 16 past a multiple of 64 */
    size = weight_layout(p, 64, w2);
    assert_int_equal(w2[6] % 64, 0);
    assert_true(w2[7] == w2[6] + 100 || w2[7] == w2[3]); /* 7 shares 3's bytes */
    assert_int_equal(size, w2[6] + 100);
    arena_destroy(a);
}

static void test_cname_ident_keeps_alnum_and_collapses_others(void **state)
{
    Fixture *f = *state;
    assert_string_equal(ident(f, "conv_3", 40), "conv_3");
    assert_string_equal(ident(f, "/conv/Conv", 40), "conv_Conv");
    assert_string_equal(ident(f, "onnx::Gather_1", 40), "onnx_Gather_1");
    assert_string_equal(ident(f, "input.1", 40), "input_1");
    assert_string_equal(ident(f, "a--b", 40), "a_b");
    assert_string_equal(ident(f, "caf\xc3\xa9!", 40), "caf_");
    assert_string_equal(ident(f, "", 40), "x");
    assert_string_equal(ident(f, "***", 40), "x");
    assert_string_equal(ident(f, "abcdefgh", 3), "abc");
    /* every character of any output is an identifier character */
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = 0;
    const char *r = ident(f, all, 1000);
    for (const char *p = r; *p; p++)
        assert_true((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '_');
}

static void test_cname_comment_escapes_terminators_trigraphs_and_bytes(void **state)
{
    Fixture *f = *state;
    assert_string_equal(comment(f, "conv_3", 100), "conv_3");
    assert_string_equal(comment(f, "a*/b", 100), "a*\\x2fb");
    assert_string_equal(comment(f, "a/*b", 100), "a/\\x2ab");
    assert_string_equal(comment(f, "?\?/", 100), "?\\x3f/");
    assert_string_equal(comment(f, "a\\b", 100), "a\\x5cb");
    assert_string_equal(comment(f, "caf\xc3\xa9\n", 100), "caf\\xc3\\xa9\\x0a");
    assert_string_equal(comment(f, "abcdef", 3), "abc...");
    /* no sequence that ends the comment or forms a trigraph survives */
    const char *nasty = "**/*//**?\?=?\?/ */ /* \\\n";
    const char *r = comment(f, nasty, 1000);
    assert_null(strstr(r, "*/"));
    assert_null(strstr(r, "/*"));
    assert_null(strstr(r, "??"));
    for (const char *p = r; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
}

static void test_cname_string_escapes_with_octal(void **state)
{
    Fixture *f = *state;
    assert_string_equal(string(f, "x", 100), "x");
    assert_string_equal(string(f, "a\"b", 100), "a\\042b");
    assert_string_equal(string(f, "a\\b", 100), "a\\134b");
    assert_string_equal(string(f, "\n", 100), "\\012");
    /* an escape followed by a hex digit must not run on */
    assert_string_equal(string(f, "\xff" "ab", 100), "\\377ab");
    assert_string_equal(string(f, "?\?=", 100), "?\\077=");
    assert_string_equal(string(f, "abcdef", 4), "abcd");
}

static void test_cname_string_round_trips_through_the_c_compiler(void **state)
{
    Fixture *f = *state;
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = 0;
    StrBuf src;
    sb_init(&src, f->ctx.perm);
    sb_puts(&src, "#include <string.h>\nstatic const char s[] = \"");
    cname_string(&src, all, 1000);
    sb_puts(&src, "\";\nint main(void)\n{\n    char w[256];\n    for (int i = 1; i < 256; i++)\n"
                  "        w[i - 1] = (char)i;\n    w[255] = 0;\n"
                  "    return sizeof s == 256 && memcmp(s, w, 256) == 0 ? 0 : 1;\n}\n");
    const char *cpath = tmp_path(f, "str", "s.c");
    FILE *fp = fopen(cpath, "wb");
    assert_non_null(fp);
    fputs(sb_cstr(&src), fp);
    fclose(fp);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cc -std=c99 -Wall -Werror -trigraphs '%s' -o '%s/str/s' && '%s/str/s'",
             cpath, f->dir, f->dir);
    assert_int_equal(system(cmd), 0);
}

static void test_cname_prefix_from_path(void **state)
{
    Fixture *f = *state;
    Arena *a = f->ctx.perm;
    assert_string_equal(cname_prefix(a, "out/My-Net.c"), "my_net");
    assert_string_equal(cname_prefix(a, "model.c"), "model");
    assert_string_equal(cname_prefix(a, "/a.b/c/Resnet50.v2.c"), "resnet50_v2");
    assert_string_equal(cname_prefix(a, "1net.c"), "m_1net");
    assert_string_equal(cname_prefix(a, "dir/.c"), "m_c");
    assert_string_equal(cname_prefix(a, "noext"), "noext");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_print_relu_writes_c_and_header_with_api_macros),
        T(test_print_name_option_sets_prefix),
        T(test_print_prefix_from_output_name),
        T(test_print_output_compiles_cleanly_as_c99),
        T(test_print_output_is_byte_identical_across_compiles),
        T(test_print_emit_ir_small_cnn_matches_golden),
        T(test_print_emit_ir_to_file),
        T(test_print_output_not_dot_c_is_error_and_writes_nothing),
        T(test_print_unknown_target_is_error),
        T(test_print_cortex_m4_target_compiles),
        T(test_print_dyn_loop_clamps_trip_count),
        T(test_print_sparse_weights_rows_at_o2_csr_at_os),
        T(test_weight_layout_shares_identical_weights),
        T(test_cname_ident_keeps_alnum_and_collapses_others),
        T(test_cname_comment_escapes_terminators_trigraphs_and_bytes),
        T(test_cname_string_escapes_with_octal),
        T(test_cname_string_round_trips_through_the_c_compiler),
        T(test_cname_prefix_from_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
