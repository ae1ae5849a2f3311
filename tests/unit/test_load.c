/* Unit tests for frontend/load.c: reading, pre-scanning and unpacking ONNX
 * models and tensors, with limits, from files and from memory. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, close */

#include "frontend/load.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "include/lwcc/arena.h"
#include "include/lwcc/ctx.h"
#include "include/lwcc/diag.h"

typedef struct Fixture {
    Ctx ctx;
    Diag diag;
    FILE *out;
    char path[64];   /* a scratch file, removed by teardown */
    char text[4096]; /* diagnostics read back by diag_text */
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->out = tmpfile();
    strcpy(f->path, "/tmp/lwcc_test_load_XXXXXX");
    int fd = mkstemp(f->path);
    if (!f->out || fd < 0) {
        if (f->out)
            fclose(f->out);
        free(f);
        return -1;
    }
    close(fd);
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
    remove(f->path);
    fclose(f->out);
    arena_destroy(f->ctx.perm);
    arena_destroy(f->ctx.scratch);
    free(f);
    return 0;
}

static const char *diag_text(Fixture *f)
{
    fflush(f->out);
    rewind(f->out);
    size_t n = fread(f->text, 1, sizeof f->text - 1, f->out);
    f->text[n] = 0;
    fseek(f->out, 0, SEEK_END);
    return f->text;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* Serializes a small model, y = Relu(x + bias) over float[4] with `bias` an
 * initializer, through protobuf-c. Parts can be left out to find where the
 * graph and the opset import start. Returns a malloc'd buffer. */
static unsigned char *pack_model(size_t *len, int with_graph, int with_opset)
{
    static const float bias[4] = {0.5f, -1.0f, 2.0f, 0.0f};
    static int64_t dims[1] = {4};

    Onnx__TensorProto init = ONNX__TENSOR_PROTO__INIT;
    init.n_dims = 1;
    init.dims = dims;
    init.has_data_type = 1;
    init.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    init.name = "bias";
    init.has_raw_data = 1;
    init.raw_data.len = sizeof bias;
    init.raw_data.data = (uint8_t *)bias;
    Onnx__TensorProto *inits[] = {&init};

    char *add_in[] = {"x", "bias"}, *add_out[] = {"t"}, *relu_in[] = {"t"}, *relu_out[] = {"y"};
    Onnx__NodeProto add = ONNX__NODE_PROTO__INIT, relu = ONNX__NODE_PROTO__INIT;
    add.n_input = 2;
    add.input = add_in;
    add.n_output = 1;
    add.output = add_out;
    add.name = "add0";
    add.op_type = "Add";
    relu.n_input = 1;
    relu.input = relu_in;
    relu.n_output = 1;
    relu.output = relu_out;
    relu.name = "relu0";
    relu.op_type = "Relu";
    Onnx__NodeProto *nodes[] = {&add, &relu};

    Onnx__TensorShapeProto__Dimension dim = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
    dim.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    dim.dim_value = 4;
    Onnx__TensorShapeProto__Dimension *dimv[] = {&dim};
    Onnx__TensorShapeProto shape = ONNX__TENSOR_SHAPE_PROTO__INIT;
    shape.n_dim = 1;
    shape.dim = dimv;
    Onnx__TypeProto__Tensor tt = ONNX__TYPE_PROTO__TENSOR__INIT;
    tt.has_elem_type = 1;
    tt.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt.shape = &shape;
    Onnx__TypeProto type = ONNX__TYPE_PROTO__INIT;
    type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type.tensor_type = &tt;
    Onnx__ValueInfoProto vx = ONNX__VALUE_INFO_PROTO__INIT, vy = ONNX__VALUE_INFO_PROTO__INIT;
    vx.name = "x";
    vx.type = &type;
    vy.name = "y";
    vy.type = &type;
    Onnx__ValueInfoProto *ins[] = {&vx}, *outs[] = {&vy};

    Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
    graph.name = "relu_bias";
    graph.n_node = 2;
    graph.node = nodes;
    graph.n_initializer = 1;
    graph.initializer = inits;
    graph.n_input = 1;
    graph.input = ins;
    graph.n_output = 1;
    graph.output = outs;

    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    opset.domain = "";
    opset.has_version = 1;
    opset.version = 13;
    Onnx__OperatorSetIdProto *opsets[] = {&opset};

    Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
    model.has_ir_version = 1;
    model.ir_version = 8;
    model.producer_name = "test_load";
    if (with_graph)
        model.graph = &graph;
    if (with_opset) {
        model.n_opset_import = 1;
        model.opset_import = opsets;
    }

    *len = onnx__model_proto__get_packed_size(&model);
    unsigned char *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    assert_int_equal(onnx__model_proto__pack(&model, buf), *len);
    return buf;
}

static void check_relu_model(const Onnx__ModelProto *m)
{
    assert_int_equal(m->ir_version, 8);
    assert_string_equal(m->producer_name, "test_load");
    assert_int_equal(m->n_opset_import, 1);
    assert_int_equal(m->opset_import[0]->version, 13);
    const Onnx__GraphProto *g = m->graph;
    assert_non_null(g);
    assert_string_equal(g->name, "relu_bias");
    assert_int_equal(g->n_node, 2);
    assert_string_equal(g->node[0]->op_type, "Add");
    assert_string_equal(g->node[1]->op_type, "Relu");
    assert_string_equal(g->node[1]->input[0], "t");
    assert_int_equal(g->n_initializer, 1);
    const Onnx__TensorProto *t = g->initializer[0];
    assert_string_equal(t->name, "bias");
    assert_int_equal(t->n_dims, 1);
    assert_int_equal(t->dims[0], 4);
    assert_int_equal(t->raw_data.len, 16);
    float v[4];
    memcpy(v, t->raw_data.data, sizeof v);
    assert_true(v[0] == 0.5f && v[1] == -1.0f && v[2] == 2.0f && v[3] == 0.0f);
    assert_int_equal(g->input[0]->type->value_case, ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE);
    assert_int_equal(g->input[0]->type->tensor_type->shape->dim[0]->dim_value, 4);
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static void test_load_valid_model_file(void **state)
{
    Fixture *f = *state;
    size_t len;
    unsigned char *buf = pack_model(&len, 1, 1);
    Onnx__ModelProto *m = NULL;

    write_file(f->path, buf, len);
    assert_int_equal(onnx_load_model(&f->ctx, f->path, &m), LW_OK);
    assert_non_null(m);
    check_relu_model(m);
    assert_int_equal(f->diag.errors, 0);
    /* The file bytes were scratch only; the model lives in perm. */
    assert_int_equal(f->ctx.scratch->used, 0);
    assert_true(f->ctx.perm->used > 0);
    free(buf);
}

static void test_load_valid_model_mem(void **state)
{
    Fixture *f = *state;
    size_t len;
    unsigned char *buf = pack_model(&len, 1, 1);
    Onnx__ModelProto *m = NULL;

    assert_int_equal(onnx_load_model_mem(&f->ctx, buf, len, &m), LW_OK);
    free(buf); /* the model keeps no pointer into the input */
    check_relu_model(m);
}

static void test_load_empty_file_is_error(void **state)
{
    Fixture *f = *state;
    Onnx__ModelProto *m = NULL;
    char want[128];

    write_file(f->path, "", 0);
    assert_int_equal(onnx_load_model(&f->ctx, f->path, &m), LW_ERR_MODEL);
    assert_null(m);
    assert_int_equal(f->diag.errors, 1);
    snprintf(want, sizeof want, "%s: error: empty file, not an ONNX model\n", f->path);
    assert_string_equal(diag_text(f), want);
}

static void test_load_missing_file_is_error(void **state)
{
    Fixture *f = *state;
    Onnx__ModelProto *m = NULL;

    assert_int_equal(onnx_load_model(&f->ctx, "/nonexistent/dir/model.onnx", &m), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "cannot open '/nonexistent/dir/model.onnx'"));
}

static void test_load_file_over_size_cap_is_error(void **state)
{
    Fixture *f = *state;
    size_t len;
    unsigned char *buf = pack_model(&len, 1, 1);
    Onnx__ModelProto *m = NULL;

    write_file(f->path, buf, len);
    f->ctx.lim.file_bytes = 16;
    assert_int_equal(onnx_load_model(&f->ctx, f->path, &m), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "larger than the limit of 16 bytes"));
    free(buf);
}

