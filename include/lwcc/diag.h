/* Diagnostics in GNU form on stderr: "model.onnx: error: node 'conv_3' (Conv,
 * opset 13): ...". Each error function returns LW_ERR_MODEL so a caller can
 * write `return diag_node(...)`. */
#ifndef LWCC_LWCC_DIAG_H
#define LWCC_LWCC_DIAG_H

#include <stdarg.h>
#include <stdio.h>

#include "include/lwcc/base.h"

/* Where a node came from in the model. */
typedef struct SrcLoc {
    const char *name;    /* ONNX node name ("" if none) */
    const char *op_type; /* ONNX op_type */
    const char *domain;  /* "" = ai.onnx */
    int64_t opset;       /* opset version of the domain in effect */
    const char *chain;   /* local function call chain, "" when not from a function */
} SrcLoc;

typedef struct Diag {
    const char *file;  /* prefix of every message: the model path as given */
    FILE *out;         /* stderr, or a test's capture file */
    uint32_t errors, warnings;
} Diag;

/* base/diag.c */
void diag_init(Diag *d, const char *file, FILE *out);
LwStatus diag_error(Diag *d, const char *fmt, ...) LW_PRINTF(2, 3);
LwStatus diag_verror(Diag *d, const char *fmt, va_list ap) LW_PRINTF(2, 0);
/* "node 'NAME' (OP, opset N): " prefix; the importer names unnamed nodes "#index:op". */
LwStatus diag_at(Diag *d, const SrcLoc *loc, const char *fmt, ...) LW_PRINTF(3, 4);
LwStatus diag_vat(Diag *d, const SrcLoc *loc, const char *fmt, va_list ap) LW_PRINTF(3, 0);
void diag_note(Diag *d, const char *fmt, ...) LW_PRINTF(2, 3);
void diag_warning(Diag *d, const char *fmt, ...) LW_PRINTF(2, 3);
/* Writes a model string for a message: printable ASCII as is, other bytes
 * escaped, cut at `max` bytes with "...". */
void diag_put_name(FILE *f, const char *s, size_t max);

#endif
