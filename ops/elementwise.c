/* Elementwise math, comparison and logic ops with numpy broadcasting: each
 * entry gives a scalar rule; kb_lower_elementwise makes the loops. */
#include <string.h>

#include "ir/kir_build.h"
#include "ops/families.h"

/* --- type rules --- */

static LwStatus need_float32(Ctx *ctx, Graph *g, Node *n)
{
    for (uint16_t i = 0; i < n->nin; i++)
        if (n->in[i] && !dtype_is_floatlike(op_in(g, n, i)->dtype))
            return diag_node(ctx, n, "input %u of type %s is not supported (floats only)", i,
                             dtype_name(op_in(g, n, i)->dtype));
    return LW_OK;
}

static LwStatus need_numeric(Ctx *ctx, Graph *g, Node *n)
{
    for (uint16_t i = 0; i < n->nin; i++) {
        if (!n->in[i])
            continue;
        DType dt = op_in(g, n, i)->dtype;
        if (!(dtype_is_floatlike(dt) || dtype_is_int(dt)))
            return diag_node(ctx, n, "input %u of type %s is not supported", i, dtype_name(dt));
    }
    return LW_OK;
}

static LwStatus infer_arith(Ctx *ctx, Graph *g, Node *n)
{
    TRY(need_numeric(ctx, g, n));
    return op_infer_broadcast(ctx, g, n);
}

static LwStatus infer_float_same(Ctx *ctx, Graph *g, Node *n)
{
    TRY(need_float32(ctx, g, n));
    return op_infer_broadcast(ctx, g, n);
}

static LwStatus infer_signed_same(Ctx *ctx, Graph *g, Node *n)
{
    DType dt = op_in(g, n, 0)->dtype;
    if (!(dtype_is_floatlike(dt) || dtype_is_signed(dt)))
        return diag_node(ctx, n, "input of type %s is not supported", dtype_name(dt));
    return op_infer_same(ctx, g, n);
}

static LwStatus infer_compare(Ctx *ctx, Graph *g, Node *n)
{
    TRY(need_numeric(ctx, g, n));
    TRY(op_infer_broadcast(ctx, g, n));
    Value *o = graph_value(g, n->out[0]);
    o->dtype = DT_BOOL;
    return LW_OK;
}

static LwStatus infer_logic(Ctx *ctx, Graph *g, Node *n)
{
    for (uint16_t i = 0; i < n->nin; i++)
        if (op_in(g, n, i)->dtype != DT_BOOL)
            return diag_node(ctx, n, "input %u must be bool", i);
    return op_infer_broadcast(ctx, g, n);
}

/* --- scalar rules --- */

#define BIN(fn, kop)                                                                               \
    static KExpr *fn(KBuilder *kb, const Node *n, KExpr *const *a)                                 \
    {                                                                                              \
        (void)n;                                                                                   \
        return kb_op(kb, kop, a[0], a[1]);                                                         \
    }
#define UN(fn, kop)                                                                                \
    static KExpr *fn(KBuilder *kb, const Node *n, KExpr *const *a)                                 \
    {                                                                                              \
        (void)n;                                                                                   \
        return kb_op(kb, kop, a[0], NULL);                                                         \
    }

BIN(s_add, KOP_ADD)
BIN(s_sub, KOP_SUB)
BIN(s_mul, KOP_MUL)
BIN(s_div, KOP_DIV)
BIN(s_less, KOP_LT)
BIN(s_less_eq, KOP_LE)
BIN(s_greater, KOP_GT)
BIN(s_greater_eq, KOP_GE)
BIN(s_equal, KOP_EQ)
BIN(s_and, KOP_AND)
BIN(s_or, KOP_OR)
BIN(s_xor, KOP_XOR)
UN(s_neg, KOP_NEG)
UN(s_abs, KOP_ABS)
UN(s_sqrt, KOP_SQRT)
UN(s_exp, KOP_EXP)
UN(s_log, KOP_LOG)
UN(s_erf, KOP_ERF)
UN(s_floor, KOP_FLOOR)
UN(s_ceil, KOP_CEIL)
UN(s_round, KOP_ROUND)
UN(s_sin, KOP_SIN)
UN(s_cos, KOP_COS)
UN(s_tanh, KOP_TANH)
UN(s_sigmoid, KOP_SIGMOID)
UN(s_tan, KOP_TAN)
UN(s_asin, KOP_ASIN)
UN(s_acos, KOP_ACOS)
UN(s_atan, KOP_ATAN)
UN(s_sinh, KOP_SINH)
UN(s_cosh, KOP_COSH)
UN(s_asinh, KOP_ASINH)
UN(s_acosh, KOP_ACOSH)
UN(s_atanh, KOP_ATANH)

