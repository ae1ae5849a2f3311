/* If, Loop and Scan, unrolled at import: If with a constant condition imports
 * the chosen branch; Loop with a constant trip count (and a condition that
 * provably stays true) imports the body once per iteration; Scan imports the
 * body once per element of the scanned axis, whose length the input's static
 * shape gives. Subgraphs see the values of the enclosing scopes. Anything that
 * would need a run-time decision is reported as not supported. */
#include <string.h>

#include "frontend/importer.h"
#include "ops/op.h"

#define UNROLL_MAX 4096 /* iterations times body nodes */

static const Onnx__AttributeProto *find_attr(const Onnx__NodeProto *np, const char *name)
{
    for (size_t i = 0; i < np->n_attribute; i++)
        if (np->attribute[i]->name && !strcmp(np->attribute[i]->name, name))
            return np->attribute[i];
    return NULL;
}

static LwStatus graph_attr(Importer *im, const SrcLoc *loc, const Onnx__NodeProto *np,
                           const char *name, const Onnx__GraphProto **g)
{
    const Onnx__AttributeProto *a = find_attr(np, name);
    if (!a || !a->g)
        return diag_at(im->ctx->diag, loc, "attribute '%s' (a graph) is missing", name);
    *g = a->g;
    return LW_OK;
}

static int64_t int_attr(const Onnx__NodeProto *np, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = find_attr(np, name);
    return a && a->has_i ? a->i : def;
}

static ValueId input_of(Importer *im, const Scope *sc, const Onnx__NodeProto *np, size_t i)
{
    uint32_t v = 0;
    if (i < np->n_input && np->input[i] && *np->input[i])
        import_lookup(sc, np->input[i], &v);
    (void)im;
    return v;
}

/* A child scope for one import of a subgraph; its initializers become constants. */
static LwStatus enter(Importer *im, const Scope *sc, const SrcLoc *loc,
                      const Onnx__GraphProto *body, const char *tag, Scope *inner)
{
    Ctx *ctx = im->ctx;
    memset(inner, 0, sizeof *inner);
    inner->parent = sc;
    inner->names = arena_new(ctx->perm, StrMap);
    strmap_init(inner->names, ctx->perm);
    inner->opsets = sc->opsets;
    inner->caller = sc->caller;
    inner->chain = sc->chain;
    inner->depth = sc->depth + 1;
    if (inner->depth > ctx->lim.fn_depth)
        return diag_at(ctx->diag, loc, "subgraphs nest deeper than %u", ctx->lim.fn_depth);
    StrBuf p;
    sb_init(&p, ctx->perm);
    sb_puts(&p, import_scoped_name(im, sc, loc->name));
    sb_putc(&p, '/');
    sb_puts(&p, tag);
    inner->prefix = sb_cstr(&p);
    for (size_t i = 0; i < body->n_initializer; i++) {
        const Onnx__TensorProto *t = body->initializer[i];
        TensorVal tv;
        TRY(tensor_decode(ctx, t, im->model_dir, &tv));
        ValueId v = graph_add_const(ctx->perm, im->g, import_scoped_name(im, inner, t->name),
                                    tv.dtype, &tv.shape, tv.data, tv.bytes);
        TRY(import_define(im, inner, loc, t->name, v));
    }
    return LW_OK;
}

static LwStatus const_bool(Importer *im, const SrcLoc *loc, ValueId v, const char *what,
                           int *out)
{
    const Value *val = graph_value(im->g, v);
    if (val->kind != VK_CONST || val->dtype != DT_BOOL || shape_count(&val->shape) != 1)
        return diag_at(im->ctx->diag, loc, "%s is computed at run time, which is not supported: "
                       "it must be a constant (pass --freeze-input for a graph input)", what);
    *out = val->data->bytes[0] != 0;
    return LW_OK;
}

/* True when v is constant true, or an Identity chain of such a value. */
static int provably_true(const Graph *g, ValueId v)
{
    for (int guard = 0; guard < 64 && v; guard++) {
        const Value *val = graph_value(g, v);
        if (val->kind == VK_CONST)
            return val->dtype == DT_BOOL && shape_count(&val->shape) == 1 && val->data->bytes[0];
        if (val->kind != VK_NODE)
            return 0;
        const Node *n = graph_node(g, val->def);
        if (!n->op || !(n->op->flags & OPF_NOOP) || n->nin < 1)
            return 0;
        v = n->in[0];
    }
    return 0;
}

static ValueId const_i64(Importer *im, const char *name, int64_t v, int scalar)
{
    int64_t *p = arena_new(im->ctx->perm, int64_t);
    *p = v;
    int64_t one = 1;
    Shape s = scalar ? shape_make(0, NULL) : shape_make(1, &one);
    return graph_add_const(im->ctx->perm, im->g, name, DT_INT64, &s, (const unsigned char *)p, 8);
}

