/* runtime-min/rt_blob_lookup.c: find a helper in the embedded table by name.
 * Part of lwcc only: it has no @helper marker, so it is never copied into generated code. */
#include "runtime-min/rt_blob.h"

#include <string.h>

const LwrtHelper *lwrt_find_helper(const char *name)
{
    uint32_t i;

    for (i = 0; i < lwrt_nhelpers; i++)
        if (strcmp(lwrt_helpers[i].name, name) == 0)
            return &lwrt_helpers[i];
    return NULL;
}
