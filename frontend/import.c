/* ModelProto -> Graph: opset imports, initializers, inputs (with --shape and
 * --freeze-input applied), nodes through the op table (local functions
 * inlined, Constant nodes turned into constants), outputs. Every unsupported
 * (domain, op, opset) is collected and reported together. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "frontend/frontend.h"
#include "frontend/importer.h"
#include "frontend/load.h"
#include "include/lwcc/ckd.h"
#include "include/lwcc/lwcc.h"
#include "ir/graph.h"
#include "ops/op.h"

static int64_t opset_of(const Opsets *o, const char *domain)
{
    const char *d = domain ? domain : "";
    for (size_t i = 0; i < o->n; i++) {
        const char *od = o->v[i]->domain ? o->v[i]->domain : "";
        if (strcmp(od, d) == 0 || ((!*od || !strcmp(od, "ai.onnx")) && (!*d || !strcmp(d, "ai.onnx"))))
            return o->v[i]->version;
    }
    return -1;
}

static void note_unsupported(Importer *im, const char *domain, const char *op, int64_t opset,
                             const char *node)
{
    Ctx *ctx = im->ctx;
    for (uint32_t i = 0; i < im->unsup.len; i++) {
        Unsupported *u = &im->unsup.data[i];
        if (!strcmp(u->domain, domain) && !strcmp(u->op, op) && u->opset == opset) {
            if (u->count < 4) {
                sb_puts(&u->names, ", '");
                sb_puts(&u->names, node);
                sb_putc(&u->names, '\'');
            } else if (u->count == 4) {
                sb_puts(&u->names, ", ...");
            }
            u->count++;
            return;
        }
    }
    Unsupported u;
    u.domain = domain;
    u.op = op;
    u.opset = opset;
    u.count = 1;
    sb_init(&u.names, ctx->perm);
    sb_putc(&u.names, '\'');
    sb_puts(&u.names, node);
    sb_putc(&u.names, '\'');
    vec_push(ctx->perm, &im->unsup, u);
}

static int cmp_unsup(const void *a, const void *b)
{
    const Unsupported *x = a, *y = b;
    int c = strcmp(x->domain, y->domain);
    if (c)
        return c;
    c = strcmp(x->op, y->op);
    if (c)
        return c;
    return (x->opset > y->opset) - (x->opset < y->opset);
}

/* --- types of graph inputs --- */
static LwStatus value_type(Importer *im, const Onnx__ValueInfoProto *vi, DType *dt, Shape *s,
                           const char ***params, int *has_shape)
{
    Ctx *ctx = im->ctx;
    const char *name = vi->name ? vi->name : "";
    *has_shape = 0;
    if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return diag_error(ctx->diag, "value '%s': only tensor types are supported", name);
    const Onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
    *dt = dtype_from_onnx(tt->elem_type);
    if (*dt == DT_UNDEFINED)
        return diag_error(ctx->diag, "value '%s': element type %d is not supported", name,
                          (int)tt->elem_type);
    memset(s, 0, sizeof *s);
    *params = NULL;
    if (!tt->shape)
        return LW_OK;
    *has_shape = 1;
    if (tt->shape->n_dim > LW_MAX_RANK)
        return diag_error(ctx->diag, "value '%s': rank %zu is not supported (max %d)", name,
                          tt->shape->n_dim, LW_MAX_RANK);
    s->rank = (uint8_t)tt->shape->n_dim;
    const char **p = arena_array(ctx->perm, const char *, LW_MAX_RANK);
    int any = 0;
    for (size_t i = 0; i < tt->shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value < 0)
                return diag_error(ctx->diag, "value '%s': negative dim %lld", name,
                                  (long long)d->dim_value);
            s->dims[i] = d->dim_value;
        } else {
            s->dims[i] = -1;
            p[i] = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                       ? d->dim_param
                       : "?";
            any = 1;
        }
    }
    if (any)
        *params = p;
    return LW_OK;
}

