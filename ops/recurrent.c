/* RNN, GRU and LSTM: one kernel per node, a constant loop over time steps per
 * direction, hidden and cell state in kernel scratch, gates by plain loops. */
#include <stdio.h>
#include <string.h>

#include "include/lwcc/lwcc.h"
#include "ir/kir_build.h"
#include "ops/families.h"
#include "target/target.h"

typedef enum RnnKind { RK_RNN, RK_GRU, RK_LSTM } RnnKind;

typedef enum ActKind { ACT_RELU, ACT_TANH, ACT_SIGMOID, ACT_AFFINE, ACT_LEAKY, ACT_THRELU,
                       ACT_STANH, ACT_HSIG, ACT_ELU, ACT_SOFTSIGN, ACT_SOFTPLUS } ActKind;

/* uses: bit 0 consumes an activation_alpha entry, bit 1 an activation_beta
 * entry. Entries are consumed in order by the functions that use them, with
 * these defaults when the lists run out (as onnxruntime's rnn_helpers). */
static const struct {
    const char *name;
    uint8_t uses;
    float alpha, beta;
} act_table[] = {
    [ACT_RELU] = {"Relu", 0, 0, 0},
    [ACT_TANH] = {"Tanh", 0, 0, 0},
    [ACT_SIGMOID] = {"Sigmoid", 0, 0, 0},
    [ACT_AFFINE] = {"Affine", 3, 1.0f, 0.0f},
    [ACT_LEAKY] = {"LeakyRelu", 1, 0.01f, 0},
    [ACT_THRELU] = {"ThresholdedRelu", 1, 1.0f, 0},
    [ACT_STANH] = {"ScaledTanh", 3, 1.0f, 1.0f},
    [ACT_HSIG] = {"HardSigmoid", 3, 0.2f, 0.5f},
    [ACT_ELU] = {"Elu", 1, 1.0f, 0},
    [ACT_SOFTSIGN] = {"Softsign", 0, 0, 0},
    [ACT_SOFTPLUS] = {"Softplus", 0, 0, 0},
};

typedef struct Act {
    ActKind kind;
    float alpha, beta;
} Act;

/* Per kind: number of gates and of activation functions (f, g, h). */
static const struct {
    const char *name;
    uint8_t gates, nact, max_out;
    ActKind defaults[3];
} kind_table[] = {
    [RK_RNN] = {"RNN", 1, 1, 2, {ACT_TANH, ACT_TANH, ACT_TANH}},
    [RK_GRU] = {"GRU", 3, 2, 2, {ACT_SIGMOID, ACT_TANH, ACT_TANH}},
    [RK_LSTM] = {"LSTM", 4, 3, 3, {ACT_SIGMOID, ACT_TANH, ACT_TANH}},
};

typedef struct RnnAttrs {
    RnnKind kind;
    int64_t hidden; /* 0 until infer when the attribute is absent */
    int dirs;       /* 1 or 2 */
    int reverse;    /* direction == "reverse" (one direction) */
    int64_t layout;
    int64_t lbr;          /* GRU linear_before_reset */
    int64_t input_forget; /* LSTM */
    int has_clip;
    float clip;
    Act act[2][3]; /* [direction][f, g, h] */
    int seq_mask;  /* set by infer: sequence_lens may cut some batch short */
} RnnAttrs;

/* Opset features: which attributes a row's import reads. */
enum { RV_OUTSEQ = 1, RV_LBR = 2, RV_LAYOUT = 4 };

static int same_name_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return *a == *b;
}

/* The 'activations' attribute (strings): ir/attr.h has no getter for string
 * lists, so read the entry and mark it used as the getters do. */
static LwStatus get_strings(Ctx *ctx, Node *n, const AttrList *al, const char *name,
                            const char *const **out, uint32_t *count)
{
    *out = NULL;
    *count = 0;
    for (uint32_t i = 0; i < al->n; i++) {
        Attr *a = &al->a[i];
        if (strcmp(a->name, name) != 0)
            continue;
        a->used = 1;
        if (a->type != AT_STRINGS)
            return diag_node(ctx, n, "attribute '%s' must be a list of strings", name);
        *out = a->strings;
        *count = a->n;
    }
    return LW_OK;
}

static LwStatus rnn_import(Ctx *ctx, Node *n, const AttrList *al, RnnKind kind, unsigned ver)
{
    RnnAttrs *r = arena_new(ctx->perm, RnnAttrs);
    r->kind = kind;
    TRY(attr_int(ctx, &n->loc, al, "hidden_size", 0, &r->hidden));
    if (attr_find(al, "hidden_size") && r->hidden < 1)
        return diag_node(ctx, n, "'hidden_size' is %lld, must be at least 1",
                         (long long)r->hidden);
    const char *dir;
    TRY(attr_string(ctx, &n->loc, al, "direction", "forward", &dir));
    if (strcmp(dir, "forward") == 0) {
        r->dirs = 1;
    } else if (strcmp(dir, "reverse") == 0) {
        r->dirs = 1;
        r->reverse = 1;
    } else if (strcmp(dir, "bidirectional") == 0) {
        r->dirs = 2;
    } else {
        return diag_node(ctx, n, "'direction' is '%s', expected forward, reverse or "
                         "bidirectional", dir);
    }
    if (ver & RV_LAYOUT) {
        TRY(attr_int(ctx, &n->loc, al, "layout", 0, &r->layout));
        if (r->layout != 0 && r->layout != 1)
            return diag_node(ctx, n, "'layout' is %lld, must be 0 or 1", (long long)r->layout);
    }
    if (ver & RV_OUTSEQ) {
        /* opset 1: only says whether Y may be omitted; outputs are optional anyway */
        int64_t os;
        TRY(attr_int(ctx, &n->loc, al, "output_sequence", 0, &os));
    }
    if (kind == RK_GRU && (ver & RV_LBR)) {
        TRY(attr_int(ctx, &n->loc, al, "linear_before_reset", 0, &r->lbr));
        if (r->lbr != 0 && r->lbr != 1)
            return diag_node(ctx, n, "'linear_before_reset' is %lld, must be 0 or 1",
                             (long long)r->lbr);
    }
    if (kind == RK_LSTM) {
        TRY(attr_int(ctx, &n->loc, al, "input_forget", 0, &r->input_forget));
        if (r->input_forget != 0 && r->input_forget != 1)
            return diag_node(ctx, n, "'input_forget' is %lld, must be 0 or 1",
                             (long long)r->input_forget);
    }
    if (attr_find(al, "clip")) {
        TRY(attr_float(ctx, &n->loc, al, "clip", 0, &r->clip));
        if (!(r->clip > 0))
            return diag_node(ctx, n, "'clip' is %g, must be positive", (double)r->clip);
        r->has_clip = 1;
    }

    uint32_t nact = kind_table[kind].nact, nnames, nalpha, nbeta;
    const char *const *names;
    const float *alphas, *betas;
    TRY(get_strings(ctx, n, al, "activations", &names, &nnames));
    TRY(attr_floats_ref(ctx, &n->loc, al, "activation_alpha", &alphas, &nalpha));
    TRY(attr_floats_ref(ctx, &n->loc, al, "activation_beta", &betas, &nbeta));
    if (nnames && nnames != nact * (uint32_t)r->dirs)
        return diag_node(ctx, n, "'activations' has %u entries, expected %u (%u per direction)",
                         nnames, nact * (uint32_t)r->dirs, nact);
    uint32_t ia = 0, ib = 0;
    for (int d = 0; d < r->dirs; d++) {
        for (uint32_t k = 0; k < nact; k++) {
            Act *a = &r->act[d][k];
            a->kind = kind_table[kind].defaults[k];
            if (nnames) {
                const char *s = names[(uint32_t)d * nact + k];
                size_t t = 0;
                while (t < LW_COUNT(act_table) && !same_name_nocase(act_table[t].name, s))
                    t++;
                if (t == LW_COUNT(act_table))
                    return diag_node(ctx, n, "activation '%s' is not supported", s);
                a->kind = (ActKind)t;
            }
            a->alpha = act_table[a->kind].alpha;
            a->beta = act_table[a->kind].beta;
            if ((act_table[a->kind].uses & 1) && ia < nalpha)
                a->alpha = alphas[ia++];
            if ((act_table[a->kind].uses & 2) && ib < nbeta)
                a->beta = betas[ib++];
        }
    }
    n->attrs = r;
    return attr_check_unused(ctx, &n->loc, al);
}

