/* Lowering helpers: the KBuilder that ops' lower functions use to make
 * kernels (loop nests, affine indices, broadcasting loads, epilogue hook). */
#ifndef LWCC_IR_KIR_BUILD_H
#define LWCC_IR_KIR_BUILD_H

#include "ir/kir.h"

typedef struct KBuilder KBuilder;

#define KB_MAX_DEPTH 32
#define KB_MAX_EPI 16 /* epilogue nodes of one node (pass fuse makes at most this many) */

struct KBuilder {
    Ctx *ctx;
    Arena *a;
    Program *prog;
    const Graph *g;
    uint32_t *val_buf; /* ValueId -> 1 + buffer id, 0 = not yet assigned */
    Kernel *k;         /* kernel being built */
    const Node *node;  /* node being lowered */
    uint32_t nkernels; /* numbering for names */
    /* open statement lists: depth 0 = kernel body */
    Vec(KStmt *) open[KB_MAX_DEPTH];
    KStmt *open_stmt[KB_MAX_DEPTH]; /* the KS_FOR / KS_IF whose body is open[d] */
    int depth;
    /* epilogue: fused elementwise nodes applied at the stores of the node (issue #4) */
    const Node *const *epi;
    const uint8_t *epi_arg; /* the input of each that takes the value so far */
    uint32_t nepi;
    /* ValueId -> the node whose op computes the value at each load (OpDef.at_load), or
     * NULL: such a value has no tensor; loads of it become the node's expression */
    const Node **at_load;
    /* ValueId of a node's output 0 -> arena bytes the node's kernel scratch may take without raising the most
     * bytes live at one kernel (passes/lower.c), or NULL: schedules that need more
     * scratch than the plain one (e.g. the blocked convolution) are not used */
    const uint64_t *scratch_budget;
    /* A model with integer activations (passes/lower.c): KB_LEAN_REF while making the
     * reference program its budgets come from, where kernels take no scratch they can
     * do without (a Conv's unrolled nest with a float plane of sums or of dequantized
     * input runs as the guarded nest); KB_LEAN_FIT in the program made with those
     * budgets, where such scratch must fit the node's budget too. */
    int lean;
};
enum { KB_LEAN_REF = 1, KB_LEAN_FIT = 2 };

/* ir/kir_build.c: kernels */
void kb_init(KBuilder *kb, Ctx *ctx, Program *p, const Graph *g, uint32_t *val_buf);
/* Opens a kernel for node n; `what` is appended to the C name when a node makes
 * several kernels. */
void kb_begin(KBuilder *kb, const Node *n, const char *what);
/* The current kernel's schedule (Kernel.schedule): a string that outlives the program */
void kb_schedule(KBuilder *kb, const char *name);
void kb_end(KBuilder *kb);

/* buffers */
uint32_t kb_buf(KBuilder *kb, ValueId v);
/* The buffer of node input i / output i. */
uint32_t kb_in(KBuilder *kb, uint16_t i);
uint32_t kb_out(KBuilder *kb, uint16_t i);
/* Whether arena buffer buf is dead after node n: no later node (nor its fused epilogue)
 * reads a value held in it, it holds no graph output and, unless epi, n's own fused
 * epilogue does not read it either (epi: the caller's kernel reads each element through
 * the epilogue before it stores the element of y in its place). An output of n may then
 * reuse its storage (KBuf.alias; passes/memplan.c). */
int kb_dies_at(KBuilder *kb, const Node *n, uint32_t buf, int epi);
/* The arena bytes n's output 0 saves by taking the storage of buffer buf in place
 * (KBuf.alias, which the caller sets once it commits): buf's, rounded as memplan places
 * them, when buf is an arena buffer of y's dtype and element count that dies at n
 * (kb_dies_at, epi) and y's is an arena buffer or not yet placed (graph inputs' and
 * outputs' are from the start); else 0. */
uint64_t kb_out_room(KBuilder *kb, const Node *n, uint32_t buf, int epi);
/* Arena scratch that lives for one kernel. */
uint32_t kb_scratch(KBuilder *kb, DType dt, uint64_t nelem);
/* A weight from constant bytes made by the lowering (e.g. a divisor table). */
uint32_t kb_weight(KBuilder *kb, DType dt, const void *bytes, uint64_t nelem);
/* A new zeroed weight of nelem elements for the caller to fill (a packed or
 * transposed layout), in the program's arena: no second copy of large tables. */
void *kb_weight_new(KBuilder *kb, DType dt, uint64_t nelem, uint32_t *buf);

