/* Safe C spellings of model strings: identifiers keep [A-Za-z0-9_]; comments
 * and string literals escape everything outside printable ASCII and the
 * sequences that would end or change them. */
#ifndef LWCC_CODEGEN_CNAME_H
#define LWCC_CODEGEN_CNAME_H

#include "include/lwcc/strbuf.h"

/* codegen/cname.c */
/* Appends an identifier fragment from s (at most max characters; never empty). */
void cname_ident(StrBuf *sb, const char *s, size_t max);
/* Appends s for use inside a C comment (no "*" "/" pair, no trigraphs). */
void cname_comment(StrBuf *sb, const char *s, size_t max);
/* Appends s as the body of a C string literal. */
void cname_string(StrBuf *sb, const char *s, size_t max);
/* A C identifier prefix from a path's base name ("out/My-Net.c" -> "my_net"). */
const char *cname_prefix(Arena *a, const char *path);

#endif
