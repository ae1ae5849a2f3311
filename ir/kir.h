/* Kernel IR: loop nests with constant extents (or a data-dependent trip count under a
 * constant bound) and affine indices over typed buffers (arena, weights, caller
 * inputs/outputs), scalar and fixed-width vector expressions. Both printers and the
 * interpreter read only this. */
#ifndef LWCC_IR_KIR_H
#define LWCC_IR_KIR_H

#include "include/lwcc/ctx.h"
#include "include/lwcc/strbuf.h"
#include "ir/dtype.h"
#include "ir/graph.h"

#define KIDX_MAX 12

/* lanes > 1: a fixed-width vector of float32. A vector KE_LOAD reads lanes
 * consecutive elements from its index (unguarded), a KS_STORE of a vector writes them;
 * KE_SPLAT broadcasts a scalar; KE_OP works lane by lane (add, sub, mul, div, fma, min,
 * max, round); locals may be vectors. Two more forms: a vector KE_CAST to float32 of a
 * vector KE_LOAD of int8 or uint8 elements (a converting load), and a vector KE_CAST
 * of float32 lanes to int8 or uint8 as the value of a KS_STORE into a buffer of that
 * type (a narrowing store: the lanes hold integers in the type's range already, as a
 * requantizing epilogue's clamp leaves them). These are the only vectors of another
 * element type. Integer vectors are int32 and int64: KE_DOT4 sums into int32 lanes,
 * KE_SPLAT sets them, vector locals hold them, KE_OP works lane by lane on them (add,
 * sub, mul, min, max, and, shr: wrapping as the scalar operations, shr logical as theirs, by
 * less than the width), a vector KE_CAST converts int32 lanes to float32 or int64 and int64
 * lanes to int32 (values in range), and widens a vector KE_LOAD of int8/uint8 elements
 * to int32 lanes (a widening load). No other expression has a vector form. Printers map them to the
 * target's vectors (C: GCC/Clang vector extensions; LLVM: <N x float>); the
 * interpreter evaluates them one lane at a time. */
typedef struct KType {
    DType dt;
    uint8_t lanes; /* 1 = scalar */
} KType;

typedef enum KBufKind { KB_ARENA, KB_WEIGHT, KB_INPUT, KB_OUTPUT } KBufKind;

typedef struct KBuf {
    KBufKind kind;
    DType dtype;
    uint64_t nelem;
    uint32_t align; /* bytes */
    uint32_t slot;  /* input/output position, or weight index */
    ValueId origin; /* for names and comments; 0 for kernel scratch */
    uint64_t offset; /* KB_ARENA: set by memplan */
    /* KB_ARENA: 1 + buffer whose storage this one reuses (in place), or 0. Set by a
     * lowering whose kernel writes this buffer only over elements of that one it has read
     * already (ops/recurrent.c); memplan keeps it when that buffer's last kernel is this
     * one's first and the two have the same size, and clears it otherwise */
    uint32_t alias;
} KBuf;

typedef struct Weight {
    const unsigned char *bytes;
    uint64_t size;
    uint32_t align;
    uint64_t offset; /* in the weight blob, set by the printer's layout */
    ValueId origin;
} Weight;

/* base + sum coef[i] * loopvar var[i] */
typedef struct KIndex {
    int64_t base;
    uint8_t n;
    uint16_t var[KIDX_MAX];
    int64_t coef[KIDX_MAX];
} KIndex;

/* 0 <= e < bound */
typedef struct KCond {
    KIndex e;
    int64_t bound;
} KCond;

typedef enum KOp {
#define X(e, name, arity, res, form, cspell, helper) e,
#include "ir/kir_ops.def"
#undef X
    KOP_COUNT
} KOp;

typedef enum KOpForm { KF_INFIX, KF_PREFIX, KF_CMP, KF_MIN, KF_MAX, KF_CALL, KF_DIV, KF_ABS,
                       KF_FMA, KF_BITS } KOpForm;

typedef struct KOpInfo {
    const char *name;
    uint8_t arity;
    char result; /* 's' same as operand 0, 'b' bool */
    KOpForm form;
    const char *cspell;
    const char *helper; /* float32 runtime-min helper, or NULL */
} KOpInfo;

