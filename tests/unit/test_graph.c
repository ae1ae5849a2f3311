/* Unit tests for ir/graph.c (builders, use replacement, erasure, recount,
 * topological sort), ir/graph_dump.c (golden text) and ir/graph_verify.c. */
#define _POSIX_C_SOURCE 200809L /* test_ices (fork) */

#include "ir/graph.h"

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
#include "ops/op.h"
#include "tests/unit/test_util.h"

typedef struct Fixture {
    Ctx ctx;
    Diag diag;
    FILE *out;
    Graph *g;
    const OpDef *relu, *add;
    char text[4096];
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    if (!f || test_ctx_open(&f->ctx, &f->diag, &f->out) != 0) {
        free(f);
        return -1;
    }
    f->g = graph_new(f->ctx.perm);
    f->ctx.g = f->g;
    int known;
    f->relu = op_lookup("", "Relu", 13, &known);
    f->add = op_lookup("", "Add", 13, &known);
    if (!f->relu || !f->add)
        return -1;
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

static const char *diag_text(Fixture *f)
{
    return test_diag_text(f->out, f->text, sizeof f->text);
}

static const Shape shape_2x3 = {.rank = 2, .dims = {2, 3}};

static ValueId add_input(Fixture *f, const char *name)
{
    ValueId v = graph_add_value(f->ctx.perm, f->g, name, DT_FLOAT32);
    Value *val = graph_value(f->g, v);
    val->kind = VK_INPUT;
    val->shape = shape_2x3;
    val->flags |= VF_SHAPED;
    vec_push(f->ctx.perm, &f->g->inputs, v);
    return v;
}

static ValueId add_const(Fixture *f, const char *name)
{
    float *data = arena_array(f->ctx.perm, float, 6);
    for (int i = 0; i < 6; i++)
        data[i] = (float)i;
    return graph_add_const(f->ctx.perm, f->g, name, DT_FLOAT32, &shape_2x3,
                           (const unsigned char *)data, 6 * sizeof(float));
}

/* A node of op with inputs; its one output is typed float32[2,3]. */
static NodeId add_node(Fixture *f, const OpDef *op, const char *name, uint16_t nin,
                       const ValueId *in, const char *outname)
{
    SrcLoc loc = {name, op->name, "", 13, ""};
    const char *outnames[1] = {outname};
    NodeId n = graph_add_node(f->ctx.perm, f->g, op, &loc, nin, in, 1, outnames);
    Value *o = graph_value(f->g, graph_node(f->g, n)->out[0]);
    o->dtype = DT_FLOAT32;
    o->shape = shape_2x3;
    o->flags |= VF_SHAPED;
    return n;
}

static ValueId out_of(Fixture *f, NodeId n)
{
    return graph_node(f->g, n)->out[0];
}

static void set_output(Fixture *f, ValueId v)
{
    vec_push(f->ctx.perm, &f->g->outputs, v);
    graph_value(f->g, v)->flags |= VF_GRAPH_OUTPUT;
}

/* y = Relu(Add(x, c)) */
static void build_small(Fixture *f, NodeId *add_n, NodeId *relu_n)
{
    ValueId c = add_const(f, "bias");
    ValueId x = add_input(f, "x");
    ValueId in[2] = {x, c};
    *add_n = add_node(f, f->add, "add_0", 2, in, "t");
    ValueId t = out_of(f, *add_n);
    *relu_n = add_node(f, f->relu, "relu_0", 1, &t, "y");
    set_output(f, out_of(f, *relu_n));
    graph_recount(f->g);
}

static char *read_golden(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/%s", LWCC_SOURCE_DIR, rel);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot open %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    fclose(fp);
    return buf;
}

static void test_graph_new_reserves_id_zero_as_none(void **state)
{
    Fixture *f = *state;
    assert_int_equal(f->g->values.len, 1);
    assert_int_equal(f->g->nodes.len, 1);
    assert_int_equal(f->g->order.len, 0);
    assert_int_equal(graph_value(f->g, 0)->kind, VK_NONE);
    assert_string_equal(graph_value(f->g, 0)->name, "");
}

static void test_graph_add_node_makes_defined_outputs_in_order(void **state)
{
    Fixture *f = *state;
    NodeId a, r;
    build_small(f, &a, &r);
    assert_int_equal(f->g->order.len, 2);
    assert_int_equal(f->g->order.data[0], a);
    assert_int_equal(f->g->order.data[1], r);
    const Node *na = graph_node(f->g, a);
    assert_int_equal(na->nin, 2);
    assert_int_equal(na->nout, 1);
    assert_ptr_equal(na->op, f->add);
    assert_string_equal(na->loc.name, "add_0");
    const Value *t = graph_value(f->g, na->out[0]);
    assert_int_equal(t->kind, VK_NODE);
    assert_int_equal(t->def, a);
    assert_string_equal(t->name, "t");
    /* nuses: t once (relu), y once (graph output), x and bias once */
    assert_int_equal(t->nuses, 1);
    assert_int_equal(graph_value(f->g, out_of(f, r))->nuses, 1);
    assert_int_equal(graph_value(f->g, na->in[0])->nuses, 1);
    assert_int_equal(graph_value(f->g, na->in[1])->nuses, 1);
    const Value *c = graph_value(f->g, na->in[1]);
    assert_int_equal(c->kind, VK_CONST);
    assert_int_equal(c->data->size, 24);
    assert_true(c->flags & VF_SHAPED);
}

static void test_graph_add_node_unnamed_outputs_get_empty_names(void **state)
{
    Fixture *f = *state;
    ValueId x = add_input(f, "x");
    SrcLoc loc = {"", "Relu", "", 13, ""};
    NodeId n = graph_add_node(f->ctx.perm, f->g, f->relu, &loc, 1, &x, 1, NULL);
    assert_string_equal(graph_value(f->g, out_of(f, n))->name, "");
    assert_int_equal(graph_value(f->g, out_of(f, n))->dtype, DT_UNDEFINED);
}

static void test_graph_replace_uses_redirects_inputs_and_outputs(void **state)
{
    Fixture *f = *state;
    NodeId a, r;
    build_small(f, &a, &r);
    ValueId x = graph_node(f->g, a)->in[0];
    ValueId t = out_of(f, a), y = out_of(f, r);
    /* drop the Add: Relu reads x */
    graph_replace_uses(f->g, t, x);
    assert_int_equal(graph_node(f->g, r)->in[0], x);
    graph_erase_node(f->g, a);
    assert_int_equal(f->g->order.len, 1);
    assert_null(graph_node(f->g, a)->op);
    graph_recount(f->g);
    assert_int_equal(graph_value(f->g, t)->nuses, 0);
    assert_int_equal(graph_value(f->g, x)->nuses, 1);
    /* a graph output moves with its flag */
    ValueId x2 = add_input(f, "x2");
    graph_replace_uses(f->g, y, x2);
    assert_int_equal(f->g->outputs.data[0], x2);
    assert_false(graph_value(f->g, y)->flags & VF_GRAPH_OUTPUT);
    assert_true(graph_value(f->g, x2)->flags & VF_GRAPH_OUTPUT);
    graph_recount(f->g);
    assert_int_equal(graph_value(f->g, y)->nuses, 0);
    assert_int_equal(graph_value(f->g, x2)->nuses, 1);
}

static void test_graph_replace_uses_counts_repeated_inputs(void **state)
{
    Fixture *f = *state;
    ValueId x = add_input(f, "x"), z = add_input(f, "z");
    ValueId in[2] = {x, x};
    NodeId n = add_node(f, f->add, "sq", 2, in, "s");
    set_output(f, out_of(f, n));
    graph_recount(f->g);
    assert_int_equal(graph_value(f->g, x)->nuses, 2);
    graph_replace_uses(f->g, x, z);
    graph_recount(f->g);
    assert_int_equal(graph_value(f->g, x)->nuses, 0);
    assert_int_equal(graph_value(f->g, z)->nuses, 2);
}

static void test_graph_recount_drops_erased_nodes_from_order(void **state)
{
    Fixture *f = *state;
    NodeId a, r;
    build_small(f, &a, &r);
    graph_node(f->g, r)->op = NULL; /* erased without graph_erase_node */
    graph_recount(f->g);
    assert_int_equal(f->g->order.len, 1);
    assert_int_equal(f->g->order.data[0], a);
    /* the erased Relu no longer counts as a use of t */
    assert_int_equal(graph_value(f->g, out_of(f, a))->nuses, 0);
}

static void test_graph_toposort_keeps_sorted_graph_unchanged(void **state)
{
    Fixture *f = *state;
    NodeId a, r;
    build_small(f, &a, &r);
    assert_int_equal(graph_toposort(&f->ctx, f->g), LW_OK);
    assert_int_equal(f->g->order.data[0], a);
    assert_int_equal(f->g->order.data[1], r);
}

static void test_graph_toposort_reorders_out_of_order_graph_stably(void **state)
{
    Fixture *f = *state;
    ValueId x = add_input(f, "x");
    /* file order: A (reads D's output), B, C (independent), D */
    SrcLoc la = {"A", "Relu", "", 13, ""};
    const char *nm[1] = {"a"};
    NodeId A = graph_add_node(f->ctx.perm, f->g, f->relu, &la, 1, &x, 1, nm); /* input fixed below */
    NodeId B = add_node(f, f->relu, "B", 1, &x, "b");
    NodeId C = add_node(f, f->relu, "C", 1, &x, "c");
    NodeId D = add_node(f, f->relu, "D", 1, &x, "d");
    graph_node(f->g, A)->in[0] = out_of(f, D);
    set_output(f, out_of(f, A));
    set_output(f, out_of(f, B));
    set_output(f, out_of(f, C));
    graph_recount(f->g);
    assert_int_equal(graph_toposort(&f->ctx, f->g), LW_OK);
    assert_int_equal(f->g->order.len, 4);
    /* B, C, D keep file order; A goes right after its producer */
    assert_int_equal(f->g->order.data[0], B);
    assert_int_equal(f->g->order.data[1], C);
    assert_int_equal(f->g->order.data[2], D);
    assert_int_equal(f->g->order.data[3], A);
    assert_int_equal(f->diag.errors, 0);
}

static void test_graph_toposort_chain_in_reverse_order(void **state)
{
    Fixture *f = *state;
    ValueId x = add_input(f, "x");
    enum { N = 50 };
    NodeId ids[N];
    /* add nodes n49 .. n0, where n_i reads n_{i-1}; n0 reads x */
    for (int i = N - 1; i >= 0; i--) {
        char *name = arena_alloc(f->ctx.perm, 8);
        snprintf(name, 8, "n%d", i);
        ids[i] = add_node(f, f->relu, name, 1, &x, "");
    }
    for (int i = 1; i < N; i++)
        graph_node(f->g, ids[i])->in[0] = out_of(f, ids[i - 1]);
    set_output(f, out_of(f, ids[N - 1]));
    graph_recount(f->g);
    assert_int_equal(graph_toposort(&f->ctx, f->g), LW_OK);
    for (int i = 0; i < N; i++)
        assert_int_equal(f->g->order.data[i], ids[i]);
}

static void test_graph_toposort_reports_cycle_as_model_error(void **state)
{
    Fixture *f = *state;
    ValueId x = add_input(f, "x");
    NodeId p = add_node(f, f->relu, "p", 1, &x, "pv");
    NodeId q = add_node(f, f->relu, "q", 1, &x, "qv");
    graph_node(f->g, p)->in[0] = out_of(f, q);
    graph_node(f->g, q)->in[0] = out_of(f, p);
    set_output(f, out_of(f, q));
    graph_recount(f->g);
    ArenaMark before = arena_mark(f->ctx.scratch);
    assert_int_equal(graph_toposort(&f->ctx, f->g), LW_ERR_MODEL);
    assert_int_equal(f->diag.errors, 1);
    assert_non_null(strstr(diag_text(f), "model.onnx: error: node 'p' (Relu, opset 13): "));
    assert_non_null(strstr(diag_text(f), "cycle"));
    /* scratch released */
    assert_int_equal(f->ctx.scratch->used, before.used);
}

static void test_graph_toposort_reports_use_of_undefined_value(void **state)
{
    Fixture *f = *state;
    NodeId a, r;
    build_small(f, &a, &r);
    graph_erase_node(f->g, a); /* relu now reads a value nothing in the order defines */
    assert_int_equal(graph_toposort(&f->ctx, f->g), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "node 'relu_0'"));
}

