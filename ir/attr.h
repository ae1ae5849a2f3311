/* AttrList: ONNX node attributes as plain typed values, independent of protobuf.
 * The frontend fills it; each op's import reads it through these getters, which
 * check types and report errors on the node. */
#ifndef LWCC_IR_ATTR_H
#define LWCC_IR_ATTR_H

#include "include/lwcc/ctx.h"
#include "ir/dtype.h"
#include "ir/shape.h"

typedef enum AttrType {
    AT_UNDEFINED, AT_FLOAT, AT_INT, AT_STRING, AT_TENSOR, AT_GRAPH,
    AT_FLOATS, AT_INTS, AT_STRINGS, AT_TENSORS, AT_GRAPHS, AT_SPARSE, AT_TYPE
} AttrType;

/* A constant tensor: dense row-major bytes in its dtype. */
typedef struct TensorVal {
    DType dtype;
    Shape shape;
    const unsigned char *data;
    uint64_t bytes;
} TensorVal;

typedef struct Attr {
    const char *name;
    AttrType type;
    int64_t i;
    float f;
    const char *s;
    uint64_t slen;
    const int64_t *ints;
    const float *floats;
    const char *const *strings;
    uint32_t n;            /* entries of ints/floats/strings */
    const TensorVal *t;
    const void *graph;     /* frontend-owned subgraph (If/Loop/Scan), opaque here */
    int used;              /* set by getters: unread attributes are reported */
} Attr;

typedef struct AttrList {
    Attr *a;
    uint32_t n;
} AttrList;

typedef struct SrcLoc SrcLoc;

/* ir/attr.c: getters; `loc` names the node in messages. A missing attribute
 * gives the default (returns LW_OK); a present one of the wrong type is an error. */
const Attr *attr_find(const AttrList *al, const char *name);
LW_NODISCARD LwStatus attr_int(Ctx *ctx, const SrcLoc *loc, const AttrList *al, const char *name,
                               int64_t def, int64_t *out);
LW_NODISCARD LwStatus attr_float(Ctx *ctx, const SrcLoc *loc, const AttrList *al,
                                 const char *name, float def, float *out);
LW_NODISCARD LwStatus attr_string(Ctx *ctx, const SrcLoc *loc, const AttrList *al,
                                  const char *name, const char *def, const char **out);
/* Up to `max` ints; *n = 0 when absent. */
LW_NODISCARD LwStatus attr_ints(Ctx *ctx, const SrcLoc *loc, const AttrList *al, const char *name,
                                int64_t *out, uint32_t max, uint32_t *n);
/* Any-length ints, pointer into the list; *n = 0 and NULL when absent. */
LW_NODISCARD LwStatus attr_ints_ref(Ctx *ctx, const SrcLoc *loc, const AttrList *al,
                                    const char *name, const int64_t **out, uint32_t *n);
LW_NODISCARD LwStatus attr_floats_ref(Ctx *ctx, const SrcLoc *loc, const AttrList *al,
                                      const char *name, const float **out, uint32_t *n);
LW_NODISCARD LwStatus attr_tensor(Ctx *ctx, const SrcLoc *loc, const AttrList *al,
                                  const char *name, const TensorVal **out);
/* Error for each attribute the op did not read (unknown to lwcc for this op). */
LW_NODISCARD LwStatus attr_check_unused(Ctx *ctx, const SrcLoc *loc, const AttrList *al);

#endif
