/*
 * Process-level hooks: fork/_Fork (FORK record, child traces), the exec family (EXEC before,
 * EXEC_FAILED if it returns), _exit/_Exit/abort (final snapshot + TRAILER on the way out).
 * exit() and return from main are handled by the on_exit handler (exit_paths.c).
 */
#include "call_record.h"
#include "exec_env.h"
#include "lifecycle.h"
#include "real_functions.h"
#include "ptreclaim_trace.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

extern char **environ;


PTR_EXPORT pid_t fork(void)
{
    pid_t r = REAL(fork)(); /* atfork_child (lifecycle.c) has set up the child's trace */
    int e = errno;
    if (r > 0)
        ptr_record_fork(r);
    else if (r == 0)
        ptr_fork_child_returned();
    errno = e;
    return r;
}

PTR_EXPORT pid_t _Fork(void)
{
    pid_t r = REAL(_Fork)();
    int e = errno;
    if (r > 0)
        ptr_record_fork(r);
    else if (r == 0)
        ptr_fork_child_inert(); /* no atfork handlers ran: not safe to start a trace here */
    errno = e;
    return r;
}

/* Each exec hands on the environment built by exec_env.c (the recorder kept first in
 * LD_PRELOAD, PTRECLAIM_* kept), so execv/execvp call the envp variants with it. */
PTR_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    ptr_exec_begin(path);
    PTR_EXEC_ENVIRONMENT(envp, env);
    int r = REAL(execve)(path, argv, env);
    ptr_exec_failed(errno);
    return r;
}

PTR_EXPORT int execv(const char *path, char *const argv[])
{
    ptr_exec_begin(path);
    PTR_EXEC_ENVIRONMENT(environ, env);
    int r = env == environ ? REAL(execv)(path, argv) : REAL(execve)(path, argv, env);
    ptr_exec_failed(errno);
    return r;
}

PTR_EXPORT int execvp(const char *file, char *const argv[])
{
    ptr_exec_begin(file);
    PTR_EXEC_ENVIRONMENT(environ, env);
    int r = env == environ ? REAL(execvp)(file, argv) : REAL(execvpe)(file, argv, env);
    ptr_exec_failed(errno);
    return r;
}

PTR_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    ptr_exec_begin(file);
    PTR_EXEC_ENVIRONMENT(envp, env);
    int r = REAL(execvpe)(file, argv, env);
    ptr_exec_failed(errno);
    return r;
}

PTR_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ptr_exec_begin(path);
    PTR_EXEC_ENVIRONMENT(envp, env);
    int r = REAL(fexecve)(fd, argv, env);
    ptr_exec_failed(errno);
    return r;
}

/* execl, execlp, execle: collect the variadic arguments into an array on the stack. */
#define COLLECT_ARGS(arg0, last, argv)                                                     \
    size_t argc_ = 1;                                                                      \
    va_list ap_;                                                                           \
    va_start(ap_, arg0);                                                                   \
    while (va_arg(ap_, const char *))                                                      \
        argc_++;                                                                           \
    va_end(ap_);                                                                           \
    const char *argv[argc_ + 1];                                                           \
    argv[0] = arg0;                                                                        \
    va_start(ap_, arg0);                                                                   \
    for (size_t i_ = 1; i_ <= argc_; i_++)                                                 \
        argv[i_] = va_arg(ap_, const char *);                                              \
    last;                                                                                  \
    va_end(ap_)

PTR_EXPORT int execl(const char *path, const char *arg, ...)
{
    COLLECT_ARGS(arg, (void)0, argv);
    return execv(path, (char *const *)argv);
}

PTR_EXPORT int execlp(const char *file, const char *arg, ...)
{
    COLLECT_ARGS(arg, (void)0, argv);
    return execvp(file, (char *const *)argv);
}

PTR_EXPORT int execle(const char *path, const char *arg, ...)
{
    char *const *envp;
    COLLECT_ARGS(arg, envp = va_arg(ap_, char *const *), argv);
    return execve(path, (char *const *)argv, envp);
}

/* exit(): remember the status; the trace ends in the library destructor, after the
 * program's own atexit handlers (whose munmaps are still recorded). */
PTR_EXPORT void exit(int status)
{
    ptr_state.exit_status = status;
    ptr_state.exit_status_known = 1;
    REAL(exit)(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

/* Return from main: glibc calls exit internally (not through our hook), so main is wrapped
 * to see its return value. */
static int (*real_main)(int, char **, char **);

static int main_wrapper(int argc, char **argv, char **envp)
{
    int r = real_main(argc, argv, envp);
    ptr_state.exit_status = r;
    ptr_state.exit_status_known = 1;
    return r;
}

PTR_EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
                                 void (*init)(void), void (*fini)(void), void (*rtld_fini)(void),
                                 void *stack_end)
{
    real_main = main;
    /* One function serves both symbol versions (2.2.5 and 2.34): it calls `init` itself when
     * an old binary passes one. */
    return REAL(__libc_start_main)(main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}

PTR_EXPORT void _exit(int status)
{
    ptr_finish(PTR_EXIT_UNDERSCORE, status);
    REAL(_exit)(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

PTR_EXPORT void _Exit(int status)
{
    ptr_finish(PTR_EXIT_UNDERSCORE, status);
    REAL(_Exit)(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

PTR_EXPORT void abort(void)
{
    ptr_finish(PTR_EXIT_ABORT, 128 + SIGABRT);
    REAL(abort)();
    for (;;)
        syscall(SYS_exit_group, 128 + SIGABRT);
}
