/* LLVM printer: the same kernel IR the C printer reads, built as an LLVM module through
 * llvm-c. Nothing here knows an ONNX op: kernel operations, buffers, the memory plan and
 * the weight blob only. Every expression means what the C printer's spelling of it means
 * in C99 (wrapping integer arithmetic, guarded division, lazily evaluated guarded loads,
 * C's conversions), so both backends give the same answers; the runtime-min helpers come
 * from the bitcode clang made of the same sources when lwcc was built (rt_bitcode.h).
 *
 * Kernels become internal functions whose parameters are the buffers they touch, as
 * `noalias` pointers with their known alignment and size (the C printer's `restrict`
 * locals); `<prefix>_run` and the tensor descriptors are the only external symbols. */
#include "codegen/emit.h"

#if LWCC_HAVE_LLVM

#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/Linker.h>
#include <llvm-c/Support.h>
#include <stdio.h>
#include <stdlib.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <llvm/Config/llvm-config.h>
#include <dlfcn.h>

#include "base/fileio.h"
#include "codegen/cname.h"
#include "codegen/rt_bitcode.h"
#include "ir/graph.h"
#include "passes/pass.h"
#include "target/target.h"

#define LW_STR2(x) #x
#define LW_STR(x) LW_STR2(x)

const char *llvm_version(void)
{
    return LW_STR(LLVM_VERSION_MAJOR) "." LW_STR(LLVM_VERSION_MINOR) "." LW_STR(LLVM_VERSION_PATCH);
}

/* libLLVM is opened when the LLVM printer first runs, not when lwcc starts: loading it
 * and running its constructors took 60 ms of every lwcc run (150 ms under ASan), the C
 * backend's too, and a machine without it could not run lwcc at all. Each llvm-c
 * function is called through a pointer of its own type, looked up by load_llvm. */
static struct LlvmFns {
#define X(f) LW_TYPEOF(f) * f;
#include "codegen/llvm_syms.def"
#undef X
} llvm;

_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "dlsym's pointers are function pointers");

/* Opens libLLVM (LWCC_LIBLLVM in the environment, else the one lwcc was built with) and
 * looks up every function in llvm_syms.def, once per process. */
static LwStatus load_llvm(Ctx *ctx)
{
    static int loaded;
    if (loaded)
        return LW_OK;
    const char *env = getenv("LWCC_LIBLLVM");
    int built = !env || !*env;
    const char *path = built ? LWCC_LIBLLVM : env;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h && built) { /* moved: by its name, along the loader's paths */
        const char *base = strrchr(path, '/');
        h = dlopen(base ? base + 1 : path, RTLD_NOW | RTLD_LOCAL);
    }
    if (!h) {
        const char *why = dlerror();
        return diag_error(ctx->diag,
                          "the LLVM backend needs libLLVM %d (%s), which cannot be loaded: %s "
                          "(Debian: apt-get install libllvm%d; the C backend, --emit=c, does "
                          "not need it)",
                          LLVM_VERSION_MAJOR, path, why ? why : "unknown error",
                          LLVM_VERSION_MAJOR);
    }
    void *sym;
    const char *missing = NULL;
