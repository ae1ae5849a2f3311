/* OpDef: what lwcc knows about one ONNX operator over an opset range. Passes
 * ask this table (fusion class, flags, affine/linear facts), never op names. */
#ifndef LWCC_OPS_OP_H
#define LWCC_OPS_OP_H

#include "include/lwcc/ctx.h"
#include "ir/attr.h"
#include "ir/graph.h"
#include "ir/kir.h"

typedef struct KBuilder KBuilder;
typedef struct Window Window;

/* The newest opset whose semantics the table was checked against. */
#define LW_OPSET_MAX 22

typedef enum FuseClass { FC_ELEMWISE, FC_BROADCAST, FC_INJECTIVE, FC_REDUCTION, FC_OUT_FUSABLE,
                         FC_OPAQUE } FuseClass;

enum {
    OPF_INPLACE_OK = 1u << 0,      /* output may overwrite input 0 when it dies here */
    OPF_LAYOUT_AGNOSTIC = 1u << 1,
    OPF_ALIAS = 1u << 2,           /* output 0 is input 0's bytes reinterpreted (Reshape) */
    OPF_NOOP = 1u << 3,            /* output 0 equals input 0 (Identity, inference Dropout) */
    OPF_SHAPE_ONLY = 1u << 4,      /* output depends only on input shapes (Shape, Size) */
    OPF_NO_FOLD = 1u << 5,         /* never constant-fold (random ops) */
    OPF_SUM = 1u << 6,             /* output = input 0 + input 1 (Add) */
    OPF_PRODUCT = 1u << 7,         /* output = input 0 * input 1 (Mul) */
    OPF_PER_CHANNEL = 1u << 8,     /* output 0's channel c (axis 1) is made from input 0's
                                    * channel c alone, and all zeros give all zeros (pools) */
    OPF_LOADS_PLAIN = 1u << 9      /* reads its inputs only through kb_load at affine indices
                                    * (inputs of the output's shape when elementwise), never
                                    * under a load guard: an input may be computed at each load
                                    * (an activation's DequantizeLinear, passes/lower.c) */
};

/* The op is y = a[c] * x + b[c] per channel c (axis 1) with constant a, b
 * computed from its constant inputs (BatchNormalization): fold-affine folds it
 * into a preceding linear op. */
typedef struct OpAffine {
    /* Fills a[C], b[C]; LW_ERR_MODEL (no message) when the inputs are not constant. */
    LwStatus (*coeffs)(Ctx *ctx, const Graph *g, const Node *n, float *a, float *b, uint64_t c);
} OpAffine;

/* Where the columns of a linear op's matrix read input 0 (LinGeom): input 0 gets a zero
 * border (pad_lo/pad_hi per dim, in elements of that dim); output positions are loops
 * (extent, step in the padded input, step in the output); column k reads the padded
 * input at a position's base + col[k]; output channel m is at + m * y_chan. */
typedef struct LinGeom {
    uint8_t rank, npos;
    int64_t pad_lo[LW_MAX_RANK], pad_hi[LW_MAX_RANK];
    int64_t pos_extent[LW_MAX_RANK], pos_x[LW_MAX_RANK], pos_y[LW_MAX_RANK];
    int64_t y_chan;
    int64_t *col; /* [in], allocated by the hook in the given arena */
} LinGeom;

/* The op is linear in input 0 with a constant weight input whose dim
 * `out_axis` indexes output channels (axis 1 of the output), plus an optional
 * per-channel bias input (Conv). */
