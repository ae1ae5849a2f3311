/* Unit tests for cli/main.c: the lwcc executable run through popen, checking
 * exit codes (0 ok, 1 bad model or flag value, 2 usage) and output. */
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

#include "include/lwcc/arena.h"
#include "include/lwcc/ctx.h"
#include "include/lwcc/diag.h"
#include "test_util.h"

#define LWCC LWCC_BINARY_DIR "/lwcc"
#define MODELS LWCC_SOURCE_DIR "/tests/models"

typedef struct Fixture {
    Ctx ctx;
    Diag diag;
    FILE *out;
    char dir[64];
    char text[65536]; /* output of the last run */
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->out = tmpfile();
    strcpy(f->dir, "/tmp/lwcc_test_cli_XXXXXX");
    if (!f->out || !mkdtemp(f->dir))
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
    arena_destroy(f->ctx.perm);
    arena_destroy(f->ctx.scratch);
    free(f);
    return 0;
}

/* Runs `lwcc ARGS` with the given stream redirections; f->text gets what the
 * command printed; returns the exit status (-1 when killed by a signal). */
static int run(Fixture *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = test_vrun_lwcc(LWCC, f->dir, f->text, sizeof f->text, fmt, ap);
    va_end(ap);
    return st;
}

static void expect(Fixture *f, const char *needle)
{
    if (!strstr(f->text, needle))
        fail_msg("missing \"%s\" in:\n%s", needle, f->text);
}

static int file_exists(Fixture *f, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    return access(path, F_OK) == 0;
}

static void test_cli_help_exits_0_and_prints_usage(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, "--help 2>/dev/null"), 0);
    expect(f, "usage: lwcc MODEL.onnx [options] -o OUT.c\n");
    expect(f, "--emit=KIND");
    expect(f, "obj: an object file for the target (-o OUT.o)");
    expect(f, "exit status: 0 success, 1 bad model or flag value, 2 usage, 4 internal error");
    assert_int_equal(run(f, "-h 2>/dev/null"), 0);
    expect(f, "usage: lwcc MODEL.onnx");
    /* --help wins over a bad command line before it is complete */
    assert_int_equal(run(f, "--help --frobnicate 2>/dev/null"), 0);
}

static void test_cli_version_prints_version(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, "--version 2>/dev/null"), 0);
#if LWCC_HAVE_LLVM
    expect(f, "lwcc 0.1.0\nbackends: c, llvm (LLVM ");
#else
    assert_string_equal(f->text, "lwcc 0.1.0\nbackends: c (built without LLVM)\n");
#endif
}

static void test_cli_print_targets_lists_targets(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, "--print-targets 2>/dev/null"), 0);
    expect(f, "  generic ");
    expect(f, "  native ");
    expect(f, "  cortex-m4 ");
    expect(f, "  x86-64-v3 ");
    expect(f, "  armv8 ");
}

static void test_cli_help_passes_lists_passes(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, "--help-passes 2>/dev/null"), 0);
    expect(f, "  infer-shapes ");
    expect(f, "  dce ");
    expect(f, "  lower ");
    expect(f, "  memplan ");
    expect(f, "  patch ");
    expect(f, "  fold-pad ");
    expect(f, "  fold-transpose ");
}

/* --patch and --no-patch: a usage error together; each compiles; -Os tiles patch_cnn's
 * front by default (a smaller arena than with --no-patch). */
static void test_cli_patch_flags(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/relu/model.onnx --patch --no-patch -o r.c 2>&1"), 2);
    expect(f, "lwcc: --patch and --no-patch cannot both be given\n");
    assert_int_equal(run(f, MODELS "/relu/model.onnx --no-patch --patch -o r.c 2>&1"), 2);
    assert_int_equal(run(f, MODELS "/relu/model.onnx --patch --patch -o r.c 2>&1"), 0);
    assert_int_equal(run(f, "--help 2>/dev/null"), 0);
    expect(f, "  --patch ");
    expect(f, "  --no-patch ");
    assert_int_equal(run(f, MODELS "/patch_cnn/model.onnx -Os -o p.c 2>&1 && "
                            "grep -h 'ARENA_SIZE ' p.h"),
                     0);
    expect(f, "#define P_ARENA_SIZE 59904 ");
    assert_int_equal(run(f, MODELS "/patch_cnn/model.onnx -Os --no-patch -o n.c 2>&1 && "
                            "grep -h 'ARENA_SIZE ' n.h"),
                     0);
    expect(f, "#define N_ARENA_SIZE 92160 ");
}

static void test_cli_unknown_flag_exits_2(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/relu/model.onnx --frobnicate 2>&1"), 2);
    expect(f, "lwcc: unknown option '--frobnicate'\n");
    expect(f, "usage: lwcc MODEL.onnx");
}

static void test_cli_unknown_target_exits_1(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/relu/model.onnx --target=pdp-11 -o r.c 2>&1"), 1);
    expect(f, "unknown target 'pdp-11'");
    expect(f, "cortex-m4"); /* the known ones are listed */
    assert_false(file_exists(f, "r.c"));
    assert_int_equal(run(f, MODELS "/relu/model.onnx --target pdp-11 -o r.c 2>/dev/null"), 1);
}