#define X(f)                                                                                       \
    if (!missing && !(sym = dlsym(h, #f)))                                                         \
        missing = #f;                                                                              \
    else if (!missing)                                                                             \
        memcpy(&llvm.f, &sym, sizeof sym);
#include "codegen/llvm_syms.def"
#undef X
    if (missing) {
        dlclose(h);
        return diag_error(ctx->diag,
                          "the LLVM backend cannot use %s: it has no %s (lwcc was built with "
                          "LLVM %s)",
                          path, missing, llvm_version());
    }
    loaded = 1;
    return LW_OK;
}

/* From here on, every llvm-c call goes through its pointer: one line per llvm_syms.def
 * entry. A call to a function without a line here does not link (libLLVM is not linked);
 * a line for one not in llvm_syms.def does not compile. */
#define LLVMAddAttributeAtIndex (*llvm.LLVMAddAttributeAtIndex)
#define LLVMAddFunction (*llvm.LLVMAddFunction)
#define LLVMAddGlobal (*llvm.LLVMAddGlobal)
#define LLVMAddIncoming (*llvm.LLVMAddIncoming)
#define LLVMAppendBasicBlockInContext (*llvm.LLVMAppendBasicBlockInContext)
#define LLVMBuildAShr (*llvm.LLVMBuildAShr)
#define LLVMBuildAdd (*llvm.LLVMBuildAdd)
#define LLVMBuildAlloca (*llvm.LLVMBuildAlloca)
#define LLVMBuildAnd (*llvm.LLVMBuildAnd)
#define LLVMBuildBitCast (*llvm.LLVMBuildBitCast)
#define LLVMBuildBr (*llvm.LLVMBuildBr)
#define LLVMBuildCall2 (*llvm.LLVMBuildCall2)
#define LLVMBuildCondBr (*llvm.LLVMBuildCondBr)
#define LLVMBuildExtractElement (*llvm.LLVMBuildExtractElement)
#define LLVMBuildFAdd (*llvm.LLVMBuildFAdd)
#define LLVMBuildFCmp (*llvm.LLVMBuildFCmp)
#define LLVMBuildFDiv (*llvm.LLVMBuildFDiv)
#define LLVMBuildFMul (*llvm.LLVMBuildFMul)
#define LLVMBuildFNeg (*llvm.LLVMBuildFNeg)
#define LLVMBuildFPExt (*llvm.LLVMBuildFPExt)
#define LLVMBuildFPToSI (*llvm.LLVMBuildFPToSI)
#define LLVMBuildFPToUI (*llvm.LLVMBuildFPToUI)
#define LLVMBuildFPTrunc (*llvm.LLVMBuildFPTrunc)
#define LLVMBuildFSub (*llvm.LLVMBuildFSub)
#define LLVMBuildICmp (*llvm.LLVMBuildICmp)
#define LLVMBuildInBoundsGEP2 (*llvm.LLVMBuildInBoundsGEP2)
#define LLVMBuildInsertElement (*llvm.LLVMBuildInsertElement)
#define LLVMBuildIsNull (*llvm.LLVMBuildIsNull)
#define LLVMBuildLShr (*llvm.LLVMBuildLShr)
#define LLVMBuildLoad2 (*llvm.LLVMBuildLoad2)
#define LLVMBuildMul (*llvm.LLVMBuildMul)
#define LLVMBuildNSWAdd (*llvm.LLVMBuildNSWAdd)
#define LLVMBuildNSWMul (*llvm.LLVMBuildNSWMul)
#define LLVMBuildNUWAdd (*llvm.LLVMBuildNUWAdd)
#define LLVMBuildOr (*llvm.LLVMBuildOr)
#define LLVMBuildPhi (*llvm.LLVMBuildPhi)
#define LLVMBuildPtrToInt (*llvm.LLVMBuildPtrToInt)
#define LLVMBuildRet (*llvm.LLVMBuildRet)
#define LLVMBuildRetVoid (*llvm.LLVMBuildRetVoid)
#define LLVMBuildSDiv (*llvm.LLVMBuildSDiv)
#define LLVMBuildSExt (*llvm.LLVMBuildSExt)
#define LLVMBuildSIToFP (*llvm.LLVMBuildSIToFP)
#define LLVMBuildSRem (*llvm.LLVMBuildSRem)
#define LLVMBuildSelect (*llvm.LLVMBuildSelect)
#define LLVMBuildShl (*llvm.LLVMBuildShl)
#define LLVMBuildShuffleVector (*llvm.LLVMBuildShuffleVector)
#define LLVMBuildStore (*llvm.LLVMBuildStore)
#define LLVMBuildSub (*llvm.LLVMBuildSub)
#define LLVMBuildTrunc (*llvm.LLVMBuildTrunc)
#define LLVMBuildUDiv (*llvm.LLVMBuildUDiv)
#define LLVMBuildUIToFP (*llvm.LLVMBuildUIToFP)
#define LLVMBuildURem (*llvm.LLVMBuildURem)
#define LLVMBuildXor (*llvm.LLVMBuildXor)
#define LLVMBuildZExt (*llvm.LLVMBuildZExt)
#define LLVMConstArray (*llvm.LLVMConstArray)
#define LLVMConstBitCast (*llvm.LLVMConstBitCast)
#define LLVMConstInt (*llvm.LLVMConstInt)
#define LLVMConstNamedStruct (*llvm.LLVMConstNamedStruct)
#define LLVMConstNull (*llvm.LLVMConstNull)
#define LLVMConstReal (*llvm.LLVMConstReal)
#define LLVMConstStringInContext (*llvm.LLVMConstStringInContext)
#define LLVMConstVector (*llvm.LLVMConstVector)
#define LLVMContextCreate (*llvm.LLVMContextCreate)
#define LLVMContextDispose (*llvm.LLVMContextDispose)
#define LLVMCountParamTypes (*llvm.LLVMCountParamTypes)
#define LLVMCreateBuilderInContext (*llvm.LLVMCreateBuilderInContext)
#define LLVMCreateEnumAttribute (*llvm.LLVMCreateEnumAttribute)
#define LLVMCreateMemoryBufferWithMemoryRange (*llvm.LLVMCreateMemoryBufferWithMemoryRange)
#define LLVMCreatePassBuilderOptions (*llvm.LLVMCreatePassBuilderOptions)
#define LLVMCreateTargetDataLayout (*llvm.LLVMCreateTargetDataLayout)
#define LLVMCreateTargetMachine (*llvm.LLVMCreateTargetMachine)
#define LLVMDisposeBuilder (*llvm.LLVMDisposeBuilder)
#define LLVMDisposeErrorMessage (*llvm.LLVMDisposeErrorMessage)
#define LLVMDisposeMemoryBuffer (*llvm.LLVMDisposeMemoryBuffer)
#define LLVMDisposeMessage (*llvm.LLVMDisposeMessage)
#define LLVMDisposeModule (*llvm.LLVMDisposeModule)
#define LLVMDisposePassBuilderOptions (*llvm.LLVMDisposePassBuilderOptions)
#define LLVMDisposeTargetData (*llvm.LLVMDisposeTargetData)
#define LLVMDisposeTargetMachine (*llvm.LLVMDisposeTargetMachine)
#define LLVMDoubleTypeInContext (*llvm.LLVMDoubleTypeInContext)
#define LLVMFloatTypeInContext (*llvm.LLVMFloatTypeInContext)
#define LLVMFunctionType (*llvm.LLVMFunctionType)
#define LLVMGetBufferSize (*llvm.LLVMGetBufferSize)
#define LLVMGetBufferStart (*llvm.LLVMGetBufferStart)
#define LLVMGetDataLayoutStr (*llvm.LLVMGetDataLayoutStr)
#define LLVMGetDefaultTargetTriple (*llvm.LLVMGetDefaultTargetTriple)
#define LLVMGetEnumAttributeKindForName (*llvm.LLVMGetEnumAttributeKindForName)
#define LLVMGetErrorMessage (*llvm.LLVMGetErrorMessage)
#define LLVMGetFirstFunction (*llvm.LLVMGetFirstFunction)
#define LLVMGetFirstGlobal (*llvm.LLVMGetFirstGlobal)
#define LLVMGetHostCPUFeatures (*llvm.LLVMGetHostCPUFeatures)
#define LLVMGetHostCPUName (*llvm.LLVMGetHostCPUName)
#define LLVMGetInsertBlock (*llvm.LLVMGetInsertBlock)
#define LLVMGetIntrinsicDeclaration (*llvm.LLVMGetIntrinsicDeclaration)
#define LLVMGetMDKindIDInContext (*llvm.LLVMGetMDKindIDInContext)
#define LLVMGetNamedFunction (*llvm.LLVMGetNamedFunction)
#define LLVMGetNextFunction (*llvm.LLVMGetNextFunction)
#define LLVMGetNextGlobal (*llvm.LLVMGetNextGlobal)
#define LLVMGetParam (*llvm.LLVMGetParam)
#define LLVMGetParamTypes (*llvm.LLVMGetParamTypes)
#define LLVMGetTarget (*llvm.LLVMGetTarget)
#define LLVMGetTargetFromTriple (*llvm.LLVMGetTargetFromTriple)
#define LLVMGetUndef (*llvm.LLVMGetUndef)
#define LLVMGetValueName (*llvm.LLVMGetValueName)
#define LLVMGlobalGetValueType (*llvm.LLVMGlobalGetValueType)
#define LLVMInitializeAArch64AsmParser (*llvm.LLVMInitializeAArch64AsmParser)
#define LLVMInitializeAArch64AsmPrinter (*llvm.LLVMInitializeAArch64AsmPrinter)
#define LLVMInitializeAArch64Target (*llvm.LLVMInitializeAArch64Target)
#define LLVMInitializeAArch64TargetInfo (*llvm.LLVMInitializeAArch64TargetInfo)
#define LLVMInitializeAArch64TargetMC (*llvm.LLVMInitializeAArch64TargetMC)
#define LLVMInitializeARMAsmParser (*llvm.LLVMInitializeARMAsmParser)
#define LLVMInitializeARMAsmPrinter (*llvm.LLVMInitializeARMAsmPrinter)
#define LLVMInitializeARMTarget (*llvm.LLVMInitializeARMTarget)
#define LLVMInitializeARMTargetInfo (*llvm.LLVMInitializeARMTargetInfo)
#define LLVMInitializeARMTargetMC (*llvm.LLVMInitializeARMTargetMC)
#define LLVMInitializeX86AsmParser (*llvm.LLVMInitializeX86AsmParser)
#define LLVMInitializeX86AsmPrinter (*llvm.LLVMInitializeX86AsmPrinter)
#define LLVMInitializeX86Target (*llvm.LLVMInitializeX86Target)
#define LLVMInitializeX86TargetInfo (*llvm.LLVMInitializeX86TargetInfo)
#define LLVMInitializeX86TargetMC (*llvm.LLVMInitializeX86TargetMC)
#define LLVMInt16TypeInContext (*llvm.LLVMInt16TypeInContext)
#define LLVMInt1TypeInContext (*llvm.LLVMInt1TypeInContext)
#define LLVMInt32TypeInContext (*llvm.LLVMInt32TypeInContext)
#define LLVMInt64TypeInContext (*llvm.LLVMInt64TypeInContext)
#define LLVMInt8TypeInContext (*llvm.LLVMInt8TypeInContext)
#define LLVMIntrinsicGetType (*llvm.LLVMIntrinsicGetType)
#define LLVMIsDeclaration (*llvm.LLVMIsDeclaration)
#define LLVMLinkModules2 (*llvm.LLVMLinkModules2)
#define LLVMLookupIntrinsicID (*llvm.LLVMLookupIntrinsicID)
#define LLVMMDNodeInContext2 (*llvm.LLVMMDNodeInContext2)
#define LLVMMDStringInContext2 (*llvm.LLVMMDStringInContext2)
#define LLVMMetadataAsValue (*llvm.LLVMMetadataAsValue)
#define LLVMMetadataReplaceAllUsesWith (*llvm.LLVMMetadataReplaceAllUsesWith)
#define LLVMModuleCreateWithNameInContext (*llvm.LLVMModuleCreateWithNameInContext)
#define LLVMNormalizeTargetTriple (*llvm.LLVMNormalizeTargetTriple)
#define LLVMParseBitcodeInContext2 (*llvm.LLVMParseBitcodeInContext2)
#define LLVMParseCommandLineOptions (*llvm.LLVMParseCommandLineOptions)
#define LLVMPassBuilderOptionsSetLoopUnrolling (*llvm.LLVMPassBuilderOptionsSetLoopUnrolling)
#define LLVMPassBuilderOptionsSetLoopVectorization                                                 \
    (*llvm.LLVMPassBuilderOptionsSetLoopVectorization)
#define LLVMPassBuilderOptionsSetSLPVectorization (*llvm.LLVMPassBuilderOptionsSetSLPVectorization)
#define LLVMPointerSize (*llvm.LLVMPointerSize)
#define LLVMPointerType (*llvm.LLVMPointerType)
#define LLVMPositionBuilderAtEnd (*llvm.LLVMPositionBuilderAtEnd)
#define LLVMPrintModuleToString (*llvm.LLVMPrintModuleToString)
#define LLVMRemoveStringAttributeAtIndex (*llvm.LLVMRemoveStringAttributeAtIndex)
#define LLVMRunPasses (*llvm.LLVMRunPasses)
#define LLVMSetAlignment (*llvm.LLVMSetAlignment)
#define LLVMSetDataLayout (*llvm.LLVMSetDataLayout)
#define LLVMSetGlobalConstant (*llvm.LLVMSetGlobalConstant)
#define LLVMSetInitializer (*llvm.LLVMSetInitializer)
#define LLVMSetLinkage (*llvm.LLVMSetLinkage)
#define LLVMSetMetadata (*llvm.LLVMSetMetadata)
#define LLVMSetModuleDataLayout (*llvm.LLVMSetModuleDataLayout)
#define LLVMSetTarget (*llvm.LLVMSetTarget)
#define LLVMSetUnnamedAddress (*llvm.LLVMSetUnnamedAddress)
#define LLVMStructCreateNamed (*llvm.LLVMStructCreateNamed)
#define LLVMStructSetBody (*llvm.LLVMStructSetBody)
#define LLVMTargetMachineEmitToMemoryBuffer (*llvm.LLVMTargetMachineEmitToMemoryBuffer)
#define LLVMTemporaryMDNode (*llvm.LLVMTemporaryMDNode)
#define LLVMTypeOf (*llvm.LLVMTypeOf)
#define LLVMValueAsMetadata (*llvm.LLVMValueAsMetadata)
#define LLVMVectorType (*llvm.LLVMVectorType)
#define LLVMVerifyModule (*llvm.LLVMVerifyModule)
#define LLVMVoidTypeInContext (*llvm.LLVMVoidTypeInContext)
#define LLVMWriteBitcodeToMemoryBuffer (*llvm.LLVMWriteBitcodeToMemoryBuffer)

typedef struct LPrinter {
    Ctx *ctx;
    const Program *p;
    LLVMContextRef C;
    LLVMModuleRef M;
    LLVMBuilderRef B;
    LLVMTypeRef i1, i8, i16, i32, i64, iptr, f32, f64, vd, i8p;
    unsigned ptr_bits;
    LLVMValueRef fn;        /* function being built */
    LLVMValueRef *bufarg;   /* per buffer: its parameter in the current kernel, or NULL */
    LLVMValueRef *var;      /* loop variables (iptr) */
    LLVMValueRef *local;    /* allocas of the kernel's locals */
    const Kernel *k;
    LLVMValueRef weights;   /* the blob global, or NULL */
    LLVMTypeRef weights_ty;
    uint64_t *woff;
    uint32_t blob_align; /* weight_align: the blob's, and the most a weight's offset gives */
    LLVMValueRef fmuladd_f32, fmuladd_f64;
    int roundeven; /* the target rounds to even in one instruction: llvm.roundeven, not the helper */
    int gathers;   /* target_gathers: strided loops kept from the loop vectorizer */
    LLVMMetadataRef novec; /* !{"llvm.loop.vectorize.enable", i1 false}, made at first use */
    int vnni, sdot; /* the target's four-way int8 dot products (KE_DOT4) */
    int pmadd;      /* 2 (AVX-512BW), 1 (AVX2): vpmaddwd for them without VNNI */
    int smlad;      /* Armv7E-M's DSP extension: llvm.arm.smlad for KE_DOT2 */
} LPrinter;

/* ---------------------------------------------------------------- types */

static LLVMTypeRef ltype(LPrinter *lp, DType dt)
{
    if (dt == DT_FLOAT32)
        return lp->f32;
    if (dt == DT_FLOAT64)
        return lp->f64;
    switch (dtype_size(dt)) { /* integers, bool (uint8_t) and the half types' bits */
    case 1:
        return lp->i8;
    case 2:
        return lp->i16;
    case 4:
        return lp->i32;
    case 8:
        return lp->i64;
    }
    LW_ICE("the LLVM printer has no type for %s", dtype_name(dt));
}

/* a kernel-IR type: a vector (lanes > 1) is <lanes x T> */
static LLVMTypeRef ktype_of(LPrinter *lp, KType t)
{
    LLVMTypeRef e = ltype(lp, t.dt);
    return t.lanes > 1 ? LLVMVectorType(e, t.lanes) : e;
}

static int is_fl(DType dt)
{
    return dt == DT_FLOAT32 || dt == DT_FLOAT64;
}

/* signedness as C sees the storage type (bool and the half types' bits are unsigned) */
static int is_signed(DType dt)
{
    return dtype_is_signed(dt);
}

static LLVMValueRef cint(LLVMTypeRef t, int64_t v)
{
    return LLVMConstInt(t, (unsigned long long)v, 1);
}

/* ---------------------------------------------------------------- indices */

static LLVMValueRef index_val(LPrinter *lp, const KIndex *ix)
{
    LLVMValueRef acc = NULL;
    for (uint8_t i = 0; i < ix->n; i++) {
        if (ix->coef[i] == 0)
            continue;
        LLVMValueRef v = lp->var[ix->var[i]];
        LW_ASSERT(v);
        if (ix->coef[i] != 1)
            v = LLVMBuildNSWMul(lp->B, v, cint(lp->iptr, ix->coef[i]), "");
        acc = acc ? LLVMBuildNSWAdd(lp->B, acc, v, "") : v;
    }
    if (!acc)
        return cint(lp->iptr, ix->base);
    if (ix->base)
        acc = LLVMBuildNSWAdd(lp->B, acc, cint(lp->iptr, ix->base), "");
    return acc;
}

/* (uint32_t)(e) < bound for every condition, as an i1 */
static LLVMValueRef conds_val(LPrinter *lp, const KCond *c, uint8_t n)
{
    LLVMValueRef all = NULL;
    for (uint8_t i = 0; i < n; i++) {
        LLVMValueRef e = index_val(lp, &c[i].e);
        LLVMValueRef ok = LLVMBuildICmp(lp->B, LLVMIntULT, e, cint(lp->iptr, c[i].bound), "");
        all = all ? LLVMBuildAnd(lp->B, all, ok, "") : ok;
    }
    return all ? all : LLVMConstInt(lp->i1, 1, 0);
}

static LLVMValueRef elem_ptr(LPrinter *lp, uint32_t buf, LLVMValueRef idx)
{
    LLVMValueRef base = lp->bufarg[buf];
    LW_ASSERT(base);
    return LLVMBuildInBoundsGEP2(lp->B, ltype(lp, lp->p->bufs.data[buf].dtype), base, &idx, 1, "");
}

/* buf[idx], or with lanes > 1 the vector of buf[idx .. idx + lanes - 1]; a vector access
 * is aligned to its element only (the kernel IR puts vectors at any element). */
static LLVMValueRef lanes_ptr(LPrinter *lp, uint32_t buf, LLVMValueRef idx, uint8_t lanes,
                              LLVMTypeRef *type)
{
    KType t = {lp->p->bufs.data[buf].dtype, lanes};
    LLVMValueRef ptr = elem_ptr(lp, buf, idx);
    *type = ktype_of(lp, t);
    if (lanes > 1)
        ptr = LLVMBuildBitCast(lp->B, ptr, LLVMPointerType(*type, 0), "");
    return ptr;
}

static LLVMValueRef load_elem(LPrinter *lp, uint32_t buf, LLVMValueRef idx, uint8_t lanes)
{
    LLVMTypeRef T;
    LLVMValueRef ptr = lanes_ptr(lp, buf, idx, lanes, &T);
    LLVMValueRef v = LLVMBuildLoad2(lp->B, T, ptr, "");
    LLVMSetAlignment(v, dtype_size(lp->p->bufs.data[buf].dtype));
    return v;
}

/* ---------------------------------------------------------------- helpers */

static LLVMValueRef helper_fn(LPrinter *lp, const char *name)
{
    LLVMValueRef f = LLVMGetNamedFunction(lp->M, name);
    if (!f)
        LW_ICE("runtime-min bitcode has no helper '%s'", name);
    return f;
}

static LLVMValueRef call_helper(LPrinter *lp, const char *name, LLVMValueRef *args, unsigned n)
{
    LLVMValueRef f = helper_fn(lp, name);
    return LLVMBuildCall2(lp->B, LLVMGlobalGetValueType(f), f, args, n, "");
}

/* an intrinsic overloaded on one type ("llvm.fmuladd" on float, <8 x float>, ...) */
static LLVMValueRef intrinsic(LPrinter *lp, const char *name, LLVMTypeRef t)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LW_ASSERT(id != 0);
    return LLVMGetIntrinsicDeclaration(lp->M, id, &t, 1);
}

/* ---------------------------------------------------------------- conversions */

/* C's (to)v for arithmetic types, v of type `from`; the half types go through float32
 * with the runtime-min converters, like the C printer's casts. */
static LLVMValueRef convert(LPrinter *lp, LLVMValueRef v, DType from, DType to)
{
    LLVMBuilderRef B = lp->B;
    if (from == DT_FLOAT16 || from == DT_BFLOAT16) {
        v = call_helper(lp, from == DT_FLOAT16 ? "lwrt_f16_to_f32" : "lwrt_bf16_to_f32", &v, 1);
        from = DT_FLOAT32;
    }
    if (to == DT_FLOAT16 || to == DT_BFLOAT16) {
        v = convert(lp, v, from, DT_FLOAT32);
        return call_helper(lp, to == DT_FLOAT16 ? "lwrt_f32_to_f16" : "lwrt_f32_to_bf16", &v, 1);
    }
    LLVMTypeRef T = ltype(lp, to);
    if (from == to)
        return v;
    if (to == DT_BOOL && is_fl(from)) /* (uint8_t)(0 != v) */
        return LLVMBuildZExt(B, LLVMBuildFCmp(B, LLVMRealUNE, v, LLVMConstReal(ltype(lp, from), 0),
                                              ""), lp->i8, "");
    if (is_fl(from) && is_fl(to))
        return to == DT_FLOAT64 ? LLVMBuildFPExt(B, v, T, "") : LLVMBuildFPTrunc(B, v, T, "");
    if (is_fl(to))
        return is_signed(from) ? LLVMBuildSIToFP(B, v, T, "") : LLVMBuildUIToFP(B, v, T, "");
    if (is_fl(from)) {
        /* float to a narrow integer converts to a wide one, then truncates (what C
         * compilers do in practice; an out-of-range value gives bits, never poison) */
        unsigned sz = dtype_size(to);
        if (sz == 8)
            return is_signed(to) ? LLVMBuildFPToSI(B, v, T, "") : LLVMBuildFPToUI(B, v, T, "");
        LLVMTypeRef W = sz == 4 && !is_signed(to) ? lp->i64 : lp->i32;
        LLVMValueRef w = LLVMBuildFPToSI(B, v, W, "");
        return W == T ? w : LLVMBuildTrunc(B, w, T, "");
    }
    unsigned fs = dtype_size(from), ts = dtype_size(to);
    if (fs == ts)
        return v;
    if (fs > ts)
        return LLVMBuildTrunc(B, v, T, "");
    return is_signed(from) ? LLVMBuildSExt(B, v, T, "") : LLVMBuildZExt(B, v, T, "");
}

static LLVMValueRef bool_of(LPrinter *lp, LLVMValueRef i1)
{
    return LLVMBuildZExt(lp->B, i1, lp->i8, "");
}

/* ---------------------------------------------------------------- expressions */

static LLVMValueRef expr(LPrinter *lp, const KExpr *e);

static LLVMValueRef float_call(LPrinter *lp, const KOpInfo *info, DType dt, LLVMValueRef a,
                               LLVMValueRef b)
{
    /* float64 goes through the float32 helper, as in the C printer */
    LLVMValueRef args[2] = {a, b};
    if (dt == DT_FLOAT64)
        for (unsigned i = 0; i < info->arity; i++)
            args[i] = LLVMBuildFPTrunc(lp->B, args[i], lp->f32, "");
    LLVMValueRef r = call_helper(lp, info->helper, args, info->arity);
    return dt == DT_FLOAT64 ? LLVMBuildFPExt(lp->B, r, lp->f64, "") : r;
}

static LLVMValueRef op_expr(LPrinter *lp, const KExpr *e)
{
    LLVMBuilderRef B = lp->B;
    const KOpInfo *info = kop_info(e->u.op.op);
    KOp op = e->u.op.op;
    DType dt = e->u.op.a[0]->type.dt;
    int fl = is_fl(dt), sg = is_signed(dt);
    LLVMTypeRef T = ltype(lp, dt);
    LLVMValueRef a = expr(lp, e->u.op.a[0]);
    LLVMValueRef b = info->arity > 1 ? expr(lp, e->u.op.a[1]) : NULL;
    LLVMValueRef c = info->arity > 2 ? expr(lp, e->u.op.a[2]) : NULL;
    /* vectors (add, sub, mul, div, fma, min, max on float32) take the scalar forms'
     * spelling lane-wise: fadd/fsub/fmul/fdiv, fmuladd overloaded on the vector type,
     * fcmp + select; round is llvm.roundeven on the vector type, or the helper per lane
     * where the target has no such instruction */
    if (e->type.lanes > 1 && op == KOP_ROUND) {
        LLVMTypeRef V = ktype_of(lp, e->type);
        if (lp->roundeven) {
            LLVMValueRef f = intrinsic(lp, "llvm.roundeven", V);
            return LLVMBuildCall2(B, LLVMGlobalGetValueType(f), f, &a, 1, "");
        }
        LLVMValueRef r = LLVMGetUndef(V);
        for (unsigned i = 0; i < e->type.lanes; i++) {
            LLVMValueRef x = LLVMBuildExtractElement(B, a, cint(lp->i32, i), "");
            r = LLVMBuildInsertElement(B, r, float_call(lp, info, dt, x, NULL), cint(lp->i32, i),
                                       "");
        }
        return r;
    }
    if (e->type.lanes > 1 && info->form != KF_INFIX && info->form != KF_FMA &&
        info->form != KF_MIN && info->form != KF_MAX && !(op == KOP_DIV && fl) &&
        !(info->form == KF_BITS && (op == KOP_AND || op == KOP_SHR) && !fl))
        LW_ICE("the LLVM printer has no vector form of kernel op %s", info->name);
    if (e->type.lanes > 1 && op == KOP_SHR) /* integer lanes, by less than the width */
        return LLVMBuildLShr(B, a, b, "");
    switch (info->form) {
    case KF_INFIX:
        if (op == KOP_ADD)
            return fl ? LLVMBuildFAdd(B, a, b, "") : LLVMBuildAdd(B, a, b, "");
        if (op == KOP_SUB)
            return fl ? LLVMBuildFSub(B, a, b, "") : LLVMBuildSub(B, a, b, "");
        return fl ? LLVMBuildFMul(B, a, b, "") : LLVMBuildMul(B, a, b, "");
    case KF_FMA:
        if (fl) { /* a * b + c, contractible like C's (gcc's default -ffp-contract=fast) */
            LLVMValueRef f = dt == DT_FLOAT32 ? lp->fmuladd_f32 : lp->fmuladd_f64;
            if (e->type.lanes > 1)
                f = intrinsic(lp, "llvm.fmuladd", ktype_of(lp, e->type));
            LLVMValueRef args[3] = {a, b, c};
            return LLVMBuildCall2(B, LLVMGlobalGetValueType(f), f, args, 3, "");
        }
        return LLVMBuildAdd(B, LLVMBuildMul(B, a, b, ""), c, "");
    case KF_PREFIX:
        if (op == KOP_NOT)
            return bool_of(lp, LLVMBuildICmp(B, LLVMIntEQ, a, LLVMConstNull(T), ""));
        return fl ? LLVMBuildFNeg(B, a, "") : LLVMBuildSub(B, LLVMConstNull(T), a, "");
    case KF_ABS:
        if (fl) /* a < 0 ? -a : a (keeps -0 and NaN as they are) */
            return LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealOLT, a, LLVMConstNull(T), ""),
                                   LLVMBuildFNeg(B, a, ""), a, "");
        if (!sg)
            return a;
        return LLVMBuildSelect(B, LLVMBuildICmp(B, LLVMIntSLT, a, LLVMConstNull(T), ""),
                               LLVMBuildSub(B, LLVMConstNull(T), a, ""), a, "");
    case KF_CMP: {
        LLVMValueRef r;
        if (fl) {
            static const LLVMRealPredicate fp[] = {LLVMRealOLT, LLVMRealOLE, LLVMRealOGT,
                                                   LLVMRealOGE, LLVMRealOEQ, LLVMRealUNE};
            r = LLVMBuildFCmp(B, fp[op - KOP_LT], a, b, "");
        } else {
            static const LLVMIntPredicate sp[] = {LLVMIntSLT, LLVMIntSLE, LLVMIntSGT,
                                                  LLVMIntSGE, LLVMIntEQ, LLVMIntNE};
            static const LLVMIntPredicate up[] = {LLVMIntULT, LLVMIntULE, LLVMIntUGT,
                                                  LLVMIntUGE, LLVMIntEQ, LLVMIntNE};
            r = LLVMBuildICmp(B, (sg ? sp : up)[op - KOP_LT], a, b, "");
        }
        return bool_of(lp, r);
    }
    case KF_MIN:
    case KF_MAX: { /* a < b ? a : b, a > b ? a : b */
        int mn = info->form == KF_MIN;
        LLVMValueRef cnd =
            fl ? LLVMBuildFCmp(B, mn ? LLVMRealOLT : LLVMRealOGT, a, b, "")
               : LLVMBuildICmp(B, mn ? (sg ? LLVMIntSLT : LLVMIntULT) : (sg ? LLVMIntSGT : LLVMIntUGT),
                               a, b, "");
        return LLVMBuildSelect(B, cnd, a, b, "");
    }
    case KF_BITS: {
        if (op == KOP_AND)
            return LLVMBuildAnd(B, a, b, "");
        if (op == KOP_OR)
            return LLVMBuildOr(B, a, b, "");
        if (op == KOP_XOR)
            return LLVMBuildXor(B, a, b, "");
        /* shifts in the C printer's unsigned type (32 or 64 bits); a shift by the width or
         * more gives 0 */
        LLVMTypeRef U = dtype_size(dt) == 8 ? lp->i64 : lp->i32;
        unsigned width = dtype_size(dt) == 8 ? 64 : 32;
        LLVMValueRef ua = U == T ? a : sg ? LLVMBuildSExt(B, a, U, "") : LLVMBuildZExt(B, a, U, "");
        LLVMValueRef ub = U == T ? b : sg ? LLVMBuildSExt(B, b, U, "") : LLVMBuildZExt(B, b, U, "");
        LLVMValueRef big = LLVMBuildICmp(B, LLVMIntUGE, ub, cint(U, width), "");
        LLVMValueRef safe = LLVMBuildSelect(B, big, LLVMConstNull(U), ub, "");
        LLVMValueRef r = op == KOP_SHL ? LLVMBuildShl(B, ua, safe, "") : LLVMBuildLShr(B, ua, safe, "");
        r = LLVMBuildSelect(B, big, LLVMConstNull(U), r, "");
        return U == T ? r : LLVMBuildTrunc(B, r, T, "");
    }
    case KF_DIV: {
        if (fl) {
            if (op == KOP_MOD)
                return float_call(lp, info, dt, a, b);
            return LLVMBuildFDiv(B, a, b, "");
        }
        /* 0 for a zero divisor; x / -1 = -x and x % -1 = 0 without overflow */
        LLVMValueRef zero = LLVMConstNull(T);
        LLVMValueRef bz = LLVMBuildICmp(B, LLVMIntEQ, b, zero, "");
        LLVMValueRef bm1 = sg ? LLVMBuildICmp(B, LLVMIntEQ, b, cint(T, -1), "") : NULL;
        LLVMValueRef odd = sg ? LLVMBuildOr(B, bz, bm1, "") : bz;
        LLVMValueRef d = LLVMBuildSelect(B, odd, LLVMConstInt(T, 1, 0), b, "");
        LLVMValueRef q = op == KOP_DIV ? (sg ? LLVMBuildSDiv(B, a, d, "") : LLVMBuildUDiv(B, a, d, ""))
                                       : (sg ? LLVMBuildSRem(B, a, d, "") : LLVMBuildURem(B, a, d, ""));
        if (sg)
            q = LLVMBuildSelect(B, bm1, op == KOP_DIV ? LLVMBuildSub(B, zero, a, "") : zero, q, "");
        return LLVMBuildSelect(B, bz, zero, q, "");
    }
    case KF_CALL:
        if (!fl)
            LW_ICE("kernel op %s on %s has no helper", info->name, dtype_name(dt));
        if (op == KOP_ROUND && lp->roundeven) { /* inlined and vectorized, as the C printer's */
            const char *nm = dt == DT_FLOAT64 ? "llvm.roundeven.f64" : "llvm.roundeven.f32";
            LLVMValueRef f = LLVMGetNamedFunction(lp->M, nm);
            LLVMTypeRef fty = LLVMFunctionType(T, &T, 1, 0);
            if (!f)
                f = LLVMAddFunction(lp->M, nm, fty);
            return LLVMBuildCall2(B, fty, f, &a, 1, "");
        }
        return float_call(lp, info, dt, a, b);
    }
    LW_ICE("kernel op %s: unknown form", info->name);
}

