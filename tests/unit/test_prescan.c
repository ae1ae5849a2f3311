/* Unit tests for frontend/prescan.c: the wire-format walk that guards
 * protobuf-c against hostile bytes (depth, lengths, truncation, limits). */
#include "frontend/prescan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "include/lwcc/ctx.h"
#include "include/lwcc/diag.h"
#include "onnx.pb-c.h"

typedef struct Fixture {
    Diag diag;
    FILE *out;
    LwLimits lim;
    char text[4096]; /* diagnostics read back by diag_text */
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->out = tmpfile();
    if (!f->out) {
        free(f);
        return -1;
    }
    diag_init(&f->diag, "model.onnx", f->out);
    f->lim = lw_default_limits();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    fclose(f->out);
    free(f);
    return 0;
}

/* The first bytes of everything diagnosed so far. */
static const char *diag_text(Fixture *f)
{
    fflush(f->out);
    rewind(f->out);
    size_t n = fread(f->text, 1, sizeof f->text - 1, f->out);
    f->text[n] = 0;
    fseek(f->out, 0, SEEK_END);
    return f->text;
}

/* A byte buffer built back to front, so that each message's length is known
 * when its header is prepended. */
typedef struct RevBuf {
    unsigned char *data;
    size_t cap, start; /* content is data[start, cap) */
} RevBuf;

static void rev_init(RevBuf *b, size_t cap)
{
    b->data = malloc(cap);
    assert_non_null(b->data);
    b->cap = b->start = cap;
}

static void rev_bytes(RevBuf *b, const unsigned char *p, size_t n)
{
    assert_true(n <= b->start);
    b->start -= n;
    memcpy(b->data + b->start, p, n);
}

static void rev_varint(RevBuf *b, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    rev_bytes(b, tmp, n);
}

/* Prepends the header of field `field` holding the `content_len` bytes that
 * were added last. */
static void rev_wrap(RevBuf *b, size_t content_len, uint32_t field)
{
    rev_varint(b, content_len);
    rev_varint(b, (uint64_t)field << 3 | 2);
}

static size_t rev_len(const RevBuf *b)
{
    return b->cap - b->start;
}

/* ModelProto.graph -> (GraphProto.node -> NodeProto.attribute ->
 * AttributeProto.g -> GraphProto) x levels: 3 messages per level. */
