/* Arena allocation: every compile-time object lives in an arena of the Ctx and
 * is freed with it; only base/arena.c and base/fileio.c call malloc/free. */
#ifndef LWCC_LWCC_ARENA_H
#define LWCC_LWCC_ARENA_H

#include "include/lwcc/base.h"

typedef struct ArenaChunk ArenaChunk;

typedef struct Arena {
    ArenaChunk *head;  /* current chunk */
    uint64_t used;     /* bytes handed out, all chunks */
    uint64_t budget;   /* cap on `used`; 0 = none */
    int failed;        /* set when an allocation failed or went over budget */
} Arena;

typedef struct ArenaMark {
    ArenaChunk *chunk;
    size_t pos;
    uint64_t used;
} ArenaMark;

/* base/arena.c */
Arena *arena_create(uint64_t budget);
void arena_destroy(Arena *a);
/* Zeroed, 16-byte aligned memory; NULL when over budget or out of memory
 * (callers that take a size from a model check it first). */
void *arena_alloc(Arena *a, size_t size);
/* The same, not zeroed: for buffers the caller fills at once (copies, text). */
void *arena_alloc_uninit(Arena *a, size_t size);
/* Grows the arena's latest allocation p (of size bytes) to nsize in place;
 * 0 when p is not the latest or its chunk has no room (nothing changes). */
int arena_extend(Arena *a, void *p, size_t size, size_t nsize);
/* n * size with overflow check; NULL on overflow. */
void *arena_alloc_array(Arena *a, size_t n, size_t size);
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
void *arena_memdup(Arena *a, const void *p, size_t n);
ArenaMark arena_mark(const Arena *a);
void arena_reset(Arena *a, ArenaMark m);
/* Grows a vector's storage to at least `need` elements (amortized doubling). */
void *arena_grow(Arena *a, void *data, uint32_t *cap, uint32_t need, size_t elem);

/* Allocation that cannot fail for lwcc-sized objects: out of memory here is
 * an internal error, not a model error. */
void *arena_must(void *p);

#define arena_new(a, T) ((T *)arena_must(arena_alloc((a), sizeof(T))))
#define arena_array(a, T, n) ((T *)arena_must(arena_alloc_array((a), (n), sizeof(T))))

/* Vec(T): a growable array in an arena. */
#define Vec(T)                                                                                     \
    struct {                                                                                       \
        T *data;                                                                                   \
        uint32_t len, cap;                                                                         \
    }
#define vec_push(ar, v, x)                                                                         \
    do {                                                                                           \
        if ((v)->len == (v)->cap)                                                                  \
            (v)->data = arena_grow((ar), (v)->data, &(v)->cap, (v)->len + 1, sizeof(*(v)->data)); \
        (v)->data[(v)->len++] = (x);                                                               \
    } while (0)
#define vec_reserve(ar, v, n)                                                                      \
    do {                                                                                           \
        if ((v)->cap < (n))                                                                        \
            (v)->data = arena_grow((ar), (v)->data, &(v)->cap, (n), sizeof(*(v)->data));          \
    } while (0)

#endif