/* A guarded load: the load runs only where every guard holds, like C's `c ? b[i] : other`. */
static LLVMValueRef guarded_load(LPrinter *lp, const KExpr *e)
{
    LLVMBuilderRef B = lp->B;
    LLVMValueRef ok = conds_val(lp, e->u.load.guard, e->u.load.nguard);
    LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(lp->C, lp->fn, "in");
    LLVMBasicBlockRef no = LLVMAppendBasicBlockInContext(lp->C, lp->fn, "pad");
    LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(lp->C, lp->fn, "join");
    LLVMBuildCondBr(B, ok, yes, no);
    LLVMPositionBuilderAtEnd(B, yes);
    LLVMValueRef v1 = load_elem(lp, e->u.load.buf, index_val(lp, &e->u.load.idx), 1);
    LLVMBasicBlockRef yes_end = LLVMGetInsertBlock(B);
    LLVMBuildBr(B, join);
    LLVMPositionBuilderAtEnd(B, no);
    LLVMValueRef v2 = expr(lp, e->u.load.other);
    LLVMBasicBlockRef no_end = LLVMGetInsertBlock(B);
    LLVMBuildBr(B, join);
    LLVMPositionBuilderAtEnd(B, join);
    LLVMValueRef phi = LLVMBuildPhi(B, LLVMTypeOf(v1), "");
    LLVMValueRef vals[2] = {v1, v2};
    LLVMBasicBlockRef from[2] = {yes_end, no_end};
    LLVMAddIncoming(phi, vals, from, 2);
    return phi;
}