static LwStatus rnn_import_1(Ctx *ctx, Node *n, const AttrList *al)
{
    return rnn_import(ctx, n, al, RK_RNN, RV_OUTSEQ);
}
static LwStatus rnn_import_7(Ctx *ctx, Node *n, const AttrList *al)
{
    return rnn_import(ctx, n, al, RK_RNN, 0);
}
static LwStatus rnn_import_14(Ctx *ctx, Node *n, const AttrList *al)
{
    return rnn_import(ctx, n, al, RK_RNN, RV_LAYOUT);
}
static LwStatus gru_import_1(Ctx *ctx, Node *n, const AttrList *al)
{
    return rnn_import(ctx, n, al, RK_GRU, RV_OUTSEQ);
}
static LwStatus gru_import_3(Ctx *ctx, Node *n, const AttrList *al)
{
    return rnn_import(ctx, n, al, RK_GRU, RV_OUTSEQ | RV_LBR);
}
static LwStatus gru_import_7(Ctx *ctx, Node *n, const AttrList *al)
{
    return rnn_import(ctx, n, al, RK_GRU, RV_LBR);
}
static LwStatus gru_import_14(Ctx *ctx, Node *n, const AttrList *al)
{
    return rnn_import(ctx, n, al, RK_GRU, RV_LBR | RV_LAYOUT);
}
static LwStatus lstm_import_1(Ctx *ctx, Node *n, const AttrList *al)
{
    return rnn_import(ctx, n, al, RK_LSTM, RV_OUTSEQ);
}
static LwStatus lstm_import_7(Ctx *ctx, Node *n, const AttrList *al)
{
    return rnn_import(ctx, n, al, RK_LSTM, 0);
}
static LwStatus lstm_import_14(Ctx *ctx, Node *n, const AttrList *al)
{
    return rnn_import(ctx, n, al, RK_LSTM, RV_LAYOUT);
}

/* Input positions. */
enum { IN_X, IN_W, IN_R, IN_B, IN_SEQ, IN_H0, IN_C0, IN_P };

static LwStatus check_shape(Ctx *ctx, const Graph *g, Node *n, uint16_t i, const char *what,
                            int rank, const int64_t *dims)
{
    const Value *v = op_in(g, n, i);
    int ok = v->shape.rank == rank;
    for (int k = 0; ok && k < rank; k++)
        ok = v->shape.dims[k] == dims[k];
    if (!ok) {
        char want[96];
        size_t len = 0;
        want[0] = 0;
        for (int k = 0; k < rank && len < sizeof want - 24; k++)
            len += (size_t)snprintf(want + len, sizeof want - len, "%s%lld", k ? "x" : "",
                                    (long long)dims[k]);
        return diag_node(ctx, n, "input %u (%s) must be [%s]", i, what, want);
    }
    return LW_OK;
}