typedef enum KExprKind {
    KE_CONST,   /* typed constant */
    KE_VAR,     /* a kernel local */
    KE_IDX,     /* an affine function of loop variables, as an integer value */
    KE_LOAD,    /* buf[idx], or `other` when a guard condition fails */
    KE_LOADX,   /* buf[idx + clamp(dyn, 0, extent - 1) * stride]: data-dependent */
    KE_OP,      /* kernel operation (kir_ops.def) */
    KE_SELECT,  /* c ? t : f */
    KE_CAST,    /* conversion to `type` (saturating float->int is not implied) */
    KE_SPLAT,   /* scalar to all lanes */
    KE_HREDUCE, /* horizontal reduction of a vector with an op */
    KE_LANE,    /* one lane of a vector local, as a scalar */
    KE_DOT4,    /* int32 lanes: acc + per lane, the sum of four products of int8/uint8 */
    KE_DOT2     /* int32: acc + the sum of two products of int16 (Armv7E-M's smlad) */
} KExprKind;

typedef struct KExpr KExpr;
struct KExpr {
    KExprKind kind;
    KType type;
    union {
        struct {
            double f;   /* float types: exact value */
            int64_t i;  /* integer and bool types (uint64 as bits) */
        } c;
        uint16_t local;
        KIndex idx;
        struct {
            uint32_t buf;
            KIndex idx;
            uint8_t nguard;
            const KCond *guard;
            KExpr *other;
        } load;
        struct {
            uint32_t buf;
            KIndex idx;
            KExpr *dyn;
            int64_t stride, extent;
        } loadx;
        struct {
            KOp op;
            KExpr *a[3];
        } op;
        struct {
            KExpr *c, *t, *f;
        } sel;
        struct {
            KExpr *a;
        } cast;
        struct {
            KOp op;
            KExpr *a;
        } hred;
        struct {
            KExpr *a; /* a vector KE_VAR */
            uint8_t i;
        } lane;
        /* acc: int32 x L; a and b: unguarded KE_LOADs of int8 or uint8, each either 4L
         * lanes (lane l's four at 4l .. 4l + 3) or 4 (the same four for every lane).
         * Lane l: acc[l] + sum over j < 4 of a's j-th of lane l times b's. x86-64 VNNI's
         * vpdpbusd takes one uint8 and one int8 operand, AArch64's sdot two int8. flip
         * bit 0 (a) or 1 (b), on a 4-lane operand: its bytes with their top bit flipped,
         * int8 x read as uint8 x + 128 (for vpdpbusd's uint8 side), uint8 x as int8
         * x - 128 (for sdot). */
        /* KE_DOT2: acc an int32 scalar; a and b unguarded KE_LOADs of two int16 (lanes 2:
         * the elements at idx and idx + 1); acc + a[0] * b[0] + a[1] * b[1], wrapping */
        struct {
            KExpr *acc, *a, *b;
            uint8_t flip;
        } dot;
    } u;
};

typedef enum KStmtKind { KS_FOR, KS_STORE, KS_SET, KS_SEQ, KS_IF } KStmtKind;

typedef struct KStmt KStmt;
struct KStmt {
    KStmtKind kind;
    union {
        /* for var in [0, extent); with `dyn` (a scalar integer expression of the
         * enclosing loops' variables and loads, evaluated once before the loop, as
         * int32_t like KE_LOADX's) for var in [0, min(max(dyn, 0), extent)): extent
         * stays the bound kir_verify proves the body's accesses with, and every
         * printer clamps, so a bad table can't overrun (CSR sparse rows) */
        struct {
            uint16_t var;
            int64_t extent;
            uint8_t unroll;
            KStmt *body;
            KExpr *dyn; /* NULL: constant trip count `extent` */
        } loop;
        struct {
            uint32_t buf;
            KIndex idx;
            KExpr *val;
        } store;
        struct {
            uint16_t local;
            KExpr *val;
        } set;
        struct {
            KStmt **items;
            uint32_t n;
        } seq;
        struct {
            uint8_t ncond;
            const KCond *cond;
            KStmt *then;
        } cond;
    } u;
};

typedef struct Kernel {
    const char *cname;   /* "k12_conv_3" */
    NodeId origin;       /* main node */
    const NodeId *fused; /* fused nodes, for the comment */
    uint32_t nfused;
    KType *locals;
    uint16_t nlocals;
    uint16_t nvars; /* loop variables 0..nvars-1 */
    KStmt *body;
    const char *comment; /* "node 'conv_3' (Conv, opset 13), fused: ..." */
    /* how the lowering computes it, where it chose among several ways ("Winograd F(2x2,
     * 3x3)"): in the C comment, --emit=kir and --report; NULL where there is one way */
    const char *schedule;
} Kernel;

