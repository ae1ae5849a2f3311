/* Ctx: the state of one compile, passed explicitly (no global mutable state). */
#ifndef LWCC_LWCC_CTX_H
#define LWCC_LWCC_CTX_H

#include "include/lwcc/arena.h"
#include "include/lwcc/diag.h"

typedef struct LwOptions LwOptions;
typedef struct Target Target;
typedef struct Graph Graph;
typedef struct Program Program;
typedef struct MemPlan MemPlan;

/* Caps for untrusted input. */
typedef struct LwLimits {
    uint64_t file_bytes;     /* model file size */
    uint32_t depth;          /* protobuf message nesting */
    uint64_t arena_bytes;    /* memory the compile may allocate */
    uint64_t tensor_bytes;   /* one constant tensor */
    uint64_t total_const;    /* all constants after folding */
    uint32_t nodes;          /* nodes after inlining */
    uint32_t fn_depth;       /* local function inlining depth */
    uint64_t fold_elems;     /* largest tensor constant folding may produce */
} LwLimits;

/* --calibration samples: data[s * ninputs + k] holds graph input k of sample s,
 * dense in its dtype and shape (frontend/calib.c). */
typedef struct CalibSet {
    uint32_t nsamples, ninputs;
    const unsigned char *const *data;
} CalibSet;

typedef struct Ctx {
    Arena *perm, *scratch; /* perm: whole compile; scratch: reset after each pass */
    Diag *diag;
    const LwOptions *opt;
    const Target *target;
    LwLimits lim;
    Graph *g;
    Program *prog; /* NULL until lower */
    MemPlan *plan; /* NULL until memplan */
    int verify;    /* run verifiers after every pass */
    const CalibSet *calib; /* NULL without --calibration */
    Vec(const char *) deps; /* files read besides the model (external data, frozen inputs) */
    /* the most bytes the model's own graph has live at one step, unfused, in file order
     * (its tensors' sizes rounded to 16): set after the first shape inference; the arena
     * -O2 may grow to for faster kernels (passes/lower.c) */
    uint64_t graph_bound;
    Vec(const char *) remarks; /* what optimizing passes changed, one line each, in ctx->perm
                                * ("node 'c2' (Conv): 8 of 32 output channels removed") */
} Ctx;

LwLimits lw_default_limits(void);

#endif
