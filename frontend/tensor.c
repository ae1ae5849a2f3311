/* TensorProto -> dense row-major bytes, from raw_data, the typed fields or
 * external data; sizes checked before anything is allocated. */
#include <stdint.h>
#include <string.h>

#include "frontend/frontend.h"
#include "include/lwcc/ckd.h"

static LwStatus bad(Ctx *ctx, const Onnx__TensorProto *t, const char *what)
{
    return diag_error(ctx->diag, "tensor '%s': %s", t->name ? t->name : "", what);
}

LwStatus tensor_decode(Ctx *ctx, const Onnx__TensorProto *t, const char *model_dir,
                       TensorVal *out)
{
    memset(out, 0, sizeof *out);
    DType dt = dtype_from_onnx(t->data_type);
    if (dt == DT_UNDEFINED)
        return diag_error(ctx->diag, "tensor '%s': data type %d is not supported",
                          t->name ? t->name : "", (int)t->data_type);
    if (t->n_dims > LW_MAX_RANK)
        return diag_error(ctx->diag, "tensor '%s': rank %zu is not supported (max %d)",
                          t->name ? t->name : "", t->n_dims, LW_MAX_RANK);
    if (t->segment)
        return bad(ctx, t, "segmented tensors are not supported");
    out->dtype = dt;
    out->shape.rank = (uint8_t)t->n_dims;
    uint64_t n = 1, bytes;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0)
            return bad(ctx, t, "negative dimension");
        out->shape.dims[i] = t->dims[i];
        if (!ckd_mul_u64(&n, n, (uint64_t)t->dims[i]))
            return bad(ctx, t, "element count overflows 64 bits");
    }
    uint32_t es = dtype_size(dt);
    if (!ckd_mul_u64(&bytes, n, es) || bytes > ctx->lim.tensor_bytes)
        return diag_error(ctx->diag, "tensor '%s': %llu elements of %s exceed the limit of %llu "
                          "bytes per tensor", t->name ? t->name : "", (unsigned long long)n,
                          dtype_name(dt), (unsigned long long)ctx->lim.tensor_bytes);
    out->bytes = bytes;
    if (t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        const char *loc = NULL;
        uint64_t off = 0, len = 0;
        int has_len = 0;
        for (size_t i = 0; i < t->n_external_data; i++) {
            const Onnx__StringStringEntryProto *e = t->external_data[i];
            if (!e->key || !e->value)
                continue;
            if (strcmp(e->key, "location") == 0) {
                loc = e->value;
            } else if (strcmp(e->key, "offset") == 0 || strcmp(e->key, "length") == 0) {
                uint64_t v = 0;
                for (const char *p = e->value; *p; p++) {
                    if (*p < '0' || *p > '9' || !ckd_mul_u64(&v, v, 10) ||
                        !ckd_add_u64(&v, v, (uint64_t)(*p - '0')))
                        return bad(ctx, t, "bad external data offset or length");
                }
                if (e->key[0] == 'o') {
                    off = v;
                } else {
                    len = v;
                    has_len = 1;
                }
            }
        }
        if (!loc)
            return bad(ctx, t, "external data without a location");
        if (has_len && len != bytes)
            return bad(ctx, t, "external data length does not match the dims");
        unsigned char *data;
        uint64_t size;
        TRY(extdata_read(ctx, model_dir, loc, off, bytes, 1, t->name ? t->name : "", &data,
                         &size));
        out->data = data;
        return LW_OK;
    }
    if (t->has_raw_data) {
        if (t->raw_data.len != bytes) {
            return diag_error(ctx->diag, "tensor '%s': raw_data holds %zu bytes, dims say %llu",
                              t->name ? t->name : "", t->raw_data.len, (unsigned long long)bytes);
        }
        /* protobuf-c unpacked the message into ctx->perm (frontend/load.c), each
         * bytes field an allocation of its own: the tensor keeps those bytes
         * rather than a second copy of every weight, when they are aligned */
        if (bytes && ((uintptr_t)t->raw_data.data & 15) == 0)
            out->data = t->raw_data.data;
        else
            out->data = bytes ? arena_memdup(ctx->perm, t->raw_data.data, (size_t)bytes)
                              : arena_alloc(ctx->perm, 1);
        if (!out->data)
            return bad(ctx, t, "out of memory");
        return LW_OK;
    }
    size_t have;
    switch (dt) {
    case DT_FLOAT32:
        have = t->n_float_data;
        break;
    case DT_INT64:
        have = t->n_int64_data;
        break;
    case DT_FLOAT64:
        have = t->n_double_data;
        break;
    case DT_UINT32:
    case DT_UINT64:
        have = t->n_uint64_data;
        break;
    default:
        have = t->n_int32_data;
        break;
    }
    if (have != n)
        return diag_error(ctx->diag, "tensor '%s': %zu values stored, dims say %llu",
                          t->name ? t->name : "", have, (unsigned long long)n);
    size_t sz;
    if (!ckd_size(&sz, bytes))
        return bad(ctx, t, "too large");
    unsigned char *p = arena_alloc(ctx->perm, sz ? sz : 1);
    if (!p)
        return bad(ctx, t, "out of memory");
    for (size_t i = 0; i < n; i++) {
        unsigned char *d = p + i * es;
        switch (dt) {
        case DT_FLOAT32:
            memcpy(d, &t->float_data[i], 4);
            break;
        case DT_INT64:
            memcpy(d, &t->int64_data[i], 8);
            break;
        case DT_FLOAT64:
            memcpy(d, &t->double_data[i], 8);
            break;
        case DT_UINT32: {
            uint32_t v = (uint32_t)t->uint64_data[i];
            memcpy(d, &v, 4);
            break;
        }
        case DT_UINT64:
            memcpy(d, &t->uint64_data[i], 8);
            break;
        case DT_INT32:
            memcpy(d, &t->int32_data[i], 4);
            break;
        default: { /* 1- and 2-byte types are stored widened in int32_data */
            uint32_t v = (uint32_t)t->int32_data[i];
            if (es == 1) {
                d[0] = (unsigned char)v;
            } else {
                uint16_t h = (uint16_t)v;
                memcpy(d, &h, 2);
            }
            break;
        }
        }
    }
    out->data = p;
    return LW_OK;
}