static void test_load_model_without_graph_is_error(void **state)
{
    Fixture *f = *state;
    size_t len;
    unsigned char *buf = pack_model(&len, 0, 1);
    Onnx__ModelProto *m = NULL;

    assert_int_equal(onnx_load_model_mem(&f->ctx, buf, len, &m), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "model.onnx: error: not an ONNX model: it has no graph"));
    free(buf);
}

static void test_load_random_bytes_rejected(void **state)
{
    Fixture *f = *state;
    uint64_t seed = 12345;
    unsigned char buf[300];

    for (unsigned t = 0; t < 5000; t++) {
        size_t len = 1 + (size_t)(xorshift(&seed) % sizeof buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)xorshift(&seed);
        Onnx__ModelProto *m = NULL;
        uint32_t before = f->diag.errors;
        assert_int_equal(onnx_load_model_mem(&f->ctx, buf, len, &m), LW_ERR_MODEL);
        assert_null(m);
        assert_int_equal(f->diag.errors, before + 1);
    }
}

/* Every prefix of a valid model loads or is rejected without a crash; a cut
 * before the end of the graph field is always rejected. */
static void test_load_every_prefix(void **state)
{
    Fixture *f = *state;
    size_t len, graph_end, accepted = 0;
    unsigned char *buf = pack_model(&len, 1, 1);
    free(pack_model(&graph_end, 1, 0)); /* fields are packed in field-number order */

    assert_true(graph_end < len);
    for (size_t n = 0; n <= len; n++) {
        Onnx__ModelProto *m = NULL;
        LwStatus st = onnx_load_model_mem(&f->ctx, buf, n, &m);
        assert_true(st == LW_OK || st == LW_ERR_MODEL);
        if (n < graph_end)
            assert_int_equal(st, LW_ERR_MODEL);
        if (st == LW_OK) {
            assert_non_null(m->graph);
            accepted++;
        }
    }
    /* the prefix that ends with the graph, and the whole model */
    assert_int_equal(accepted, 2);
    free(buf);
}