static void test_cli_missing_model_exits_2(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, "2>&1"), 2);
    expect(f, "no model given");
    assert_int_equal(run(f, "-o out.c 2>&1"), 2);
    expect(f, "no model given");
}

static void test_cli_unreadable_model_exits_1(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, "no/such/model.onnx -o out.c 2>&1"), 1);
    expect(f, "no/such/model.onnx: ");
    assert_false(file_exists(f, "out.c"));
}

static void test_cli_two_models_exit_2(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/relu/model.onnx " MODELS "/tanh/model.onnx -o o.c 2>&1"), 2);
    expect(f, "more than one model");
}

static void test_cli_output_not_dot_c_exits_1(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/relu/model.onnx -o relu.cpp 2>&1"), 1);
    expect(f, "must name a .c file");
    assert_false(file_exists(f, "relu.cpp"));
    assert_false(file_exists(f, "relu.h"));
}

static void test_cli_flags_missing_values_exit_2(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/relu/model.onnx -o 2>&1"), 2);
    expect(f, "-o needs a file name");
    assert_int_equal(run(f, MODELS "/relu/model.onnx --target 2>&1"), 2);
    expect(f, "--target needs a value");
    assert_int_equal(run(f, MODELS "/relu/model.onnx --emit 2>&1"), 2);
}

static void test_cli_bad_flag_values_exit_1(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/relu/model.onnx --emit=asm 2>&1"), 1);
    expect(f, "--emit=asm: expected c, llvm, bc, obj, ir or kir");
    assert_int_equal(run(f, MODELS "/relu/model.onnx --print-after=nosuch 2>&1"), 1);
    expect(f, "no such pass");
    assert_int_equal(run(f, MODELS "/relu/model.onnx --disable-pass=nosuch 2>&1"), 1);
    assert_int_equal(run(f, MODELS "/relu/model.onnx --name=1abc -o a.c 2>&1"), 1);
    expect(f, "is not a C identifier");
    assert_int_equal(run(f, MODELS "/relu/model.onnx --shape x:2xq -o a.c 2>&1"), 1);
    expect(f, "expected NAME:1x3x224x224");
    assert_int_equal(run(f, MODELS "/relu/model.onnx --freeze-input x -o a.c 2>&1"), 1);
    assert_false(file_exists(f, "a.c"));
}

static void test_cli_emit_ir_to_stdout(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/relu/model.onnx --emit=ir 2>/dev/null"), 0);
    assert_string_equal(f->text, "input %1 'x': float32[2,3,4]\n"
                                 "%2 = Relu 'relu_0' (%1) -> float32[2,3,4]\n"
                                 "output %2\n");
    assert_int_equal(run(f, MODELS "/relu/model.onnx --emit ir 2>/dev/null"), 0);
    expect(f, "= Relu 'relu_0'");
    /* -o - is stdout too, not a file named '-' */
    assert_int_equal(run(f, MODELS "/relu/model.onnx --emit=ir -o - 2>/dev/null"), 0);
    expect(f, "= Relu 'relu_0'");
    assert_false(file_exists(f, "-"));
}

/* fold-pad: the Pads in front of pad_fold's Conv 3x3, strided Conv 10x4, counting
 * AveragePool and MaxPool (a Pad of nothing) become their pads at -O1 and up; those of
 * a non-counting AveragePool, a value of 0.5, pads as wide as the kernel and an output
 * stay, and so do all at -O0 or with the pass disabled. */
static void test_cli_fold_pad(void **state)
{
    Fixture *f = *state;
    const char *m = MODELS "/pad_fold/model.onnx";
    const char *names[] = {"'pad_a'", "'pad_b'", "'pad_c'", "'pad_d'",
                           "'pad_e'", "'pad_f'", "'pad_g'", "'pad_h'"};
    const char *levels[] = {"-O1", "-O2", "-Os"};
    for (int l = 0; l < 3; l++) {
        assert_int_equal(run(f, "%s %s --emit=ir 2>&1", m, levels[l]), 0);
        for (int i = 0; i < 8; i++)
            assert_true((strstr(f->text, names[i]) != NULL) == (i >= 4));
        expect(f, "Conv 'conv_1' (%20,");
        expect(f, "AveragePool 'averagepool_6' (%22)");
    }
    assert_int_equal(run(f, "%s -O0 --emit=ir 2>&1", m), 0);
    for (int i = 0; i < 8; i++)
        expect(f, names[i]);
    assert_int_equal(run(f, "%s --disable-pass=fold-pad --emit=ir 2>&1", m), 0);
    expect(f, "'pad_a'");
}

/* fold-transpose: of transpose_fold's Transposes, those that cancel go (a Relu then
 * reads the input), two and three in a row become their last, two that cancel into an
 * output leave one copy, and a first one that is also an output keeps both; at -O0 all
 * stay. */