typedef struct OpLinear {
    uint8_t weight_in, bias_in; /* 255: none */
    uint8_t out_axis;           /* weight dim of the output channels; 255: see matrix() */
    /* The constant weight as a matrix mapping `in` inputs to `out` outputs per
     * position: stored [out, in] row-major, or [in, out] when *transposed.
     * 0 when this node's form is not a plain linear map (e.g. Gemm with transA). */
    int (*matrix)(const Graph *g, const Node *n, uint64_t *out, uint64_t *in, int *transposed);
    /* Both nodes read their input through the same window (same kernel,
     * strides, pads, dilations, groups), so their matrices compose. */
    int (*same_window)(const Node *a, const Node *b);
    /* The node mixes channels only (1x1, stride 1, no padding, one group). */
    int (*pointwise)(const Node *n);
    /* The bias input, present or not, is added as is: a bias_in of shape [out] would be
     * y += bias per output channel (e.g. Gemm only with beta = 1). NULL: always. */
    int (*plain_bias)(const Graph *g, const Node *n);
    /* Fills *geo for a node whose matrix() holds; 0 when the form has no such
     * description. NULL: never (the node is not lowered from its matrix). */
    int (*geometry)(Arena *a, const Graph *g, const Node *n, LinGeom *geo);
} OpLinear;

/* The op computes each output position from a window over input 0's spatial dims (Conv,
 * MaxPool, AveragePool): patch-based execution (passes/patch.c) runs a copy of it on a
 * tile of its input, with the tile's own pads. */
typedef struct OpWindow {
    /* Fills *w with n's resolved window (after infer) and *macs with its multiply-adds
     * per output element; 0 when this node's form can't run on a tile (a second output,
     * ceil_mode). */
    int (*get)(const Graph *g, const Node *n, Window *w, uint64_t *macs);
    /* n's attributes with these explicit pads (begin..., end...): a tile's copy of n. */
    const void *(*with_pads)(Arena *a, const Node *n, const int64_t *pads);
    /* 1 when n reads its pads as elements of value *v (a Conv: 0; an AveragePool that
     * counts them: 0), so that a padding of its input by *v can become its own pads
     * (pass fold-pad); 0 (or NULL) when they are not elements (MaxPool's). */
    int (*pads_read_as)(const Node *n, float *v);
} OpWindow;

/* The op's output 0 is its input 0 with the axes permuted (Transpose): output dim i is
 * input dim perm[i]. */
typedef struct OpPermute {
    void (*get)(const Node *n, int64_t *perm);
    /* n's attributes with this permutation instead */
    const void *(*with_perm)(Arena *a, const Node *n, const int64_t *perm);
} OpPermute;

typedef struct OpDef {
    const char *domain, *name; /* "" = ai.onnx; "lwcc" = internal, never imported */
    uint16_t since, until;     /* opset range this entry was checked against */
    uint8_t min_in, max_in, min_out, max_out;
    FuseClass fuse;
    uint32_t flags;
    LwStatus (*import)(Ctx *, Node *, const AttrList *); /* parse and check attributes */
    LwStatus (*infer)(Ctx *, Graph *, Node *);           /* output dtypes and shapes */
    LwStatus (*lower)(Ctx *, KBuilder *, const Node *);  /* kernel IR */
    KExpr *(*scalar)(KBuilder *, const Node *, KExpr *const *args); /* elementwise rule */
    const OpAffine *affine;
    const OpLinear *linear;
    void (*dump_attrs)(const Node *, StrBuf *);
    /* When every input is constant: output element `idx` as an expression of the inputs,
     * built into the consumer's kernel at each load instead of a tensor in the arena
     * (DequantizeLinear of int8 weights: the weights stay int8 in flash). NULL: never. */
    KExpr *(*at_load)(KBuilder *, const Node *, KIndex idx);
    int (*at_load_ok)(const Graph *, const Node *); /* this node's form allows at_load */
    const OpWindow *window; /* computes each output position from a window; NULL: does not */
    /* At -O2 on a target with vectors (pass expand): rewrite node `id` into standard ops
     * that compute the same values and that faster kernels run (QLinearConv as
     * DequantizeLinear, Conv, QuantizeLinear); *done = 0 leaves it as it is. NULL: never. */
    LwStatus (*expand)(Ctx *, NodeId id, int *done);
    /* 1 when n's output is its input 0 with pb[d] elements before and pe[d] after along
     * each dim d (none negative), all of float32 value *v (Pad in constant mode with
     * constant pads and value); 0 otherwise. NULL: never. */
    int (*const_pad)(Ctx *, const Graph *g, const Node *n, int64_t *pb, int64_t *pe, float *v);
    const OpPermute *permute; /* permutes its input's axes; NULL: does not */
} OpDef;