static LwStatus rnn_infer(Ctx *ctx, Graph *g, Node *n)
{
    RnnAttrs *r = (RnnAttrs *)n->attrs;
    int64_t G = kind_table[r->kind].gates, D = r->dirs;
    TRY(op_check_float(ctx, g, n, IN_X));
    for (uint16_t i = 1; i < n->nin; i++)
        if (i != IN_SEQ)
            TRY(op_check_same_type(ctx, g, n, IN_X, i));
    const Value *x = op_in(g, n, IN_X), *rr = op_in(g, n, IN_R);
    if (x->shape.rank != 3)
        return diag_node(ctx, n, "input X must have rank 3, has rank %u", x->shape.rank);
    if (rr->shape.rank != 3)
        return diag_node(ctx, n, "input R must have rank 3, has rank %u", rr->shape.rank);
    int64_t H = r->hidden ? r->hidden : rr->shape.dims[2];
    if (H < 1)
        return diag_node(ctx, n, "hidden size is %lld, must be at least 1", (long long)H);
    r->hidden = H;
    int64_t T = x->shape.dims[r->layout ? 1 : 0], Bt = x->shape.dims[r->layout ? 0 : 1];
    int64_t I = x->shape.dims[2];
    int64_t wd[3] = {D, G * H, I}, rd[3] = {D, G * H, H}, bd[2] = {D, 2 * G * H};
    TRY(check_shape(ctx, g, n, IN_W, "W", 3, wd));
    TRY(check_shape(ctx, g, n, IN_R, "R", 3, rd));
    if (op_has_in(n, IN_B))
        TRY(check_shape(ctx, g, n, IN_B, "B", 2, bd));
    int64_t sd[3] = {D, Bt, H};
    if (r->layout) {
        sd[0] = Bt;
        sd[1] = D;
    }
    if (op_has_in(n, IN_H0))
        TRY(check_shape(ctx, g, n, IN_H0, "initial_h", 3, sd));
    if (r->kind == RK_LSTM && op_has_in(n, IN_C0))
        TRY(check_shape(ctx, g, n, IN_C0, "initial_c", 3, sd));
    if (r->kind == RK_LSTM && op_has_in(n, IN_P)) {
        int64_t pd[2] = {D, 3 * H};
        TRY(check_shape(ctx, g, n, IN_P, "P", 2, pd));
    }
    r->seq_mask = 0;
    if (op_has_in(n, IN_SEQ)) {
        const Value *s = op_in(g, n, IN_SEQ);
        if (s->dtype != DT_INT32 && s->dtype != DT_INT64)
            return diag_node(ctx, n, "sequence_lens is %s, expected int32",
                             dtype_name(s->dtype));
        int64_t qd[1] = {Bt};
        TRY(check_shape(ctx, g, n, IN_SEQ, "sequence_lens", 1, qd));
        r->seq_mask = 1;
        if (s->kind == VK_CONST) {
            int64_t *lens;
            uint64_t cnt;
            TRY(op_const_ints(ctx, g, n, IN_SEQ, &lens, &cnt));
            r->seq_mask = 0;
            for (uint64_t b = 0; b < cnt; b++) {
                if (lens[b] < 0 || lens[b] > T)
                    return diag_node(ctx, n, "sequence_lens[%llu] is %lld, must be in [0, %lld]",
                                     (unsigned long long)b, (long long)lens[b], (long long)T);
                if (lens[b] < T)
                    r->seq_mask = 1;
            }
        }
    }
    Shape ys = {0}, hs = {0};
    ys.rank = 4;
    hs.rank = 3;
    if (r->layout) {
        int64_t y[4] = {Bt, T, D, H};
        memcpy(ys.dims, y, sizeof y);
    } else {
        int64_t y[4] = {T, D, Bt, H};
        memcpy(ys.dims, y, sizeof y);
    }
    memcpy(hs.dims, sd, sizeof sd);
    TRY(op_set_output(ctx, g, n, 0, x->dtype, &ys));
    for (uint16_t i = 1; i < n->nout; i++)
        TRY(op_set_output(ctx, g, n, i, x->dtype, &hs));
    return LW_OK;
}

/* The type the node computes in: float64 for float64, else float32 (the half
 * types are storage only); state and gates live in kernel scratch of it. */
static DType ctype_of(const KBuilder *kb)
{
    return dtype_compute(op_in(kb->g, kb->node, IN_X)->dtype);
}

static KExpr *fc(KBuilder *kb, double v)
{
    return kb_const_f(kb, ctype_of(kb), v);
}

/* v into a fresh local, so that a value used twice is computed once. */
static KExpr *keep(KBuilder *kb, KExpr *v)
{
    uint16_t l = kb_local(kb, ktype(ctype_of(kb)));
    kb_set(kb, l, v);
    return kb_var(kb, l);
}

static KExpr *apply_act(KBuilder *kb, const Act *a, KExpr *x)
{
    switch (a->kind) {
    case ACT_RELU:
        return kb_op(kb, KOP_MAX, x, fc(kb, 0));
    case ACT_TANH:
        return kb_op(kb, KOP_TANH, x, NULL);
    case ACT_SIGMOID:
        return kb_op(kb, KOP_SIGMOID, x, NULL);
    case ACT_AFFINE:
        return kb_op3(kb, KOP_FMA, x, fc(kb, a->alpha), fc(kb, a->beta));
    case ACT_LEAKY:
        x = keep(kb, x);
        return kb_select(kb, kb_op(kb, KOP_GE, x, fc(kb, 0)), x,
                         kb_op(kb, KOP_MUL, x, fc(kb, a->alpha)));
    case ACT_THRELU:
        x = keep(kb, x);
        return kb_select(kb, kb_op(kb, KOP_GE, x, fc(kb, a->alpha)), x, fc(kb, 0));
    case ACT_STANH:
        return kb_op(kb, KOP_MUL, fc(kb, a->alpha),
                     kb_op(kb, KOP_TANH, kb_op(kb, KOP_MUL, x, fc(kb, a->beta)), NULL));
    case ACT_HSIG:
        return kb_op(kb, KOP_MIN,
                     kb_op(kb, KOP_MAX, kb_op3(kb, KOP_FMA, x, fc(kb, a->alpha), fc(kb, a->beta)),
                           fc(kb, 0)),
                     fc(kb, 1));
    case ACT_ELU:
        x = keep(kb, x);
        return kb_select(kb, kb_op(kb, KOP_GE, x, fc(kb, 0)), x,
                         kb_op(kb, KOP_MUL, fc(kb, a->alpha),
                               kb_op(kb, KOP_SUB, kb_op(kb, KOP_EXP, x, NULL), fc(kb, 1))));
    case ACT_SOFTSIGN:
        x = keep(kb, x);
        return kb_op(kb, KOP_DIV, x, kb_op(kb, KOP_ADD, fc(kb, 1), kb_op(kb, KOP_ABS, x, NULL)));
    case ACT_SOFTPLUS: {
        /* log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)) */
        x = keep(kb, x);
        KExpr *e = kb_op(kb, KOP_EXP, kb_op(kb, KOP_NEG, kb_op(kb, KOP_ABS, x, NULL), NULL), NULL);
        return kb_op(kb, KOP_ADD, kb_op(kb, KOP_MAX, x, fc(kb, 0)),
                     kb_op(kb, KOP_LOG, kb_op(kb, KOP_ADD, fc(kb, 1), e), NULL));
    }
    }
    return x;
}

/* Clip (when set) then activation k of direction d, kept in a local. */
static KExpr *gate_act(KBuilder *kb, const RnnAttrs *r, int d, int k, KExpr *pre)
{
    if (r->has_clip)
        pre = kb_op(kb, KOP_MIN, kb_op(kb, KOP_MAX, pre, fc(kb, -(double)r->clip)),
                    fc(kb, r->clip));
    return keep(kb, apply_act(kb, &r->act[d][k], pre));
}

static KIndex ix1(int64_t base, uint16_t v, int64_t c)
{
    KIndex ix = kidx_const(base);
    kidx_add(&ix, v, c);
    return ix;
}

static KIndex ix2(int64_t base, uint16_t v1, int64_t c1, uint16_t v2, int64_t c2)
{
    KIndex ix = kidx_const(base);
    kidx_add(&ix, v1, c1);
    kidx_add(&ix, v2, c2);
    return ix;
}

