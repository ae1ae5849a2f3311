/* memplan: one arena. Each arena buffer lives from the first to the last
 * kernel that touches it; buffers are placed one by one at the lowest aligned
 * offset free of every buffer whose lifetime overlaps (or at the top of the
 * lowest gap it fits), in three orders — largest first (tflite-micro's greedy
 * planner, TVM USMP's greedy-by-size), by first use (greedy by breadth), by
 * size x lifetime — and the smallest arena is kept (total orders: deterministic
 * plans), then improved by moving single buffers to the front of the order. The largest sum of live sizes
 * bounds every plan; reaching it ends the search. Test builds check the plan
 * pairwise. */
#include <stdlib.h>
#include <string.h>

#include "include/lwcc/ckd.h"
#include "ir/kir.h"
#include "passes/pass.h"

static void touch_expr(const KExpr *e, uint32_t k, uint32_t *first, uint32_t *last);

static void mark(uint32_t b, uint32_t k, uint32_t *first, uint32_t *last)
{
    if (first[b] == UINT32_MAX || k < first[b])
        first[b] = k;
    if (last[b] == UINT32_MAX || k > last[b])
        last[b] = k;
}

static void touch_expr(const KExpr *e, uint32_t k, uint32_t *first, uint32_t *last)
{
    if (!e)
        return;
    switch (e->kind) {
    case KE_CONST:
    case KE_VAR:
    case KE_IDX:
        return;
    case KE_LOAD:
        mark(e->u.load.buf, k, first, last);
        touch_expr(e->u.load.other, k, first, last);
        return;
    case KE_LOADX:
        mark(e->u.loadx.buf, k, first, last);
        touch_expr(e->u.loadx.dyn, k, first, last);
        return;
    case KE_OP:
        for (int i = 0; i < 3; i++)
            touch_expr(e->u.op.a[i], k, first, last);
        return;
    case KE_SELECT:
        touch_expr(e->u.sel.c, k, first, last);
        touch_expr(e->u.sel.t, k, first, last);
        touch_expr(e->u.sel.f, k, first, last);
        return;
    case KE_CAST:
    case KE_SPLAT:
        touch_expr(e->u.cast.a, k, first, last);
        return;
    case KE_HREDUCE:
        touch_expr(e->u.hred.a, k, first, last);
        return;
    case KE_LANE:
        touch_expr(e->u.lane.a, k, first, last);
        return;
    case KE_DOT4:
    case KE_DOT2:
        touch_expr(e->u.dot.acc, k, first, last);
        touch_expr(e->u.dot.a, k, first, last);
        touch_expr(e->u.dot.b, k, first, last);
        return;
    }
}

static void touch_stmt(const KStmt *s, uint32_t k, uint32_t *first, uint32_t *last)
{
    switch (s->kind) {
    case KS_FOR:
        touch_expr(s->u.loop.dyn, k, first, last);
        touch_stmt(s->u.loop.body, k, first, last);
        return;
    case KS_STORE:
        mark(s->u.store.buf, k, first, last);
        touch_expr(s->u.store.val, k, first, last);
        return;
    case KS_SET:
        touch_expr(s->u.set.val, k, first, last);
        return;
    case KS_SEQ:
        for (uint32_t i = 0; i < s->u.seq.n; i++)
            touch_stmt(s->u.seq.items[i], k, first, last);
        return;
    case KS_IF:
        touch_stmt(s->u.cond.then, k, first, last);
        return;
    }
}

typedef struct Item {
    uint32_t buf;
    uint64_t size;
    uint32_t first, last;
} Item;

static int cmp_item(const void *a, const void *b)
{
    const Item *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (x->buf > y->buf) - (x->buf < y->buf);
}

/* by first use, then size (largest first): "greedy by breadth" */
static int cmp_breadth(const void *a, const void *b)
{
    const Item *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return cmp_item(a, b);
}

/* by size x lifetime, largest first */
static int cmp_area(const void *a, const void *b)
{
    const Item *x = a, *y = b;
    uint64_t ax = x->size * (uint64_t)(x->last - x->first + 1);
    uint64_t ay = y->size * (uint64_t)(y->last - y->first + 1);
    if (ax != ay)
        return ax < ay ? 1 : -1;
    return cmp_item(a, b);
}

