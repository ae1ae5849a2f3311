/* The --report page (codegen/report.h): HTML with inline CSS, SVG and a small script, from
 * the graph, the kernel IR and the memory plan. Model strings are escaped on the way in
 * (esc); the script reads only numbers the page itself wrote. */
#include "codegen/report.h"

#include <inttypes.h>
#include <string.h>

#include "codegen/emit.h"
#include "include/lwcc/ckd.h"
#include "include/lwcc/lwcc.h"
#include "ir/graph.h"
#include "ir/kir.h"
#include "passes/pass.h"
#include "target/target.h"

enum {
    NAME_BYTES = 160,          /* model strings longer than this are cut with an ellipsis */
    REMARK_BYTES = 600,        /* the same for a remark */
    LIST_MAX = 400,            /* nodes listed per list of "what the optimizer did" */
    IR_DEPTH = 512,            /* statement and expression nesting counted for MACs */
    MAC_ENUM_BUDGET = 1 << 20, /* loop iterations enumerated for dyn trip counts */
    /* the arena picture: margins and plot size in SVG user units */
    AW = 1100,
    AL = 104,
    AR = 24,
    AT = 28,
    APH = 380,
    AB = 56,
    /* the flash chart: label column, bar length, row height */
    FW = 1100,
    FLBL = 330,
    FBAR = 600,
    FROW = 18
};

/* ---- text ---- */

/* s as HTML text or attribute value: markup characters as entities, control characters as
 * U+FFFD, cut after `max` bytes (at a character boundary) with an ellipsis. */
static void esc(StrBuf *sb, const char *s, size_t max)
{
    if (!s)
        return;
    for (size_t n = 0; *s; s++, n++) {
        unsigned char c = (unsigned char)*s;
        if (n >= max && (c & 0xc0) != 0x80) {
            sb_puts(sb, "&#8230;");
            return;
        }
        if (c == '&')
            sb_puts(sb, "&amp;");
        else if (c == '<')
            sb_puts(sb, "&lt;");
        else if (c == '>')
            sb_puts(sb, "&gt;");
        else if (c == '"')
            sb_puts(sb, "&quot;");
        else if (c == '\'')
            sb_puts(sb, "&#39;");
        else if (c < 0x20 || c == 0x7f)
            sb_puts(sb, "&#xfffd;");
        else
            sb_putc(sb, (char)c);
    }
}

/* 1234567 -> "1,234,567" */
static void num(StrBuf *sb, uint64_t v)
{
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = n - 1; i >= 0; i--) {
        sb_putc(sb, d[i]);
        if (i && i % 3 == 0)
            sb_putc(sb, ',');
    }
}

/* v / unit with one decimal, rounded down: "12.3" */
static void dec1(StrBuf *sb, uint64_t v, uint64_t unit)
{
    sb_printf(sb, "%" PRIu64 ".%" PRIu64, v / unit, (v % unit) * 10 / unit);
}

/* v in units of base^k, one decimal ("12.3 k", "4.0 MiB"); below base, v and `one`. */
static void scaled(StrBuf *sb, uint64_t v, uint64_t base, const char *const *unit, size_t n,
                   const char *one)
{
    if (v < base) {
        sb_printf(sb, "%" PRIu64 "%s", v, one);
        return;
    }
    uint64_t u = base;
    size_t i = 0;
    while (i + 1 < n && v / u >= base) {
        u *= base;
        i++;
    }
    dec1(sb, v, u);
    sb_printf(sb, " %s", unit[i]);
}

/* short forms for labels: "950 B", "12.3 KiB", "4.1 MiB" */
static void short_bytes(StrBuf *sb, uint64_t v)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
    scaled(sb, v, 1024, unit, LW_COUNT(unit), " B");
}

/* "12,345 B (12.0 KiB)" */
static void bytes(StrBuf *sb, uint64_t v)
{
    num(sb, v);
    sb_puts(sb, " B");
    if (v >= 1024) {
        sb_puts(sb, " (");
        short_bytes(sb, v);
        sb_putc(sb, ')');
    }
}

/* "950", "12.3 k", "4.1 M", "2.0 G" */
static void short_count(StrBuf *sb, uint64_t v)
{
    static const char *const unit[] = {"k", "M", "G", "T", "P"};
    scaled(sb, v, 1000, unit, LW_COUNT(unit), "");
}

/* part / whole as "12.3%" */
static void percent(StrBuf *sb, uint64_t part, uint64_t whole)
{
    uint64_t per_mille = 0;
    if (whole && ckd_mul_u64(&per_mille, part, 1000))
        per_mille /= whole;
    sb_printf(sb, "%" PRIu64 ".%" PRIu64 "%%", per_mille / 10, per_mille % 10);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return ckd_add_u64(&r, a, b) ? r : UINT64_MAX;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return ckd_mul_u64(&r, a, b) ? r : UINT64_MAX;
}

/* v * len / max for 0 <= v <= max (pixels along an axis) */
static uint64_t scale(uint64_t v, uint64_t len, uint64_t max)
{
    if (!max)
        return 0;
    if (v >= max)
        return len;
    return sat_mul(v, len) / max;
}

/* "float32[1,8,28,28]" */
static void vtype(StrBuf *sb, const Value *v)
{
    sb_puts(sb, dtype_name(v->dtype));
    sb_putc(sb, '[');
    for (uint8_t d = 0; d < v->shape.rank; d++)
        sb_printf(sb, "%s%" PRId64, d ? "," : "", v->shape.dims[d]);
    sb_putc(sb, ']');
}

/* "Conv 'conv_1'" with the op type in its own span */
static void node_label(StrBuf *sb, const Node *n)
{
    sb_puts(sb, "<span class=\"op\">");
    if (n->loc.domain && *n->loc.domain) {
        esc(sb, n->loc.domain, NAME_BYTES);
        sb_putc(sb, '.');
    }
    esc(sb, n->loc.op_type, NAME_BYTES);
    sb_puts(sb, "</span> <span class=\"nm\">&#39;");
    esc(sb, n->loc.name, NAME_BYTES);
    sb_puts(sb, "&#39;</span>");
}

/* A buffer as "float32[1,8,28,28] 'name'" (the name in a span when `html`, for cells;
 * plain in tooltips); kernel scratch has no value. */
static void buf_label(StrBuf *sb, const Graph *g, const KBuf *kb, int html)
{
    if (kb->origin) {
        const Value *v = graph_value(g, kb->origin);
        vtype(sb, v);
        sb_puts(sb, html ? " <span class=\"vn\">&#39;" : " &#39;");
        esc(sb, v->name, NAME_BYTES);
        sb_puts(sb, html ? "&#39;</span>" : "&#39;");
    } else {
        sb_printf(sb, "scratch %s[%" PRIu64 "]", dtype_name(kb->dtype), kb->nelem);
    }
}

/* ---- MACs ---- */

