/* Default caps for untrusted input (LwLimits in include/lwcc/ctx.h); the CLI
 * and tests start from these. */
#include "include/lwcc/ctx.h"

LwLimits lw_default_limits(void)
{
    LwLimits lim = {
        .file_bytes = UINT64_C(2) << 30,   /* 2 GiB, protobuf's own message limit */
        .depth = 64,                       /* message nesting below the top */
        .arena_bytes = UINT64_C(4) << 30,  /* 4 GiB */
        .tensor_bytes = UINT64_C(1) << 30, /* 1 GiB */
        .total_const = UINT64_C(2) << 30,  /* 2 GiB */
        .nodes = 1000000,
        .fn_depth = 16,
        .fold_elems = UINT64_C(16) << 20, /* 16M elements */
    };
    return lim;
}
