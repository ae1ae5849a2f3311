/* lower: graph -> kernel IR. Graph inputs and outputs get caller buffers,
 * constants become weights, other values arena buffers; alias ops (Reshape,
 * Flatten, Squeeze, Unsqueeze) reuse their input's buffer; a node of constants
 * whose op can compute it at load time (OpDef.at_load: DequantizeLinear) and
 * whose every use is a linear op's weight input gets no kernel and no tensor:
 * its consumers compute each element where they load it, so int8 weights stay
 * int8. The same for such a node of an activation whose every consumer reads it
 * with plain loads (OPF_LOADS_PLAIN): the int8 tensor is what the arena holds.
 * Each remaining node is lowered by its OpDef. */
#include <string.h>

#include "include/lwcc/lwcc.h"
#include "ir/kir_build.h"
#include "ops/op.h"
#include "passes/pass.h"
#include "target/target.h"

static void copy_kernel(KBuilder *kb, const Graph *g, uint32_t dst, uint32_t src, ValueId v,
                        const char *what)
{
    /* a kernel with no node: named after the value */
    Kernel k;
    memset(&k, 0, sizeof k);
    StrBuf sb;
    sb_init(&sb, kb->a);
    sb_printf(&sb, "k%u_%s", kb->nkernels++, what);
    k.cname = sb_cstr(&sb);
    vec_push(kb->a, &kb->prog->kernels, k);
    kb->k = &kb->prog->kernels.data[kb->prog->kernels.len - 1];
    kb->depth = 0;
    memset(&kb->open[0], 0, sizeof kb->open[0]);
    kb_copy(kb, dst, src, shape_count(&graph_value(g, v)->shape));
    StrBuf c;
    sb_init(&c, kb->a);
    sb_puts(&c, "copy of value '");
    sb_puts(&c, graph_value(g, v)->name);
    sb_puts(&c, "' to a graph output");
    kb->k->comment = sb_cstr(&c);
    kb->node = NULL;
    kb_end(kb);
}

/* May consumer c read value v (input i) as computed at each load? A linear op's
 * weight input always (the int8 weights); any input of an op that reads only
 * through plain loads (OPF_LOADS_PLAIN) for an activation, when elementwise ops
 * read it at their own shape (affine loads) and no sparse kernel reads it. */
static int loads_at_load(const Graph *g, const Node *c, uint16_t i, ValueId v, int act)
{
    if (!act)
        return c->op->linear && i == c->op->linear->weight_in;
    if (!(c->op->flags & OPF_LOADS_PLAIN) || (c->flags & NF_SPARSE) || c->nout < 1 || !c->out[0])
        return 0;
    if (c->op->fuse == FC_ELEMWISE || c->op->fuse == FC_BROADCAST)
        return shape_equal(&graph_value(g, v)->shape, &graph_value(g, c->out[0])->shape);
    return 1;
}

int lower_at_load(const Graph *g, const Node *n)
{
    if (!n->op->at_load || n->nout != 1 || n->nepi || !n->out[0] ||
        (n->op->at_load_ok && !n->op->at_load_ok(g, n)))
        return 0;
    const Value *y = graph_value(g, n->out[0]);
    if (y->dtype != DT_FLOAT32 || (y->flags & VF_GRAPH_OUTPUT))
        return 0;
    /* constants (weights), or an activation (input 0) with constant parameters or
     * computed scalar ones (DynamicQuantizeLinear's) */
    int act = 0;
    for (uint16_t i = 0; i < n->nin; i++)
        if (n->in[i] && graph_value(g, n->in[i])->kind != VK_CONST) {
            if (i != 0 && shape_count(&graph_value(g, n->in[i])->shape) != 1)
                return 0;
            act |= i == 0;
        }
    if (!act)
        for (uint16_t i = 1; i < n->nin; i++)
            if (n->in[i] && graph_value(g, n->in[i])->kind != VK_CONST)
                return 0;
    uint32_t uses = 0;
    for (uint32_t k = 0; k < g->order.len; k++) {
        const Node *c = graph_node(g, g->order.data[k]);
        for (uint16_t i = 0; i < c->nin; i++) {
            if (c->in[i] != n->out[0])
                continue;
            if (!loads_at_load(g, c, i, n->out[0], act))
                return 0;
            uses++;
        }
        for (uint16_t e = 0; e < c->nepi; e++) { /* fused nodes read their inputs too */
            const Node *f = graph_node(g, c->epi[e]);
            for (uint16_t i = 0; i < f->nin; i++)
                if (f->in[i] == n->out[0])
                    return 0;
        }
    }
    return uses > 0;
}