/* Buffers and sizes shared by the pieces of one direction's lowering. */
typedef struct RnnLow {
    const RnnAttrs *r;
    int64_t T, Bt, I, H, G, D;
    int64_t xt, xb;         /* X strides of time and batch */
    int64_t yt, yd, yb;     /* Y strides */
    int64_t sd, sb;         /* Y_h / Y_c / initial_h / initial_c strides */
    uint32_t x, w, rw, b, seq, h0, c0, p, y, yh, yc;
    int has_b, has_h0, has_c0, has_p, has_y, has_yh, has_yc;
    uint32_t hs, cs, gx, gh, rh; /* scratch */
    uint32_t wkn, rwkn;          /* W and R transposed to [D][K][G*H] when constant, or 0 */
    /* X part hoisted (hoist_steps): steps computed at once, the vector lanes and the
     * vectors of gates per register tile; gx holds one row of gates per step of a chunk,
     * the current step's row at gxv * gxs + gxb (gxv a loop variable; gxs 0: no loop) */
    int64_t K, VL, nvt;
    uint16_t gxv;
    int64_t gxs, gxb;
    /* R^T in panels (panels): rpw gates wide, each [K][rpw] contiguous (0: rows of all
     * G*H gates); rrev: the step at hand runs them last to first */
    int64_t rpw;
    int rrev;
    unsigned char *rdata; /* R^T's bytes (a weight made here), or NULL */
} RnnLow;

/* A constant matrix input [D][G*H][K] as a weight [D][K][G*H] (prepacked at compile time,
 * the same elements in their dtype), so the products run k-outer with the gates as the
 * unit-stride inner loop, which vectorizes; 0 when the input is computed. */
static uint32_t transposed(KBuilder *kb, const Node *n, uint16_t in, unsigned char **data)
{
    const Value *m = op_in(kb->g, n, in);
    if (m->kind != VK_CONST || !m->data)
        return 0;
    int64_t D = m->shape.dims[0], J = m->shape.dims[1], K = m->shape.dims[2];
    size_t es = dtype_size(m->dtype);
    uint32_t buf;
    unsigned char *t = kb_weight_new(kb, m->dtype, (uint64_t)(D * J * K), &buf);
    const unsigned char *src = m->data->bytes;
    for (int64_t d = 0; d < D; d++)
        for (int64_t j = 0; j < J; j++)
            for (int64_t k = 0; k < K; k++)
                memcpy(&t[(size_t)((d * K + k) * J + j) * es], &src[(size_t)((d * J + j) * K + k) * es],
                       es);
    if (data)
        *data = t;
    return buf + 1;
}

/* An index into gates buffer dst, moved to the current step's row when dst is gx and the
 * X part is hoisted. */
static KIndex grow(const RnnLow *L, uint32_t dst, KIndex ix)
{
    if (dst == L->gx && L->gxs)
        kidx_add(&ix, L->gxv, L->gxs);
    if (dst == L->gx)
        ix.base += L->gxb;
    return ix;
}

/* gates[b, j0 + j] = bias[boff + j] + sum_k src[b, k] * M[d, j0 + j, k] for j < nj,
 * plus what gates[b, j0 + j] held when `add`. With mkn (M transposed, 1 + its buffer),
 * k-outer: each gate's sum in the same order, the inner loop over the gates. */
static void matvec(KBuilder *kb, const RnnLow *L, int d, uint32_t dst, uint32_t src,
                   int64_t src_base, int64_t src_b, int64_t src_t, uint16_t vt, int64_t K,
                   uint32_t mat, uint32_t mkn, int64_t j0, int64_t nj, int64_t boff, int add)
{
    int64_t GH = L->G * L->H;
    /* float32 on a vector target at -O2: the gates in vector registers across the
     * whole k loop, as many vectors at a time as the target has registers (each sum in
     * the same order as below); the gates past the last whole vector the scalar way.
     * The blocks of gates run one after another, each a chain of K dependent FMAs, so
     * fewer and wider blocks are faster even where some accumulators spill: lstm_kws
     * (256 gates) took 120 us in blocks of 8 zmm and 110 us in one of 16 */
    const Target *t = kb->ctx->target;
    int64_t VL = t && t->vbytes >= 16 && kb->ctx->opt && kb->ctx->opt->opt == LW_O2 &&
                         ctype_of(kb) == DT_FLOAT32
                     ? t->vbytes / 4
                     : 0;
    if (mkn && VL && nj >= VL && kb_vloadable(kb, mkn - 1) && kb_vloadable(kb, dst) &&
        kb_vloadable(kb, src) && (!L->has_b || kb_vloadable(kb, L->b))) {
        int64_t nvec = nj / VL, rb = t->nvregs < 1 ? 1 : t->nvregs > 32 ? 32 : t->nvregs;
        /* R^T in panels: a block of gates per panel, in the step's order */
        int pan = mkn == L->rwkn && L->rpw;
        if (pan) {
            LW_ASSERT(j0 == 0 && nj == GH && L->rpw % VL == 0);
            rb = L->rpw / VL;
        }
        int64_t nblk = (nvec + rb - 1) / rb;
        for (int64_t bi = 0; bi < nblk; bi++) {
            int64_t c0 = (pan && L->rrev ? nblk - 1 - bi : bi) * rb;
            int64_t nv = nvec - c0 < rb ? nvec - c0 : rb, jb = j0 + c0 * VL;
            KType vt2 = {DT_FLOAT32, (uint8_t)VL};
            uint16_t acc[32], wv[32];
            for (int64_t v = 0; v < nv; v++) {
                acc[v] = kb_local(kb, vt2);
                wv[v] = kb_local(kb, vt2);
            }
            uint16_t vb = kb_for(kb, L->Bt);
            for (int64_t v = 0; v < nv; v++) {
                KIndex di = grow(L, dst, ix1(jb + v * VL, vb, GH));
                KExpr *init = L->has_b ? kb_vload(kb, L->b, kidx_const(d * 2 * GH + boff + jb + v * VL),
                                                  (uint8_t)VL)
                                       : kb_splat(kb, fc(kb, 0), (uint8_t)VL);
                if (add)
                    init = kb_op(kb, KOP_ADD, kb_vload(kb, dst, di, (uint8_t)VL), init);
                kb_set(kb, acc[v], init);
            }
            uint16_t vk = kb_for(kb, K);
            KIndex si = ix2(src_base, vb, src_b, vk, 1);
            if (src_t)
                kidx_add(&si, vt, src_t);
            for (int64_t v = 0; v < nv; v++)
                kb_set(kb, wv[v],
                       kb_vload(kb, mkn - 1,
                                pan ? ix1(d * GH * K + jb * K + v * VL, vk, nv * VL)
                                    : ix1(d * GH * K + jb + v * VL, vk, GH),
                                (uint8_t)VL));
            kb_fma_row(kb, acc, kb_load(kb, src, si), wv, nv);
            kb_endfor(kb);
            for (int64_t v = 0; v < nv; v++)
                kb_store(kb, dst, grow(L, dst, ix1(jb + v * VL, vb, GH)), kb_var(kb, acc[v]));
            kb_endfor(kb);
        }
        int64_t done = nvec * VL;
        if (done < nj)
            matvec(kb, L, d, dst, src, src_base, src_b, src_t, vt, K, mat, mkn, j0 + done,
                   nj - done, boff, add);
        return;
    }
    LW_ASSERT(!(mkn == L->rwkn && L->rpw)); /* panels only where the vector path reads them */
    if (mkn) {
        uint16_t vb = kb_for(kb, L->Bt), vj = kb_for(kb, nj);
        KIndex di = grow(L, dst, ix2(j0, vb, GH, vj, 1));
        KExpr *init = L->has_b ? kb_load(kb, L->b, ix1(d * 2 * GH + boff + j0, vj, 1)) : fc(kb, 0);
        if (add)
            init = kb_op(kb, KOP_ADD, kb_load(kb, dst, di), init);
        kb_store(kb, dst, di, init);
        kb_endfor(kb);
        uint16_t vk = kb_for(kb, K), vj2 = kb_for(kb, nj);
        KIndex si = ix2(src_base, vb, src_b, vk, 1);
        if (src_t)
            kidx_add(&si, vt, src_t);
        KIndex mi = ix2(d * GH * K + j0, vk, GH, vj2, 1),
               d2 = grow(L, dst, ix2(j0, vb, GH, vj2, 1));
        kb_store(kb, dst, d2, kb_op3(kb, KOP_FMA, kb_load(kb, src, si), kb_load(kb, mkn - 1, mi),
                                     kb_load(kb, dst, d2)));
        kb_endfor_n(kb, 3);
        return;
    }
    uint16_t acc = kb_local(kb, ktype(ctype_of(kb)));
    uint16_t vb = kb_for(kb, L->Bt);
    uint16_t vj = kb_for(kb, nj);
    KExpr *init = L->has_b ? kb_load(kb, L->b, ix1(d * 2 * GH + boff + j0, vj, 1)) : fc(kb, 0);
    KIndex di = grow(L, dst, ix2(j0, vb, GH, vj, 1));
    if (add)
        init = kb_op(kb, KOP_ADD, kb_load(kb, dst, di), init);
    kb_set(kb, acc, init);
    uint16_t vk = kb_for(kb, K);
    KIndex si = ix2(src_base, vb, src_b, vk, 1);
    if (src_t)
        kidx_add(&si, vt, src_t);
    KIndex mi = ix2(d * GH * K + j0 * K, vj, K, vk, 1);
    kb_set(kb, acc, kb_op3(kb, KOP_FMA, kb_load(kb, src, si), kb_load(kb, mat, mi),
                           kb_var(kb, acc)));
    kb_endfor(kb);
    kb_store(kb, dst, di, kb_var(kb, acc));
    kb_endfor_n(kb, 2);
}

