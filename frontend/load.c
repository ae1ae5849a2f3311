/* Loading ONNX protobuf files: read under ctx->lim.file_bytes, pre-scan the
 * wire format (prescan.c), then unpack with protobuf-c through an allocator on
 * ctx->perm that stops at ctx->lim.arena_bytes. */
#include "frontend/load.h"

#include "base/fileio.h"
#include "frontend/prescan.h"
#include "include/lwcc/ckd.h"
#include "include/lwcc/ctx.h"

/* protobuf-c's allocator over an arena with a byte cap. Going over the cap
 * returns NULL, which protobuf-c turns into a failed unpack; `over` tells
 * that failure apart from bad data. */
typedef struct PbArena {
    Arena *arena;
    uint64_t limit; /* cap on arena->used */
    int over;
} PbArena;

typedef enum LoadKind { LOAD_MODEL, LOAD_TENSOR } LoadKind;

static void *pb_alloc(void *data, size_t size)
{
    PbArena *pa = data;
    uint64_t end;
    if (!ckd_add_u64(&end, pa->arena->used, size) || end > pa->limit) {
        pa->over = 1;
        return NULL;
    }
    void *p = arena_alloc(pa->arena, size ? size : 1);
    if (!p)
        pa->over = 1;
    return p;
}

/* The arena frees everything at once; single objects are never freed. */
static void pb_free(void *data, void *p)
{
    (void)data;
    (void)p;
}

static LwStatus unpack(Ctx *ctx, Diag *d, const unsigned char *buf, size_t len, LoadKind kind,
                       void **out)
{
    const char *what = kind == LOAD_MODEL ? "not an ONNX model" : "not an ONNX tensor";
    if (kind == LOAD_MODEL)
        TRY(prescan_model(d, buf, len, &ctx->lim));
    else
        TRY(prescan_tensor(d, buf, len, &ctx->lim));

    ArenaMark mark = arena_mark(ctx->perm);
    PbArena pa = {ctx->perm, ctx->lim.arena_bytes ? ctx->lim.arena_bytes : UINT64_MAX, 0};
    ProtobufCAllocator al = {pb_alloc, pb_free, &pa};
    void *m = kind == LOAD_MODEL ? (void *)onnx__model_proto__unpack(&al, len, buf)
                                 : (void *)onnx__tensor_proto__unpack(&al, len, buf);
    if (!m) {
        arena_reset(ctx->perm, mark); /* drop what the failed unpack allocated */
        if (pa.over)
            return diag_error(d, "unpacking needs more than the limit of %llu bytes of memory",
                              (unsigned long long)pa.limit);
        return diag_error(d, "%s: protobuf-c cannot decode it (wrong wire type or bad packed data)",
                          what);
    }
    if (kind == LOAD_MODEL && !((Onnx__ModelProto *)m)->graph) {
        arena_reset(ctx->perm, mark);
        return diag_error(d, "%s: it has no graph", what);
    }
    *out = m;
    return LW_OK;
}

/* Reads `path` into ctx->scratch (released before returning: protobuf-c
 * copies what it keeps) and unpacks it; diagnostics name `path`. */
static LwStatus load_file(Ctx *ctx, const char *path, LoadKind kind, void **out)
{
    Diag fd = *ctx->diag;
    fd.file = path;
    ArenaMark mark = arena_mark(ctx->scratch);
    unsigned char *buf = NULL;
    size_t len = 0;
    LwStatus st = file_read(ctx->scratch, &fd, path, ctx->lim.file_bytes, &buf, &len);
    if (st == LW_OK)
        st = unpack(ctx, &fd, buf, len, kind, out);
    arena_reset(ctx->scratch, mark);
    ctx->diag->errors = fd.errors;
    ctx->diag->warnings = fd.warnings;
    return st;
}

LwStatus onnx_load_model_mem(Ctx *ctx, const unsigned char *buf, size_t len, Onnx__ModelProto **out)
{
    void *m = NULL;
    TRY(unpack(ctx, ctx->diag, buf, len, LOAD_MODEL, &m));
    *out = m;
    return LW_OK;
}

LwStatus onnx_load_model(Ctx *ctx, const char *path, Onnx__ModelProto **out)
{
    void *m = NULL;
    TRY(load_file(ctx, path, LOAD_MODEL, &m));
    *out = m;
    return LW_OK;
}

LwStatus onnx_load_tensor(Ctx *ctx, const char *path, Onnx__TensorProto **out)
{
    void *m = NULL;
    TRY(load_file(ctx, path, LOAD_TENSOR, &m));
    *out = m;
    return LW_OK;
}
