/* Reading files under a size cap; writing outputs (only after success). */
#ifndef LWCC_BASE_FILEIO_H
#define LWCC_BASE_FILEIO_H

#include <stdio.h>

#include "include/lwcc/arena.h"
#include "include/lwcc/diag.h"

/* Whole file into the arena; error when it is larger than `cap` bytes. */
LW_NODISCARD LwStatus file_read(Arena *a, Diag *d, const char *path, uint64_t cap,
                                unsigned char **data, size_t *len);
LW_NODISCARD LwStatus file_write(Diag *d, const char *path, const char *data, size_t len);
/* Writes the pieces next() gives (1 with a piece, 0 when there are no more), in
 * order, so a large output need not be in memory at once. */
LW_NODISCARD LwStatus file_write_gen(Diag *d, const char *path,
                                     int (*next)(void *arg, const char **data, size_t *len),
                                     void *arg);

#endif