/* v as type T (same size), or v itself */
static LLVMValueRef as_type(LPrinter *lp, LLVMValueRef v, LLVMTypeRef T)
{
    return LLVMTypeOf(v) == T ? v : LLVMBuildBitCast(lp->B, v, T, "");
}

/* A KE_DOT4 operand as <4L x i8>: its 4L bytes, or its four in every lane (flip: each
 * byte's top bit flipped). */
static LLVMValueRef dot_arg(LPrinter *lp, const KExpr *a, unsigned L, int flip)
{
    LLVMBuilderRef B = lp->B;
    LLVMValueRef at = index_val(lp, &a->u.load.idx);
    LLVMTypeRef VB = LLVMVectorType(lp->i8, 4 * L), VI = LLVMVectorType(lp->i32, L);
    if (a->type.lanes != 4)
        return load_elem(lp, a->u.load.buf, at, a->type.lanes);
    LLVMValueRef p =
        LLVMBuildBitCast(B, elem_ptr(lp, a->u.load.buf, at), LLVMPointerType(lp->i32, 0), "");
    LLVMValueRef w = LLVMBuildLoad2(B, lp->i32, p, "");
    LLVMSetAlignment(w, 1);
    if (flip)
        w = LLVMBuildXor(B, w, cint(lp->i32, (int32_t)0x80808080u), "");
    LLVMValueRef v = LLVMBuildInsertElement(B, LLVMGetUndef(VI), w, LLVMConstNull(lp->i32), "");
    v = LLVMBuildShuffleVector(B, v, LLVMGetUndef(VI), LLVMConstNull(VI), "");
    return LLVMBuildBitCast(B, v, VB, "");
}

/* KE_DOT4: AVX-512 VNNI's vpdpbusd (a uint8 and an int8 operand) or AArch64's sdot (two
 * int8) where the target has it, else widened products summed lane by lane (what any
 * target can run). */