static void test_load_rejects_deep_nesting(void **state)
{
    Fixture *f = *state;
    /* ModelProto.graph -> GraphProto.node -> NodeProto.attribute ->
     * AttributeProto.g -> ..., written out to 200 levels of three. */
    enum { LEVELS = 200 };
    static unsigned char buf[LEVELS * 12 + 16];
    size_t start = sizeof buf;
    static const uint8_t fields[3] = {6, 5, 1};
    for (int i = 0; i < LEVELS * 3 + 1; i++) {
        size_t content = sizeof buf - start;
        uint8_t tag = (uint8_t)((i == LEVELS * 3 ? 7 : fields[i % 3]) << 3 | 2);
        buf[--start] = (uint8_t)(content >> 7);
        buf[--start] = (uint8_t)(content & 0x7f) | 0x80; /* two-byte length */
        buf[--start] = tag;
    }
    Onnx__ModelProto *m = NULL;

    assert_int_equal(onnx_load_model_mem(&f->ctx, buf + start, sizeof buf - start, &m),
                     LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "message nesting deeper than 64"));
}

static void test_load_memory_budget_overrun_is_error(void **state)
{
    Fixture *f = *state;
    /* 2000 empty initializers: 2 bytes each on the wire, sizeof(TensorProto)
     * each once unpacked; the pre-scan's lower bound (48 + 8 bytes) passes. */
    enum { N = 2000 };
    static unsigned char buf[3 + 2 * N];
    buf[0] = 0x3a;
    buf[1] = (uint8_t)((2 * N) & 0x7f) | 0x80;
    buf[2] = (uint8_t)((2 * N) >> 7);
    for (size_t i = 0; i < N; i++) {
        buf[3 + 2 * i] = 0x2a; /* GraphProto.initializer, empty */
        buf[4 + 2 * i] = 0x00;
    }
    assert_true(sizeof(Onnx__TensorProto) >= 200);
    Onnx__ModelProto *m = NULL;

    f->ctx.lim.arena_bytes = f->ctx.perm->used + (uint64_t)N * 150;
    assert_int_equal(onnx_load_model_mem(&f->ctx, buf, sizeof buf, &m), LW_ERR_MODEL);
    assert_null(m);
    assert_non_null(strstr(diag_text(f), "unpacking needs more than the limit of"));
    /* The failed unpack gave its memory back. */
    assert_int_equal(f->ctx.perm->used, 0);

    f->ctx.lim.arena_bytes = f->ctx.perm->used + (uint64_t)N * 400;
    assert_int_equal(onnx_load_model_mem(&f->ctx, buf, sizeof buf, &m), LW_OK);
    assert_int_equal(m->graph->n_initializer, N);
}

