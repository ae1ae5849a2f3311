/* Printers: kernel IR + memory plan -> the output pair. */
#ifndef LWCC_CODEGEN_EMIT_H
#define LWCC_CODEGEN_EMIT_H

#include "include/lwcc/ctx.h"
#include "include/lwcc/lwcc.h"
#include "include/lwcc/strbuf.h"
#include "ir/kir.h"

#define WEIGHT_ALIGN 16 /* the blob's alignment, and each weight's of 16 bytes or more */

/* codegen/c_print.c: model.c text and model.h text. */
LW_NODISCARD LwStatus c_print(Ctx *ctx, const char *prefix, StrBuf *c, StrBuf *h);

/* codegen/llvm_print.c: the same program as an LLVM module, written to ctx->opt->output as
 * textual IR, bitcode or an object file (ctx->opt->emit); model.h text into h. Without
 * LLVM (LWCC_HAVE_LLVM 0) a diagnostic says so. */
LW_NODISCARD LwStatus llvm_print(Ctx *ctx, const char *prefix, StrBuf *h);
/* the LLVM version this lwcc was built with, or NULL */
const char *llvm_version(void);

/* codegen/c_header.c: shared by both printers */
void c_header(const Ctx *ctx, const char *prefix, StrBuf *h);
uint64_t weight_layout(const Program *p, uint64_t *woff); /* blob size (>= 1), offsets */
const char *upper_name(Arena *a, const char *prefix);
uint64_t arena_bytes(const Ctx *ctx); /* the arena size the API states */
const char *base_name(const char *path);
const char *opt_name(LwOptLevel o);

#endif