static LLVMValueRef dot4(LPrinter *lp, const KExpr *e)
{
    LLVMBuilderRef B = lp->B;
    KDotSide sd[2]; /* the uint8 operand first */
    kir_dot_sides(e, sd);
    int ua = sd[0].u8, ub = sd[1].u8;
    unsigned L = e->type.lanes;
    LLVMValueRef acc = expr(lp, e->u.dot.acc);
    LLVMValueRef av = dot_arg(lp, sd[0].load, L, sd[0].flip);
    LLVMValueRef bv = dot_arg(lp, sd[1].load, L, sd[1].flip);
    LLVMTypeRef VI = LLVMVectorType(lp->i32, L), VB = LLVMVectorType(lp->i8, 4 * L);
    const char *name = NULL;
    LLVMTypeRef over[2] = {VI, VB};
    unsigned nover = 0;
    if (ua && !ub && lp->vnni && (L == 16 || L == 8))
        name = L == 16 ? "llvm.x86.avx512.vpdpbusd.512" : "llvm.x86.avx512.vpdpbusd.256";
    else if (!ua && !ub && lp->sdot && L == 4)
        name = "llvm.aarch64.neon.sdot", nover = 2;
    if (!name && ua && !ub && (L == 16 ? lp->pmadd == 2 : L == 8 && lp->pmadd)) {
        /* VNNI's exact form: the even and the odd bytes of each 16-bit half widened in
         * place (uint8 a by a mask and a shift, int8 b by arithmetic shifts), two
         * vpmaddwd sum their products in pairs (no saturation) */
        const char *pm = L == 16 ? "llvm.x86.avx512.pmaddw.d.512" : "llvm.x86.avx2.pmadd.wd";
        unsigned id = LLVMLookupIntrinsicID(pm, strlen(pm));
        LW_ASSERT(id != 0);
        LLVMValueRef f = LLVMGetIntrinsicDeclaration(lp->M, id, NULL, 0);
        LLVMTypeRef ft = LLVMIntrinsicGetType(lp->C, id, NULL, 0);
        LLVMTypeRef VH = LLVMVectorType(lp->i16, 2 * L);
        LLVMValueRef a16 = LLVMBuildBitCast(B, av, VH, ""), b16 = LLVMBuildBitCast(B, bv, VH, "");
        LLVMValueRef lanes8[32], lanes255[32];
        for (unsigned i = 0; i < 2 * L; i++)
            lanes8[i] = cint(lp->i16, 8), lanes255[i] = cint(lp->i16, 255);
        LLVMValueRef k8 = LLVMConstVector(lanes8, 2 * L), k255 = LLVMConstVector(lanes255, 2 * L);
        LLVMValueRef ae = LLVMBuildAnd(B, a16, k255, ""), ao = LLVMBuildLShr(B, a16, k8, "");
        LLVMValueRef be = LLVMBuildAShr(B, LLVMBuildShl(B, b16, k8, ""), k8, "");
        LLVMValueRef bo = LLVMBuildAShr(B, b16, k8, "");
        LLVMValueRef e2[2] = {ae, be}, o2[2] = {ao, bo};
        LLVMValueRef pe = LLVMBuildCall2(B, ft, f, e2, 2, ""),
                     po = LLVMBuildCall2(B, ft, f, o2, 2, "");
        return LLVMBuildAdd(B, acc, LLVMBuildAdd(B, pe, po, ""), "");
    }
    if (name) {
        unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
        LW_ASSERT(id != 0);
        LLVMValueRef f = LLVMGetIntrinsicDeclaration(lp->M, id, over, nover);
        LLVMTypeRef ft = LLVMIntrinsicGetType(lp->C, id, over, nover), pt[3];
        LW_ASSERT(LLVMCountParamTypes(ft) == 3);
        LLVMGetParamTypes(ft, pt);
        LLVMValueRef args[3] = {as_type(lp, acc, pt[0]), as_type(lp, av, pt[1]),
                                as_type(lp, bv, pt[2])};
        return as_type(lp, LLVMBuildCall2(B, ft, f, args, 3, ""), VI);
    }
    LLVMTypeRef VW = LLVMVectorType(lp->i32, 4 * L);
    LLVMValueRef aw = ua ? LLVMBuildZExt(B, av, VW, "") : LLVMBuildSExt(B, av, VW, "");
    LLVMValueRef bw = ub ? LLVMBuildZExt(B, bv, VW, "") : LLVMBuildSExt(B, bv, VW, "");
    LLVMValueRef prod = LLVMBuildMul(B, aw, bw, ""), sum = acc, mask[64 / 4];
    for (unsigned j = 0; j < 4; j++) {
        for (unsigned l = 0; l < L; l++)
            mask[l] = cint(lp->i32, 4 * l + j);
        LLVMValueRef part =
            LLVMBuildShuffleVector(B, prod, LLVMGetUndef(VW), LLVMConstVector(mask, L), "");
        sum = LLVMBuildAdd(B, sum, part, "");
    }
    return sum;
}

/* KE_DOT2: smlad of the two int16 pairs loaded as words where the target has it, else
 * the products sign-extended and added */
static LLVMValueRef dot2(LPrinter *lp, const KExpr *e)
{
    LLVMBuilderRef B = lp->B;
    LLVMValueRef acc = expr(lp, e->u.dot.acc), v[2];
    for (int i = 0; i < 2; i++) {
        const KExpr *l = i ? e->u.dot.b : e->u.dot.a;
        v[i] = load_elem(lp, l->u.load.buf, index_val(lp, &l->u.load.idx), 2);
    }
    if (lp->smlad) {
        const char *name = "llvm.arm.smlad";
        unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
        LW_ASSERT(id != 0);
        LLVMValueRef f = LLVMGetIntrinsicDeclaration(lp->M, id, NULL, 0);
        LLVMTypeRef ft = LLVMIntrinsicGetType(lp->C, id, NULL, 0);
        LLVMValueRef args[3] = {LLVMBuildBitCast(B, v[0], lp->i32, ""),
                                LLVMBuildBitCast(B, v[1], lp->i32, ""), acc};
        return LLVMBuildCall2(B, ft, f, args, 3, "");
    }
    LLVMTypeRef W2 = LLVMVectorType(lp->i32, 2);
    LLVMValueRef p =
        LLVMBuildMul(B, LLVMBuildSExt(B, v[0], W2, ""), LLVMBuildSExt(B, v[1], W2, ""), "");
    LLVMValueRef p0 = LLVMBuildExtractElement(B, p, LLVMConstNull(lp->i32), "");
    LLVMValueRef p1 = LLVMBuildExtractElement(B, p, cint(lp->i32, 1), "");
    return LLVMBuildAdd(B, LLVMBuildAdd(B, acc, p0, ""), p1, "");
}

static LLVMValueRef expr(LPrinter *lp, const KExpr *e)
{
    LLVMBuilderRef B = lp->B;
    DType dt = e->type.dt;
    switch (e->kind) {
    case KE_CONST:
        if (is_fl(dt))
            return LLVMConstReal(ltype(lp, dt), e->u.c.f);
        return cint(ltype(lp, dt), e->u.c.i);
    case KE_VAR: {
        LLVMTypeRef T = ktype_of(lp, lp->k->locals[e->u.local]);
        return LLVMBuildLoad2(B, T, lp->local[e->u.local], "");
    }
    case KE_IDX: /* the index's value converted like C's ((T)(index)) */
        return convert(lp, index_val(lp, &e->u.idx), lp->ptr_bits == 64 ? DT_INT64 : DT_INT32, dt);
    case KE_LOAD:
        if (e->u.load.nguard)
            return guarded_load(lp, e);
        return load_elem(lp, e->u.load.buf, index_val(lp, &e->u.load.idx), e->type.lanes);
    case KE_LOADX: {
        /* idx + clamp((int32_t)dyn, 0, extent - 1) * stride */
        LLVMValueRef d = convert(lp, expr(lp, e->u.loadx.dyn), e->u.loadx.dyn->type.dt, DT_INT32);
        LLVMValueRef lo = LLVMBuildICmp(B, LLVMIntSLT, d, LLVMConstNull(lp->i32), "");
        LLVMValueRef hi = LLVMBuildICmp(B, LLVMIntSGE, d, cint(lp->i32, e->u.loadx.extent), "");
        d = LLVMBuildSelect(B, lo, LLVMConstNull(lp->i32),
                            LLVMBuildSelect(B, hi, cint(lp->i32, e->u.loadx.extent - 1), d, ""), "");
        LLVMValueRef off = LLVMBuildSExt(B, d, lp->iptr, "");
        if (e->u.loadx.stride != 1)
            off = LLVMBuildNSWMul(B, off, cint(lp->iptr, e->u.loadx.stride), "");
        LLVMValueRef idx = LLVMBuildNSWAdd(B, index_val(lp, &e->u.loadx.idx), off, "");
        return load_elem(lp, e->u.loadx.buf, idx, 1);
    }
    case KE_OP:
        return op_expr(lp, e);
    case KE_SELECT: {
        /* both sides are in bounds (the verifier checks every unguarded access): evaluate
         * both and select, which keeps the loop vectorizable */
        LLVMValueRef c = expr(lp, e->u.sel.c);
        LLVMValueRef t = expr(lp, e->u.sel.t);
        LLVMValueRef f = expr(lp, e->u.sel.f);
        LLVMValueRef ci = LLVMBuildICmp(B, LLVMIntNE, c, LLVMConstNull(LLVMTypeOf(c)), "");
        return LLVMBuildSelect(B, ci, t, f, "");
    }
    case KE_CAST:
        if (e->type.lanes > 1 && e->u.cast.a->type.dt == DT_FLOAT32) { /* a narrowing store's */
            LLVMTypeRef V = ktype_of(lp, e->type);
            LLVMValueRef v = expr(lp, e->u.cast.a);
            return is_signed(dt) ? LLVMBuildFPToSI(B, v, V, "") : LLVMBuildFPToUI(B, v, V, "");
        }
        if (e->type.lanes > 1 && (dt == DT_INT32 || dt == DT_INT64)) {
            /* a widening load (<L x i8> to <L x i32>), int32 to int64 and back */
            LLVMTypeRef V = ktype_of(lp, e->type);
            LLVMValueRef v = expr(lp, e->u.cast.a);
            DType from = e->u.cast.a->type.dt;
            if (dtype_size(from) > dtype_size(dt))
                return LLVMBuildTrunc(B, v, V, "");
            return is_signed(from) ? LLVMBuildSExt(B, v, V, "") : LLVMBuildZExt(B, v, V, "");
        }
        if (e->type.lanes > 1) { /* a converting load: <L x i8> to <L x float> */
            LLVMTypeRef V = ktype_of(lp, e->type);
            LLVMValueRef v = expr(lp, e->u.cast.a);
            return is_signed(e->u.cast.a->type.dt) ? LLVMBuildSIToFP(B, v, V, "")
                                                   : LLVMBuildUIToFP(B, v, V, "");
        }
        return convert(lp, expr(lp, e->u.cast.a), e->u.cast.a->type.dt, dt);
    case KE_SPLAT: { /* insertelement into lane 0, then a shuffle of lane 0 to all */
        LLVMTypeRef V = ktype_of(lp, e->type);
        LLVMValueRef one = LLVMBuildInsertElement(B, LLVMGetUndef(V), expr(lp, e->u.cast.a),
                                                  LLVMConstNull(lp->i32), "");
        LLVMValueRef mask = LLVMConstNull(LLVMVectorType(lp->i32, e->type.lanes));
        return LLVMBuildShuffleVector(B, one, LLVMGetUndef(V), mask, "");
    }
    case KE_LANE:
        return LLVMBuildExtractElement(B, expr(lp, e->u.lane.a), cint(lp->i32, e->u.lane.i), "");
    case KE_DOT4:
        return dot4(lp, e);
    case KE_DOT2:
        return dot2(lp, e);
    case KE_HREDUCE:
        break;
    }
    LW_ICE("the LLVM printer does not print horizontal reductions yet");
}

/* ---------------------------------------------------------------- statements */