static void test_cli_fold_transpose(void **state)
{
    Fixture *f = *state;
    const char *m = MODELS "/transpose_fold/model.onnx";
    const char *gone[] = {"'ta1'", "'ta2'", "'tb1'", "'tc1'", "'tc2'", "'td1'"};
    const char *kept[] = {"'tb2' (%2)", "'tc3' (%3)", "'td2' (%4)", "'te1' (%5)", "'te2'"};
    assert_int_equal(run(f, "%s -O2 --emit=ir 2>&1", m), 0);
    for (size_t i = 0; i < LW_COUNT(gone); i++)
        assert_null(strstr(f->text, gone[i]));
    for (size_t i = 0; i < LW_COUNT(kept); i++)
        expect(f, kept[i]);
    expect(f, "Relu 'relu_2' (%1)");
    assert_int_equal(run(f, "%s -O0 --emit=ir 2>&1", m), 0);
    for (size_t i = 0; i < LW_COUNT(gone); i++)
        expect(f, gone[i]);
}

static void test_cli_emit_kir_to_stdout(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/relu/model.onnx --emit=kir 2>/dev/null"), 0);
    expect(f, "buf b0: input float32[24] 'x'\n");
    expect(f, "buf b1: output float32[24] 'y'\n");
    expect(f, "kernel k0_relu_0\n");
}

static void test_cli_print_after_dce_prints_marker(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/relu/model.onnx --print-after=dce --emit=ir 2>/dev/null"), 0);
    assert_true(strncmp(f->text, "; after dce\n", 12) == 0);
    expect(f, "= Relu 'relu_0'");
    assert_int_equal(run(f, MODELS "/relu/model.onnx --print-after=all -o all.c 2>/dev/null"), 0);
    expect(f, "; after infer-shapes\n");
    expect(f, "; after dce\n");
    expect(f, "; after lower\n");
    expect(f, "; after memplan\n");
    assert_true(file_exists(f, "all.c"));
}

