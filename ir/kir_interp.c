/* Tree-walking interpreter over kernel IR. Floats compute in their own width
 * (float32 in float), integers wrap to their width as the printed C does. Vectors
 * (lanes > 1) are evaluated one lane at a time with the scalar rules. */
#include "ir/kir_interp.h"

#include <math.h>
#include <string.h>

#include "runtime-min/lwrt.h"

typedef union KV {
    double f;
    int64_t i;
} KV;

typedef struct Interp {
    const Program *p;
    const Kernel *k;
    void *const *mem;
    int64_t *vars;
    KV *locals;      /* every local's lanes, one after another */
    uint32_t *first; /* per local: its lane 0 in `locals` */
} Interp;

/* Longest vector a statement evaluates before it writes (KType.lanes is a uint8_t). */
#define MAX_LANES 255

static int64_t wrap(DType dt, int64_t v)
{
    switch (dt) {
    case DT_INT8:
        return (int8_t)(uint8_t)(uint64_t)v;
    case DT_UINT8:
    case DT_BOOL:
        return (uint8_t)(uint64_t)v;
    case DT_INT16:
        return (int16_t)(uint16_t)(uint64_t)v;
    case DT_UINT16:
        return (uint16_t)(uint64_t)v;
    case DT_INT32:
        return (int32_t)(uint32_t)(uint64_t)v;
    case DT_UINT32:
        return (uint32_t)(uint64_t)v;
    default:
        return v;
    }
}

static int64_t idx_val(const Interp *in, const KIndex *ix)
{
    int64_t v = ix->base;
    for (uint8_t i = 0; i < ix->n; i++)
        v += ix->coef[i] * in->vars[ix->var[i]];
    return v;
}

static KV load_elem(const Interp *in, uint32_t b, int64_t i)
{
    const KBuf *kb = &in->p->bufs.data[b];
    const unsigned char *m = in->mem[b];
    KV r;
    LW_ASSERT(i >= 0 && (uint64_t)i < kb->nelem);
    size_t o = (size_t)i * dtype_size(kb->dtype);
    switch (kb->dtype) {
    case DT_FLOAT32: {
        float f;
        memcpy(&f, m + o, 4);
        r.f = f;
        return r;
    }
    case DT_FLOAT64:
        memcpy(&r.f, m + o, 8);
        return r;
    case DT_INT8: {
        int8_t t;
        memcpy(&t, m + o, 1);
        r.i = t;
        return r;
    }
    case DT_INT16: {
        int16_t t;
        memcpy(&t, m + o, 2);
        r.i = t;
        return r;
    }
    case DT_INT32: {
        int32_t t;
        memcpy(&t, m + o, 4);
        r.i = t;
        return r;
    }
    case DT_INT64:
    case DT_UINT64:
        memcpy(&r.i, m + o, 8);
        return r;
    case DT_UINT8:
    case DT_BOOL:
        r.i = m[o];
        return r;
    case DT_UINT16:
    case DT_FLOAT16:
    case DT_BFLOAT16: {
        uint16_t t;
        memcpy(&t, m + o, 2);
        r.i = t;
        return r;
    }
    case DT_UINT32: {
        uint32_t t;
        memcpy(&t, m + o, 4);
        r.i = t;
        return r;
    }
    case DT_UNDEFINED:
    case DT_COUNT:
        break;
    }
    LW_ICE("load of an untyped buffer");
}

static void store_elem(const Interp *in, uint32_t b, int64_t i, KV v)
{
    const KBuf *kb = &in->p->bufs.data[b];
    unsigned char *m = in->mem[b];
    LW_ASSERT(i >= 0 && (uint64_t)i < kb->nelem);
    size_t o = (size_t)i * dtype_size(kb->dtype);
    switch (kb->dtype) {
    case DT_FLOAT32: {
        float f = (float)v.f;
        memcpy(m + o, &f, 4);
        return;
    }
    case DT_FLOAT64:
        memcpy(m + o, &v.f, 8);
        return;
    default: {
        uint64_t u = (uint64_t)v.i;
        uint32_t sz = dtype_size(kb->dtype);
        unsigned char bytes[8];
        for (uint32_t k = 0; k < 8; k++)
            bytes[k] = (unsigned char)(u >> (8 * k));
        memcpy(m + o, bytes, sz); /* little-endian targets */
        return;
    }
    }
}