typedef struct Placed {
    uint64_t offset, size;
    uint32_t first, last;
} Placed;

static int cmp_placed(const void *a, const void *b)
{
    const Placed *x = a, *y = b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return (x->size > y->size) - (x->size < y->size);
}

/* First fit in the given order: off[i] for items[i]; *arena the end of the highest. With
 * `top`, a buffer that fits a gap below a live buffer goes to the top of that gap (next to
 * the buffer above), which keeps the space under it whole for the next large buffer. */
static LwStatus place(Ctx *ctx, const Item *items, uint32_t ni, int top, uint64_t *off,
                      uint64_t *arena)
{
    ArenaMark m = arena_mark(ctx->scratch);
    Placed *live = arena_array(ctx->scratch, Placed, ni ? ni : 1);
    *arena = 0;
    for (uint32_t i = 0; i < ni; i++) {
        /* the placed buffers live at the same time, by offset */
        uint32_t nl = 0;
        for (uint32_t j = 0; j < i; j++)
            if (items[j].first <= items[i].last && items[i].first <= items[j].last) {
                Placed pl = {off[j], items[j].size, items[j].first, items[j].last};
                live[nl++] = pl;
            }
        qsort(live, nl, sizeof(Placed), cmp_placed);
        uint64_t o = 0;
        for (uint32_t j = 0; j < nl; j++) {
            if (live[j].offset >= o && live[j].offset - o >= items[i].size) {
                if (top)
                    o = live[j].offset - items[i].size; /* sizes are multiples of 16 */
                break;
            }
            uint64_t end = live[j].offset + live[j].size;
            if (end > o)
                o = end;
        }
        off[i] = o;
        uint64_t end;
        if (!ckd_add_u64(&end, o, items[i].size)) {
            arena_reset(ctx->scratch, m);
            return diag_error(ctx->diag, "the arena size overflows");
        }
        if (end > *arena)
            *arena = end;
    }
    arena_reset(ctx->scratch, m);
    return LW_OK;
}

static uint64_t max_u64(const uint64_t *v, uint32_t n)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

/* In place (KBuf.alias): buffer b takes the storage of buffer a when a's last kernel is b's
 * first and both are arena buffers of the same size (a kernel's output over an input that
 * dies there, the kernel written for it). Returns a for such b, else b. */
static uint32_t alias_of(const Program *p, uint32_t b, const uint32_t *first, const uint32_t *last)
{
    const KBuf *kb = &p->bufs.data[b];
    if (!kb->alias || kb->alias - 1 >= p->bufs.len || kb->alias - 1 == b)
        return b;
    uint32_t a = kb->alias - 1;
    const KBuf *ka = &p->bufs.data[a];
    if (kb->kind != KB_ARENA || ka->kind != KB_ARENA || first[a] == UINT32_MAX ||
        first[b] == UINT32_MAX || last[a] != first[b] ||
        ka->nelem * dtype_size(ka->dtype) != kb->nelem * dtype_size(kb->dtype))
        return b;
    return a;
}

/* The buffer whose storage b ends up in: along a chain of alias_of (stacked LSTM layers,
 * each Y over the one before). A link joins a buffer's last kernel to the next one's
 * first, so a chain runs back in time and ends; the bound only guards a bad program. */
static uint32_t alias_root(const Program *p, uint32_t b, const uint32_t *first,
                           const uint32_t *last)
{
    for (uint32_t i = 0; i <= p->bufs.len; i++) {
        uint32_t a = alias_of(p, b, first, last);
        if (a == b)
            return b;
        b = a;
    }
    LW_ICE("memplan: a cycle of in-place buffers");
}

uint64_t memplan_live(Arena *scratch, const Program *p, uint64_t *live)
{
    uint32_t nb = p->bufs.len, nk = p->kernels.len;
    ArenaMark m = arena_mark(scratch);
    uint32_t *first = arena_array(scratch, uint32_t, nb ? nb : 1);
    uint32_t *last = arena_array(scratch, uint32_t, nb ? nb : 1);
    for (uint32_t b = 0; b < nb; b++)
        first[b] = last[b] = UINT32_MAX;
    for (uint32_t k = 0; k < nk; k++)
        touch_stmt(p->kernels.data[k].body, k, first, last);
    memset(live, 0, sizeof(uint64_t) * nk);
    for (uint32_t b = 0; b < nb; b++) {
        const KBuf *kb = &p->bufs.data[b];
        if (kb->kind != KB_ARENA || first[b] == UINT32_MAX)
            continue;
        uint64_t size = (kb->nelem * dtype_size(kb->dtype) + 15) & ~(uint64_t)15;
        /* in place: the kernel where both live counts the storage once */
        uint32_t k0 = alias_of(p, b, first, last) != b ? first[b] + 1 : first[b];
        for (uint32_t k = k0; k <= last[b]; k++)
            live[k] += size;
    }
    uint64_t bound = max_u64(live, nk);
    arena_reset(scratch, m);
    return bound;
}

