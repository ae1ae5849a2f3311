/* The dtype table. */
#include "ir/dtype.h"

#include "include/lwcc/base.h"

static const DTypeInfo dtypes[DT_COUNT] = {
#define X(e, code, name, bytes, ctype, cls) {code, name, bytes, ctype, cls},
#include "ir/dtype.def"
#undef X
};

const DTypeInfo *dtype_info(DType t)
{
    LW_ASSERT((unsigned)t < DT_COUNT);
    return &dtypes[t];
}

DType dtype_from_onnx(int64_t code)
{
    for (unsigned i = 1; i < DT_COUNT; i++)
        if (dtypes[i].onnx == code)
            return (DType)i;
    return DT_UNDEFINED;
}