/* An internal node of a standard op (Gather, Unsqueeze, Concat) made by the
 * unrolling; `axis` goes in the 'axis' attribute when >= -64. */
static LwStatus make_node(Importer *im, const SrcLoc *loc, const char *op_name, int64_t opset,
                          const ValueId *in, uint16_t nin, int64_t axis, const char *out_name,
                          ValueId *out)
{
    Ctx *ctx = im->ctx;
    int known;
    const OpDef *op = op_lookup("", op_name, opset, &known);
    LW_ASSERT(op);
    SrcLoc l = *loc;
    l.op_type = op_name;
    l.domain = "";
    l.opset = opset;
    const char *names[1] = {out_name};
    NodeId id = graph_add_node(ctx->perm, im->g, op, &l, nin, in, 1, names);
    AttrList al = {NULL, 0};
    Attr a;
    memset(&a, 0, sizeof a);
    if (axis >= -64) {
        a.name = "axis";
        a.type = AT_INT;
        a.i = axis;
        al.a = &a;
        al.n = 1;
    }
    TRY(op->import(ctx, graph_node(im->g, id), &al));
    *out = graph_node(im->g, id)->out[0];
    return LW_OK;
}

/* Stacks per-step values along `axis` (Unsqueeze each, then Concat). */
static LwStatus stack(Importer *im, const SrcLoc *loc, const ValueId *vals, uint32_t n,
                      int64_t axis, const char *name, ValueId *out)
{
    Ctx *ctx = im->ctx;
    if (n == 0)
        return diag_at(ctx->diag, loc, "a scan output with no iterations is not supported");
    ValueId *u = arena_array(ctx->perm, ValueId, n);
    int64_t *ax = arena_new(ctx->perm, int64_t);
    *ax = axis;
    int64_t one = 1;
    Shape s1 = shape_make(1, &one);
    ValueId axes = graph_add_const(ctx->perm, im->g, "", DT_INT64, &s1,
                                   (const unsigned char *)ax, 8);
    for (uint32_t i = 0; i < n; i++) {
        ValueId in[2] = {vals[i], axes};
        TRY(make_node(im, loc, "Unsqueeze", 13, in, 2, -100, "", &u[i]));
    }
    if (n > 255) {
        return diag_at(ctx->diag, loc, "more than 255 iterations with a scan output are not "
                       "supported");
    }
    return make_node(im, loc, "Concat", 13, u, (uint16_t)n, axis, name, out);
}

static LwStatus import_if(Importer *im, Scope *sc, const SrcLoc *loc, const Onnx__NodeProto *np)
{
    ValueId c = input_of(im, sc, np, 0);
    if (!c)
        return diag_at(im->ctx->diag, loc, "If needs a condition input");
    int cond = 0;
    TRY(const_bool(im, loc, c, "the If condition", &cond));
    const Onnx__GraphProto *body = NULL;
    TRY(graph_attr(im, loc, np, cond ? "then_branch" : "else_branch", &body));
    Scope inner;
    TRY(enter(im, sc, loc, body, cond ? "then" : "else", &inner));
    TRY(import_nodes(im, body->node, body->n_node, &inner));
    if (body->n_output < np->n_output)
        return diag_at(im->ctx->diag, loc, "the branch has %zu outputs, the node %zu",
                       body->n_output, np->n_output);
    for (size_t j = 0; j < np->n_output; j++) {
        uint32_t v;
        if (!np->output[j] || !*np->output[j])
            continue;
        if (!import_lookup(&inner, body->output[j]->name, &v))
            return diag_at(im->ctx->diag, loc, "branch output '%s' is not defined",
                           body->output[j]->name);
        TRY(import_define(im, sc, loc, np->output[j], v));
    }
    return LW_OK;
}