static KV eval(Interp *in, const KExpr *e, uint8_t lane);

static int is_f(DType dt)
{
    return dt == DT_FLOAT32 || dt == DT_FLOAT64;
}

static int64_t cast_to_int(DType dt, double f)
{
    /* C conversion truncates; out-of-range values are undefined in C, here they
     * saturate so the compiler itself never invokes undefined behavior. */
    if (f != f)
        return 0;
    if (dt == DT_UINT64) {
        if (f <= 0)
            return 0;
        if (f >= 18446744073709551616.0)
            return -1;
        return (int64_t)(uint64_t)f;
    }
    if (f >= 9223372036854775807.0)
        return INT64_MAX;
    if (f <= -9223372036854775808.0)
        return INT64_MIN;
    return wrap(dt, (int64_t)f);
}

static KV cast(DType to, DType from, KV v)
{
    KV r;
    if (from == DT_FLOAT16 || from == DT_BFLOAT16) {
        r.f = from == DT_FLOAT16 ? lwrt_f16_to_f32((uint16_t)v.i) : lwrt_bf16_to_f32((uint16_t)v.i);
        LW_ASSERT(to == DT_FLOAT32);
        return r;
    }
    if (to == DT_FLOAT16 || to == DT_BFLOAT16) {
        LW_ASSERT(from == DT_FLOAT32);
        r.i = to == DT_FLOAT16 ? lwrt_f32_to_f16((float)v.f) : lwrt_f32_to_bf16((float)v.f);
        return r;
    }
    if (is_f(to)) {
        if (is_f(from))
            r.f = to == DT_FLOAT32 ? (double)(float)v.f : v.f;
        else if (from == DT_UINT64)
            r.f = to == DT_FLOAT32 ? (double)(float)(uint64_t)v.i : (double)(uint64_t)v.i;
        else
            r.f = to == DT_FLOAT32 ? (double)(float)v.i : (double)v.i;
        return r;
    }
    if (is_f(from))
        r.i = to == DT_BOOL ? v.f != 0 : cast_to_int(to, v.f);
    else if (to == DT_BOOL)
        r.i = v.i != 0;
    else
        r.i = wrap(to, v.i);
    return r;
}

static double f32op1(KOp op, float a)
{
    switch (op) {
    case KOP_EXP:
        return lwrt_expf(a);
    case KOP_LOG:
        return lwrt_logf(a);
    case KOP_SQRT:
        return lwrt_sqrtf(a);
    case KOP_TANH:
        return lwrt_tanhf(a);
    case KOP_ERF:
        return lwrt_erff(a);
    case KOP_SIGMOID:
        return lwrt_sigmoidf(a);
    case KOP_SIN:
        return lwrt_sinf(a);
    case KOP_COS:
        return lwrt_cosf(a);
    case KOP_FLOOR:
        return lwrt_floorf(a);
    case KOP_CEIL:
        return lwrt_ceilf(a);
    case KOP_ROUND:
        return lwrt_roundevenf(a);
    case KOP_TAN:
        return lwrt_tanf(a);
    case KOP_ASIN:
        return lwrt_asinf(a);
    case KOP_ACOS:
        return lwrt_acosf(a);
    case KOP_ATAN:
        return lwrt_atanf(a);
    case KOP_SINH:
        return lwrt_sinhf(a);
    case KOP_COSH:
        return lwrt_coshf(a);
    case KOP_ASINH:
        return lwrt_asinhf(a);
    case KOP_ACOSH:
        return lwrt_acoshf(a);
    case KOP_ATANH:
        return lwrt_atanhf(a);
    default:
        LW_ICE("no float32 helper for kernel op %s", kop_info(op)->name);
    }
}

/* Lane `lane` of e; every vector operation is lane-wise, so it is the scalar
 * operation on the operands' lane. */
