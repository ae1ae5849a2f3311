/* patch: patch-based execution (the idea of MCUNetV2). The first layers of a CNN work on
 * the largest feature maps and set the arena's peak. Here a prefix of the graph (the
 * stage: from a 4-D graph input up to a cut tensor T, every node computing each output
 * pixel from a window of its inputs) runs tile by tile: T's H x W is split into a grid;
 * for each tile the region every stage tensor must hold is propagated backwards (a
 * window op's output rows [o0, o1) read input rows [o0*s - pad, (o1-1)*s - pad + ext),
 * clipped to the image: what is clipped off becomes that tile's own pad), and copies of
 * the stage nodes compute just those regions, reading Slices of the input or of a
 * region computed before; T is assembled with Concat (along W per tile row, then H).
 * Only one tile's tensors are live at a time; the halos are computed more than once.
 * It stays a graph rewrite with existing ops (Slice, Concat, copies of the nodes sharing
 * their constant weights), so kernels, fusion and the memory planner work unchanged.
 *
 * The cut and the grid are chosen by an estimate: the peak of the summed live tensor
 * bytes over the rewritten order (an elementwise node that fuse will run in its producer's
 * epilogue shares its producer's tensor), and the extra multiply-adds of the halos. At -Os
 * the lowest peak with at most 10% more MACs over the whole graph (ties: fewer MACs,
 * fewer tiles), only when it lowers the graph's peak; --patch takes the lowest peak
 * whatever the MACs, at any level from -O2; --no-patch turns it off. Which nodes qualify
 * is asked of the op table (OpDef.window, fusion classes), never by name. */
#include <string.h>

#include "include/lwcc/lwcc.h"
#include "ops/op.h"
#include "ops/spatial.h"
#include "passes/pass.h"

#define MAX_GRID 8   /* tiles per dim */
#define MAX_SRC 8    /* inputs of a stage node; parts of a Concat */
#define MAX_EXTRA 10 /* -Os: at most this many percent more MACs */
/* Steps of schedules and sweeps the search may take (about a second): a long stage of
 * many cuts stops early, always at the same candidate. */
#define MAX_WORK 100000000u
#define NONE UINT32_MAX

typedef struct Rect {
    int64_t r0, r1, c0, c1; /* rows [r0, r1), columns [c0, c1) */
} Rect;

/* A node of the stage. */
typedef struct SNode {
    NodeId id;
    uint32_t pos; /* its position in the order */
    int win;      /* OpDef.window */
    Window w;
    uint64_t macs;         /* per output element, window ops */
    uint32_t sin[MAX_SRC]; /* per input slot: stage value index + 1, 0 = not a stage value */
    int fused_in;          /* estimate: runs in the epilogue of this input's producer; -1 none */
} SNode;

/* Stage values: 0 is the graph input x, i + 1 the output of stage node i. */
typedef struct Stage {
    ValueId x;
    uint32_t n, end; /* stage nodes; the order position where the stage stops */
    SNode *nodes;
    uint32_t *sv;   /* per ValueId: stage value index + 1, 0 = none */
    uint32_t *last; /* per stage value: last order position reading it (NONE: a graph output) */
    uint32_t *cfirst, *cons; /* stage readers of each stage value: cons[cfirst[s]..cfirst[s+1])
                              * are (node index * MAX_SRC + input slot) */
} Stage;

enum { TO_SLICE, TO_NODE, TO_CONCAT };

/* One step of the tiled schedule. src entries are tile-op indices + 1; 0 means the node's
 * own input (TO_NODE), or the graph input x (TO_SLICE). */
typedef struct TileOp {
    uint8_t kind, nsrc, axis; /* axis: TO_CONCAT */
    uint16_t tile;            /* row-major tile number */
    uint32_t node;            /* TO_NODE: stage node index; TO_SLICE: stage value index */
    uint32_t src[MAX_SRC];
    Rect at;         /* the region it holds */
    int64_t pads[4]; /* TO_NODE, window: top, left, bottom, right */
} TileOp;

typedef Vec(TileOp) TileOps;

typedef struct Choice {
    uint32_t cut, t; /* stage nodes run tiled; T's stage value index */
    uint32_t gh, gw;
    uint64_t peak, extra;
} Choice;

static int rect_empty(const Rect *r)
{
    return r->r1 <= r->r0 || r->c1 <= r->c0;
}