/* IsNaN: x != x. IsInf-10: detect_positive / detect_negative. */
static KExpr *s_isnan(KBuilder *kb, const Node *n, KExpr *const *a)
{
    (void)n;
    return kb_op(kb, KOP_NE, a[0], a[0]);
}

typedef struct IsInfAttrs {
    int64_t pos, neg;
} IsInfAttrs;

static LwStatus isinf_import(Ctx *ctx, Node *n, const AttrList *al)
{
    IsInfAttrs *a = arena_new(ctx->perm, IsInfAttrs);
    TRY(attr_int(ctx, &n->loc, al, "detect_positive", 1, &a->pos));
    TRY(attr_int(ctx, &n->loc, al, "detect_negative", 1, &a->neg));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static KExpr *s_isinf(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const IsInfAttrs *at = n->attrs;
    DType dt = a[0]->type.dt;
    KExpr *p = kb_op(kb, KOP_EQ, a[0], kb_const_highest(kb, dt));
    KExpr *m = kb_op(kb, KOP_EQ, a[0], kb_const_lowest(kb, dt));
    if (at->pos && at->neg)
        return kb_op(kb, KOP_OR, p, m);
    if (at->pos)
        return p;
    if (at->neg)
        return m;
    return kb_const_i(kb, DT_BOOL, 0);
}

static LwStatus infer_float_to_bool(Ctx *ctx, Graph *g, Node *n)
{
    TRY(need_float32(ctx, g, n));
    TRY(op_infer_same(ctx, g, n));
    graph_value(g, n->out[0])->dtype = DT_BOOL;
    return LW_OK;
}

/* BitShift: direction LEFT/RIGHT on unsigned integers. */
typedef struct ShiftAttrs {
    int left;
} ShiftAttrs;

static LwStatus shift_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ShiftAttrs *a = arena_new(ctx->perm, ShiftAttrs);
    const char *dir;
    TRY(attr_string(ctx, &n->loc, al, "direction", "", &dir));
    if (strcmp(dir, "LEFT") && strcmp(dir, "RIGHT"))
        return diag_node(ctx, n, "direction must be LEFT or RIGHT, not '%s'", dir);
    a->left = !strcmp(dir, "LEFT");
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus shift_infer(Ctx *ctx, Graph *g, Node *n)
{
    DType dt = op_in(g, n, 0)->dtype;
    if (!dtype_is_int(dt) || dtype_is_signed(dt))
        return diag_node(ctx, n, "BitShift of %s is not supported (unsigned integers)",
                         dtype_name(dt));
    return op_infer_broadcast(ctx, g, n);
}

static KExpr *s_shift(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const ShiftAttrs *at = n->attrs;
    return kb_op(kb, at->left ? KOP_SHL : KOP_SHR, a[0], a[1]);
}

/* Shrink: x < -lambd ? x + bias : x > lambd ? x - bias : 0 */
typedef struct ShrinkAttrs {
    float bias, lambd;
} ShrinkAttrs;

static LwStatus shrink_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ShrinkAttrs *a = arena_new(ctx->perm, ShrinkAttrs);
    TRY(attr_float(ctx, &n->loc, al, "bias", 0.0f, &a->bias));
    TRY(attr_float(ctx, &n->loc, al, "lambd", 0.5f, &a->lambd));
    n->attrs = a;
    return attr_check_unused(ctx, &n->loc, al);
}

static KExpr *s_shrink(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const ShrinkAttrs *at = n->attrs;
    DType dt = a[0]->type.dt;
    KExpr *x = a[0];
    KExpr *lo = kb_const_f(kb, dt, -at->lambd), *hi = kb_const_f(kb, dt, at->lambd);
    KExpr *b = kb_const_f(kb, dt, at->bias);
    if (!dtype_is_float(dt)) {
        lo = kb_cast(kb, dt, kb_const_f(kb, DT_FLOAT32, -at->lambd));
        hi = kb_cast(kb, dt, kb_const_f(kb, DT_FLOAT32, at->lambd));
        b = kb_cast(kb, dt, kb_const_f(kb, DT_FLOAT32, at->bias));
    }
    return kb_select(kb, kb_op(kb, KOP_LT, x, lo), kb_op(kb, KOP_ADD, x, b),
                     kb_select(kb, kb_op(kb, KOP_GT, x, hi), kb_op(kb, KOP_SUB, x, b),
                               kb_const_i(kb, dt, 0)));
}

