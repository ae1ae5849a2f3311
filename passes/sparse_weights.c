/* sparse-weights: a linear op whose constant weight is mostly zeros (unstructured
 * pruning) stores and runs only the nonzeros (ops/sparse.c) when that saves flash
 * and does not make the kernel slower than the dense one:
 *   - flash: values and column offsets, plus the code, against the dense weight. At
 *     -O2 the code is one loop per output channel (the per-row form, fastest); at -Os
 *     it is the CSR form: one kernel of fixed size whatever the channel count, plus a
 *     row-pointer table;
 *   - time: a sparse multiply-add is a scalar load, an index load and an fma; the
 *     dense kernel does `lanes` of them per vector instruction. Sparse is chosen when
 *     density * 2 <= 1 / lanes (scalar targets: below half dense); at -Os when it
 *     saves flash at all.
 * Asked of the op table (OpLinear matrix and geometry), never by name. */
#include "include/lwcc/lwcc.h"
#include "ops/op.h"
#include "passes/pass.h"
#include "target/target.h"

/* Code bytes per output channel loop (set, loop over nonzeros, store), as measured
 * on Cortex-M4 (Thumb-2). */
#define ROW_CODE_BYTES 64
/* Code bytes of a CSR kernel (position loops, channel loop, dyn loop over a row, and a
 * padded copy of the input), as measured on Cortex-M4 (Thumb-2). */
#define CSR_CODE_BYTES 256

static LwStatus run(Ctx *ctx)
{
    Graph *g = ctx->g;
    int os = ctx->opt->opt == LW_OS;
    uint64_t lanes = ctx->target->vbytes >= 4 ? ctx->target->vbytes / 4 : 1;
    for (uint32_t k = 0; k < g->order.len; k++) {
        Node *n = graph_node(g, g->order.data[k]);
        SparseInfo si;
        if (!n->op || !n->op->linear || !sparse_measure(ctx->scratch, g, n, &si))
            continue;
        uint64_t dense = si.out * si.in * 4;
        uint64_t sparse = os ? si.bytes + si.ptr_bytes + CSR_CODE_BYTES
                             : si.bytes + si.out * ROW_CODE_BYTES;
        int fast = si.nnz * 2 * lanes <= si.out * si.in;
        if (sparse >= dense || !(fast || os))
            continue;
        n->flags |= NF_SPARSE | (os ? NF_SPARSE_CSR : 0u);
        StrBuf sb;
        sb_init(&sb, ctx->perm);
        sb_printf(&sb, "node '%s' (%s): weights stored sparse%s, %llu of %llu nonzero (%llu%%), "
                       "%llu bytes instead of %llu",
                  n->loc.name, n->loc.op_type, os ? " (CSR)" : "", (unsigned long long)si.nnz,
                  (unsigned long long)(si.out * si.in),
                  (unsigned long long)(100 * si.nnz / (si.out * si.in)),
                  (unsigned long long)(si.bytes + (os ? si.ptr_bytes : 0)),
                  (unsigned long long)dense);
        vec_push(ctx->perm, &ctx->remarks, sb_cstr(&sb));
    }
    return LW_OK;
}

const PassDef pass_sparse_weights = {"sparse-weights", PK_GRAPH, run,
                                     "store and run mostly-zero Conv/Gemm weights as their "
                                     "nonzeros when it saves flash and time"};
