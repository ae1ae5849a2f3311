/* Passes: one file each, listed per -O level in passes/pipeline.c. */
#ifndef LWCC_PASSES_PASS_H
#define LWCC_PASSES_PASS_H

#include "include/lwcc/ctx.h"
#include "ir/graph.h"

typedef enum PassKind { PK_GRAPH, PK_KERNEL } PassKind;

typedef struct PassDef {
    const char *name; /* for --print-after, --disable-pass */
    PassKind kind;    /* which verifier runs after it */
    LwStatus (*run)(Ctx *);
    const char *doc;  /* one line for --help-passes */
} PassDef;

extern const PassDef pass_infer_shapes, pass_expand, pass_fold_const, pass_dce, pass_fold_lora,
    pass_fold_affine, pass_fold_pad, pass_fold_transpose, pass_prune_channels, pass_sparse_weights,
    pass_quant_ptq, pass_patch, pass_fuse, pass_lower, pass_memplan;

/* passes/pipeline.c */
LW_NODISCARD LwStatus pipeline_run(Ctx *ctx);
/* Prints every pass with its doc line. */
void pipeline_list(FILE *f);
/* The levels a pass runs at ("O0 O1 O2 Os"), or NULL for an unknown name. */
const PassDef *pipeline_find(const char *name);

/* passes/fold.c: evaluates node n (all inputs constant) with the kernel-IR
 * interpreter and makes its outputs constants. Shared by infer-shapes (small
 * shape subgraphs) and fold-const. */
LW_NODISCARD LwStatus fold_node(Ctx *ctx, uint32_t node);
/* True when node n can be folded: every input constant, outputs not too large, and, for
 * targets without a vector unit and at -Os, not a node that lower computes where it is
 * loaded (folding it would store int8 weights as float). */
int fold_can(const Ctx *ctx, uint32_t node, uint64_t max_elems);
/* True when elementwise node n (its inputs other than 0 constant scalars) maps 0 to 0:
 * its rule evaluated by the interpreter, as folding would. */
int fold_maps_zero(Ctx *ctx, const Node *n);

/* passes/fold.c: memory for every buffer of p in ctx->scratch (weights point at their
 * bytes), for kir_interp_run; errors name node n when given. */
LW_NODISCARD LwStatus interp_bufs(Ctx *ctx, const Node *n, const Program *p, void ***memp);

/* passes/make_node.c: a node of standard op op_name (opset 13) with inputs in[0..nin),
 * the int attribute `axis` when axis >= 0, named `name`, output `outname`; imported
 * and its output inferred. For passes that write ONNX ops into the graph. */
LW_NODISCARD LwStatus pass_make_node(Ctx *ctx, const char *op_name, const char *name,
                                     const ValueId *in, uint16_t nin, int64_t axis,
                                     const char *outname, ValueId *out);

/* passes/lower.c: n's output gets no tensor: every consumer computes it where it loads it
 * (OpDef.at_load, all inputs constant, every use a linear op's weight input). */
int lower_at_load(const Graph *g, const Node *n);

/* passes/memplan.c */
typedef struct MemSlot {
    uint32_t buf;
    uint64_t offset, size;
    uint32_t first, last;
} MemSlot;
typedef struct MemPlan {
    MemSlot *slots;
    uint32_t nslots;
    uint64_t arena_size;
    uint32_t arena_align;
} MemPlan;
/* Bytes of arena buffers live at each kernel of p (sizes rounded as placed) into
 * live[0 .. kernels); returns their largest sum, the bound every plan is above. */
uint64_t memplan_live(Arena *scratch, const Program *p, uint64_t *live);
/* The most bytes g's tensors have live at one node step, unfused, in order: every node
 * output that is not a graph output nor computed from constants alone, alive from its
 * node to its last reader, sizes rounded to 16 (what a plain runtime's planner at best
 * needs). */
uint64_t memplan_graph_bound(Arena *scratch, const Graph *g);

#endif
