/* The --report page: one self-contained HTML file about a compiled model, printed from the
 * graph, the kernel IR and the memory plan once memplan has run. */
#ifndef LWCC_CODEGEN_REPORT_H
#define LWCC_CODEGEN_REPORT_H

#include <stdint.h>

#include "include/lwcc/ctx.h"
#include "include/lwcc/strbuf.h"

typedef struct KStmt KStmt;

/* codegen/report.c */
/* Appends the page to sb: a summary (arena, its max-live bound, weights, MACs), the arena
 * plan as an SVG picture, weight bytes per layer, one table row per kernel, and what the
 * optimizer did (ctx->remarks, fusion, nodes with no kernel). Every model string is
 * HTML-escaped; the page loads nothing from elsewhere. */
void report_html(const Ctx *ctx, StrBuf *sb);
/* Multiply-accumulates one execution of s performs: each lane of a KOP_FMA, and of an
 * integer add with a product operand, is one; a loop body counts `extent` times, a
 * guarded statement as if its guard held. A loop with a data-dependent trip count counts
 * its real trips when they can be read from p's constant weights (the enclosing loop
 * variables they depend on enumerated, within a budget), else its bound; p may be NULL.
 * Saturates at UINT64_MAX. */
uint64_t report_macs(const Program *p, const KStmt *s);

#endif
