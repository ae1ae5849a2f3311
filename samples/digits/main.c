/* Host program for the digits sample: runs lwcc's generated digits classifier on
 * the held-out images in eval.bin (format in make_eval.py) and prints its
 * predictions, top-1 accuracy, arena size and latency. Host side, so it uses stdio.
 *
 * Build (tools/demo.sh does this):
 *   cc -O2 -DMODEL_HEADER='"digits.h"' -DMODEL_PREFIX=digits -DMODEL_PREFIX_UC=DIGITS \
 *      -Ibuild/demo samples/digits/main.c digits.o -o digits
 *   ./digits samples/digits/eval.bin [SHOW]
 * The header may instead come through `-include digits.h` (then also pass
 * -D_POSIX_C_SOURCE=200112L for the monotonic clock). The prefix defaults
 * to model / MODEL (lwcc -o model.c).
 */
#if !defined(_POSIX_C_SOURCE) && !defined(_WIN32)
#define _POSIX_C_SOURCE 200112L /* clock_gettime; must precede system headers */
#endif

#ifdef MODEL_HEADER
#include MODEL_HEADER
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef MODEL_PREFIX
#define MODEL_PREFIX model
#endif
#ifndef MODEL_PREFIX_UC
#define MODEL_PREFIX_UC MODEL
#endif
#define PASTE2(a, b) a##b
#define PASTE(a, b) PASTE2(a, b)
#define M(suffix) PASTE(MODEL_PREFIX_UC, suffix)  /* M(_ARENA_SIZE) -> MODEL_ARENA_SIZE */
#define RUN PASTE(MODEL_PREFIX, _run)

#define IMAGE_FLOATS 64        /* one 1x1x8x8 float32 image */
#define HEADER_BYTES 16
#define MIN_TIMED_RUNS 200
#define MIN_TIMED_SECONDS 1.0
#define MAX_TIMED_RUNS 1000000

#if M(_NUM_INPUTS) != 1 || M(_NUM_OUTPUTS) != 1
#error "the digits model has one input and one output"
#endif
#if M(_INPUT0_BYTES) != IMAGE_FLOATS * 4
#error "input 0 is not one 1x1x8x8 float32 image"
#endif

#define NCLASSES (M(_OUTPUT0_BYTES) / 4)

static double now_seconds(void)
{
#if defined(CLOCK_MONOTONIC)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}

static uint32_t get_u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float get_f32le(const unsigned char *p)
{
    uint32_t u = get_u32le(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

/* Reads eval.bin whole; returns the image floats and labels through the pointers. */
static int load_eval(const char *path, float **images, unsigned char **labels, uint32_t *count)
{
    FILE *f = fopen(path, "rb");
    unsigned char hdr[HEADER_BYTES], *raw;
    uint32_t n, per;
    size_t nraw;

    if (!f) {
        perror(path);
        return -1;
    }
    if (fread(hdr, 1, sizeof hdr, f) != sizeof hdr || memcmp(hdr, "LWEV", 4) != 0 ||
        get_u32le(hdr + 4) != 1) {
        fprintf(stderr, "%s: not an eval.bin (version 1) file\n", path);
        fclose(f);
        return -1;
    }
    n = get_u32le(hdr + 8);
    per = get_u32le(hdr + 12);
    if (per != IMAGE_FLOATS || n == 0 || n > 1000000) {
        fprintf(stderr, "%s: %lu images of %lu floats; expected 8x8 images\n", path,
                (unsigned long)n, (unsigned long)per);
        fclose(f);
        return -1;
    }
    nraw = (size_t)n * (IMAGE_FLOATS * 4 + 1);
    raw = malloc(nraw);
    *images = malloc((size_t)n * IMAGE_FLOATS * sizeof(float));
    *labels = malloc(n);
    if (!raw || !*images || !*labels || fread(raw, 1, nraw, f) != nraw) {
        fprintf(stderr, "%s: truncated or out of memory\n", path);
        free(raw);
        fclose(f);
        return -1;
    }
    fclose(f);
    for (size_t i = 0; i < (size_t)n * IMAGE_FLOATS; i++)
        (*images)[i] = get_f32le(raw + 4 * i);
    memcpy(*labels, raw + (size_t)n * IMAGE_FLOATS * 4, n);
    free(raw);
    *count = n;
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "samples/digits/eval.bin";
    int show = argc > 2 ? atoi(argv[2]) : 10;
    float *images = NULL, logits[NCLASSES];
    unsigned char *labels = NULL, *arena_raw;
    void *arena;
    double *times;
    uint32_t n, correct = 0;
    size_t ntimes = 0, cap = MIN_TIMED_RUNS;
    double t_start;

    if (load_eval(path, &images, &labels, &n) != 0)
        return 1;

    /* The arena must be MODEL_ARENA_ALIGN-aligned: over-allocate and round up. */
    arena_raw = malloc((size_t)M(_ARENA_SIZE) + (size_t)M(_ARENA_ALIGN));
    if (!arena_raw) {
        fprintf(stderr, "out of memory for the arena\n");
        return 1;
    }
    arena = arena_raw + ((size_t)M(_ARENA_ALIGN) -
                         (size_t)((uintptr_t)arena_raw % (uintptr_t)M(_ARENA_ALIGN))) %
                            (size_t)M(_ARENA_ALIGN);

    printf("predictions (first %d of %lu):\n", show, (unsigned long)n);
    for (uint32_t i = 0; i < n; i++) {
        const void *in[1];
        void *out[1];
        int pred;

        in[0] = images + (size_t)i * IMAGE_FLOATS;
        out[0] = logits;
        if (RUN(in, out, arena) != 0) {
            fprintf(stderr, "model_run failed on image %lu\n", (unsigned long)i);
            return 1;
        }
        pred = argmax(logits, NCLASSES);
        correct += pred == labels[i];
        if ((int)i < show)
            printf("  image %3lu: predicted %d, label %d%s\n", (unsigned long)i, pred,
                   labels[i], pred == labels[i] ? "" : "  (wrong)");
    }
    printf("accuracy: %.4f (%lu/%lu correct, top-1)\n", (double)correct / n,
           (unsigned long)correct, (unsigned long)n);
    printf("arena bytes: %lu (align %lu)\n", (unsigned long)M(_ARENA_SIZE),
           (unsigned long)M(_ARENA_ALIGN));

    /* Latency: time each model_run over the images, cycling, for at least
     * MIN_TIMED_RUNS runs and MIN_TIMED_SECONDS; report the median. */
    times = malloc(cap * sizeof *times);
    if (!times)
        return 1;
    t_start = now_seconds();
    while (ntimes < MIN_TIMED_RUNS ||
           (ntimes < MAX_TIMED_RUNS && now_seconds() - t_start < MIN_TIMED_SECONDS)) {
        const void *in[1];
        void *out[1];
        double t0, t1;

        in[0] = images + (ntimes % n) * IMAGE_FLOATS;
        out[0] = logits;
        if (ntimes == cap) {
            double *grown = realloc(times, 2 * cap * sizeof *times);
            if (!grown)
                break;
            times = grown;
            cap *= 2;
        }
        t0 = now_seconds();
        (void)RUN(in, out, arena);
        t1 = now_seconds();
        times[ntimes++] = t1 - t0;
    }
    qsort(times, ntimes, sizeof *times, cmp_double);
    printf("latency: median %.2f us, min %.2f us over %lu runs (one thread)\n",
           times[ntimes / 2] * 1e6, times[0] * 1e6, (unsigned long)ntimes);

    free(times);
    free(arena_raw);
    free(images);
    free(labels);
    return 0;
}
