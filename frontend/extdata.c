/* External tensor data: a relative path without "..", resolved after symlinks
 * inside the model's folder; offset and length checked against the file. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/frontend.h"
#include "include/lwcc/ckd.h"

LwStatus extdata_read(Ctx *ctx, const char *model_dir, const char *location, uint64_t offset,
                      uint64_t length, int has_length, const char *tensor, unsigned char **data,
                      uint64_t *size)
{
    if (!*location || location[0] == '/' || strstr(location, "..") || strchr(location, '\\'))
        return diag_error(ctx->diag, "tensor '%s': external data location '%s' must be a "
                          "relative path inside the model's folder (no '..')", tensor, location);
    char full[PATH_MAX], real_dir[PATH_MAX], real_file[PATH_MAX];
    int w = snprintf(full, sizeof full, "%s/%s", model_dir, location);
    if (w < 0 || (size_t)w >= sizeof full)
        return diag_error(ctx->diag, "tensor '%s': external data path is too long", tensor);
    if (!realpath(model_dir, real_dir) || !realpath(full, real_file))
        return diag_error(ctx->diag, "tensor '%s': cannot open external data '%s': %s", tensor,
                          location, strerror(errno));
    size_t dl = strlen(real_dir);
    if (strncmp(real_file, real_dir, dl) != 0 || (real_file[dl] != '/' && dl > 1))
        return diag_error(ctx->diag, "tensor '%s': external data '%s' resolves outside the "
                          "model's folder", tensor, location);
    struct stat st;
    if (stat(real_file, &st) != 0 || !S_ISREG(st.st_mode))
        return diag_error(ctx->diag, "tensor '%s': external data '%s' is not a regular file",
                          tensor, location);
    uint64_t fsize = (uint64_t)st.st_size, end;
    if (!has_length)
        length = offset <= fsize ? fsize - offset : 0;
    if (!ckd_add_u64(&end, offset, length) || end > fsize)
        return diag_error(ctx->diag, "tensor '%s': external data range %llu+%llu is past the end "
                          "of '%s' (%llu bytes)", tensor, (unsigned long long)offset,
                          (unsigned long long)length, location, (unsigned long long)fsize);
    size_t n;
    if (!ckd_size(&n, length) || length > ctx->lim.tensor_bytes)
        return diag_error(ctx->diag, "tensor '%s': external data too large", tensor);
    unsigned char *buf = arena_alloc(ctx->perm, n ? n : 1);
    if (!buf)
        return diag_error(ctx->diag, "tensor '%s': out of memory", tensor);
    FILE *f = fopen(real_file, "rb");
    if (!f)
        return diag_error(ctx->diag, "tensor '%s': cannot open '%s'", tensor, location);
    int ok = fseek(f, (long)offset, SEEK_SET) == 0 && fread(buf, 1, n, f) == n;
    fclose(f);
    if (!ok)
        return diag_error(ctx->diag, "tensor '%s': cannot read '%s'", tensor, location);
    *data = buf;
    *size = length;
    vec_push(ctx->perm, &ctx->deps, arena_strdup(ctx->perm, real_file)); /* for --depfile */
    return LW_OK;
}