static KV op_eval(Interp *in, const KExpr *e, uint8_t lane)
{
    KOp op = e->u.op.op;
    const KOpInfo *info = kop_info(op);
    DType dt = e->u.op.a[0]->type.dt; /* operand type */
    KV a = eval(in, e->u.op.a[0], lane), b = {0}, c = {0}, r;
    if (info->arity > 1)
        b = eval(in, e->u.op.a[1], lane);
    if (info->arity > 2)
        c = eval(in, e->u.op.a[2], lane);
    if (is_f(dt)) {
        int f32 = dt == DT_FLOAT32;
        float fa = (float)a.f, fb = (float)b.f, fc = (float)c.f;
#define FR(expr32, expr64) (f32 ? (double)(float)(expr32) : (expr64))
        switch (op) {
        case KOP_ADD:
            r.f = FR(fa + fb, a.f + b.f);
            return r;
        case KOP_SUB:
            r.f = FR(fa - fb, a.f - b.f);
            return r;
        case KOP_MUL:
            r.f = FR(fa * fb, a.f * b.f);
            return r;
        case KOP_DIV:
            r.f = FR(fa / fb, a.f / b.f);
            return r;
        case KOP_FMA: { /* printed as a * b + c: two roundings */
            float t = fa * fb;
            r.f = FR(t + fc, a.f * b.f + c.f);
            return r;
        }
        case KOP_MIN:
            r.f = a.f < b.f ? a.f : b.f;
            return r;
        case KOP_MAX:
            r.f = a.f > b.f ? a.f : b.f;
            return r;
        case KOP_NEG:
            r.f = -a.f;
            return r;
        case KOP_ABS:
            r.f = a.f < 0 ? -a.f : a.f; /* as printed: abs(-0.0) stays -0.0 */
            return r;
        case KOP_LT:
            r.i = a.f < b.f;
            return r;
        case KOP_LE:
            r.i = a.f <= b.f;
            return r;
        case KOP_GT:
            r.i = a.f > b.f;
            return r;
        case KOP_GE:
            r.i = a.f >= b.f;
            return r;
        case KOP_EQ:
            r.i = a.f == b.f;
            return r;
        case KOP_NE:
            r.i = a.f != b.f;
            return r;
        case KOP_POW:
            r.f = lwrt_powf(fa, fb);
            return r;
        case KOP_MOD:
            r.f = lwrt_fmodf(fa, fb); /* float64 through the float32 helper, as printed */
            return r;
        case KOP_NOT:
        case KOP_AND:
        case KOP_OR:
        case KOP_XOR:
        case KOP_SHL:
        case KOP_SHR:
            LW_ICE("bit operation on a float");
        default: /* float64 goes through the float32 helper */
            r.f = f32op1(op, fa);
            return r;
        }
#undef FR
    }
    int uns = !dtype_is_signed(dt);
    uint64_t ua = (uint64_t)a.i, ub = (uint64_t)b.i;
    /* shifts work on the unsigned type the printer uses (32 or 64 bits) */
    uint64_t umask = dtype_size(dt) == 8 ? UINT64_MAX : UINT32_MAX;
    uint32_t width = dtype_size(dt) == 8 ? 64 : 32;
    switch (op) {
    case KOP_ADD:
        r.i = wrap(dt, (int64_t)(ua + ub));
        return r;
    case KOP_SUB:
        r.i = wrap(dt, (int64_t)(ua - ub));
        return r;
    case KOP_MUL:
        r.i = wrap(dt, (int64_t)(ua * ub));
        return r;
    case KOP_FMA:
        r.i = wrap(dt, (int64_t)(ua * ub + (uint64_t)c.i));
        return r;
    case KOP_DIV:
        if (b.i == 0)
            r.i = 0;
        else if (uns)
            r.i = wrap(dt, (int64_t)(ua / ub));
        else if (b.i == -1)
            r.i = wrap(dt, (int64_t)(0 - ua));
        else
            r.i = wrap(dt, a.i / b.i);
        return r;
    case KOP_MOD:
        if (b.i == 0)
            r.i = 0;
        else if (uns)
            r.i = wrap(dt, (int64_t)(ua % ub));
        else if (b.i == -1)
            r.i = 0;
        else
            r.i = wrap(dt, a.i % b.i);
        return r;
    case KOP_MIN:
        r.i = uns ? (ua < ub ? a.i : b.i) : (a.i < b.i ? a.i : b.i);
        return r;
    case KOP_MAX:
        r.i = uns ? (ua > ub ? a.i : b.i) : (a.i > b.i ? a.i : b.i);
        return r;
    case KOP_NEG:
        r.i = wrap(dt, (int64_t)(0 - ua));
        return r;
    case KOP_ABS:
        r.i = uns ? a.i : wrap(dt, a.i < 0 ? (int64_t)(0 - ua) : a.i);
        return r;
    case KOP_LT:
        r.i = uns ? ua < ub : a.i < b.i;
        return r;
    case KOP_LE:
        r.i = uns ? ua <= ub : a.i <= b.i;
        return r;
    case KOP_GT:
        r.i = uns ? ua > ub : a.i > b.i;
        return r;
    case KOP_GE:
        r.i = uns ? ua >= ub : a.i >= b.i;
        return r;
    case KOP_EQ:
        r.i = a.i == b.i;
        return r;
    case KOP_NE:
        r.i = a.i != b.i;
        return r;
    case KOP_AND:
        r.i = wrap(dt, (int64_t)(ua & ub));
        return r;
    case KOP_OR:
        r.i = wrap(dt, (int64_t)(ua | ub));
        return r;
    case KOP_XOR:
        r.i = wrap(dt, (int64_t)(ua ^ ub));
        return r;
    case KOP_NOT:
        r.i = a.i == 0;
        return r;
    case KOP_SHL:
        r.i = ub >= width ? 0 : wrap(dt, (int64_t)(((ua & umask) << ub) & umask));
        return r;
    case KOP_SHR:
        r.i = ub >= width ? 0 : wrap(dt, (int64_t)((ua & umask) >> ub));
        return r;
    default:
        LW_ICE("kernel op %s on integers", info->name);
    }
}

