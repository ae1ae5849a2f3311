/* The pass pipeline per -O level and the runner: verifiers after every pass
 * (test builds and --verify-each), --print-after dumps, --disable-pass. */
#include <string.h>

#include "include/lwcc/lwcc.h"
#include "ir/graph.h"
#include "ir/kir.h"
#include "passes/pass.h"

static const PassDef *const pipeline_o0[] = {&pass_infer_shapes, &pass_dce, &pass_quant_ptq,
                                             &pass_lower, &pass_memplan};
static const PassDef *const pipeline_o1[] = {
    &pass_infer_shapes,   &pass_fold_const, &pass_dce,  &pass_fold_affine, &pass_fold_pad,
    &pass_fold_transpose, &pass_quant_ptq,  &pass_fuse, &pass_lower,       &pass_memplan};
static const PassDef *const pipeline_o2[] = {
    &pass_infer_shapes,   &pass_expand,      &pass_fold_const, &pass_dce,
    &pass_fold_lora,      &pass_fold_affine, &pass_fold_pad,   &pass_fold_transpose,
    &pass_prune_channels, &pass_dce,         &pass_quant_ptq,  &pass_sparse_weights,
    &pass_patch,          &pass_fuse,        &pass_lower,      &pass_memplan};

typedef struct Level {
    const PassDef *const *passes;
    size_t n;
} Level;

static Level level_of(LwOptLevel o)
{
    Level l;
    switch (o) {
    case LW_O0:
        l.passes = pipeline_o0;
        l.n = LW_COUNT(pipeline_o0);
        return l;
    case LW_O1:
        l.passes = pipeline_o1;
        l.n = LW_COUNT(pipeline_o1);
        return l;
    case LW_O2:
    case LW_OS:
        break;
    }
    l.passes = pipeline_o2;
    l.n = LW_COUNT(pipeline_o2);
    return l;
}

static const PassDef *const all_passes[] = {
    &pass_infer_shapes,   &pass_expand,      &pass_fold_const,     &pass_dce,
    &pass_fold_lora,      &pass_fold_affine, &pass_fold_pad,       &pass_fold_transpose,
    &pass_prune_channels, &pass_quant_ptq,   &pass_sparse_weights, &pass_patch,
    &pass_fuse,           &pass_lower,       &pass_memplan};

const PassDef *pipeline_find(const char *name)
{
    for (size_t i = 0; i < LW_COUNT(all_passes); i++)
        if (!strcmp(all_passes[i]->name, name))
            return all_passes[i];
    return NULL;
}

void pipeline_list(FILE *f)
{
    for (size_t i = 0; i < LW_COUNT(all_passes); i++)
        fprintf(f, "  %-14s %s\n", all_passes[i]->name, all_passes[i]->doc);
}

static int disabled(const LwOptions *o, const char *name)
{
    for (uint32_t i = 0; i < o->ndisabled; i++)
        if (!strcmp(o->disabled[i], name))
            return 1;
    return 0;
}

LwStatus pipeline_run(Ctx *ctx)
{
    Level l = level_of(ctx->opt->opt);
    FILE *dump = ctx->opt->dump_out ? ctx->opt->dump_out : stdout;
    for (size_t i = 0; i < l.n; i++) {
        const PassDef *p = l.passes[i];
        /* lowering and planning are not optional */
        if (disabled(ctx->opt, p->name) && p != &pass_lower && p != &pass_memplan &&
            p != &pass_infer_shapes)
            continue;
        ArenaMark m = arena_mark(ctx->scratch);
        LwStatus st = p->run(ctx);
        arena_reset(ctx->scratch, m);
        TRY(st);
        if (p == &pass_infer_shapes && !ctx->graph_bound)
            ctx->graph_bound = memplan_graph_bound(ctx->scratch, ctx->g);
        /* --emit=onnx writes the graph as the quantizer leaves it */
        if (p == &pass_quant_ptq && ctx->opt->emit == LW_EMIT_ONNX)
            return LW_OK;
        if (ctx->verify) {
            if (p->kind == PK_GRAPH)
                graph_verify(ctx, ctx->g, p->name);
            else
                kir_verify(ctx, ctx->prog, p->name);
        }
        const char *pa = ctx->opt->print_after;
        if (pa && (!strcmp(pa, p->name) || !strcmp(pa, "all"))) {
            StrBuf sb;
            sb_init(&sb, ctx->scratch);
            sb_printf(&sb, "; after %s\n", p->name);
            if (p->kind == PK_GRAPH)
                graph_dump(ctx->g, &sb);
            else
                kir_dump(ctx->g, ctx->prog, &sb);
            fputs(sb_cstr(&sb), dump);
            arena_reset(ctx->scratch, m);
        }
    }
    return LW_OK;
}
