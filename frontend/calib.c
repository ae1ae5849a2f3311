/* --calibration=DIR: the inputs lwcc's post-training quantizer runs the float
 * model on. DIR holds one folder per sample in ONNX's test_data_set layout
 * (input_K.pb for the K-th graph input), read in name order so that the same
 * folder gives the same quantized model. Every tensor must have the input's
 * dtype and static shape; the samples are kept as dense bytes (ctx->calib). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/frontend.h"
#include "frontend/load.h"
#include "include/lwcc/ckd.h"
#include "include/lwcc/lwcc.h"
#include "ir/graph.h"

#define CALIB_MAX_SAMPLES 100000

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The sample folders of dir, sorted by name. */
static LwStatus sample_dirs(Ctx *ctx, const char *dir, const char ***out, uint32_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return diag_error(ctx->diag, "--calibration '%s': not a readable folder", dir);
    Vec(const char *) names = {0};
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        StrBuf p;
        sb_init(&p, ctx->perm);
        sb_printf(&p, "%s/%s", dir, e->d_name);
        if (!is_dir(sb_cstr(&p)))
            continue;
        if (names.len >= CALIB_MAX_SAMPLES) {
            closedir(d);
            return diag_error(ctx->diag, "--calibration '%s': more than %d sample folders", dir,
                              CALIB_MAX_SAMPLES);
        }
        vec_push(ctx->perm, &names, sb_cstr(&p));
    }
    closedir(d);
    if (!names.len)
        return diag_error(ctx->diag, "--calibration '%s' has no sample folders (expected "
                          "DIR/<sample>/input_0.pb, ...)", dir);
    qsort(names.data, names.len, sizeof names.data[0], by_name);
    *out = names.data;
    *n = names.len;
    return LW_OK;
}

LwStatus frontend_calibration(Ctx *ctx)
{
    const char *dir = ctx->opt->calibration;
    Graph *g = ctx->g;
    const char **dirs = NULL;
    uint32_t ns = 0;
    TRY(sample_dirs(ctx, dir, &dirs, &ns));
    uint32_t ni = g->inputs.len;
    if (!ni)
        return diag_error(ctx->diag, "--calibration: the model has no inputs to feed");
    CalibSet *cs = arena_new(ctx->perm, CalibSet);
    const unsigned char **data = arena_array(ctx->perm, const unsigned char *, (size_t)ns * ni);
    if (!cs || !data)
        return diag_error(ctx->diag, "--calibration: out of memory");
    uint64_t total = 0;
    for (uint32_t s = 0; s < ns; s++)
        for (uint32_t k = 0; k < ni; k++) {
            const Value *in = graph_value(g, g->inputs.data[k]);
            StrBuf p;
            sb_init(&p, ctx->perm);
            sb_printf(&p, "%s/input_%u.pb", dirs[s], k);
            Onnx__TensorProto *t;
            TRY(onnx_load_tensor(ctx, sb_cstr(&p), &t));
            TensorVal tv;
            TRY(tensor_decode(ctx, t, dirs[s], &tv));
            if (tv.dtype != in->dtype)
                return diag_error(ctx->diag, "%s: holds %s, input '%s' is %s", sb_cstr(&p),
                                  dtype_name(tv.dtype), in->name, dtype_name(in->dtype));
            if (!shape_equal(&tv.shape, &in->shape))
                return diag_error(ctx->diag, "%s: its shape differs from input '%s' (%llu "
                                  "elements, the input has %llu)", sb_cstr(&p), in->name,
                                  (unsigned long long)shape_count(&tv.shape),
                                  (unsigned long long)shape_count(&in->shape));
            if (!ckd_add_u64(&total, total, tv.bytes) || total > ctx->lim.arena_bytes / 2)
                return diag_error(ctx->diag, "--calibration '%s': the samples are too large "
                                  "(over %llu bytes)", dir,
                                  (unsigned long long)(ctx->lim.arena_bytes / 2));
            data[(size_t)s * ni + k] = tv.data;
            vec_push(ctx->perm, &ctx->deps, arena_strdup(ctx->perm, sb_cstr(&p)));
        }
    cs->nsamples = ns;
    cs->ninputs = ni;
    cs->data = data;
    ctx->calib = cs;
    return LW_OK;
}
