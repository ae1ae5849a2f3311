/* Text buffer in an arena, with exact, locale-free number formatting (the
 * generated C must not depend on the host's locale). */
#ifndef LWCC_LWCC_STRBUF_H
#define LWCC_LWCC_STRBUF_H

#include <stdarg.h>

#include "include/lwcc/arena.h"

typedef struct StrBuf {
    Arena *arena;
    char *data;     /* always NUL-terminated when len > 0 */
    size_t len, cap;
} StrBuf;

/* base/strbuf.c */
void sb_init(StrBuf *sb, Arena *a);
void sb_putc(StrBuf *sb, char c);
void sb_puts(StrBuf *sb, const char *s);
void sb_putn(StrBuf *sb, const char *s, size_t n);
/* Room for `extra` more bytes at the end, written directly, then taken into
 * the text with sb_commit (n <= extra); for bulk text such as weight blobs. */
char *sb_reserve(StrBuf *sb, size_t extra);
void sb_commit(StrBuf *sb, size_t n);
/* printf subset: %s %d %u %ld %lu %lld %llu %zu %c %x %%, PRId64/PRIu64, width and '0'
 * flag for integers; no floating point (use sb_f32/sb_f64). */
void sb_printf(StrBuf *sb, const char *fmt, ...) LW_PRINTF(2, 3);
void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap) LW_PRINTF(2, 0);
void sb_i64(StrBuf *sb, int64_t v);
void sb_u64(StrBuf *sb, uint64_t v);
/* C hex-float literal of a float/double: "0x1.8p+1f"; NaN and infinities are
 * not literals: the caller handles them. */
void sb_hexf32(StrBuf *sb, float v);
void sb_hexf64(StrBuf *sb, double v);
/* Decimal form with 9 significant digits that reads back exactly, for dumps. */
void sb_decf32(StrBuf *sb, float v);
void sb_indent(StrBuf *sb, int n);
const char *sb_cstr(StrBuf *sb);

#endif
