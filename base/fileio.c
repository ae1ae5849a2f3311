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
    /* a regular file: its size up front, read once into the arena (a 50 MB
     * model is not copied as a buffer grows); a pipe or a file that changes
     * size as it is read goes the growing way below */
    long hint = -1;
    if (fseek(f, 0, SEEK_END) == 0) {
        hint = ftell(f);
        if (fseek(f, 0, SEEK_SET) != 0)
            hint = -1;
    }
    if (hint >= 0 && (uint64_t)hint > cap_sz) {
        fclose(f);
        return diag_error(d, "'%s' is larger than the limit of %llu bytes", path,
                          (unsigned long long)cap);
    }
    if (hint >= 0) {
        ArenaMark m = arena_mark(a);
        unsigned char *p = arena_alloc_uninit(a, (size_t)hint + 1);
        size_t got = p ? fread(p, 1, (size_t)hint + 1, f) : 0;
        if (p && got == (size_t)hint && !ferror(f)) {
            fclose(f);
            *data = p;
            *len = got;
            return LW_OK;
        }
        arena_reset(a, m);
        if (fseek(f, 0, SEEK_SET) != 0) {
            fclose(f);
            return diag_error(d, "cannot read '%s'", path);
        }
        clearerr(f);
    }
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

LwStatus file_write_gen(Diag *d, const char *path,
                        int (*next)(void *arg, const char **data, size_t *len), void *arg)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return diag_error(d, "cannot write '%s': %s", path, strerror(errno));
    const char *data;
    size_t len;
    int bad = 0;
    while (!bad && next(arg, &data, &len))
        bad = len && fwrite(data, 1, len, f) != len;
    if (fclose(f) != 0)
        bad = 1;
    if (bad)
        return diag_error(d, "cannot write '%s': %s", path, strerror(errno));
    return LW_OK;
}