static int rect_eq(const Rect *a, const Rect *b)
{
    return a->r0 == b->r0 && a->r1 == b->r1 && a->c0 == b->c0 && a->c1 == b->c1;
}

static void rect_union(Rect *a, const Rect *b)
{
    if (rect_empty(b))
        return;
    if (rect_empty(a)) {
        *a = *b;
        return;
    }
    a->r0 = b->r0 < a->r0 ? b->r0 : a->r0;
    a->c0 = b->c0 < a->c0 ? b->c0 : a->c0;
    a->r1 = b->r1 > a->r1 ? b->r1 : a->r1;
    a->c1 = b->c1 > a->c1 ? b->c1 : a->c1;
}

static const Value *stage_value(const Graph *g, const Stage *st, uint32_t s)
{
    return graph_value(g, s ? graph_node(g, st->nodes[s - 1].id)->out[0] : st->x);
}

static Rect full_rect(const Value *v)
{
    Rect r = {0, v->shape.dims[2], 0, v->shape.dims[3]};
    return r;
}

/* Arena bytes of a tensor of v's type holding region r (rounded as memplan rounds). */
static uint64_t rect_bytes(const Value *v, const Rect *r)
{
    uint64_t n = (uint64_t)v->shape.dims[0] * (uint64_t)v->shape.dims[1] *
                 (uint64_t)(r->r1 - r->r0) * (uint64_t)(r->c1 - r->c0) * dtype_size(v->dtype);
    return (n + 15) & ~(uint64_t)15;
}

static int elementwise(const Node *n)
{
    return n->op->fuse == FC_ELEMWISE || n->op->fuse == FC_BROADCAST;
}

/* Would fuse run n in the epilogue of its input slot's producer? The estimate's version
 * of passes/fuse.c's rule: its chain input is the single use of an out-fusable or
 * elementwise node's output of the same shape. -1 when not. */
static int fused_input(const Graph *g, const Node *n)
{
    if (!n->op->scalar || !elementwise(n) || n->nout != 1 || !n->out[0])
        return -1;
    const Value *y = graph_value(g, n->out[0]);
    for (uint16_t i = 0; i < n->nin; i++) {
        const Value *v = n->in[i] ? graph_value(g, n->in[i]) : NULL;
        if (!v || v->kind != VK_NODE)
            continue;
        const Node *p = graph_node(g, v->def);
        if (!p->op || v->nuses != 1 || (v->flags & VF_GRAPH_OUTPUT) ||
            !shape_equal(&v->shape, &y->shape) || !dtype_is_float(v->dtype) ||
            !(p->op->fuse == FC_OUT_FUSABLE || (p->op->scalar && elementwise(p))))
            continue;
        return i;
    }
    return -1;
}

/* ---- the estimate: summed bytes of live tensors over a sequence of steps ---- */

typedef struct Sweep {
    Vec(uint64_t) bytes;
    Vec(uint32_t) def, last;
    uint32_t step;
} Sweep;

static uint32_t sw_new(Arena *a, Sweep *s, uint64_t bytes)
{
    vec_push(a, &s->bytes, bytes);
    vec_push(a, &s->def, s->step);
    vec_push(a, &s->last, s->step);
    return s->bytes.len - 1;
}

static void sw_use(Sweep *s, uint32_t b)
{
    if (b != NONE)
        s->last.data[b] = s->step;
}

static uint64_t sw_peak(Arena *a, const Sweep *s)
{
    int64_t *delta = arena_array(a, int64_t, (size_t)s->step + 2);
    for (uint32_t b = 0; b < s->bytes.len; b++) {
        delta[s->def.data[b]] += (int64_t)s->bytes.data[b];
        delta[s->last.data[b] + 1] -= (int64_t)s->bytes.data[b];
    }
    int64_t live = 0, peak = 0;
    for (uint32_t k = 0; k <= s->step; k++) {
        live += delta[k];
        peak = live > peak ? live : peak;
    }
    return (uint64_t)peak;
}