static void test_cli_compile_writes_pair_and_depfile(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/small_cnn/model.onnx -O0 -o net.c --depfile=net.d 2>&1"), 0);
    assert_string_equal(f->text, ""); /* quiet on success */
    assert_true(file_exists(f, "net.c"));
    assert_true(file_exists(f, "net.h"));
    char path[256];
    snprintf(path, sizeof path, "%s/net.d", f->dir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[1024] = {0};
    assert_non_null(fgets(line, sizeof line, fp));
    fclose(fp);
    /* one target (Ninja depfiles name one output); the header comes with it */
    assert_string_equal(line, "net.c: " MODELS "/small_cnn/model.onnx\n");
}

static void test_cli_opt_levels_and_targets_compile(void **state)
{
    Fixture *f = *state;
    static const char *const flags[] = {"-O0", "-O1", "-O2", "-Os", "--target=cortex-m4",
                                        "--target=native", "--target=generic"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (run(f, MODELS "/small_cnn/model.onnx %s -o m.c 2>&1", flags[i]) != 0)
            fail_msg("lwcc %s failed: %s", flags[i], f->text);
}

static long read_file(Fixture *f, const char *name, unsigned char *buf, long cap)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    long n = (long)fread(buf, 1, (size_t)cap, fp);
    fclose(fp);
    return n;
}

/* Quantized activations stay int8 in the arena: the 8x8x8 Conv output of
 * qdq_activations is 2048 bytes as float32 and 512 as the uint8 its
 * QuantizeLinear makes; its DequantizeLinear runs where the next ops load it. */
static long arena_size(Fixture *f, const char *header)
{
    static unsigned char buf[1 << 16];
    long n = read_file(f, header, buf, sizeof buf - 1);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    const char *d = strstr((char *)buf, "_ARENA_SIZE ");
    return d ? strtol(d + strlen("_ARENA_SIZE "), NULL, 10) : -1;
}

static void test_cli_quantized_activations_stay_int8(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/qdq_activations/model.onnx -O2 -o q.c 2>&1"), 0);
    long q = arena_size(f, "q.h");
    assert_true(q > 0 && q < 2048);
    /* without fusion each QuantizeLinear is a kernel of its own and its float input
     * a tensor */
    assert_int_equal(run(f, MODELS "/qdq_activations/model.onnx -O2 --disable-pass=fuse "
                                   "-o f.c 2>&1"), 0);
    assert_true(arena_size(f, "f.h") >= 2048);
}

/* Does the file hold `needle`? */
static int file_has(Fixture *f, const char *name, const char *needle)
{
    static unsigned char buf[1 << 20];
    long n = read_file(f, name, buf, sizeof buf - 1);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    return strstr((char *)buf, needle) != NULL;
}

/* The same model on a target with vectors (AVX-512: on AVX2 its second Conv's channel
 * vectors fit the tight arena too): the default cap (bound) is the plain
 * kernels' peak, as with tight, since its unfused bound counts the activations as
 * float32 and scratch must not take back what the integers save; with fast, its
 * second Conv runs blocked (x dequantized as the band copy loads it, the sums
 * quantized as they are stored) in a larger arena. */
static void test_cli_quantized_arena_cap(void **state)
{
    Fixture *f = *state;
    const char *m = MODELS "/qdq_activations/model.onnx -O2 --target=x86-64-v4";
    assert_int_equal(run(f, "%s --arena=tight -o t.c 2>&1", m), 0);
    assert_int_equal(run(f, "%s -o b.c 2>&1", m), 0);
    assert_int_equal(run(f, "%s --arena=fast -o v.c 2>&1", m), 0);
    long t = arena_size(f, "t.h"), b = arena_size(f, "b.h"), v = arena_size(f, "v.h");
    assert_true(t > 0 && b == t && v > t);
    assert_true(file_has(f, "v.c", "lw_vfma"));
}

/* --arena: at -O2 on a target with vectors, tight keeps the blocked convolution's scratch
 * under the plain kernels' peak (small_cnn has no room: generic's arena);
 * fast takes it anyway (vector code, a larger arena); bound, the default, is in between
 * (the model's own unfused max-live bound is the cap: 2 x 8x8x8 float32 live at its
 * second conv, 4096 bytes). A bad value is exit 1. */
static void test_cli_arena_modes(void **state)
{
    Fixture *f = *state;
    const char *cnn = MODELS "/small_cnn/model.onnx";
    assert_int_equal(run(f, "%s -O2 --target=generic -o g.c 2>&1", cnn), 0);
    assert_int_equal(run(f, "%s -O2 --target=x86-64-v3 --arena=tight -o t.c 2>&1", cnn), 0);
    assert_int_equal(run(f, "%s -O2 --target=x86-64-v3 -o b.c 2>&1", cnn), 0);
    assert_int_equal(run(f, "%s -O2 --target=x86-64-v3 --arena=fast -o v.c 2>&1", cnn), 0);
    long g = arena_size(f, "g.h"), t = arena_size(f, "t.h"), b = arena_size(f, "b.h");
    long v = arena_size(f, "v.h");
    assert_true(g > 0 && t == g && v > g && g <= b && b <= v);
    assert_true(file_has(f, "v.c", "lw_vld"));
    assert_int_equal(run(f, "%s -O2 --arena=loose -o x.c 2>&1", cnn), 1);
    expect(f, "--arena=loose: expected bound, tight or fast");
    assert_int_equal(run(f, "%s -O2 -o x.c --arena 2>&1", cnn), 2);
    expect(f, "--arena needs a value");
}

/* Recurrent layers on a target with vectors hoist their input projections in chunks of
 * steps, K rows of gates in scratch; with --arena=tight only where a Y in place of its
 * input pays for them: lstm_stack's first two layers (no restrict on the shared pair), not
 * its third, whose input an Add reads later. The arena stays generic's (no hoisting). */
static void test_cli_recurrent_in_place(void **state)
{
    Fixture *f = *state;
    const char *m = MODELS "/lstm_stack/model.onnx -O2";
    assert_int_equal(run(f, "%s --target=generic -o g.c 2>&1", m), 0);
    assert_int_equal(run(f, "%s --target=x86-64-v4 --arena=tight -o t.c 2>&1", m), 0);
    long g = arena_size(f, "g.h"), t = arena_size(f, "t.h");
    assert_true(g > 0 && t == g);
    assert_false(file_has(f, "g.c", "    float *b"));
    assert_true(file_has(f, "t.c", "    float *b")); /* an output over its input */
}

/* A recurrent layer whose R^T is over 32 KB (lstm_panels: 192 gates x 48, 36 KB) holds it
 * in panels of 8 vectors of gates (here 128 gates, then 64 from element 6144), and
 * consecutive steps run them in opposite orders; the chunks of 7 and 5 steps each end on
 * a step of their own. The first load of each panel's loop, in the order printed: */
static void test_cli_recurrent_panels_alternate(void **state)
{
    Fixture *f = *state;
    static unsigned char buf[1 << 20];
    assert_int_equal(run(f, MODELS "/lstm_panels/model.onnx -O2 --target=x86-64-v4 -o p.c 2>&1"),
                     0);
    long n = read_file(f, "p.c", buf, sizeof buf - 1);
    assert_true(n > 0);
    buf[n] = 0;
    char seq[16];
    size_t k = 0;
    for (const char *s = (const char *)buf; k < 12 && (s = strstr(s, " = lw_vld16(&b")) != NULL;
         s++) {
        const char *e = strchr(s, ']');
        if (e && e - s > 20 && !strncmp(e - 6, " * 128", 6))
            seq[k++] = 'A';
        else if (e && e - s > 20 && !strncmp(e - 12, " * 64 + 6144", 12))
            seq[k++] = 'B';
    }
    seq[k] = 0;
    assert_string_equal(seq, "ABBAABABBAAB");
}

/* The schedules of a model's kernels (--emit=kir: "kernel NAME (schedule: S)"), those that
 * name one, in order, joined by " | " */
static const char *schedules(Fixture *f, const char *model, const char *target)
{
    static unsigned char buf[1 << 21];
    static char out[2048];
    assert_int_equal(
        run(f, MODELS "/%s/model.onnx -O2 --target=%s --emit=kir -o s.kir 2>&1", model, target), 0);
    long n = read_file(f, "s.kir", buf, sizeof buf - 1);
    assert_true(n > 0 && n < (long)sizeof buf - 1);
    buf[n] = 0;
    out[0] = 0;
    for (char *l = strtok((char *)buf, "\n"); l; l = strtok(NULL, "\n")) {
        const char *s = strstr(l, " (schedule: ");
        size_t ln = strlen(l), len = strlen(out);
        if (strncmp(l, "kernel ", 7) != 0 || !s || l[ln - 1] != ')')
            continue;
        s += strlen(" (schedule: ");
        snprintf(out + len, sizeof out - len, "%s%.*s", len ? " | " : "", (int)(l + ln - 1 - s), s);
    }
    return out;
}

/* The schedule each conv takes (the numbers are the e2e suite's): Winograd where the
 * transforms' scratch fits, with y in place of a dying residual where it fits only so;
 * depthwise convs over small maps in vectors of channels, y in place of a dying x where the
 * budget is short, and not where the conv's own epilogue reads x; depthwise rows wider than
 * a vector in vectors along the rows, strided ones from copies in column phases of the
 * channel's plane, or of each group's rows. A change that stops choosing one fails here. */
static void test_cli_conv_schedules(void **state)
{
    Fixture *f = *state;
    const char *w = "Winograd F(2x2, 3x3)";
    const char *targets[] = {"x86-64-v4", "x86-64-v3", "armv8"};
    char want[512];
    snprintf(want, sizeof want, "%s | %s | %s | %s | %s | %s", w, w, w, w, w, w);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(schedules(f, "conv_wino", targets[i]), want);
        assert_non_null(strstr(schedules(f, "conv_wino_inplace", targets[i]),
                               " | Winograd F(2x2, 3x3) | Winograd F(2x2, 3x3), y in place of "
                               "the residual | "));
    }
    assert_string_equal(schedules(f, "conv_dw_chan_inplace", "x86-64-v4"),
                        "register-blocked, channels in vectors | depthwise, channels in vectors, "
                        "y in place of x | register-blocked, masked | register-blocked, pointwise");
    assert_string_equal(schedules(f, "conv_dw_chan", "x86-64-v3"),
                        "depthwise, channels in vectors | depthwise, channels in vectors");
    /* the strided ones copy the channel's plane in column phases, or each group's rows
     * where the plane is over 16 KB (the last) */
    const char *rows = schedules(f, "conv_dw_rows", "x86-64-v4");
    int nrows = 0;
    for (const char *p = rows; (p = strstr(p, "depthwise, rows in vectors")) != NULL; p++)
        nrows++;
    assert_int_equal(nrows, 12);
    assert_non_null(strstr(rows, "depthwise, rows in vectors | depthwise, rows in vectors, the "
                                 "plane in column phases | depthwise, rows in vectors, the "
                                 "plane in column phases | depthwise, rows in vectors, each "
                                 "group's rows in column phases"));
    /* no vectors: neither */
    assert_null(strstr(schedules(f, "conv_wino", "generic"), "Winograd"));
}

