/* Chunked bump allocator with an optional byte budget. */
#include "include/lwcc/arena.h"

#include <stdlib.h>
#include <string.h>

#include "include/lwcc/ckd.h"

struct ArenaChunk {
    ArenaChunk *prev;
    size_t size, pos;
    size_t pad; /* keeps data[] 16-byte aligned after a 16-byte aligned malloc */
    unsigned char data[];
};

#define CHUNK_MIN ((size_t)64 * 1024)

Arena *arena_create(uint64_t budget)
{
    Arena *a = calloc(1, sizeof(Arena));
    if (!a)
        return NULL;
    a->budget = budget;
    return a;
}

void arena_destroy(Arena *a)
{
    if (!a)
        return;
    ArenaChunk *c = a->head;
    while (c) {
        ArenaChunk *p = c->prev;
        free(c);
        c = p;
    }
    free(a);
}

void *arena_alloc_uninit(Arena *a, size_t size)
{
    size_t need = (size + 15) & ~(size_t)15;
    if (need < size)
        goto fail;
    if (a->budget && (need > a->budget || a->used > a->budget - need))
        goto fail;
    if (!a->head || a->head->size - a->head->pos < need) {
        size_t csize = need > CHUNK_MIN ? need : CHUNK_MIN;
        if (a->head && a->head->size * 2 > csize && a->head->size < ((size_t)16 << 20))
            csize = a->head->size * 2;
        ArenaChunk *c = malloc(sizeof(ArenaChunk) + csize);
        if (!c)
            goto fail;
        c->prev = a->head;
        c->size = csize;
        c->pos = 0;
        a->head = c;
    }
    void *p = a->head->data + a->head->pos;
    a->head->pos += need;
    a->used += need;
    return p;
fail:
    a->failed = 1;
    return NULL;
}

void *arena_alloc(Arena *a, size_t size)
{
    void *p = arena_alloc_uninit(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

int arena_extend(Arena *a, void *p, size_t size, size_t nsize)
{
    size_t need = (size + 15) & ~(size_t)15, nneed = (nsize + 15) & ~(size_t)15;
    ArenaChunk *c = a->head;
    if (!c || nneed < nsize || nneed < need || (unsigned char *)p + need != c->data + c->pos)
        return 0;
    size_t more = nneed - need;
    if (c->size - c->pos < more || (a->budget && (more > a->budget || a->used > a->budget - more)))
        return 0;
    c->pos += more;
    a->used += more;
    return 1;
}

void *arena_alloc_array(Arena *a, size_t n, size_t size)
{
    uint64_t total;
    size_t s;
    if (!ckd_mul_u64(&total, n, size) || !ckd_size(&s, total)) {
        a->failed = 1;
        return NULL;
    }
    return arena_alloc(a, s ? s : 1);
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc_uninit(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

char *arena_strdup(Arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

void *arena_memdup(Arena *a, const void *p, size_t n)
{
    void *q = arena_alloc_uninit(a, n ? n : 1);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

ArenaMark arena_mark(const Arena *a)
{
    ArenaMark m = {a->head, a->head ? a->head->pos : 0, a->used};
    return m;
}

void arena_reset(Arena *a, ArenaMark m)
{
    while (a->head && a->head != m.chunk) {
        ArenaChunk *p = a->head->prev;
        free(a->head);
        a->head = p;
    }
    if (a->head)
        a->head->pos = m.pos;
    a->used = m.used;
}

void *arena_grow(Arena *a, void *data, uint32_t *cap, uint32_t need, size_t elem)
{
    uint32_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > UINT32_MAX / 2)
            LW_ICE("vector over 2^31 elements");
        ncap *= 2;
    }
    void *p = arena_must(arena_alloc_array(a, ncap, elem));
    if (data && *cap)
        memcpy(p, data, (size_t)*cap * elem);
    *cap = ncap;
    return p;
}

void *arena_must(void *p)
{
    if (!p)
        LW_ICE("out of memory (compile memory budget exceeded)");
    return p;
}
