/* AttributeProto -> AttrList (ir/attr.h); ref_attr_name resolved from the
 * calling node's attributes inside local functions. */
#include <string.h>

#include "frontend/frontend.h"

static AttrType type_of(const Onnx__AttributeProto *p)
{
    switch (p->type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
        return AT_FLOAT;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
        return AT_INT;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
        return AT_STRING;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
        return AT_TENSOR;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
        return AT_GRAPH;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        return AT_FLOATS;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        return AT_INTS;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
        return AT_STRINGS;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS:
        return AT_TENSORS;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
        return AT_GRAPHS;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS:
        return AT_SPARSE;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS:
        return AT_TYPE;
    default:
        break;
    }
    /* IR < 2 models may omit `type`: infer it from the field that is set */
    if (p->has_f)
        return AT_FLOAT;
    if (p->has_i)
        return AT_INT;
    if (p->has_s)
        return AT_STRING;
    if (p->t)
        return AT_TENSOR;
    if (p->g)
        return AT_GRAPH;
    if (p->n_floats)
        return AT_FLOATS;
    if (p->n_ints)
        return AT_INTS;
    if (p->n_strings)
        return AT_STRINGS;
    return AT_UNDEFINED;
}

LwStatus attrs_convert(Ctx *ctx, const SrcLoc *loc, Onnx__AttributeProto **in, size_t n,
                       const AttrList *caller, const char *model_dir, AttrList *out)
{
    out->a = arena_array(ctx->perm, Attr, n ? n : 1);
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        const Onnx__AttributeProto *p = in[i];
        if (!p->name || !*p->name)
            return diag_at(ctx->diag, loc, "attribute %zu has no name", i);
        for (uint32_t j = 0; j < out->n; j++)
            if (strcmp(out->a[j].name, p->name) == 0)
                return diag_at(ctx->diag, loc, "attribute '%s' is given twice", p->name);
        if (p->ref_attr_name && *p->ref_attr_name) {
            const Attr *r = caller ? attr_find(caller, p->ref_attr_name) : NULL;
            if (!r)
                continue; /* not given by the caller: the attribute is absent */
            Attr a = *r;
            a.name = p->name;
            a.used = 0;
            out->a[out->n++] = a;
            continue;
        }
        Attr *a = &out->a[out->n];
        memset(a, 0, sizeof *a);
        a->name = p->name;
        a->type = type_of(p);
        switch (a->type) {
        case AT_FLOAT:
            a->f = p->f;
            break;
        case AT_INT:
            a->i = p->i;
            break;
        case AT_STRING:
            a->s = arena_strndup(ctx->perm, (const char *)p->s.data, p->s.len);
            a->slen = p->s.len;
            break;
        case AT_FLOATS:
            a->floats = p->floats;
            a->n = (uint32_t)p->n_floats;
            break;
        case AT_INTS:
            a->ints = p->ints;
            a->n = (uint32_t)p->n_ints;
            break;
        case AT_STRINGS: {
            const char **s = arena_array(ctx->perm, const char *, p->n_strings ? p->n_strings : 1);
            for (size_t k = 0; k < p->n_strings; k++)
                s[k] = arena_strndup(ctx->perm, (const char *)p->strings[k].data,
                                     p->strings[k].len);
            a->strings = s;
            a->n = (uint32_t)p->n_strings;
            break;
        }
        case AT_TENSOR: {
            if (!p->t)
                return diag_at(ctx->diag, loc, "attribute '%s' has no tensor", p->name);
            TensorVal *t = arena_new(ctx->perm, TensorVal);
            TRY(tensor_decode(ctx, p->t, model_dir, t));
            a->t = t;
            break;
        }
        case AT_GRAPH:
            a->graph = p->g;
            break;
        case AT_UNDEFINED:
            return diag_at(ctx->diag, loc, "attribute '%s' has no value", p->name);
        default:
            break; /* kept with its type; ops that read it report the type */
        }
        out->n++;
    }
    return LW_OK;
}