/* Lane `lane` of e (0 for a scalar): a vector load reads idx + lane, a splat its
 * scalar, a vector local its lane. Scalars inside a vector expression sit under a
 * splat, which evaluates them as lane 0. */
static KV eval(Interp *in, const KExpr *e, uint8_t lane)
{
    KV r;
    switch (e->kind) {
    case KE_CONST:
        if (is_f(e->type.dt))
            r.f = e->u.c.f;
        else
            r.i = e->u.c.i;
        return r;
    case KE_VAR:
        return in->locals[in->first[e->u.local] + (e->type.lanes > 1 ? lane : 0u)];
    case KE_IDX:
        r.i = wrap(e->type.dt, idx_val(in, &e->u.idx));
        if (is_f(e->type.dt))
            r.f = (double)idx_val(in, &e->u.idx);
        return r;
    case KE_LOAD:
        for (uint8_t i = 0; i < e->u.load.nguard; i++) {
            int64_t v = idx_val(in, &e->u.load.guard[i].e);
            if (v < 0 || v >= e->u.load.guard[i].bound)
                return eval(in, e->u.load.other, 0);
        }
        return load_elem(in, e->u.load.buf,
                         idx_val(in, &e->u.load.idx) + (e->type.lanes > 1 ? lane : 0));
    case KE_LOADX: {
        KV d = eval(in, e->u.loadx.dyn, 0);
        int64_t j = d.i < 0 ? 0 : d.i >= e->u.loadx.extent ? e->u.loadx.extent - 1 : d.i;
        return load_elem(in, e->u.loadx.buf,
                         idx_val(in, &e->u.loadx.idx) + j * e->u.loadx.stride);
    }
    case KE_OP:
        return op_eval(in, e, e->type.lanes > 1 ? lane : 0);
    case KE_SELECT: {
        KV c = eval(in, e->u.sel.c, 0);
        return c.i ? eval(in, e->u.sel.t, 0) : eval(in, e->u.sel.f, 0);
    }
    case KE_CAST:
        return cast(e->type.dt, e->u.cast.a->type.dt,
                    eval(in, e->u.cast.a, e->type.lanes > 1 ? lane : 0));
    case KE_SPLAT:
        return eval(in, e->u.cast.a, 0);
    case KE_LANE:
        return eval(in, e->u.lane.a, e->u.lane.i);
    case KE_DOT2: { /* wraps to int32 as smlad does */
        const KExpr *a = e->u.dot.a, *b = e->u.dot.b;
        int64_t ia = idx_val(in, &a->u.load.idx), ib = idx_val(in, &b->u.load.idx);
        uint32_t sum = (uint32_t)eval(in, e->u.dot.acc, lane).i;
        for (int j = 0; j < 2; j++)
            sum += (uint32_t)(load_elem(in, a->u.load.buf, ia + j).i *
                              load_elem(in, b->u.load.buf, ib + j).i);
        r.i = (int32_t)sum;
        return r;
    }
    case KE_DOT4: {
        /* wraps to int32 as vpdpbusd and sdot do */
        const KExpr *a = e->u.dot.a, *b = e->u.dot.b;
        int64_t sum = eval(in, e->u.dot.acc, lane).i;
        int64_t ia = idx_val(in, &a->u.load.idx) + (a->type.lanes == 4 ? 0 : 4 * lane);
        int64_t ib = idx_val(in, &b->u.load.idx) + (b->type.lanes == 4 ? 0 : 4 * lane);
        for (int j = 0; j < 4; j++) {
            int64_t x = load_elem(in, a->u.load.buf, ia + j).i;
            int64_t y = load_elem(in, b->u.load.buf, ib + j).i;
            if (e->u.dot.flip & 1) /* the top bit flipped: int8 + 128, uint8 - 128 */
                x += a->type.dt == DT_INT8 ? 128 : -128;
            if (e->u.dot.flip & 2)
                y += b->type.dt == DT_INT8 ? 128 : -128;
            sum += x * y;
        }
        r.i = wrap(DT_INT32, sum);
        return r;
    }
    case KE_HREDUCE:
        break;
    }
    LW_ICE("horizontal reductions are not interpreted yet");
}

