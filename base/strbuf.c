/* StrBuf: growable text in an arena; locale-free number formatting. */
#include "include/lwcc/strbuf.h"

#include <string.h>

void sb_init(StrBuf *sb, Arena *a)
{
    sb->arena = a;
    sb->data = NULL;
    sb->len = sb->cap = 0;
}

static void reserve(StrBuf *sb, size_t extra)
{
    if (sb->len + extra + 1 <= sb->cap)
        return;
    if (extra > SIZE_MAX / 4 - sb->len)
        LW_ICE("text buffer over SIZE_MAX/4");
    size_t ncap = sb->cap ? sb->cap : 256;
    while (ncap < sb->len + extra + 1)
        ncap *= 2;
    /* in place while the text is the arena's latest allocation (it usually
     * is: the printer's other allocations are in its scratch arena) */
    if (sb->data && arena_extend(sb->arena, sb->data, sb->cap, ncap)) {
        sb->cap = ncap;
        return;
    }
    char *p = arena_must(arena_alloc_uninit(sb->arena, ncap));
    if (sb->len)
        memcpy(p, sb->data, sb->len);
    sb->data = p;
    sb->cap = ncap;
}

char *sb_reserve(StrBuf *sb, size_t extra)
{
    reserve(sb, extra);
    return sb->data + sb->len;
}

void sb_commit(StrBuf *sb, size_t n)
{
    if (n > sb->cap - sb->len - 1)
        LW_ICE("sb_commit past the reserved text");
    sb->len += n;
    sb->data[sb->len] = 0;
}

void sb_putn(StrBuf *sb, const char *s, size_t n)
{
    reserve(sb, n);
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = 0;
}

void sb_putc(StrBuf *sb, char c)
{
    reserve(sb, 1);
    sb->data[sb->len++] = c;
    sb->data[sb->len] = 0;
}

void sb_puts(StrBuf *sb, const char *s)
{
    sb_putn(sb, s, strlen(s));
}

void sb_u64(StrBuf *sb, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    reserve(sb, (size_t)n);
    while (n)
        sb->data[sb->len++] = tmp[--n];
    sb->data[sb->len] = 0;
}

void sb_i64(StrBuf *sb, int64_t v)
{
    if (v < 0) {
        sb_putc(sb, '-');
        sb_u64(sb, (uint64_t)0 - (uint64_t)v);
    } else {
        sb_u64(sb, (uint64_t)v);
    }
}

static void put_padded(StrBuf *sb, const char *digits, size_t n, int width, int zero)
{
    int neg = n > 0 && digits[0] == '-';
    if (zero && neg) {
        sb_putc(sb, '-');
        digits++;
        n--;
        width--;
    }
    for (int i = (int)n; i < width; i++)
        sb_putc(sb, zero ? '0' : ' ');
    sb_putn(sb, digits, n);
}

void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap)
{
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            sb_putc(sb, *p);
            continue;
        }
        p++;
        int zero = 0, width = 0;
        if (*p == '0') {
            zero = 1;
            p++;
        }
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (*p++ - '0');
        int lng = 0, sz = 0;
        while (*p == 'l') {
            lng++;
            p++;
        }
        if (*p == 'z') {
            sz = 1;
            p++;
        }
        char tmp[32];
        StrBuf t;
        Arena *ar = sb->arena;
        (void)ar;
        switch (*p) {
        case '%':
            sb_putc(sb, '%');
            break;
        case 'c':
            sb_putc(sb, (char)va_arg(ap, int));
            break;
        case 's':
            sb_puts(sb, va_arg(ap, const char *));
            break;
        case 'd':
        case 'i': {
            int64_t v = lng >= 2 ? (int64_t)va_arg(ap, long long)
                        : lng ? (int64_t)va_arg(ap, long)
                              : (int64_t)va_arg(ap, int);
            t.arena = sb->arena;
            t.data = tmp;
            t.len = 0;
            t.cap = sizeof tmp;
            sb_i64(&t, v);
            put_padded(sb, tmp, t.len, width, zero);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = sz ? (uint64_t)va_arg(ap, size_t)
                         : lng >= 2 ? (uint64_t)va_arg(ap, unsigned long long)
                         : lng ? (uint64_t)va_arg(ap, unsigned long)
                               : (uint64_t)va_arg(ap, unsigned);
            size_t n = 0;
            if (*p == 'x') {
                char rev[20];
                do {
                    rev[n++] = "0123456789abcdef"[v & 15];
                    v >>= 4;
                } while (v);
                for (size_t i = 0; i < n; i++)
                    tmp[i] = rev[n - 1 - i];
            } else {
                t.arena = sb->arena;
                t.data = tmp;
                t.len = 0;
                t.cap = sizeof tmp;
                sb_u64(&t, v);
                n = t.len;
            }
            put_padded(sb, tmp, n, width, zero);
            break;
        }
        default:
            LW_ICE("sb_printf: unsupported conversion '%c'", *p);
        }
    }
}