uint64_t memplan_graph_bound(Arena *scratch, const Graph *g)
{
    ArenaMark m = arena_mark(scratch);
    uint32_t nv = g->values.len, nk = g->order.len;
    uint32_t *first = arena_array(scratch, uint32_t, nv ? nv : 1);
    uint32_t *last = arena_array(scratch, uint32_t, nv ? nv : 1);
    uint8_t *konst = arena_array(scratch, uint8_t, nv ? nv : 1);
    for (uint32_t v = 0; v < nv; v++) {
        first[v] = UINT32_MAX;
        konst[v] = graph_value(g, v)->kind == VK_CONST;
    }
    for (uint32_t k = 0; k < nk; k++) {
        const Node *n = graph_node(g, g->order.data[k]);
        int all_const = 1;
        for (uint16_t i = 0; i < n->nin; i++) {
            ValueId v = n->in[i];
            if (!v)
                continue;
            if (first[v] != UINT32_MAX)
                last[v] = k;
            if (!konst[v])
                all_const = 0;
        }
        for (uint16_t o = 0; o < n->nout; o++) {
            ValueId v = n->out[o];
            if (!v)
                continue;
            if (all_const)
                konst[v] = 1;
            else if (!(graph_value(g, v)->flags & VF_GRAPH_OUTPUT))
                first[v] = last[v] = k;
        }
    }
    uint64_t *live = arena_array(scratch, uint64_t, nk ? nk : 1);
    memset(live, 0, sizeof(uint64_t) * (nk ? nk : 1));
    for (uint32_t v = 0; v < nv; v++) {
        if (first[v] == UINT32_MAX)
            continue;
        const Value *val = graph_value(g, v);
        uint64_t size = (shape_count(&val->shape) * dtype_size(val->dtype) + 15) & ~(uint64_t)15;
        for (uint32_t k = first[v]; k <= last[v]; k++)
            live[k] += size;
    }
    uint64_t bound = max_u64(live, nk);
    arena_reset(scratch, m);
    return bound;
}

