/* Open-addressing string map (FNV-1a), growing at half load. */
#include "base/hash.h"

#include <string.h>

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

void strmap_init(StrMap *m, Arena *a)
{
    memset(m, 0, sizeof *m);
    m->arena = a;
}

static void grow(StrMap *m)
{
    uint32_t ncap = m->cap ? m->cap * 2 : 64;
    const char **nk = arena_array(m->arena, const char *, ncap);
    uint32_t *nv = arena_array(m->arena, uint32_t, ncap);
    for (uint32_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        uint32_t j = (uint32_t)(fnv(m->keys[i]) & (ncap - 1));
        while (nk[j])
            j = (j + 1) & (ncap - 1);
        nk[j] = m->keys[i];
        nv[j] = m->vals[i];
    }
    m->keys = nk;
    m->vals = nv;
    m->cap = ncap;
}

void strmap_put(StrMap *m, const char *key, uint32_t val)
{
    if ((m->len + 1) * 2 > m->cap)
        grow(m);
    uint32_t j = (uint32_t)(fnv(key) & (m->cap - 1));
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0) {
            m->vals[j] = val;
            return;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = key;
    m->vals[j] = val;
    m->len++;
}

int strmap_get(const StrMap *m, const char *key, uint32_t *val)
{
    if (!m->cap)
        return 0;
    uint32_t j = (uint32_t)(fnv(key) & (m->cap - 1));
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0) {
            *val = m->vals[j];
            return 1;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return 0;
}