static KExpr *s_not(KBuilder *kb, const Node *n, KExpr *const *a)
{
    (void)n;
    return kb_op(kb, KOP_XOR, a[0], kb_const_i(kb, DT_BOOL, 1));
}

static KExpr *s_reciprocal(KBuilder *kb, const Node *n, KExpr *const *a)
{
    (void)n;
    return kb_op(kb, KOP_DIV, kb_const_f(kb, a[0]->type.dt, 1.0), a[0]);
}

static KExpr *s_sign(KBuilder *kb, const Node *n, KExpr *const *a)
{
    (void)n;
    DType dt = a[0]->type.dt;
    KExpr *zero = kb_const_i(kb, dt, 0);
    KExpr *pos = kb_select(kb, kb_op(kb, KOP_GT, a[0], zero), kb_const_i(kb, dt, 1), zero);
    return kb_select(kb, kb_op(kb, KOP_LT, a[0], zero), kb_const_i(kb, dt, -1), pos);
}

/* Variadic Min/Max/Sum/Mean fold left over their inputs. */
static KExpr *fold_inputs(KBuilder *kb, const Node *n, KExpr *const *a, KOp op)
{
    KExpr *acc = a[0];
    for (uint16_t i = 1; i < n->nin; i++)
        acc = kb_op(kb, op, acc, a[i]);
    return acc;
}

static KExpr *s_min(KBuilder *kb, const Node *n, KExpr *const *a)
{
    return fold_inputs(kb, n, a, KOP_MIN);
}
static KExpr *s_max(KBuilder *kb, const Node *n, KExpr *const *a)
{
    return fold_inputs(kb, n, a, KOP_MAX);
}
static KExpr *s_sum(KBuilder *kb, const Node *n, KExpr *const *a)
{
    return fold_inputs(kb, n, a, KOP_ADD);
}
static KExpr *s_mean(KBuilder *kb, const Node *n, KExpr *const *a)
{
    KExpr *s = fold_inputs(kb, n, a, KOP_ADD);
    return kb_op(kb, KOP_DIV, s, kb_const_i(kb, s->type.dt, n->nin));
}

/* Mod: fmod=1 is C fmod; fmod=0 (integers) takes the divisor's sign. */
typedef struct ModAttrs {
    int64_t fmod;
} ModAttrs;