static void test_load_bad_packed_data_is_error(void **state)
{
    Fixture *f = *state;
    /* graph { initializer { float_data: 3 bytes, not a multiple of 4 } } */
    static const unsigned char buf[] = {0x3a, 0x07, 0x2a, 0x05, 0x22, 0x03, 1, 2, 3};
    Onnx__ModelProto *m = NULL;

    assert_int_equal(onnx_load_model_mem(&f->ctx, buf, sizeof buf, &m), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "protobuf-c cannot decode it"));
}

static void test_load_tensor_file(void **state)
{
    Fixture *f = *state;
    static const float vals[6] = {1, 2, 3, 4, 5, 6};
    int64_t dims[2] = {2, 3};
    Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT;
    t.n_dims = 2;
    t.dims = dims;
    t.has_data_type = 1;
    t.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t.name = "x";
    t.n_float_data = 6;
    t.float_data = (float *)vals;
    size_t len = onnx__tensor_proto__get_packed_size(&t);
    unsigned char *buf = malloc(len);
    assert_non_null(buf);
    assert_int_equal(onnx__tensor_proto__pack(&t, buf), len);
    write_file(f->path, buf, len);
    free(buf);
    Onnx__TensorProto *out = NULL;

    assert_int_equal(onnx_load_tensor(&f->ctx, f->path, &out), LW_OK);
    assert_string_equal(out->name, "x");
    assert_int_equal(out->n_dims, 2);
    assert_int_equal(out->dims[1], 3);
    assert_int_equal(out->n_float_data, 6);
    assert_true(out->float_data[5] == 6.0f);
    assert_int_equal(f->diag.errors, 0);
}

static void test_load_bad_tensor_file_names_the_file(void **state)
{
    Fixture *f = *state;
    static const unsigned char bad[] = {0x1a, 0x02, 0x08, 0x81};
    Onnx__TensorProto *out = NULL;
    char want[160];

    write_file(f->path, bad, sizeof bad);
    assert_int_equal(onnx_load_tensor(&f->ctx, f->path, &out), LW_ERR_MODEL);
    assert_int_equal(f->diag.errors, 1);
    snprintf(want, sizeof want, "%s: error: not an ONNX tensor: field 1 at byte 2", f->path);
    assert_non_null(strstr(diag_text(f), want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_valid_model_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_valid_model_mem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_empty_file_is_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_missing_file_is_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_file_over_size_cap_is_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_model_without_graph_is_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_random_bytes_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_every_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_rejects_deep_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_memory_budget_overrun_is_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_bad_packed_data_is_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_tensor_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_bad_tensor_file_names_the_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
