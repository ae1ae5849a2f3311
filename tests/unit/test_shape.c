/* Unit tests for ir/shape.c: checked element counts, numpy broadcasting,
 * broadcast strides and axis normalization. */
#include "ir/shape.h"

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
#include "tests/unit/test_util.h"

typedef struct Fixture {
    Ctx ctx;
    Diag diag;
    FILE *out;
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    if (!f || test_ctx_open(&f->ctx, &f->diag, &f->out) != 0) {
        free(f);
        return -1;
    }
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

static Shape mk(uint8_t rank, int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
    const int64_t d[4] = {d0, d1, d2, d3};
    return shape_make(rank, d);
}

static void assert_shape(const Shape *s, uint8_t rank, const int64_t *dims)
{
    assert_int_equal(s->rank, rank);
    for (uint8_t i = 0; i < rank; i++)
        assert_int_equal(s->dims[i], dims[i]);
}

static void test_shape_numel_overflow_is_error(void **state)
{
    (void)state;
    Shape s = {.rank = 3, .dims = {INT64_C(1) << 40, INT64_C(1) << 40, 4}};
    uint64_t n = 12345;
    assert_false(shape_numel(&s, &n));
    assert_int_equal(n, 12345); /* untouched on failure */
}

static void test_shape_numel_largest_fitting_product_is_exact(void **state)
{
    (void)state;
    /* 2^32 * 2^31 * 2 = 2^64 overflows; 2^32 * 2^31 * 1 does not */
    Shape big = {.rank = 3, .dims = {INT64_C(1) << 32, INT64_C(1) << 31, 2}};
    Shape ok = {.rank = 3, .dims = {INT64_C(1) << 32, INT64_C(1) << 31, 1}};
    uint64_t n;
    assert_false(shape_numel(&big, &n));
    assert_true(shape_numel(&ok, &n));
    assert_true(n == UINT64_C(1) << 63);
}

static void test_shape_numel_scalar_zero_and_unknown(void **state)
{
    (void)state;
    Shape scalar = {.rank = 0};
    Shape zero = {.rank = 3, .dims = {4, 0, INT64_C(1) << 62}};
    Shape unknown = {.rank = 2, .dims = {-1, 3}};
    uint64_t n;
    assert_true(shape_numel(&scalar, &n));
    assert_int_equal(n, 1);
    assert_true(shape_numel(&zero, &n));
    assert_int_equal(n, 0);
    assert_false(shape_numel(&unknown, &n));
    assert_false(shape_is_static(&unknown));
    assert_true(shape_is_static(&zero));
    assert_int_equal(shape_count(&scalar), 1);
}

static void test_shape_zero_dim_before_huge_dims_is_not_overflow(void **state)
{
    (void)state;
    Shape s = {.rank = 3, .dims = {0, INT64_C(1) << 62, INT64_C(1) << 62}};
    uint64_t n = 1;
    assert_true(shape_numel(&s, &n));
    assert_int_equal(n, 0);
}

static void test_shape_broadcast_compatible_shapes(void **state)
{
    (void)state;
    Shape a = mk(4, 1, 3, 4, 5), b = mk(3, 3, 1, 1, 0), out;
    assert_true(shape_broadcast(&a, &b, &out));
    assert_shape(&out, 4, (const int64_t[]){1, 3, 4, 5});
    /* both sides broadcast: [2,1,4] x [3,1] -> [2,3,4] */
    a = mk(3, 2, 1, 4, 0);
    b = mk(2, 3, 1, 0, 0);
    assert_true(shape_broadcast(&a, &b, &out));
    assert_shape(&out, 3, (const int64_t[]){2, 3, 4});
    assert_true(shape_broadcast(&b, &a, &out)); /* symmetric */
    assert_shape(&out, 3, (const int64_t[]){2, 3, 4});
}

static void test_shape_broadcast_rank_extension_with_scalar(void **state)
{
    (void)state;
    Shape a = mk(3, 2, 3, 4, 0), s = {.rank = 0}, out;
    assert_true(shape_broadcast(&a, &s, &out));
    assert_shape(&out, 3, (const int64_t[]){2, 3, 4});
    assert_true(shape_broadcast(&s, &s, &out));
    assert_int_equal(out.rank, 0);
    Shape one = mk(1, 4, 0, 0, 0);
    assert_true(shape_broadcast(&one, &a, &out));
    assert_shape(&out, 3, (const int64_t[]){2, 3, 4});
}

static void test_shape_broadcast_zero_against_one_gives_zero(void **state)
{
    (void)state;
    Shape a = mk(2, 0, 3, 0, 0), b = mk(2, 1, 3, 0, 0), out;
    assert_true(shape_broadcast(&a, &b, &out));
    assert_shape(&out, 2, (const int64_t[]){0, 3});
    assert_true(shape_broadcast(&b, &a, &out));
    assert_shape(&out, 2, (const int64_t[]){0, 3});
}

static void test_shape_broadcast_incompatible_is_false(void **state)
{
    (void)state;
    Shape a = mk(3, 2, 3, 4, 0), b = mk(1, 3, 0, 0, 0), out = mk(1, 77, 0, 0, 0);
    assert_false(shape_broadcast(&a, &b, &out));
    assert_shape(&out, 1, (const int64_t[]){77}); /* untouched */
    Shape c = mk(2, 2, 1, 0, 0), d = mk(2, 3, 1, 0, 0);
    assert_false(shape_broadcast(&c, &d, &out));
    Shape z = mk(1, 0, 0, 0, 0), t = mk(1, 2, 0, 0, 0);
    assert_false(shape_broadcast(&z, &t, &out));
}

static void test_shape_strides_row_major(void **state)
{
    (void)state;
    Shape s = mk(4, 2, 3, 4, 5);
    int64_t st[LW_MAX_RANK];
    shape_strides(&s, st);
    assert_int_equal(st[0], 60);
    assert_int_equal(st[1], 20);
    assert_int_equal(st[2], 5);
    assert_int_equal(st[3], 1);
}

static void test_shape_bcast_strides_zero_for_broadcast_dims(void **state)
{
    (void)state;
    /* [3,1,1] against [1,3,4,5]: missing leading dim and size-1 dims get 0 */
    Shape s = mk(3, 3, 1, 1, 0), out = mk(4, 1, 3, 4, 5);
    int64_t st[LW_MAX_RANK];
    shape_bcast_strides(&s, &out, st);
    assert_int_equal(st[0], 0);
    assert_int_equal(st[1], 1);
    assert_int_equal(st[2], 0);
    assert_int_equal(st[3], 0);
    /* [4] against [2,3,4] */
    Shape v = mk(1, 4, 0, 0, 0), o2 = mk(3, 2, 3, 4, 0);
    shape_bcast_strides(&v, &o2, st);
    assert_int_equal(st[0], 0);
    assert_int_equal(st[1], 0);
    assert_int_equal(st[2], 1);
    /* same shape: plain strides */
    shape_bcast_strides(&o2, &o2, st);
    assert_int_equal(st[0], 12);
    assert_int_equal(st[1], 4);
    assert_int_equal(st[2], 1);
}

static void test_shape_bcast_strides_address_every_element_once(void **state)
{
    (void)state;
    /* [2,1,4] against [2,3,4]: element (i,j,k) reads a[i,0,k] */
    Shape a = mk(3, 2, 1, 4, 0), o = mk(3, 2, 3, 4, 0);
    int64_t st[LW_MAX_RANK];
    shape_bcast_strides(&a, &o, st);
    for (int64_t i = 0; i < 2; i++)
        for (int64_t j = 0; j < 3; j++)
            for (int64_t k = 0; k < 4; k++)
                assert_int_equal(i * st[0] + j * st[1] + k * st[2], i * 4 + k);
}

static void test_shape_axis_normalizes_and_rejects(void **state)
{
    (void)state;
    int64_t ax = 99;
    assert_true(shape_axis(0, 4, &ax));
    assert_int_equal(ax, 0);
    assert_true(shape_axis(3, 4, &ax));
    assert_int_equal(ax, 3);
    assert_true(shape_axis(-1, 4, &ax));
    assert_int_equal(ax, 3);
    assert_true(shape_axis(-4, 4, &ax));
    assert_int_equal(ax, 0);
    ax = 99;
    assert_false(shape_axis(4, 4, &ax));
    assert_false(shape_axis(-5, 4, &ax));
    assert_false(shape_axis(0, 0, &ax));
    assert_false(shape_axis(INT64_MIN, 4, &ax));
    assert_false(shape_axis(INT64_MAX, 4, &ax));
    assert_int_equal(ax, 99);
}

static void test_shape_equal_compares_rank_and_dims(void **state)
{
    (void)state;
    Shape a = mk(2, 3, 4, 0, 0), b = mk(2, 3, 4, 0, 0), c = mk(3, 3, 4, 1, 0),
          d = mk(2, 4, 3, 0, 0);
    assert_true(shape_equal(&a, &b));
    assert_false(shape_equal(&a, &c));
    assert_false(shape_equal(&a, &d));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shape_numel_overflow_is_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_numel_largest_fitting_product_is_exact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shape_numel_scalar_zero_and_unknown, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shape_zero_dim_before_huge_dims_is_not_overflow,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_broadcast_compatible_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_broadcast_rank_extension_with_scalar, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shape_broadcast_zero_against_one_gives_zero, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shape_broadcast_incompatible_is_false, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shape_strides_row_major, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_bcast_strides_zero_for_broadcast_dims, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shape_bcast_strides_address_every_element_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_axis_normalizes_and_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_equal_compares_rank_and_dims, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
