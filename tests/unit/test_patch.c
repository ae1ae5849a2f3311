/* Unit tests for passes/patch.c (patch-based execution): tests/models/patch_cnn compiled
 * in-process at -O2 and -Os with and without --patch / --no-patch: the remark, the tiled
 * graph (Slice and Concat nodes, the stage nodes copied per tile) and the arena size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/frontend.h"
#include "include/lwcc/lwcc.h"
#include "ir/graph.h"
#include "ops/op.h"
#include "passes/pass.h"
#include "target/target.h"
#include "test_util.h"

#define PATCH_CNN LWCC_SOURCE_DIR "/tests/models/patch_cnn/model.onnx"
#define RELU LWCC_SOURCE_DIR "/tests/models/relu/model.onnx"

typedef struct Result {
    uint64_t arena;
    uint32_t slices, concats, tiles; /* nodes in the final order; tiles: named "*_tile<k>" */
    char remark[512];                /* the patch remark, "" when none */
} Result;

/* Compiles `model` as lwcc_compile does (verifiers on) and summarizes the outcome. */
static Result compile(const char *model, LwOptLevel level, int patch)
{
    Ctx ctx;
    Diag diag;
    FILE *out;
    LwOptions opt;
    Result r;
    memset(&ctx, 0, sizeof ctx);
    memset(&opt, 0, sizeof opt);
    memset(&r, 0, sizeof r);
    if (test_ctx_open(&ctx, &diag, &out) != 0)
        fail_msg("no context");
    opt.input = model;
    opt.output = "m.c";
    opt.opt = level;
    opt.patch = patch;
    opt.target = "generic";
    opt.diag_out = out;
    ctx.opt = &opt;
    ctx.target = target_find("generic");
    ctx.verify = 1;
    if (frontend_import(&ctx) != LW_OK || pipeline_run(&ctx) != LW_OK) {
        char buf[4096];
        fail_msg("compile of %s failed: %s", model, test_diag_text(out, buf, sizeof buf));
    }
    r.arena = ctx.plan->arena_size;
    const Graph *g = ctx.g;
    for (uint32_t k = 0; k < g->order.len; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        r.slices += !strcmp(n->op->name, "Slice");
        r.concats += !strcmp(n->op->name, "Concat");
        r.tiles += strstr(n->loc.name, "_tile") != NULL;
    }
    for (uint32_t i = 0; i < ctx.remarks.len; i++)
        if (!strncmp(ctx.remarks.data[i], "patch:", 6))
            snprintf(r.remark, sizeof r.remark, "%s", ctx.remarks.data[i]);
    test_ctx_close(&ctx, out);
    return r;
}

static void test_patch_os_tiles_the_front_and_shrinks_the_arena(void **state)
{
    (void)state;
    Result on = compile(PATCH_CNN, LW_OS, 0), off = compile(PATCH_CNN, LW_OS, -1);
    /* everything in front of p3 (c1 Clip AveragePool dw Relu pw Add Mul c3 Relu MaxPool) as
     * two column strips of p3 (12x12): the cheapest grid under 10% more MACs */
    assert_string_equal(on.remark, "patch: first 11 nodes run as 1x2 tiles of 'p3': peak est "
                                   "92160 -> 59904 bytes, +7.4% MACs");
    assert_int_equal(on.arena, 59904);
    assert_int_equal(off.arena, 92160);
    assert_string_equal(off.remark, "");
    assert_int_equal(off.concats + off.slices + off.tiles, 0);
    /* one Concat along W; the input cut into two overlapping strips, and each strip's
     * AveragePool output cut to what the residual Add reads; per tile c1, AveragePool, dw,
     * pw, c3, MaxPool (Clip, Relu, and Add and Mul still fuse into the convs: the Add's
     * slice comes before pw) */
    assert_int_equal(on.concats, 1);
    assert_int_equal(on.slices, 4);
    assert_int_equal(on.tiles, 2 * 6);
}

static void test_patch_o2_only_with_the_flag(void **state)
{
    (void)state;
    Result plain = compile(PATCH_CNN, LW_O2, 0), off = compile(PATCH_CNN, LW_O2, -1),
           forced = compile(PATCH_CNN, LW_O2, 1);
    assert_string_equal(plain.remark, "");
    assert_int_equal(plain.concats + plain.slices + plain.tiles, 0);
    assert_int_equal(plain.arena, off.arena);
    /* --patch takes the lowest peak whatever the MACs */
    assert_string_equal(forced.remark, "patch: first 11 nodes run as 2x3 tiles of 'p3': peak "
                                       "est 92160 -> 36864 bytes, +25.2% MACs");
    assert_true(forced.arena < plain.arena);
    assert_true(forced.arena <= compile(PATCH_CNN, LW_OS, 0).arena);
    assert_true(forced.concats >= 1);
}

static void test_patch_leaves_graphs_without_a_stage(void **state)
{
    (void)state;
    Result r = compile(RELU, LW_OS, 1);
    assert_string_equal(r.remark, "");
    assert_int_equal(r.concats + r.slices + r.tiles, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patch_os_tiles_the_front_and_shrinks_the_arena),
        cmocka_unit_test(test_patch_o2_only_with_the_flag),
        cmocka_unit_test(test_patch_leaves_graphs_without_a_stage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
