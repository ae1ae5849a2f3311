/* codegen/rt_bitcode.h: the runtime-min helpers as LLVM bitcode, one module per
 * architecture, compiled by clang when lwcc is built (cmake/rt_bitcode.cmake). The LLVM
 * printer links the module of its target's architecture into every model. */
#ifndef LWCC_CODEGEN_RT_BITCODE_H
#define LWCC_CODEGEN_RT_BITCODE_H

#include <stddef.h>

typedef struct LwrtBitcode {
    const char *arch; /* "x86_64", "aarch64", "arm" */
    const unsigned char *bytes;
    size_t size;
} LwrtBitcode;

/* rt_bitcode.c (generated; only in builds with the LLVM backend) */
extern const LwrtBitcode lwrt_bitcode[];
extern const unsigned lwrt_nbitcode;

#endif