/* --requant: by default the vector kernels requantize in float32 and the scalar ones in
 * fixed point (an int64 product offset by 2^62); fixed and float force either; a bad
 * value is exit 1, a missing one exit 2. */
static void test_cli_requant_modes(void **state)
{
    Fixture *f = *state;
    const char *dw = MODELS "/qdq_conv_kdot_dw/model.onnx";
    const char *pairs = MODELS "/qdq_conv_pairs/model.onnx";
    const char *fx = "INT64_C(4611686018427387904)";
    assert_int_equal(run(f, "%s -O2 --target=x86-64-vnni --arena=fast -o a.c 2>&1", dw), 0);
    assert_false(file_has(f, "a.c", "= lw_vqadd16(lw_vqmul16(lw_vi2q16("));
    assert_true(file_has(f, "a.c", "lw_vwids816")); /* the depthwise conv's int32 sums */
    assert_int_equal(
        run(f, "%s -O2 --target=x86-64-vnni --arena=fast --requant=fixed -o b.c 2>&1", dw), 0);
    assert_true(file_has(f, "b.c", "= lw_vqadd16(lw_vqmul16(lw_vi2q16("));
    assert_int_equal(run(f, "%s -O2 --target=cortex-m4 -o c.c 2>&1", pairs), 0);
    assert_true(file_has(f, "c.c", fx));
    assert_int_equal(run(f, "%s -O2 --target=cortex-m4 --requant=float -o d.c 2>&1", pairs), 0);
    assert_false(file_has(f, "d.c", fx));
    assert_int_equal(run(f, "%s -O2 --requant=exact -o x.c 2>&1", pairs), 1);
    expect(f, "--requant=exact: expected auto, float or fixed");
    assert_int_equal(run(f, "%s -O2 -o x.c --requant 2>&1", pairs), 2);
    expect(f, "--requant needs a value");
}

