/* Kernel-IR interpreter: constant folding and the reference executor. It uses
 * the runtime-min helpers and the same cast and wrap rules the printers emit. */
#ifndef LWCC_IR_KIR_INTERP_H
#define LWCC_IR_KIR_INTERP_H

#include "ir/kir.h"

/* ir/kir_interp.c: runs kernels [first, last) with mem[b] holding buffer b. */
LW_NODISCARD LwStatus kir_interp_run(Ctx *ctx, const Program *p, uint32_t first, uint32_t last,
                                     void *const *mem);

#endif