static void build_nested(RevBuf *b, unsigned levels)
{
    rev_init(b, (size_t)levels * 16 + 64);
    for (unsigned i = 0; i < levels; i++) {
        rev_wrap(b, rev_len(b), 6); /* AttributeProto.g */
        rev_wrap(b, rev_len(b), 5); /* NodeProto.attribute */
        rev_wrap(b, rev_len(b), 1); /* GraphProto.node */
    }
    rev_wrap(b, rev_len(b), 7); /* ModelProto.graph */
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

static void test_prescan_rejects_empty_buffer(void **state)
{
    Fixture *f = *state;
    static const unsigned char none[1] = {0};

    assert_int_equal(prescan_model(&f->diag, none, 0, &f->lim), LW_ERR_MODEL);
    assert_int_equal(prescan_tensor(&f->diag, none, 0, &f->lim), LW_ERR_MODEL);
    assert_int_equal(f->diag.errors, 2);
    assert_non_null(strstr(diag_text(f), "model.onnx: error: empty file, not an ONNX model\n"));
    assert_non_null(strstr(diag_text(f), "empty file, not an ONNX tensor"));
}

static void test_prescan_random_bytes_mostly_rejected_never_crash(void **state)
{
    Fixture *f = *state;
    uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
    unsigned char buf[512];
    unsigned rejected = 0, trials = 20000;

    for (unsigned t = 0; t < trials; t++) {
        size_t len = 1 + (size_t)(xorshift(&seed) % sizeof buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)xorshift(&seed);
        uint32_t before = f->diag.errors;
        LwStatus st = prescan_model(&f->diag, buf, len, &f->lim);
        assert_true(st == LW_OK || st == LW_ERR_MODEL);
        /* A rejection always says why, exactly once. */
        assert_int_equal(f->diag.errors, before + (st == LW_ERR_MODEL));
        rejected += st == LW_ERR_MODEL;
    }
    assert_true(rejected > trials - trials / 100);
}

static void test_prescan_accepts_nesting_within_limit(void **state)
{
    Fixture *f = *state;
    RevBuf b;

    build_nested(&b, 21); /* 63 levels below ModelProto */
    assert_int_equal(prescan_model(&f->diag, b.data + b.start, rev_len(&b), &f->lim), LW_OK);
    assert_int_equal(f->diag.errors, 0);
    free(b.data);
}

static void test_prescan_rejects_nesting_over_limit(void **state)
{
    Fixture *f = *state;
    RevBuf b;

    build_nested(&b, 10000);
    assert_int_equal(prescan_model(&f->diag, b.data + b.start, rev_len(&b), &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "message nesting deeper than 64"));
    free(b.data);
}

static void test_prescan_depth_capped_whatever_the_limit(void **state)
{
    Fixture *f = *state;
    RevBuf b;

    f->lim.depth = UINT32_MAX;
    build_nested(&b, 10000);
    assert_int_equal(prescan_model(&f->diag, b.data + b.start, rev_len(&b), &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "message nesting deeper than 256"));
    free(b.data);
}

static void test_prescan_rejects_length_past_parent(void **state)
{
    Fixture *f = *state;
    /* graph (4 bytes) holds a node claiming 16 bytes; the file goes on. */
    static const unsigned char m[] = {
        0x3a, 0x04, 0x0a, 0x10, 0x00, 0x00, 0x08, 0x07, 0x12, 0x10, 'a', 'b', 'c',
        'd',  'e',  'f',  'g',  'h',  'i',  'j',  'k',  'l',  'm',  'n', 'o', 'p',
    };

    assert_int_equal(prescan_model(&f->diag, m, sizeof m, &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "not an ONNX model: field 1 at byte 2 runs past the end "
                                         "of its GraphProto (byte 6)"));
}

static void test_prescan_rejects_truncated_field(void **state)
{
    Fixture *f = *state;
    /* ir_version 8, then a graph of 32 bytes with only 3 present. */
    static const unsigned char m[] = {0x08, 0x08, 0x3a, 0x20, 0x0a, 0x00, 0x0a};

    assert_int_equal(prescan_model(&f->diag, m, sizeof m, &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "not an ONNX model: truncated field 7 at byte 2"));
}

static void test_prescan_rejects_truncated_varint(void **state)
{
    Fixture *f = *state;
    static const unsigned char m[] = {0x08, 0xff, 0xff};

    assert_int_equal(prescan_model(&f->diag, m, sizeof m, &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "truncated field 1 at byte 0"));
}

static void test_prescan_rejects_overlong_varint(void **state)
{
    Fixture *f = *state;
    static const unsigned char m[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0x01};

    assert_int_equal(prescan_model(&f->diag, m, sizeof m, &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "varint longer than 10 bytes"));
}

static void test_prescan_rejects_group_and_invalid_wire_types(void **state)
{
    Fixture *f = *state;
    static const unsigned char group[] = {0x0b, 0x0c};
    static const unsigned char wt7[] = {0x0f};

    assert_int_equal(prescan_model(&f->diag, group, sizeof group, &f->lim), LW_ERR_MODEL);
    assert_int_equal(prescan_model(&f->diag, wt7, sizeof wt7, &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "field 1 at byte 0 has wire type 3"));
    assert_non_null(strstr(diag_text(f), "field 1 at byte 0 has wire type 7"));
}

static void test_prescan_rejects_field_zero(void **state)
{
    Fixture *f = *state;
    static const unsigned char m[] = {0x00, 0x00};

    assert_int_equal(prescan_model(&f->diag, m, sizeof m, &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "bad field tag in ModelProto at byte 0"));
}

static void test_prescan_rejects_message_field_as_scalar(void **state)
{
    Fixture *f = *state;
    static const unsigned char m[] = {0x38, 0x01}; /* ModelProto.graph as a varint */

    assert_int_equal(prescan_model(&f->diag, m, sizeof m, &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "field 7 of ModelProto at byte 0 has wire type 0"));
}

static void test_prescan_rejects_length_over_2gib(void **state)
{
    Fixture *f = *state;
    static const unsigned char m[] = {0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, 'x'};

    assert_int_equal(prescan_model(&f->diag, m, sizeof m, &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "bad length of field 2 at byte 0"));
}

static void test_prescan_accepts_unknown_fields(void **state)
{
    Fixture *f = *state;
    /* field 99 bytes, field 100 fixed64, field 101 fixed32, inside a graph */
    static const unsigned char m[] = {0x3a, 0x15, 0x9a, 0x06, 0x02, 'h',  'i',  0xa1, 0x06, 1, 2, 3,
                                      4,    5,    6,    7,    8,    0xad, 0x06, 1,    2,    3, 4};

    assert_int_equal(prescan_model(&f->diag, m, sizeof m, &f->lim), LW_OK);
    assert_int_equal(f->diag.errors, 0);
}

static void test_prescan_tensor_root_is_tensorproto(void **state)
{
    Fixture *f = *state;
    /* TensorProto.segment (field 3) is a message; in a ModelProto field 3 is a
     * string, so only the tensor walk looks inside and finds the truncation. */
    static const unsigned char m[] = {0x1a, 0x02, 0x08, 0x81};

    assert_int_equal(prescan_model(&f->diag, m, sizeof m, &f->lim), LW_OK);
    assert_int_equal(prescan_tensor(&f->diag, m, sizeof m, &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "not an ONNX tensor: field 1 at byte 2 runs past the "
                                         "end of its TensorProto.Segment (byte 4)"));
}

static void test_prescan_rejects_node_count_over_limit(void **state)
{
    Fixture *f = *state;
    static const unsigned char m[] = {0x3a, 0x06, 0x0a, 0x00, 0x0a, 0x00, 0x0a, 0x00};

    f->lim.nodes = 3;
    assert_int_equal(prescan_model(&f->diag, m, sizeof m, &f->lim), LW_OK);
    f->lim.nodes = 2;
    assert_int_equal(prescan_model(&f->diag, m, sizeof m, &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "more than 2 nodes"));
}

static void test_prescan_rejects_memory_estimate_over_limit(void **state)
{
    Fixture *f = *state;
    RevBuf b;

    build_nested(&b, 20);
    f->lim.arena_bytes = 1000; /* 62 messages need at least 62 * 48 bytes */
    assert_int_equal(prescan_model(&f->diag, b.data + b.start, rev_len(&b), &f->lim), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "over the limit of 1000 bytes"));
    free(b.data);
}