/* ops/sparse.c: a linear op's weight stored and run as its nonzeros (NF_SPARSE). */
typedef struct SparseInfo {
    uint64_t out, in, nnz;
    uint64_t bytes;     /* values and column offsets */
    DType col_type;     /* the column offsets' type */
    uint64_t maxrow;    /* the most nonzeros of one output channel */
    DType ptr_type;     /* CSR: the row-pointer table's type (holds nnz) */
    uint64_t ptr_bytes; /* CSR: the row-pointer table's bytes */
    int64_t maxcol;     /* the largest column offset */
    int padded;         /* input 0 needs a zero border (a padded copy in scratch) */
    int tr;             /* the weight matrix is stored [in, out] */
    LinGeom geo;        /* where its columns read input 0 */
} SparseInfo;
/* The sparse form of node n's weight; 0 when n can't run sparse. */
int sparse_measure(Arena *a, const Graph *g, const Node *n, SparseInfo *si);
LW_NODISCARD LwStatus sparse_lower(Ctx *ctx, KBuilder *kb, const Node *n);

/* ops/quant.c: n is a DequantizeLinear to float32 of int8 or uint8 with one constant
 * scale and zero point: *scale, *zp (0 when absent); 0 otherwise. */
int quant_dq_tensor(const Graph *g, const Node *n, float *scale, int32_t *zp);
/* n's parameters when n is a DequantizeLinear of int8/uint8 x to float32 with constant
 * per-tensor or per-axis ones (arrays in a), else 0 */
int quant_dq_params(Arena *a, const Graph *g, const Node *n, QuantParams *out);
/* w (float32 [R][C] as stored) as int8 integers times one scale per channel, channels its
 * rows (cols 0) or its columns (cols 1): wq [channel][the other dimension] and wsc
 * [channel] in a. 1 when w is a folded DequantizeLinear of int8/uint8 (QuantParams, per
 * tensor or along that axis) and every value is exactly its integer less the zero point
 * times the scale, within int8; else 0 (a pass may have changed the values since). */
int quant_int_weights(Arena *a, const Value *w, int64_t R, int64_t C, int cols, const int8_t **wq,
                      const float **wsc);
/* The bytes target t's four-way int8 dot product takes for activations of type xdt:
 * *bdt, and *xoff to add to each (x86-64: uint8, int8 plus 128; AArch64 sdot: int8, uint8
 * less 128). 1 for x86-64 (VNNI's vpdpbusd, or its exact form in two vpmaddwd on AVX2
 * and AVX-512 without VNNI), 2 for sdot, 0 when t has neither. */
int quant_dot_bytes(const Target *t, DType xdt, DType *bdt, int32_t *xoff);
/* A dot product's per-channel tables for int8 weights wq [nch][K] with scales wsc and
 * activations stored with zero point xz (their own plus xoff) and scale xsc: zc, the
 * int32 sums' start (-xz times the channel's weights), and sc = xsc * wsc. */
void quant_dot_tables(const int8_t *wq, const float *wsc, int64_t nch, int64_t K, int32_t xz,
                      float xsc, int32_t *zc, float *sc);

/* y's requantization when the nodes fused into n's stores are exactly [Relu], then a
 * QuantizeLinear to int8/uint8 with one constant scale and zero point: that scale, the
 * zero point, and the bounds the quantized values are clamped to (the type's, Relu's
 * raising the lower one to the zero point). 0 for any other epilogue. */
typedef struct QRequant {
    float ys;
    int32_t zp, lo, hi;
    DType dt;
} QRequant;
int quant_fused_requant(const Graph *g, const Node *n, QRequant *r);
/* scale as mult * 2^-shift exactly (float32's 24 significant bits: mult in [2^23, 2^24)),
 * shift in [1, 55]; 0 when scale is not a positive float32 in that range. */