/* --quantize=int8: the flags go together, and every bad calibration folder, sample or
 * node name is a clear error (exit 1), never a crash. */
static void test_cli_quantize_flags_and_bad_calibration(void **state)
{
    Fixture *f = *state;
    const char *cnn = MODELS "/small_cnn/model.onnx";
    assert_int_equal(run(f, "%s --quantize=int8 -o q.c 2>&1", cnn), 2);
    expect(f, "--quantize=int8 needs --calibration=DIR");
    assert_int_equal(run(f, "%s --calibration=" MODELS "/small_cnn -o q.c 2>&1", cnn), 2);
    expect(f, "go with --quantize=int8");
    assert_int_equal(run(f, "%s --quantize=int4 --calibration=x -o q.c 2>&1", cnn), 1);
    expect(f, "only int8");
    assert_int_equal(run(f, "%s --quantize=int8 --calibration=" MODELS "/small_cnn "
                            "--calibration-method=kl -o q.c 2>&1", cnn), 1);
    expect(f, "expected minmax, percentile or mse");
    assert_int_equal(run(f, "%s --quantize=int8 --calibration=nowhere -o q.c 2>&1", cnn), 1);
    expect(f, "not a readable folder");
    assert_int_equal(run(f, "%s --quantize=int8 --calibration=. -o q.c 2>&1", cnn), 1);
    expect(f, "has no sample folders");
    /* a sample of another model: its shape differs */
    assert_int_equal(run(f, "%s --quantize=int8 --calibration=" MODELS "/relu -o q.c 2>&1", cnn),
                     1);
    expect(f, "its shape differs from input 'input.1'");
    assert_int_equal(run(f, "%s --quantize=int8 --calibration=" MODELS "/small_cnn "
                            "--keep-float=nosuch -o q.c 2>&1", cnn), 1);
    expect(f, "--keep-float: no node is named 'nosuch'");
    assert_int_equal(run(f, MODELS "/qdq_activations/model.onnx --quantize=int8 --calibration="
                            MODELS "/qdq_activations -o q.c 2>&1"), 1);
    expect(f, "the model is quantized already");
    assert_false(file_exists(f, "q.c"));
}

/* The quantizer's output: int8 weights and uint8 activations as QDQ pairs in front of
 * each Conv/Gemm; --keep-float leaves a node in float. */
static void test_cli_quantize_writes_qdq(void **state)
{
    Fixture *f = *state;
    const char *cnn = MODELS "/small_cnn/model.onnx --quantize=int8 --calibration=" MODELS
                      "/small_cnn";
    assert_int_equal(run(f, "%s --emit=ir 2>&1", cnn), 0);
    expect(f, "'conv.weight_quantized': int8[4,1,3,3]");
    expect(f, "'fc.weight_quantized': int8[10,64]");
    expect(f, "QuantizeLinear 'input.1_quantized_QuantizeLinear'");
    expect(f, "QuantizeLinear '/Flatten_output_0_quantized_QuantizeLinear'");
    assert_int_equal(run(f, "%s --keep-float=/fc/Gemm --emit=ir 2>&1", cnn), 0);
    expect(f, "QuantizeLinear 'input.1_quantized_QuantizeLinear'");
    assert_null(strstr(f->text, "fc.weight_quantized"));
    assert_null(strstr(f->text, "Flatten_output_0_quantized"));
    /* the error budget: at 200 dB no node's quantization is good enough; none: all */
    assert_int_equal(run(f, "%s --quant-budget=200 --emit=ir 2>&1", cnn), 0);
    assert_null(strstr(f->text, "QuantizeLinear"));
    assert_int_equal(run(f, "%s --quant-budget=none --emit=ir 2>&1", cnn), 0);
    expect(f, "'fc.weight_quantized': int8[10,64]");
    assert_int_equal(run(f, "%s --quant-budget=loud -o q.c 2>&1", cnn), 1);
    expect(f, "--quant-budget=loud: expected dB");
    assert_int_equal(run(f, MODELS "/small_cnn/model.onnx --quant-budget=30 -o q.c 2>&1"), 2);
    for (int m = 0; m < 3; m++) {
        static const char *const methods[] = {"minmax", "percentile", "mse"};
        if (run(f, "%s --calibration-method=%s -o q.c 2>&1", cnn, methods[m]) != 0)
            fail_msg("--calibration-method=%s: %s", methods[m], f->text);
        assert_true(file_exists(f, "q.c"));
    }
}

/* The LLVM backend: each --emit kind writes its file and the same model.h as the C backend;
 * -o must have the kind's extension. Without LLVM, a clear "not supported". */