/* Gate pre-activation gx + gh at gate g for (b, h); gh is already in gx when the two
 * share one buffer (RNN, LSTM). */
static KExpr *pre(KBuilder *kb, const RnnLow *L, uint16_t vb, uint16_t vh, int64_t g)
{
    KIndex gi = ix2(g * L->H, vb, L->G * L->H, vh, 1);
    if (L->gh == L->gx)
        return kb_load(kb, L->gx, grow(L, L->gx, gi));
    return kb_op(kb, KOP_ADD, kb_load(kb, L->gx, grow(L, L->gx, gi)), kb_load(kb, L->gh, gi));
}

/* One step at time index tm (an affine function of the enclosing loops), its X part in gx
 * already: the H part, then the elementwise update of (b, h) and Y. */
static void step(KBuilder *kb, const RnnLow *L, int d, KIndex tm)
{
    const RnnAttrs *r = L->r;
    int64_t H = L->H, G = L->G, GH = G * H, BH = L->Bt * H;
    uint16_t vb, vh;
    /* H part: gh = Rb + H R^T (GRU without linear_before_reset: z and r only); added
     * into gx when they share a buffer */
    int gru_split = r->kind == RK_GRU && !r->lbr;
    matvec(kb, L, d, L->gh, L->hs, d * BH, H, 0, 0, H, L->rw, L->rwkn, 0, gru_split ? 2 * H : GH,
           GH, L->gh == L->gx);
    if (gru_split) {
        /* rh = r (.) H, then gh[h gate] = Rbh + rh Rh^T */
        vb = kb_for(kb, L->Bt);
        vh = kb_for(kb, H);
        KExpr *rt = gate_act(kb, r, d, 0, pre(kb, L, vb, vh, 1));
        kb_store(kb, L->rh, ix2(0, vb, H, vh, 1),
                 kb_op(kb, KOP_MUL, rt, kb_load(kb, L->hs, ix2(d * BH, vb, H, vh, 1))));
        kb_endfor_n(kb, 2);
        matvec(kb, L, d, L->gh, L->rh, 0, H, 0, 0, H, L->rw, L->rwkn, 2 * H, H, GH, 0);
    }

    /* elementwise update of (b, h) */
    vb = kb_for(kb, L->Bt);
    vh = kb_for(kb, H);
    KIndex sti = ix2(d * BH, vb, H, vh, 1);
    KExpr *hprev = NULL;
    if (r->kind == RK_GRU || r->seq_mask)
        hprev = keep(kb, kb_load(kb, L->hs, sti));
    KExpr *hnew = NULL, *cnew = NULL, *cprev = NULL;
    switch (r->kind) {
    case RK_RNN:
        hnew = gate_act(kb, r, d, 0, pre(kb, L, vb, vh, 0));
        break;
    case RK_GRU: {
        KExpr *z = gate_act(kb, r, d, 0, pre(kb, L, vb, vh, 0));
        KExpr *hp;
        if (r->lbr) {
            KExpr *rt = gate_act(kb, r, d, 0, pre(kb, L, vb, vh, 1));
            KIndex gi = ix2(2 * H, vb, GH, vh, 1);
            hp = kb_op3(kb, KOP_FMA, rt, kb_load(kb, L->gh, gi),
                        kb_load(kb, L->gx, grow(L, L->gx, gi)));
        } else {
            hp = pre(kb, L, vb, vh, 2);
        }
        KExpr *ht = gate_act(kb, r, d, 1, hp);
        /* (1 - z) * ht + z * hprev */
        hnew = keep(kb, kb_op3(kb, KOP_FMA, z, kb_op(kb, KOP_SUB, hprev, ht), ht));
        break;
    }
    case RK_LSTM: {
        cprev = keep(kb, kb_load(kb, L->cs, sti));
        KExpr *pi = pre(kb, L, vb, vh, 0);
        if (L->has_p)
            pi = kb_op3(kb, KOP_FMA, kb_load(kb, L->p, ix1(d * 3 * H, vh, 1)), cprev, pi);
        KExpr *it = gate_act(kb, r, d, 0, pi);
        KExpr *ft;
        if (r->input_forget) {
            ft = kb_op(kb, KOP_SUB, fc(kb, 1), it);
        } else {
            KExpr *pf = pre(kb, L, vb, vh, 2);
            if (L->has_p)
                pf = kb_op3(kb, KOP_FMA, kb_load(kb, L->p, ix1(d * 3 * H + 2 * H, vh, 1)),
                            cprev, pf);
            ft = gate_act(kb, r, d, 0, pf);
        }
        KExpr *ct = gate_act(kb, r, d, 1, pre(kb, L, vb, vh, 3));
        cnew = keep(kb, kb_op3(kb, KOP_FMA, ft, cprev, kb_op(kb, KOP_MUL, it, ct)));
        KExpr *po = pre(kb, L, vb, vh, 1);
        if (L->has_p)
            po = kb_op3(kb, KOP_FMA, kb_load(kb, L->p, ix1(d * 3 * H + H, vh, 1)), cnew,
                        po);
        KExpr *ot = gate_act(kb, r, d, 0, po);
        hnew = keep(kb, kb_op(kb, KOP_MUL, ot, apply_act(kb, &r->act[d][2], cnew)));
        break;
    }
    }
    KExpr *yv = hnew;
    if (r->seq_mask) {
        KIndex ti = tm;
        DType sdt = op_in(kb->g, kb->node, IN_SEQ)->dtype;
        KExpr *live = kb_op(kb, KOP_LT, kb_idx(kb, sdt, ti),
                            kb_load(kb, L->seq, ix1(0, vb, 1)));
        uint16_t lv = kb_local(kb, ktype(DT_BOOL));
        kb_set(kb, lv, live);
        yv = kb_select(kb, kb_var(kb, lv), hnew, fc(kb, 0));
        hnew = kb_select(kb, kb_var(kb, lv), hnew, hprev);
        if (cnew)
            cnew = kb_select(kb, kb_var(kb, lv), cnew, cprev);
    }
    kb_store(kb, L->hs, sti, hnew);
    if (cnew)
        kb_store(kb, L->cs, sti, cnew);
    if (L->has_y) {
        KIndex yi = kidx_const(0);
        kidx_add_index(&yi, &tm, L->yt);
        yi.base += d * L->yd;
        kidx_add(&yi, vb, L->yb);
        kidx_add(&yi, vh, 1);
        kb_store(kb, L->y, yi, yv);
    }
    kb_endfor_n(kb, 2);
}