static LwStatus mod_import(Ctx *ctx, Node *n, const AttrList *al)
{
    ModAttrs *m = arena_new(ctx->perm, ModAttrs);
    TRY(attr_int(ctx, &n->loc, al, "fmod", 0, &m->fmod));
    n->attrs = m;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus mod_infer(Ctx *ctx, Graph *g, Node *n)
{
    const ModAttrs *m = n->attrs;
    DType dt = op_in(g, n, 0)->dtype;
    if (dtype_is_floatlike(dt) && !m->fmod)
        return diag_node(ctx, n, "fmod=0 with float inputs is invalid (ONNX Mod)");
    return infer_arith(ctx, g, n);
}

static KExpr *s_mod(KBuilder *kb, const Node *n, KExpr *const *a)
{
    const ModAttrs *m = n->attrs;
    KExpr *r = kb_op(kb, KOP_MOD, a[0], a[1]); /* truncated remainder */
    if (m->fmod || dtype_is_float(a[0]->type.dt) || !dtype_is_signed(a[0]->type.dt))
        return r;
    /* Python-style: add the divisor when the signs differ and r != 0 */
    KExpr *zero = kb_const_i(kb, a[0]->type.dt, 0);
    KExpr *fix = kb_op(kb, KOP_AND, kb_op(kb, KOP_NE, r, zero),
                       kb_op(kb, KOP_NE, kb_op(kb, KOP_LT, r, zero),
                             kb_op(kb, KOP_LT, a[1], zero)));
    return kb_select(kb, fix, kb_op(kb, KOP_ADD, r, a[1]), r);
}

/* Pow-12+: base and exponent may differ in type; the result has the base's.
 * Computed in float32 (powf) and converted back for integer bases. */
static LwStatus pow_infer(Ctx *ctx, Graph *g, Node *n)
{
    TRY(need_numeric(ctx, g, n));
    Shape s;
    if (!shape_broadcast(&op_in(g, n, 0)->shape, &op_in(g, n, 1)->shape, &s))
        return diag_node(ctx, n, "input shapes do not broadcast");
    return op_set_output(ctx, g, n, 0, op_in(g, n, 0)->dtype, &s);
}

static KExpr *s_pow_mixed(KBuilder *kb, const Node *n, KExpr *const *a)
{
    (void)n;
    DType bt = a[0]->type.dt;
    DType ct = dtype_is_float(bt) ? bt : DT_FLOAT32;
    KExpr *r = kb_op(kb, KOP_POW, kb_cast(kb, ct, a[0]), kb_cast(kb, ct, a[1]));
    return kb_cast(kb, bt, r);
}

static LwStatus where_infer(Ctx *ctx, Graph *g, Node *n)
{
    if (op_in(g, n, 0)->dtype != DT_BOOL)
        return diag_node(ctx, n, "condition must be bool");
    if (op_in(g, n, 1)->dtype != op_in(g, n, 2)->dtype)
        return diag_node(ctx, n, "X and Y types differ");
    Shape s, t;
    if (!shape_broadcast(&op_in(g, n, 0)->shape, &op_in(g, n, 1)->shape, &s) ||
        !shape_broadcast(&s, &op_in(g, n, 2)->shape, &t))
        return diag_node(ctx, n, "input shapes do not broadcast");
    return op_set_output(ctx, g, n, 0, op_in(g, n, 1)->dtype, &t);
}

static KExpr *s_where(KBuilder *kb, const Node *n, KExpr *const *a)
{
    (void)n;
    return kb_select(kb, kb_op(kb, KOP_NE, a[0], kb_const_i(kb, DT_BOOL, 0)), a[1], a[2]);
}

static LwStatus lower_ew(Ctx *ctx, KBuilder *kb, const Node *n)
{
    return kb_lower_elementwise(ctx, kb, n);
}

#define EW(name, since, until, nin, infer, scalar, fc)                                             \
    {"", name, since, until, nin, nin, 1, 1, fc, OPF_INPLACE_OK | OPF_LOADS_PLAIN, op_no_attrs, infer, lower_ew,    \
     scalar, NULL, NULL, NULL}
#define VAR(name, since, until, infer, scalar)                                                     \
    {"", name, since, until, 1, 255, 1, 1, FC_BROADCAST, OPF_INPLACE_OK | OPF_LOADS_PLAIN, op_no_attrs, infer,      \
     lower_ew, scalar, NULL, NULL, NULL}

const OpDef ops_elementwise[] = {
    {"", "Add", 7, LW_OPSET_MAX, 2, 2, 1, 1, FC_BROADCAST, OPF_INPLACE_OK | OPF_SUM | OPF_LOADS_PLAIN, op_no_attrs,
     infer_arith, lower_ew, s_add, NULL, NULL, NULL},
    EW("Sub", 7, LW_OPSET_MAX, 2, infer_arith, s_sub, FC_BROADCAST),
    {"", "Mul", 7, LW_OPSET_MAX, 2, 2, 1, 1, FC_BROADCAST, OPF_INPLACE_OK | OPF_PRODUCT | OPF_LOADS_PLAIN,
     op_no_attrs, infer_arith, lower_ew, s_mul, NULL, NULL, NULL},
    EW("Div", 7, LW_OPSET_MAX, 2, infer_arith, s_div, FC_BROADCAST),
    EW("Pow", 7, LW_OPSET_MAX, 2, pow_infer, s_pow_mixed, FC_BROADCAST),
    EW("Neg", 6, LW_OPSET_MAX, 1, infer_signed_same, s_neg, FC_ELEMWISE),
    EW("Abs", 6, LW_OPSET_MAX, 1, infer_arith, s_abs, FC_ELEMWISE),
    EW("Sqrt", 6, LW_OPSET_MAX, 1, infer_float_same, s_sqrt, FC_ELEMWISE),
    EW("Exp", 6, LW_OPSET_MAX, 1, infer_float_same, s_exp, FC_ELEMWISE),
    EW("Log", 6, LW_OPSET_MAX, 1, infer_float_same, s_log, FC_ELEMWISE),
    EW("Erf", 9, LW_OPSET_MAX, 1, infer_float_same, s_erf, FC_ELEMWISE),
    EW("Floor", 6, LW_OPSET_MAX, 1, infer_float_same, s_floor, FC_ELEMWISE),
    EW("Ceil", 6, LW_OPSET_MAX, 1, infer_float_same, s_ceil, FC_ELEMWISE),
    EW("Round", 11, LW_OPSET_MAX, 1, infer_float_same, s_round, FC_ELEMWISE),
    EW("Sin", 7, LW_OPSET_MAX, 1, infer_float_same, s_sin, FC_ELEMWISE),
    EW("Cos", 7, LW_OPSET_MAX, 1, infer_float_same, s_cos, FC_ELEMWISE),
    EW("Tanh", 6, LW_OPSET_MAX, 1, infer_float_same, s_tanh, FC_ELEMWISE),
    EW("Sigmoid", 6, LW_OPSET_MAX, 1, infer_float_same, s_sigmoid, FC_ELEMWISE),
    EW("Tan", 7, LW_OPSET_MAX, 1, infer_float_same, s_tan, FC_ELEMWISE),
    EW("Asin", 7, LW_OPSET_MAX, 1, infer_float_same, s_asin, FC_ELEMWISE),
    EW("Acos", 7, LW_OPSET_MAX, 1, infer_float_same, s_acos, FC_ELEMWISE),
    EW("Atan", 7, LW_OPSET_MAX, 1, infer_float_same, s_atan, FC_ELEMWISE),
    EW("Sinh", 9, LW_OPSET_MAX, 1, infer_float_same, s_sinh, FC_ELEMWISE),
    EW("Cosh", 9, LW_OPSET_MAX, 1, infer_float_same, s_cosh, FC_ELEMWISE),
    EW("Asinh", 9, LW_OPSET_MAX, 1, infer_float_same, s_asinh, FC_ELEMWISE),
    EW("Acosh", 9, LW_OPSET_MAX, 1, infer_float_same, s_acosh, FC_ELEMWISE),
    EW("Atanh", 9, LW_OPSET_MAX, 1, infer_float_same, s_atanh, FC_ELEMWISE),
    EW("IsNaN", 9, LW_OPSET_MAX, 1, infer_float_to_bool, s_isnan, FC_ELEMWISE),
    {"", "IsInf", 10, LW_OPSET_MAX, 1, 1, 1, 1, FC_ELEMWISE, 0, isinf_import,
     infer_float_to_bool, lower_ew, s_isinf, NULL, NULL, NULL},
    {"", "BitShift", 11, LW_OPSET_MAX, 2, 2, 1, 1, FC_BROADCAST, OPF_INPLACE_OK, shift_import,
     shift_infer, lower_ew, s_shift, NULL, NULL, NULL},
    {"", "Shrink", 9, LW_OPSET_MAX, 1, 1, 1, 1, FC_ELEMWISE, OPF_INPLACE_OK, shrink_import,
     infer_arith, lower_ew, s_shrink, NULL, NULL, NULL},
    EW("Reciprocal", 6, LW_OPSET_MAX, 1, infer_float_same, s_reciprocal, FC_ELEMWISE),
    EW("Sign", 9, LW_OPSET_MAX, 1, infer_arith, s_sign, FC_ELEMWISE),
    EW("Less", 7, LW_OPSET_MAX, 2, infer_compare, s_less, FC_BROADCAST),
    EW("LessOrEqual", 12, LW_OPSET_MAX, 2, infer_compare, s_less_eq, FC_BROADCAST),
    EW("Greater", 7, LW_OPSET_MAX, 2, infer_compare, s_greater, FC_BROADCAST),
    EW("GreaterOrEqual", 12, LW_OPSET_MAX, 2, infer_compare, s_greater_eq, FC_BROADCAST),
    EW("Equal", 7, LW_OPSET_MAX, 2, infer_compare, s_equal, FC_BROADCAST),
    EW("And", 7, LW_OPSET_MAX, 2, infer_logic, s_and, FC_BROADCAST),
    EW("Or", 7, LW_OPSET_MAX, 2, infer_logic, s_or, FC_BROADCAST),
    EW("Xor", 7, LW_OPSET_MAX, 2, infer_logic, s_xor, FC_BROADCAST),
    EW("Not", 1, LW_OPSET_MAX, 1, infer_logic, s_not, FC_ELEMWISE),
    EW("Where", 9, LW_OPSET_MAX, 3, where_infer, s_where, FC_BROADCAST),
    VAR("Min", 8, LW_OPSET_MAX, infer_arith, s_min),
    VAR("Max", 8, LW_OPSET_MAX, infer_arith, s_max),
    VAR("Sum", 8, LW_OPSET_MAX, infer_arith, s_sum),
    VAR("Mean", 8, LW_OPSET_MAX, infer_float_same, s_mean),
    {"", "Mod", 10, LW_OPSET_MAX, 2, 2, 1, 1, FC_BROADCAST, OPF_INPLACE_OK, mod_import, mod_infer, lower_ew,
     s_mod, NULL, NULL, NULL},
};
const uint32_t ops_elementwise_count = LW_COUNT(ops_elementwise);