/* One graph node as a step; buf[] maps values to buffers (NONE: not in the arena). */
static void sw_node(Arena *a, Sweep *s, const Graph *g, const Node *n, uint32_t *buf)
{
    for (uint16_t i = 0; i < n->nin; i++)
        if (n->in[i])
            sw_use(s, buf[n->in[i]]);
    int fi = fused_input(g, n);
    for (uint16_t o = 0; o < n->nout; o++) {
        ValueId v = n->out[o];
        if (!v)
            continue;
        const Value *val = graph_value(g, v);
        if (o == 0 && fi >= 0 && buf[n->in[fi]] != NONE && !(val->flags & VF_GRAPH_OUTPUT))
            buf[v] = buf[n->in[fi]];
        else if (o == 0 && (n->op->flags & OPF_ALIAS))
            buf[v] = buf[n->in[0]];
        else
            buf[v] = sw_new(a, s,
                            (val->flags & VF_GRAPH_OUTPUT)
                                ? 0
                                : (shape_count(&val->shape) * dtype_size(val->dtype) + 15) &
                                      ~(uint64_t)15);
    }
    s->step++;
}

static uint32_t *value_bufs(Arena *a, const Graph *g)
{
    uint32_t *buf = arena_array(a, uint32_t, g->values.len);
    for (uint32_t v = 0; v < g->values.len; v++)
        buf[v] = NONE;
    return buf;
}

/* The whole graph's peak as it stands. */
static uint64_t graph_peak(Arena *a, const Graph *g)
{
    Sweep s;
    memset(&s, 0, sizeof s);
    uint32_t *buf = value_bufs(a, g);
    for (uint32_t k = 0; k < g->order.len; k++)
        sw_node(a, &s, g, graph_node(g, g->order.data[k]), buf);
    return sw_peak(a, &s);
}

/* The peak with the first `cut` stage nodes replaced by the tile ops. */
static uint64_t tiled_peak(Arena *a, const Graph *g, const Stage *st, uint32_t cut, uint32_t t,
                           const TileOps *ops)
{
    Sweep s;
    memset(&s, 0, sizeof s);
    uint32_t *buf = value_bufs(a, g);
    uint32_t end = cut < st->n ? st->nodes[cut].pos : st->end;
    uint8_t *tiled = arena_array(a, uint8_t, g->nodes.len);
    for (uint32_t i = 0; i < cut; i++)
        tiled[st->nodes[i].id] = 1;
    for (uint32_t k = 0; k < end; k++) /* the nodes of other inputs stay first */
        if (!tiled[g->order.data[k]])
            sw_node(a, &s, g, graph_node(g, g->order.data[k]), buf);
    uint32_t *obuf = arena_array(a, uint32_t, ops->len ? ops->len : 1);
    for (uint32_t j = 0; j < ops->len; j++) {
        const TileOp *op = &ops->data[j];
        for (uint8_t i = 0; i < op->nsrc; i++)
            if (op->src[i])
                sw_use(&s, obuf[op->src[i] - 1]);
        const Value *v = stage_value(g, st,
                                     op->kind == TO_SLICE  ? op->node
                                     : op->kind == TO_NODE ? op->node + 1
                                                           : t);
        int fi = op->kind == TO_NODE ? st->nodes[op->node].fused_in : -1;
        if (fi >= 0 && op->src[fi])
            obuf[j] = obuf[op->src[fi] - 1];
        else
            obuf[j] = sw_new(a, &s, rect_bytes(v, &op->at));
        s.step++;
    }
    ValueId tv = graph_node(g, st->nodes[t - 1].id)->out[0];
    buf[tv] = graph_value(g, tv)->flags & VF_GRAPH_OUTPUT ? NONE : obuf[ops->len - 1];
    for (uint32_t k = end; k < g->order.len; k++)
        sw_node(a, &s, g, graph_node(g, g->order.data[k]), buf);
    return sw_peak(a, &s);
}

/* ---- the stage ---- */

/* Node n can join the stage: each output pixel from a window of input 0 (window ops) or
 * from the same pixel of its stage inputs, other inputs not spatial. */