/* The loop ID that keeps a loop from the loop vectorizer (kir_loop_strided). */
static void keep_scalar(LPrinter *lp, const KStmt *s, LLVMValueRef latch_br)
{
    if (!lp->gathers || !kir_loop_strided(lp->p, s))
        return;
    LLVMContextRef C = lp->C;
    if (!lp->novec) {
        LLVMMetadataRef ops[2] = {LLVMMDStringInContext2(C, "llvm.loop.vectorize.enable", 26),
                                  LLVMValueAsMetadata(LLVMConstInt(lp->i1, 0, 0))};
        lp->novec = LLVMMDNodeInContext2(C, ops, 2);
    }
    /* a loop ID: a node whose first operand is itself, one per loop */
    LLVMMetadataRef self = LLVMTemporaryMDNode(C, NULL, 0);
    LLVMMetadataRef ops[2] = {self, lp->novec};
    LLVMMetadataRef id = LLVMMDNodeInContext2(C, ops, 2);
    LLVMMetadataReplaceAllUsesWith(self, id);
    LLVMSetMetadata(latch_br, LLVMGetMDKindIDInContext(C, "llvm.loop", 9),
                    LLVMMetadataAsValue(C, id));
}

static void stmt(LPrinter *lp, const KStmt *s)
{
    LLVMBuilderRef B = lp->B;
    switch (s->kind) {
    case KS_FOR: {
        if (s->u.loop.extent == 0)
            return;
        /* bottom-tested: the extent is a positive constant; a dyn trip count
         * (clamp((int32_t)dyn, 0, extent)) is tested once before the loop too */
        LLVMValueRef n = cint(lp->iptr, s->u.loop.extent);
        LLVMBasicBlockRef head = LLVMAppendBasicBlockInContext(lp->C, lp->fn, "loop");
        LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(lp->C, lp->fn, "done");
        if (s->u.loop.dyn) {
            const KExpr *de = s->u.loop.dyn;
            LLVMValueRef d = convert(lp, expr(lp, de), de->type.dt, DT_INT32);
            LLVMValueRef lo = LLVMBuildICmp(B, LLVMIntSLT, d, LLVMConstNull(lp->i32), "");
            LLVMValueRef hi = LLVMBuildICmp(B, LLVMIntSGT, d, cint(lp->i32, s->u.loop.extent), "");
            d = LLVMBuildSelect(B, lo, LLVMConstNull(lp->i32),
                                LLVMBuildSelect(B, hi, cint(lp->i32, s->u.loop.extent), d, ""), "");
            n = LLVMBuildSExt(B, d, lp->iptr, "");
            LLVMValueRef any = LLVMBuildICmp(B, LLVMIntSGT, n, LLVMConstNull(lp->iptr), "");
            LLVMBuildCondBr(B, any, head, exit);
        } else {
            LLVMBuildBr(B, head);
        }
        LLVMBasicBlockRef pre = LLVMGetInsertBlock(B);
        LLVMPositionBuilderAtEnd(B, head);
        LLVMValueRef iv = LLVMBuildPhi(B, lp->iptr, "i");
        uint16_t v = s->u.loop.var;
        LLVMValueRef saved = lp->var[v];
        lp->var[v] = iv;
        stmt(lp, s->u.loop.body);
        LLVMValueRef next = LLVMBuildNUWAdd(B, iv, LLVMConstInt(lp->iptr, 1, 0), "");
        LLVMValueRef more = LLVMBuildICmp(B, LLVMIntSLT, next, n, "");
        LLVMBasicBlockRef latch = LLVMGetInsertBlock(B);
        keep_scalar(lp, s, LLVMBuildCondBr(B, more, head, exit));
        LLVMValueRef vals[2] = {LLVMConstNull(lp->iptr), next};
        LLVMBasicBlockRef from[2] = {pre, latch};
        LLVMAddIncoming(iv, vals, from, 2);
        LLVMPositionBuilderAtEnd(B, exit);
        lp->var[v] = saved;
        return;
    }
    case KS_STORE: {
        LLVMValueRef val = expr(lp, s->u.store.val);
        LLVMTypeRef T;
        LLVMValueRef ptr = lanes_ptr(lp, s->u.store.buf, index_val(lp, &s->u.store.idx),
                                     s->u.store.val->type.lanes, &T);
        LLVMValueRef st = LLVMBuildStore(B, val, ptr);
        LLVMSetAlignment(st, dtype_size(lp->p->bufs.data[s->u.store.buf].dtype));
        return;
    }
    case KS_SET:
        LLVMBuildStore(B, expr(lp, s->u.set.val), lp->local[s->u.set.local]);
        return;
    case KS_SEQ:
        for (uint32_t i = 0; i < s->u.seq.n; i++)
            stmt(lp, s->u.seq.items[i]);
        return;
    case KS_IF: {
        LLVMValueRef ok = conds_val(lp, s->u.cond.cond, s->u.cond.ncond);
        LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(lp->C, lp->fn, "then");
        LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(lp->C, lp->fn, "endif");
        LLVMBuildCondBr(B, ok, then, cont);
        LLVMPositionBuilderAtEnd(B, then);
        stmt(lp, s->u.cond.then);
        LLVMBuildBr(B, cont);
        LLVMPositionBuilderAtEnd(B, cont);
        return;
    }
    }
}

static void add_attr(LPrinter *lp, LLVMValueRef fn, unsigned idx, const char *name, uint64_t val)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LW_ASSERT(kind != 0);
    LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(lp->C, kind, val));
}

static uint64_t gcd_align(uint64_t align, uint64_t off)
{
    while (off % align)
        align /= 2;
    return align;
}

/* The kernel as an internal function of the buffers it touches; `args` gets, per
 * parameter, the buffer index. Returns the function. */
static LLVMValueRef build_kernel(LPrinter *lp, const Kernel *k, uint8_t *u, uint32_t *args,
                                 uint32_t *nargs)
{
    const Program *p = lp->p;
    memset(u, 0, p->bufs.len);
    kir_buffers_used(k->body, u);
    kir_mark_shared(p, u);
    uint32_t n = 0;
    for (uint32_t b = 0; b < p->bufs.len; b++)
        if (u[b])
            args[n++] = b;
    *nargs = n;
    LLVMTypeRef *pt = arena_array(lp->ctx->scratch, LLVMTypeRef, n ? n : 1);
    for (uint32_t i = 0; i < n; i++)
        pt[i] = LLVMPointerType(ltype(lp, p->bufs.data[args[i]].dtype), 0);
    LLVMTypeRef fty = LLVMFunctionType(lp->vd, pt, n, 0);
    LLVMValueRef fn = LLVMAddFunction(lp->M, k->cname, fty);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    add_attr(lp, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
    /* kept out of line: the parameters' noalias holds for the whole function (inlined, it
     * becomes scope metadata that some passes ignore: a copy loop then turns into memmove,
     * which freestanding targets need not have) */
    add_attr(lp, fn, LLVMAttributeFunctionIndex, "noinline", 0);
    for (uint32_t i = 0; i < n; i++) {
        const KBuf *kb = &p->bufs.data[args[i]];
        unsigned ai = i + 1;
        uint64_t esz = dtype_size(kb->dtype), align = esz;
        if (kb->kind == KB_ARENA)
            align = gcd_align(lp->ctx->plan->arena_align, kb->offset);
        else if (kb->kind == KB_WEIGHT)
            align = gcd_align(lp->blob_align, lp->woff[kb->slot]);
        if (align < esz)
            align = esz;
        if (!(u[args[i]] & KU_SHARED))
            add_attr(lp, fn, ai, "noalias", 0); /* the C printer's restrict */
        add_attr(lp, fn, ai, "nocapture", 0);
        add_attr(lp, fn, ai, "nonnull", 0);
        add_attr(lp, fn, ai, "align", align);
        add_attr(lp, fn, ai, "dereferenceable", kb->nelem * esz);
        if (!(u[args[i]] & 2))
            add_attr(lp, fn, ai, "readonly", 0);
        lp->bufarg[args[i]] = LLVMGetParam(fn, i);
    }
    lp->fn = fn;
    lp->k = k;
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(lp->C, fn, "entry");
    LLVMPositionBuilderAtEnd(lp->B, entry);
    for (uint16_t l = 0; l < k->nlocals; l++) {
        LLVMTypeRef T = ktype_of(lp, k->locals[l]);
        lp->local[l] = LLVMBuildAlloca(lp->B, T, "");
        LLVMBuildStore(lp->B, LLVMConstNull(T), lp->local[l]);
    }
    for (uint16_t v = 0; v < k->nvars; v++)
        lp->var[v] = NULL;
    stmt(lp, k->body);
    LLVMBuildRetVoid(lp->B);
    for (uint32_t i = 0; i < n; i++)
        lp->bufarg[args[i]] = NULL;
    return fn;
}

/* ---------------------------------------------------------------- globals */

static LLVMValueRef private_const(LPrinter *lp, LLVMValueRef init, const char *name,
                                  unsigned align)
{
    LLVMValueRef g = LLVMAddGlobal(lp->M, LLVMTypeOf(init), name);
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, 1);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
    if (align)
        LLVMSetAlignment(g, align);
    return g;
}

static void build_weights(LPrinter *lp, uint64_t blob_size)
{
    const Program *p = lp->p;
    unsigned char *blob = arena_must(arena_alloc(lp->ctx->scratch, blob_size));
    for (uint32_t w = 0; w < p->weights.len; w++)
        memcpy(blob + lp->woff[w], p->weights.data[w].bytes, p->weights.data[w].size);
    LW_ASSERT(blob_size <= UINT32_MAX);
    LLVMValueRef init = LLVMConstStringInContext(lp->C, (const char *)blob, (unsigned)blob_size, 1);
    lp->weights = private_const(lp, init, "lw_w", lp->blob_align);
    lp->weights_ty = LLVMTypeOf(init);
}

