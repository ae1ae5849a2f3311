/* Kernel IR: the operation table and program containers. */
#include "ir/kir.h"

static const KOpInfo kops[KOP_COUNT] = {
#define X(e, name, arity, res, form, cspell, helper) {name, arity, res, form, cspell, helper},
#include "ir/kir_ops.def"
#undef X
};

const KOpInfo *kop_info(KOp op)
{
    LW_ASSERT((unsigned)op < KOP_COUNT);
    return &kops[op];
}

Program *kir_program_new(Arena *a)
{
    return arena_new(a, Program);
}

uint32_t kir_add_buf(Arena *a, Program *p, KBufKind kind, DType dt, uint64_t nelem,
                     ValueId origin)
{
    KBuf b = {0};
    b.kind = kind;
    b.dtype = dt;
    b.nelem = nelem;
    b.align = dtype_size(dt) < 4 ? 4 : dtype_size(dt);
    if (kind == KB_ARENA)
        b.align = 16;
    b.origin = origin;
    vec_push(a, &p->bufs, b);
    return p->bufs.len - 1;
}

uint32_t kir_add_weight(Arena *a, Program *p, DType dt, const unsigned char *bytes, uint64_t size,
                        uint64_t nelem, ValueId origin)
{
    Weight w = {0};
    w.bytes = bytes;
    w.size = size;
    w.align = 16;
    w.origin = origin;
    vec_push(a, &p->weights, w);
    uint32_t b = kir_add_buf(a, p, KB_WEIGHT, dt, nelem, origin);
    p->bufs.data[b].slot = p->weights.len - 1;
    return b;
}
