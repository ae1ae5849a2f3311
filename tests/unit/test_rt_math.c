/* tests/unit/test_rt_math.c: runtime-min float helpers against double-precision libm (ulp
 * error over dense sweeps of bit patterns, special values, exact rounding helpers) and the
 * embedded helper table (every dependency resolvable, the text compiles as C99).
 * LWRT_TEST_STRIDE=1 in the environment makes the sweeps exhaustive. */
#include "runtime-min/lwrt.h"
#include "runtime-min/rt_blob.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#ifndef LWCC_BINARY_DIR
#define LWCC_BINARY_DIR "."
#endif

/* Error of got against the exact value want in units of the last place of want's float
 * binade (subnormal ulp below 2^-126); +-inf counts as +-2^128. */
static double ulp_err(float got, double want)
{
    double g = got, u;
    int e;

    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got) ? 0.0 : HUGE_VAL;
    if (got == (float)want) /* also overflow to +-inf */
        return 0.0;
    if (isinf(want))
        return HUGE_VAL;
    if (isinf(got))
        g = copysign(ldexp(1.0, 128), g);
    if (want == 0.0)
        return got == 0.0f ? 0.0 : fabs(g) / ldexp(1.0, -149);
    e = ilogb(want);
    if (e < -126)
        e = -126;
    if (e > 127)
        e = 127;
    u = ldexp(1.0, e - 23);
    return fabs(g - want) / u;
}

static uint32_t sweep_stride(uint32_t dflt)
{
    const char *s = getenv("LWRT_TEST_STRIDE");
    long v = s ? strtol(s, NULL, 10) : 0;

    return v > 0 ? (uint32_t)v : dflt;
}

static float f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

typedef float (*Fn1)(float);
typedef double (*Ref1)(double);

/* Largest ulp error of fn against ref over every stride-th bit pattern (both signs, all
 * exponents, NaNs included); prints it with the worst input. */
static double sweep1(const char *name, Fn1 fn, Ref1 ref, uint32_t stride)
{
    double worst = 0.0;
    float worst_x = 0.0f;
    uint64_t u;

    for (u = 0; u <= 0xffffffffu; u += stride) {
        float x = f32((uint32_t)u);
        double err = ulp_err(fn(x), ref((double)x));
        if (err > worst) {
            worst = err;
            worst_x = x;
        }
    }
    print_message("%-16s max %.3f ulp at %a (stride %u)\n", name, worst, (double)worst_x,
                  (unsigned)stride);
    return worst;
}

static double ref_sigmoid(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

static float sqrt_hw(float x)
{
    return lwrt_sqrtf(x);
}

static double ref_sqrt(double x)
{
    return sqrt(x);
}

static void test_rt_expf_within_1_ulp(void **state)
{
    (void)state;
    assert_true(sweep1("lwrt_expf", lwrt_expf, exp, sweep_stride(97)) <= 1.0);
}

static void test_rt_logf_within_1_ulp(void **state)
{
    (void)state;
    assert_true(sweep1("lwrt_logf", lwrt_logf, log, sweep_stride(97)) <= 1.0);
}

static void test_rt_sqrtf_correctly_rounded(void **state)
{
    (void)state;
    /* double sqrt rounded to float is correctly rounded (53 >= 2*24 + 2) */
    assert_true(sweep1("lwrt_sqrtf", sqrt_hw, ref_sqrt, sweep_stride(97)) <= 0.5);
    assert_true(sweep1("lwrt_sqrtf_soft", lwrt_sqrtf_soft, ref_sqrt, sweep_stride(97)) <= 0.5);
}

/* exp(a) for a <= 0 within 1 ulp, from 0 down to below the subnormals and at -inf (0.98 over
 * every float without FMA contraction) */
static void test_rt_exp_negf(void **state)
{
    double worst = 0.0;
    float worst_a = 0.0f;
    uint64_t u;

    (void)state;
    for (u = 0x80000000u; u <= 0xff800000u; u += sweep_stride(97)) {
        float a = f32((uint32_t)u);
        double e = ulp_err(lwrt_exp_negf(a), exp((double)a));
        if (e > worst) {
            worst = e;
            worst_a = a;
        }
    }
    print_message("lwrt_exp_negf    max %.3f ulp at %a\n", worst, (double)worst_a);
    assert_true(worst <= 1.0);
    assert_true(lwrt_exp_negf(-INFINITY) == 0.0f);
    assert_true(lwrt_exp_negf(-0.0f) == 1.0f);
}

/* 2.41 ulp over every float, with FMA contraction and without */
static void test_rt_sigmoidf_within_2_5_ulp(void **state)
{
    (void)state;
    assert_true(sweep1("lwrt_sigmoidf", lwrt_sigmoidf, ref_sigmoid, sweep_stride(97)) <= 2.5);
}

static void test_rt_tanhf_within_2_ulp(void **state)
{
    (void)state;
    assert_true(sweep1("lwrt_tanhf", lwrt_tanhf, tanh, sweep_stride(97)) <= 2.0);
}

static void test_rt_erff_within_2_ulp(void **state)
{
    (void)state;
    assert_true(sweep1("lwrt_erff", lwrt_erff, erf, sweep_stride(97)) <= 2.0);
}

static void test_rt_sinf_cosf_within_1_ulp(void **state)
{
    (void)state;
    assert_true(sweep1("lwrt_sinf", lwrt_sinf, sin, sweep_stride(97)) <= 1.0);
    assert_true(sweep1("lwrt_cosf", lwrt_cosf, cos, sweep_stride(97)) <= 1.0);
}

/* Park-Miller style generator: deterministic pseudo-random bit patterns. */
static uint32_t next_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(*s >> 32);
}