static const LwShapeOpt *find_shape_opt(const LwOptions *o, const char *name)
{
    for (uint32_t i = 0; i < o->nshapes; i++)
        if (!strcmp(o->shapes[i].name, name))
            return &o->shapes[i];
    return NULL;
}

static const LwFreezeOpt *find_freeze_opt(const LwOptions *o, const char *name)
{
    for (uint32_t i = 0; i < o->nfreezes; i++)
        if (!strcmp(o->freezes[i].name, name))
            return &o->freezes[i];
    return NULL;
}

/* Symbolic dims with no --shape: bind them from the example inputs stored
 * beside the model in ONNX's test_data_set_0/input_K.pb layout, when present
 * (K counts the non-initializer graph inputs). Returns 1 when bound. */
static int shape_from_example(Importer *im, uint32_t k, const char *name, Shape *s)
{
    Ctx *ctx = im->ctx;
    StrBuf path;
    sb_init(&path, ctx->scratch);
    sb_printf(&path, "%s/test_data_set_0/input_%u.pb", im->model_dir, k);
    FILE *f = fopen(sb_cstr(&path), "rb");
    if (!f)
        return 0;
    fclose(f);
    uint32_t errors = ctx->diag->errors;
    Onnx__TensorProto *t;
    if (onnx_load_tensor(ctx, sb_cstr(&path), &t) != LW_OK || t->n_dims != s->rank) {
        ctx->diag->errors = errors;
        return 0;
    }
    for (size_t i = 0; i < t->n_dims; i++)
        if (t->dims[i] < 0 || (s->dims[i] >= 0 && s->dims[i] != t->dims[i]))
            return 0;
    StrBuf dims;
    sb_init(&dims, ctx->scratch);
    for (size_t i = 0; i < t->n_dims; i++) {
        s->dims[i] = t->dims[i];
        if (i)
            sb_putc(&dims, 'x');
        sb_i64(&dims, t->dims[i]);
    }
    diag_note(ctx->diag, "input '%s': symbolic dims bound from test_data_set_0/input_%u.pb "
              "(%s); pass --shape %s:DIMS to choose others", name, k, sb_cstr(&dims), name);
    return 1;
}

