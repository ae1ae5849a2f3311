/* Loading ONNX files: read under a size cap, pre-scan, protobuf-c unpack with
 * an allocator on ctx->perm under ctx->lim.arena_bytes. */
#ifndef LWCC_FRONTEND_LOAD_H
#define LWCC_FRONTEND_LOAD_H

#include <stddef.h>

#include "include/lwcc/base.h"
#include "onnx.pb-c.h"

typedef struct Ctx Ctx;

/* frontend/load.c */
/* Reads and unpacks the model at `path`. The result lives in ctx->perm (no
 * free needed); the file bytes live in ctx->scratch only while loading.
 * Diagnostics name `path`. A model without a graph is an error. */
LW_NODISCARD LwStatus onnx_load_model(Ctx *ctx, const char *path, Onnx__ModelProto **out);
/* The same for a serialized model already in memory (the fuzzer's entry);
 * `buf` is not kept. */
LW_NODISCARD LwStatus onnx_load_model_mem(Ctx *ctx, const unsigned char *buf, size_t len,
                                          Onnx__ModelProto **out);
/* Reads and unpacks a serialized TensorProto (--freeze-input NAME=FILE.pb). */
LW_NODISCARD LwStatus onnx_load_tensor(Ctx *ctx, const char *path, Onnx__TensorProto **out);

#endif