void sb_printf(StrBuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

static void hexfloat(StrBuf *sb, uint64_t mant, int exp, int neg, int mbits, const char *suffix)
{
    /* mant: significand without the hidden bit, mbits bits; exp unbiased.
     * Subnormals are passed normalized by the callers. */
    if (neg)
        sb_putc(sb, '-');
    sb_puts(sb, "0x1");
    int nhex = (mbits + 3) / 4;
    mant <<= (nhex * 4 - mbits);
    while (nhex > 0 && (mant & 15) == 0) {
        mant >>= 4;
        nhex--;
    }
    if (nhex > 0) {
        sb_putc(sb, '.');
        for (int i = nhex - 1; i >= 0; i--)
            sb_putc(sb, "0123456789abcdef"[(mant >> (i * 4)) & 15]);
    }
    sb_putc(sb, 'p');
    sb_putc(sb, exp < 0 ? '-' : '+');
    sb_u64(sb, (uint64_t)(exp < 0 ? -exp : exp));
    sb_puts(sb, suffix);
}

void sb_hexf32(StrBuf *sb, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    int neg = (int)(u >> 31);
    int e = (int)((u >> 23) & 0xff);
    uint64_t m = u & 0x7fffff;
    if (e == 0 && m == 0) {
        sb_puts(sb, neg ? "-0.0f" : "0.0f");
        return;
    }
    if (e == 0) { /* subnormal: normalize */
        e = 1;
        while (!(m & 0x800000)) {
            m <<= 1;
            e--;
        }
        m &= 0x7fffff;
    }
    hexfloat(sb, m, e - 127, neg, 23, "f");
}

void sb_hexf64(StrBuf *sb, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    int neg = (int)(u >> 63);
    int e = (int)((u >> 52) & 0x7ff);
    uint64_t m = u & 0xfffffffffffffULL;
    if (e == 0 && m == 0) {
        sb_puts(sb, neg ? "-0.0" : "0.0");
        return;
    }
    if (e == 0) {
        e = 1;
        while (!(m & (1ULL << 52))) {
            m <<= 1;
            e--;
        }
        m &= 0xfffffffffffffULL;
    }
    hexfloat(sb, m, e - 1023, neg, 52, "");
}

/* Exact decimal would need a full Ryu; dumps only need a stable readable form:
 * 9 significant digits computed with integer arithmetic on the binary value. */
void sb_decf32(StrBuf *sb, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    if ((u & 0x7f800000) == 0x7f800000) {
        sb_puts(sb, (u & 0x7fffff) ? "nan" : (u >> 31) ? "-inf" : "inf");
        return;
    }
    double d = v;
    if (d < 0) {
        sb_putc(sb, '-');
        d = -d;
    }
    if (d == 0) {
        sb_putc(sb, '0');
        return;
    }
    int e10 = 0;
    while (d >= 10.0) {
        d /= 10.0;
        e10++;
    }
    while (d < 1.0) {
        d *= 10.0;
        e10--;
    }
    uint64_t digits = (uint64_t)(d * 1e8 + 0.5);
    if (digits >= 1000000000ULL) {
        digits /= 10;
        e10++;
    }
    char buf[16];
    for (int i = 8; i >= 0; i--) {
        buf[i] = (char)('0' + (int)(digits % 10));
        digits /= 10;
    }
    int n = 9;
    while (n > 1 && buf[n - 1] == '0')
        n--;
    if (e10 >= 0 && e10 < 7) {
        for (int i = 0; i < n || i <= e10; i++) {
            if (i == e10 + 1)
                sb_putc(sb, '.');
            sb_putc(sb, i < n ? buf[i] : '0');
        }
    } else {
        sb_putc(sb, buf[0]);
        if (n > 1) {
            sb_putc(sb, '.');
            sb_putn(sb, buf + 1, (size_t)n - 1);
        }
        sb_putc(sb, 'e');
        sb_i64(sb, e10);
    }
}

void sb_indent(StrBuf *sb, int n)
{
    for (int i = 0; i < n; i++)
        sb_puts(sb, "    ");
}

const char *sb_cstr(StrBuf *sb)
{
    if (!sb->data)
        sb_putn(sb, "", 0);
    return sb->data;
}
