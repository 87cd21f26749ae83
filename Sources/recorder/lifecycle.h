/*
 * The recorder's life: start-up (constructor), fork children, exec, every way out.
 */
#ifndef PTR_LIFECYCLE_H
#define PTR_LIFECYCLE_H

#include <stdint.h>
#include <sys/types.h>

/* Open the trace now if not done yet (first hooked call before our constructor). */
void ptr_early_init(void);

/* Final snapshot + TRAILER + trim, once per trace (exit reasons: PTR_EXIT_*). */
void ptr_finish(int reason, int64_t status);

/* Parent side of a successful fork: the FORK record. */
void ptr_record_fork(pid_t child);

/* Child side, after fork() returned 0 (all atfork handlers done): start the snapshot thread. */
void ptr_fork_child_returned(void);

/* Child of _Fork (no atfork handlers ran): leave the parent's trace alone, stay inert. */
void ptr_fork_child_inert(void);

/* Before an exec: exec snapshot, EXEC record, trim. After a failed one: EXEC_FAILED. */
void ptr_exec_begin(const char *path);
void ptr_exec_failed(int err);

/* The background snapshot thread (snapshot_thread.c). */
void ptr_snapshot_thread_start(void);

/* Internal to the lifecycle files. */
void ptr_complain(const char *what, const char *path, int err);  /* one line on stderr */
void ptr_begin_trace(int origin, const char *parent);             /* HEADER, modules, snapshot */
void ptr_atfork_child(void);                                       /* fork_exec.c */
void ptr_exit_handlers_install(void);                              /* exit_paths.c */
void ptr_owner_mark_arm(void);       /* this process owns the trace (see call_record.h) */
void ptr_seccomp_check_start(void);  /* seccomp.c: no PAGEMAP_SCAN under a filter */
void ptr_jumps_init(void);           /* jumps.c: the real longjmp family */

#endif