/* Every lane of e into v[0 .. lanes - 1] before anything is written: a vector store
 * may overlap the loads it reads, and a vector reads its operands whole. */
static uint8_t eval_lanes(Interp *in, const KExpr *e, KV *v)
{
    uint8_t n = e->type.lanes > 1 ? e->type.lanes : 1;
    for (uint8_t l = 0; l < n; l++)
        v[l] = eval(in, e, l);
    return n;
}

/* KS_STORE and KS_SET, outside the recursive exec so their lane buffers are not in
 * every loop level's frame. */
static void exec_store(Interp *in, const KStmt *s)
{
    KV v[MAX_LANES];
    uint8_t n = eval_lanes(in, s->u.store.val, v);
    int64_t at = idx_val(in, &s->u.store.idx);
    for (uint8_t l = 0; l < n; l++)
        store_elem(in, s->u.store.buf, at + l, v[l]);
}

static void exec_set(Interp *in, const KStmt *s)
{
    KV v[MAX_LANES];
    uint8_t n = eval_lanes(in, s->u.set.val, v);
    memcpy(&in->locals[in->first[s->u.set.local]], v, n * sizeof v[0]);
}

static void exec(Interp *in, const KStmt *s)
{
    switch (s->kind) {
    case KS_FOR: {
        int64_t n = s->u.loop.extent;
        if (n > 0 && s->u.loop.dyn) {
            /* as the printers: the value converted to int32_t, then clamped */
            KV d = eval(in, s->u.loop.dyn, 0);
            n = kir_trip((int32_t)(uint32_t)(uint64_t)d.i, n);
        }
        for (int64_t i = 0; i < n; i++) {
            in->vars[s->u.loop.var] = i;
            exec(in, s->u.loop.body);
        }
        return;
    }
    case KS_STORE:
        exec_store(in, s);
        return;
    case KS_SET:
        exec_set(in, s);
        return;
    case KS_SEQ:
        for (uint32_t i = 0; i < s->u.seq.n; i++)
            exec(in, s->u.seq.items[i]);
        return;
    case KS_IF:
        for (uint8_t i = 0; i < s->u.cond.ncond; i++) {
            int64_t v = idx_val(in, &s->u.cond.cond[i].e);
            if (v < 0 || v >= s->u.cond.cond[i].bound)
                return;
        }
        exec(in, s->u.cond.then);
        return;
    }
}

LwStatus kir_interp_run(Ctx *ctx, const Program *p, uint32_t first, uint32_t last,
                        void *const *mem)
{
    for (uint32_t k = first; k < last; k++) {
        const Kernel *kr = &p->kernels.data[k];
        Interp in;
        in.p = p;
        in.k = kr;
        in.mem = mem;
        in.vars = arena_array(ctx->scratch, int64_t, kr->nvars ? kr->nvars : 1);
        in.first = arena_array(ctx->scratch, uint32_t, kr->nlocals ? kr->nlocals : 1);
        uint32_t nlanes = 0;
        for (uint16_t l = 0; l < kr->nlocals; l++) {
            in.first[l] = nlanes;
            nlanes += kr->locals[l].lanes ? kr->locals[l].lanes : 1u;
        }
        in.locals = arena_array(ctx->scratch, KV, nlanes ? nlanes : 1);
        exec(&in, kr->body);
    }
    return LW_OK;
}
