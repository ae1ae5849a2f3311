/* runtime-min/rt_blob.h: the runtime-min helpers as text, for the printers to copy into
 * generated C. The table is generated at build time by cmake/embed.cmake (rt_blob.c). */
#ifndef LWCC_RUNTIME_MIN_RT_BLOB_H
#define LWCC_RUNTIME_MIN_RT_BLOB_H

#include <stdint.h>

/* One helper: its name, the names of the helpers it calls (space-separated, each earlier in
 * the table), and its definition as "static inline ..." text ending in a newline. The table
 * is in dependency order: copy the needed helpers in table order and each compiles. */
typedef struct LwrtHelper {
    const char *name, *deps, *source;
} LwrtHelper;

/* rt_blob.c (generated) */
extern const LwrtHelper lwrt_helpers[];
extern const uint32_t lwrt_nhelpers;

/* rt_blob_lookup.c: the helper called name, or NULL */
const LwrtHelper *lwrt_find_helper(const char *name);

#endif