/* The X part of K steps at once, hoisted out of the recurrence: gx row k = Wb + X_t W^T for
 * the chunk's step k, whose time index is tm + k * tc (Bt = 1). A register tile of K rows
 * by nvt vectors of gates shares each vector of W loaded among the K steps, so W streams
 * from the cache once per chunk rather than once per step. Each gate's sum is matvec's,
 * in the same order: the results are the same bits. */
static void xgemm(KBuilder *kb, const RnnLow *L, int d, KIndex tm, int64_t tc, int64_t K)
{
    int64_t GH = L->G * L->H, VL = L->VL, nvec = GH / VL;
    KType vt = {DT_FLOAT32, (uint8_t)VL};
    for (int64_t c0 = 0; c0 < nvec;) {
        int64_t nv = nvec - c0 < L->nvt ? nvec - c0 : L->nvt, ntile = (nvec - c0) / nv;
        uint16_t acc[8 * 32], wv[32];
        for (int64_t k = 0; k < K; k++)
            for (int64_t v = 0; v < nv; v++)
                acc[k * nv + v] = kb_local(kb, vt);
        for (int64_t v = 0; v < nv; v++)
            wv[v] = kb_local(kb, vt);
        uint16_t vg = kb_for(kb, ntile);
        for (int64_t k = 0; k < K; k++)
            for (int64_t v = 0; v < nv; v++)
                kb_set(kb, acc[k * nv + v],
                       L->has_b ? kb_vload(kb, L->b, ix1(d * 2 * GH + (c0 + v) * VL, vg, nv * VL),
                                           (uint8_t)VL)
                                : kb_splat(kb, fc(kb, 0), (uint8_t)VL));
        uint16_t vi = kb_for(kb, L->I);
        for (int64_t v = 0; v < nv; v++)
            kb_set(kb, wv[v],
                   kb_vload(kb, L->wkn - 1, ix2(d * GH * L->I + (c0 + v) * VL, vi, GH, vg, nv * VL),
                            (uint8_t)VL));
        for (int64_t k = 0; k < K; k++) {
            KIndex xi = kidx_const(0);
            kidx_add_index(&xi, &tm, L->xt);
            xi.base += k * tc * L->xt;
            kidx_add(&xi, vi, 1);
            kb_fma_row(kb, &acc[k * nv], kb_load(kb, L->x, xi), wv, nv);
        }
        kb_endfor(kb);
        for (int64_t k = 0; k < K; k++)
            for (int64_t v = 0; v < nv; v++)
                kb_store(kb, L->gx, ix1(k * GH + (c0 + v) * VL, vg, nv * VL),
                         kb_var(kb, acc[k * nv + v]));
        kb_endfor(kb);
        c0 += ntile * nv;
    }
}

/* nch chunks of K steps from step s0 (in the direction's order), the X part of each
 * chunk hoisted. */
