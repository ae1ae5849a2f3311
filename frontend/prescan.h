/* Pre-scan of untrusted protobuf bytes before protobuf-c unpacks them: wire
 * format, nesting depth, field lengths inside their parents, element counts. */
#ifndef LWCC_FRONTEND_PRESCAN_H
#define LWCC_FRONTEND_PRESCAN_H

#include <stddef.h>
#include <stdint.h>

#include "include/lwcc/base.h"

typedef struct Diag Diag;
typedef struct LwLimits LwLimits;

/* Hard cap on message nesting whatever lim->depth says: protobuf-c unpacks by
 * recursion, so the depth it sees must stay within any thread's stack. */
#define PRESCAN_MAX_DEPTH 256

/* frontend/prescan.c */
/* Checks `buf` as a serialized ModelProto: every tag and varint well formed, no
 * group or reserved wire types, each field inside its enclosing message,
 * messages nested at most min(lim->depth, PRESCAN_MAX_DEPTH) levels below the
 * top, NodeProto count within lim->nodes, a lower bound of the unpacked size
 * within lim->arena_bytes. An empty buffer is an error. Reports through `d`
 * and returns LW_ERR_MODEL on bad input. */
LW_NODISCARD LwStatus prescan_model(Diag *d, const unsigned char *buf, size_t len,
                                    const LwLimits *lim);
/* The same for a bare serialized TensorProto (--freeze-input files). */
LW_NODISCARD LwStatus prescan_tensor(Diag *d, const unsigned char *buf, size_t len,
                                     const LwLimits *lim);
/* The schema the walk follows: the full protobuf name ("onnx.GraphProto") of
 * the message type that field `field` of message `msg` holds, or NULL when
 * `msg` is unknown or the field is not a message field. Tests compare it with
 * protoc-c's descriptors so the table cannot fall behind onnx.proto. */
const char *prescan_field_message(const char *msg, uint32_t field);

#endif