static LwStatus import_loop(Importer *im, Scope *sc, const SrcLoc *loc,
                            const Onnx__NodeProto *np)
{
    Ctx *ctx = im->ctx;
    const Onnx__GraphProto *body = NULL;
    TRY(graph_attr(im, loc, np, "body", &body));
    ValueId m = input_of(im, sc, np, 0), cond = input_of(im, sc, np, 1);
    if (!m)
        return diag_at(ctx->diag, loc, "a Loop without a trip count is not supported");
    const Value *mv = graph_value(im->g, m);
    if (mv->kind != VK_CONST || mv->dtype != DT_INT64 || shape_count(&mv->shape) != 1)
        return diag_at(ctx->diag, loc, "the Loop trip count is computed at run time, which is "
                       "not supported: it must be a constant (pass --freeze-input)");
    int64_t trips;
    memcpy(&trips, mv->data->bytes, 8);
    if (trips < 0)
        trips = 0;
    size_t ncarried = np->n_input > 2 ? np->n_input - 2 : 0;
    if (body->n_input != ncarried + 2 || body->n_output < ncarried + 1)
        return diag_at(ctx->diag, loc, "the Loop body's inputs and outputs do not match the node");
    size_t nscan = body->n_output - 1 - ncarried;
    if ((uint64_t)trips * (body->n_node + 1) > UNROLL_MAX)
        return diag_at(ctx->diag, loc, "Loop of %lld iterations is too large to unroll (not "
                       "supported)", (long long)trips);
    if (cond) {
        int c = 0;
        TRY(const_bool(im, loc, cond, "the Loop condition", &c));
        if (!c)
            trips = 0;
    } else {
        uint8_t *t = arena_new(ctx->perm, uint8_t);
        *t = 1;
        Shape s = shape_make(0, NULL);
        cond = graph_add_const(ctx->perm, im->g, "", DT_BOOL, &s, t, 1);
    }
    ValueId *v = arena_array(ctx->perm, ValueId, ncarried + 1);
    for (size_t k = 0; k < ncarried; k++)
        v[k] = input_of(im, sc, np, 2 + k);
    ValueId **scans = arena_array(ctx->perm, ValueId *, nscan + 1);
    for (size_t j = 0; j < nscan; j++)
        scans[j] = arena_array(ctx->perm, ValueId, (size_t)trips + 1);
    for (int64_t it = 0; it < trips; it++) {
        Scope inner;
        StrBuf tag;
        sb_init(&tag, ctx->perm);
        sb_printf(&tag, "iter%lld", (long long)it);
        TRY(enter(im, sc, loc, body, sb_cstr(&tag), &inner));
        strmap_put(inner.names, body->input[0]->name, const_i64(im, "", it, 1));
        strmap_put(inner.names, body->input[1]->name, cond);
        for (size_t k = 0; k < ncarried; k++)
            strmap_put(inner.names, body->input[2 + k]->name, v[k]);
        TRY(import_nodes(im, body->node, body->n_node, &inner));
        uint32_t out;
        if (!import_lookup(&inner, body->output[0]->name, &out) || !provably_true(im->g, out))
            return diag_at(ctx->diag, loc, "the Loop condition may turn false at run time "
                           "(dynamic trip count): not supported");
        for (size_t k = 0; k < ncarried; k++) {
            if (!import_lookup(&inner, body->output[1 + k]->name, &out))
                return diag_at(ctx->diag, loc, "Loop body output '%s' is not defined",
                               body->output[1 + k]->name);
            v[k] = out;
        }
        for (size_t j = 0; j < nscan; j++) {
            if (!import_lookup(&inner, body->output[1 + ncarried + j]->name, &out))
                return diag_at(ctx->diag, loc, "Loop scan output is not defined");
            scans[j][it] = out;
        }
    }
    for (size_t j = 0; j < np->n_output; j++) {
        if (!np->output[j] || !*np->output[j])
            continue;
        ValueId r;
        if (j < ncarried)
            r = v[j];
        else
            TRY(stack(im, loc, scans[j - ncarried], (uint32_t)trips, 0,
                      import_scoped_name(im, sc, np->output[j]), &r));
        TRY(import_define(im, sc, loc, np->output[j], r));
    }
    return LW_OK;
}

