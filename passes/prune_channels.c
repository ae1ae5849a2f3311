/* prune-channels: output channels of a linear op (Conv, Gemm, MatMul with a constant
 * weight) that are dead are removed, with the input channels of its consumers and of
 * everything in between:
 *
 *   P --> [channel-wise nodes, flattening] --> consumers C1..Ck (linear, input 0)
 *
 * Channel m of P is dead when
 *   - its weight row and bias are all zero and every node between maps zero to zero
 *     (Relu, pools, ...): the channel is zero everywhere downstream, so the consumers'
 *     weights for it multiply zeros; or
 *   - every consumer's weights for it are zero: whatever the channel holds is unused.
 * Removing rows of P can leave P's own input channels unused (the second rule for P's
 * producer), so the pass repeats until nothing changes. Pruned models (structured
 * pruning exported dense) lose these channels' weights, MACs and activation bytes.
 * The region's values must not be graph outputs and every use must be one of the above;
 * anything else (Add, Concat, a per-channel parameter) keeps the channels. Asked of the
 * op table (OpLinear, OPF_PER_CHANNEL, the elementwise rule at zero), never by name. */
#include <string.h>

#include "ops/op.h"
#include "passes/pass.h"

#define MAX_REGION 64

typedef struct Consumer {
    NodeId node;
    uint64_t block; /* consumer input index q belongs to P's channel q / block */
    uint64_t taps;  /* matrix columns per consumer input index */
    uint64_t out, in;
    int tr;
} Consumer;

typedef struct Region {
    NodeId between[MAX_REGION];
    uint32_t nbetween;
    Consumer cons[MAX_REGION];
    uint32_t ncons;
    int keeps_zero;
} Region;

typedef struct Mat {
    const float *w;
    uint64_t out, in;
    int tr;
} Mat;

static float mat_at(const Mat *m, uint64_t r, uint64_t k)
{
    return m->w[m->tr ? k * m->out + r : r * m->in + k];
}

/* P's weight as a matrix, with the bias checks: NULL when P can't lose output channels. */
static int producer_matrix(const Graph *g, const Node *p, Mat *m, const Value **bias)
{
    const OpLinear *lin = p->op->linear;
    if (p->nout != 1 || p->nepi || !lin->matrix(g, p, &m->out, &m->in, &m->tr))
        return 0;
    const Value *w = graph_value(g, p->in[lin->weight_in]), *y = graph_value(g, p->out[0]);
    if (y->shape.rank < 2 || (uint64_t)y->shape.dims[1] != m->out ||
        (lin->out_axis != 0 && (y->shape.rank != 2 || w->shape.rank != 2)))
        return 0;
    m->w = (const float *)(const void *)w->data->bytes;
    *bias = NULL;
    if (lin->bias_in != 255 && p->nin > lin->bias_in && p->in[lin->bias_in]) {
        const Value *b = graph_value(g, p->in[lin->bias_in]);
        if (b->kind != VK_CONST || b->dtype != DT_FLOAT32 || shape_count(&b->shape) != m->out ||
            (uint64_t)b->shape.dims[b->shape.rank - 1] != m->out)
            return 0;
        *bias = b;
    }
    return 1;
}

static int add_between(Region *r, NodeId id)
{
    for (uint32_t i = 0; i < r->nbetween; i++)
        if (r->between[i] == id)
            return 1;
    if (r->nbetween == MAX_REGION)
        return 0;
    r->between[r->nbetween++] = id;
    return 1;
}

