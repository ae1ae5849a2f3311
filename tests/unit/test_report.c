/* Unit tests for codegen/report.c (the --report page): its numbers against the memory plan
 * and the kernel IR, escaping of model strings, remarks; and the --report flag through the
 * lwcc executable (written with the outputs only, model.c unchanged, not with dumps).
 * tests/integration/report_chromium.cmake opens the page in a browser. */
#define _POSIX_C_SOURCE 200809L /* popen, mkdtemp */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "codegen/emit.h"
#include "codegen/report.h"
#include "frontend/frontend.h"
#include "include/lwcc/lwcc.h"
#include "ir/kir.h"
#include "passes/pass.h"
#include "target/target.h"
#include "test_util.h"

#define LWCC LWCC_BINARY_DIR "/lwcc"
#define HOSTILE LWCC_SOURCE_DIR "/tests/integration/report/hostile_names.onnx"
#define SMALL_CNN LWCC_SOURCE_DIR "/tests/models/small_cnn/model.onnx"

typedef struct Fixture {
    Ctx ctx;
    Diag diag;
    FILE *out;
    LwOptions opt;
    StrBuf html;
    char dir[64];
    char text[65536]; /* output of the last lwcc run */
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/lwcc_test_report_XXXXXX");
    if (test_ctx_open(&f->ctx, &f->diag, &f->out) != 0 || !mkdtemp(f->dir))
        return -1;
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

/* Runs the pipeline as lwcc_compile does and prints the page into f->html. */
static void build(Fixture *f, const char *model, LwOptLevel level)
{
    memset(&f->opt, 0, sizeof f->opt);
    f->opt.input = model;
    f->opt.output = "m.c";
    f->opt.opt = level;
    f->opt.target = "generic";
    f->opt.diag_out = f->out;
    f->ctx.opt = &f->opt;
    f->ctx.target = target_find("generic");
    f->ctx.verify = 1;
    if (frontend_import(&f->ctx) != LW_OK || pipeline_run(&f->ctx) != LW_OK) {
        char buf[4096];
        fail_msg("compile of %s failed: %s", model, test_diag_text(f->out, buf, sizeof buf));
    }
    sb_init(&f->html, f->ctx.perm);
    report_html(&f->ctx, &f->html);
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(s, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

/* The number after `attr` (e.g. "id=\"bound\" data-bytes=\""), or UINT64_MAX. */
static uint64_t attr_u64(const char *s, const char *attr)
{
    const char *p = strstr(s, attr);
    return p ? strtoull(p + strlen(attr), NULL, 10) : UINT64_MAX;
}

static void expect(const char *s, const char *needle)
{
    if (!strstr(s, needle))
        fail_msg("missing \"%s\"", needle);
}

/* The text of table row `<tr id="L<k>"` up to its </tr>, in buf. */
static const char *row(const char *html, uint32_t k, char *buf, size_t size)
{
    char id[32];
    snprintf(id, sizeof id, "<tr id=\"L%u\"", k);
    const char *p = strstr(html, id);
    assert_non_null(p);
    const char *e = strstr(p, "</tr>");
    assert_non_null(e);
    size_t n = (size_t)(e - p) < size - 1 ? (size_t)(e - p) : size - 1;
    memcpy(buf, p, n);
    buf[n] = 0;
    return buf;
}

static void test_report_numbers_match_plan_and_program(void **state)
{
    Fixture *f = *state;
    static const char *const models[] = {HOSTILE, SMALL_CNN};
    for (size_t m = 0; m < LW_COUNT(models); m++) {
        build(f, models[m], m ? LW_O0 : LW_O2);
        const char *html = sb_cstr(&f->html);
        const Program *p = f->ctx.prog;
        const MemPlan *plan = f->ctx.plan;
        /* one rectangle per slot, one row per kernel */
        assert_int_equal(count(html, "<rect class=\"slot\""), plan->nslots);
        assert_int_equal(attr_u64(html, "data-slots=\""), plan->nslots);
        assert_int_equal(count(html, "<tr id=\"L"), p->kernels.len);
        /* the arena the header states */
        assert_int_equal(attr_u64(html, "id=\"arena-size\" data-bytes=\""), arena_bytes(&f->ctx));
        /* the bound: the largest sum of slot sizes live at one kernel */
        uint64_t bound = 0;
        for (uint32_t k = 0; k < p->kernels.len; k++) {
            uint64_t live = 0;
            for (uint32_t i = 0; i < plan->nslots; i++)
                if (plan->slots[i].first <= k && k <= plan->slots[i].last)
                    live += plan->slots[i].size;
            bound = live > bound ? live : bound;
        }
        assert_int_equal(attr_u64(html, "id=\"bound\" data-bytes=\""), bound);
        assert_true(bound <= plan->arena_size);
        uint64_t wsum = 0;
        for (uint32_t w = 0; w < p->weights.len; w++)
            wsum += p->weights.data[w].size;
        assert_int_equal(attr_u64(html, "id=\"weights\" data-bytes=\""), wsum);
        uint64_t macs = 0;
        for (uint32_t k = 0; k < p->kernels.len; k++)
            macs += report_macs(p, p->kernels.data[k].body);
        assert_int_equal(attr_u64(html, "data-macs=\""), macs);
        /* self-contained: nothing loaded from elsewhere */
        assert_null(strstr(html, "src="));
        assert_null(strstr(html, "<link"));
        assert_null(strstr(html, "@import"));
        assert_null(strstr(html, "url("));
        assert_int_equal(count(html, "<script"), 1);
        test_ctx_close(&f->ctx, f->out);
        memset(&f->ctx, 0, sizeof f->ctx);
        assert_int_equal(test_ctx_open(&f->ctx, &f->diag, &f->out), 0);
    }
}

/* Conv 3->4 3x3 on 6x6 (4*4*4*27) and Gemm 64->5: the textbook count, with no padding */
static void test_report_macs_of_hostile_model_are_textbook(void **state)
{
    Fixture *f = *state;
    build(f, HOSTILE, LW_O2);
    const char *html = sb_cstr(&f->html);
    assert_int_equal(attr_u64(html, "data-macs=\""), 2048);
    expect(html, "data-v=\"1728\">1,728</td>");
    expect(html, "data-v=\"320\">320</td>");
    /* -O2 fused the Relu into the Conv and folded the BatchNormalization away */
    expect(html, "+ fused <span class=\"op\">Relu</span> <span class=\"nm\">&#39;relu&amp;amp;"
                 "&#39;</span>");
    expect(html, "<h3>Computed at compile time or removed (");
    expect(html, "<span class=\"op\">BatchNormalization</span> <span class=\"nm\">&#39;bn &amp; "
                 "&#39;fold&#39;&#39;</span>");
    /* the Flatten is a view: no kernel */
    expect(html, "<span class=\"op\">Flatten</span> <span class=\"nm\">&#39;flat&lt;&gt;&#39;");
}

static void test_report_macs_counts_lanes_loops_and_integer_products(void **state)
{
    (void)state;
    KExpr c4 = {.kind = KE_CONST, .type = {DT_FLOAT32, 4}};
    KExpr fma = {.kind = KE_OP, .type = {DT_FLOAT32, 4}, .u.op = {KOP_FMA, {&c4, &c4, &c4}}};
    KStmt st = {.kind = KS_STORE, .u.store = {.buf = 0, .val = &fma}};
    KStmt inner = {.kind = KS_FOR, .u.loop = {.var = 1, .extent = 4, .body = &st}};
    KStmt outer = {.kind = KS_FOR, .u.loop = {.var = 0, .extent = 3, .body = &inner}};
    assert_int_equal(report_macs(NULL, &outer), 3 * 4 * 4);

    KExpr ci = {.kind = KE_CONST, .type = {DT_INT32, 1}};
    KExpr mul = {.kind = KE_OP, .type = {DT_INT32, 1}, .u.op = {KOP_MUL, {&ci, &ci, NULL}}};
    KExpr add = {.kind = KE_OP, .type = {DT_INT32, 1}, .u.op = {KOP_ADD, {&ci, &mul, NULL}}};
    KStmt set = {.kind = KS_SET, .u.set = {.local = 0, .val = &add}};
    KStmt guarded = {.kind = KS_IF, .u.cond = {.ncond = 0, .cond = NULL, .then = &set}};
    KStmt loop = {.kind = KS_FOR, .u.loop = {.var = 0, .extent = 5, .body = &guarded}};
    assert_int_equal(report_macs(NULL, &loop), 5);

    /* a float add of a product is not a MAC; an empty loop runs nothing */
    KExpr cf = {.kind = KE_CONST, .type = {DT_FLOAT32, 1}};
    KExpr fmul = {.kind = KE_OP, .type = {DT_FLOAT32, 1}, .u.op = {KOP_MUL, {&cf, &cf, NULL}}};
    KExpr fadd = {.kind = KE_OP, .type = {DT_FLOAT32, 1}, .u.op = {KOP_ADD, {&cf, &fmul, NULL}}};
    KStmt fst = {.kind = KS_STORE, .u.store = {.buf = 0, .val = &fadd}};
    KStmt empty = {.kind = KS_FOR, .u.loop = {.var = 0, .extent = 0, .body = &st}};
    KStmt *items[] = {&fst, &empty, &loop, &outer};
    KStmt seq = {.kind = KS_SEQ, .u.seq = {.items = items, .n = 4}};
    assert_int_equal(report_macs(NULL, &seq), 5 + 48);
}

/* A loop with a data-dependent trip count (CSR rows): the real counts read from the
 * row-pointer weight (2 + 0 + 3), or without the program the bound (3 rows of 3). */
static void test_report_macs_reads_dyn_trip_counts_from_weights(void **state)
{
    (void)state;
    static const unsigned char rowptr[4] = {0, 2, 2, 5};
    Weight w = {.bytes = rowptr, .size = 4};
    KBuf bufs[1] = {{.kind = KB_WEIGHT, .dtype = DT_UINT8, .nelem = 4, .slot = 0}};
    Program p;
    memset(&p, 0, sizeof p);
    p.bufs.data = bufs;
    p.bufs.len = 1;
    p.weights.data = &w;
    p.weights.len = 1;
    KExpr lo = {.kind = KE_LOAD,
                .type = {DT_UINT8, 1},
                .u.load = {.buf = 0, .idx = {.base = 0, .n = 1, .var = {0}, .coef = {1}}}};
    KExpr hi = {.kind = KE_LOAD,
                .type = {DT_UINT8, 1},
                .u.load = {.buf = 0, .idx = {.base = 1, .n = 1, .var = {0}, .coef = {1}}}};
    KExpr lo32 = {.kind = KE_CAST, .type = {DT_INT32, 1}, .u.cast = {&lo}};
    KExpr hi32 = {.kind = KE_CAST, .type = {DT_INT32, 1}, .u.cast = {&hi}};
    KExpr len = {.kind = KE_OP, .type = {DT_INT32, 1}, .u.op = {KOP_SUB, {&hi32, &lo32, NULL}}};
    KExpr cf = {.kind = KE_CONST, .type = {DT_FLOAT32, 1}};
    KExpr fma = {.kind = KE_OP, .type = {DT_FLOAT32, 1}, .u.op = {KOP_FMA, {&cf, &cf, &cf}}};
    KStmt set = {.kind = KS_SET, .u.set = {.local = 0, .val = &fma}};
    KStmt row = {.kind = KS_FOR, .u.loop = {.var = 1, .extent = 3, .body = &set, .dyn = &len}};
    KStmt rows = {.kind = KS_FOR, .u.loop = {.var = 0, .extent = 3, .body = &row}};
    assert_int_equal(report_macs(&p, &rows), 5);
    assert_int_equal(report_macs(NULL, &rows), 9);
    /* four positions around the rows: counted once, multiplied */
    KStmt pos = {.kind = KS_FOR, .u.loop = {.var = 2, .extent = 4, .body = &rows}};
    assert_int_equal(report_macs(&p, &pos), 20);
}

static void test_report_escapes_model_strings(void **state)
{
    Fixture *f = *state;
    build(f, HOSTILE, LW_O2);
    const char *html = sb_cstr(&f->html);
    expect(html, "&lt;script&gt;alert(&quot;conv&quot;)&lt;/script&gt;");
    expect(html, "relu_out&lt;/title&gt;&lt;b&gt;x");
    expect(html, "fc&quot;quote&quot;");
    expect(html, "relu&amp;amp;");
    expect(html, "w&lt;conv&gt;");
    assert_null(strstr(html, "<script>alert"));
    assert_null(strstr(html, "</title><b>"));
    assert_null(strstr(html, "relu&amp;'"));
    assert_int_equal(count(html, "<script"), 1);
    assert_int_equal(count(html, "</script>"), 1);
}

static void test_report_shows_remarks_in_section_and_node_row(void **state)
{
    Fixture *f = *state;
    build(f, HOSTILE, LW_O2);
    expect(sb_cstr(&f->html), "No remarks");
    vec_push(f->ctx.perm, &f->ctx.remarks,
             "node '<script>alert(\"conv\")</script>' (Conv): 1 of 4 output channels removed");
    vec_push(f->ctx.perm, &f->ctx.remarks, "node 'fc\"quote\"' (Gemm): 2 weights & more");
    vec_push(f->ctx.perm, &f->ctx.remarks,
             "node '<script>alert(\"conv\")</script>x' (Conv): other");
    vec_push(f->ctx.perm, &f->ctx.remarks, "sparse-weights: nothing <b>to</b> do");
    vec_push(f->ctx.perm, &f->ctx.remarks, "node 'relu&amp;' (Relu): on a fused node");
    sb_init(&f->html, f->ctx.perm);
    report_html(&f->ctx, &f->html);
    const char *html = sb_cstr(&f->html);
    const char *list = strstr(html, "<ul class=\"rmk\" id=\"remarks\">");
    assert_non_null(list);
    static const char *const shown[] = {
        "<li>node &#39;&lt;script&gt;alert(&quot;conv&quot;)&lt;/script&gt;&#39; (Conv): 1 of 4 "
        "output channels removed</li>",
        "<li>node &#39;fc&quot;quote&quot;&#39; (Gemm): 2 weights &amp; more</li>",
        "<li>node &#39;&lt;script&gt;alert(&quot;conv&quot;)&lt;/script&gt;x&#39; (Conv): "
        "other</li>",
        "<li>sparse-weights: nothing &lt;b&gt;to&lt;/b&gt; do</li>",
    };
    for (size_t i = 0; i < LW_COUNT(shown); i++)
        expect(list, shown[i]);
    /* each node remark also on its node's row, and only there */
    char buf[8192];
    uint32_t nk = f->ctx.prog->kernels.len, conv = nk, gemm = nk;
    for (uint32_t k = 0; k < nk; k++) {
        const char *r = row(html, k, buf, sizeof buf);
        if (strstr(r, "<span class=\"op\">Conv</span>"))
            conv = k;
        if (strstr(r, "<span class=\"op\">Gemm</span>"))
            gemm = k;
    }
    assert_true(conv < nk && gemm < nk && conv != gemm);
    /* the row names the node already: its schedule, then its remarks without the
     * "node 'NAME' (Op): " (a fused node's keep its name) */
    const char *r = row(html, conv, buf, sizeof buf);
    expect(r, "<td class=\"rm\">schedule: direct, a loop nest per tap<br>1 of 4 output channels "
              "removed<br>node &#39;relu&amp;amp;&#39; (Relu): on a fused node</td>");
    assert_null(strstr(r, "other"));           /* another node's name, longer */
    assert_null(strstr(r, "2 weights"));
    assert_null(strstr(r, "sparse-weights"));
    r = row(html, gemm, buf, sizeof buf);
    expect(r, "<td class=\"rm\">schedule: rows of y<br>2 weights &amp; more</td>");
    assert_null(strstr(r, "output channels"));
}

/* ---- the flag, through the lwcc executable ---- */

/* Runs `lwcc ARGS` in f->dir; f->text gets its output; returns the exit status. */
static int run(Fixture *f, const char *fmt, ...) LW_PRINTF(2, 3);
static int run(Fixture *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = test_vrun_lwcc(LWCC, f->dir, f->text, sizeof f->text, fmt, ap);
    va_end(ap);
    return st;
}

/* The file f->dir/name, NUL-terminated in the perm arena; NULL when absent. */
static char *slurp(Fixture *f, const char *name, long *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    rewind(fp);
    char *buf = arena_must(arena_alloc(f->ctx.perm, (size_t)n + 1));
    size_t got = fread(buf, 1, (size_t)n, fp);
    fclose(fp);
    buf[got] = 0;
    if (len)
        *len = (long)got;
    return buf;
}

static void test_report_cli_writes_page_beside_unchanged_outputs(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, "--help 2>&1"), 0);
    expect(f->text, "--report=FILE.html");
    assert_int_equal(run(f, HOSTILE " -o m.c 2>&1"), 0);
    long nc0, nh0;
    char *c0 = slurp(f, "m.c", &nc0), *h0 = slurp(f, "m.h", &nh0);
    assert_non_null(c0);
    assert_non_null(h0);
    assert_null(slurp(f, "m.html", NULL));
    assert_int_equal(run(f, HOSTILE " -o m.c --report=m.html 2>&1"), 0);
    assert_string_equal(f->text, ""); /* quiet on success */
    long nc1, nh1;
    char *c1 = slurp(f, "m.c", &nc1), *h1 = slurp(f, "m.h", &nh1);
    /* the generated pair does not depend on --report */
    assert_true(nc0 == nc1 && !memcmp(c0, c1, (size_t)nc0));
    assert_true(nh0 == nh1 && !memcmp(h0, h1, (size_t)nh0));
    char *html = slurp(f, "m.html", NULL);
    assert_non_null(html);
    assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    /* the page's arena is the header's */
    const char *def = strstr(h1, "#define M_ARENA_SIZE ");
    assert_non_null(def);
    assert_int_equal(attr_u64(html, "id=\"arena-size\" data-bytes=\""),
                     strtoull(def + strlen("#define M_ARENA_SIZE "), NULL, 10));
    /* the other spelling */
    assert_int_equal(run(f, SMALL_CNN " -Os -o s.c --report s.html 2>&1"), 0);
    assert_non_null(slurp(f, "s.html", NULL));
}

static void test_report_cli_refuses_dumps_and_clobbering(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, HOSTILE " --emit=kir --report=k.html 2>&1"), 1);
    expect(f->text, "--report is not supported with --emit=ir or --emit=kir");
    assert_int_equal(run(f, HOSTILE " --emit=ir -o i.txt --report=k.html 2>&1"), 1);
    assert_null(slurp(f, "k.html", NULL));
    assert_null(slurp(f, "i.txt", NULL));
    assert_int_equal(run(f, HOSTILE " -o m.c --report=m.c 2>&1"), 1);
    expect(f->text, "would overwrite");
    assert_int_equal(run(f, HOSTILE " -o m.c --report=m.h 2>&1"), 1);
    assert_int_equal(run(f, HOSTILE " -o m.c --report=" HOSTILE " 2>&1"), 1);
    assert_null(slurp(f, "m.c", NULL));
    assert_int_equal(run(f, HOSTILE " -o m.c --report 2>&1"), 2);
    expect(f->text, "--report needs a file name");
    assert_int_equal(run(f, HOSTILE " -o m.c --report= 2>&1"), 1);
}