int quant_fixed_multiplier(float scale, int32_t *mult, int32_t *shift);
/* Requantization in fixed point: round_half_even(acc * mult / 2^shift) + zp, clamped to
 * [lo, hi], as dt; the product and the rounding in int64. Equals onnxruntime's float
 * form, saturate(round_half_even(float(acc) * scale) + zp), with scale = mult *
 * 2^-shift, wherever float(acc) * scale is exact or rounds to a float32 on the same side
 * of a half-integer: all but products within half a float32 ulp of a tie (and |acc| >
 * 2^24, where float(acc) itself rounds).
 * QFixed: the parameters of n scales (n = 1 per tensor, else per channel). With one
 * shift for all (shift >= 0: every channel's multiplier shifted left to it stays below
 * 2^31), the shift and its constants are literals and tab holds the multipliers; else
 * tab holds shift << 24 | multiplier per channel. */
typedef struct QFixed {
    uint64_t n;
    int32_t shift;
    const int32_t *tab;
    uint32_t buf;    /* tab as a weight when n > 1 */
    uint16_t loc[4]; /* locals quant_fixed_at sets */
} QFixed;
/* f for float32 scales scale[0 .. n), sums of magnitude at most acc_max; 0 when a scale
 * is out of quant_fixed_multiplier's range or the product could pass 2^61. */
int quant_fixed_table(KBuilder *kb, const float *scale, uint64_t n, double acc_max, QFixed *f);
/* Whether an integer kernel requantizes in fixed point (--requant, LwOptions.requant):
 * vec, a vector schedule (float32 there by default: faster, and onnxruntime's own
 * arithmetic on those CPUs); scalar code in fixed point by default. */
int quant_fixed_wanted(const KBuilder *kb, int vec);
/* The fixed-point way out of an integer Conv or product n of M output channels: its fused
 * epilogue is quant_fused_requant's (rq), and each channel's float32 bias bsrc[m] (none:
 * NULL) is exactly an int32 times x_scale * w_scale[m], as a quantized model's are (bi:
 * those int32). f: onnxruntime's float32 scales x_scale * w_scale / y_scale for sums
 * of K products of at most 255 * 255 plus the bias. 0 when any of it does not hold. */
int quant_fixed_plan(KBuilder *kb, const Node *n, float xsc, const float *wsc, int64_t M, int64_t K,
                     const float *bsrc, QRequant *rq, QFixed *f, int32_t *bi);
/* Sets f's locals for the channel at ix (table loads), before the values it requantizes. */
void quant_fixed_at(KBuilder *kb, QFixed *f, KIndex ix);
/* Sets tmp (an int64 local of acc's lanes) to the shifted product and returns the
 * requantized acc. Vectors (int32 lanes): as float32 lanes cast to dt, the value of a
 * narrowing store (kir.h); the parameters splat from quant_fixed_at's scalars. */
KExpr *quant_requant_fixed(KBuilder *kb, const QFixed *f, KExpr *acc, uint16_t tmp, int32_t zp,
                           int32_t lo, int32_t hi, DType dt);

/* ops/activation.c: n is a Relu */
int op_is_relu(const Node *n);

/* ops/optable.c */
/* The entry for (domain, name) valid at `opset`; NULL when unknown. *known is
 * set when the op exists in some other opset range. */
const OpDef *op_lookup(const char *domain, const char *name, int64_t opset, int *known);
/* Internal ops ("lwcc" domain) by name. */
const OpDef *op_internal(const char *name);

/* Shared helpers for op families (ops/common.c). */
/* A node of standard op op_name at opset 13 with inputs in[0..nin) and attributes al,
 * named `name`, one output named `outname`: imported and inferred, appended to the
 * order (toposort after). For rewrites that write ONNX ops into the graph. */
LW_NODISCARD LwStatus op_make_node(Ctx *ctx, const char *op_name, const char *name,
                                   const ValueId *in, uint16_t nin, const AttrList *al,
                                   const char *outname, NodeId *id);
/* op_make_node at another opset (an op newer than 13: Col2Im-18). */
LW_NODISCARD LwStatus op_make_node_at(Ctx *ctx, const char *op_name, int64_t opset,
                                      const char *name, const ValueId *in, uint16_t nin,
                                      const AttrList *al, const char *outname, NodeId *id);
