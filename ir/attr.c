/* Typed attribute getters with diagnostics on the node. */
#include "ir/attr.h"

#include <string.h>

static const char *const type_names[] = {
    "undefined", "float", "int", "string", "tensor", "graph", "floats",
    "ints", "strings", "tensors", "graphs", "sparse tensor", "type"};

const Attr *attr_find(const AttrList *al, const char *name)
{
    for (uint32_t i = 0; i < al->n; i++)
        if (strcmp(al->a[i].name, name) == 0)
            return &al->a[i];
    return NULL;
}

static LwStatus get(Ctx *ctx, const SrcLoc *loc, const AttrList *al, const char *name,
                    AttrType want, const Attr **out)
{
    const Attr *a = attr_find(al, name);
    *out = NULL;
    if (!a)
        return LW_OK;
    ((Attr *)a)->used = 1;
    if (a->type != want)
        return diag_at(ctx->diag, loc, "attribute '%s' is of type %s, expected %s", name,
                       type_names[a->type], type_names[want]);
    *out = a;
    return LW_OK;
}

LwStatus attr_int(Ctx *ctx, const SrcLoc *loc, const AttrList *al, const char *name, int64_t def,
                  int64_t *out)
{
    const Attr *a;
    TRY(get(ctx, loc, al, name, AT_INT, &a));
    *out = a ? a->i : def;
    return LW_OK;
}

LwStatus attr_float(Ctx *ctx, const SrcLoc *loc, const AttrList *al, const char *name, float def,
                    float *out)
{
    const Attr *a;
    TRY(get(ctx, loc, al, name, AT_FLOAT, &a));
    *out = a ? a->f : def;
    return LW_OK;
}

LwStatus attr_string(Ctx *ctx, const SrcLoc *loc, const AttrList *al, const char *name,
                     const char *def, const char **out)
{
    const Attr *a;
    TRY(get(ctx, loc, al, name, AT_STRING, &a));
    *out = a ? a->s : def;
    return LW_OK;
}

LwStatus attr_ints(Ctx *ctx, const SrcLoc *loc, const AttrList *al, const char *name,
                   int64_t *out, uint32_t max, uint32_t *n)
{
    const Attr *a;
    TRY(get(ctx, loc, al, name, AT_INTS, &a));
    *n = 0;
    if (!a)
        return LW_OK;
    if (a->n > max)
        return diag_at(ctx->diag, loc, "attribute '%s' has %u entries, at most %u supported",
                       name, a->n, max);
    for (uint32_t i = 0; i < a->n; i++)
        out[i] = a->ints[i];
    *n = a->n;
    return LW_OK;
}

LwStatus attr_ints_ref(Ctx *ctx, const SrcLoc *loc, const AttrList *al, const char *name,
                       const int64_t **out, uint32_t *n)
{
    const Attr *a;
    TRY(get(ctx, loc, al, name, AT_INTS, &a));
    *out = a ? a->ints : NULL;
    *n = a ? a->n : 0;
    return LW_OK;
}

LwStatus attr_floats_ref(Ctx *ctx, const SrcLoc *loc, const AttrList *al, const char *name,
                         const float **out, uint32_t *n)
{
    const Attr *a;
    TRY(get(ctx, loc, al, name, AT_FLOATS, &a));
    *out = a ? a->floats : NULL;
    *n = a ? a->n : 0;
    return LW_OK;
}

LwStatus attr_tensor(Ctx *ctx, const SrcLoc *loc, const AttrList *al, const char *name,
                     const TensorVal **out)
{
    const Attr *a;
    TRY(get(ctx, loc, al, name, AT_TENSOR, &a));
    *out = a ? a->t : NULL;
    return LW_OK;
}

LwStatus attr_check_unused(Ctx *ctx, const SrcLoc *loc, const AttrList *al)
{
    LwStatus st = LW_OK;
    for (uint32_t i = 0; i < al->n; i++)
        if (!al->a[i].used)
            st = diag_at(ctx->diag, loc, "attribute '%s' is not supported for this op",
                         al->a[i].name);
    return st;
}