static void chunks(KBuilder *kb, const RnnLow *L, int d, int64_t t0, int64_t tc, int64_t s0,
                   int64_t nch, int64_t K)
{
    RnnLow S = *L;
    int64_t GH = L->G * L->H;
    uint16_t vc = kb_for(kb, nch);
    KIndex tm = ix1(t0 + tc * s0, vc, tc * K);
    xgemm(kb, &S, d, tm, tc, K);
    if (!L->rpw) {
        S.gxv = kb_for(kb, K);
        S.gxs = GH;
        kidx_add(&tm, S.gxv, tc);
        step(kb, &S, d, tm);
        kb_endfor_n(kb, 2);
        return;
    }
    /* R^T in panels: steps in pairs, the second running the panels in reverse, so that
     * each step starts on the panels the step before read last */
    if (K / 2) {
        S.gxv = kb_for(kb, K / 2);
        S.gxs = 2 * GH;
        for (int k = 0; k < 2; k++) {
            KIndex t2 = tm;
            kidx_add(&t2, S.gxv, 2 * tc);
            t2.base += k * tc;
            S.gxb = k * GH;
            S.rrev = k;
            step(kb, &S, d, t2);
        }
        kb_endfor(kb);
    }
    if (K % 2) {
        S.gxs = 0;
        S.gxb = (K - 1) * GH;
        S.rrev = 0;
        tm.base += (K - 1) * tc;
        step(kb, &S, d, tm);
    }
    kb_endfor(kb);
}

static void lower_dir(KBuilder *kb, const RnnLow *L, int d)
{
    const RnnAttrs *r = L->r;
    int rev = r->reverse || d == 1;
    int64_t H = L->H, GH = L->G * H, T = L->T, BH = L->Bt * H;

    /* initial state */
    uint16_t vb = kb_for(kb, L->Bt), vh = kb_for(kb, H);
    KIndex st = ix2(d * BH, vb, H, vh, 1), si = ix2(d * L->sd, vb, L->sb, vh, 1);
    kb_store(kb, L->hs, st, L->has_h0 ? kb_load(kb, L->h0, si) : fc(kb, 0));
    if (r->kind == RK_LSTM)
        kb_store(kb, L->cs, st, L->has_c0 ? kb_load(kb, L->c0, si) : fc(kb, 0));
    kb_endfor_n(kb, 2);

    /* the time index: s forward, T-1-s in reverse. Steps past a batch's length
     * hold the state; in reverse they come first, so the state stays initial
     * until the batch's last step. */
    int64_t t0 = rev ? T - 1 : 0, tc = rev ? -1 : 1;
    if (L->K) {
        chunks(kb, L, d, t0, tc, 0, T / L->K, L->K);
        if (T % L->K)
            chunks(kb, L, d, t0, tc, T / L->K * L->K, 1, T % L->K);
    } else {
        uint16_t vs = kb_for(kb, T);
        /* X part: gx = Wb + X_t W^T */
        matvec(kb, L, d, L->gx, L->x, t0 * L->xt, L->xb, tc * L->xt, vs, L->I, L->w, L->wkn, 0, GH,
               0, 0);
        step(kb, L, d, ix1(t0, vs, tc));
        kb_endfor(kb);
    }

    /* final state */
    if (L->has_yh || L->has_yc) {
        vb = kb_for(kb, L->Bt);
        vh = kb_for(kb, H);
        st = ix2(d * BH, vb, H, vh, 1);
        si = ix2(d * L->sd, vb, L->sb, vh, 1);
        if (L->has_yh)
            kb_store(kb, L->yh, si, kb_load(kb, L->hs, st));
        if (L->has_yc)
            kb_store(kb, L->yc, si, kb_load(kb, L->cs, st));
        kb_endfor_n(kb, 2);
    }
}

/* Whether to hoist the X part out of the recurrence, in chunks of L->K steps (0: step by
 * step). At -O2 on a vector target, float32, W constant, one batch, whole vectors of gates:
 * the register tile is K rows (steps) by nvt vectors, K * nvt accumulators and nvt vectors
 * of W in the target's registers. The chunk's gates take K rows of scratch, K - 1 more
 * than step by step: within the node's budget (KBuilder.scratch_budget) plus what Y in
 * place of X saves. lstm_kws: 13% faster (74 -> 64 us), its second layer's Y in place of
 * its first's.
 * Y goes in place of X (KBuf.alias; memplan makes them one) when X dies here: with the X
 * part hoisted, a chunk's rows of X are read before its rows of Y are written, and forward,
 * with rows of Y the size of X's, each row of Y lands on a row of X read already. */
static void hoist_steps(KBuilder *kb, RnnLow *L)
{
    const Target *t = kb->ctx->target;
    int64_t GH = L->G * L->H;
    L->K = 0;
    if (!t || t->vbytes < 16 || !kb->ctx->opt || kb->ctx->opt->opt != LW_O2 ||
        !kb->scratch_budget || ctype_of(kb) != DT_FLOAT32 || !L->wkn || L->Bt != 1 || L->T < 2)
        return;
    int64_t VL = t->vbytes / 4, regs = t->nvregs < 8 ? 8 : t->nvregs > 32 ? 32 : t->nvregs;
    if (GH % VL || !kb_vloadable(kb, L->wkn - 1) || !kb_vloadable(kb, L->x) ||
        (L->has_b && !kb_vloadable(kb, L->b)))
        return;
    int64_t K = regs >= 32 ? 7 : 5;
    if (K > L->T)
        K = L->T;
    KBuf *yb = L->has_y ? &kb->prog->bufs.data[L->y] : NULL;
    uint64_t room = yb && L->D == 1 && !L->r->reverse && L->yt == L->xt
                        ? kb_out_room(kb, kb->node, L->x, 0)
                        : 0;
    int inplace = room != 0;
    uint64_t row = ((uint64_t)GH * 4 + 15) & ~(uint64_t)15,
             extra = (((uint64_t)(K * GH) * 4 + 15) & ~(uint64_t)15) - row,
             budget = kb->node->out[0] ? kb->scratch_budget[kb->node->out[0]] : 0;
    if (budget < extra && room < extra - budget)
        return;
    L->K = K;
    L->VL = VL;
    L->nvt = regs / (K + 1);
    if (inplace)
        yb->alias = L->x + 1;
}

/* Whether R^T goes in panels (L->rpw), repacked so: for a hoisted step whose product with R
 * runs over all gates at once (not a GRU's split one), when R^T is larger than a core's L1
 * data cache is likely to hold (32 KB) but not so large that what the step before leaves
 * there is a small part of it (96 KB). Each panel is 8 vectors of gates wide, [H][8 VL]
 * contiguous, and consecutive steps run the panels in opposite orders (chunks), so a step
 * starts on the panels still in L1 from the step before, and R streams in from L2 only in
 * part. Each gate's sum is the same as before, in the same order. lstm_kws (R^T 64 KB a
 * layer): 6% faster. A GRU of 128 hidden units (R^T 192 KB) was 2% slower so: the
 * narrower blocks of gates without the reuse. */