/* For OpDef.expand rewrites: a node of op_name at `opset` named "<base>_<what>" (and so
 * its output), and a constant of that name (a copy of data). */
LW_NODISCARD LwStatus op_expand_node(Ctx *ctx, const char *base, const char *what,
                                     const char *op_name, int64_t opset, const ValueId *in,
                                     uint16_t nin, const AttrList *al, NodeId *id);
ValueId op_expand_const(Ctx *ctx, const char *base, const char *what, DType dt, const Shape *s,
                        const void *data);
/* Whether an OpDef.expand rewrite of linear op n (input 0 x, 1 weights, 2 an optional
 * bias) into other standard ops may apply: a target with vectors, not --emit=onnx (the
 * graph written is the model's ops), float32 x, constant weights and bias. */
int op_expand_linear_ok(const Ctx *ctx, const Node *n);
/* An attribute list in at[0..n): names[i] with the ints vals[i][0..counts[i]), or the
 * one int vals[i][0] when counts[i] is 0 (arrays the caller's, copied by op_make_node). */
AttrList op_attr_list(Attr *at, const char *const *names, const int64_t *const *vals,
                      const uint32_t *counts, uint32_t n);
LW_NODISCARD LwStatus op_no_attrs(Ctx *ctx, Node *n, const AttrList *al);
/* Output 0 gets input `i`'s dtype and shape. */
LW_NODISCARD LwStatus op_infer_same(Ctx *ctx, Graph *g, Node *n);
/* Numpy broadcast of all inputs; output dtype of input 0. */
LW_NODISCARD LwStatus op_infer_broadcast(Ctx *ctx, Graph *g, Node *n);
/* Sets an output's type; checks the element count. */
LW_NODISCARD LwStatus op_set_output(Ctx *ctx, Graph *g, Node *n, uint16_t i, DType dt,
                                    const Shape *s);
/* Input i's value (asserts present). */
static inline const Value *op_in(const Graph *g, const Node *n, uint16_t i)
{
    return graph_value(g, n->in[i]);
}
static inline const Value *op_out(const Graph *g, const Node *n, uint16_t i)
{
    return graph_value(g, n->out[i]);
}
/* Reads a constant integer tensor input (int32/int64) as int64s; error when
 * the input is not constant (with a hint to --freeze-input). */
LW_NODISCARD LwStatus op_const_ints(Ctx *ctx, const Graph *g, const Node *n, uint16_t i,
                                    int64_t **vals, uint64_t *count);
/* Reads a constant scalar float input (any float dtype). */
LW_NODISCARD LwStatus op_const_float(Ctx *ctx, const Graph *g, const Node *n, uint16_t i,
                                     double *val);
/* Error unless input i is float32, float64, float16 or bfloat16 (the half types are
 * storage only: computed in float32, see dtype_compute). */
LW_NODISCARD LwStatus op_check_float(Ctx *ctx, const Graph *g, const Node *n, uint16_t i);
/* Error unless input j, when present, has input i's dtype (one type parameter T). */
LW_NODISCARD LwStatus op_check_same_type(Ctx *ctx, const Graph *g, const Node *n, uint16_t i,
                                         uint16_t j);
/* The compute type of an op mixing float types a and b (BatchNormalization's T, T1,
 * T2; stash_type): float64 when either computes in float64, else float32. */
DType op_compute_wider(DType a, DType b);
/* The type a node computes and accumulates in: its own output's type before its
 * epilogue (a fused QuantizeLinear may make the stored value an integer), as
 * dtype_compute gives it (half types compute in float32). */
DType op_acc_dtype(const Graph *g, const Node *n);
/* A load converted to the compute type ct (unchanged when it already has it). */
KExpr *op_load_as(KBuilder *kb, DType ct, uint32_t buf, KIndex idx);
/* True when input i exists (optional inputs may be 0). */
static inline int op_has_in(const Node *n, uint16_t i) { return i < n->nin && n->in[i] != 0; }

#endif
