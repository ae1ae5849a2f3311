/* File reading under a size cap and writing of the output files. */
#include "base/fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

LwStatus file_read(Arena *a, Diag *d, const char *path, uint64_t cap, unsigned char **data,
                   size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return diag_error(d, "cannot open '%s': %s", path, strerror(errno));
    size_t cap_sz = cap > SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)cap;
    size_t n = 0, size = 4096;
    unsigned char *buf = malloc(size);
    if (!buf) {
        fclose(f);
        return diag_error(d, "out of memory reading '%s'", path);
    }
    for (;;) {
        if (n == size) {
            if (size > cap_sz) {
                free(buf);
                fclose(f);
                return diag_error(d, "'%s' is larger than the limit of %llu bytes", path,
                                  (unsigned long long)cap);
            }
            size_t ns = size * 2;
            unsigned char *nb = realloc(buf, ns);
            if (!nb) {
                free(buf);
                fclose(f);
                return diag_error(d, "out of memory reading '%s'", path);
            }
            buf = nb;
            size = ns;
        }
        size_t got = fread(buf + n, 1, size - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return diag_error(d, "cannot read '%s'", path);
    }
    if (n > cap_sz) {
        free(buf);
        return diag_error(d, "'%s' is larger than the limit of %llu bytes", path,
                          (unsigned long long)cap);
    }
    *data = arena_memdup(a, buf, n);
    free(buf);
    if (!*data)
        return diag_error(d, "'%s': out of memory (%zu bytes)", path, n);
    *len = n;
    return LW_OK;
}

LwStatus file_write(Diag *d, const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return diag_error(d, "cannot write '%s': %s", path, strerror(errno));
    size_t w = fwrite(data, 1, len, f);
    int bad = w != len;
    if (fclose(f) != 0)
        bad = 1;
    if (bad)
        return diag_error(d, "cannot write '%s': %s", path, strerror(errno));
    return LW_OK;
}