static void test_rt_powf_within_1_ulp(void **state)
{
    static const float ys[] = {0.5f, -0.5f, 2.0f, -2.0f, 3.0f, -3.0f, 0.25f, 1.5f, 7.0f, -1.0f,
                               1.0f / 3.0f, 2.2f, 10.0f, 17.0f, -27.5f, 100.0f, 1e-3f, 1e4f};
    uint64_t s = 12345, n = 0;
    uint32_t stride = sweep_stride(97) * 16;
    double worst = 0.0;
    float wx = 0.0f, wy = 0.0f;
    uint64_t u;
    size_t i;

    (void)state;
    for (u = 0; u <= 0x7fffffffu; u += stride) { /* fixed exponents over all positive x */
        for (i = 0; i < sizeof ys / sizeof ys[0]; i++) {
            float x = f32((uint32_t)u), y = ys[i];
            double err = ulp_err(lwrt_powf(x, y), pow((double)x, (double)y));
            if (err > worst) {
                worst = err;
                wx = x;
                wy = y;
            }
        }
    }
    for (n = 0; n < 4000000u / (stride / 97 / 16 ? stride / 97 / 16 : 1); n++) {
        /* x in [2^-40, 2^40), negative too; y with |y| < 64 or integers */
        float x = f32((next_rand(&s) & 0x807fffffu) | ((87u + next_rand(&s) % 80u) << 23));
        float y = (n & 1) ? (float)((int32_t)(next_rand(&s) % 61u) - 30)
                          : f32((next_rand(&s) & 0x807fffffu) | ((100u + next_rand(&s) % 32u) << 23));
        double err = ulp_err(lwrt_powf(x, y), pow((double)x, (double)y));
        if (err > worst) {
            worst = err;
            wx = x;
            wy = y;
        }
    }
    print_message("%-16s max %.3f ulp at (%a, %a)\n", "lwrt_powf", worst, (double)wx, (double)wy);
    assert_true(worst <= 1.0);
}