/* The program, its kernel IR in arena a; budget: KBuilder.scratch_budget. */
static LwStatus lower_program(Ctx *ctx, Arena *a, const uint64_t *budget, int lean,
                              Program **out)
{
    Graph *g = ctx->g;
    Program *p = kir_program_new(a);
    uint32_t *vb = arena_array(a, uint32_t, g->values.len);
    KBuilder kb;
    kb_init(&kb, ctx, p, g, vb);
    kb.a = a;
    kb.scratch_budget = budget;
    kb.lean = lean;
    kb.at_load = arena_array(a, const Node *, g->values.len);
    for (uint32_t i = 0; i < g->inputs.len; i++) {
        ValueId v = g->inputs.data[i];
        const Value *val = graph_value(g, v);
        uint32_t b = kir_add_buf(a, p, KB_INPUT, val->dtype, shape_count(&val->shape), v);
        p->bufs.data[b].slot = i;
        vb[v] = b + 1;
        vec_push(a, &p->inputs, b);
    }
    /* graph outputs computed by nodes write straight into the caller's buffer */
    uint32_t *outbuf = arena_array(a, uint32_t, g->outputs.len ? g->outputs.len : 1);
    for (uint32_t i = 0; i < g->outputs.len; i++) {
        ValueId v = g->outputs.data[i];
        const Value *val = graph_value(g, v);
        uint32_t b = kir_add_buf(a, p, KB_OUTPUT, val->dtype, shape_count(&val->shape), v);
        p->bufs.data[b].slot = i;
        outbuf[i] = b;
        vec_push(a, &p->outputs, b);
        if (val->kind == VK_NODE && !vb[v])
            vb[v] = b + 1;
    }
    for (uint32_t k = 0; k < g->order.len; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        if ((n->op->flags & OPF_ALIAS) && !vb[n->out[0]]) {
            vb[n->out[0]] = kb_buf(&kb, n->in[0]) + 1;
            continue;
        }
        if (lower_at_load(g, n)) {
            kb.at_load[n->out[0]] = n;
            continue;
        }
        const Node **epi = NULL;
        if (n->nepi) {
            epi = arena_array(a, const Node *, n->nepi);
            for (uint16_t e = 0; e < n->nepi; e++)
                epi[e] = graph_node(g, n->epi[e]);
        }
        kb.epi = epi;
        kb.epi_arg = n->epi_arg;
        kb.nepi = n->nepi;
        if (n->flags & NF_SPARSE)
            TRY(sparse_lower(ctx, &kb, n));
        else
            TRY(n->op->lower(ctx, &kb, n));
        kb.epi = NULL;
        kb.epi_arg = NULL;
        kb.nepi = 0;
    }
    /* outputs that are inputs, constants, aliases or repeated need a copy */
    for (uint32_t i = 0; i < g->outputs.len; i++) {
        ValueId v = g->outputs.data[i];
        uint32_t src = kb_buf(&kb, v);
        if (src != outbuf[i])
            copy_kernel(&kb, g, outbuf[i], src, v, "output_copy");
    }
    *out = p;
    return LW_OK;
}

/* Does the program keep activations as integers, dequantized where they are read (a
 * QDQ model, or a QOperator one after pass expand)? */
static int quantized_activations(const Graph *g)
{
    for (uint32_t k = 0; k < g->order.len; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        if (n->nin && n->in[0] && graph_value(g, n->in[0])->kind != VK_CONST &&
            lower_at_load(g, n))
            return 1;
    }
    return 0;
}