/* Walks every use of v (whose channel axis index q is P's channel q / block). */
static int walk(Ctx *ctx, const Graph *g, ValueId v, uint64_t block, Region *r, int depth)
{
    const Value *val = graph_value(g, v);
    if ((val->flags & VF_GRAPH_OUTPUT) || depth > 16 || val->shape.rank < 2)
        return 0;
    for (uint32_t k = 0; k < g->order.len; k++) {
        NodeId id = g->order.data[k];
        const Node *u = graph_node(g, id);
        int at = -1;
        for (uint16_t i = 0; i < u->nin; i++)
            if (u->in[i] == v) {
                if (i != 0)
                    return 0; /* a weight, bias or parameter */
                at = 0;
            }
        if (at < 0 || !u->op)
            continue;
        const OpLinear *lin = u->op->linear;
        Consumer c;
        if (lin && lin->matrix(g, u, &c.out, &c.in, &c.tr) && !u->nepi &&
            (lin->out_axis == 0 || val->shape.rank == 2)) {
            uint64_t cx = (uint64_t)val->shape.dims[1];
            if (!cx || c.in % cx || cx % block || r->ncons == MAX_REGION)
                return 0;
            c.node = id;
            c.block = block;
            c.taps = c.in / cx;
            r->cons[r->ncons++] = c;
            continue;
        }
        if (u->nout < 1 || !u->out[0] || u->nepi)
            return 0;
        for (uint16_t o = 1; o < u->nout; o++)
            if (u->out[o] && graph_value(g, u->out[o])->nuses)
                return 0; /* e.g. MaxPool's Indices */
        const Value *y = graph_value(g, u->out[0]);
        if (u->op->flags & OPF_PER_CHANNEL) {
            if (block != 1 || y->shape.rank < 2 || y->shape.dims[1] != val->shape.dims[1])
                return 0;
        } else if (u->op->fuse == FC_ELEMWISE) {
            if (!shape_equal(&y->shape, &val->shape))
                return 0;
            if (!fold_maps_zero(ctx, u)) {
                /* channel-wise, but a dead channel stops being zero: only the second rule */
                for (uint16_t i = 1; i < u->nin; i++)
                    if (u->in[i] && (graph_value(g, u->in[i])->kind != VK_CONST ||
                                     shape_count(&graph_value(g, u->in[i])->shape) != 1))
                        return 0;
                r->keeps_zero = 0;
            }
        } else if ((u->op->flags & OPF_ALIAS) && u->nin == 1 && y->shape.rank == 2 &&
                   y->shape.dims[0] == val->shape.dims[0]) {
            /* flattening [N, C, ...] to [N, C * S]: index q of the output is channel q / S */
            uint64_t s = 1;
            for (uint8_t d = 2; d < val->shape.rank; d++)
                s *= (uint64_t)val->shape.dims[d];
            if (!add_between(r, id))
                return 0;
            if (!walk(ctx, g, u->out[0], block * s, r, depth + 1))
                return 0;
            continue;
        } else {
            return 0;
        }
        if (!add_between(r, id) || !walk(ctx, g, u->out[0], block, r, depth + 1))
            return 0;
    }
    return 1;
}

/* A new constant: the matrix without the dead rows (dead_out) or dead columns (dead_in,
 * one flag per `taps` columns), in the weight's own layout. */
static ValueId shrink_weight(Ctx *ctx, Graph *g, ValueId wid, const Mat *m, const uint8_t *dead_out,
                             const uint8_t *dead_in, uint64_t taps)
{
    const Value *w = graph_value(g, wid);
    uint64_t out2 = 0, in2 = 0;
    for (uint64_t r = 0; r < m->out; r++)
        out2 += !(dead_out && dead_out[r]);
    for (uint64_t k = 0; k < m->in; k++)
        in2 += !(dead_in && dead_in[k / taps]);
    float *nw = arena_array(ctx->perm, float, out2 * in2 > 0 ? out2 * in2 : 1);
    uint64_t i = 0;
    for (uint64_t a = 0; a < (m->tr ? m->in : m->out); a++) {
        if (m->tr ? dead_in && dead_in[a / taps] : dead_out && dead_out[a])
            continue;
        for (uint64_t b = 0; b < (m->tr ? m->out : m->in); b++) {
            if (m->tr ? dead_out && dead_out[b] : dead_in && dead_in[b / taps])
                continue;
            nw[i++] = m->w[a * (m->tr ? m->out : m->in) + b];
        }
    }
    Shape s = w->shape;
    if (m->tr) {
        s.dims[0] = (int64_t)in2;
        s.dims[1] = (int64_t)out2;
    } else {
        /* [out, C, taps...]: whole channels go, so dim 1 shrinks as the columns do */
        s.dims[0] = (int64_t)out2;
        s.dims[1] = (int64_t)((uint64_t)s.dims[1] * in2 / m->in);
    }
    return graph_add_const(ctx->perm, g, w->name, DT_FLOAT32, &s, (const unsigned char *)nw,
                           out2 * in2 * 4);
}

static ValueId shrink_bias(Ctx *ctx, Graph *g, const Value *b, const uint8_t *dead, uint64_t n)
{
    float *nb = arena_array(ctx->perm, float, n);
    uint64_t k = 0;
    for (uint64_t m = 0; m < n; m++)
        if (!dead[m])
            memcpy(&nb[k++], b->data->bytes + m * 4, 4);
    Shape s = b->shape;
    s.dims[s.rank - 1] = (int64_t)k;
    return graph_add_const(ctx->perm, g, b->name, DT_FLOAT32, &s, (const unsigned char *)nb,
                           k * 4);
}

static LwStatus reinfer(Ctx *ctx, Graph *g, NodeId id)
{
    Node *n = graph_node(g, id);
    for (uint16_t o = 0; o < n->nout; o++)
        if (n->out[o])
            graph_value(g, n->out[o])->flags &= ~(uint32_t)VF_SHAPE_HINT;
    return n->op->infer(ctx, g, n);
}

static int in_region(const Region *r, NodeId id, NodeId pid)
{
    if (id == pid)
        return 1;
    for (uint32_t i = 0; i < r->nbetween; i++)
        if (r->between[i] == id)
            return 1;
    return 0;
}