static void test_rt_powf_special_cases_match_c(void **state)
{
    const float inf = INFINITY, nan = NAN;
    static const float xs[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, -0.5f, 2.0f, -2.0f,
                               3.0f, -3.0f, 1e-40f, -1e-40f, 1e30f, 0x1.fffffep127f};
    static const float ys[] = {0.0f, -0.0f, 1.0f, -1.0f, 2.0f, -2.0f, 3.0f, -3.0f,
                               0.5f, -0.5f, 1e10f, -1e10f, 0x1.fffffep127f, 127.0f, -149.0f};
    float xe[sizeof xs / sizeof xs[0] + 3], ye[sizeof ys / sizeof ys[0] + 3];
    size_t nx = 0, ny = 0, i, j;

    (void)state;
    for (i = 0; i < sizeof xs / sizeof xs[0]; i++)
        xe[nx++] = xs[i];
    xe[nx++] = inf;
    xe[nx++] = -inf;
    xe[nx++] = nan;
    for (i = 0; i < sizeof ys / sizeof ys[0]; i++)
        ye[ny++] = ys[i];
    ye[ny++] = inf;
    ye[ny++] = -inf;
    ye[ny++] = nan;
    for (i = 0; i < nx; i++)
        for (j = 0; j < ny; j++) {
            float got = lwrt_powf(xe[i], ye[j]), want = powf(xe[i], ye[j]);
            if (isnan(want)) {
                assert_true(isnan(got));
            } else if (bits(got) != bits(want)) {
                print_message("powf(%a, %a) = %a, want %a\n", (double)xe[i], (double)ye[j],
                              (double)got, (double)want);
                fail();
            }
        }
    /* exact where representable */
    assert_true(lwrt_powf(3.0f, 2.0f) == 9.0f);
    assert_true(lwrt_powf(-3.0f, 3.0f) == -27.0f);
    assert_true(lwrt_powf(1.5f, 3.0f) == 3.375f);
    assert_true(lwrt_powf(2.0f, -140.0f) == 0x1p-140f);
    assert_true(lwrt_powf(10.0f, 7.0f) == 1e7f);
    assert_true(lwrt_powf(16.0f, 0.5f) == 4.0f);
    assert_true(lwrt_powf(16.0f, 0.25f) == 2.0f);
    assert_true(lwrt_powf(0.5f, -126.0f) == 0x1p126f);
}

static void test_rt_powf_integer_exponents_exact(void **state)
{
    int32_t b, n;

    (void)state;
    for (b = -40; b <= 40; b++)
        for (n = 0; n <= 24; n++) {
            double want = pow((double)b, (double)n);
            if (fabs(want) < 0x1p24 && (float)want == want)
                assert_true(lwrt_powf((float)b, (float)n) == (float)want);
        }
}

static void check_specials(const char *name, Fn1 fn, Ref1 ref)
{
    static const float xs[] = {0.0f, -0.0f, 1.0f, -1.0f, 0x1p-149f, -0x1p-149f, 0x1p-126f,
                               0x1.fffffep127f, -0x1.fffffep127f, 88.72283f, 88.72284f,
                               -87.33654f, -103.9f, -104.0f, 9.0f, 3.9192f, 0x1p-20f};
    float v[sizeof xs / sizeof xs[0] + 3];
    size_t n = 0, i;

    for (i = 0; i < sizeof xs / sizeof xs[0]; i++)
        v[n++] = xs[i];
    v[n++] = INFINITY;
    v[n++] = -INFINITY;
    v[n++] = NAN;
    for (i = 0; i < n; i++) {
        float got = fn(v[i]);
        double want = ref((double)v[i]);
        if (ulp_err(got, want) > 1.0) {
            print_message("%s(%a) = %a, want %a\n", name, (double)v[i], (double)got, want);
            fail();
        }
        /* signed zeros and infinities exactly */
        if ((want == 0.0 || isinf(want)) && bits(got) != bits((float)want)) {
            print_message("%s(%a) = %a, want %a\n", name, (double)v[i], (double)got, want);
            fail();
        }
    }
}

static void test_rt_special_values(void **state)
{
    (void)state;
    check_specials("lwrt_expf", lwrt_expf, exp);
    check_specials("lwrt_logf", lwrt_logf, log);
    check_specials("lwrt_sqrtf", sqrt_hw, ref_sqrt);
    check_specials("lwrt_sqrtf_soft", lwrt_sqrtf_soft, ref_sqrt);
    check_specials("lwrt_sigmoidf", lwrt_sigmoidf, ref_sigmoid);
    check_specials("lwrt_tanhf", lwrt_tanhf, tanh);
    check_specials("lwrt_erff", lwrt_erff, erf);
    check_specials("lwrt_sinf", lwrt_sinf, sin);
    check_specials("lwrt_cosf", lwrt_cosf, cos);
    assert_true(isinf(lwrt_inff()) && lwrt_inff() > 0.0f);
    assert_true(isnan(lwrt_nanf()));
    assert_true(lwrt_bits_f32(lwrt_f32_bits(0x12345678u)) == 0x12345678u);
    assert_true(lwrt_bits_f32(-0.0f) == 0x80000000u);
    assert_true(lwrt_ldexpf(1.5f, -149) == 0x1p-148f); /* 1.5 * 2^-149 ties to even */
    assert_true(lwrt_ldexpf(0x1.000002p0f, -140) == 0x1p-140f);
    assert_true(isinf(lwrt_ldexpf(1.0f, 128)));
    assert_true(lwrt_ldexpf(0x1p-149f, 276) == 0x1p127f);
}