static void test_graph_set_const_detaches_from_node(void **state)
{
    Fixture *f = *state;
    NodeId a, r;
    build_small(f, &a, &r);
    ValueId t = out_of(f, a);
    float *data = arena_array(f->ctx.perm, float, 6);
    graph_set_const(f->ctx.perm, f->g, t, (const unsigned char *)data, 24);
    assert_int_equal(graph_node(f->g, a)->out[0], 0);
    const Value *v = graph_value(f->g, t);
    assert_int_equal(v->kind, VK_CONST);
    assert_int_equal(v->def, 0);
    assert_int_equal(v->data->size, 24);
    assert_ptr_equal(v->data->bytes, data);
}

static void test_graph_dump_small_graph_matches_golden(void **state)
{
    Fixture *f = *state;
    NodeId a, r;
    build_small(f, &a, &r);
    /* an odd name is escaped in the dump */
    graph_value(f->g, graph_node(f->g, a)->in[0])->name = "in'put\\1";
    StrBuf sb;
    sb_init(&sb, f->ctx.perm);
    graph_dump(f->g, &sb);
    assert_string_equal(sb_cstr(&sb), read_golden("graph_small.txt"));
}

static void test_graph_dump_hides_unused_constants_and_erased_nodes(void **state)
{
    Fixture *f = *state;
    NodeId a, r;
    build_small(f, &a, &r);
    ValueId x = graph_node(f->g, a)->in[0];
    graph_replace_uses(f->g, out_of(f, a), x);
    graph_erase_node(f->g, a);
    graph_recount(f->g);
    StrBuf sb;
    sb_init(&sb, f->ctx.perm);
    graph_dump(f->g, &sb);
    const char *t = sb_cstr(&sb);
    assert_null(strstr(t, "const"));
    assert_null(strstr(t, "Add"));
    assert_non_null(strstr(t, "= Relu 'relu_0' (%2) -> float32[2,3]\n"));
}