static LwStatus import_scan(Importer *im, Scope *sc, const SrcLoc *loc,
                            const Onnx__NodeProto *np)
{
    Ctx *ctx = im->ctx;
    if (loc->opset < 9)
        return diag_at(ctx->diag, loc, "Scan-8 (batched, sequence_lens) is not supported");
    const Onnx__GraphProto *body = NULL;
    TRY(graph_attr(im, loc, np, "body", &body));
    int64_t nscan_in = int_attr(np, "num_scan_inputs", -1);
    if (nscan_in < 1 || (size_t)nscan_in > np->n_input)
        return diag_at(ctx->diag, loc, "num_scan_inputs is missing or out of range");
    size_t nstate = np->n_input - (size_t)nscan_in;
    if (body->n_input != np->n_input || body->n_output < nstate)
        return diag_at(ctx->diag, loc, "the Scan body's inputs and outputs do not match the node");
    size_t nscan_out = body->n_output - nstate;
    const Onnx__AttributeProto *in_axes = find_attr(np, "scan_input_axes");
    const Onnx__AttributeProto *in_dirs = find_attr(np, "scan_input_directions");
    const Onnx__AttributeProto *out_axes = find_attr(np, "scan_output_axes");
    const Onnx__AttributeProto *out_dirs = find_attr(np, "scan_output_directions");
    int64_t len = -1;
    int64_t *axis = arena_array(ctx->perm, int64_t, (size_t)nscan_in);
    ValueId *sin = arena_array(ctx->perm, ValueId, (size_t)nscan_in);
    for (int64_t i = 0; i < nscan_in; i++) {
        sin[i] = input_of(im, sc, np, nstate + (size_t)i);
        const Value *x = graph_value(im->g, sin[i]);
        if (!sin[i] || !(x->flags & VF_SHAPED))
            return diag_at(ctx->diag, loc, "the scanned input's shape is not known at import "
                           "(only graph inputs and constants can be scanned): not supported");
        int64_t ax = in_axes && (size_t)i < in_axes->n_ints ? in_axes->ints[i] : 0;
        if (!shape_axis(ax, x->shape.rank, &axis[i]))
            return diag_at(ctx->diag, loc, "scan_input_axes entry %lld is out of range",
                           (long long)ax);
        int64_t l = x->shape.dims[axis[i]];
        if (len >= 0 && l != len)
            return diag_at(ctx->diag, loc, "scanned inputs differ in length");
        len = l;
    }
    if (len * (int64_t)(body->n_node + 1) > UNROLL_MAX || len > 255)
        return diag_at(ctx->diag, loc, "Scan of %lld steps is too large to unroll (not "
                       "supported)", (long long)len);
    ValueId *state = arena_array(ctx->perm, ValueId, nstate + 1);
    for (size_t k = 0; k < nstate; k++)
        state[k] = input_of(im, sc, np, k);
    ValueId **outs = arena_array(ctx->perm, ValueId *, nscan_out + 1);
    for (size_t j = 0; j < nscan_out; j++)
        outs[j] = arena_array(ctx->perm, ValueId, (size_t)len + 1);
    for (int64_t t = 0; t < len; t++) {
        Scope inner;
        StrBuf tag;
        sb_init(&tag, ctx->perm);
        sb_printf(&tag, "step%lld", (long long)t);
        TRY(enter(im, sc, loc, body, sb_cstr(&tag), &inner));
        for (size_t k = 0; k < nstate; k++)
            strmap_put(inner.names, body->input[k]->name, state[k]);
        for (int64_t i = 0; i < nscan_in; i++) {
            int rev = in_dirs && (size_t)i < in_dirs->n_ints && in_dirs->ints[i];
            ValueId in[2] = {sin[i], const_i64(im, "", rev ? len - 1 - t : t, 1)};
            ValueId slice;
            TRY(make_node(im, loc, "Gather", 13, in, 2, axis[i], "", &slice));
            strmap_put(inner.names, body->input[nstate + (size_t)i]->name, slice);
        }
        TRY(import_nodes(im, body->node, body->n_node, &inner));
        for (size_t k = 0; k < body->n_output; k++) {
            uint32_t out;
            if (!import_lookup(&inner, body->output[k]->name, &out))
                return diag_at(ctx->diag, loc, "Scan body output '%s' is not defined",
                               body->output[k]->name);
            if (k < nstate)
                state[k] = out;
            else
                outs[k - nstate][t] = out;
        }
    }
    for (size_t j = 0; j < np->n_output; j++) {
        if (!np->output[j] || !*np->output[j])
            continue;
        ValueId r;
        if (j < nstate) {
            r = state[j];
        } else {
            size_t s = j - nstate;
            int rev = out_dirs && s < out_dirs->n_ints && out_dirs->ints[s];
            int64_t ax = out_axes && s < out_axes->n_ints ? out_axes->ints[s] : 0;
            if (rev) { /* reverse scan outputs are stacked last step first */
                for (int64_t a = 0, b = len - 1; a < b; a++, b--) {
                    ValueId tmp = outs[s][a];
                    outs[s][a] = outs[s][b];
                    outs[s][b] = tmp;
                }
            }
            if (ax < 0) /* relative to the stacked rank: resolved by Unsqueeze/Concat */
                return diag_at(ctx->diag, loc, "negative scan_output_axes are not supported");
            TRY(stack(im, loc, outs[s], (uint32_t)len, ax, import_scoped_name(im, sc, np->output[j]),
                      &r));
        }
        TRY(import_define(im, sc, loc, np->output[j], r));
    }
    return LW_OK;
}

LwStatus import_control(Importer *im, Scope *sc, const SrcLoc *loc, const Onnx__NodeProto *np)
{
    if (!strcmp(loc->op_type, "If"))
        return import_if(im, sc, loc, np);
    if (!strcmp(loc->op_type, "Loop"))
        return import_loop(im, sc, loc, np);
    return import_scan(im, sc, loc, np);
}