static int stage_node(const Graph *g, const Stage *st, const Node *n, SNode *sn)
{
    if (!n->op || n->nin > MAX_SRC || !n->out[0] || n->nepi)
        return 0;
    for (uint16_t o = 1; o < n->nout; o++)
        if (n->out[o] && (graph_value(g, n->out[o])->nuses ||
                          (graph_value(g, n->out[o])->flags & VF_GRAPH_OUTPUT)))
            return 0;
    const Value *y = graph_value(g, n->out[0]);
    if (y->shape.rank != 4)
        return 0;
    memset(sn, 0, sizeof *sn);
    uint32_t nstage = 0;
    for (uint16_t i = 0; i < n->nin; i++)
        if (n->in[i] && st->sv[n->in[i]]) {
            sn->sin[i] = st->sv[n->in[i]];
            nstage++;
        }
    if (!nstage)
        return 0;
    if (n->op->window) {
        if (!sn->sin[0] || nstage != 1 || !n->op->window->get(g, n, &sn->w, &sn->macs) ||
            sn->w.nk != 2 || graph_value(g, n->in[0])->shape.rank != 4)
            return 0;
        sn->win = 1;
        return 1;
    }
    if (!elementwise(n))
        return 0;
    for (uint16_t i = 0; i < n->nin; i++) {
        if (!n->in[i])
            continue;
        const Value *v = graph_value(g, n->in[i]);
        if (sn->sin[i]) {
            if (!shape_equal(&v->shape, &y->shape))
                return 0;
            continue;
        }
        /* a per-channel or scalar operand: 1 in the spatial dims it reaches */
        for (uint8_t d = 0; d < v->shape.rank && d < 2; d++)
            if (v->shape.dims[v->shape.rank - 1 - d] != 1)
                return 0;
        if (v->shape.rank > 4)
            return 0;
    }
    return 1;
}

/* The stage starting at graph input x: the order up to the first node that reads a stage
 * value and cannot join; nodes reading none stay out of it (they run first). */
static void find_stage(Arena *a, const Graph *g, ValueId x, Stage *st)
{
    memset(st, 0, sizeof *st);
    st->x = x;
    st->sv = arena_array(a, uint32_t, g->values.len);
    st->nodes = arena_array(a, SNode, g->order.len ? g->order.len : 1);
    st->sv[x] = 1;
    uint32_t k = 0;
    for (; k < g->order.len; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        SNode sn;
        int reads = 0;
        for (uint16_t i = 0; i < n->nin; i++)
            reads |= n->in[i] && st->sv[n->in[i]];
        if (!reads)
            continue;
        if (!stage_node(g, st, n, &sn))
            break;
        sn.id = g->order.data[k];
        sn.pos = k;
        sn.fused_in = fused_input(g, n);
        if (sn.fused_in >= 0 && !sn.sin[sn.fused_in])
            sn.fused_in = -1;
        st->nodes[st->n++] = sn;
        st->sv[n->out[0]] = st->n + 1;
    }
    st->end = k;
    st->last = arena_array(a, uint32_t, (size_t)st->n + 1);
    for (uint32_t j = k; j < g->order.len; j++) {
        const Node *n = graph_node(g, g->order.data[j]);
        for (uint16_t i = 0; i < n->nin; i++)
            if (n->in[i] && st->sv[n->in[i]])
                st->last[st->sv[n->in[i]] - 1] = j;
    }
    for (uint32_t i = 0; i < st->n; i++) {
        const Node *n = graph_node(g, st->nodes[i].id);
        for (uint16_t s = 0; s < n->nin; s++)
            if (st->nodes[i].sin[s] && st->last[st->nodes[i].sin[s] - 1] < st->nodes[i].pos)
                st->last[st->nodes[i].sin[s] - 1] = st->nodes[i].pos;
    }
    for (uint32_t i = 0; i < g->outputs.len; i++)
        if (st->sv[g->outputs.data[i]])
            st->last[st->sv[g->outputs.data[i]] - 1] = NONE;
    st->cfirst = arena_array(a, uint32_t, (size_t)st->n + 2);
    for (uint32_t i = 0; i < st->n; i++)
        for (uint16_t s = 0; s < MAX_SRC; s++)
            if (st->nodes[i].sin[s])
                st->cfirst[st->nodes[i].sin[s]]++; /* counted one up: prefix sums below */
    for (uint32_t v = 0; v <= st->n; v++)
        st->cfirst[v + 1] += st->cfirst[v];
    st->cons = arena_array(a, uint32_t, (size_t)st->cfirst[st->n + 1] + 1);
    uint32_t *fill = arena_array(a, uint32_t, (size_t)st->n + 1);
    for (uint32_t i = 0; i < st->n; i++)
        for (uint16_t s = 0; s < MAX_SRC; s++) {
            uint32_t v = st->nodes[i].sin[s];
            if (v)
                st->cons[st->cfirst[v - 1] + fill[v - 1]++] = i * MAX_SRC + s;
        }
}