/* The most bytes live at one kernel of p, and per kernel in *live (in tmp). */
static uint64_t live_peak(Ctx *ctx, Arena *tmp, const Program *p, uint64_t **live)
{
    *live = arena_array(tmp, uint64_t, p->kernels.len ? p->kernels.len : 1);
    return memplan_live(ctx->scratch, p, *live);
}

/* Schedules that need more scratch (the blocked convolution) are used where the
 * scratch fits under a cap on the bytes live at one kernel: the plain program is made
 * first, in a temporary arena, for its live bytes per kernel; each node's budget is the
 * cap less the bytes live at its kernels. The cap (--arena): the plain program's own
 * peak or, if larger, the model's unfused max-live bound (bound, the default: fusion's
 * savings are spent on speed, and the arena stays within what any plan of the model's
 * own graph needs); only the plain peak (tight: the arena does not grow); none (fast).
 * A model whose activations are stored as integers is capped at its plain peak, or its
 * unfused bound when that is lower, but not below the peak of its lean program (no
 * scratch a kernel can do without), from which its budgets come: the bound of a QDQ
 * model counts its activations dequantized, in float32, and spending that on scratch
 * would take back the RAM the integers save; a QOperator model's counts integers. */
static LwStatus lower_budgeted(Ctx *ctx)
{
    Graph *g = ctx->g;
    const Target *t = ctx->target;
    /* scalar targets: for the integer convolution's planes (ops/conv_pairs.c) */
    if (!t || (t->vbytes < 8 && (t->vbytes || !quantized_activations(g))) || !ctx->opt ||
        ctx->opt->opt != LW_O2)
        return lower_program(ctx, ctx->perm, NULL, 0, &ctx->prog);
    uint64_t *budget = arena_array(ctx->perm, uint64_t, g->values.len);
    for (uint32_t v = 0; v < g->values.len; v++)
        budget[v] = UINT64_MAX;
    if (ctx->opt->arena_mode == 2)
        return lower_program(ctx, ctx->perm, budget, 0, &ctx->prog);
    Arena *tmp = arena_create(0);
    if (!tmp)
        return diag_error(ctx->diag, "out of memory");
    Program *plain;
    uint64_t *live;
    int lean = 0;
    LwStatus st = lower_program(ctx, tmp, NULL, 0, &plain);
    if (st != LW_OK)
        goto out;
    uint64_t bound = live_peak(ctx, tmp, plain, &live);
    if (quantized_activations(g)) {
        uint64_t full = bound;
        st = lower_program(ctx, tmp, NULL, KB_LEAN_REF, &plain);
        if (st != LW_OK)
            goto out;
        bound = live_peak(ctx, tmp, plain, &live);
        lean = KB_LEAN_FIT;
        uint64_t cap = ctx->graph_bound && ctx->graph_bound < full ? ctx->graph_bound : full;
        if (cap > bound)
            bound = cap;
    } else if (ctx->opt->arena_mode == 0 && ctx->graph_bound > bound) {
        bound = ctx->graph_bound;
    }
    for (uint32_t k = 0; k < plain->kernels.len; k++) {
        const Kernel *kr = &plain->kernels.data[k];
        const Node *n = graph_node(g, kr->origin); /* a copy kernel: node 0, conservatively */
        if (n->nout < 1 || !n->out[0])
            continue;
        uint64_t b = bound - live[k];
        if (b < budget[n->out[0]])
            budget[n->out[0]] = b;
    }
    st = lower_program(ctx, ctx->perm, budget, lean, &ctx->prog);
out:
    arena_destroy(tmp);
    return st;
}

/* Above -O0, nested loops that walk contiguously become one loop (ir/kir_collapse.c). */
static LwStatus run(Ctx *ctx)
{
    TRY(lower_budgeted(ctx));
    if (ctx->opt && ctx->opt->opt != LW_O0)
        kir_collapse(ctx->prog);
    return LW_OK;
}

const PassDef pass_lower = {"lower", PK_KERNEL, run, "lower every node to kernel IR"};