/* The rounding helpers and fmodf are exact: compare bits (signed zeros included). */
static void test_rt_rounding_helpers_exact(void **state)
{
    uint32_t stride = sweep_stride(97);
    uint64_t u;

    (void)state;
    for (u = 0; u <= 0xffffffffu; u += stride) {
        float x = f32((uint32_t)u);
        if (isnan(x)) {
            assert_true(isnan(lwrt_floorf(x)) && isnan(lwrt_ceilf(x)));
            assert_true(isnan(lwrt_roundevenf(x)) && isnan(lwrt_roundevenf_bits(x)));
            continue;
        }
        assert_int_equal(bits(lwrt_floorf(x)), bits(floorf(x)));
        assert_int_equal(bits(lwrt_ceilf(x)), bits(ceilf(x)));
        /* the instruction where this build has one, and the bits every target can use */
        assert_int_equal(bits(lwrt_roundevenf(x)), bits(nearbyintf(x)));
        assert_int_equal(bits(lwrt_roundevenf_bits(x)), bits(nearbyintf(x)));
    }
    /* the ties */
    assert_true(lwrt_roundevenf(0.5f) == 0.0f && lwrt_roundevenf(1.5f) == 2.0f);
    assert_true(lwrt_roundevenf(2.5f) == 2.0f && lwrt_roundevenf(-2.5f) == -2.0f);
    assert_true(lwrt_roundevenf(0x1.fffffep22f) == 0x1p23f);
    assert_true(bits(lwrt_roundevenf(-0.5f)) == 0x80000000u);
    assert_true(lwrt_roundevenf_bits(2.5f) == 2.0f && lwrt_roundevenf_bits(-3.5f) == -4.0f);
    assert_true(bits(lwrt_roundevenf_bits(-0.5f)) == 0x80000000u);
}

static void test_rt_fmodf_exact(void **state)
{
    static const float ys[] = {1.0f, -1.0f, 0.1f, 3.0f, 0x1p-149f, 0x1.8p-140f, 7e-30f, 1e30f,
                               0x1.fffffep127f, INFINITY, -INFINITY, 0.0f, -0.0f, NAN};
    uint32_t stride = sweep_stride(97) * 4;
    uint64_t u, s = 99;
    size_t i;
    int n;

    (void)state;
    for (u = 0; u <= 0xffffffffu; u += stride) {
        float x = f32((uint32_t)u);
        for (i = 0; i < sizeof ys / sizeof ys[0]; i++) {
            float got = lwrt_fmodf(x, ys[i]), want = fmodf(x, ys[i]);
            if (isnan(want))
                assert_true(isnan(got));
            else
                assert_int_equal(bits(got), bits(want));
        }
    }
    for (n = 0; n < 2000000; n++) {
        float x = f32(next_rand(&s)), y = f32(next_rand(&s));
        float got = lwrt_fmodf(x, y), want = fmodf(x, y);
        if (isnan(want))
            assert_true(isnan(got));
        else
            assert_int_equal(bits(got), bits(want));
    }
}

/* The embedded table: each helper's dependencies are helpers that come before it (the printer
 * copies helpers in table order), and all of them together compile as strict C99. */