static void test_report_cli_failed_compile_writes_no_page(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, "no/such/model.onnx -o m.c --report=m.html 2>&1"), 1);
    assert_null(slurp(f, "m.html", NULL));
    /* a bad --shape is the model's error: nothing written */
    assert_int_equal(run(f, HOSTILE " --shape nosuch:1x2 -o m.c --report=m.html 2>&1"), 1);
    assert_null(slurp(f, "m.html", NULL));
    assert_null(slurp(f, "m.c", NULL));
}

static void test_report_cli_llvm_backend_writes_page(void **state)
{
    Fixture *f = *state;
#if LWCC_HAVE_LLVM
    assert_int_equal(run(f, HOSTILE " --emit=obj -o m.o --report=m.html 2>&1"), 0);
    char *html = slurp(f, "m.html", NULL);
    assert_non_null(html);
    expect(html, "object file (LLVM)");
    assert_int_equal(attr_u64(html, "data-macs=\""), 2048);
#else
    assert_int_equal(run(f, HOSTILE " --emit=obj -o m.o --report=m.html 2>&1"), 1);
    assert_null(slurp(f, "m.html", NULL));
#endif
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_report_numbers_match_plan_and_program),
        T(test_report_macs_of_hostile_model_are_textbook),
        T(test_report_macs_counts_lanes_loops_and_integer_products),
        T(test_report_macs_reads_dyn_trip_counts_from_weights),
        T(test_report_escapes_model_strings),
        T(test_report_shows_remarks_in_section_and_node_row),
        T(test_report_cli_writes_page_beside_unchanged_outputs),
        T(test_report_cli_refuses_dumps_and_clobbering),
        T(test_report_cli_failed_compile_writes_no_page),
        T(test_report_cli_llvm_backend_writes_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
