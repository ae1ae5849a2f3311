/* Shared by the unit tests: a Ctx with fresh arenas and default limits whose
 * diagnostics go to a temporary file the test can read back. */
#ifndef LWCC_TESTS_UNIT_TEST_UTIL_H
#define LWCC_TESTS_UNIT_TEST_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "include/lwcc/arena.h"
#include "include/lwcc/ctx.h"
#include "include/lwcc/diag.h"
#include "include/lwcc/strbuf.h"

/* 0 on success; the caller frees its fixture on failure. */
static inline int test_ctx_open(Ctx *ctx, Diag *diag, FILE **out)
{
    *out = tmpfile();
    if (!*out)
        return -1;
    diag_init(diag, "model.onnx", *out);
    ctx->perm = arena_create(0);
    ctx->scratch = arena_create(0);
    ctx->diag = diag;
    ctx->lim = lw_default_limits();
    return ctx->perm && ctx->scratch ? 0 : -1;
}

static inline void test_ctx_close(Ctx *ctx, FILE *out)
{
    if (out)
        fclose(out);
    arena_destroy(ctx->perm);
    arena_destroy(ctx->scratch);
}

/* Removes a test's scratch folder and all in it; says so on stderr when it can't. */
static inline void test_rmtree(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* dir/sub/file in arena a, with the folder dir/sub made. */
static inline const char *test_tmp_path(Arena *a, const char *dir, const char *sub,
                                        const char *file)
{
    StrBuf sb;
    sb_init(&sb, a);
    sb_printf(&sb, "%s/%s", dir, sub);
    mkdir(sb_cstr(&sb), 0700);
    sb_printf(&sb, "/%s", file);
    return sb_cstr(&sb);
}

/* Everything diagnosed so far, NUL-terminated in buf. */
static inline const char *test_diag_text(FILE *out, char *buf, size_t size)
{
    fflush(out);
    rewind(out);
    size_t n = fread(buf, 1, size - 1, out);
    buf[n] = 0;
    fseek(out, 0, SEEK_END);
    return buf;
}

#if defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 200112L /* popen, fork */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs fn(arg) in a child with stderr silenced: 1 when it stopped with an internal error
 * (abort with LWCC_ABORT_ON_ICE, exit LW_ERR_ICE without), 0 when it returned, -1 when
 * there was no child. For verifiers, whose violations end the process. */
static inline int test_ices(void (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2);
        fn(arg);
        _exit(0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return (WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) ||
           (WIFEXITED(st) && WEXITSTATUS(st) == LW_ERR_ICE);
}

/* Runs `LWCC ARGS` (ARGS from fmt, shell syntax, redirections allowed) in dir; out gets
 * what the command printed, NUL-terminated; returns its exit status, -1 when it did not
 * run or was killed by a signal. Leak reports are off: in sanitizer builds they would
 * turn every exit status into 1 (test_cli_exits_without_leaks checks leaks itself). */
static inline int test_vrun_lwcc(const char *lwcc, const char *dir, char *out, size_t size,
                                 const char *fmt, va_list ap)
{
    char args[2048], cmd[4096];
    vsnprintf(args, sizeof args, fmt, ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && ASAN_OPTIONS=detect_leaks=0 '%s' %s", dir, lwcc, args);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, size - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
#endif

#endif