/* The stage value that alone is read after the first `cut` stage nodes, or 0. */
static uint32_t cut_tensor(const Stage *st, uint32_t cut)
{
    uint32_t end = cut < st->n ? st->nodes[cut].pos : st->end, t = 0;
    for (uint32_t s = 1; s <= cut; s++) {
        if (st->last[s] < end)
            continue;
        if (t)
            return 0;
        t = s;
    }
    return t;
}

/* ---- the schedule ---- */

/* The input region window node sn reads for output region o, and the tile's pads. */
static Rect window_need(const SNode *sn, const Value *x, const Rect *o, int64_t *pads)
{
    int64_t lo[2] = {o->r0, o->c0}, hi[2] = {o->r1, o->c1}, a[2], b[2];
    for (int d = 0; d < 2; d++) {
        int64_t s = sn->w.strides[d], p = sn->w.pads[d], in = x->shape.dims[2 + d];
        int64_t ext = (sn->w.kernel[d] - 1) * sn->w.dilations[d] + 1;
        a[d] = lo[d] * s - p;
        b[d] = (hi[d] - 1) * s - p + ext;
        pads[d] = a[d] < 0 ? -a[d] : 0;
        pads[2 + d] = b[d] > in ? b[d] - in : 0;
        a[d] = a[d] < 0 ? 0 : a[d];
        b[d] = b[d] > in ? in : b[d];
    }
    Rect r = {a[0], b[0], a[1], b[1]};
    return r;
}

/* The region of stage node i's input slot s that its output region o reads. */
static Rect input_need(const Graph *g, const Stage *st, uint32_t i, uint16_t s, const Rect *o,
                       int64_t *pads)
{
    const SNode *sn = &st->nodes[i];
    if (!sn->win)
        return *o;
    return window_need(sn, stage_value(g, st, sn->sin[s] - 1), o, pads);
}

/* A tile op reading stage value s over region `need`: the op that computed it, or a
 * Slice of it. Returns the src entry; NONE when the region is empty. */
static uint32_t region_of(Arena *a, const Graph *g, const Stage *st, TileOps *ops,
                          const uint32_t *have, uint32_t s, const Rect *need)
{
    if (rect_empty(need))
        return NONE;
    Rect whole = full_rect(stage_value(g, st, s));
    if (s == 0 && rect_eq(need, &whole))
        return 0;
    if (s && rect_eq(&ops->data[have[s] - 1].at, need))
        return have[s];
    TileOp op;
    memset(&op, 0, sizeof op);
    op.kind = TO_SLICE;
    op.node = s;
    op.nsrc = 1;
    op.src[0] = s ? have[s] : 0;
    op.at = *need;
    vec_push(a, ops, op);
    return ops->len;
}

static uint32_t push_concat(Arena *a, TileOps *ops, const uint32_t *parts, uint32_t n, int axis,
                            Rect at)
{
    if (n == 1)
        return parts[0];
    TileOp op;
    memset(&op, 0, sizeof op);
    op.kind = TO_CONCAT;
    op.axis = (uint8_t)axis;
    op.nsrc = (uint8_t)n;
    memcpy(op.src, parts, sizeof(uint32_t) * n);
    op.at = at;
    vec_push(a, ops, op);
    return ops->len;
}

/* The tile ops computing T (stage value t) from the first `cut` stage nodes on a gh x gw
 * grid, tile after tile; *macs: their window multiply-adds. 0 when a tile reads an empty
 * region. A region a reader needs smaller than the one computed is sliced right after it
 * is computed, so the slice exists before the reader's producer runs (a residual Add's
 * other input: fuse can still put the Add in that producer's epilogue); slices of the
 * graph input come right before their reader. */