static void test_rt_blob_table_deps_resolve_in_order(void **state)
{
    static const char *const names[] = {
        "lwrt_f32_bits", "lwrt_bits_f32", "lwrt_inff",   "lwrt_nanf",       "lwrt_ldexpf",
        "lwrt_expf",     "lwrt_logf",     "lwrt_sqrtf",  "lwrt_sqrtf_soft", "lwrt_sigmoidf",
        "lwrt_tanhf",    "lwrt_erff",     "lwrt_sinf",   "lwrt_cosf",       "lwrt_powf",
        "lwrt_floorf",   "lwrt_ceilf",    "lwrt_roundevenf", "lwrt_roundevenf_bits",
        "lwrt_fmodf"};
    uint32_t i;
    size_t k;

    (void)state;
    assert_true(lwrt_nhelpers > 0);
    for (k = 0; k < sizeof names / sizeof names[0]; k++) {
        const LwrtHelper *h = lwrt_find_helper(names[k]);
        assert_non_null(h);
        assert_string_equal(h->name, names[k]);
    }
    assert_null(lwrt_find_helper("lwrt_no_such_helper"));
    for (i = 0; i < lwrt_nhelpers; i++) {
        const LwrtHelper *h = &lwrt_helpers[i];
        const char *p = h->deps;
        assert_non_null(strstr(h->source, "static inline"));
        assert_non_null(strstr(h->source, h->name));
        assert_null(strstr(h->source, "LWRT_FN"));
        assert_true(lwrt_find_helper(h->name) == h);
        while (*p) {
            char dep[64];
            size_t n = strcspn(p, " ");
            const LwrtHelper *d;
            assert_true(n > 0 && n < sizeof dep);
            memcpy(dep, p, n);
            dep[n] = '\0';
            d = lwrt_find_helper(dep);
            if (!d || d >= h) {
                print_message("%s: dependency '%s' %s\n", h->name, dep,
                              d ? "comes after it" : "is not in the table");
                fail();
            }
            p += n;
            while (*p == ' ')
                p++;
        }
    }
}

static int have_tool(const char *tool)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s --version >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

static void test_rt_blob_sources_compile_as_c99(void **state)
{
    const char *path = LWCC_BINARY_DIR "/test_rt_math_blob.c";
    const char *obj = LWCC_BINARY_DIR "/test_rt_math_blob.o";
    char cmd[1024];
    FILE *f;
    uint32_t i;

    (void)state;
    if (!have_tool("cc")) {
        print_message("no cc found: skipping the compile check of the embedded helpers\n");
        skip();
    }
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("#include <stdint.h>\n", f);
    for (i = 0; i < lwrt_nhelpers; i++)
        fprintf(f, "\n%s", lwrt_helpers[i].source);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "cc -std=c99 -Wall -Wextra -pedantic -Werror -O2 -c %s -o %s", path,
             obj);
    assert_int_equal(system(cmd), 0);
    /* every helper emitted, still no undefined symbol: no libc, libm or runtime calls */
    if (have_tool("nm")) {
        snprintf(cmd, sizeof cmd,
                 "cc -std=c99 -O2 -fkeep-inline-functions -c %s -o %s && test -z \"$(nm -u %s)\"",
                 path, obj, obj);
        assert_int_equal(system(cmd), 0);
    }
    if (have_tool("arm-none-eabi-gcc")) {
        snprintf(cmd, sizeof cmd,
                 "arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 "
                 "-std=c99 -Wall -Wextra -pedantic -Werror -O2 -c %s -o %s",
                 path, obj);
        assert_int_equal(system(cmd), 0);
    }
    remove(path);
    remove(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rt_expf_within_1_ulp),
        cmocka_unit_test(test_rt_logf_within_1_ulp),
        cmocka_unit_test(test_rt_sqrtf_correctly_rounded),
        cmocka_unit_test(test_rt_exp_negf),
        cmocka_unit_test(test_rt_sigmoidf_within_2_5_ulp),
        cmocka_unit_test(test_rt_tanhf_within_2_ulp),
        cmocka_unit_test(test_rt_erff_within_2_ulp),
        cmocka_unit_test(test_rt_sinf_cosf_within_1_ulp),
        cmocka_unit_test(test_rt_powf_within_1_ulp),
        cmocka_unit_test(test_rt_powf_special_cases_match_c),
        cmocka_unit_test(test_rt_powf_integer_exponents_exact),
        cmocka_unit_test(test_rt_special_values),
        cmocka_unit_test(test_rt_rounding_helpers_exact),
        cmocka_unit_test(test_rt_fmodf_exact),
        cmocka_unit_test(test_rt_blob_table_deps_resolve_in_order),
        cmocka_unit_test(test_rt_blob_sources_compile_as_c99),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