static void panels(KBuilder *kb, RnnLow *L)
{
    int64_t GH = L->G * L->H, H = L->H, pw = 8 * L->VL;
    uint64_t rbytes = (uint64_t)(GH * H) * 4; /* one direction's R^T */
    L->rpw = 0;
    if (!L->K || !L->rdata || (L->r->kind == RK_GRU && !L->r->lbr) || rbytes <= 32768 ||
        rbytes > 98304 || pw >= GH || !kb_vloadable(kb, L->rwkn - 1) || !kb_vloadable(kb, L->hs) ||
        !kb_vloadable(kb, L->gh))
        return;
    float *rt = (float *)(void *)L->rdata;
    size_t n = (size_t)(L->D * GH * H);
    float *old = arena_array(kb->a, float, n);
    memcpy(old, rt, n * sizeof *old);
    for (int64_t d = 0; d < L->D; d++)
        for (int64_t p0 = 0; p0 < GH; p0 += pw) {
            int64_t bw = GH - p0 < pw ? GH - p0 : pw;
            for (int64_t k = 0; k < H; k++)
                memcpy(&rt[d * GH * H + p0 * H + k * bw], &old[d * GH * H + k * GH + p0],
                       (size_t)bw * sizeof *old);
        }
    L->rpw = pw;
}

/* Output i is wanted: present, and read or a graph output (an LSTM's unused Y_h and
 * Y_c are not computed). */
static int has_out(const Graph *g, const Node *n, uint16_t i)
{
    if (i >= n->nout || !n->out[i])
        return 0;
    const Value *v = graph_value(g, n->out[i]);
    return v->nuses > 0 || (v->flags & VF_GRAPH_OUTPUT);
}

static LwStatus rnn_lower(Ctx *ctx, KBuilder *kb, const Node *n)
{
    (void)ctx;
    const RnnAttrs *r = n->attrs;
    const Value *x = op_in(kb->g, n, IN_X);
    RnnLow L;
    memset(&L, 0, sizeof L);
    L.r = r;
    L.T = x->shape.dims[r->layout ? 1 : 0];
    L.Bt = x->shape.dims[r->layout ? 0 : 1];
    L.I = x->shape.dims[2];
    L.H = r->hidden;
    L.G = kind_table[r->kind].gates;
    L.D = r->dirs;
    if (r->layout) {
        L.xb = L.T * L.I;
        L.xt = L.I;
        L.yb = L.T * L.D * L.H;
        L.yt = L.D * L.H;
        L.yd = L.H;
        L.sb = L.D * L.H;
        L.sd = L.H;
    } else {
        L.xt = L.Bt * L.I;
        L.xb = L.I;
        L.yt = L.D * L.Bt * L.H;
        L.yd = L.Bt * L.H;
        L.yb = L.H;
        L.sd = L.Bt * L.H;
        L.sb = L.H;
    }
    if (!has_out(kb->g, n, 0) && !has_out(kb->g, n, 1) && !has_out(kb->g, n, 2))
        return LW_OK;

    kb_begin(kb, n, NULL);
    L.x = kb_in(kb, IN_X);
    L.w = kb_in(kb, IN_W);
    L.rw = kb_in(kb, IN_R);
    L.wkn = transposed(kb, n, IN_W, NULL);
    L.rwkn = transposed(kb, n, IN_R, &L.rdata);
    if ((L.has_b = op_has_in(n, IN_B)) != 0)
        L.b = kb_in(kb, IN_B);
    if (r->seq_mask)
        L.seq = kb_in(kb, IN_SEQ);
    if ((L.has_h0 = op_has_in(n, IN_H0)) != 0)
        L.h0 = kb_in(kb, IN_H0);
    if (r->kind == RK_LSTM) {
        if ((L.has_c0 = op_has_in(n, IN_C0)) != 0)
            L.c0 = kb_in(kb, IN_C0);
        if ((L.has_p = op_has_in(n, IN_P)) != 0)
            L.p = kb_in(kb, IN_P);
    }
    if ((L.has_y = has_out(kb->g, n, 0)) != 0)
        L.y = kb_out(kb, 0);
    if ((L.has_yh = has_out(kb->g, n, 1)) != 0)
        L.yh = kb_out(kb, 1);
    if ((L.has_yc = has_out(kb->g, n, 2)) != 0)
        L.yc = kb_out(kb, 2);
    uint64_t state = (uint64_t)(L.D * L.Bt * L.H), gates = (uint64_t)(L.Bt * L.G * L.H);
    DType ct = ctype_of(kb);
    L.hs = kb_scratch(kb, ct, state);
    if (r->kind == RK_LSTM)
        L.cs = kb_scratch(kb, ct, state);
    hoist_steps(kb, &L);
    L.gx = kb_scratch(kb, ct, gates * (uint64_t)(L.K ? L.K : 1));
    /* GRU reads the two parts apart (the reset gate scales the hidden part) */
    L.gh = r->kind == RK_GRU ? kb_scratch(kb, ct, gates) : L.gx;
    if (r->kind == RK_GRU && !r->lbr)
        L.rh = kb_scratch(kb, ct, (uint64_t)(L.Bt * L.H));
    panels(kb, &L);
    for (int d = 0; d < r->dirs; d++)
        lower_dir(kb, &L, d);
    kb_end(kb);
    return LW_OK;
}

#define RNN_ROW(name, since, until, maxin, maxout, imp)                                            \
    {"", name, since, until, 3, maxin, 0, maxout, FC_OPAQUE, 0, imp, rnn_infer, rnn_lower,         \
     NULL, NULL, NULL, NULL}

const OpDef ops_recurrent[] = {
    RNN_ROW("RNN", 1, 6, 6, 2, rnn_import_1),
    RNN_ROW("RNN", 7, 13, 6, 2, rnn_import_7),
    RNN_ROW("RNN", 14, LW_OPSET_MAX, 6, 2, rnn_import_14),
    RNN_ROW("GRU", 1, 2, 6, 2, gru_import_1),
    RNN_ROW("GRU", 3, 6, 6, 2, gru_import_3),
    RNN_ROW("GRU", 7, 13, 6, 2, gru_import_7),
    RNN_ROW("GRU", 14, LW_OPSET_MAX, 6, 2, gru_import_14),
    RNN_ROW("LSTM", 1, 6, 8, 3, lstm_import_1),
    RNN_ROW("LSTM", 7, 13, 8, 3, lstm_import_7),
    RNN_ROW("LSTM", 14, LW_OPSET_MAX, 8, 3, lstm_import_14),
};
const uint32_t ops_recurrent_count = LW_COUNT(ops_recurrent);