typedef struct Program {
    Vec(Kernel) kernels;
    Vec(KBuf) bufs;
    Vec(Weight) weights;
    Vec(uint32_t) inputs;  /* buffer of each model input (in API order) */
    Vec(uint32_t) outputs; /* buffer of each model output */
} Program;

/* ir/kir.c */
const KOpInfo *kop_info(KOp op);
Program *kir_program_new(Arena *a);
uint32_t kir_add_buf(Arena *a, Program *p, KBufKind kind, DType dt, uint64_t nelem,
                     ValueId origin);
uint32_t kir_add_weight(Arena *a, Program *p, DType dt, const unsigned char *bytes, uint64_t size,
                        uint64_t nelem, ValueId origin);
static inline KType ktype(DType dt) { KType t = {dt, 1}; return t; }
/* A loop's trip count from its dyn value d (already converted to int32_t): d clamped to
 * [0, extent]. */
static inline int64_t kir_trip(int64_t d, int64_t extent)
{
    return d < 0 ? 0 : d > extent ? extent : d;
}

/* One buffer access: a load (lanes elements from idx; dyn: KE_LOADX, idx plus a
 * data-dependent offset) or a store (write). */
typedef struct KAccess {
    uint32_t buf;
    const KIndex *idx;
    uint8_t lanes, write, dyn;
} KAccess;
/* f(arg, a) for every access under s (loops of extent 0 excluded, as the printers print
 * none; a dyn loop's trip-count expression included), in no promised order. */
void kir_walk_access(const KStmt *s, void (*f)(void *, const KAccess *), void *arg);

/* Whether a loop's variable walks a scalar access of 32- or 64-bit elements by more than
 * two elements. A C compiler's or LLVM's loop vectorizer would gather or scatter those
 * elements, and on x86-64 with AVX2 or AVX-512 (target_gathers) both printers keep the
 * loop from it: clang and LLVM 14 count AVX-512 gathers as cheap, and the AMD cores they
 * call znver3 run them slower than the scalar loop (mlperf_dscnn's copy of
 * [position][channel] sums to y: 1.38x the time of GCC's code, which leaves such loops
 * scalar). The vectors a kernel wants are in its kernel IR already. A stride of two
 * stays the vectorizer's (two loads and a shuffle: mlperf_mobilenetv1_025 12% slower
 * without it), and so do 8-bit elements, which have no gathers (their loops vectorize
 * the arithmetic and store lane by lane: mlperf_resnet8_qdq's requantizing copy-out,
 * 32% slower without it). */
int kir_loop_strided(const Program *p, const KStmt *loop);

/* u[b] |= 1 for each buffer b the statement reads, |= 2 for each it writes (loops of
 * extent 0 excluded; a dyn loop's trip-count expression included); u has one byte per
 * buffer. */
void kir_buffers_used(const KStmt *s, uint8_t *u);

/* u as kir_buffers_used filled it for one kernel: |= KU_SHARED on each buffer that shares
 * its storage with another the kernel uses, one taking the other's in place (KBuf.alias,
 * as memplan left it). The printers drop restrict / noalias on those. */
enum { KU_SHARED = 4 };
void kir_mark_shared(const Program *p, uint8_t *u);

/* A KE_DOT4 operand as the printers see it: its load, whether it is flipped, and the
 * sign of its bytes as read (after the flip). */
typedef struct KDotSide {
    const KExpr *load;
    int flip, u8;
} KDotSide;
/* e's operands in s[0], s[1]: a uint8 one (as read) first when the other is int8, the
 * order vpdpbusd takes them in. */
void kir_dot_sides(const KExpr *e, KDotSide s[2]);

/* ir/kir_collapse.c: perfectly nested loops that walk their indices contiguously (or
 * run once) become one loop, same elements, same order. */
void kir_collapse(Program *p);

/* ir/kir_verify.c: types, loop variables in scope, every access in bounds. */
void kir_verify(const Ctx *ctx, const Program *p, const char *after);

/* ir/kir_dump.c: text for --emit=kir. */
void kir_dump(const Graph *g, const Program *p, StrBuf *sb);
void kir_dump_kernel(const Program *p, const Kernel *k, StrBuf *sb);

#endif
