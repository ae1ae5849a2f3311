/* Frontend: ONNX ModelProto -> Graph IR. Only the frontend sees protobuf-c types. */
#ifndef LWCC_FRONTEND_FRONTEND_H
#define LWCC_FRONTEND_FRONTEND_H

#include "include/lwcc/ctx.h"
#include "ir/attr.h"
#include "onnx.pb-c.h"

/* frontend/import.c: loads opts->input into ctx->g, applies --shape and
 * --freeze-input; every unsupported op is reported at once. */
LW_NODISCARD LwStatus frontend_import(Ctx *ctx);

/* frontend/export.c: ctx->g as an ONNX model at `path` (--emit=onnx). */
LW_NODISCARD LwStatus onnx_write_model(Ctx *ctx, const char *path);

/* frontend/calib.c: reads --calibration's sample folders into ctx->calib. */
LW_NODISCARD LwStatus frontend_calibration(Ctx *ctx);

/* frontend/tensor.c: TensorProto -> dense bytes (raw_data, typed fields or
 * external data under `model_dir`). `what` names the tensor in messages. */
LW_NODISCARD LwStatus tensor_decode(Ctx *ctx, const Onnx__TensorProto *t, const char *model_dir,
                                    TensorVal *out);

/* frontend/extdata.c: reads `length` bytes at `offset` of `location`, which
 * must resolve (after symlinks) inside `model_dir`. */
LW_NODISCARD LwStatus extdata_read(Ctx *ctx, const char *model_dir, const char *location,
                                   uint64_t offset, uint64_t length, int has_length,
                                   const char *tensor, unsigned char **data, uint64_t *size);

/* frontend/attr.c: AttributeProto list -> AttrList. `caller` resolves
 * ref_attr_name inside local functions (NULL at top level). */
LW_NODISCARD LwStatus attrs_convert(Ctx *ctx, const SrcLoc *loc, Onnx__AttributeProto **in,
                                    size_t n, const AttrList *caller, const char *model_dir,
                                    AttrList *out);

#endif