static LwStatus add_input(Importer *im, const Onnx__ValueInfoProto *vi, StrMap *names)
{
    Ctx *ctx = im->ctx;
    DType dt;
    Shape s;
    const char **params;
    int has_shape;
    const char *name = vi->name ? vi->name : "";
    TRY(value_type(im, vi, &dt, &s, &params, &has_shape));
    const LwFreezeOpt *fz = find_freeze_opt(ctx->opt, name);
    if (fz) {
        Onnx__TensorProto *t;
        TRY(onnx_load_tensor(ctx, fz->path, &t));
        vec_push(ctx->perm, &ctx->deps, fz->path);
        TensorVal tv;
        TRY(tensor_decode(ctx, t, im->model_dir, &tv));
        if (tv.dtype != dt)
            return diag_error(ctx->diag, "--freeze-input %s: the file holds %s, the input is %s",
                              name, dtype_name(tv.dtype), dtype_name(dt));
        if (has_shape && tv.shape.rank != s.rank)
            return diag_error(ctx->diag, "--freeze-input %s: the file has rank %u, the input %u",
                              name, tv.shape.rank, s.rank);
        for (int i = 0; has_shape && i < s.rank; i++)
            if (s.dims[i] >= 0 && s.dims[i] != tv.shape.dims[i])
                return diag_error(ctx->diag, "--freeze-input %s: dim %d is %lld in the file, "
                                  "%lld in the model", name, i, (long long)tv.shape.dims[i],
                                  (long long)s.dims[i]);
        ValueId v = graph_add_const(ctx->perm, im->g, name, dt, &tv.shape, tv.data, tv.bytes);
        graph_value(im->g, v)->flags |= VF_FROZEN;
        strmap_put(names, name, v);
        return LW_OK;
    }
    const LwShapeOpt *so = find_shape_opt(ctx->opt, name);
    if (so) {
        if (has_shape && so->rank != s.rank)
            return diag_error(ctx->diag, "--shape %s: %u dims given, the input has rank %u", name,
                              so->rank, s.rank);
        for (int i = 0; i < so->rank; i++) {
            if (has_shape && s.dims[i] >= 0 && s.dims[i] != so->dims[i])
                return diag_error(ctx->diag, "--shape %s: dim %d is %lld in the model, %lld "
                                  "given", name, i, (long long)s.dims[i],
                                  (long long)so->dims[i]);
            s.dims[i] = so->dims[i];
        }
        s.rank = so->rank;
        has_shape = 1;
        params = NULL;
    }
    if (!has_shape)
        return diag_error(ctx->diag, "input '%s' has no shape; pass --shape %s:DIMS", name, name);
    if (!so && !shape_is_static(&s))
        shape_from_example(im, im->g->inputs.len, name, &s);
    for (int i = 0; i < s.rank; i++)
        if (s.dims[i] < 0) {
            StrBuf sb;
            sb_init(&sb, ctx->scratch);
            for (int k = 0; k < s.rank; k++) {
                if (k)
                    sb_putc(&sb, 'x');
                sb_i64(&sb, s.dims[k] < 0 ? 1 : s.dims[k]);
            }
            return diag_error(ctx->diag, "input '%s': dim %d is symbolic ('%s'); pass --shape "
                              "%s:%s", name, i, params && params[i] ? params[i] : "?", name,
                              sb_cstr(&sb));
        }
    uint64_t cnt, bytes;
    if (!shape_numel(&s, &cnt) || !ckd_mul_u64(&bytes, cnt, dtype_size(dt)) ||
        bytes > ctx->lim.tensor_bytes)
        return diag_error(ctx->diag, "input '%s': its size overflows or exceeds the limit", name);
    ValueId v = graph_add_value(ctx->perm, im->g, name, dt);
    Value *val = graph_value(im->g, v);
    val->kind = VK_INPUT;
    val->shape = s;
    val->flags |= VF_SHAPED;
    strmap_put(names, name, v);
    vec_push(ctx->perm, &im->g->inputs, v);
    return LW_OK;
}

/* --- nodes --- */

int import_lookup(const Scope *sc, const char *name, uint32_t *v)
{
    for (; sc; sc = sc->parent)
        if (strmap_get(sc->names, name, v))
            return 1;
    return 0;
}

static const Onnx__FunctionProto *find_function(const Importer *im, const char *domain,
                                                const char *op)
{
    for (size_t i = 0; i < im->m->n_functions; i++) {
        const Onnx__FunctionProto *f = im->m->functions[i];
        if (f->name && !strcmp(f->name, op) && !strcmp(f->domain ? f->domain : "", domain))
            return f;
    }
    return NULL;
}

LwStatus import_define(Importer *im, Scope *sc, const SrcLoc *loc, const char *name, ValueId v)
{
    uint32_t old;
    if (strmap_get(sc->names, name, &old))
        return diag_at(im->ctx->diag, loc, "output '%s' is already defined (values must have one "
                       "definition)", name);
    strmap_put(sc->names, name, v);
    return LW_OK;
}

const char *import_scoped_name(Importer *im, const Scope *sc, const char *name)
{
    if (!sc->prefix || !*sc->prefix)
        return name;
    size_t a = strlen(sc->prefix), b = strlen(name);
    char *s = arena_array(im->ctx->perm, char, a + b + 2);
    memcpy(s, sc->prefix, a);
    s[a] = '/';
    memcpy(s + a + 1, name, b + 1);
    return s;
}