/* const struct PREFIX_tensor_desc PREFIX_{inputs,outputs}[n] */
static void build_descs(LPrinter *lp, LLVMTypeRef desc, const char *prefix, const char *which,
                        const uint32_t *bdata, uint32_t blen)
{
    if (!blen)
        return;
    const Graph *g = lp->ctx->g;
    LLVMValueRef *elems = arena_array(lp->ctx->scratch, LLVMValueRef, blen);
    LLVMTypeRef i32p = LLVMPointerType(lp->i32, 0);
    for (uint32_t i = 0; i < blen; i++) {
        const KBuf *kb = &lp->p->bufs.data[bdata[i]];
        const Value *v = graph_value(g, kb->origin);
        LLVMValueRef name = LLVMConstStringInContext(lp->C, v->name, (unsigned)strlen(v->name), 0);
        LLVMValueRef ng = private_const(lp, name, "lw_name", 1);
        LLVMValueRef dims = LLVMConstNull(i32p);
        if (v->shape.rank) {
            LLVMValueRef d[LW_MAX_RANK];
            for (uint8_t j = 0; j < v->shape.rank; j++)
                d[j] = cint(lp->i32, v->shape.dims[j]);
            LLVMValueRef arr = LLVMConstArray(lp->i32, d, v->shape.rank);
            dims = LLVMConstBitCast(private_const(lp, arr, "lw_dims", 4), i32p);
        }
        LLVMValueRef f[9] = {
            LLVMConstBitCast(ng, lp->i8p),
            cint(lp->i32, dtype_info(v->dtype)->onnx),
            cint(lp->i32, v->shape.rank),
            dims,
            LLVMConstInt(lp->i32, kb->nelem * dtype_size(kb->dtype), 0),
            cint(lp->i32, -1),
            cint(lp->i32, 0),
            LLVMConstNull(LLVMPointerType(lp->f32, 0)),
            LLVMConstNull(i32p),
        };
        elems[i] = LLVMConstNamedStruct(desc, f, 9);
    }
    char name[300];
    snprintf(name, sizeof name, "%s_%ss", prefix, which);
    LLVMValueRef arr = LLVMConstArray(desc, elems, blen);
    LLVMValueRef gv = LLVMAddGlobal(lp->M, LLVMTypeOf(arr), name);
    LLVMSetInitializer(gv, arr);
    LLVMSetGlobalConstant(gv, 1);
}

/* int PREFIX_run(const void *const inputs[], void *const outputs[], void *arena) */
static void build_run(LPrinter *lp, const char *prefix, LLVMValueRef *kfn, uint32_t **kargs,
                      uint32_t *knargs)
{
    const Program *p = lp->p;
    LLVMBuilderRef B = lp->B;
    LLVMTypeRef i8pp = LLVMPointerType(lp->i8p, 0);
    LLVMTypeRef pt[3] = {i8pp, i8pp, lp->i8p};
    char name[300];
    snprintf(name, sizeof name, "%s_run", prefix);
    LLVMValueRef fn = LLVMAddFunction(lp->M, name, LLVMFunctionType(lp->i32, pt, 3, 0));
    add_attr(lp, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
    LLVMValueRef in = LLVMGetParam(fn, 0), out = LLVMGetParam(fn, 1), ar = LLVMGetParam(fn, 2);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(lp->C, fn, "entry");
    LLVMBasicBlockRef check = LLVMAppendBasicBlockInContext(lp->C, fn, "check");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(lp->C, fn, "run");
    LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(lp->C, fn, "fail");
    LLVMPositionBuilderAtEnd(B, entry);
    LLVMValueRef bad = LLVMBuildOr(B, LLVMBuildIsNull(B, in, ""), LLVMBuildIsNull(B, out, ""), "");
    bad = LLVMBuildOr(B, bad, LLVMBuildIsNull(B, ar, ""), "");
    LLVMValueRef low = LLVMBuildAnd(B, LLVMBuildPtrToInt(B, ar, lp->iptr, ""),
                                    LLVMConstInt(lp->iptr, lp->ctx->plan->arena_align - 1u, 0), "");
    bad = LLVMBuildOr(B, bad, LLVMBuildICmp(B, LLVMIntNE, low, LLVMConstNull(lp->iptr), ""), "");
    LLVMBuildCondBr(B, bad, fail, check);
    /* every input and output pointer non-null */
    LLVMPositionBuilderAtEnd(B, check);
    LLVMValueRef *inp = arena_array(lp->ctx->scratch, LLVMValueRef, p->inputs.len + 1);
    LLVMValueRef *outp = arena_array(lp->ctx->scratch, LLVMValueRef, p->outputs.len + 1);
    LLVMValueRef anynull = LLVMConstInt(lp->i1, 0, 0);
    for (int side = 0; side < 2; side++) {
        uint32_t n = side ? p->outputs.len : p->inputs.len;
        for (uint32_t i = 0; i < n; i++) {
            LLVMValueRef idx = LLVMConstInt(lp->iptr, i, 0);
            LLVMValueRef slot = LLVMBuildInBoundsGEP2(B, lp->i8p, side ? out : in, &idx, 1, "");
            LLVMValueRef ptr = LLVMBuildLoad2(B, lp->i8p, slot, "");
            (side ? outp : inp)[i] = ptr;
            anynull = LLVMBuildOr(B, anynull, LLVMBuildIsNull(B, ptr, ""), "");
        }
    }
    LLVMBuildCondBr(B, anynull, fail, body);
    LLVMPositionBuilderAtEnd(B, fail);
    LLVMBuildRet(B, LLVMConstInt(lp->i32, 1, 0));
    LLVMPositionBuilderAtEnd(B, body);
    for (uint32_t k = 0; k < p->kernels.len; k++) {
        LLVMValueRef args[256];
        LLVMValueRef *av = knargs[k] <= 256 ? args
                                            : arena_array(lp->ctx->scratch, LLVMValueRef, knargs[k]);
        for (uint32_t i = 0; i < knargs[k]; i++) {
            const KBuf *kb = &p->bufs.data[kargs[k][i]];
            LLVMValueRef raw = NULL;
            switch (kb->kind) {
            case KB_INPUT:
                raw = inp[kb->slot];
                break;
            case KB_OUTPUT:
                raw = outp[kb->slot];
                break;
            case KB_ARENA: {
                LLVMValueRef off = LLVMConstInt(lp->iptr, kb->offset, 0);
                raw = LLVMBuildInBoundsGEP2(B, lp->i8, ar, &off, 1, "");
                break;
            }
            case KB_WEIGHT: {
                LLVMValueRef idx[2] = {LLVMConstInt(lp->iptr, 0, 0),
                                       LLVMConstInt(lp->iptr, lp->woff[kb->slot], 0)};
                raw = LLVMBuildInBoundsGEP2(B, lp->weights_ty, lp->weights, idx, 2, "");
                break;
            }
            }
            av[i] = LLVMBuildBitCast(B, raw, LLVMPointerType(ltype(lp, kb->dtype), 0), "");
        }
        LLVMBuildCall2(B, LLVMGlobalGetValueType(kfn[k]), kfn[k], av, knargs[k], "");
    }
    LLVMBuildRet(B, LLVMConstInt(lp->i32, 0, 0));
}

/* ---------------------------------------------------------------- target */

static void init_llvm_targets(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    LLVMInitializeX86AsmParser(); /* inline asm in the helpers */
    LLVMInitializeAArch64TargetInfo();
    LLVMInitializeAArch64Target();
    LLVMInitializeAArch64TargetMC();
    LLVMInitializeAArch64AsmPrinter();
    LLVMInitializeAArch64AsmParser(); /* inline asm in the helpers */
    LLVMInitializeARMTargetInfo();
    LLVMInitializeARMTarget();
    LLVMInitializeARMTargetMC();
    LLVMInitializeARMAsmPrinter();
    LLVMInitializeARMAsmParser(); /* inline asm in the helpers */
    /* GVN's load PRE otherwise splits a loop's backedge to carry a load into the next
     * iteration (a value the previous kernel loop stored), and the loop vectorizer then
     * no longer understands the loop: an LSTM's gate loop stayed scalar. Later LLVM
     * releases turn this off by default.
     * A float sum in source order (softmax's denominator) vectorizes only as an ordered
     * reduction: the exps in vector, their sum lane by lane in the same order, so the
     * result is the C printer's bit for bit. GCC does the same; LLVM enables it only
     * for SVE unless asked. */
    const char *argv[] = {"lwcc", "-enable-split-backedge-in-load-pre=false",
                          "-force-ordered-reductions=true"};
    LLVMParseCommandLineOptions(3, argv, NULL);
}

/* the runtime-min bitcode module for a triple's architecture */
static const LwrtBitcode *bitcode_for(const char *triple)
{
    const char *arch = !strncmp(triple, "x86_64", 6)                               ? "x86_64"
                       : !strncmp(triple, "aarch64", 7)                            ? "aarch64"
                       : !strncmp(triple, "thumb", 5) || !strncmp(triple, "arm", 3) ? "arm"
                                                                                   : NULL;
    for (unsigned i = 0; arch && i < lwrt_nbitcode; i++)
        if (!strcmp(lwrt_bitcode[i].arch, arch))
            return &lwrt_bitcode[i];
    return NULL;
}

/* Links the helpers into lp->M; every helper becomes internal (two models in one program
 * do not clash) and compiles for the module's target, not the one clang assumed. */
static LwStatus link_helpers(LPrinter *lp, const LwrtBitcode *bc)
{
    LLVMMemoryBufferRef mb = LLVMCreateMemoryBufferWithMemoryRange(
        (const char *)bc->bytes, bc->size, "runtime-min", 0);
    LLVMModuleRef rt = NULL;
    LLVMBool bad = LLVMParseBitcodeInContext2(lp->C, mb, &rt);
    LLVMDisposeMemoryBuffer(mb);
    if (bad)
        LW_ICE("the embedded runtime-min bitcode (%s) does not parse", bc->arch);
    LLVMSetTarget(rt, LLVMGetTarget(lp->M));
    LLVMSetDataLayout(rt, LLVMGetDataLayoutStr(lp->M));
    for (LLVMValueRef f = LLVMGetFirstFunction(rt); f; f = LLVMGetNextFunction(f)) {
        if (LLVMIsDeclaration(f))
            continue;
        LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, "target-cpu", 10);
        LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, "target-features", 15);
        LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, "tune-cpu", 8);
    }
    if (LLVMLinkModules2(lp->M, rt))
        LW_ICE("linking the runtime-min bitcode failed");
    /* internal; at -O2 always inlined (a loop of sigmoids vectorizes only with the helper
     * inside it, and the inliner's cost model refuses one that large), elsewhere hinted as
     * the C printer's static inline copies are */
    const char *inl = lp->ctx->opt->opt == LW_O2 ? "alwaysinline" : "inlinehint";
    for (LLVMValueRef f = LLVMGetFirstFunction(lp->M); f; f = LLVMGetNextFunction(f))
        if (!LLVMIsDeclaration(f) && !strncmp(LLVMGetValueName(f), "lwrt_", 5)) {
            LLVMSetLinkage(f, LLVMInternalLinkage);
            add_attr(lp, f, LLVMAttributeFunctionIndex, inl, 0);
        }
    for (LLVMValueRef g = LLVMGetFirstGlobal(lp->M); g; g = LLVMGetNextGlobal(g))
        if (!LLVMIsDeclaration(g))
            LLVMSetLinkage(g, LLVMInternalLinkage);
    return LW_OK;
}

