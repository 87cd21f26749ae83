/*
 * The recorder's process-wide state: options, whether a trace is open, which process owns it.
 * One instance (ptr_state), written at start-up, after fork and at exit; read on every hook.
 */
#ifndef PTR_STATE_H
#define PTR_STATE_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#define PTR_MAX_STACK_DEPTH 128 /* frames kept; the hook's buffer is on the caller's stack */
#define PTR_STACK_SLACK 8       /* extra frames captured: the recorder's own, dropped */
#define PTR_PATH_MAX 4096

struct ptr_options {
    int interval_ms; /* PTRECLAIM_INTERVAL_MS, default 100, 0 = no periodic snapshots */
    int stack_depth; /* PTRECLAIM_STACK_DEPTH, default 32, 0 = no stacks */
    int follow_fork; /* PTRECLAIM_FOLLOW_FORK, default 1 */
    int follow_exec; /* PTRECLAIM_FOLLOW_EXEC, default 1 */
    int probe;       /* PTRECLAIM_PROBE, default 1 */
    int residency_full; /* PTRECLAIM_RESIDENCY_FULL, default 0: release calls list witnesses */
    int pagemap_scan;   /* PTRECLAIM_PAGEMAP_SCAN, default 1; 0 = the pre-6.7 path (pread) */
};

struct ptr_state {
    /* 1 while a trace is open and hooks record; 0 = hooks only forward. */
    volatile int recording;
    /* 1 once the trailer was written, the trace was abandoned or could not be opened, or the
     * recorder is off (no PTRECLAIM_OUTPUT): never record (again). */
    volatile int finished;
    /* The process that owns the open trace. A vfork child (same memory, other pid) must not
     * write into it. */
    pid_t owner_pid;
    /* Bumped in every fork child so threads' cached tids are refreshed. */
    volatile unsigned fork_gen;
    /* THREAD register: tid of the previous call record in the file (0 = none yet). */
    uint32_t last_tid;
    /* The child of a fork must start its snapshot thread once fork() has returned. */
    volatile int thread_wanted;
    /* Status passed to exit() or returned by main, for the TRAILER (glibc runs the library
     * destructor before handlers registered from a preloaded constructor). */
    volatile int exit_status_known;
    volatile int exit_status;
    struct ptr_options opt;
    char base_path[PTR_PATH_MAX - 64]; /* PTRECLAIM_OUTPUT, made absolute (room for suffixes) */
    char trace_path[PTR_PATH_MAX]; /* the file this process writes */
    char kernel_policy[16];
    char probe_detail[256];
};

extern struct ptr_state ptr_state;

/* Thread id of the caller, cached in TLS and refreshed after fork. */
uint32_t ptr_current_tid(void);

/* Set by the vfork trampoline in the thread that called vfork: from then on this thread
 * checks getpid() on every hook, because a vfork child runs on the parent's TLS. */
extern __thread int ptr_tls_vforked;

#endif