static int is_op(const KExpr *e, KOp op)
{
    return e && e->kind == KE_OP && e->u.op.op == op;
}

static uint64_t expr_macs(const KExpr *e, int depth)
{
    if (!e || depth > IR_DEPTH)
        return 0;
    uint64_t m = 0;
    switch (e->kind) {
    case KE_CONST:
    case KE_VAR:
    case KE_IDX:
        return 0;
    case KE_LOAD:
        return expr_macs(e->u.load.other, depth + 1);
    case KE_LOADX:
        return expr_macs(e->u.loadx.dyn, depth + 1);
    case KE_OP:
        if (e->u.op.op == KOP_FMA ||
            (e->u.op.op == KOP_ADD && dtype_is_int(e->type.dt) &&
             (is_op(e->u.op.a[0], KOP_MUL) || is_op(e->u.op.a[1], KOP_MUL))))
            m = e->type.lanes ? e->type.lanes : 1;
        for (int i = 0; i < 3; i++)
            m = sat_add(m, expr_macs(e->u.op.a[i], depth + 1));
        return m;
    case KE_SELECT:
        m = sat_add(expr_macs(e->u.sel.c, depth + 1), expr_macs(e->u.sel.t, depth + 1));
        return sat_add(m, expr_macs(e->u.sel.f, depth + 1));
    case KE_CAST:
    case KE_SPLAT:
        return expr_macs(e->u.cast.a, depth + 1);
    case KE_HREDUCE:
        return expr_macs(e->u.hred.a, depth + 1);
    case KE_LANE:
        return expr_macs(e->u.lane.a, depth + 1);
    case KE_DOT4: /* four per lane */
    case KE_DOT2: /* two */
        m = (e->kind == KE_DOT2 ? 2 : 4) * (uint64_t)e->type.lanes;
        return sat_add(
            m, sat_add(expr_macs(e->u.dot.acc, depth + 1), expr_macs(e->u.dot.b, depth + 1)));
    }
    return m;
}

/* Loop variables with a known value while counting, innermost first, on the C stack. */
typedef struct Bind {
    uint16_t var;
    int64_t val;
    const struct Bind *up;
} Bind;

typedef struct MacWalk {
    const Program *p; /* NULL: dyn loops count at their bound */
    uint64_t budget;  /* loop iterations left to enumerate for dyn trip counts */
} MacWalk;

/* v as a value of integer type dt (two's complement wrap, as the printers' casts) */
static int64_t wrap_int(DType dt, uint64_t v)
{
    unsigned bits = 8u * (unsigned)dtype_size(dt);
    if (bits >= 64)
        return (int64_t)v;
    v &= (UINT64_C(1) << bits) - 1;
    if (dtype_is_signed(dt) && (v >> (bits - 1)))
        return -(int64_t)((UINT64_C(1) << bits) - v);
    return (int64_t)v;
}

static int index_value(const KIndex *ix, const Bind *b, int64_t *out)
{
    uint64_t v = (uint64_t)ix->base;
    for (uint8_t i = 0; i < ix->n; i++) {
        const Bind *x = b;
        while (x && x->var != ix->var[i])
            x = x->up;
        if (!x)
            return 0;
        v += (uint64_t)ix->coef[i] * (uint64_t)x->val;
    }
    *out = (int64_t)v;
    return 1;
}

/* Element i of constant integer buffer buf, when there is one to read. */
static int weight_elem(const Program *p, uint32_t buf, int64_t i, int64_t *out)
{
    if (!p || buf >= p->bufs.len)
        return 0;
    const KBuf *kb = &p->bufs.data[buf];
    if (kb->kind != KB_WEIGHT || kb->slot >= p->weights.len || !dtype_is_int(kb->dtype) || i < 0 ||
        (uint64_t)i >= kb->nelem)
        return 0;
    const Weight *w = &p->weights.data[kb->slot];
    size_t es = dtype_size(kb->dtype);
    if (((uint64_t)i + 1) * es > w->size || !w->bytes)
        return 0;
    uint64_t u = 0;
    unsigned char le[8] = {0};
    memcpy(le, w->bytes + (uint64_t)i * es, es);
    for (size_t k = es; k-- > 0;) /* the blob is little-endian */
        u = u << 8 | le[k];
    *out = wrap_int(kb->dtype, u);
    return 1;
}

/* The value of integer expression e with the variables in b, reading constant weight
 * tables; 0 when it can't be known here (a local, an unbound variable, the arena). */
static int int_value(const MacWalk *w, const KExpr *e, const Bind *b, int depth, int64_t *out)
{
    if (!e || depth > IR_DEPTH || e->type.lanes != 1 || !dtype_is_int(e->type.dt))
        return 0;
    int64_t x, y;
    switch (e->kind) {
    case KE_CONST:
        *out = e->u.c.i;
        return 1;
    case KE_IDX:
        if (!index_value(&e->u.idx, b, &x))
            return 0;
        *out = wrap_int(e->type.dt, (uint64_t)x);
        return 1;
    case KE_LOAD:
        return !e->u.load.nguard && index_value(&e->u.load.idx, b, &x) &&
               weight_elem(w->p, e->u.load.buf, x, out);
    case KE_LOADX:
        if (!index_value(&e->u.loadx.idx, b, &x) || !int_value(w, e->u.loadx.dyn, b, depth + 1, &y))
            return 0;
        y = (int32_t)(uint32_t)(uint64_t)y;
        y = y < 0 ? 0 : y >= e->u.loadx.extent ? e->u.loadx.extent - 1 : y;
        return weight_elem(w->p, e->u.loadx.buf, x + y * e->u.loadx.stride, out);
    case KE_CAST:
        if (!int_value(w, e->u.cast.a, b, depth + 1, &x))
            return 0;
        *out = wrap_int(e->type.dt, (uint64_t)x);
        return 1;
    case KE_OP:
        if (e->u.op.op != KOP_ADD && e->u.op.op != KOP_SUB && e->u.op.op != KOP_MUL)
            return 0;
        if (!int_value(w, e->u.op.a[0], b, depth + 1, &x) ||
            !int_value(w, e->u.op.a[1], b, depth + 1, &y))
            return 0;
        *out = wrap_int(e->type.dt, e->u.op.op == KOP_ADD   ? (uint64_t)x + (uint64_t)y
                                    : e->u.op.op == KOP_SUB ? (uint64_t)x - (uint64_t)y
                                                            : (uint64_t)x * (uint64_t)y);
        return 1;
    case KE_VAR:
    case KE_SELECT:
    case KE_SPLAT:
    case KE_HREDUCE:
    case KE_LANE:
    case KE_DOT4:
    case KE_DOT2:
        return 0;
    }
    return 0;
}

