/* lwcc_compile: one compile from options to the output pair. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fileio.h"
#include "codegen/cname.h"
#include "codegen/emit.h"
#include "codegen/report.h"
#include "frontend/frontend.h"
#include "include/lwcc/lwcc.h"
#include "ir/graph.h"
#include "ir/kir.h"
#include "passes/pass.h"
#include "target/target.h"

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* The extension -o must have for each output kind. */
static const char *output_ext(LwEmit e)
{
    switch (e) {
    case LW_EMIT_LLVM:
        return ".ll";
    case LW_EMIT_BC:
        return ".bc";
    case LW_EMIT_OBJ:
        return ".o";
    case LW_EMIT_ONNX:
        return ".onnx";
    default:
        return ".c";
    }
}

static LwStatus check_output(Ctx *ctx, const char *out, const char **hdr)
{
    const LwOptions *o = ctx->opt;
    const char *ext = output_ext(o->emit);
    if (!ends_with(out, ext) || strlen(out) == strlen(ext))
        return diag_error(ctx->diag, "-o '%s' must name a %s file (the header is written beside "
                          "it)", out, ext);
    size_t n = strlen(out) - strlen(ext);
    char *h = arena_must(arena_alloc(ctx->perm, n + 3));
    memcpy(h, out, n);
    memcpy(h + n, ".h", 3);
    if (same_file(out, o->input) || same_file(h, o->input) || !strcmp(out, o->input) ||
        !strcmp(h, o->input))
        return diag_error(ctx->diag, "-o '%s' would overwrite the input model", out);
    *hdr = h;
    return LW_OK;
}

/* A path in a Make rule: spaces, '#' and '$' escaped. */
static void dep_path(StrBuf *sb, const char *p)
{
    for (; *p; p++) {
        if (*p == ' ' || *p == '#')
            sb_putc(sb, '\\');
        if (*p == '$')
            sb_putc(sb, '$');
        sb_putc(sb, *p);
    }
}

static LwStatus compile(Ctx *ctx)
{
    const LwOptions *o = ctx->opt;
    const char *hdr = NULL;
    int dump = o->emit == LW_EMIT_IR || o->emit == LW_EMIT_KIR;
    if (!dump) {
        if (!o->output)
            return diag_error(ctx->diag, "no output file: pass -o MODEL%s", output_ext(o->emit));
        TRY(check_output(ctx, o->output, &hdr));
    }
    if (o->report) {
        if (dump)
            return diag_error(ctx->diag, "--report is not supported with --emit=ir or "
                              "--emit=kir: it describes a compiled model (use --emit=c, llvm, bc "
                              "or obj)");
        if (same_file(o->report, o->input) || !strcmp(o->report, o->input) ||
            same_file(o->report, o->output) || !strcmp(o->report, o->output) ||
            same_file(o->report, hdr) || !strcmp(o->report, hdr))
            return diag_error(ctx->diag, "--report '%s' would overwrite the model or an output",
                              o->report);
    }
    if (o->emit == LW_EMIT_ONNX) {
        /* the quantized graph, written where the quantizer leaves it (pipeline_run stops) */
        if (!o->quantize)
            return diag_error(ctx->diag, "--emit=onnx writes the model lwcc's quantizer makes: "
                                         "use it with --quantize=int8 --calibration=DIR");
        if (o->report || o->depfile)
            return diag_error(ctx->diag, "--report and --depfile describe compiled code, not "
                                         "--emit=onnx");
        TRY(frontend_import(ctx));
        TRY(frontend_calibration(ctx));
        TRY(pipeline_run(ctx));
        return onnx_write_model(ctx, o->output);
    }
    if (!dump && o->emit != LW_EMIT_C && !llvm_version())
        return diag_error(ctx->diag, "this lwcc was built without the LLVM backend, so "
                          "--emit=llvm|bc|obj is not supported (rebuild lwcc with LLVM and clang "
                          "installed: Debian packages llvm-dev clang); --emit=c works");
    TRY(frontend_import(ctx)); /* verified after infer-shapes, once values are typed */
    if (o->quantize)
        TRY(frontend_calibration(ctx));
    TRY(pipeline_run(ctx));
    FILE *dump_to = o->dump_out ? o->dump_out : stdout;
    if (dump) {
        StrBuf sb;
        sb_init(&sb, ctx->perm);
        if (o->emit == LW_EMIT_IR)
            graph_dump(ctx->g, &sb);
        else
            kir_dump(ctx->g, ctx->prog, &sb);
        if (o->output && strcmp(o->output, "-")) /* -o -: stdout, as without -o */
            return file_write(ctx->diag, o->output, sb_cstr(&sb), sb.len);
        fputs(sb_cstr(&sb), dump_to);
        return LW_OK;
    }
    const char *prefix = o->name ? o->name : cname_prefix(ctx->perm, o->output);
    StrBuf c, h, rep;
    sb_init(&rep, ctx->perm);
    if (o->report)
        report_html(ctx, &rep); /* from the plan as memplan left it, before any printer runs */
    sb_init(&c, ctx->perm);
    sb_init(&h, ctx->perm);
    if (o->emit == LW_EMIT_C) {
        CBlob blob;
        TRY(c_print(ctx, prefix, &c, &h, &blob));
        TRY(file_write(ctx->diag, hdr, sb_cstr(&h), h.len));
        TRY(c_write(ctx, o->output, &c, &blob));
    } else {
        TRY(llvm_print(ctx, prefix, &h)); /* writes the output itself */
        TRY(file_write(ctx->diag, hdr, sb_cstr(&h), h.len));
    }
    if (o->report)
        TRY(file_write(ctx->diag, o->report, sb_cstr(&rep), rep.len));
    if (o->depfile) {
        /* Make/Ninja rule: the output depends on the model and every file read */
        StrBuf d;
        sb_init(&d, ctx->perm);
        dep_path(&d, o->output);
        sb_puts(&d, ":");
        sb_putc(&d, ' ');
        dep_path(&d, o->input);
        for (uint32_t i = 0; i < ctx->deps.len; i++) {
            int seen = 0;
            for (uint32_t j = 0; j < i && !seen; j++)
                seen = !strcmp(ctx->deps.data[i], ctx->deps.data[j]);
            if (seen)
                continue;
            sb_puts(&d, " \\\n  ");
            dep_path(&d, ctx->deps.data[i]);
        }
        sb_putc(&d, '\n');
        TRY(file_write(ctx->diag, o->depfile, sb_cstr(&d), d.len));
    }
    return LW_OK;
}

LwStatus lwcc_compile(const LwOptions *opts)
{
    Diag diag;
    diag_init(&diag, opts->input, opts->diag_out);
    Ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.lim = lw_default_limits();
    ctx.perm = arena_create(0);
    ctx.scratch = arena_create(0);
    if (!ctx.perm || !ctx.scratch) {
        arena_destroy(ctx.perm);
        arena_destroy(ctx.scratch);
        return diag_error(&diag, "out of memory");
    }
    ctx.diag = &diag;
    ctx.opt = opts;
    ctx.verify = opts->verify_each || getenv("LWCC_VERIFY") != NULL;
#ifdef LWCC_TEST_BUILD
    ctx.verify = 1;
#endif
    ctx.target = target_find(opts->target ? opts->target : "generic");
    LwStatus st;
    if (!ctx.target)
        st = diag_error(&diag, "unknown target '%s' (see --print-targets)", opts->target);
    else
        st = compile(&ctx);
    arena_destroy(ctx.perm);
    arena_destroy(ctx.scratch);
    return st;
}