static LwStatus import_constant(Importer *im, Scope *sc, const SrcLoc *loc,
                                const Onnx__NodeProto *np)
{
    Ctx *ctx = im->ctx;
    AttrList al;
    TRY(attrs_convert(ctx, loc, np->attribute, np->n_attribute, sc->caller, im->model_dir, &al));
    if (np->n_output != 1 || al.n != 1)
        return diag_at(ctx->diag, loc, "Constant needs one output and exactly one value attribute");
    const Attr *a = &al.a[0];
    TensorVal tv;
    memset(&tv, 0, sizeof tv);
    if (!strcmp(a->name, "value") && a->type == AT_TENSOR) {
        tv = *a->t;
    } else if (!strcmp(a->name, "value_float") && a->type == AT_FLOAT) {
        tv.dtype = DT_FLOAT32;
        tv.data = arena_memdup(ctx->perm, &a->f, 4);
        tv.bytes = 4;
    } else if (!strcmp(a->name, "value_int") && a->type == AT_INT) {
        tv.dtype = DT_INT64;
        tv.data = arena_memdup(ctx->perm, &a->i, 8);
        tv.bytes = 8;
    } else if (!strcmp(a->name, "value_floats") && a->type == AT_FLOATS) {
        tv.dtype = DT_FLOAT32;
        tv.shape.rank = 1;
        tv.shape.dims[0] = a->n;
        tv.data = arena_memdup(ctx->perm, a->floats, (size_t)a->n * 4);
        tv.bytes = (uint64_t)a->n * 4;
    } else if (!strcmp(a->name, "value_ints") && a->type == AT_INTS) {
        tv.dtype = DT_INT64;
        tv.shape.rank = 1;
        tv.shape.dims[0] = a->n;
        tv.data = arena_memdup(ctx->perm, a->ints, (size_t)a->n * 8);
        tv.bytes = (uint64_t)a->n * 8;
    } else {
        return diag_at(ctx->diag, loc, "Constant attribute '%s' is not supported", a->name);
    }
    const char *name = np->output[0] ? np->output[0] : "";
    ValueId v = graph_add_const(ctx->perm, im->g, import_scoped_name(im, sc, name), tv.dtype, &tv.shape,
                                tv.data, tv.bytes);
    return import_define(im, sc, loc, name, v);
}

static LwStatus inline_function(Importer *im, Scope *sc, const SrcLoc *loc,
                                const Onnx__NodeProto *np, const Onnx__FunctionProto *f)
{
    Ctx *ctx = im->ctx;
    if (sc->depth + 1 > ctx->lim.fn_depth)
        return diag_at(ctx->diag, loc, "local functions nest deeper than %u", ctx->lim.fn_depth);
    if (np->n_input > f->n_input || np->n_output > f->n_output)
        return diag_at(ctx->diag, loc, "call has more inputs or outputs than function '%s'",
                       f->name);
    AttrList al;
    TRY(attrs_convert(ctx, loc, np->attribute, np->n_attribute, sc->caller, im->model_dir, &al));
    /* defaults from the function's attribute_proto (IR 9) for what the call omits */
    AttrList defs;
    TRY(attrs_convert(ctx, loc, f->attribute_proto, f->n_attribute_proto, NULL, im->model_dir,
                      &defs));
    AttrList *all = arena_new(ctx->perm, AttrList);
    all->a = arena_array(ctx->perm, Attr, (size_t)al.n + defs.n + 1);
    for (uint32_t i = 0; i < al.n; i++)
        all->a[all->n++] = al.a[i];
    for (uint32_t i = 0; i < defs.n; i++)
        if (!attr_find(&al, defs.a[i].name))
            all->a[all->n++] = defs.a[i];
    StrMap *names = arena_new(ctx->perm, StrMap);
    strmap_init(names, ctx->perm);
    for (size_t i = 0; i < f->n_input; i++) {
        uint32_t v = 0;
        if (i < np->n_input && np->input[i] && *np->input[i] &&
            !import_lookup(sc, np->input[i], &v))
            return diag_at(ctx->diag, loc, "input '%s' is not defined", np->input[i]);
        strmap_put(names, f->input[i], v);
    }
    Scope inner;
    inner.parent = NULL; /* function bodies see only their inputs */
    inner.names = names;
    inner.opsets.v = f->opset_import;
    inner.opsets.n = f->n_opset_import;
    if (!f->n_opset_import)
        inner.opsets = sc->opsets;
    inner.caller = all;
    StrBuf chain;
    sb_init(&chain, ctx->perm);
    if (sc->chain && *sc->chain) {
        sb_puts(&chain, sc->chain);
        sb_puts(&chain, " <- ");
    }
    sb_puts(&chain, f->name);
    sb_puts(&chain, " (called by '");
    sb_puts(&chain, loc->name);
    sb_puts(&chain, "')");
    inner.chain = sb_cstr(&chain);
    inner.prefix = import_scoped_name(im, sc, loc->name && *loc->name ? loc->name : f->name);
    inner.depth = sc->depth + 1;
    TRY(import_nodes(im, f->node, f->n_node, &inner));
    for (size_t j = 0; j < np->n_output; j++) {
        if (!np->output[j] || !*np->output[j])
            continue;
        uint32_t v;
        if (!strmap_get(names, f->output[j], &v))
            return diag_at(ctx->diag, loc, "function '%s' does not define its output '%s'",
                           f->name, f->output[j]);
        TRY(import_define(im, sc, loc, np->output[j], v));
    }
    return LW_OK;
}