static int expr_uses_var(const KExpr *e, uint16_t v, int depth)
{
    if (!e || depth > IR_DEPTH)
        return 0;
    const KIndex *ix = NULL;
    int r = 0;
    switch (e->kind) {
    case KE_CONST:
    case KE_VAR:
        return 0;
    case KE_IDX:
        ix = &e->u.idx;
        break;
    case KE_LOAD:
        ix = &e->u.load.idx;
        r = expr_uses_var(e->u.load.other, v, depth + 1);
        break;
    case KE_LOADX:
        ix = &e->u.loadx.idx;
        r = expr_uses_var(e->u.loadx.dyn, v, depth + 1);
        break;
    case KE_OP:
        for (int i = 0; i < 3; i++)
            r |= expr_uses_var(e->u.op.a[i], v, depth + 1);
        return r;
    case KE_SELECT:
        return expr_uses_var(e->u.sel.c, v, depth + 1) || expr_uses_var(e->u.sel.t, v, depth + 1) ||
               expr_uses_var(e->u.sel.f, v, depth + 1);
    case KE_CAST:
    case KE_SPLAT:
        return expr_uses_var(e->u.cast.a, v, depth + 1);
    case KE_HREDUCE:
        return expr_uses_var(e->u.hred.a, v, depth + 1);
    case KE_LANE:
        return expr_uses_var(e->u.lane.a, v, depth + 1);
    case KE_DOT4:
    case KE_DOT2:
        return expr_uses_var(e->u.dot.acc, v, depth + 1) ||
               expr_uses_var(e->u.dot.a, v, depth + 1) || expr_uses_var(e->u.dot.b, v, depth + 1);
    }
    for (uint8_t i = 0; ix && i < ix->n; i++)
        r |= ix->var[i] == v && ix->coef[i] != 0;
    return r;
}

/* Whether a dyn loop inside s has a trip count that depends on loop variable v. */
static int dyn_uses_var(const KStmt *s, uint16_t v, int depth)
{
    if (!s || depth > IR_DEPTH)
        return 0;
    switch (s->kind) {
    case KS_FOR:
        return expr_uses_var(s->u.loop.dyn, v, 0) || dyn_uses_var(s->u.loop.body, v, depth + 1);
    case KS_SEQ:
        for (uint32_t i = 0; i < s->u.seq.n; i++)
            if (dyn_uses_var(s->u.seq.items[i], v, depth + 1))
                return 1;
        return 0;
    case KS_IF:
        return dyn_uses_var(s->u.cond.then, v, depth + 1);
    case KS_STORE:
    case KS_SET:
        return 0;
    }
    return 0;
}

static uint64_t stmt_macs(MacWalk *w, const KStmt *s, const Bind *b, int depth)
{
    if (!s || depth > IR_DEPTH)
        return 0;
    uint64_t m = 0;
    switch (s->kind) {
    case KS_FOR: {
        if (s->u.loop.extent <= 0)
            return 0;
        /* a dyn loop: its real trip count when it can be read from the weights, else
         * the bound (an upper limit) */
        int64_t n = s->u.loop.extent, d;
        if (s->u.loop.dyn && int_value(w, s->u.loop.dyn, b, 0, &d))
            n = kir_trip((int32_t)(uint32_t)(uint64_t)d, n);
        if (n <= 0)
            return 0;
        /* a trip count inside that depends on this loop's variable: one value at a time */
        if ((uint64_t)n <= w->budget && dyn_uses_var(s->u.loop.body, s->u.loop.var, depth + 1)) {
            w->budget -= (uint64_t)n;
            for (int64_t i = 0; i < n; i++) {
                Bind nb = {s->u.loop.var, i, b};
                m = sat_add(m, stmt_macs(w, s->u.loop.body, &nb, depth + 1));
            }
            return m;
        }
        return sat_mul((uint64_t)n, stmt_macs(w, s->u.loop.body, b, depth + 1));
    }
    case KS_STORE:
        return expr_macs(s->u.store.val, 0);
    case KS_SET:
        return expr_macs(s->u.set.val, 0);
    case KS_SEQ:
        for (uint32_t i = 0; i < s->u.seq.n; i++)
            m = sat_add(m, stmt_macs(w, s->u.seq.items[i], b, depth + 1));
        return m;
    case KS_IF:
        return stmt_macs(w, s->u.cond.then, b, depth + 1);
    }
    return m;
}

uint64_t report_macs(const Program *p, const KStmt *s)
{
    MacWalk w = {p, MAC_ENUM_BUDGET};
    return stmt_macs(&w, s, NULL, 0);
}

/* ---- facts the sections share ---- */

typedef struct Report {
    const Ctx *ctx;
    const Graph *g;
    const Program *p;
    const MemPlan *plan;
    StrBuf *sb;
    uint8_t *use;     /* per buffer: kir_buffers_used of the current kernel */
    uint32_t *wseen;  /* per weight: 1 + the last kernel that counted it */
    uint64_t *macs;   /* per kernel */
    uint64_t *wbytes; /* per kernel: bytes of the weights it reads */
    uint64_t *live;   /* per kernel: bytes of the arena slots live while it runs */
    uint64_t total_macs, total_weights, blob, arena, bound, max_wbytes;
    uint32_t peak;      /* the first kernel whose live bytes reach the bound */
    uint32_t nweighted; /* kernels that read weights */
} Report;

/* r->use for kernel k */
static void kernel_use(Report *r, uint32_t k)
{
    memset(r->use, 0, r->p->bufs.len ? r->p->bufs.len : 1);
    if (r->p->kernels.data[k].body)
        kir_buffers_used(r->p->kernels.data[k].body, r->use);
}

static void gather(Report *r)
{
    const Program *p = r->p;
    uint32_t nk = p->kernels.len;
    Arena *a = r->ctx->scratch;
    r->use = arena_array(a, uint8_t, p->bufs.len ? p->bufs.len : 1);
    r->wseen = arena_array(a, uint32_t, p->weights.len ? p->weights.len : 1);
    r->macs = arena_array(a, uint64_t, nk ? nk : 1);
    r->wbytes = arena_array(a, uint64_t, nk ? nk : 1);
    r->live = arena_array(a, uint64_t, nk ? nk : 1);
    for (uint32_t k = 0; k < nk; k++) {
        r->macs[k] = report_macs(p, p->kernels.data[k].body);
        r->total_macs = sat_add(r->total_macs, r->macs[k]);
        kernel_use(r, k);
        for (uint32_t b = 0; b < p->bufs.len; b++) {
            const KBuf *kb = &p->bufs.data[b];
            if (!(r->use[b] & 1) || kb->kind != KB_WEIGHT || kb->slot >= p->weights.len ||
                r->wseen[kb->slot] == k + 1)
                continue;
            r->wseen[kb->slot] = k + 1;
            r->wbytes[k] = sat_add(r->wbytes[k], p->weights.data[kb->slot].size);
        }
        if (r->wbytes[k])
            r->nweighted++;
        if (r->wbytes[k] > r->max_wbytes)
            r->max_wbytes = r->wbytes[k];
    }
    for (uint32_t w = 0; w < p->weights.len; w++)
        r->total_weights = sat_add(r->total_weights, p->weights.data[w].size);
    uint64_t *woff = arena_array(a, uint64_t, p->weights.len ? p->weights.len : 1);
    r->blob = p->weights.len ? weight_layout(p, weight_align(r->ctx->target), woff) : 0;
    for (uint32_t i = 0; i < r->plan->nslots; i++) {
        const MemSlot *s = &r->plan->slots[i];
        for (uint32_t k = s->first; k <= s->last && k < nk; k++)
            r->live[k] = sat_add(r->live[k], s->size);
    }
    for (uint32_t k = 0; k < nk; k++)
        if (r->live[k] > r->bound) {
            r->bound = r->live[k];
            r->peak = k;
        }
    r->arena = arena_bytes(r->ctx);
}