/* Tries producer pid; *changed when channels were removed. */
static LwStatus prune_one(Ctx *ctx, Graph *g, NodeId pid, int *changed)
{
    const Node *p = graph_node(g, pid);
    Mat pm;
    const Value *bias;
    if (!p->op || !p->op->linear || !producer_matrix(g, p, &pm, &bias))
        return LW_OK;
    Region *r = arena_new(ctx->scratch, Region);
    r->keeps_zero = 1;
    if (!walk(ctx, g, p->out[0], 1, r, 0) || !r->ncons)
        return LW_OK;
    uint64_t M = pm.out, ndead = 0, nzero = 0;
    uint8_t *dead = arena_array(ctx->scratch, uint8_t, M);
    for (uint64_t m = 0; m < M; m++) {
        int zero = 1, unused = 1;
        for (uint64_t k = 0; zero && k < pm.in; k++)
            zero = mat_at(&pm, m, k) == 0;
        if (zero && bias) {
            float b;
            memcpy(&b, bias->data->bytes + m * 4, 4);
            zero = b == 0;
        }
        for (uint32_t c = 0; unused && c < r->ncons; c++) {
            const Consumer *cn = &r->cons[c];
            const Node *u = graph_node(g, cn->node);
            Mat um = {(const float *)(const void *)graph_value(g, u->in[u->op->linear->weight_in])
                          ->data->bytes,
                      cn->out, cn->in, cn->tr};
            for (uint64_t q = m * cn->block; unused && q < (m + 1) * cn->block; q++)
                for (uint64_t k = q * cn->taps; unused && k < (q + 1) * cn->taps; k++)
                    for (uint64_t o = 0; unused && o < um.out; o++)
                        unused = mat_at(&um, o, k) == 0;
        }
        dead[m] = (zero && r->keeps_zero) || unused;
        ndead += dead[m];
        nzero += zero && r->keeps_zero;
    }
    if (!ndead || ndead == M)
        return LW_OK;
    /* the producer: rows and bias entries */
    const OpLinear *lin = p->op->linear;
    ValueId nw = shrink_weight(ctx, g, p->in[lin->weight_in], &pm, dead, NULL, 1);
    ValueId nb = bias ? shrink_bias(ctx, g, bias, dead, M) : 0;
    Node *pn = graph_node(g, pid);
    pn->in[lin->weight_in] = nw;
    if (nb)
        pn->in[lin->bias_in] = nb;
    /* the consumers: columns */
    for (uint32_t c = 0; c < r->ncons; c++) {
        Consumer *cn = &r->cons[c];
        Node *u = graph_node(g, cn->node);
        const OpLinear *ul = u->op->linear;
        Mat um = {(const float *)(const void *)graph_value(g, u->in[ul->weight_in])->data->bytes,
                  cn->out, cn->in, cn->tr};
        uint64_t nq = cn->in / cn->taps;
        uint8_t *dq = arena_array(ctx->scratch, uint8_t, nq);
        for (uint64_t q = 0; q < nq; q++)
            dq[q] = dead[q / cn->block];
        ValueId w2 = shrink_weight(ctx, g, u->in[ul->weight_in], &um, NULL, dq, cn->taps);
        graph_node(g, cn->node)->in[ul->weight_in] = w2;
    }
    /* new shapes downstream, in order */
    for (uint32_t k = 0; k < g->order.len; k++) {
        NodeId id = g->order.data[k];
        if (in_region(r, id, pid))
            TRY(reinfer(ctx, g, id));
    }
    for (uint32_t c = 0; c < r->ncons; c++)
        TRY(reinfer(ctx, g, r->cons[c].node));
    const Node *pp = graph_node(g, pid);
    StrBuf sb;
    sb_init(&sb, ctx->perm);
    sb_printf(&sb, "node '%s' (%s): %llu of %llu output channels removed (%llu zero, %llu unused "
                   "downstream), with the matching inputs of %u consumer%s",
              pp->loc.name, pp->loc.op_type, (unsigned long long)ndead, (unsigned long long)M,
              (unsigned long long)nzero, (unsigned long long)(ndead - nzero), r->ncons,
              r->ncons == 1 ? "" : "s");
    vec_push(ctx->perm, &ctx->remarks, sb_cstr(&sb));
    *changed = 1;
    return LW_OK;
}

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    graph_recount(g);
    for (int round = 0; round < 8; round++) {
        int changed = 0;
        /* consumers first: a producer's rows going can free its own inputs' channels */
        for (uint32_t k = g->order.len; k-- > 0;) {
            ArenaMark m = arena_mark(ctx->scratch);
            LwStatus st = prune_one(ctx, g, g->order.data[k], &changed);
            arena_reset(ctx->scratch, m);
            TRY(st);
        }
        if (!changed)
            break;
    }
    graph_recount(g);
    return LW_OK;
}

const PassDef pass_prune_channels = {"prune-channels", PK_GRAPH, run,
                                     "remove dead output channels of Conv/Gemm (zero weights, or "
                                     "unused downstream) with their consumers' inputs"};
