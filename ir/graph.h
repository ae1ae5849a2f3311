/* Graph IR: SSA values with dtype, static shape and quantization parameters;
 * nodes that keep the ONNX node they came from. Constants are values with
 * data, not nodes. Values and nodes are indices; 0 is "none". */
#ifndef LWCC_IR_GRAPH_H
#define LWCC_IR_GRAPH_H

#include "include/lwcc/ctx.h"
#include "include/lwcc/strbuf.h"
#include "ir/attr.h"
#include "ir/dtype.h"
#include "ir/shape.h"

typedef uint32_t ValueId, NodeId;
typedef struct OpDef OpDef;

typedef enum ValueKind { VK_NONE, VK_INPUT, VK_CONST, VK_NODE } ValueKind;

enum {
    VF_GRAPH_OUTPUT = 1u << 0, /* listed in graph outputs */
    VF_FROZEN = 1u << 1,       /* an input made constant by --freeze-input */
    VF_SHAPED = 1u << 2,       /* dtype and shape are known */
    VF_SHAPE_HINT = 1u << 3    /* shape came from value_info, to cross-check */
};

typedef struct Const {
    const unsigned char *bytes; /* dense row-major, dtype_size * numel */
    uint64_t size;
} Const;

typedef struct Value {
    const char *name; /* ONNX name, "" if none */
    DType dtype;
    Shape shape;
    const QuantParams *quant;
    ValueKind kind;
    NodeId def;          /* VK_NODE: the defining node */
    const Const *data;   /* VK_CONST */
    uint32_t nuses, flags;
    const char *const *dim_param; /* VK_INPUT: symbolic dim names (NULL entries = static) */
} Value;

typedef struct Node {
    const OpDef *op;    /* NULL once erased */
    const void *attrs;  /* the op's attribute struct, filled by op->import */
    ValueId *in, *out;  /* a missing optional input is 0 */
    uint16_t nin, nout;
    SrcLoc loc;
    const NodeId *epi; /* elementwise nodes fused into this one's stores (pass fuse) */
    const uint8_t *epi_arg; /* per epilogue node: its input that takes the value so far */
    uint16_t nepi;
    uint32_t flags;    /* NF_*: how passes chose to lower it */
    const AttrList *src; /* the ONNX attributes it was made from (--emit=onnx), or NULL */
} Node;

enum {
    NF_SPARSE = 1u << 0,    /* its constant weight is stored and run sparse (sparse-weights) */
    NF_SPARSE_CSR = 1u << 1 /* with NF_SPARSE: run in CSR form, one loop whatever the channel
                               count (ops/sparse.c) */
};

typedef struct Graph {
    Vec(Value) values;
    Vec(Node) nodes;
    Vec(NodeId) order; /* topological, stable */
    Vec(ValueId) inputs, outputs;
} Graph;

/* ir/graph.c: builders and rewrites */
Graph *graph_new(Arena *a);
ValueId graph_add_value(Arena *a, Graph *g, const char *name, DType dt);
/* A constant value; takes `data` (not copied). */
/* Node `id` now defines `v` as its output 0 (a pass folded or fused away the nodes that
 * made v); its old output value is dropped. */
void graph_take_output(Graph *g, NodeId id, ValueId v);
ValueId graph_add_const(Arena *a, Graph *g, const char *name, DType dt, const Shape *s,
                        const unsigned char *data, uint64_t size);
/* A node with `nin` inputs and `nout` fresh output values (named from `outnames`
 * when given); appended to the order. */
NodeId graph_add_node(Arena *a, Graph *g, const OpDef *op, const SrcLoc *loc, uint16_t nin,
                      const ValueId *in, uint16_t nout, const char *const *outnames);
static inline Value *graph_value(const Graph *g, ValueId v) { return &g->values.data[v]; }
static inline Node *graph_node(const Graph *g, NodeId n) { return &g->nodes.data[n]; }
/* Every use of `from` (node inputs and graph outputs) now reads `to`. */
void graph_replace_uses(Graph *g, ValueId from, ValueId to);
/* Removes a node from the order (its outputs must be unused). */
void graph_erase_node(Graph *g, NodeId n);
/* Recomputes nuses (epilogue nodes' other inputs count as uses) and drops erased nodes
 * from the order. */
void graph_recount(Graph *g);
/* Is v a value of n's epilogue chain before its epilogue node e: the value n itself
 * computes, or an earlier epilogue node's result (the x of x * sigmoid(x) fused with
 * the node that makes x)? Such an input is the value in registers, not a tensor. */
int graph_epi_chain_value(const Graph *g, const Node *n, uint16_t e, ValueId v);
/* Orders nodes topologically (stable: file order where possible); an error on
 * a cycle or a use before any definition. */
LW_NODISCARD LwStatus graph_toposort(Ctx *ctx, Graph *g);
/* Turns value v into a constant (its defining node, if any, loses that output). */
void graph_set_const(Arena *a, Graph *g, ValueId v, const unsigned char *data, uint64_t size);

/* ir/graph_verify.c */
/* Checks SSA, order, uses, shapes and dtypes; calls lw_ice on a violation. */
void graph_verify(const Ctx *ctx, const Graph *g, const char *after);

/* ir/graph_dump.c: text form for --emit=ir and --print-after. */
void graph_dump(const Graph *g, StrBuf *sb);
void graph_dump_value_type(const Value *v, StrBuf *sb);

/* Convenience for diagnostics on a node or value. */
LwStatus diag_node(Ctx *ctx, const Node *n, const char *fmt, ...) LW_PRINTF(3, 4);
LwStatus diag_value(Ctx *ctx, const Value *v, const char *fmt, ...) LW_PRINTF(3, 4);

#endif