/* ---- page parts ---- */

static const char style_text[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;"
    "max-width:1180px;padding:0 16px;color:#1d232a;background:#fff}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:"
    "2px solid #e3e7ec;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}\n"
    ".sub{color:#5b6673;margin:0 0 16px}\n"
    ".cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:0 0 16px}\n"
    ".card{border:1px solid #dde3ea;border-radius:8px;padding:10px 12px;background:#f7f9fb}\n"
    ".card dt{font-size:12px;color:#5b6673;text-transform:uppercase;letter-spacing:.04em}\n"
    ".card dd{margin:2px 0;font-size:20px;font-weight:600}.card small{color:#5b6673}\n"
    "table{border-collapse:collapse;width:100%;font-size:12.5px}\n"
    "th,td{border-bottom:1px solid #e6eaef;padding:4px 6px;text-align:left;vertical-align:top}\n"
    "th{background:#eef2f6;position:sticky;top:0}th[data-sort]{cursor:pointer}\n"
    "td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    "td.mono,td .nm{overflow-wrap:anywhere}.vn{color:#5b6673}td.kn{min-width:9em}\n"
    "table.kv{width:auto}table.kv th{position:static;background:none;color:#5b6673;"
    "font-weight:normal}\n"
    "tbody tr:nth-child(even){background:#fafbfc}tr.peak td{background:#fff4e0}"
    "tr.hl td{background:#dff0ff}\n"
    ".op{font-weight:600}.nm,.mono,code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;"
    "font-size:12px}\n"
    ".fused{color:#3d6b2a}.rm{color:#8a4b00;font-size:12px}.none,.note{color:#5b6673}\n"
    "svg{display:block;max-width:100%;height:auto;background:#fcfdfe;border:1px solid #e3e7ec}\n"
    "svg text{font:11px system-ui,sans-serif;fill:#333}svg .axis{stroke:#555}"
    "svg .grid{stroke:#e3e7ec}\n"
    "svg rect.slot{stroke:#fff;stroke-width:.5}svg rect.slot:hover{stroke:#000;stroke-width:1.5}\n"
    "svg .live{fill:none;stroke:#1d232a;stroke-width:1.2}svg text.tl{font-size:10px;"
    "pointer-events:none}\n"
    "svg line.arena{stroke:#c62828;stroke-width:1.5;stroke-dasharray:6 3}"
    "svg text.arena{fill:#c62828}\n"
    "svg line.bound{stroke:#1565c0;stroke-width:1.5;stroke-dasharray:2 3}"
    "svg text.bound{fill:#1565c0}\n"
    "svg text.arena,svg text.bound,svg text.tl{paint-order:stroke;stroke:#fff;stroke-width:3px;"
    "stroke-linejoin:round}\n"
    "svg rect.bar{fill:#5c8fd6}svg rect.bar:hover{fill:#2f5fa8}\n"
    ".legend span{display:inline-block;margin-right:18px}.sw{display:inline-block;width:12px;"
    "height:12px;margin-right:5px;vertical-align:-1px;border:1px solid #999}\n"
    "ul.rmk li{margin:2px 0}footer{margin-top:32px;color:#5b6673;font-size:12px}\n";

/* Hover a tensor in the arena picture: the layers it lives across are highlighted; click a
 * numeric column head: the layer table sorts by it. Writes the status line the tests read. */
static const char script_text[] =
    "(function(){\n"
    "var rects=document.querySelectorAll('#arena rect.slot');\n"
    "function mark(a,b,on){for(var k=a;k<=b;k++){var r=document.getElementById('L'+k);"
    "if(r)r.classList.toggle('hl',on);}}\n"
    "rects.forEach(function(r){var a=+r.getAttribute('data-first'),"
    "b=+r.getAttribute('data-last');\n"
    "r.addEventListener('mouseenter',function(){mark(a,b,true);});\n"
    "r.addEventListener('mouseleave',function(){mark(a,b,false);});});\n"
    "var tb=document.querySelector('#layers tbody');\n"
    "document.querySelectorAll('#layers th[data-sort]').forEach(function(th){\n"
    "th.addEventListener('click',function(){var c=th.cellIndex,"
    "d=th.getAttribute('data-dir')!=='desc';th.setAttribute('data-dir',d?'desc':'asc');\n"
    "var rs=Array.prototype.slice.call(tb.rows);rs.sort(function(x,y){"
    "var u=+x.cells[c].getAttribute('data-v'),v=+y.cells[c].getAttribute('data-v');"
    "return d?v-u:u-v;});\n"
    "rs.forEach(function(x){tb.appendChild(x);});});});\n"
    "var st=document.getElementById('script-status');\n"
    "st.textContent='script ran: '+rects.length+' arena rectangles, '+tb.rows.length+"
    "' layers, '+document.scripts.length+' script';\n"
    "st.setAttribute('data-ok','1');\n"
    "})();\n";

static const char *emit_name(LwEmit e)
{
    switch (e) {
    case LW_EMIT_C:
        return "C source";
    case LW_EMIT_LLVM:
        return "LLVM IR";
    case LW_EMIT_BC:
        return "LLVM bitcode";
    case LW_EMIT_OBJ:
        return "object file (LLVM)";
    case LW_EMIT_IR:
    case LW_EMIT_KIR:
    case LW_EMIT_ONNX:
        break;
    }
    return "dump";
}

static void io_list(Report *r, const char *what, const uint32_t *bufs, uint32_t n)
{
    StrBuf *sb = r->sb;
    sb_printf(sb, "<tr><th>%s</th><td class=\"mono\">", what);
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sb_puts(sb, "<br>");
        buf_label(sb, r->g, &r->p->bufs.data[bufs[i]], 1);
    }
    if (!n)
        sb_puts(sb, "none");
    sb_puts(sb, "</td></tr>\n");
}

static void summary(Report *r)
{
    const Ctx *ctx = r->ctx;
    const LwOptions *o = ctx->opt;
    StrBuf *sb = r->sb;
    const char *tgt = o->target ? o->target : "generic";
    sb_puts(sb, "<h1>lwcc report: <span class=\"mono\">");
    esc(sb, base_name(o->input), NAME_BYTES);
    sb_printf(sb,
              "</span></h1>\n<p class=\"sub\">lwcc %s &middot; %s &middot; --target=", LW_VERSION,
              opt_name(o->opt));
    esc(sb, tgt, NAME_BYTES);
    if (ctx->target && strcmp(ctx->target->name, tgt) != 0) {
        sb_puts(sb, " (");
        esc(sb, ctx->target->name, NAME_BYTES);
        sb_putc(sb, ')');
    }
    sb_printf(sb, " &middot; %s</p>\n", emit_name(o->emit));

    sb_puts(sb, "<section id=\"summary\"><dl class=\"cards\">\n");
    sb_printf(sb,
              "<div class=\"card\"><dt>Arena (RAM)</dt><dd id=\"arena-size\" "
              "data-bytes=\"%" PRIu64 "\">",
              r->arena);
    short_bytes(sb, r->arena);
    sb_puts(sb, "</dd><small>");
    num(sb, r->arena);
    sb_printf(sb, " B, aligned to %u: the header&#39;s ARENA_SIZE</small></div>\n",
              r->plan->arena_align);
    sb_printf(sb,
              "<div class=\"card\"><dt>Max-live bound</dt><dd id=\"bound\" "
              "data-bytes=\"%" PRIu64 "\">",
              r->bound);
    short_bytes(sb, r->bound);
    sb_puts(sb, "</dd><small>");
    if (r->arena <= r->bound)
        sb_puts(sb, "the plan reaches the bound");
    else {
        sb_puts(sb, "the plan is ");
        percent(sb, r->arena - r->bound, r->bound);
        sb_puts(sb, " above it");
    }
    if (r->p->kernels.len && r->bound)
        sb_printf(sb, "; peak at kernel %u", r->peak);
    sb_puts(sb, "</small></div>\n");
    sb_printf(sb,
              "<div class=\"card\"><dt>Weights (flash)</dt><dd id=\"weights\" "
              "data-bytes=\"%" PRIu64 "\">",
              r->total_weights);
    short_bytes(sb, r->total_weights);
    sb_printf(sb, "</dd><small>%u tensors; ", r->p->weights.len);
    num(sb, r->blob);
    sb_puts(sb, " B with alignment</small></div>\n");
    sb_printf(sb,
              "<div class=\"card\"><dt>MACs per run</dt><dd id=\"macs\" "
              "data-macs=\"%" PRIu64 "\">",
              r->total_macs);
    short_count(sb, r->total_macs);
    sb_puts(sb, "</dd><small>");
    num(sb, r->total_macs);
    sb_printf(sb, " in %u kernels</small></div>\n</dl>\n", r->p->kernels.len);

    sb_puts(sb, "<table class=\"kv\">\n<tr><th>model</th><td class=\"mono\">");
    esc(sb, o->input, 400);
    sb_puts(sb, "</td></tr>\n");
    io_list(r, "inputs", r->p->inputs.data, r->p->inputs.len);
    io_list(r, "outputs", r->p->outputs.data, r->p->outputs.len);
    sb_printf(sb,
              "<tr><th>arena</th><td>%u tensors in %u kernels; the max-live bound is the "
              "largest sum of the sizes of the arena tensors live at one kernel: no plan can "
              "be smaller</td></tr>\n",
              r->plan->nslots, r->p->kernels.len);
    sb_puts(sb, "<tr><th>flash</th><td>weights only; the code&#39;s size depends on the C "
                "compiler and flags (measure the object with <code>size</code>)</td></tr>\n");
    sb_puts(sb, "</table></section>\n");
}

static uint32_t nice_step(uint32_t n, uint32_t most)
{
    static const uint32_t steps[] = {1,   2,   5,    10,   20,   25,    50,    100,   200,
                                     250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000};
    for (size_t i = 0; i < LW_COUNT(steps); i++)
        if (n / steps[i] <= most)
            return steps[i];
    return n / most + 1;
}

static uint64_t ax(const Report *r, uint64_t k)
{
    uint32_t nk = r->p->kernels.len ? r->p->kernels.len : 1;
    return AL + scale(k, AW - AL - AR, nk);
}

static uint64_t ay(const Report *r, uint64_t off)
{
    return AT + APH - scale(off, APH, r->arena);
}

static void slot_title(Report *r, const MemSlot *s)
{
    StrBuf *sb = r->sb;
    const KBuf *kb = &r->p->bufs.data[s->buf];
    const Kernel *kf = &r->p->kernels.data[s->first], *kl = &r->p->kernels.data[s->last];
    sb_puts(sb, "<title>");
    buf_label(sb, r->g, kb, 0);
    sb_puts(sb, "\n");
    num(sb, s->size);
    sb_printf(sb, " B at offset ");
    num(sb, s->offset);
    sb_printf(sb, "\nlive in kernels %u..%u (", s->first, s->last);
    esc(sb, kf->cname, NAME_BYTES);
    if (s->last != s->first) {
        sb_puts(sb, " .. ");
        esc(sb, kl->cname, NAME_BYTES);
    }
    sb_puts(sb, ")</title>");
}

static void arena_svg(Report *r)
{
    StrBuf *sb = r->sb;
    const MemPlan *plan = r->plan;
    uint32_t nk = r->p->kernels.len;
    uint32_t h = AT + APH + AB;
    sb_puts(sb, "<section><h2>Arena over time</h2>\n<p>Each rectangle is one tensor in the "
                "arena: from the first to the last kernel that touches it (x), at its offset "
                "and size (y). Hover for its name, size and lifetime; the layers it spans light "
                "up in the table below.</p>\n");
    sb_printf(sb,
              "<svg id=\"arena\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %u\" "
              "width=\"%d\" height=\"%u\" role=\"img\" aria-label=\"arena plan\" "
              "data-slots=\"%u\">\n",
              AW, h, AW, h, plan->nslots);
    /* grid and axes */
    uint32_t x0 = AL, x1 = AW - AR, yb = AT + APH;
    for (int i = 0; i <= 4; i++) {
        uint64_t v = r->arena / 4 * (uint64_t)i + (i == 4 ? r->arena % 4 : 0);
        uint64_t y = ay(r, v);
        sb_printf(sb,
                  "<line class=\"grid\" x1=\"%u\" y1=\"%" PRIu64 "\" x2=\"%u\" y2=\"%" PRIu64
                  "\"/><text x=\"%u\" y=\"%" PRIu64 "\" text-anchor=\"end\">",
                  x0, y, x1, y, x0 - 6, y + 4);
        short_bytes(sb, v);
        sb_puts(sb, "</text>\n");
    }
    uint32_t step = nice_step(nk, 16);
    for (uint32_t k = 0; k < nk; k += step) {
        uint64_t xa = ax(r, k), xb = ax(r, k + 1);
        sb_printf(sb,
                  "<line class=\"axis\" x1=\"%" PRIu64 "\" y1=\"%u\" x2=\"%" PRIu64
                  "\" y2=\"%u\"/><text x=\"%" PRIu64 "\" y=\"%u\" text-anchor=\"middle\">%u"
                  "</text>\n",
                  (xa + xb) / 2, yb, (xa + xb) / 2, yb + 4, (xa + xb) / 2, yb + 16, k);
    }
    /* tensors */
    for (uint32_t i = 0; i < plan->nslots; i++) {
        const MemSlot *s = &plan->slots[i];
        uint64_t xa = ax(r, s->first), xb = ax(r, (uint64_t)s->last + 1);
        uint64_t ya = ay(r, sat_add(s->offset, s->size)), yz = ay(r, s->offset);
        uint64_t w = xb > xa ? xb - xa : 1, hh = yz > ya ? yz - ya : 1;
        sb_printf(sb,
                  "<rect class=\"slot\" x=\"%" PRIu64 "\" y=\"%" PRIu64 "\" width=\"%" PRIu64
                  "\" height=\"%" PRIu64 "\" fill=\"hsl(%u,55%%,68%%)\" data-first=\"%u\" "
                  "data-last=\"%u\" data-offset=\"%" PRIu64 "\" data-size=\"%" PRIu64 "\">",
                  xa, ya, w, hh, (i * 137u) % 360u, s->first, s->last, s->offset, s->size);
        slot_title(r, s);
        sb_puts(sb, "</rect>\n");
        /* the tensor's name where it fits whole, at about 6 units a character */
        const KBuf *kb = &r->p->bufs.data[s->buf];
        const char *name = kb->origin ? graph_value(r->g, kb->origin)->name : "";
        if (*name && hh >= 14 && strlen(name) * 6 + 6 <= w) {
            sb_printf(sb, "<text class=\"tl\" x=\"%" PRIu64 "\" y=\"%" PRIu64 "\">", xa + 3,
                      (ya + yz) / 2 + 4);
            esc(sb, name, NAME_BYTES);
            sb_puts(sb, "</text>\n");
        }
    }
    /* live bytes per kernel, a step line */
    if (nk) {
        sb_puts(sb, "<polyline class=\"live\" points=\"");
        for (uint32_t k = 0; k < nk; k++) {
            uint64_t y = ay(r, r->live[k]);
            sb_printf(sb, "%s%" PRIu64 ",%" PRIu64 " %" PRIu64 ",%" PRIu64, k ? " " : "", ax(r, k),
                      y, ax(r, (uint64_t)k + 1), y);
        }
        sb_puts(sb, "\"><title>bytes live at each kernel</title></polyline>\n");
    }
    /* the bound and the arena size */
    uint64_t yA = ay(r, r->arena), yB = ay(r, r->bound);
    sb_printf(sb,
              "<line class=\"arena\" x1=\"%u\" y1=\"%" PRIu64 "\" x2=\"%u\" y2=\"%" PRIu64
              "\"/><text class=\"arena\" x=\"%u\" y=\"%" PRIu64 "\" text-anchor=\"end\">"
              "arena ",
              x0, yA, x1, yA, x1, yA - 5);
    short_bytes(sb, r->arena);
    sb_printf(sb,
              "</text>\n<line class=\"bound\" x1=\"%u\" y1=\"%" PRIu64 "\" x2=\"%u\" y2=\"%" PRIu64
              "\"/><text class=\"bound\" x=\"%u\" y=\"%" PRIu64 "\" "
              "text-anchor=\"start\">max-live bound ",
              x0, yB, x1, yB, x0 + 4, yB + 13);
    short_bytes(sb, r->bound);
    sb_puts(sb, "</text>\n");
    sb_printf(sb,
              "<line class=\"axis\" x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\"/>"
              "<line class=\"axis\" x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\"/>\n",
              x0, AT, x0, yb, x0, yb, x1, yb);
    sb_printf(sb,
              "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">kernel (schedule order: "
              "time)</text>\n<text x=\"14\" y=\"%u\" text-anchor=\"middle\" "
              "transform=\"rotate(-90 14 %u)\">arena offset</text>\n",
              (x0 + x1) / 2, h - 12, AT + APH / 2, AT + APH / 2);
    if (!plan->nslots)
        sb_printf(sb,
                  "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">no arena tensors: every "
                  "kernel reads and writes the caller&#39;s buffers</text>\n",
                  (x0 + x1) / 2, AT + APH / 2);
    sb_puts(sb, "</svg>\n<p class=\"legend\"><span><i class=\"sw\" style=\"background:"
                "hsl(200,55%,68%)\"></i>a tensor</span><span><i class=\"sw\" style=\"background:"
                "#1d232a\"></i>bytes live at each kernel</span><span><i class=\"sw\" "
                "style=\"background:#1565c0\"></i>max-live bound</span><span><i class=\"sw\" "
                "style=\"background:#c62828\"></i>arena size</span></p></section>\n");
}

static void flash_svg(Report *r)
{
    StrBuf *sb = r->sb;
    const Program *p = r->p;
    sb_puts(sb, "<section><h2>Flash by layer</h2>\n");
    if (!r->nweighted) {
        sb_puts(sb, "<p class=\"none\">No kernel reads weights.</p></section>\n");
        return;
    }
    sb_puts(sb, "<p>Bytes of weights each layer reads, in schedule order");
    if (r->nweighted < p->kernels.len)
        sb_printf(sb, " (%u layers without weights are left out)", p->kernels.len - r->nweighted);
    sb_puts(sb, ". A weight read by two layers counts in both.</p>\n");
    uint32_t h = r->nweighted * FROW + 28;
    sb_printf(sb,
              "<svg id=\"flash\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %u\" "
              "width=\"%d\" height=\"%u\" role=\"img\" aria-label=\"weights per layer\">\n",
              FW, h, FW, h);
    uint32_t row = 0;
    for (uint32_t k = 0; k < p->kernels.len; k++) {
        if (!r->wbytes[k])
            continue;
        const Kernel *kn = &p->kernels.data[k];
        uint32_t y = 8 + row * FROW;
        uint64_t w = scale(r->wbytes[k], FBAR, r->max_wbytes);
        sb_printf(sb, "<text x=\"%d\" y=\"%u\" text-anchor=\"end\">", FLBL - 8, y + 12);
        esc(sb, kn->cname, 48);
        if (kn->origin) {
            sb_puts(sb, " &#183; ");
            esc(sb, graph_node(r->g, kn->origin)->loc.op_type, 24);
        }
        sb_printf(sb,
                  "</text><rect class=\"bar\" x=\"%d\" y=\"%u\" width=\"%" PRIu64 "\" "
                  "height=\"%d\" data-kernel=\"%u\"><title>",
                  FLBL, y + 2, w ? w : 1, FROW - 4, k);
        esc(sb, kn->cname, NAME_BYTES);
        sb_puts(sb, ": ");
        num(sb, r->wbytes[k]);
        sb_puts(sb, " B of weights</title></rect><text x=\"");
        sb_printf(sb, "%" PRIu64 "\" y=\"%u\">", FLBL + (w ? w : 1) + 6, y + 12);
        short_bytes(sb, r->wbytes[k]);
        sb_puts(sb, " (");
        percent(sb, r->wbytes[k], r->total_weights);
        sb_puts(sb, ")</text>\n");
        row++;
    }
    sb_printf(sb, "<text x=\"%d\" y=\"%u\">total ", FLBL, h - 6);
    bytes(sb, r->total_weights);
    sb_puts(sb, " of weights; the blob with alignment is ");
    num(sb, r->blob);
    sb_puts(sb, " B</text>\n</svg></section>\n");
}

/* Remarks about node n ("node 'NAME' (Op): ..."), each as a line of the remarks cell; for
 * the row's main node without the prefix the row already shows. */
static void node_remarks(Report *r, const Node *n, int main_node, int *any)
{
    StrBuf *sb = r->sb;
    const char *name = n->loc.name ? n->loc.name : "";
    size_t len = strlen(name);
    for (uint32_t i = 0; i < r->ctx->remarks.len; i++) {
        const char *m = r->ctx->remarks.data[i];
        if (!m || strncmp(m, "node '", 6) != 0 || strncmp(m + 6, name, len) != 0 ||
            m[6 + len] != '\'')
            continue;
        const char *rest = m + 7 + len, *colon = strstr(rest, "): ");
        if (main_node && rest[0] == ' ' && rest[1] == '(' && colon)
            m = colon + 3;
        sb_puts(sb, *any ? "<br>" : "");
        esc(sb, m, REMARK_BYTES);
        *any = 1;
    }
}

static void layer_row(Report *r, uint32_t k)
{
    StrBuf *sb = r->sb;
    const Program *p = r->p;
    const Kernel *kn = &p->kernels.data[k];
    sb_printf(sb, "<tr id=\"L%u\"%s><td class=\"n\" data-v=\"%u\">%u</td><td class=\"mono kn\">", k,
              r->bound && k == r->peak ? " class=\"peak\"" : "", k, k);
    esc(sb, kn->cname, NAME_BYTES);
    sb_puts(sb, "</td><td>");
    if (kn->origin) {
        node_label(sb, graph_node(r->g, kn->origin));
        for (uint32_t i = 0; i < kn->nfused; i++) {
            sb_puts(sb, "<br><span class=\"fused\">+ fused ");
            node_label(sb, graph_node(r->g, kn->fused[i]));
            sb_puts(sb, "</span>");
        }
    } else {
        sb_puts(sb, "<span class=\"note\">");
        esc(sb, kn->comment ? kn->comment : "no node", 400);
        sb_puts(sb, "</span>");
    }
    kernel_use(r, k);
    for (int pass = 0; pass < 2; pass++) {
        /* inputs: buffers read and not written; outputs: buffers written */
        sb_puts(sb, "</td><td class=\"mono\">");
        int n = 0;
        for (uint32_t b = 0; b < p->bufs.len; b++) {
            const KBuf *kb = &p->bufs.data[b];
            int want = pass ? (r->use[b] & 2) != 0 : r->use[b] == 1;
            if (!want || kb->kind == KB_WEIGHT)
                continue;
            sb_puts(sb, n++ ? "<br>" : "");
            buf_label(sb, r->g, kb, 1);
        }
    }
    sb_printf(sb, "</td><td class=\"n\" data-v=\"%" PRIu64 "\">", r->macs[k]);
    num(sb, r->macs[k]);
    sb_printf(sb, "</td><td class=\"n\" data-v=\"%" PRIu64 "\"", r->wbytes[k]);
    if (r->wbytes[k]) {
        sb_puts(sb, " title=\"");
        int n = 0;
        for (uint32_t b = 0; b < p->bufs.len; b++) {
            const KBuf *kb = &p->bufs.data[b];
            if (!(r->use[b] & 1) || kb->kind != KB_WEIGHT || kb->slot >= p->weights.len)
                continue;
            sb_puts(sb, n++ ? "&#10;" : "");
            buf_label(sb, r->g, kb, 0);
            sb_printf(sb, ": %" PRIu64 " B", p->weights.data[kb->slot].size);
        }
        sb_puts(sb, "\">");
        num(sb, r->wbytes[k]);
    } else {
        sb_puts(sb, ">");
    }
    sb_printf(sb, "</td><td class=\"n\" data-v=\"%" PRIu64 "\">", r->live[k]);
    num(sb, r->live[k]);
    sb_puts(sb, "</td><td class=\"rm\">");
    int any = 0;
    if (kn->schedule) {
        sb_puts(sb, "schedule: ");
        esc(sb, kn->schedule, REMARK_BYTES);
        any = 1;
    }
    if (kn->origin) {
        node_remarks(r, graph_node(r->g, kn->origin), 1, &any);
        for (uint32_t i = 0; i < kn->nfused; i++)
            node_remarks(r, graph_node(r->g, kn->fused[i]), 0, &any);
    }
    sb_puts(sb, "</td></tr>\n");
}

static void layers(Report *r)
{
    StrBuf *sb = r->sb;
    sb_puts(sb, "<section><h2>Layers</h2>\n<p>One row per kernel of the generated code, in the "
                "order it runs. Fused nodes are computed in the main node&#39;s stores; "
                "<b>live arena</b> is the bytes of arena tensors live while the kernel runs "
                "(the highlighted row reaches the bound). Click a numeric column to sort.</p>\n");
    sb_puts(sb, "<table id=\"layers\"><thead><tr><th data-sort>#</th><th>kernel</th>"
                "<th>ONNX node(s)</th><th>inputs</th><th>outputs</th><th data-sort>MACs</th>"
                "<th data-sort>weight bytes</th><th data-sort>live arena</th><th>remarks</th>"
                "</tr></thead>\n<tbody>\n");
    for (uint32_t k = 0; k < r->p->kernels.len; k++)
        layer_row(r, k);
    sb_puts(sb, "</tbody>\n<tfoot><tr><th colspan=\"5\">total</th><td class=\"n\">");
    num(sb, r->total_macs);
    sb_puts(sb, "</td><td class=\"n\">");
    num(sb, r->total_weights);
    sb_puts(sb, "</td><td class=\"n\">");
    num(sb, r->bound);
    sb_puts(sb, "</td><td></td></tr></tfoot></table></section>\n");
}

/* Nodes with no kernel: erased ones (op NULL: folded, merged into a neighbour or dead) when
 * `erased`, else nodes still in the order that no kernel names (views, computed at load). */
static void nodes_without_kernel(Report *r, const uint8_t *in_kernel, int erased)
{
    StrBuf *sb = r->sb;
    const Graph *g = r->g;
    uint32_t n = 0;
    if (erased) {
        for (uint32_t id = 1; id < g->nodes.len; id++)
            n += !g->nodes.data[id].op && !in_kernel[id];
    } else {
        for (uint32_t i = 0; i < g->order.len; i++)
            n += !in_kernel[g->order.data[i]];
    }
    sb_printf(sb, "<h3>%s (%u)</h3>\n",
              erased ? "Computed at compile time or removed" : "Still in the graph, no kernel", n);
    sb_puts(sb, erased ? "<p class=\"note\">Constant subgraphs folded into weights; "
                         "BatchNormalization and other per-channel affine nodes merged into the "
                         "Conv or Gemm before them, LoRA branches into their base weights; "
                         "quantization patterns rewritten as integer nodes; dead nodes "
                         "removed.</p>\n"
                       : "<p class=\"note\">Views of their input&#39;s buffer (Reshape, Flatten, "
                         "Squeeze, Unsqueeze), and weight dequantization computed where the "
                         "consumer loads each element.</p>\n");
    if (!n) {
        sb_puts(sb, "<p class=\"none\">none</p>\n");
        return;
    }
    sb_printf(sb, "<ul class=\"nodes\" id=\"%s\">\n", erased ? "folded" : "nokernel");
    uint32_t shown = 0;
    uint32_t end = erased ? g->nodes.len : g->order.len;
    for (uint32_t i = erased ? 1 : 0; i < end && shown < LIST_MAX; i++) {
        NodeId id = erased ? i : g->order.data[i];
        if (in_kernel[id] || (erased && g->nodes.data[id].op))
            continue;
        sb_puts(sb, "<li>");
        node_label(sb, &g->nodes.data[id]);
        sb_puts(sb, "</li>\n");
        shown++;
    }
    if (shown < n)
        sb_printf(sb, "<li class=\"note\">and %u more</li>\n", n - shown);
    sb_puts(sb, "</ul>\n");
}

static void optimizer(Report *r)
{
    StrBuf *sb = r->sb;
    const Ctx *ctx = r->ctx;
    const Program *p = r->p;
    sb_puts(sb, "<section id=\"optimizer\"><h2>What the optimizer did</h2>\n<h3>Remarks</h3>\n");
    if (!ctx->remarks.len) {
        sb_puts(sb, "<p class=\"none\">No remarks: no pass reported a change at this level "
                    "(channel pruning, for one, adds a line per node it shrinks).</p>\n");
    } else {
        sb_puts(sb, "<ul class=\"rmk\" id=\"remarks\">\n");
        for (uint32_t i = 0; i < ctx->remarks.len; i++) {
            sb_puts(sb, "<li>");
            esc(sb, ctx->remarks.data[i], REMARK_BYTES);
            sb_puts(sb, "</li>\n");
        }
        sb_puts(sb, "</ul>\n");
    }
    ArenaMark m = arena_mark(ctx->scratch);
    uint8_t *in_kernel = arena_array(ctx->scratch, uint8_t, r->g->nodes.len);
    uint32_t nfused = 0, groups = 0;
    for (uint32_t k = 0; k < p->kernels.len; k++) {
        const Kernel *kn = &p->kernels.data[k];
        if (kn->origin < r->g->nodes.len)
            in_kernel[kn->origin] = 1;
        for (uint32_t i = 0; i < kn->nfused; i++)
            if (kn->fused[i] < r->g->nodes.len && !in_kernel[kn->fused[i]]) {
                in_kernel[kn->fused[i]] = 1;
                nfused++;
            }
        groups += kn->nfused > 0;
    }
    in_kernel[0] = 1;
    sb_printf(sb, "<h3>Fusion (%u)</h3>\n", nfused);
    if (!nfused) {
        sb_puts(sb, "<p class=\"none\">No node was fused into another&#39;s kernel.</p>\n");
    } else {
        sb_printf(sb,
                  "<p>%u nodes are computed in the stores of %u kernels, with no tensor of "
                  "their own:</p>\n<ul id=\"fusion\">\n",
                  nfused, groups);
        for (uint32_t k = 0; k < p->kernels.len; k++) {
            const Kernel *kn = &p->kernels.data[k];
            if (!kn->nfused || !kn->origin)
                continue;
            sb_printf(sb, "<li><a href=\"#L%u\" class=\"mono\">", k);
            esc(sb, kn->cname, NAME_BYTES);
            sb_puts(sb, "</a>: ");
            node_label(sb, graph_node(r->g, kn->origin));
            for (uint32_t i = 0; i < kn->nfused; i++) {
                sb_puts(sb, " + ");
                node_label(sb, graph_node(r->g, kn->fused[i]));
            }
            sb_puts(sb, "</li>\n");
        }
        sb_puts(sb, "</ul>\n");
    }
    nodes_without_kernel(r, in_kernel, 1);
    nodes_without_kernel(r, in_kernel, 0);
    arena_reset(ctx->scratch, m);
    sb_puts(sb, "</section>\n");
}

void report_html(const Ctx *ctx, StrBuf *sb)
{
    ArenaMark m = arena_mark(ctx->scratch);
    Report r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.g = ctx->g;
    r.p = ctx->prog;
    r.plan = ctx->plan;
    r.sb = sb;
    gather(&r);
    sb_puts(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"generator\" content=\"lwcc " LW_VERSION "\">\n<title>lwcc report: ");
    esc(sb, base_name(ctx->opt->input), NAME_BYTES);
    sb_printf(sb, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", style_text);
    summary(&r);
    arena_svg(&r);
    flash_svg(&r);
    layers(&r);
    optimizer(&r);
    sb_puts(sb, "<footer><p><b>MACs</b> are counted in the kernel IR lwcc prints: each lane of a "
                "fused multiply-add, and of an integer add of a product, is one, times the trip "
                "counts of the loops around it. A guarded statement counts as if its guard "
                "held: at -Os, where a Conv is one loop nest with guarded loads, its taps over "
                "the padding count too; the other levels skip them. Other arithmetic (activations, "
                "pooling, "
                "requantization) is not counted.<br><b>Max-live bound</b>: the largest sum, "
                "over the kernels, of the sizes (rounded up to 16 bytes) of the arena tensors "
                "live at that kernel; the plan can reach it but never go under it.<br>"
                "<b>Weight bytes</b> of a layer: the weights its kernel reads, as stored.</p>\n"
                "<p id=\"script-status\">the page&#39;s script did not run</p></footer>\n"
                "<script>\n");
    sb_puts(sb, script_text);
    sb_puts(sb, "</script>\n</body>\n</html>\n");
    arena_reset(ctx->scratch, m);
}
