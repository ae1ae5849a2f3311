/* Element types: one table (ir/dtype.def) gives ONNX codes, names, sizes, C types. */
#ifndef LWCC_IR_DTYPE_H
#define LWCC_IR_DTYPE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum DType {
#define X(e, code, name, bytes, ctype, cls) e,
#include "ir/dtype.def"
#undef X
    DT_COUNT
} DType;

typedef struct DTypeInfo {
    int32_t onnx;      /* TensorProto.DataType code */
    const char *name;  /* "float32" */
    uint32_t bytes;
    const char *ctype; /* C type of the storage */
    char cls;          /* 'f' 's' 'u' 'b' 'h' */
} DTypeInfo;

/* ir/dtype.c */
const DTypeInfo *dtype_info(DType t);
/* DT_UNDEFINED when the code is not a known dtype. */
DType dtype_from_onnx(int64_t code);
static inline uint32_t dtype_size(DType t) { return dtype_info(t)->bytes; }
static inline bool dtype_is_float(DType t) { return dtype_info(t)->cls == 'f'; }
static inline bool dtype_is_int(DType t) { return dtype_info(t)->cls == 's' || dtype_info(t)->cls == 'u'; }
/* float32/64 and the half types (storage only: computed in float32) */
static inline bool dtype_is_floatlike(DType t) { return dtype_info(t)->cls == 'f' || dtype_info(t)->cls == 'h'; }
/* The type values of t are computed in (accumulators, locals, scratch, derived weights):
 * float32 for the half types, whose loads give float32 and whose stores round; t itself
 * for every other type (float64 computes in double). */
static inline DType dtype_compute(DType t) { return dtype_info(t)->cls == 'h' ? DT_FLOAT32 : t; }
static inline bool dtype_is_signed(DType t) { return dtype_info(t)->cls == 's'; }
static inline const char *dtype_name(DType t) { return dtype_info(t)->name; }

#endif
