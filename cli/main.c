/* lwcc command line: flags -> LwOptions, usage text, exit codes
 * (0 ok, 1 bad model or flag value, 2 usage, 4 internal error). */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/emit.h"
#include "include/lwcc/lwcc.h"
#include "passes/pass.h"
#include "target/target.h"

#define MAX_REPEAT 256

static const char usage_text[] =
    "usage: lwcc MODEL.onnx [options] -o OUT.c\n"
    "\n"
    "Compiles an ONNX model ahead of time into OUT.c and OUT.h: plain C99 with no\n"
    "runtime library, no malloc, no OS and no stdio.\n"
    "\n"
    "options:\n"
    "  -o OUT.c                 output C file; the header OUT.h is written beside it\n"
    "  -O0 | -O1 | -O2 | -Os    optimization level (default -O2)\n"
    "  --target=T               generic (default), native, x86-64-v3, x86-64-v4,\n"
    "                           x86-64-vnni, armv8, cortex-m4 (see --print-targets)\n"
    "  --name=N                 prefix of the generated API (default: OUT's base name)\n"
    "  --shape NAME:1x3x224x224 bind the symbolic dims of input NAME (repeatable)\n"
    "  --freeze-input NAME=FILE.pb\n"
    "                           make input NAME a constant from an ONNX TensorProto file\n"
    "  --emit=KIND              c: C source (default, -o OUT.c); the LLVM backend:\n"
    "                           llvm: textual LLVM IR (-o OUT.ll), bc: bitcode (-o OUT.bc),\n"
    "                           obj: an object file for the target (-o OUT.o); each writes\n"
    "                           OUT.h beside it. ir, kir: the graph IR / kernel IR as text\n"
    "                           (-o FILE; stdout: no -o or -o -). onnx: with --quantize=int8,\n"
    "                           the quantized model as a QDQ ONNX file (-o OUT.onnx)\n"
    "  --patch                  run the leading high-resolution layers tile by tile whenever\n"
    "                           that lowers the arena's peak, whatever the extra MACs (at -Os\n"
    "                           it is automatic at up to 10% more MACs)\n"
    "  --no-patch               never run layers tile by tile\n"
    "  --arena=bound|tight|fast -O2 with vectors: where the faster kernels (blocked\n"
    "                           convolution) may take scratch: bound (default) while the\n"
    "                           arena stays within the model's unfused max-live bound,\n"
    "                           tight only where the arena does not grow, fast everywhere;\n"
    "                           a model with int8 activations gets tight under bound\n"
    "  --requant=auto|float|fixed\n"
    "                           how int8 kernels requantize their int32 sums: fixed: by an\n"
    "                           integer multiplier and shift, rounding half to even (the\n"
    "                           same bytes on every target); float: in float32, as\n"
    "                           onnxruntime does; auto (default): fixed point in scalar\n"
    "                           code (Cortex-M, generic), float32 in vector kernels\n"
    "  --print-after=PASS       dump the IR after PASS ('all' for every pass) to stdout\n"
    "  --verify-each            run the IR verifiers after every pass\n"
    "  --disable-pass=PASS      skip an optional pass (see --help-passes)\n"
    "  --depfile=FILE           write a Make dependency rule for the outputs\n"
    "  --report=FILE.html       also write an HTML page about the compiled model: per layer\n"
    "                           the nodes, shapes, MACs and weight bytes; the arena plan as a\n"
    "                           picture; flash by layer (not with --emit=ir|kir)\n"
    "  --quantize=int8          quantize the float model with lwcc's post-training\n"
    "                           quantizer: int8 weights per output channel (symmetric),\n"
    "                           uint8 activations per tensor, from --calibration\n"
    "  --calibration=DIR        the quantizer's inputs: DIR/<sample>/input_K.pb for the\n"
    "                           K-th graph input, one folder per sample\n"
    "  --calibration-method=M   activation ranges by minmax (default), percentile\n"
    "                           (99.99% of the values) or mse (least quantization error)\n"
    "  --keep-float=NODE,...    leave these nodes (ONNX node names) in float\n"
    "  --quant-budget=DB        keep a node in float when its int8 weights or uint8 input\n"
    "                           have a signal-to-quantization-noise ratio below DB on the\n"
    "                           samples (default 20; none: quantize every node)\n"
    "  --print-targets          list the targets\n"
    "  --help-passes            list the passes\n"
    "  --version                print the version\n"
    "  -h, --help               this text\n"
    "\n"
    "exit status: 0 success, 1 bad model or flag value, 2 usage, 4 internal error\n";

static int usage_error(const char *fmt, ...) LW_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lwcc: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: lwcc MODEL.onnx [options] -o OUT.c (lwcc --help for more)\n");
    return LW_ERR_USAGE;
}