static int schedule(Arena *a, const Graph *g, const Stage *st, uint32_t cut, uint32_t t,
                    uint32_t gh, uint32_t gw, TileOps *ops, uint64_t *macs)
{
    const Value *tv = stage_value(g, st, t);
    int64_t H = tv->shape.dims[2], W = tv->shape.dims[3];
    Rect *req = arena_array(a, Rect, (size_t)cut + 1);
    uint32_t *have = arena_array(a, uint32_t, (size_t)cut + 1);
    /* per (node, input slot): the region it reads; the slice made for it, or 0 */
    Rect *need = arena_array(a, Rect, (size_t)cut * MAX_SRC);
    uint32_t *pre = arena_array(a, uint32_t, (size_t)cut * MAX_SRC);
    uint32_t rows[MAX_GRID], parts[MAX_GRID];
    *macs = 0;
    for (uint32_t ti = 0; ti < gh; ti++) {
        Rect row = {H * ti / gh, H * (ti + 1) / gh, 0, W};
        for (uint32_t tj = 0; tj < gw; tj++) {
            Rect tile = {row.r0, row.r1, W * tj / gw, W * (tj + 1) / gw};
            memset(req, 0, sizeof(Rect) * (cut + 1));
            memset(have, 0, sizeof(uint32_t) * (cut + 1));
            req[t] = tile;
            for (uint32_t i = cut; i-- > 0;) {
                if (rect_empty(&req[i + 1]))
                    continue;
                for (uint16_t s = 0; s < MAX_SRC; s++) {
                    if (!st->nodes[i].sin[s])
                        continue;
                    int64_t pads[4];
                    Rect *r = &need[i * MAX_SRC + s];
                    *r = input_need(g, st, i, s, &req[i + 1], pads);
                    if (rect_empty(r))
                        return 0;
                    rect_union(&req[st->nodes[i].sin[s] - 1], r);
                }
            }
            for (uint32_t i = 0; i < cut; i++) {
                if (rect_empty(&req[i + 1]))
                    continue;
                const Node *n = graph_node(g, st->nodes[i].id);
                TileOp op;
                memset(&op, 0, sizeof op);
                op.kind = TO_NODE;
                op.tile = (uint16_t)(ti * gw + tj);
                op.node = i;
                op.nsrc = (uint8_t)n->nin;
                op.at = req[i + 1];
                for (uint16_t s = 0; s < n->nin; s++) {
                    uint32_t u = st->nodes[i].sin[s];
                    if (!u)
                        continue;
                    input_need(g, st, i, s, &op.at, op.pads);
                    if (u == 1)
                        op.src[s] = region_of(a, g, st, ops, have, 0, &need[i * MAX_SRC + s]);
                    else
                        op.src[s] = pre[i * MAX_SRC + s] ? pre[i * MAX_SRC + s] : have[u - 1];
                }
                if (st->nodes[i].win) {
                    const Value *y = graph_value(g, n->out[0]);
                    *macs += st->nodes[i].macs * (uint64_t)y->shape.dims[0] *
                             (uint64_t)y->shape.dims[1] * (uint64_t)(op.at.r1 - op.at.r0) *
                             (uint64_t)(op.at.c1 - op.at.c0);
                }
                vec_push(a, ops, op);
                have[i + 1] = ops->len;
                for (uint32_t c = st->cfirst[i + 1]; c < st->cfirst[i + 2]; c++) {
                    uint32_t e = st->cons[c], j = e / MAX_SRC;
                    if (j >= cut || rect_empty(&req[j + 1]))
                        continue;
                    pre[e] = rect_eq(&need[e], &req[i + 1])
                                 ? 0
                                 : region_of(a, g, st, ops, have, i + 1, &need[e]);
                }
            }
            parts[tj] = region_of(a, g, st, ops, have, t, &tile);
        }
        rows[ti] = push_concat(a, ops, parts, gw, 3, row);
    }
    Rect whole = {0, H, 0, W};
    push_concat(a, ops, rows, gh, 2, whole);
    return 1;
}

/* ---- choosing ---- */

static uint64_t node_macs(const Graph *g, const Node *n)
{
    Window w;
    uint64_t per, out, in;
    int tr;
    const Value *y = n->nout && n->out[0] ? graph_value(g, n->out[0]) : NULL;
    if (!y)
        return 0;
    if (n->op->window && n->op->window->get(g, n, &w, &per))
        return per * shape_count(&y->shape);
    if (n->op->linear && n->op->linear->matrix && n->op->linear->matrix(g, n, &out, &in, &tr) &&
        out)
        return in * shape_count(&y->shape);
    return 0;
}

static int better(const Choice *c, const Choice *best)
{
    if (c->peak != best->peak)
        return c->peak < best->peak;
    if (c->extra != best->extra)
        return c->extra < best->extra;
    return c->gh * c->gw < best->gh * best->gw;
}

/* The best cut and grid for the stage st, when one beats *best (then 1). *work counts
 * the steps spent, up to MAX_WORK. */
