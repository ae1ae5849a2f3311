/* Printers: kernel IR + memory plan -> the output pair. */
#ifndef LWCC_CODEGEN_EMIT_H
#define LWCC_CODEGEN_EMIT_H

#include "include/lwcc/ctx.h"
#include "include/lwcc/lwcc.h"
#include "include/lwcc/strbuf.h"
#include "ir/kir.h"

#define WEIGHT_ALIGN 16 /* the blob's alignment, and each weight's of 16 bytes or more */

/* The weight blob's text, made a piece at a time as model.c is written (a large
 * model's weights are most of its text: resnet18's 47 MB are 137 MB of C). */
typedef struct CBlob {
    const Program *p;
    const uint64_t *woff; /* weight offsets in the blob */
    uint64_t size;        /* the blob's bytes */
    size_t at;            /* where in model.c's other text the blob's text goes */
    uint32_t w;           /* next weight */
    uint64_t pos;         /* blob bytes printed so far */
} CBlob;

/* codegen/c_print.c: model.c text and model.h text. With `blob`, the weights'
 * text is left out of c, to be written by c_write; without, c holds it all. */
LW_NODISCARD LwStatus c_print(Ctx *ctx, const char *prefix, StrBuf *c, StrBuf *h, CBlob *blob);
/* writes model.c to `path`: c with the blob's text at blob->at */
LW_NODISCARD LwStatus c_write(Ctx *ctx, const char *path, const StrBuf *c, CBlob *blob);

/* codegen/llvm_print.c: the same program as an LLVM module, written to ctx->opt->output as
 * textual IR, bitcode or an object file (ctx->opt->emit); model.h text into h. Without
 * LLVM (LWCC_HAVE_LLVM 0) a diagnostic says so. */
LW_NODISCARD LwStatus llvm_print(Ctx *ctx, const char *prefix, StrBuf *h);
/* the LLVM version this lwcc was built with, or NULL */
const char *llvm_version(void);

/* codegen/c_header.c: shared by both printers */
void c_header(const Ctx *ctx, const char *prefix, StrBuf *h);
uint32_t weight_align(const Target *t); /* the blob's alignment */
/* blob size (>= 1), offsets */
uint64_t weight_layout(const Program *p, uint32_t align, uint64_t *woff);
const char *upper_name(Arena *a, const char *prefix);
uint64_t arena_bytes(const Ctx *ctx); /* the arena size the API states */
const char *base_name(const char *path);
const char *opt_name(LwOptLevel o);

#endif