static LwStatus run(Ctx *ctx)
{
    Program *p = ctx->prog;
    uint32_t nb = p->bufs.len;
    uint32_t *first = arena_array(ctx->scratch, uint32_t, nb ? nb : 1);
    uint32_t *last = arena_array(ctx->scratch, uint32_t, nb ? nb : 1);
    for (uint32_t b = 0; b < nb; b++)
        first[b] = last[b] = UINT32_MAX;
    for (uint32_t k = 0; k < p->kernels.len; k++)
        touch_stmt(p->kernels.data[k].body, k, first, last);
    MemPlan *plan = arena_new(ctx->perm, MemPlan);
    plan->arena_align = 16;
    Item *items = arena_array(ctx->scratch, Item, nb ? nb : 1);
    uint32_t ni = 0;
    /* in place: a buffer that takes another's storage (alias_root) is placed as part of
     * it, the other's lifetime extended over its own; an alias not taken is cleared, so
     * that the printers keep the pair's restrict */
    uint32_t *root = arena_array(ctx->scratch, uint32_t, nb ? nb : 1);
    for (uint32_t b = 0; b < nb; b++)
        root[b] = alias_root(p, b, first, last);
    for (uint32_t b = 0; b < nb; b++)
        if (alias_of(p, b, first, last) == b)
            p->bufs.data[b].alias = 0;
    for (uint32_t b = 0; b < nb; b++)
        if (root[b] != b && last[b] > last[root[b]])
            last[root[b]] = last[b];
    for (uint32_t b = 0; b < nb; b++) {
        const KBuf *kb = &p->bufs.data[b];
        if (kb->kind != KB_ARENA || first[b] == UINT32_MAX || root[b] != b)
            continue;
        uint64_t size;
        if (!ckd_mul_u64(&size, kb->nelem, dtype_size(kb->dtype)))
            return diag_error(ctx->diag, "a tensor's size overflows");
        if (!ckd_add_u64(&size, size, 15))
            return diag_error(ctx->diag, "a tensor's size overflows");
        size &= ~(uint64_t)15;
        Item it = {b, size, first[b], last[b]};
        items[ni++] = it;
    }
    /* Each ordering places every buffer at the lowest offset free of the buffers already
     * placed whose lifetimes overlap; the smallest arena wins (ties: the earlier order).
     * The largest sum of sizes live at one step is a lower bound: reaching it stops. */
    uint64_t bound = 0;
    uint32_t nk = p->kernels.len;
    for (uint32_t k = 0; k < nk; k++) {
        uint64_t live = 0;
        for (uint32_t i = 0; i < ni; i++)
            if (items[i].first <= k && k <= items[i].last)
                live += items[i].size;
        bound = live > bound ? live : bound;
    }
    static int (*const orders[])(const void *, const void *) = {cmp_item, cmp_breadth, cmp_area};
    uint64_t *off = arena_array(ctx->scratch, uint64_t, ni ? ni : 1);
    uint64_t *best_off = arena_array(ctx->scratch, uint64_t, ni ? ni : 1);
    Item *best_items = arena_array(ctx->scratch, Item, ni ? ni : 1);
    uint64_t best = UINT64_MAX;
    for (size_t o = 0; o < 2 * LW_COUNT(orders) && best > bound; o++) {
        qsort(items, ni, sizeof(Item), orders[o / 2]);
        uint64_t size;
        TRY(place(ctx, items, ni, (int)(o & 1), off, &size));
        if (size < best) {
            best = size;
            memcpy(best_off, off, sizeof(uint64_t) * ni);
            memcpy(best_items, items, sizeof(Item) * ni);
        }
    }
    /* improvement: a buffer moved to the front of the best order, placed first, can
     * unblock the rest; keep every move that shrinks the arena (a few rounds, graphs
     * of up to 256 buffers) */
    for (int round = 0; round < 3 && best > bound && ni <= 256; round++) {
        int better = 0;
        for (uint32_t i = 1; i < ni && best > bound; i++) {
            items[0] = best_items[i];
            memcpy(items + 1, best_items, sizeof(Item) * i);
            memcpy(items + i + 1, best_items + i + 1, sizeof(Item) * (ni - i - 1));
            uint64_t size;
            TRY(place(ctx, items, ni, 0, off, &size));
            if (size < best) {
                best = size;
                memcpy(best_off, off, sizeof(uint64_t) * ni);
                memcpy(best_items, items, sizeof(Item) * ni);
                better = 1;
            }
        }
        if (!better)
            break;
    }
    plan->slots = arena_array(ctx->perm, MemSlot, ni ? ni : 1);
    for (uint32_t i = 0; i < ni; i++) {
        MemSlot *s = &plan->slots[plan->nslots++];
        s->buf = best_items[i].buf;
        s->offset = best_off[i];
        s->size = best_items[i].size;
        s->first = best_items[i].first;
        s->last = best_items[i].last;
        p->bufs.data[s->buf].offset = s->offset;
        if (s->offset + s->size > plan->arena_size)
            plan->arena_size = s->offset + s->size;
    }
    for (uint32_t b = 0; b < nb; b++)
        if (root[b] != b)
            p->bufs.data[b].offset = p->bufs.data[root[b]].offset;
    if (ctx->verify) {
        for (uint32_t a = 0; a < plan->nslots; a++)
            for (uint32_t b = a + 1; b < plan->nslots; b++) {
                const MemSlot *x = &plan->slots[a], *y = &plan->slots[b];
                int time = x->first <= y->last && y->first <= x->last;
                int space = x->offset < y->offset + y->size && y->offset < x->offset + x->size;
                if (time && space)
                    LW_ICE("memplan: buffers %u and %u overlap", x->buf, y->buf);
            }
    }
    ctx->plan = plan;
    return LW_OK;
}

const PassDef pass_memplan = {"memplan", PK_KERNEL, run,
                              "place arena buffers by liveness (best of three greedy orders)"};