static void test_cli_llvm_backend_outputs(void **state)
{
    Fixture *f = *state;
#if LWCC_HAVE_LLVM
    static unsigned char buf[1 << 21];
    assert_int_equal(run(f, MODELS "/small_cnn/model.onnx -o cnn.ll --emit=llvm 2>&1"), 0);
    assert_string_equal(f->text, "");
    long n = read_file(f, "cnn.ll", buf, sizeof buf - 1);
    assert_true(n > 0);
    buf[n] = 0;
    assert_non_null(strstr((char *)buf, "define i32 @cnn_run(i8** "));
    assert_non_null(strstr((char *)buf, "@cnn_inputs = "));
    assert_null(strstr((char *)buf, "define float @lwrt_")); /* helpers are internal */
    assert_true(file_exists(f, "cnn.h"));
    /* the header is the C backend's */
    assert_int_equal(run(f, MODELS "/small_cnn/model.onnx -o cnn_c.c --name=cnn 2>&1"), 0);
    static unsigned char h1[1 << 14], h2[1 << 14];
    long n1 = read_file(f, "cnn.h", h1, sizeof h1), n2 = read_file(f, "cnn_c.h", h2, sizeof h2);
    assert_true(n1 > 0 && n1 == n2 && !memcmp(h1, h2, (size_t)n1));

    assert_int_equal(run(f, MODELS "/small_cnn/model.onnx -o cnn.bc --emit=bc 2>&1"), 0);
    assert_true(read_file(f, "cnn.bc", buf, 4) == 4 && !memcmp(buf, "BC\xc0\xde", 4));
    /* an object for the target's machine: ELF e_machine 62 (x86-64), 183 (AArch64), 40 (ARM) */
    static const struct {
        const char *target;
        unsigned machine;
    } objs[] = {{"x86-64-v3", 62}, {"armv8", 183}, {"cortex-m4", 40}};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
        if (run(f, MODELS "/small_cnn/model.onnx -o o%zu.o --emit=obj --target=%s 2>&1", i,
                objs[i].target) != 0)
            fail_msg("--emit=obj --target=%s failed: %s", objs[i].target, f->text);
        char name[32];
        snprintf(name, sizeof name, "o%zu.o", i);
        assert_int_equal(read_file(f, name, buf, 20), 20);
        assert_true(!memcmp(buf, "\x7f" "ELF", 4));
        assert_int_equal(buf[18] | buf[19] << 8, objs[i].machine);
    }
    assert_int_equal(run(f, MODELS "/small_cnn/model.onnx -o x.c --emit=obj 2>&1"), 1);
    expect(f, "-o 'x.c' must name a .o file");
    assert_false(file_exists(f, "x.c"));
    assert_int_equal(run(f, MODELS "/small_cnn/model.onnx -o .ll --emit=llvm 2>&1"), 1);

    /* libLLVM is opened only by the LLVM backend: where it cannot be, that backend says so
     * and writes nothing, and the C backend works */
    setenv("LWCC_LIBLLVM", "/nonexistent/libLLVM-0.so", 1);
    int missing = run(f, MODELS "/small_cnn/model.onnx -o gone.o --emit=obj 2>&1");
    char why[512];
    snprintf(why, sizeof why, "%s", f->text);
    int c_ok = run(f, MODELS "/small_cnn/model.onnx -o still.c 2>&1");
    setenv("LWCC_LIBLLVM", "libm.so.6", 1); /* a library, not LLVM's */
    int wrong = run(f, MODELS "/small_cnn/model.onnx -o gone.ll --emit=llvm 2>&1");
    unsetenv("LWCC_LIBLLVM");
    assert_int_equal(missing, 1);
    if (!strstr(why, "the LLVM backend needs libLLVM") || !strstr(why, "/nonexistent/libLLVM-0.so"))
        fail_msg("unexpected diagnostic: %s", why);
    assert_false(file_exists(f, "gone.o"));
    assert_false(file_exists(f, "gone.h"));
    assert_int_equal(c_ok, 0);
    assert_true(file_exists(f, "still.c"));
    assert_int_equal(wrong, 1);
    expect(f, "the LLVM backend cannot use libm.so.6: it has no LLVM");
    assert_false(file_exists(f, "gone.ll"));
#else
    assert_int_equal(run(f, MODELS "/small_cnn/model.onnx -o cnn.o --emit=obj 2>&1"), 1);
    expect(f, "built without the LLVM backend");
    expect(f, "not supported");
#endif
}

/* Both printers keep loops that walk float32 elements with a stride (conv_chan's copy
 * from [position][channel] sums to y) from the loop vectorizer on x86-64, which made
 * them gathers and scatters slower than scalar code: LLVM loop metadata, and in C a
 * clang loop pragma (GCC leaves them scalar itself). On armv8 (no gathers) neither
 * printer marks them. */