static const char *pipeline_for(LwOptLevel o)
{
    switch (o) {
    case LW_O0:
        return "default<O0>";
    case LW_O1:
        return "default<O1>";
    case LW_OS:
        return "default<Os>";
    case LW_O2:
        break;
    }
    return "default<O3>";
}

static LwStatus run_llvm(LPrinter *lp, const char *prefix, LLVMTargetMachineRef tm)
{
    Ctx *ctx = lp->ctx;
    const Program *p = lp->p;
    lp->blob_align = weight_align(ctx->target);
    uint64_t blob_size = weight_layout(p, lp->blob_align, lp->woff);
    if (p->weights.len)
        build_weights(lp, blob_size);
    const LwrtBitcode *bc = bitcode_for(LLVMGetTarget(lp->M));
    if (!bc)
        return diag_error(ctx->diag, "the LLVM backend has no runtime-min helpers for '%s'",
                          LLVMGetTarget(lp->M));
    TRY(link_helpers(lp, bc));
    lp->fmuladd_f32 = intrinsic(lp, "llvm.fmuladd", lp->f32);
    lp->fmuladd_f64 = intrinsic(lp, "llvm.fmuladd", lp->f64);

    uint32_t nk = p->kernels.len;
    uint8_t *u = arena_array(ctx->scratch, uint8_t, p->bufs.len + 1);
    LLVMValueRef *kfn = arena_array(ctx->scratch, LLVMValueRef, nk + 1);
    uint32_t **kargs = arena_array(ctx->scratch, uint32_t *, nk + 1);
    uint32_t *knargs = arena_array(ctx->scratch, uint32_t, nk + 1);
    uint16_t maxvars = 1, maxlocals = 1;
    for (uint32_t k = 0; k < nk; k++) {
        const Kernel *kr = &p->kernels.data[k];
        maxvars = kr->nvars > maxvars ? kr->nvars : maxvars;
        maxlocals = kr->nlocals > maxlocals ? kr->nlocals : maxlocals;
    }
    lp->var = arena_array(ctx->scratch, LLVMValueRef, maxvars);
    lp->local = arena_array(ctx->scratch, LLVMValueRef, maxlocals);
    for (uint32_t k = 0; k < nk; k++) {
        kargs[k] = arena_array(ctx->scratch, uint32_t, p->bufs.len + 1);
        kfn[k] = build_kernel(lp, &p->kernels.data[k], u, kargs[k], &knargs[k]);
    }
    LLVMTypeRef i32p = LLVMPointerType(lp->i32, 0);
    LLVMTypeRef fields[9] = {lp->i8p, lp->i32, lp->i32, i32p, lp->i32, lp->i32, lp->i32,
                             LLVMPointerType(lp->f32, 0), i32p};
    char sname[300];
    snprintf(sname, sizeof sname, "struct.%s_tensor_desc", prefix);
    LLVMTypeRef desc = LLVMStructCreateNamed(lp->C, sname);
    LLVMStructSetBody(desc, fields, 9, 0);
    build_descs(lp, desc, prefix, "input", p->inputs.data, p->inputs.len);
    build_descs(lp, desc, prefix, "output", p->outputs.data, p->outputs.len);
    build_run(lp, prefix, kfn, kargs, knargs);

    char *msg = NULL;
    if (LLVMVerifyModule(lp->M, LLVMReturnStatusAction, &msg)) {
        diag_error(ctx->diag, "internal error: the LLVM module does not verify: %.2000s",
                   msg ? msg : "");
        LLVMDisposeMessage(msg);
        return LW_ERR_ICE;
    }
    LLVMDisposeMessage(msg);

    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    int vec = ctx->opt->opt == LW_O2 || ctx->opt->opt == LW_OS;
    LLVMPassBuilderOptionsSetLoopVectorization(po, vec);
    LLVMPassBuilderOptionsSetSLPVectorization(po, vec);
    LLVMPassBuilderOptionsSetLoopUnrolling(po, ctx->opt->opt != LW_O0);
    LLVMErrorRef err = LLVMRunPasses(lp->M, "globaldce", tm, po);
    if (!err)
        err = LLVMRunPasses(lp->M, pipeline_for(ctx->opt->opt), tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (err) {
        char *m = LLVMGetErrorMessage(err);
        diag_error(ctx->diag, "internal error: LLVM passes failed: %s", m);
        LLVMDisposeErrorMessage(m);
        return LW_ERR_ICE;
    }

    const char *out = ctx->opt->output;
    switch (ctx->opt->emit) {
    case LW_EMIT_LLVM: {
        char *text = LLVMPrintModuleToString(lp->M);
        LwStatus st = file_write(ctx->diag, out, text, strlen(text));
        LLVMDisposeMessage(text);
        return st;
    }
    case LW_EMIT_BC: {
        LLVMMemoryBufferRef buf = LLVMWriteBitcodeToMemoryBuffer(lp->M);
        LwStatus st = file_write(ctx->diag, out, LLVMGetBufferStart(buf),
                                       LLVMGetBufferSize(buf));
        LLVMDisposeMemoryBuffer(buf);
        return st;
    }
    default: {
        LLVMMemoryBufferRef buf = NULL;
        char *emsg = NULL;
        if (LLVMTargetMachineEmitToMemoryBuffer(tm, lp->M, LLVMObjectFile, &emsg, &buf)) {
            diag_error(ctx->diag, "internal error: LLVM code generation failed: %s",
                       emsg ? emsg : "");
            LLVMDisposeMessage(emsg);
            return LW_ERR_ICE;
        }
        LwStatus st = file_write(ctx->diag, out, LLVMGetBufferStart(buf),
                                       LLVMGetBufferSize(buf));
        LLVMDisposeMemoryBuffer(buf);
        return st;
    }
    }
}

LwStatus llvm_print(Ctx *ctx, const char *prefix, StrBuf *h)
{
    TRY(load_llvm(ctx));
    init_llvm_targets();
    const Target *t = ctx->target;
    int native = ctx->opt->target && !strcmp(ctx->opt->target, "native");
    char *host_triple = NULL, *host_cpu = NULL, *host_feat = NULL;
    const char *triple = t->triple, *cpu = t->cpu, *feat = t->features;
    if (native || !triple || !*triple)
        host_triple = LLVMGetDefaultTargetTriple();
    else /* arch-vendor-os-environment: "thumbv7em-none-eabihf" would lose its eabihf */
        host_triple = LLVMNormalizeTargetTriple(triple);
    triple = host_triple;
    if (native) {
        host_cpu = LLVMGetHostCPUName();
        host_feat = LLVMGetHostCPUFeatures();
        cpu = host_cpu;
        feat = host_feat;
    }
    LwStatus st = LW_OK;
    LLVMTargetRef lt = NULL;
    char *err = NULL;
    LLVMTargetMachineRef tm = NULL;
    if (LLVMGetTargetFromTriple(triple, &lt, &err)) {
        st = diag_error(ctx->diag, "the LLVM backend cannot target '%s': %s", triple,
                        err ? err : "");
        LLVMDisposeMessage(err);
    } else {
        /* hosted targets: position-independent, the way their C compilers default */
        int bare = strstr(triple, "-none") != NULL;
        tm = LLVMCreateTargetMachine(lt, triple, cpu ? cpu : "generic", feat ? feat : "",
                                     ctx->opt->opt == LW_O0 ? LLVMCodeGenLevelNone
                                                            : LLVMCodeGenLevelAggressive,
                                     bare ? LLVMRelocStatic : LLVMRelocPIC, LLVMCodeModelDefault);
    }
    if (tm) {
        LPrinter lp;
        memset(&lp, 0, sizeof lp);
        lp.ctx = ctx;
        lp.p = ctx->prog;
        lp.C = LLVMContextCreate();
        lp.M = LLVMModuleCreateWithNameInContext(prefix, lp.C);
        LLVMSetTarget(lp.M, triple);
        LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm);
        LLVMSetModuleDataLayout(lp.M, dl);
        lp.ptr_bits = LLVMPointerSize(dl) * 8;
        LLVMDisposeTargetData(dl);
        lp.B = LLVMCreateBuilderInContext(lp.C);
        lp.i1 = LLVMInt1TypeInContext(lp.C);
        lp.i8 = LLVMInt8TypeInContext(lp.C);
        lp.i16 = LLVMInt16TypeInContext(lp.C);
        lp.i32 = LLVMInt32TypeInContext(lp.C);
        lp.i64 = LLVMInt64TypeInContext(lp.C);
        lp.iptr = lp.ptr_bits == 64 ? lp.i64 : lp.i32;
        lp.f32 = LLVMFloatTypeInContext(lp.C);
        lp.f64 = LLVMDoubleTypeInContext(lp.C);
        lp.vd = LLVMVoidTypeInContext(lp.C);
        lp.i8p = LLVMPointerType(lp.i8, 0);
        lp.bufarg = arena_array(ctx->perm, LLVMValueRef, ctx->prog->bufs.len + 1);
        lp.woff = arena_array(ctx->perm, uint64_t, ctx->prog->weights.len + 1);
        /* SSE4.1 (every x86-64-v2 and later) and AArch64 round to even in one instruction;
         * elsewhere llvm.roundeven would become a libm call */
        lp.roundeven = (ctx->target->isa & ISA_ROUND) != 0;
        lp.vnni = !strncmp(triple, "x86_64", 6) && (ctx->target->isa & ISA_AVX512VNNI);
        lp.sdot = !strncmp(triple, "aarch64", 7) && (ctx->target->isa & ISA_DOTPROD);
        lp.smlad = !strncmp(triple, "thumbv7em", 9);
        lp.gathers = target_gathers(ctx->target);
        lp.pmadd = strncmp(triple, "x86_64", 6)       ? 0
                   : (ctx->target->isa & ISA_AVX512F) ? 2
                   : (ctx->target->isa & ISA_AVX2)    ? 1
                                                      : 0;
        st = run_llvm(&lp, prefix, tm);
        LLVMDisposeBuilder(lp.B);
        LLVMDisposeModule(lp.M);
        LLVMContextDispose(lp.C);
        LLVMDisposeTargetMachine(tm);
    }
    LLVMDisposeMessage(host_triple);
    LLVMDisposeMessage(host_cpu);
    LLVMDisposeMessage(host_feat);
    if (st == LW_OK)
        c_header(ctx, prefix, h);
    return st;
}

#else /* !LWCC_HAVE_LLVM */

const char *llvm_version(void)
{
    return NULL;
}

LwStatus llvm_print(Ctx *ctx, const char *prefix, StrBuf *h)
{
    (void)prefix;
    (void)h;
    return diag_error(ctx->diag, "this lwcc was built without the LLVM backend");
}

#endif
