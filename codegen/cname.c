/* Sanitizing model strings before they reach C. */
#include "codegen/cname.h"

#include <string.h>

void cname_ident(StrBuf *sb, const char *s, size_t max)
{
    size_t n = 0;
    int last_us = 0;
    for (; *s && n < max; s++) {
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (ok) {
            sb_putc(sb, c);
            last_us = 0;
            n++;
        } else if (!last_us && n > 0) {
            sb_putc(sb, '_');
            last_us = 1;
            n++;
        }
    }
    if (n == 0)
        sb_putc(sb, 'x');
}

static void escaped(StrBuf *sb, const char *s, size_t max, int in_string)
{
    size_t n = 0;
    char prev = 0;
    for (; *s; s++, n++) {
        if (n == max) {
            sb_puts(sb, "...");
            return;
        }
        unsigned char c = (unsigned char)*s;
        int printable = c >= 0x20 && c < 0x7f;
        if (!printable || c == '\\' || (c == '?' && prev == '?') || (c == '/' && prev == '*') ||
            (c == '*' && prev == '/') || (in_string && c == '"')) {
            sb_printf(sb, "\\x%02x", c);
            prev = 0;
            continue;
        }
        sb_putc(sb, (char)c);
        prev = (char)c;
    }
}

void cname_comment(StrBuf *sb, const char *s, size_t max)
{
    escaped(sb, s, max, 0);
}

void cname_string(StrBuf *sb, const char *s, size_t max)
{
    /* In a literal, a hex escape followed by a hex digit would continue the
     * escape: use three-digit octal escapes instead. */
    size_t n = 0;
    char prev = 0;
    for (; *s && n < max; s++, n++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f || c == '\\' || c == '"' || (c == '?' && prev == '?')) {
            sb_putc(sb, '\\');
            sb_putc(sb, (char)('0' + ((c >> 6) & 7)));
            sb_putc(sb, (char)('0' + ((c >> 3) & 7)));
            sb_putc(sb, (char)('0' + (c & 7)));
            prev = 0;
            continue;
        }
        sb_putc(sb, (char)c);
        prev = (char)c;
    }
}

const char *cname_prefix(Arena *a, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *tmp = arena_strndup(a, base, len);
    StrBuf sb;
    sb_init(&sb, a);
    if (!(tmp[0] >= 'a' && tmp[0] <= 'z') && !(tmp[0] >= 'A' && tmp[0] <= 'Z'))
        sb_puts(&sb, "m_");
    cname_ident(&sb, tmp, 64);
    char *r = sb.data;
    for (char *p = r; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return r;
}
