/* Targets: ISA features, vector width, schedules and the C the printer may use. */
#ifndef LWCC_TARGET_TARGET_H
#define LWCC_TARGET_TARGET_H

#include <stdio.h>

#include "include/lwcc/base.h"

enum {
    ISA_FMA = 1u << 0,
    ISA_AVX2 = 1u << 1,
    ISA_AVX512F = 1u << 2,
    ISA_AVX512VNNI = 1u << 3,
    ISA_NEON = 1u << 4,
    ISA_DOTPROD = 1u << 5,
    ISA_DSP = 1u << 6,
    ISA_FPU_SP = 1u << 7,
    ISA_ROUND = 1u << 8 /* rounds to an integer in one instruction: SSE4.1, AArch64 */
};

typedef struct Schedule {
    uint8_t mr, nr;
    uint16_t kc;
    uint8_t nchwc, unroll;
} Schedule;

typedef struct Target {
    const char *name;
    uint32_t isa;
    uint16_t vbytes;  /* vector register bytes, 0 = scalar */
    uint8_t nvregs;
    uint16_t arena_align;
    const char *includes; /* intrinsic header, "" for none */
    const char *cflags;   /* flags suggested in model.h */
    const char *doc;
    Schedule f32, i8;
    /* LLVM backend: triple ("" = the host's), CPU and feature string; arch names the
     * runtime-min bitcode module (x86_64, aarch64, arm), "" = the host's */
    const char *triple, *cpu, *features, *arch;
} Target;

/* The target gathers and scatters in vectors (x86-64 with AVX2 or AVX-512): see
 * kir_loop_strided. */
static inline int target_gathers(const Target *t)
{
    return (t->isa & (ISA_AVX2 | ISA_AVX512F)) != 0;
}

/* target/targets.c */
/* The row for `name`; "native" resolves to the host's row. NULL if unknown. */
const Target *target_find(const char *name);
void target_list(FILE *f);

/* target/host.c: the row that describes this machine. */
const Target *target_host(void);

#endif