static int choose(Ctx *ctx, const Stage *st, uint64_t total, int force, Choice *best,
                  uint64_t *work)
{
    const Graph *g = ctx->g;
    uint64_t stage_macs = 0;
    int found = 0;
    for (uint32_t cut = 1; cut <= st->n && *work < MAX_WORK; cut++) {
        stage_macs += node_macs(g, graph_node(g, st->nodes[cut - 1].id));
        uint32_t t = cut_tensor(st, cut);
        if (!t)
            continue;
        const Value *tv = stage_value(g, st, t);
        Rect whole = full_rect(tv);
        /* the last Concat has all of T's parts and T live */
        if (2 * rect_bytes(tv, &whole) >= best->peak)
            continue;
        for (uint32_t gh = 1; gh <= MAX_GRID && (int64_t)gh <= tv->shape.dims[2]; gh++)
            for (uint32_t gw = 1; gw <= MAX_GRID && (int64_t)gw <= tv->shape.dims[3]; gw++) {
                if (gh * gw < 2)
                    continue;
                ArenaMark m = arena_mark(ctx->scratch);
                TileOps ops;
                memset(&ops, 0, sizeof ops);
                uint64_t macs;
                Choice c = {cut, t, gh, gw, 0, 0};
                int ok = schedule(ctx->scratch, g, st, cut, t, gh, gw, &ops, &macs);
                *work += ops.len + (uint64_t)gh * gw * cut;
                if (ok) {
                    c.extra = macs > stage_macs ? macs - stage_macs : 0;
                    if (force || c.extra * 100 <= total * MAX_EXTRA) {
                        c.peak = tiled_peak(ctx->scratch, g, st, cut, t, &ops);
                        *work += ops.len + g->order.len;
                        if (better(&c, best)) {
                            *best = c;
                            found = 1;
                        }
                    }
                }
                arena_reset(ctx->scratch, m);
            }
    }
    return found;
}

/* ---- the rewrite ---- */

static ValueId const_i64x2(Ctx *ctx, int64_t a, int64_t b)
{
    int64_t *p = arena_array(ctx->perm, int64_t, 2);
    p[0] = a;
    p[1] = b;
    int64_t two = 2;
    Shape s = shape_make(1, &two);
    return graph_add_const(ctx->perm, ctx->g, "", DT_INT64, &s, (const unsigned char *)p, 16);
}

static const char *tile_name(Ctx *ctx, const char *base, const char *what, uint32_t k)
{
    StrBuf sb;
    sb_init(&sb, ctx->perm);
    sb_printf(&sb, "%s_%s%u", base, what, k);
    return sb_cstr(&sb);
}

