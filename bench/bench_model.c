/* Times one lwcc-generated model through its public API: the median of many
 * runs of <prefix>_run after a warm-up, one thread. Built by bench.py as
 *   cc -O3 -march=native -include model.h bench_model.c model.c
 * Usage: bench_model MIN_ITERS MIN_SECONDS INPUT_FILE...
 * Prints "median_ns N min_ns M iters I". */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void *load(const char *path, size_t want)
{
    FILE *f = fopen(path, "rb");
    void *p = malloc(want ? want : 1);
    if (!f || !p || fread(p, 1, want, f) != want) {
        fprintf(stderr, "bench_model: cannot read %zu bytes from %s\n", want, path);
        exit(1);
    }
    fclose(f);
    return p;
}

int main(int argc, char **argv)
{
    static const size_t in_bytes[] = {
#define X(i) MODEL_INPUT##i##_BYTES
#if MODEL_NUM_INPUTS > 0
        X(0),
#endif
#if MODEL_NUM_INPUTS > 1
        X(1),
#endif
#if MODEL_NUM_INPUTS > 2
        X(2),
#endif
#if MODEL_NUM_INPUTS > 3
        X(3),
#endif
#undef X
        0};
    static const size_t out_bytes[] = {
#define X(i) MODEL_OUTPUT##i##_BYTES
        X(0),
#if MODEL_NUM_OUTPUTS > 1
        X(1),
#endif
#if MODEL_NUM_OUTPUTS > 2
        X(2),
#endif
#if MODEL_NUM_OUTPUTS > 3
        X(3),
#endif
#undef X
        0};
    if (MODEL_NUM_INPUTS > 4 || MODEL_NUM_OUTPUTS > 4) {
        fprintf(stderr, "bench_model: at most 4 inputs and outputs\n");
        return 1;
    }
    if (argc != 3 + MODEL_NUM_INPUTS) {
        fprintf(stderr, "usage: bench_model MIN_ITERS MIN_SECONDS INPUT_FILE...\n");
        return 2;
    }
    long min_iters = atol(argv[1]);
    double min_ns = atof(argv[2]) * 1e9;
    const void *in[MODEL_NUM_INPUTS > 0 ? MODEL_NUM_INPUTS : 1];
    void *out[MODEL_NUM_OUTPUTS];
    for (int i = 0; i < MODEL_NUM_INPUTS; i++)
        in[i] = load(argv[3 + i], in_bytes[i]);
    for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
        out[i] = malloc(out_bytes[i] ? out_bytes[i] : 1);
    void *arena = NULL;
    if (posix_memalign(&arena, MODEL_ARENA_ALIGN < sizeof(void *) ? sizeof(void *) : MODEL_ARENA_ALIGN,
                       MODEL_ARENA_SIZE) != 0)
        return 1;
    double t0 = now_ns(), one;
    long warm = 0;
    do {
        if (model_run(in, out, arena) != 0) {
            fprintf(stderr, "bench_model: model_run failed\n");
            return 1;
        }
        warm++;
    } while (warm < 3 || now_ns() - t0 < 0.2e9);
    one = (now_ns() - t0) / (double)warm;
    long batch = one >= 20e3 ? 1 : (long)(20e3 / one) + 1;
    long n = (long)(min_ns / (one * (double)batch)) + 1;
    if (n * batch < min_iters)
        n = (min_iters + batch - 1) / batch;
    if (n < 15)
        n = 15;
    double *t = malloc(sizeof(double) * (size_t)n);
    for (long i = 0; i < n; i++) {
        double s = now_ns();
        for (long k = 0; k < batch; k++)
            model_run(in, out, arena);
        t[i] = (now_ns() - s) / (double)batch;
    }
    qsort(t, (size_t)n, sizeof(double), by_value);
    printf("median_ns %.1f min_ns %.1f iters %ld\n", t[n / 2], t[0], n * batch);
    return 0;
}