static LwStatus import_node(Importer *im, Scope *sc, const Onnx__NodeProto *np, size_t index)
{
    Ctx *ctx = im->ctx;
    SrcLoc loc;
    loc.name = np->name && *np->name ? np->name : "";
    loc.op_type = np->op_type ? np->op_type : "";
    loc.domain = np->domain ? np->domain : "";
    loc.chain = sc->chain;
    loc.opset = opset_of(&sc->opsets, loc.domain);
    if (!*loc.name) {
        StrBuf sb;
        sb_init(&sb, ctx->perm);
        sb_printf(&sb, "#%zu:%s", index, loc.op_type);
        loc.name = sb_cstr(&sb);
    }
    if (!*loc.op_type)
        return diag_at(ctx->diag, &loc, "node has no op_type");
    const Onnx__FunctionProto *f = find_function(im, loc.domain, loc.op_type);
    if (f)
        return inline_function(im, sc, &loc, np, f);
    if (loc.opset < 0) {
        note_unsupported(im, *loc.domain ? loc.domain : "ai.onnx", loc.op_type, -1, loc.name);
        return LW_OK;
    }
    int std_domain = !*loc.domain || !strcmp(loc.domain, "ai.onnx");
    if (std_domain && !strcmp(loc.op_type, "Constant"))
        return import_constant(im, sc, &loc, np);
    if (std_domain && (!strcmp(loc.op_type, "If") || !strcmp(loc.op_type, "Loop") ||
                       !strcmp(loc.op_type, "Scan")))
        return import_control(im, sc, &loc, np);
    int known;
    const OpDef *op = op_lookup(loc.domain, loc.op_type, loc.opset, &known);
    /* inputs */
    size_t nin = np->n_input, nout = np->n_output;
    while (nout > 0 && (!np->output[nout - 1] || !*np->output[nout - 1]))
        nout--;
    if (nin > 255 || nout > 255)
        return diag_at(ctx->diag, &loc, "too many inputs or outputs");
    ValueId in[256];
    for (size_t i = 0; i < nin; i++) {
        uint32_t v = 0;
        const char *nm = np->input[i] ? np->input[i] : "";
        if (*nm && !import_lookup(sc, nm, &v))
            return diag_at(ctx->diag, &loc, "input '%s' is not defined by any node, initializer "
                           "or graph input (or is used before it is defined in a cycle)", nm);
        in[i] = v;
    }
    if (!op) {
        note_unsupported(im, *loc.domain ? loc.domain : "ai.onnx", loc.op_type, loc.opset,
                         loc.name);
        /* still define the outputs so later nodes find them */
        for (size_t j = 0; j < nout; j++) {
            if (!np->output[j] || !*np->output[j])
                continue;
            ValueId v = graph_add_value(ctx->perm, im->g, np->output[j], DT_UNDEFINED);
            uint32_t old;
            if (strmap_get(sc->names, np->output[j], &old))
                return diag_at(ctx->diag, &loc, "output '%s' is already defined", np->output[j]);
            strmap_put(sc->names, np->output[j], v);
        }
        return LW_OK;
    }
    if (nin < op->min_in || nin > op->max_in || nout < op->min_out || nout > op->max_out)
        return diag_at(ctx->diag, &loc, "%zu inputs and %zu outputs; the op takes %u-%u inputs "
                       "and %u-%u outputs", nin, nout, op->min_in, op->max_in, op->min_out,
                       op->max_out);
    for (size_t i = 0; i < op->min_in && i < nin; i++)
        if (!in[i])
            return diag_at(ctx->diag, &loc, "required input %zu is empty", i);
    const char **outnames = arena_array(ctx->perm, const char *, nout ? nout : 1);
    for (size_t j = 0; j < nout; j++)
        outnames[j] = np->output[j] && *np->output[j] ? import_scoped_name(im, sc, np->output[j]) : "";
    NodeId id = graph_add_node(ctx->perm, im->g, op, &loc, (uint16_t)nin, in, (uint16_t)nout,
                               outnames);
    for (size_t j = 0; j < nout; j++) {
        if (!np->output[j] || !*np->output[j]) {
            graph_node(im->g, id)->out[j] = 0;
            continue;
        }
        TRY(import_define(im, sc, &loc, np->output[j], graph_node(im->g, id)->out[j]));
    }
    AttrList al;
    TRY(attrs_convert(ctx, &loc, np->attribute, np->n_attribute, sc->caller, im->model_dir, &al));
    AttrList *src = arena_new(ctx->perm, AttrList);
    *src = al;
    graph_node(im->g, id)->src = src;
    TRY(op->import(ctx, graph_node(im->g, id), &al));
    if (im->g->nodes.len > ctx->lim.nodes)
        return diag_error(ctx->diag, "more than %u nodes", ctx->lim.nodes);
    return LW_OK;
}

