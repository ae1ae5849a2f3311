/* Insertion-ordered string -> uint32 map in an arena (open addressing). */
#ifndef LWCC_BASE_HASH_H
#define LWCC_BASE_HASH_H

#include "include/lwcc/arena.h"

typedef struct StrMap {
    Arena *arena;
    const char **keys;
    uint32_t *vals;
    uint32_t cap, len;
} StrMap;

/* base/hash.c */
void strmap_init(StrMap *m, Arena *a);
/* Inserts or overwrites; keys are not copied. */
void strmap_put(StrMap *m, const char *key, uint32_t val);
/* True and *val when present. */
int strmap_get(const StrMap *m, const char *key, uint32_t *val);

#endif
