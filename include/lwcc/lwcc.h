/* Library entry: options and one call that compiles a model to C. The CLI
 * (cli/main.c) parses flags into LwOptions and calls lwcc_compile. */
#ifndef LWCC_LWCC_LWCC_H
#define LWCC_LWCC_LWCC_H

#include <stdio.h>

#include "include/lwcc/base.h"

typedef enum LwOptLevel { LW_O0, LW_O1, LW_O2, LW_OS } LwOptLevel;
/* c: model.c; ir/kir: dumps; llvm/bc/obj: the LLVM backend's textual IR, bitcode, object */
typedef enum LwEmit {
    LW_EMIT_C,
    LW_EMIT_IR,
    LW_EMIT_KIR,
    LW_EMIT_LLVM,
    LW_EMIT_BC,
    LW_EMIT_OBJ,
    LW_EMIT_ONNX
} LwEmit;

typedef struct LwShapeOpt {  /* --shape NAME:1x3x224x224 */
    const char *name;
    int64_t dims[8];
    uint8_t rank;
} LwShapeOpt;

typedef struct LwFreezeOpt { /* --freeze-input NAME=FILE.pb */
    const char *name, *path;
} LwFreezeOpt;

typedef struct LwOptions {
    const char *input;      /* model path */
    const char *output;     /* -o: model.c/.ll/.bc/.o (model.h beside it); NULL: stdout for dumps */
    const char *name;       /* --name; default from -o's base name */
    LwOptLevel opt;
    const char *target;     /* --target name, default "generic" */
    LwEmit emit;
    const char *print_after; /* pass name, or "all" */
    int verify_each;
    const char *depfile;
    const char *report;     /* --report: an HTML page about the compiled model, written with
                             * the outputs (not with --emit=ir/kir) */
    const LwShapeOpt *shapes;
    uint32_t nshapes;
    const LwFreezeOpt *freezes;
    uint32_t nfreezes;
    const char *quantize;    /* --quantize=int8: lwcc's post-training quantizer, or NULL */
    const char *calibration; /* --calibration=DIR: sample folders of input_K.pb */
    const char *calib_method; /* --calibration-method: minmax (default), percentile, mse */
    const char *const *keep_float; /* --keep-float node names, kept in float */
    double quant_budget_db;  /* --quant-budget: a node whose int8 weights or input have a lower
                              * SQNR stays float; 0: the default 20 dB, < 0: none */
    uint32_t nkeep_float;
    int patch;               /* 1: --patch (tile the leading layers whenever it lowers the peak),
                              * -1: --no-patch, 0: automatic at -Os (passes/patch.c) */
    int arena_mode;          /* --arena (passes/lower.c): 0 bound (default): faster kernels
                              * while the arena stays within the graph's unfused max-live
                              * bound; 1 tight: within the plain kernels' own peak; 2 fast:
                              * everywhere */
    int requant;             /* --requant: how int32 sums become int8 (ops/quant.c
                              * quant_fixed_wanted): 0 auto (default): fixed point in scalar
                              * code, float32 in the vector schedules; 1 float: float32
                              * everywhere; 2 fixed: fixed point wherever it applies */
    const char *const *disabled; /* --disable-pass names */
    uint32_t ndisabled;
    FILE *diag_out;          /* diagnostics; NULL = stderr */
    FILE *dump_out;          /* --emit=ir/kir and --print-after text; NULL = stdout */
} LwOptions;

/* Compiles opts->input; writes the output pair only on success. Returns the
 * status whose value is the exit code. */
LwStatus lwcc_compile(const LwOptions *opts);

#endif
