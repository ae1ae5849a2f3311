/* Base definitions shared by every module: status codes, TRY, assertions,
 * and the few compiler extensions lwcc uses, behind macros. */
#ifndef LWCC_LWCC_BASE_H
#define LWCC_LWCC_BASE_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define LW_NORETURN __attribute__((noreturn))
#define LW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define LW_NODISCARD __attribute__((warn_unused_result))
#define LW_TYPEOF(x) __typeof__(x) /* the LLVM printer's pointers to llvm-c functions */
#else
#define LW_NORETURN
#define LW_PRINTF(f, a)
#define LW_NODISCARD
#endif

/* Status values are the process exit codes of the CLI. */
typedef enum LwStatus {
    LW_OK = 0,        /* success */
    LW_ERR_MODEL = 1, /* bad model, bad flag value, unsupported feature */
    LW_ERR_USAGE = 2, /* bad command line */
    LW_ERR_ICE = 4    /* internal error */
} LwStatus;

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        LwStatus lw_try_st_ = (expr);                                                              \
        if (lw_try_st_ != LW_OK)                                                                   \
            return lw_try_st_;                                                                     \
    } while (0)

/* Internal compiler error: prints "lwcc: internal error: file:line: ..." and
 * exits 4 (aborts when LWCC_ABORT_ON_ICE is set, as test builds do). */
LW_NORETURN void lw_ice(const char *file, int line, const char *fmt, ...) LW_PRINTF(3, 4);

#define LW_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            lw_ice(__FILE__, __LINE__, "assertion failed: %s", #cond);                             \
    } while (0)

#define LW_ICE(...) lw_ice(__FILE__, __LINE__, __VA_ARGS__)

#define LW_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define LW_VERSION "0.1.0"

#endif
