/* memplan: one arena. Each arena buffer lives from the first to the last
 * kernel that touches it; buffers are placed largest first (ties: first use,
 * then id) at the lowest aligned offset free of every buffer whose lifetime
 * overlaps — tflite-micro's greedy planner and TVM USMP's greedy-by-size, with
 * a total order for deterministic plans. Test builds check the plan pairwise. */
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
    }
}

static void touch_stmt(const KStmt *s, uint32_t k, uint32_t *first, uint32_t *last)
{
    switch (s->kind) {
    case KS_FOR:
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

static int cmp_offset(const void *a, const void *b)
{
    const MemSlot *x = *(const MemSlot *const *)a, *y = *(const MemSlot *const *)b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return (x->buf > y->buf) - (x->buf < y->buf);
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
    for (uint32_t b = 0; b < nb; b++) {
        const KBuf *kb = &p->bufs.data[b];
        if (kb->kind != KB_ARENA || first[b] == UINT32_MAX)
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
    qsort(items, ni, sizeof(Item), cmp_item);
    plan->slots = arena_array(ctx->perm, MemSlot, ni ? ni : 1);
    MemSlot **placed = arena_array(ctx->scratch, MemSlot *, ni ? ni : 1);
    uint32_t np = 0;
    for (uint32_t i = 0; i < ni; i++) {
        /* offsets of placed buffers live at the same time, sorted */
        uint32_t nl = 0;
        MemSlot **live = arena_array(ctx->scratch, MemSlot *, np ? np : 1);
        for (uint32_t j = 0; j < np; j++)
            if (placed[j]->first <= items[i].last && items[i].first <= placed[j]->last)
                live[nl++] = placed[j];
        qsort(live, nl, sizeof(MemSlot *), cmp_offset);
        uint64_t off = 0;
        for (uint32_t j = 0; j < nl; j++) {
            if (live[j]->offset >= off && live[j]->offset - off >= items[i].size)
                break;
            uint64_t end = live[j]->offset + live[j]->size;
            if (end > off)
                off = end;
        }
        MemSlot *s = &plan->slots[plan->nslots++];
        s->buf = items[i].buf;
        s->offset = off;
        s->size = items[i].size;
        s->first = items[i].first;
        s->last = items[i].last;
        placed[np++] = s;
        p->bufs.data[s->buf].offset = off;
        uint64_t end;
        if (!ckd_add_u64(&end, off, s->size))
            return diag_error(ctx->diag, "the arena size overflows");
        if (end > plan->arena_size)
            plan->arena_size = end;
    }
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
                              "place arena buffers by liveness (greedy by size)"};