/* Every prefix of a valid model: no crash, and any cut inside the graph field
 * (the last field here) is rejected. */
static void test_prescan_model_prefixes(void **state)
{
    Fixture *f = *state;
    RevBuf b;

    build_nested(&b, 5);
    static const unsigned char head[] = {0x08, 0x0a, 0x12, 0x04, 'l', 'w', 'c', 'c'};
    rev_bytes(&b, head, sizeof head);
    const unsigned char *m = b.data + b.start;
    size_t n = rev_len(&b);
    assert_int_equal(prescan_model(&f->diag, m, n, &f->lim), LW_OK);
    for (size_t len = 0; len < n; len++) {
        LwStatus st = prescan_model(&f->diag, m, len, &f->lim);
        if (len == 0 || len > sizeof head)
            assert_int_equal(st, LW_ERR_MODEL);
        else
            assert_true(st == LW_OK || st == LW_ERR_MODEL);
    }
    assert_int_equal(prescan_model(&f->diag, m, sizeof head, &f->lim), LW_OK);
    free(b.data);
}

/* The walk's schema table against protoc-c's descriptors: every message field
 * reachable from ModelProto and TensorProto must be listed with the right
 * type, or protobuf-c would recurse where the pre-scan did not look. */
static void test_prescan_schema_matches_onnx_proto(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *seen[64];
    size_t nseen = 0;

    seen[nseen++] = &onnx__model_proto__descriptor;
    seen[nseen++] = &onnx__tensor_proto__descriptor;
    for (size_t i = 0; i < nseen; i++) {
        const ProtobufCMessageDescriptor *md = seen[i];
        for (unsigned k = 0; k < md->n_fields; k++) {
            const ProtobufCFieldDescriptor *fd = &md->fields[k];
            const char *got = prescan_field_message(md->name, fd->id);
            if (fd->type != PROTOBUF_C_TYPE_MESSAGE) {
                if (got)
                    fail_msg("%s field %u is not a message, table says %s", md->name, fd->id, got);
                continue;
            }
            const ProtobufCMessageDescriptor *sub = fd->descriptor;
            if (!got || strcmp(got, sub->name) != 0)
                fail_msg("%s field %u holds %s, table says %s", md->name, fd->id, sub->name,
                         got ? got : "(nothing)");
            size_t j = 0;
            while (j < nseen && seen[j] != sub)
                j++;
            if (j == nseen) {
                assert_true(nseen < LW_COUNT(seen));
                seen[nseen++] = sub;
            }
        }
    }
    assert_int_equal(nseen, 21);
    assert_null(prescan_field_message("onnx.NoSuchProto", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prescan_rejects_empty_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prescan_random_bytes_mostly_rejected_never_crash,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_prescan_accepts_nesting_within_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prescan_rejects_nesting_over_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prescan_depth_capped_whatever_the_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_prescan_rejects_length_past_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prescan_rejects_truncated_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prescan_rejects_truncated_varint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prescan_rejects_overlong_varint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prescan_rejects_group_and_invalid_wire_types, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_prescan_rejects_field_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prescan_rejects_message_field_as_scalar, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_prescan_rejects_length_over_2gib, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prescan_accepts_unknown_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prescan_tensor_root_is_tensorproto, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prescan_rejects_node_count_over_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_prescan_rejects_memory_estimate_over_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_prescan_model_prefixes, setup, teardown),
        cmocka_unit_test(test_prescan_schema_matches_onnx_proto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