/* statements */
uint16_t kb_for(KBuilder *kb, int64_t extent);
/* A loop of min(max(dyn, 0), bound) trips: dyn is a scalar integer expression of the
 * enclosing loops (e.g. a load from a row-pointer table); the body is checked against
 * the constant bound. Closed with kb_endfor. */
uint16_t kb_for_dyn(KBuilder *kb, int64_t bound, KExpr *dyn);
void kb_endfor(KBuilder *kb);
/* Opens `if (all conds)`; close with kb_endif. */
void kb_if(KBuilder *kb, const KCond *conds, uint8_t n);
void kb_endif(KBuilder *kb);
void kb_store(KBuilder *kb, uint32_t buf, KIndex idx, KExpr *val);
/* Element idx (row-major in shape out) of buffer buf of shape in, which broadcasts to out
 * (numpy): an affine index when the open loops allow, else a computed, clamped one. */
KExpr *kb_load_bcast(KBuilder *kb, uint32_t buf, const Shape *in, const Shape *out, KIndex idx);
/* Stores through the epilogue hook (fused elementwise nodes, then the store). */
void kb_store_out(KBuilder *kb, uint32_t buf, KIndex idx, KExpr *val);
/* For kb_store_out of L consecutive elements as vector operations: the value of output
 * elements idx .. idx + L - 1, from float32 src[sidx .. sidx + L - 1] through the
 * epilogue, converted at the root to the output's int8/uint8 for a narrowing store.
 * Emits no statement; NULL when a step of the epilogue has no vector form (then the
 * caller stores element by element). */
KExpr *kb_out_vec(KBuilder *kb, KIndex idx, uint32_t src, KIndex sidx, uint8_t L);
/* kb_out_vec of the float32 vector local `local` (its lanes elements idx ..). */
KExpr *kb_out_vec_local(KBuilder *kb, KIndex idx, uint16_t local);
/* Whether the epilogue of the element at idx has a vector form of L lanes (what
 * kb_out_vec_local would give), leaving no local behind. */
int kb_out_vec_ok(KBuilder *kb, KIndex idx, uint8_t L);
/* n consecutive elements from y0 of buf through the epilogue, from float32 src from s0:
 * as vectors of L where n >= L and the epilogue has a vector form (the last vector
 * overlapping the one before it; in place, src being buf, it is computed before the
 * others), else element by element. */
void kb_store_out_run(KBuilder *kb, uint32_t buf, KIndex y0, uint32_t src, KIndex s0, int64_t n,
                      uint8_t L);
uint16_t kb_local(KBuilder *kb, KType t);
void kb_set(KBuilder *kb, uint16_t local, KExpr *val);

/* expressions */
KExpr *kb_const_f(KBuilder *kb, DType dt, double v);
KExpr *kb_const_i(KBuilder *kb, DType dt, int64_t v);
/* The additive identity / lowest / highest value of dt. */
KExpr *kb_const_lowest(KBuilder *kb, DType dt);
KExpr *kb_const_highest(KBuilder *kb, DType dt);
KExpr *kb_var(KBuilder *kb, uint16_t local);
KExpr *kb_idx(KBuilder *kb, DType dt, KIndex idx);
KExpr *kb_load(KBuilder *kb, uint32_t buf, KIndex idx);
KExpr *kb_load_guard(KBuilder *kb, uint32_t buf, KIndex idx, const KCond *conds, uint8_t n,
                     KExpr *other);
KExpr *kb_loadx(KBuilder *kb, uint32_t buf, KIndex idx, KExpr *dyn, int64_t stride,
                int64_t extent);
/* Vectors (kernel IR lanes > 1): `lanes` consecutive float32 elements buf[idx ..
 * idx + lanes - 1] of a plain buffer (not a value computed at load), and a scalar
 * broadcast to every lane. kb_op and kb_op3 on vectors work lane by lane (add, sub,
 * mul, fma, min, max); kb_store and kb_set take a vector value for lanes consecutive
 * elements / a vector local (kb_local with KType lanes). */
KExpr *kb_vload(KBuilder *kb, uint32_t buf, KIndex idx, uint8_t lanes);
/* 1 when kb_vload can read buf: float32 elements of a tensor (not computed at load). */
int kb_vloadable(const KBuilder *kb, uint32_t buf);
/* `lanes` consecutive elements of buf as float32: kb_vload of float32 elements, or int8
 * / uint8 elements of a plain buffer converted (one vector load and conversion). */
KExpr *kb_vload_f32(KBuilder *kb, uint32_t buf, KIndex idx, uint8_t lanes);
/* `lanes` int8/uint8 elements of a plain buffer widened to int32 lanes (one vector load
 * and widening) */