/* Value of --flag=VALUE or --flag VALUE; NULL when argv[i] is not this flag. */
static char *flag_value(int argc, char **argv, int *i, const char *flag, int *missing)
{
    size_t n = strlen(flag);
    *missing = 0;
    if (strncmp(argv[*i], flag, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != 0)
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

/* Parses NAME:1x3x224x224 in place (argv strings are writable): the name
 * ends where the colon was. */
static int parse_shape(char *arg, LwShapeOpt *out)
{
    char *colon = strrchr(arg, ':');
    if (!colon || colon == arg || !colon[1])
        return 0;
    *colon = 0;
    out->name = arg;
    out->rank = 0;
    const char *p = colon + 1;
    while (*p) {
        if (out->rank >= 8 || *p < '0' || *p > '9')
            return 0;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (v < 0 || v > (1LL << 40))
            return 0;
        out->dims[out->rank++] = v;
        p = end;
        if (*p == 'x' || *p == 'X' || *p == ',')
            p++;
        else if (*p)
            return 0;
    }
    return out->rank > 0;
}

int main(int argc, char **argv)
{
    LwOptions o;
    memset(&o, 0, sizeof o);
    o.opt = LW_O2;
    o.target = "generic";
    LwShapeOpt shapes[MAX_REPEAT];
    LwFreezeOpt freezes[MAX_REPEAT];
    const char *disabled[MAX_REPEAT];
    const char *keep[MAX_REPEAT];
    uint32_t nkeep = 0;
    o.shapes = shapes;
    o.freezes = freezes;
    o.disabled = disabled;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *v;
        int missing = 0;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("lwcc %s\n", LW_VERSION);
            if (llvm_version())
                printf("backends: c, llvm (LLVM %s)\n", llvm_version());
            else
                printf("backends: c (built without LLVM)\n");
            return 0;
        } else if (!strcmp(a, "--print-targets")) {
            target_list(stdout);
            return 0;
        } else if (!strcmp(a, "--help-passes")) {
            pipeline_list(stdout);
            return 0;
        } else if (!strcmp(a, "-O0")) {
            o.opt = LW_O0;
        } else if (!strcmp(a, "-O1")) {
            o.opt = LW_O1;
        } else if (!strcmp(a, "-O2") || !strcmp(a, "-O3")) {
            o.opt = LW_O2;
        } else if (!strcmp(a, "-Os")) {
            o.opt = LW_OS;
        } else if (!strcmp(a, "-o")) {
            if (i + 1 >= argc)
                return usage_error("-o needs a file name");
            o.output = argv[++i];
        } else if (!strncmp(a, "-o", 2) && a[2]) {
            o.output = a + 2;
        } else if (!strcmp(a, "--patch") || !strcmp(a, "--no-patch")) {
            int want = a[2] == 'p' ? 1 : -1;
            if (o.patch && o.patch != want)
                return usage_error("--patch and --no-patch cannot both be given");
            o.patch = want;
        } else if (!strcmp(a, "--verify-each")) {
            o.verify_each = 1;
        } else if ((v = flag_value(argc, argv, &i, "--target", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs a value", a);
            o.target = v;
        } else if ((v = flag_value(argc, argv, &i, "--name", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs a value", a);
            int ok = (*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || *v == '_';
            for (const char *p = v; *p && ok; p++)
                ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
                     (*p >= '0' && *p <= '9');
            if (!ok) {
                fprintf(stderr, "lwcc: error: --name '%s' is not a C identifier\n", v);
                return LW_ERR_MODEL;
            }
            o.name = v;
        } else if ((v = flag_value(argc, argv, &i, "--shape", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs NAME:DIMS", a);
            if (o.nshapes >= MAX_REPEAT)
                return usage_error("too many %s flags", a);
            if (!parse_shape(v, &shapes[o.nshapes])) {
                fprintf(stderr, "lwcc: error: --shape '%s': expected NAME:1x3x224x224\n", v);
                return LW_ERR_MODEL;
            }
            o.nshapes++;
        } else if ((v = flag_value(argc, argv, &i, "--freeze-input", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs NAME=FILE.pb", a);
            char *eq = strrchr(v, '=');
            if (!eq || eq == v || !eq[1]) {
                fprintf(stderr, "lwcc: error: --freeze-input '%s': expected NAME=FILE.pb\n", v);
                return LW_ERR_MODEL;
            }
            if (o.nfreezes >= MAX_REPEAT)
                return usage_error("too many %s flags", a);
            *eq = 0; /* the name ends where '=' was */
            freezes[o.nfreezes].name = v;
            freezes[o.nfreezes].path = eq + 1;
            o.nfreezes++;
        } else if ((v = flag_value(argc, argv, &i, "--emit", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs a value", a);
            if (!strcmp(v, "c"))
                o.emit = LW_EMIT_C;
            else if (!strcmp(v, "ir"))
                o.emit = LW_EMIT_IR;
            else if (!strcmp(v, "kir"))
                o.emit = LW_EMIT_KIR;
            else if (!strcmp(v, "llvm"))
                o.emit = LW_EMIT_LLVM;
            else if (!strcmp(v, "bc"))
                o.emit = LW_EMIT_BC;
            else if (!strcmp(v, "obj"))
                o.emit = LW_EMIT_OBJ;
            else if (!strcmp(v, "onnx"))
                o.emit = LW_EMIT_ONNX;
            else {
                fprintf(stderr, "lwcc: error: --emit=%s: expected c, llvm, bc, obj, ir or kir\n",
                        v);
                return LW_ERR_MODEL;
            }
        } else if ((v = flag_value(argc, argv, &i, "--print-after", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs a pass name", a);
            if (strcmp(v, "all") && !pipeline_find(v)) {
                fprintf(stderr, "lwcc: error: --print-after=%s: no such pass (see --help-passes)\n",
                        v);
                return LW_ERR_MODEL;
            }
            o.print_after = v;
        } else if ((v = flag_value(argc, argv, &i, "--disable-pass", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs a pass name", a);
            if (!pipeline_find(v)) {
                fprintf(stderr, "lwcc: error: --disable-pass=%s: no such pass\n", v);
                return LW_ERR_MODEL;
            }
            if (o.ndisabled < MAX_REPEAT)
                disabled[o.ndisabled++] = v;
        } else if ((v = flag_value(argc, argv, &i, "--depfile", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs a file name", a);
            o.depfile = v;
        } else if ((v = flag_value(argc, argv, &i, "--quantize", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs a value (int8)", a);
            if (strcmp(v, "int8")) {
                fprintf(stderr, "lwcc: error: --quantize=%s: only int8 is supported\n", v);
                return LW_ERR_MODEL;
            }
            o.quantize = v;
        } else if ((v = flag_value(argc, argv, &i, "--arena", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs a value (bound, tight or fast)", a);
            if (strcmp(v, "bound") && strcmp(v, "tight") && strcmp(v, "fast")) {
                fprintf(stderr, "lwcc: error: --arena=%s: expected bound, tight or fast\n", v);
                return LW_ERR_MODEL;
            }
            o.arena_mode = !strcmp(v, "tight") ? 1 : !strcmp(v, "fast") ? 2 : 0;
        } else if ((v = flag_value(argc, argv, &i, "--requant", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs a value (auto, float or fixed)", a);
            if (strcmp(v, "auto") && strcmp(v, "float") && strcmp(v, "fixed")) {
                fprintf(stderr, "lwcc: error: --requant=%s: expected auto, float or fixed\n", v);
                return LW_ERR_MODEL;
            }
            o.requant = !strcmp(v, "float") ? 1 : !strcmp(v, "fixed") ? 2 : 0;
        } else if ((v = flag_value(argc, argv, &i, "--calibration-method", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs a value", a);
            if (strcmp(v, "minmax") && strcmp(v, "percentile") && strcmp(v, "mse")) {
                fprintf(stderr, "lwcc: error: --calibration-method=%s: expected minmax, "
                        "percentile or mse\n", v);
                return LW_ERR_MODEL;
            }
            o.calib_method = v;
        } else if ((v = flag_value(argc, argv, &i, "--calibration", &missing)) || missing) {
            if (missing || !*v)
                return usage_error("--calibration needs a folder");
            o.calibration = v;
        } else if ((v = flag_value(argc, argv, &i, "--quant-budget", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs a value in dB (or none)", a);
            char *end;
            double db = strtod(v, &end);
            if (!strcmp(v, "none")) {
                o.quant_budget_db = -1;
            } else if (end == v || *end || !(db > 0 && db <= 200)) {
                fprintf(stderr, "lwcc: error: --quant-budget=%s: expected dB in (0, 200] or "
                        "none\n", v);
                return LW_ERR_MODEL;
            } else {
                o.quant_budget_db = db;
            }
        } else if ((v = flag_value(argc, argv, &i, "--keep-float", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs node names", a);
            for (char *s = v, *e; s && *s; s = e) { /* comma-separated; the string is ours */
                e = strchr(s, ',');
                if (e)
                    *e++ = 0;
                if (!*s)
                    continue;
                if (nkeep >= MAX_REPEAT)
                    return usage_error("too many --keep-float names");
                keep[nkeep++] = s;
            }
            o.keep_float = keep;
            o.nkeep_float = nkeep;
        } else if ((v = flag_value(argc, argv, &i, "--report", &missing)) || missing) {
            if (missing)
                return usage_error("%s needs a file name", a);
            if (!*v) {
                fprintf(stderr, "lwcc: error: --report needs a file name\n");
                return LW_ERR_MODEL;
            }
            o.report = v;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option '%s'", a);
        } else {
            if (o.input)
                return usage_error("more than one model given ('%s')", a);
            o.input = a;
        }
    }
    if (!o.input)
        return usage_error("no model given");
    if (o.quantize && !o.calibration)
        return usage_error("--quantize=int8 needs --calibration=DIR (the inputs to measure "
                           "activation ranges on)");
    if (!o.quantize && (o.calibration || o.calib_method || o.nkeep_float || o.quant_budget_db))
        return usage_error("--calibration, --calibration-method, --keep-float and "
                           "--quant-budget go with --quantize=int8");
    if (!target_find(o.target)) {
        fprintf(stderr, "lwcc: error: unknown target '%s'; known targets:\n", o.target);
        target_list(stderr);
        return LW_ERR_MODEL;
    }
    return (int)lwcc_compile(&o);
}