LwStatus import_nodes(Importer *im, Onnx__NodeProto **nodes, size_t nn, Scope *sc)
{
    LwStatus st = LW_OK;
    for (size_t i = 0; i < nn; i++) {
        LwStatus s = import_node(im, sc, nodes[i], i);
        if (s != LW_OK) {
            st = s;
            im->errors++;
            if (im->errors >= 20)
                return st;
        }
    }
    return st;
}

static char *dir_of(Arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return arena_strdup(a, ".");
    if (slash == path)
        return arena_strdup(a, "/");
    return arena_strndup(a, path, (size_t)(slash - path));
}

LwStatus frontend_import(Ctx *ctx)
{
    Onnx__ModelProto *m;
    TRY(onnx_load_model(ctx, ctx->opt->input, &m));
    Importer im;
    memset(&im, 0, sizeof im);
    im.ctx = ctx;
    im.m = m;
    im.g = graph_new(ctx->perm);
    im.model_dir = dir_of(ctx->perm, ctx->opt->input);
    ctx->g = im.g;
    const Onnx__GraphProto *gp = m->graph;
    StrMap names;
    strmap_init(&names, ctx->perm);
    Scope sc;
    memset(&sc, 0, sizeof sc);
    sc.names = &names;
    sc.opsets.v = m->opset_import;
    sc.opsets.n = m->n_opset_import;
    sc.chain = "";
    sc.prefix = "";
    if (m->n_opset_import == 0) /* IR 1-2 models have no opset_import: opset 1 */
        sc.opsets.n = 0;
    if (gp->n_sparse_initializer)
        return diag_error(ctx->diag, "sparse initializers are not supported");
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *t = gp->initializer[i];
        if (!t->name || !*t->name)
            return diag_error(ctx->diag, "initializer %zu has no name", i);
        TensorVal tv;
        TRY(tensor_decode(ctx, t, im.model_dir, &tv));
        ValueId v = graph_add_const(ctx->perm, im.g, t->name, tv.dtype, &tv.shape, tv.data,
                                    tv.bytes);
        uint32_t old;
        if (strmap_get(&names, t->name, &old))
            return diag_error(ctx->diag, "initializer '%s' is defined twice", t->name);
        strmap_put(&names, t->name, v);
    }
    for (uint32_t i = 0; i < ctx->opt->nfreezes + ctx->opt->nshapes; i++) {
        const char *want = i < ctx->opt->nfreezes ? ctx->opt->freezes[i].name
                                                  : ctx->opt->shapes[i - ctx->opt->nfreezes].name;
        int found = 0;
        for (size_t k = 0; k < gp->n_input && !found; k++)
            found = gp->input[k]->name && !strcmp(gp->input[k]->name, want);
        if (!found)
            return diag_error(ctx->diag, "%s names '%s', which is not a graph input",
                              i < ctx->opt->nfreezes ? "--freeze-input" : "--shape", want);
    }
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        uint32_t old;
        if (!vi->name || !*vi->name)
            return diag_error(ctx->diag, "graph input %zu has no name", i);
        if (strmap_get(&names, vi->name, &old)) {
            if (graph_value(im.g, old)->kind == VK_CONST)
                continue; /* an initializer with a default: constant for inference */
            return diag_error(ctx->diag, "graph input '%s' is listed twice", vi->name);
        }
        TRY(add_input(&im, vi, &names));
    }
    LwStatus st = import_nodes(&im, gp->node, gp->n_node, &sc);
    if (im.unsup.len) {
        qsort(im.unsup.data, im.unsup.len, sizeof(Unsupported), cmp_unsup);
        diag_error(ctx->diag, "%u unsupported operator%s", im.unsup.len,
                   im.unsup.len > 1 ? "s" : "");
        for (uint32_t i = 0; i < im.unsup.len; i++) {
            Unsupported *u = &im.unsup.data[i];
            if (u->opset < 0)
                diag_note(ctx->diag, "%s %s (domain not imported by the model), %u node%s: %s",
                          u->domain, u->op, u->count, u->count > 1 ? "s" : "",
                          sb_cstr(&u->names));
            else
                diag_note(ctx->diag, "%s %s (opset %lld), %u node%s: %s", u->domain, u->op,
                          (long long)u->opset, u->count, u->count > 1 ? "s" : "",
                          sb_cstr(&u->names));
        }
        return LW_ERR_MODEL;
    }
    TRY(st);
    if (gp->n_output == 0)
        return diag_error(ctx->diag, "the graph has no outputs");
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *nm = gp->output[i]->name ? gp->output[i]->name : "";
        uint32_t v;
        if (!strmap_get(&names, nm, &v))
            return diag_error(ctx->diag, "graph output '%s' is not defined", nm);
        vec_push(ctx->perm, &im.g->outputs, v);
        graph_value(im.g, v)->flags |= VF_GRAPH_OUTPUT;
    }
    /* value_info shapes: hints cross-checked when shapes are inferred */
    for (size_t i = 0; i < gp->n_value_info; i++) {
        const Onnx__ValueInfoProto *vi = gp->value_info[i];
        uint32_t v;
        DType dt;
        Shape s;
        const char **params;
        int has;
        if (!vi->name || !strmap_get(&names, vi->name, &v))
            continue;
        Value *val = graph_value(im.g, v);
        if (val->kind != VK_NODE || !vi->type ||
            vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
            continue;
        if (value_type(&im, vi, &dt, &s, &params, &has) != LW_OK) {
            ctx->diag->errors--; /* hints only */
            continue;
        }
        if (!has)
            continue;
        val->shape = s;
        val->dtype = dt;
        val->flags |= VF_SHAPE_HINT;
    }
    TRY(graph_toposort(ctx, im.g));
    return LW_OK;
}
