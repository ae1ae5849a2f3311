/* The target table. */
#include "target/target.h"

#include <string.h>

/* one row a target, fields in Target's order */
/* clang-format off */
static const Target targets[] = {
    {"generic", 0, 0, 0, 16, "", "", "portable C99, scalar", {4, 4, 256, 0, 1}, {4, 4, 256, 0, 1},
     "", "generic", "", ""},
    {"x86-64-v3", ISA_AVX2 | ISA_FMA | ISA_ROUND, 32, 16, 32, "<immintrin.h>", "-mavx2 -mfma",
     "x86-64 with AVX2 and FMA", {6, 16, 256, 8, 2}, {4, 16, 512, 8, 2},
     "x86_64-pc-linux-gnu", "x86-64-v3", "", "x86_64"},
    {"x86-64-v4", ISA_AVX512F | ISA_AVX2 | ISA_FMA | ISA_ROUND, 64, 32, 64, "<immintrin.h>",
     "-mavx512f -mavx512bw -mavx512vl -mavx512dq", "x86-64 with AVX-512",
     {8, 32, 256, 16, 2}, {8, 32, 512, 16, 2}, "x86_64-pc-linux-gnu", "x86-64-v4", "", "x86_64"},
    {"x86-64-vnni", ISA_AVX512F | ISA_AVX512VNNI | ISA_AVX2 | ISA_FMA | ISA_ROUND, 64, 32, 64,
     "<immintrin.h>", "-mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni",
     "x86-64 with AVX-512 and VNNI (int8 dot products: Ice Lake, Zen 4 and later)",
     {8, 32, 256, 16, 2}, {8, 32, 512, 16, 2}, "x86_64-pc-linux-gnu", "x86-64-v4", "+avx512vnni",
     "x86_64"},
    {"armv8", ISA_NEON | ISA_FMA | ISA_DOTPROD | ISA_ROUND, 16, 32, 16, "<arm_neon.h>", "",
     "AArch64 with NEON and dot products (sdot; -march=armv8.2-a+dotprod)",
     {8, 8, 256, 4, 2}, {8, 8, 512, 4, 2}, "aarch64-unknown-linux-gnu", "generic",
     "+v8.2a,+neon,+fp-armv8,+dotprod", "aarch64"},
    {"cortex-m4", ISA_DSP | ISA_FPU_SP, 0, 0, 8, "", "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard",
     "Cortex-M4F firmware (scalar, small code)", {2, 2, 64, 0, 1}, {2, 2, 64, 0, 1},
     "thumbv7em-none-eabihf", "cortex-m4", "", "arm"},
};
/* clang-format on */

const Target *target_find(const char *name)
{
    if (!strcmp(name, "native"))
        return target_host();
    for (size_t i = 0; i < LW_COUNT(targets); i++)
        if (!strcmp(targets[i].name, name))
            return &targets[i];
    return NULL;
}

void target_list(FILE *f)
{
    fprintf(f, "  %-12s %s\n", "native", "the machine lwcc runs on (resolved to a row below)");
    for (size_t i = 0; i < LW_COUNT(targets); i++)
        fprintf(f, "  %-12s %s; LLVM: %s%s%s\n", targets[i].name, targets[i].doc,
                *targets[i].triple ? targets[i].triple : "the host's triple",
                *targets[i].cpu ? ", cpu " : "", targets[i].cpu);
}

const Target *target_host(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni"))
        return target_find("x86-64-vnni");
    if (__builtin_cpu_supports("avx512f"))
        return target_find("x86-64-v4");
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return target_find("x86-64-v3");
    return target_find("generic");
#elif defined(__aarch64__)
    return target_find("armv8");
#else
    return target_find("generic");
#endif
}
