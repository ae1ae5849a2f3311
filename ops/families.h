/* The op family tables, listed in ops/optable.c. */
#ifndef LWCC_OPS_FAMILIES_H
#define LWCC_OPS_FAMILIES_H

#include "ops/op.h"

#define OP_FAMILY(f)                                                                               \
    extern const OpDef ops_##f[];                                                                  \
    extern const uint32_t ops_##f##_count;

OP_FAMILY(elementwise)
OP_FAMILY(activation)
OP_FAMILY(conv)
OP_FAMILY(gemm)
OP_FAMILY(pool)
OP_FAMILY(norm)
OP_FAMILY(shape)
OP_FAMILY(reduce)
OP_FAMILY(misc)
OP_FAMILY(loss)
OP_FAMILY(resize)
OP_FAMILY(index)
OP_FAMILY(convt)
OP_FAMILY(recurrent)
OP_FAMILY(quant)
OP_FAMILY(signal)

#endif
