/* Folding one node whose inputs are all constant: lower it and run the kernels
 * in the kernel-IR interpreter, so folding and generated code share one
 * definition of every op. */
#include <string.h>

#include "include/lwcc/ckd.h"
#include "include/lwcc/lwcc.h"
#include "ir/kir_build.h"
#include "ir/kir_interp.h"
#include "ops/op.h"
#include "target/target.h"
#include "passes/pass.h"

static LwStatus fold_interpret(Ctx *ctx, Graph *g, Node *n);

int fold_can(const Ctx *ctx, uint32_t id, uint64_t max_elems)
{
    const Graph *g = ctx->g;
    const Node *n = graph_node(g, id);
    if (!n->op || (n->op->flags & OPF_NO_FOLD))
        return 0;
    if (!(n->op->flags & OPF_SHAPE_ONLY)) {
        for (uint16_t i = 0; i < n->nin; i++)
            if (n->in[i] && graph_value(g, n->in[i])->kind != VK_CONST)
                return 0;
    }
    for (uint16_t o = 0; o < n->nout; o++) {
        if (!n->out[o])
            continue;
        const Value *v = graph_value(g, n->out[o]);
        uint64_t c;
        if (!(v->flags & VF_SHAPED) || !shape_numel(&v->shape, &c) || c > max_elems)
            return 0;
    }
    /* int8 weights stay int8 where flash is scarce (no vector unit: microcontrollers) and
     * at -Os; elsewhere a small one is folded to float once, the fastest form to load */
    int keep_int8 = ctx->target->vbytes == 0 || (ctx->opt && ctx->opt->opt == LW_OS);
    return !(keep_int8 && lower_at_load(g, n));
}

LwStatus fold_node(Ctx *ctx, uint32_t id)
{
    Graph *g = ctx->g;
    Node *n = graph_node(g, id);
    if (n->op->flags & (OPF_ALIAS | OPF_NOOP)) {
        /* the bytes are the input's */
        const Value *x = graph_value(g, n->in[0]);
        const unsigned char *bytes = x->data->bytes;
        uint64_t size = x->data->size;
        ValueId out = n->out[0];
        if (n->nout > 1 && n->out[1])
            goto interpret; /* Dropout mask: computed */
        graph_set_const(ctx->perm, g, out, bytes, size);
        graph_erase_node(g, id);
        return LW_OK;
    }
interpret:;
    ArenaMark mark = arena_mark(ctx->scratch);
    LwStatus st = fold_interpret(ctx, g, n);
    arena_reset(ctx->scratch, mark);
    TRY(st);
    graph_erase_node(g, id);
    return LW_OK;
}

LwStatus interp_bufs(Ctx *ctx, const Node *n, const Program *p, void ***memp)
{
    void **mem = arena_array(ctx->scratch, void *, p->bufs.len ? p->bufs.len : 1);
    for (uint32_t b = 0; b < p->bufs.len; b++) {
        const KBuf *kbf = &p->bufs.data[b];
        if (kbf->kind == KB_WEIGHT) {
            mem[b] = (void *)p->weights.data[kbf->slot].bytes;
            continue;
        }
        uint64_t bytes;
        size_t sz;
        if (!ckd_mul_u64(&bytes, kbf->nelem, dtype_size(kbf->dtype)) || !ckd_size(&sz, bytes) ||
            bytes > ctx->lim.arena_bytes)
            return n ? diag_node(ctx, n, "a tensor too large to evaluate at compile time")
                     : diag_error(ctx->diag, "a tensor too large to evaluate at compile time");
        mem[b] = arena_alloc(ctx->scratch, sz ? sz : 1);
        if (!mem[b])
            return n ? diag_node(ctx, n, "out of memory evaluating at compile time")
                     : diag_error(ctx->diag, "out of memory evaluating at compile time");
    }
    *memp = mem;
    return LW_OK;
}

/* Buffers for every kernel of p, then runs them all. */
static LwStatus interp_all(Ctx *ctx, const Node *n, const Program *p, void ***memp)
{
    TRY(interp_bufs(ctx, n, p, memp));
    return kir_interp_run(ctx, p, 0, p->kernels.len, *memp);
}

static LwStatus fold_interpret(Ctx *ctx, Graph *g, Node *n)
{
    Program *p = kir_program_new(ctx->scratch);
    uint32_t *vb = arena_array(ctx->scratch, uint32_t, g->values.len);
    KBuilder kb;
    kb_init(&kb, ctx, p, g, vb);
    kb.a = ctx->scratch;
    TRY(n->op->lower(ctx, &kb, n));
    void **mem;
    TRY(interp_all(ctx, n, p, &mem));
    /* a dequantized constant (int8 weights made float32) keeps its integers' parameters:
     * the integer kernels take the integers back (QuantParams) */
    QuantParams q, *qp = NULL;
    if (quant_dq_params(ctx->perm, g, n, &q)) {
        qp = arena_new(ctx->perm, QuantParams);
        *qp = q;
    }
    for (uint16_t o = 0; o < n->nout; o++) {
        ValueId v = n->out[o];
        if (!v || !vb[v])
            continue;
        const Value *val = graph_value(g, v);
        uint64_t size = shape_count(&val->shape) * dtype_size(val->dtype);
        unsigned char *copy = arena_memdup(ctx->perm, mem[vb[v] - 1], (size_t)size);
        if (!copy)
            return diag_node(ctx, n, "out of memory while folding");
        graph_set_const(ctx->perm, g, v, copy, size);
        if (qp)
            graph_value(g, v)->quant = qp;
    }
    return LW_OK;
}

int fold_maps_zero(Ctx *ctx, const Node *n)
{
    const Graph *g = ctx->g;
    if (!n->op || n->op->fuse != FC_ELEMWISE || !n->op->scalar || n->nout != 1 || !n->in[0] ||
        n->nin > 8)
        return 0;
    const Value *x = graph_value(g, n->in[0]), *y = graph_value(g, n->out[0]);
    if (!dtype_is_float(x->dtype) || x->dtype != y->dtype)
        return 0;
    for (uint16_t i = 1; i < n->nin; i++) {
        const Value *v = n->in[i] ? graph_value(g, n->in[i]) : NULL;
        if (v && (v->kind != VK_CONST || shape_count(&v->shape) != 1))
            return 0;
    }
    ArenaMark mark = arena_mark(ctx->scratch);
    Program *p = kir_program_new(ctx->scratch);
    uint32_t *vb = arena_array(ctx->scratch, uint32_t, g->values.len);
    KBuilder kb;
    kb_init(&kb, ctx, p, g, vb);
    kb.a = ctx->scratch;
    KExpr *args[8] = {0};
    kb_begin(&kb, n, NULL);
    args[0] = kb_const_f(&kb, x->dtype, 0.0);
    for (uint16_t i = 1; i < n->nin; i++)
        if (n->in[i])
            args[i] = kb_load(&kb, kb_in(&kb, i), kidx_const(0));
    uint32_t yb = kb_scratch(&kb, y->dtype, 1);
    kb_store(&kb, yb, kidx_const(0), n->op->scalar(&kb, n, args));
    kb_end(&kb);
    void **mem;
    uint32_t errs = ctx->diag->errors;
    int zero = 0;
    if (interp_all(ctx, n, p, &mem) == LW_OK) {
        if (y->dtype == DT_FLOAT32)
            zero = *(const float *)mem[yb] == 0;
        else if (y->dtype == DT_FLOAT64)
            zero = *(const double *)mem[yb] == 0;
    }
    ctx->diag->errors = errs;
    arena_reset(ctx->scratch, mark);
    return zero;
}
