/* Printers: kernel IR + memory plan -> the output pair. */
#ifndef LWCC_CODEGEN_EMIT_H
#define LWCC_CODEGEN_EMIT_H

#include "include/lwcc/ctx.h"
#include "include/lwcc/strbuf.h"

/* codegen/c_print.c: model.c text and model.h text. */
LW_NODISCARD LwStatus c_print(Ctx *ctx, const char *prefix, StrBuf *c, StrBuf *h);

#endif