static void test_cli_strided_loops_stay_scalar(void **state)
{
    Fixture *f = *state;
    static char buf[1 << 20];
    static const struct {
        const char *target;
        int marked;
    } cases[] = {{"x86-64-v4", 1}, {"x86-64-v3", 1}, {"armv8", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *target = cases[i].target;
        char name[16];
        if (run(f, MODELS "/conv_chan/model.onnx -o s%zu.c --target=%s 2>&1", i, target) != 0)
            fail_msg("--target=%s failed: %s", target, f->text);
        snprintf(name, sizeof name, "s%zu.c", i);
        long n = read_file(f, name, (unsigned char *)buf, sizeof buf - 1);
        assert_true(n > 0);
        buf[n] = 0;
        const char *def = "#define LW_SCALAR_LOOP _Pragma(\"clang loop vectorize(disable)\")";
        if ((strstr(buf, def) && strstr(buf, "    LW_SCALAR_LOOP\n")) != cases[i].marked)
            fail_msg("--target=%s: C loops kept scalar: want %d", target, cases[i].marked);
        if (cases[i].marked && system("command -v clang >/dev/null 2>&1") == 0) {
            char cmd[1024]; /* the pragma compiles without a warning */
            snprintf(cmd, sizeof cmd,
                     "cd '%s' && clang -std=c99 -pedantic -Wall -Wextra -Werror -O2 -march=%s "
                     "-c s%zu.c -o s%zu.o 2>&1",
                     f->dir, target, i, i);
            assert_int_equal(system(cmd), 0);
        }
#if LWCC_HAVE_LLVM
        if (run(f, MODELS "/conv_chan/model.onnx -o s%zu.ll --emit=llvm --target=%s 2>&1", i,
                target) != 0)
            fail_msg("--emit=llvm --target=%s failed: %s", target, f->text);
        snprintf(name, sizeof name, "s%zu.ll", i);
        n = read_file(f, name, (unsigned char *)buf, sizeof buf - 1);
        assert_true(n > 0);
        buf[n] = 0;
        int marked = strstr(buf, "!{!\"llvm.loop.vectorize.enable\", i1 false}") != NULL;
        if (marked != cases[i].marked)
            fail_msg("--target=%s: LLVM loops kept scalar: %d, want %d", target, marked,
                     cases[i].marked);
        if (marked && (strstr(buf, "@llvm.masked.gather") || strstr(buf, "@llvm.masked.scatter")))
            fail_msg("--target=%s: LLVM's vectorizer still gathers or scatters", target);
#endif
    }
}

/* Regression (was a bug in lib/compile.c compile): --verify-each runs graph_verify right after
 * import, before infer-shapes types any output, so every model stops with
 * "lwcc: internal error: ir/graph_verify.c:43: graph_verify after import: %2
 * of node 'relu_0' has no static type" and exit 4. Skipped until fixed. */
static void test_cli_verify_each_succeeds_on_valid_model(void **state)
{
    Fixture *f = *state;
    assert_int_equal(run(f, MODELS "/relu/model.onnx --verify-each -o v.c 2>&1"), 0);
}

/* Regression (was a bug in cli/main.c main): the shapes/freezes/disabled arrays calloc'd at the
 * top of main (and the strndup'd --shape/--freeze-input names) are never
 * freed, so in the -DLWCC_SANITIZE=ON build LeakSanitizer makes every lwcc
 * run exit 1, even `lwcc --version`. Passes trivially without ASan; skipped
 * until main frees them on every return path. */
static void test_cli_exits_without_leaks(void **state)
{
    Fixture *f = *state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ASAN_OPTIONS=detect_leaks=1 '%s' --version >/dev/null 2>&1", LWCC);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "ASAN_OPTIONS=detect_leaks=1 '%s' '%s/relu/model.onnx' --shape x:2x3x4 --emit=ir "
             ">/dev/null 2>&1",
             LWCC, MODELS);
    assert_int_equal(system(cmd), 0);
    (void)f;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_cli_help_exits_0_and_prints_usage),
        T(test_cli_version_prints_version),
        T(test_cli_print_targets_lists_targets),
        T(test_cli_help_passes_lists_passes),
        T(test_cli_patch_flags),
        T(test_cli_unknown_flag_exits_2),
        T(test_cli_unknown_target_exits_1),
        T(test_cli_missing_model_exits_2),
        T(test_cli_unreadable_model_exits_1),
        T(test_cli_two_models_exit_2),
        T(test_cli_output_not_dot_c_exits_1),
        T(test_cli_flags_missing_values_exit_2),
        T(test_cli_bad_flag_values_exit_1),
        T(test_cli_emit_ir_to_stdout),
        T(test_cli_fold_pad),
        T(test_cli_fold_transpose),
        T(test_cli_emit_kir_to_stdout),
        T(test_cli_llvm_backend_outputs),
        T(test_cli_strided_loops_stay_scalar),
        T(test_cli_print_after_dce_prints_marker),
        T(test_cli_compile_writes_pair_and_depfile),
        T(test_cli_opt_levels_and_targets_compile),
        T(test_cli_verify_each_succeeds_on_valid_model),
        T(test_cli_quantized_activations_stay_int8),
        T(test_cli_arena_modes),
        T(test_cli_requant_modes),
        T(test_cli_recurrent_in_place),
        T(test_cli_conv_schedules),
        T(test_cli_recurrent_panels_alternate),
        T(test_cli_quantized_arena_cap),
        T(test_cli_quantize_flags_and_bad_calibration),
        T(test_cli_quantize_writes_qdq),
        T(test_cli_exits_without_leaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
