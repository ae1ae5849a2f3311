/* Firmware for a Cortex-M4F (QEMU mps2-an386): runs an lwcc-compiled digits
 * model, with its arena in static RAM, on the held-out test images read from
 * the host through semihosting (eval.bin, see samples/digits/make_eval.py),
 * and prints predictions and accuracy. Built by samples/cortex-m4/run.sh and by
 * samples/cmake-cortex-m4 (which sets EVAL_PATH: semihosting opens a relative path
 * from QEMU's working directory). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

#ifndef EVAL_PATH
#define EVAL_PATH "samples/digits/eval.bin"
#endif

static unsigned char arena[MODEL_ARENA_SIZE] __attribute__((aligned(MODEL_ARENA_ALIGN)));
static unsigned char input[MODEL_INPUT0_BYTES];
static unsigned char output[MODEL_OUTPUT0_BYTES];

static int argmax(void)
{
    int best = 0;
#if MODEL_OUTPUT0_DTYPE == 1 /* float32 */
    const float *y = (const float *)(const void *)output;
#else
    const uint8_t *y = output;
#endif
    for (int i = 1; i < (int)(MODEL_OUTPUT0_BYTES / sizeof(y[0])); i++)
        if (y[i] > y[best])
            best = i;
    return best;
}

int main(void)
{
    FILE *f = fopen(EVAL_PATH, "rb");
    uint32_t head[4];
    if (!f || fread(head, 4, 4, f) != 4 || memcmp(head, "LWEV", 4) != 0 || head[3] != 64) {
        printf("cortex-m4: cannot read %s\n", EVAL_PATH);
        return 1;
    }
    uint32_t n = head[2];
    static float images[64 * 400];
    static uint8_t labels[400];
    if (n > 400 || fread(images, sizeof(float) * 64, n, f) != n || fread(labels, 1, n, f) != n) {
        printf("cortex-m4: eval.bin is truncated\n");
        return 1;
    }
    fclose(f);
    const void *const in[1] = {input};
    void *const out[1] = {output};
    uint32_t hits = 0;
    for (uint32_t i = 0; i < n; i++) {
#if MODEL_INPUT0_DTYPE == 1
        memcpy(input, &images[64 * i], sizeof input);
#else /* uint8 pixels 0..16, scale 1/16 */
        for (int k = 0; k < 64; k++)
            input[k] = (uint8_t)(images[64 * i + k] * 16.0f + 0.5f);
#endif
        if (model_run(in, out, arena) != 0) {
            printf("cortex-m4: model_run failed\n");
            return 1;
        }
        int p = argmax();
        hits += p == labels[i];
        if (i < 8)
            printf("image %u: predicted %d, label %u\n", (unsigned)i, p, labels[i]);
    }
    printf("accuracy: %u/%u\n", (unsigned)hits, (unsigned)n);
    printf("arena: %u bytes\n", (unsigned)MODEL_ARENA_SIZE);
    return 0;
}