static void test_graph_verify_passes_on_valid_graph(void **state)
{
    Fixture *f = *state;
    NodeId a, r;
    build_small(f, &a, &r);
    uint64_t used = f->ctx.scratch->used;
    graph_verify(&f->ctx, f->g, "test"); /* an ICE would abort the test */
    assert_int_equal(f->ctx.scratch->used, used);
    assert_int_equal(f->diag.errors, 0);
}

static void run_graph_verify(void *arg)
{
    Fixture *f = arg;
    graph_verify(&f->ctx, f->g, "test");
}

/* Whether graph_verify stops with an internal error (test_ices). */
static int verify_dies(Fixture *f)
{
    int r = test_ices(run_graph_verify, f);
    assert_true(r >= 0);
    return r;
}

static void test_graph_verify_rejects_stale_use_count(void **state)
{
    Fixture *f = *state;
    NodeId a, r;
    build_small(f, &a, &r);
    graph_value(f->g, out_of(f, a))->nuses = 5;
    assert_true(verify_dies(f));
}

static void test_graph_verify_rejects_use_before_definition(void **state)
{
    Fixture *f = *state;
    NodeId a, r;
    build_small(f, &a, &r);
    f->g->order.data[0] = r;
    f->g->order.data[1] = a;
    assert_true(verify_dies(f));
}

static void test_graph_verify_rejects_untyped_output(void **state)
{
    Fixture *f = *state;
    NodeId a, r;
    build_small(f, &a, &r);
    graph_value(f->g, out_of(f, r))->shape.dims[0] = -1;
    assert_true(verify_dies(f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_graph_new_reserves_id_zero_as_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_graph_add_node_makes_defined_outputs_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_graph_add_node_unnamed_outputs_get_empty_names,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_graph_replace_uses_redirects_inputs_and_outputs,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_graph_replace_uses_counts_repeated_inputs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_graph_recount_drops_erased_nodes_from_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_graph_toposort_keeps_sorted_graph_unchanged, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_graph_toposort_reorders_out_of_order_graph_stably,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_graph_toposort_chain_in_reverse_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_graph_toposort_reports_cycle_as_model_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_graph_toposort_reports_use_of_undefined_value, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_graph_set_const_detaches_from_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_graph_dump_small_graph_matches_golden, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_graph_dump_hides_unused_constants_and_erased_nodes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_graph_verify_passes_on_valid_graph, setup, teardown),
        cmocka_unit_test_setup_teardown(test_graph_verify_rejects_stale_use_count, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_graph_verify_rejects_use_before_definition, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_graph_verify_rejects_untyped_output, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