KExpr *kb_vload_wide(KBuilder *kb, uint32_t buf, KIndex idx, uint8_t lanes);
/* `lanes` consecutive int32 of buf (a table of a dot product's starting sums) */
KExpr *kb_vload_i32(KBuilder *kb, uint32_t buf, KIndex idx, uint8_t lanes);
KExpr *kb_splat(KBuilder *kb, KExpr *a, uint8_t lanes);
/* The float32 lanes of the target's vectors where kernels use them (-O2 on a target
 * with vectors), else 0. */
uint8_t kb_vector_lanes(const KBuilder *kb);
/* Scalar local dst (float32) = the sum (KOP_ADD) or maximum (KOP_MAX) of the n >= L
 * float32 elements buf[base ..] (kb_vloadable; or int8/uint8 of a plain buffer, converted
 * as loaded: kb_vload_f32), each first less `center` and squared
 * when center is given (a sum only): in vectors of L lanes (four accumulators for 16
 * vectors or more), their lanes combined pairwise, then the elements past the last
 * whole vector (a maximum: the last L again). The order of the additions is not a
 * loop's. */
void kb_reduce_vec(KBuilder *kb, KOp op, uint32_t buf, KIndex base, int64_t n, uint8_t L,
                   KExpr *center, uint16_t dst);
/* Lane i of vector local `local`, as a scalar. */
KExpr *kb_lane(KBuilder *kb, uint16_t local, uint8_t i);
/* An operand of kb_dot4: 4L int8/uint8 of buf from idx (four per lane), or with bcast
 * the four from idx for every lane. */
typedef struct KDotArg {
    uint32_t buf;
    KIndex idx;
    int bcast;
    int flip; /* bcast: int8 read as uint8 x + 128, uint8 as int8 x - 128 (KE_DOT4's flip) */
} KDotArg;
/* acc (int32 x L) plus per lane the four-way dot product of a's and b's (KE_DOT4) */
KExpr *kb_dot4(KBuilder *kb, KExpr *acc, KDotArg a, KDotArg b);
/* acc (int32) + abuf[ai] * bbuf[bi] + abuf[ai + 1] * bbuf[bi + 1], int16 buffers (KE_DOT2) */
KExpr *kb_dot2(KBuilder *kb, KExpr *acc, uint32_t abuf, KIndex ai, uint32_t bbuf, KIndex bi);
/* One row of a register tile: acc[j] = a * x[j] + acc[j] for j < n (locals; a scalar
 * broadcast to the locals' lanes). */
void kb_fma_row(KBuilder *kb, const uint16_t *acc, KExpr *a, const uint16_t *x, int64_t n);
KExpr *kb_op(KBuilder *kb, KOp op, KExpr *a, KExpr *b);
KExpr *kb_op3(KBuilder *kb, KOp op, KExpr *a, KExpr *b, KExpr *c);
KExpr *kb_select(KBuilder *kb, KExpr *c, KExpr *t, KExpr *f);
KExpr *kb_cast(KBuilder *kb, DType dt, KExpr *a);

/* indices */
KIndex kidx_const(int64_t base);
/* floor(ix / inner) mod extent for the open loops' variables: 1 and *out when it is an
 * affine index (every term a multiple of inner, or all such terms together in
 * [0, inner), and so on for extent); 0 when it is not. */
int kb_index_divmod(const KBuilder *kb, const KIndex *ix, int64_t inner, int64_t extent,
                    KIndex *out);
void kidx_add(KIndex *ix, uint16_t var, int64_t coef);
void kidx_add_index(KIndex *ix, const KIndex *other, int64_t scale);
/* sum vars[i] * strides[i] over rank dims (+ base) */
KIndex kidx_rowmajor(const uint16_t *vars, const int64_t *strides, int rank, int64_t base);
/* Opens loops over a shape; vars[i] gets each dim's variable (dims of size 1
 * still get a loop of extent 1, kept simple; k_simplify drops them). */
void kb_for_shape(KBuilder *kb, const Shape *s, uint16_t *vars);
void kb_endfor_n(KBuilder *kb, int n);

/* Generic lowering of an elementwise/broadcast node through op->scalar. */
LW_NODISCARD LwStatus kb_lower_elementwise(Ctx *ctx, KBuilder *kb, const Node *n);
/* A copy of input 0 to output 0 (same element count), used for aliases that
 * must materialize (graph outputs). */
void kb_copy(KBuilder *kb, uint32_t dst, uint32_t src, uint64_t nelem);

#endif
