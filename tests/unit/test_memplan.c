/* Unit tests for passes/memplan.c on synthetic programs: kernels built by hand
 * touch arena buffers in known orders, then pass_memplan.run places them. */
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
#include "passes/pass.h"
#include "tests/unit/test_util.h"

typedef struct Fixture {
    Ctx ctx;
    Diag diag;
    FILE *out;
    Graph *g;
    NodeId node;
    Program *prog;
    KBuilder kb;
    char text[4096];
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    if (!f || test_ctx_open(&f->ctx, &f->diag, &f->out) != 0) {
        free(f);
        return -1;
    }
    f->ctx.verify = 1; /* memplan's own pairwise check runs too */
    f->g = graph_new(f->ctx.perm);
    int known;
    const OpDef *relu = op_lookup("", "Relu", 13, &known);
    if (!relu)
        return -1;
    ValueId x = graph_add_value(f->ctx.perm, f->g, "x", DT_FLOAT32);
    SrcLoc loc = {"n", "Relu", "", 13, ""};
    f->node = graph_add_node(f->ctx.perm, f->g, relu, &loc, 1, &x, 1, NULL);
    f->ctx.g = f->g;
    f->prog = kir_program_new(f->ctx.perm);
    f->ctx.prog = f->prog;
    uint32_t *val_buf = arena_array(f->ctx.perm, uint32_t, f->g->values.len);
    kb_init(&f->kb, &f->ctx, f->prog, f->g, val_buf);
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

static uint32_t arena_buf(Fixture *f, DType dt, uint64_t nelem)
{
    return kir_add_buf(f->ctx.perm, f->prog, KB_ARENA, dt, nelem, 0);
}

/* One kernel: stores into `wr` buffers (element 0) the value loaded from
 * `rd` buffers (element 0), all as float32 or the buffer's own type. */
static void kernel(Fixture *f, const uint32_t *rd, uint32_t nrd, const uint32_t *wr, uint32_t nwr)
{
    kb_begin(&f->kb, graph_node(f->g, f->node), NULL);
    for (uint32_t i = 0; i < nwr; i++) {
        DType dt = f->prog->bufs.data[wr[i]].dtype;
        KExpr *v = kb_const_i(&f->kb, dt, 1);
        for (uint32_t j = 0; j < nrd; j++)
            v = kb_op(&f->kb, KOP_ADD, v, kb_cast(&f->kb, dt, kb_load(&f->kb, rd[j], kidx_const(0))));
        kb_store(&f->kb, wr[i], kidx_const(0), v);
    }
    if (nwr == 0) { /* reads only: keep them in a local */
        uint16_t l = kb_local(&f->kb, ktype(DT_FLOAT32));
        for (uint32_t j = 0; j < nrd; j++)
            kb_set(&f->kb, l, kb_cast(&f->kb, DT_FLOAT32, kb_load(&f->kb, rd[j], kidx_const(0))));
    }
    kb_end(&f->kb);
}

static void kernel1(Fixture *f, uint32_t rd, uint32_t wr)
{
    kernel(f, &rd, 1, &wr, 1);
}

static void kernel_w(Fixture *f, uint32_t wr)
{
    kernel(f, NULL, 0, &wr, 1);
}

static const MemSlot *slot_of(const MemPlan *p, uint32_t buf)
{
    for (uint32_t i = 0; i < p->nslots; i++)
        if (p->slots[i].buf == buf)
            return &p->slots[i];
    return NULL;
}

static LwStatus plan(Fixture *f)
{
    ArenaMark m = arena_mark(f->ctx.scratch);
    LwStatus st = pass_memplan.run(&f->ctx);
    arena_reset(f->ctx.scratch, m);
    return st;
}

/* Every pair of slots alive in the same kernel is disjoint in the arena;
 * offsets aligned; arena_size is the largest end. */
static void check_plan(Fixture *f)
{
    const MemPlan *p = f->ctx.plan;
    assert_non_null(p);
    uint64_t max_end = 0;
    for (uint32_t a = 0; a < p->nslots; a++) {
        const MemSlot *x = &p->slots[a];
        assert_int_equal(x->offset % 16, 0);
        assert_int_equal(x->size % 16, 0);
        assert_int_equal(f->prog->bufs.data[x->buf].offset, x->offset);
        if (x->offset + x->size > max_end)
            max_end = x->offset + x->size;
        for (uint32_t b = a + 1; b < p->nslots; b++) {
            const MemSlot *y = &p->slots[b];
            int time = x->first <= y->last && y->first <= x->last;
            int space = x->offset < y->offset + y->size && y->offset < x->offset + x->size;
            if (time && space)
                fail_msg("buffers %u and %u overlap", x->buf, y->buf);
        }
    }
    assert_int_equal(p->arena_size, max_end);
    assert_int_equal(p->arena_align, 16);
}

static void test_memplan_disjoint_lifetimes_share_offset(void **state)
{
    Fixture *f = *state;
    uint32_t a = arena_buf(f, DT_FLOAT32, 100), b = arena_buf(f, DT_FLOAT32, 100);
    kernel_w(f, a); /* k0: a */
    kernel_w(f, b); /* k1: b */
    assert_int_equal(plan(f), LW_OK);
    check_plan(f);
    assert_int_equal(slot_of(f->ctx.plan, a)->offset, 0);
    assert_int_equal(slot_of(f->ctx.plan, b)->offset, 0);
    assert_int_equal(f->ctx.plan->arena_size, 400);
}

static void test_memplan_overlapping_lifetimes_get_disjoint_ranges(void **state)
{
    Fixture *f = *state;
    uint32_t a = arena_buf(f, DT_FLOAT32, 100), b = arena_buf(f, DT_FLOAT32, 100);
    kernel_w(f, a);       /* k0 */
    kernel1(f, a, b);     /* k1: a -> b, both live */
    assert_int_equal(plan(f), LW_OK);
    check_plan(f);
    const MemSlot *sa = slot_of(f->ctx.plan, a), *sb = slot_of(f->ctx.plan, b);
    assert_int_equal(sa->first, 0);
    assert_int_equal(sa->last, 1);
    assert_int_equal(sb->first, 1);
    assert_int_equal(sb->last, 1);
    assert_true(sa->offset + sa->size <= sb->offset || sb->offset + sb->size <= sa->offset);
    assert_int_equal(f->ctx.plan->arena_size, 800);
}

static void test_memplan_live_across_untouched_kernel(void **state)
{
    Fixture *f = *state;
    /* a is written in k0 and read in k2: it is live in k1, where b lives */
    uint32_t a = arena_buf(f, DT_FLOAT32, 4), b = arena_buf(f, DT_FLOAT32, 4),
             c = arena_buf(f, DT_FLOAT32, 4);
    kernel_w(f, a);
    kernel_w(f, b);
    kernel1(f, a, c);
    assert_int_equal(plan(f), LW_OK);
    check_plan(f);
    assert_int_not_equal(slot_of(f->ctx.plan, a)->offset, slot_of(f->ctx.plan, b)->offset);
    assert_int_equal(slot_of(f->ctx.plan, a)->last, 2);
}

/* In place (KBuf.alias): b takes a's storage when a dies in the kernel b is born in and the
 * sizes match; the alias stays set. Otherwise it is cleared (the printers then keep
 * restrict) and the two get disjoint ranges. */
static void test_memplan_in_place_when_input_dies(void **state)
{
    Fixture *f = *state;
    uint32_t a = arena_buf(f, DT_FLOAT32, 100), b = arena_buf(f, DT_FLOAT32, 100),
             c = arena_buf(f, DT_FLOAT32, 100), d = arena_buf(f, DT_FLOAT32, 100),
             e = arena_buf(f, DT_FLOAT32, 50);
    f->prog->bufs.data[b].alias = a + 1; /* a dies in k1: taken */
    f->prog->bufs.data[c].alias = b + 1; /* b is read in k3 after c's k2: not taken */
    f->prog->bufs.data[e].alias = c + 1; /* c dies in k3, but e is smaller: not taken */
    kernel_w(f, a);                      /* k0 */
    kernel1(f, a, b);                    /* k1 */
    kernel1(f, b, c);                    /* k2 */
    const uint32_t rd[2] = {b, c}, wr[2] = {d, e};
    kernel(f, rd, 2, wr, 2); /* k3 */
    assert_int_equal(plan(f), LW_OK);
    check_plan(f);
    const KBuf *bb = f->prog->bufs.data;
    assert_int_equal(bb[b].alias, a + 1);
    assert_int_equal(bb[b].offset, bb[a].offset);
    assert_null(slot_of(f->ctx.plan, b));
    assert_int_equal(slot_of(f->ctx.plan, a)->last, 3); /* a's slot holds b's lifetime */
    assert_int_equal(bb[c].alias, 0);
    assert_int_equal(bb[e].alias, 0);
    assert_int_not_equal(bb[c].offset, bb[b].offset);
    /* k3: b (in a's storage), c, d, e live: 400 + 400 + 400 + 208 */
    assert_int_equal(f->ctx.plan->arena_size, 1408);
    /* the printers' test: b and a share storage in k1; c's alias was not taken */
    uint8_t u[5] = {0};
    u[a] = u[b] = 1;
    kir_mark_shared(f->prog, u);
    assert_true(u[a] & KU_SHARED);
    assert_true(u[b] & KU_SHARED);
    memset(u, 0, sizeof u);
    u[b] = u[c] = 1;
    kir_mark_shared(f->prog, u);
    assert_false(u[c] & KU_SHARED);
}

/* A chain (stacked layers, each output over the input before it): all in the first one's
 * storage, its slot over the whole chain's lifetime. */
static void test_memplan_in_place_chain(void **state)
{
    Fixture *f = *state;
    uint32_t a = arena_buf(f, DT_FLOAT32, 64), b = arena_buf(f, DT_FLOAT32, 64),
             c = arena_buf(f, DT_FLOAT32, 64), d = arena_buf(f, DT_FLOAT32, 64);
    f->prog->bufs.data[b].alias = a + 1;
    f->prog->bufs.data[c].alias = b + 1;
    kernel_w(f, a);   /* k0 */
    kernel1(f, a, b); /* k1 */
    kernel1(f, b, c); /* k2 */
    kernel1(f, c, d); /* k3 */
    assert_int_equal(plan(f), LW_OK);
    check_plan(f);
    const KBuf *bb = f->prog->bufs.data;
    assert_int_equal(bb[b].offset, bb[a].offset);
    assert_int_equal(bb[c].offset, bb[a].offset);
    assert_int_equal(bb[b].alias, a + 1);
    assert_int_equal(bb[c].alias, b + 1);
    assert_int_equal(slot_of(f->ctx.plan, a)->last, 3);
    assert_int_equal(f->ctx.plan->nslots, 2);
    assert_int_equal(f->ctx.plan->arena_size, 512); /* k3: c (in a's storage) and d */
}

static void test_memplan_sizes_round_up_to_16(void **state)
{
    Fixture *f = *state;
    uint32_t a = arena_buf(f, DT_FLOAT32, 5), b = arena_buf(f, DT_INT8, 1),
             c = arena_buf(f, DT_INT64, 2), d = arena_buf(f, DT_UINT8, 17);
    const uint32_t all[4] = {a, b, c, d};
    kernel(f, NULL, 0, all, 4);
    assert_int_equal(plan(f), LW_OK);
    check_plan(f);
    assert_int_equal(slot_of(f->ctx.plan, a)->size, 32);
    assert_int_equal(slot_of(f->ctx.plan, b)->size, 16);
    assert_int_equal(slot_of(f->ctx.plan, c)->size, 16);
    assert_int_equal(slot_of(f->ctx.plan, d)->size, 32);
    assert_int_equal(f->ctx.plan->arena_size, 96);
}

static void test_memplan_largest_first_then_first_use_then_id(void **state)
{
    Fixture *f = *state;
    uint32_t small = arena_buf(f, DT_FLOAT32, 4), big = arena_buf(f, DT_FLOAT32, 64),
             t1 = arena_buf(f, DT_FLOAT32, 8), t2 = arena_buf(f, DT_FLOAT32, 8);
    const uint32_t all[4] = {small, big, t1, t2};
    kernel(f, NULL, 0, all, 4);
    assert_int_equal(plan(f), LW_OK);
    check_plan(f);
    const MemPlan *p = f->ctx.plan;
    assert_int_equal(p->slots[0].buf, big);
    assert_int_equal(p->slots[1].buf, t1);
    assert_int_equal(p->slots[2].buf, t2);
    assert_int_equal(p->slots[3].buf, small);
    assert_int_equal(slot_of(p, big)->offset, 0);
    assert_int_equal(slot_of(p, t1)->offset, 256);
    assert_int_equal(slot_of(p, t2)->offset, 288);
    assert_int_equal(slot_of(p, small)->offset, 320);
    assert_int_equal(p->arena_size, 336);
}

static void test_memplan_small_buffer_reuses_gap_of_dead_one(void **state)
{
    Fixture *f = *state;
    /* x: k0-k2 (64 B), y: k0 only (64 B), z: k1-k2 (32 B) fits where y was */
    uint32_t x = arena_buf(f, DT_FLOAT32, 16), y = arena_buf(f, DT_FLOAT32, 16),
             z = arena_buf(f, DT_FLOAT32, 8);
    const uint32_t k0[2] = {x, y};
    kernel(f, NULL, 0, k0, 2);
    kernel1(f, x, z);
    const uint32_t k2[2] = {x, z};
    kernel(f, k2, 2, NULL, 0);
    assert_int_equal(plan(f), LW_OK);
    check_plan(f);
    assert_int_equal(slot_of(f->ctx.plan, x)->offset, 0);
    assert_int_equal(slot_of(f->ctx.plan, y)->offset, 64);
    assert_int_equal(slot_of(f->ctx.plan, z)->offset, 64);
    assert_int_equal(f->ctx.plan->arena_size, 128);
}

static void test_memplan_fills_first_gap_that_fits(void **state)
{
    Fixture *f = *state;
    /* k0: a(64 B) m(64 B) c(32 B); k1: a, c and d(16 B). m dies after k0 and
     * leaves a hole between a and c: d takes it */
    uint32_t a = arena_buf(f, DT_FLOAT32, 16), m = arena_buf(f, DT_FLOAT32, 16),
             c = arena_buf(f, DT_FLOAT32, 8), d = arena_buf(f, DT_FLOAT32, 4);
    const uint32_t k0[3] = {a, m, c};
    kernel(f, NULL, 0, k0, 3);
    const uint32_t k1r[2] = {a, c};
    kernel(f, k1r, 2, &d, 1);
    assert_int_equal(plan(f), LW_OK);
    check_plan(f);
    assert_int_equal(slot_of(f->ctx.plan, a)->offset, 0);
    assert_int_equal(slot_of(f->ctx.plan, m)->offset, 64);
    assert_int_equal(slot_of(f->ctx.plan, c)->offset, 128);
    assert_int_equal(slot_of(f->ctx.plan, d)->offset, 64);
    assert_int_equal(f->ctx.plan->arena_size, 160);
}

static void test_memplan_skips_untouched_and_non_arena_buffers(void **state)
{
    Fixture *f = *state;
    uint32_t in = kir_add_buf(f->ctx.perm, f->prog, KB_INPUT, DT_FLOAT32, 1000, 0);
    uint32_t out = kir_add_buf(f->ctx.perm, f->prog, KB_OUTPUT, DT_FLOAT32, 1000, 0);
    uint32_t unused = arena_buf(f, DT_FLOAT32, 1000);
    uint32_t a = arena_buf(f, DT_FLOAT32, 4);
    kernel1(f, in, a);
    kernel1(f, a, out);
    assert_int_equal(plan(f), LW_OK);
    check_plan(f);
    assert_int_equal(f->ctx.plan->nslots, 1);
    assert_null(slot_of(f->ctx.plan, unused));
    assert_null(slot_of(f->ctx.plan, in));
    assert_int_equal(f->ctx.plan->arena_size, 16);
}

static void test_memplan_empty_program_has_empty_arena(void **state)
{
    Fixture *f = *state;
    assert_int_equal(plan(f), LW_OK);
    assert_int_equal(f->ctx.plan->nslots, 0);
    assert_int_equal(f->ctx.plan->arena_size, 0);
}

static void test_memplan_size_overflow_is_model_error(void **state)
{
    Fixture *f = *state;
    uint32_t a = arena_buf(f, DT_FLOAT32, UINT64_MAX / 2);
    kernel_w(f, a);
    assert_int_equal(plan(f), LW_ERR_MODEL);
    assert_non_null(strstr(diag_text(f), "overflows"));
}

/* Regression (was a bug in passes/memplan.c run): the size is rounded up with
 * `(size + 15) & ~15` without an overflow check, so a buffer of
 * 2^64 - 4 bytes wraps to size 0, gets offset 0 and the plan succeeds with
 * arena_size 0. Models cannot reach it today (element counts are checked
 * earlier), so skipped until the rounding is checked. */
static void test_memplan_rounding_overflow_is_model_error(void **state)
{
    Fixture *f = *state;
    uint32_t a = arena_buf(f, DT_UINT8, UINT64_MAX - 3);
    kernel_w(f, a);
    assert_int_equal(plan(f), LW_ERR_MODEL);
}

static void test_memplan_random_programs_never_overlap_and_are_deterministic(void **state)
{
    Fixture *f = *state;
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    enum { NB = 40, NK = 16 };
    uint32_t bufs[NB];
    for (int i = 0; i < NB; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        bufs[i] = arena_buf(f, DT_FLOAT32, 1 + (s >> 33) % 300);
    }
    for (int k = 0; k < NK; k++) {
        uint32_t wr[NB], rd[NB], nwr = 0, nrd = 0;
        for (int i = 0; i < NB; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(s >> 40) % 8;
            if (r == 0)
                wr[nwr++] = bufs[i];
            else if (r == 1)
                rd[nrd++] = bufs[i];
        }
        kernel(f, rd, nrd, wr, nwr);
    }
    assert_int_equal(plan(f), LW_OK);
    check_plan(f);
    const MemPlan *p1 = f->ctx.plan;
    uint64_t off1[NB];
    for (int i = 0; i < NB; i++)
        off1[i] = f->prog->bufs.data[bufs[i]].offset;
    /* a plan never needs more than all buffers side by side */
    uint64_t total = 0;
    for (uint32_t i = 0; i < p1->nslots; i++)
        total += p1->slots[i].size;
    assert_true(p1->arena_size <= total);
    assert_int_equal(plan(f), LW_OK);
    assert_ptr_not_equal(f->ctx.plan, p1);
    assert_int_equal(f->ctx.plan->arena_size, p1->arena_size);
    for (int i = 0; i < NB; i++)
        assert_int_equal(f->prog->bufs.data[bufs[i]].offset, off1[i]);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_memplan_disjoint_lifetimes_share_offset),
        T(test_memplan_overlapping_lifetimes_get_disjoint_ranges),
        T(test_memplan_live_across_untouched_kernel),
        T(test_memplan_in_place_when_input_dies),
        T(test_memplan_in_place_chain),
        T(test_memplan_sizes_round_up_to_16),
        T(test_memplan_largest_first_then_first_use_then_id),
        T(test_memplan_small_buffer_reuses_gap_of_dead_one),
        T(test_memplan_fills_first_gap_that_fits),
        T(test_memplan_skips_untouched_and_non_arena_buffers),
        T(test_memplan_empty_program_has_empty_arena),
        T(test_memplan_size_overflow_is_model_error),
        T(test_memplan_rounding_overflow_is_model_error),
        T(test_memplan_random_programs_never_overlap_and_are_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