static LwStatus emit(Ctx *ctx, const Stage *st, const Choice *c, const TileOps *ops)
{
    Graph *g = ctx->g;
    uint32_t end = c->cut < st->n ? st->nodes[c->cut].pos : st->end;
    uint8_t *tiled = arena_array(ctx->scratch, uint8_t, g->nodes.len);
    for (uint32_t i = 0; i < c->cut; i++)
        tiled[st->nodes[i].id] = 1;
    /* the new order: nodes of other inputs, the tile ops, then the rest */
    uint32_t nold = g->order.len;
    NodeId *old = arena_array(ctx->scratch, NodeId, nold ? nold : 1);
    memcpy(old, g->order.data, sizeof(NodeId) * nold);
    g->order.len = 0;
    for (uint32_t k = 0; k < end; k++)
        if (!tiled[old[k]])
            vec_push(ctx->perm, &g->order, old[k]);
    /* graph_add_node appends each new node to the order, after these */
    ValueId *val = arena_array(ctx->scratch, ValueId, ops->len ? ops->len : 1);
    for (uint32_t j = 0; j < ops->len; j++) {
        const TileOp *op = &ops->data[j];
        if (op->kind == TO_SLICE) {
            const Value *sv = stage_value(g, st, op->node);
            Rect from = op->src[0] ? ops->data[op->src[0] - 1].at : full_rect(sv);
            ValueId in[4] = {op->src[0] ? val[op->src[0] - 1] : st->x,
                             const_i64x2(ctx, op->at.r0 - from.r0, op->at.c0 - from.c0),
                             const_i64x2(ctx, op->at.r1 - from.r0, op->at.c1 - from.c0),
                             const_i64x2(ctx, 2, 3)};
            {
                const char *nm = tile_name(ctx, sv->name, "slice", j);
                TRY(pass_make_node(ctx, "Slice", nm, in, 4, -1, nm, &val[j]));
            }
        } else if (op->kind == TO_CONCAT) {
            ValueId in[MAX_SRC];
            for (uint8_t i = 0; i < op->nsrc; i++)
                in[i] = val[op->src[i] - 1];
            const char *tn = stage_value(g, st, c->t)->name;
            const char *nm = tile_name(ctx, tn, op->axis == 3 ? "row" : "rows", j);
            TRY(pass_make_node(ctx, "Concat", nm, in, op->nsrc, op->axis, nm, &val[j]));
        } else {
            const SNode *sn = &st->nodes[op->node];
            const Node *n = graph_node(g, sn->id);
            ValueId in[MAX_SRC];
            for (uint16_t s = 0; s < n->nin; s++)
                in[s] = sn->sin[s] && op->src[s] ? val[op->src[s] - 1] : n->in[s];
            SrcLoc loc = n->loc;
            loc.name = tile_name(ctx, n->loc.name, "tile", op->tile);
            const char *names[1] = {
                tile_name(ctx, graph_value(g, n->out[0])->name, "tile", op->tile)};
            const OpDef *def = n->op;
            const void *attrs = sn->win ? def->window->with_pads(ctx->perm, n, op->pads) : n->attrs;
            uint32_t flags = n->flags;
            NodeId id = graph_add_node(ctx->perm, g, def, &loc, n->nin, in, 1, names);
            Node *nn = graph_node(g, id);
            nn->attrs = attrs;
            nn->flags = flags;
            TRY(def->infer(ctx, g, nn));
            val[j] = nn->out[0];
            const Value *y = graph_value(g, val[j]);
            LW_ASSERT(y->shape.dims[2] == op->at.r1 - op->at.r0 &&
                      y->shape.dims[3] == op->at.c1 - op->at.c0);
        }
    }
    for (uint32_t k = end; k < nold; k++)
        vec_push(ctx->perm, &g->order, old[k]);
    for (uint32_t i = 0; i < c->cut; i++)
        graph_node(g, st->nodes[i].id)->op = NULL;
    graph_replace_uses(g, graph_node(g, st->nodes[c->t - 1].id)->out[0], val[ops->len - 1]);
    graph_recount(g);
    return LW_OK;
}

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    int force = ctx->opt->patch > 0;
    if (ctx->opt->patch < 0 || (!force && ctx->opt->opt != LW_OS))
        return LW_OK;
    graph_recount(g);
    uint64_t total = 0;
    for (uint32_t k = 0; k < g->order.len; k++)
        total += node_macs(g, graph_node(g, g->order.data[k]));
    ArenaMark m0 = arena_mark(ctx->scratch);
    uint64_t peak0 = graph_peak(ctx->scratch, g);
    arena_reset(ctx->scratch, m0);
    Choice best = {0, 0, 0, 0, peak0, 0};
    Stage st, best_st;
    memset(&best_st, 0, sizeof best_st);
    uint64_t work = 0;
    for (uint32_t i = 0; i < g->inputs.len; i++) {
        const Value *x = graph_value(g, g->inputs.data[i]);
        if (x->kind != VK_INPUT || x->shape.rank != 4)
            continue;
        find_stage(ctx->scratch, g, g->inputs.data[i], &st);
        if (choose(ctx, &st, total, force, &best, &work))
            best_st = st;
    }
    if (!best.cut)
        return LW_OK;
    TileOps ops;
    memset(&ops, 0, sizeof ops);
    uint64_t macs;
    LW_ASSERT(schedule(ctx->scratch, g, &best_st, best.cut, best.t, best.gh, best.gw, &ops, &macs));
    const char *tname = stage_value(g, &best_st, best.t)->name;
    TRY(emit(ctx, &best_st, &best, &ops));
    StrBuf sb;
    sb_init(&sb, ctx->perm);
    sb_printf(&sb,
              "patch: first %u nodes run as %ux%u tiles of '%s': peak est %llu -> %llu bytes, "
              "+%llu.%llu%% MACs",
              best.cut, best.gh, best.gw, tname, (unsigned long long)peak0,
              (unsigned long long)best.peak,
              (unsigned long long)(total ? best.extra * 100 / total : 0),
              (unsigned long long)(total ? best.extra * 1000 / total % 10 : 0));
    vec_push(ctx->perm, &ctx->remarks, sb_cstr(&sb));
    return LW_OK;
}

const PassDef pass_patch = {"patch", PK_GRAPH, run,
                            "run the leading high-resolution layers tile by tile (-Os when it "
                            "lowers the peak at <= 10% more MACs; --patch, --no-patch)"};
