/* fold-lora: a low-rank adapter beside a linear layer,
 *     y = L0(x) + s * L2(L1(x))      (LoRA: L1 = A, L2 = B, s the scale)
 * with constant weights becomes one linear layer with W0' = W0 + s * W2 W1,
 * when L1 reads x through the same window as L0 and L2 only mixes channels.
 * Every fact comes from the op table (OpLinear, OPF_SUM, OPF_PRODUCT). */
#include <string.h>

#include "ops/op.h"
#include "passes/pass.h"

typedef struct Mat {
    const float *w;
    uint64_t out, in;
    int tr; /* stored [in, out] */
} Mat;

static float at(const Mat *m, uint64_t o, uint64_t i)
{
    return m->tr ? m->w[i * m->out + o] : m->w[o * m->in + i];
}

static int single_use_node(const Graph *g, ValueId v, NodeId *def)
{
    const Value *val = graph_value(g, v);
    if (val->kind != VK_NODE || val->nuses != 1 || (val->flags & VF_GRAPH_OUTPUT))
        return 0;
    *def = val->def;
    return graph_node(g, *def)->op != NULL;
}

static int as_mat(const Graph *g, const Node *n, Mat *m)
{
    const OpLinear *lin = n->op->linear;
    if (!lin || !lin->matrix || !lin->matrix(g, n, &m->out, &m->in, &m->tr))
        return 0;
    m->w = (const float *)(const void *)graph_value(g, n->in[lin->weight_in])->data->bytes;
    return 1;
}

static int has_bias(const Node *n)
{
    const OpLinear *lin = n->op->linear;
    return lin->bias_in != 255 && lin->bias_in < n->nin && n->in[lin->bias_in];
}

/* Tries the sum node `sid` as base + adapter with the base on input `bi`. */
static LwStatus try_fold(Ctx *ctx, Graph *g, NodeId sid, uint16_t bi)
{
    Node *sn = graph_node(g, sid);
    NodeId l0, l2, l1, mid = 0;
    float scale = 1.0f;
    if (!single_use_node(g, sn->in[bi], &l0) || !single_use_node(g, sn->in[1 - bi], &l2))
        return LW_OK;
    Node *n2 = graph_node(g, l2);
    if (n2->op->flags & OPF_PRODUCT) { /* the scale: a constant scalar factor */
        for (uint16_t k = 0; k < 2; k++) {
            const Value *c = graph_value(g, n2->in[k]);
            if (c->kind == VK_CONST && c->dtype == DT_FLOAT32 && shape_count(&c->shape) == 1 &&
                single_use_node(g, n2->in[1 - k], &l2)) {
                memcpy(&scale, c->data->bytes, 4);
                mid = (NodeId)(n2 - g->nodes.data);
                break;
            }
        }
        if (!mid)
            return LW_OK;
        n2 = graph_node(g, l2);
    }
    Node *n0 = graph_node(g, l0);
    if (!n0->op->linear || !n2->op->linear || has_bias(n2) || !n2->op->linear->pointwise(n2))
        return LW_OK;
    if (!single_use_node(g, n2->in[0], &l1))
        return LW_OK;
    Node *n1 = graph_node(g, l1);
    if (!n1->op->linear || n1->in[0] != n0->in[0] || has_bias(n1))
        return LW_OK;
    /* L1 must read x as L0 does: the same op and window, or both plain
     * per-position matrix products (Gemm and MatMul) */
    int same = n1->op == n0->op ? n0->op->linear->same_window(n0, n1)
                                : n0->op->linear->pointwise(n0) && n1->op->linear->pointwise(n1);
    if (!same)
        return LW_OK;
    Mat m0, m1, m2;
    if (!as_mat(g, n0, &m0) || !as_mat(g, n1, &m1) || !as_mat(g, n2, &m2) ||
        m1.in != m0.in || m2.out != m0.out || m2.in != m1.out)
        return LW_OK;
    if (!shape_equal(&graph_value(g, n0->out[0])->shape, &graph_value(g, sn->out[0])->shape))
        return LW_OK;
    /* W0' = W0 + s * W2 W1, kept in W0's stored layout */
    uint64_t total = m0.out * m0.in;
    float *nw = arena_array(ctx->perm, float, total);
    for (uint64_t o = 0; o < m0.out; o++)
        for (uint64_t i = 0; i < m0.in; i++) {
            float acc = 0;
            for (uint64_t r = 0; r < m1.out; r++)
                acc += at(&m2, o, r) * at(&m1, r, i);
            float v = at(&m0, o, i) + scale * acc;
            nw[m0.tr ? i * m0.out + o : o * m0.in + i] = v;
        }
    const Value *w0 = graph_value(g, n0->in[n0->op->linear->weight_in]);
    ValueId nv = graph_add_const(ctx->perm, g, w0->name, DT_FLOAT32, &w0->shape,
                                 (const unsigned char *)nw, total * 4);
    n0 = graph_node(g, l0);
    sn = graph_node(g, sid);
    n0->in[n0->op->linear->weight_in] = nv;
    /* the base layer now produces the sum; the adapter and the sum go */
    graph_take_output(g, l0, sn->out[0]);
    sn->op = NULL;
    graph_node(g, l1)->op = NULL;
    graph_node(g, l2)->op = NULL;
    if (mid)
        graph_node(g, mid)->op = NULL;
    return LW_OK;
}

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    graph_recount(g);
    for (uint32_t k = 0; k < g->order.len; k++) {
        NodeId id = g->order.data[k];
        const Node *n = graph_node(g, id);
        if (!n->op || !(n->op->flags & OPF_SUM) || n->nin != 2 || n->nout != 1)
            continue;
        TRY(try_fold(ctx, g, id, 0));
        if (graph_node(g, id)->op)
            TRY(try_fold(ctx, g, id, 1));
        graph_recount(g);
    }
    graph_recount(g);
    return LW_OK;
}

const PassDef pass_fold_lora = {"fold-lora", PK_GRAPH, run,
                                "fold low-rank adapters (x A B s + x W) into W"};
