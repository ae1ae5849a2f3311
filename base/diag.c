/* GNU-form diagnostics and the internal-error exit. */
#include "include/lwcc/diag.h"

#include <stdlib.h>
#include <string.h>

void diag_init(Diag *d, const char *file, FILE *out)
{
    d->file = file ? file : "lwcc";
    d->out = out ? out : stderr;
    d->errors = d->warnings = 0;
}

void diag_put_name(FILE *f, const char *s, size_t max)
{
    size_t n = 0;
    for (; *s; s++, n++) {
        if (n == max) {
            fputs("...", f);
            return;
        }
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c < 0x7f && c != '\\')
            fputc(c, f);
        else
            fprintf(f, "\\x%02x", c);
    }
}

LwStatus diag_verror(Diag *d, const char *fmt, va_list ap)
{
    fprintf(d->out, "%s: error: ", d->file);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    d->errors++;
    return LW_ERR_MODEL;
}

LwStatus diag_error(Diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    LwStatus st = diag_verror(d, fmt, ap);
    va_end(ap);
    return st;
}

LwStatus diag_vat(Diag *d, const SrcLoc *loc, const char *fmt, va_list ap)
{
    fprintf(d->out, "%s: error: node '", d->file);
    diag_put_name(d->out, loc->name && *loc->name ? loc->name : "", 200);
    fputs("' (", d->out);
    if (loc->domain && *loc->domain && strcmp(loc->domain, "ai.onnx") != 0) {
        diag_put_name(d->out, loc->domain, 100);
        fputc(' ', d->out);
    }
    diag_put_name(d->out, loc->op_type ? loc->op_type : "?", 100);
    fprintf(d->out, ", opset %lld)", (long long)loc->opset);
    if (loc->chain && *loc->chain) {
        fputs(" in function ", d->out);
        diag_put_name(d->out, loc->chain, 300);
    }
    fputs(": ", d->out);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    d->errors++;
    return LW_ERR_MODEL;
}

LwStatus diag_at(Diag *d, const SrcLoc *loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    LwStatus st = diag_vat(d, loc, fmt, ap);
    va_end(ap);
    return st;
}

void diag_note(Diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(d->out, "%s: note: ", d->file);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    va_end(ap);
}

void diag_warning(Diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(d->out, "%s: warning: ", d->file);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    va_end(ap);
    d->warnings++;
}

void lw_ice(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lwcc: internal error: %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
    if (getenv("LWCC_ABORT_ON_ICE"))
        abort();
    exit(LW_ERR_ICE);
}
