/*
 * Start-up, fork children, exec and exit (see lifecycle.h).
 */
#include "lifecycle.h"
#include "encoder.h"
#include "header.h"
#include "lock.h"
#include "modules.h"
#include "probe.h"
#include "real_functions.h"
#include "raw.h"
#include "residency.h"
#include "snapshot.h"
#include "stacks.h"
#include "state.h"
#include "trace_file.h"
#include "trace_naming.h"
#include "ptreclaim_trace.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ptr_state ptr_state = {.fork_gen = 1};

static __thread uint32_t tls_tid __attribute__((tls_model("initial-exec")));
static __thread unsigned tls_gen __attribute__((tls_model("initial-exec")));

uint32_t ptr_current_tid(void)
{
    if (__builtin_expect(tls_gen != ptr_state.fork_gen, 0)) {
        tls_tid = (uint32_t)ptr_raw_gettid();
        tls_gen = ptr_state.fork_gen;
    }
    return tls_tid;
}

/* One line on stderr, without stdio buffers or malloc. */
static void complain(const char *what, const char *path, int err)
{
    char line[PTR_PATH_MAX + 200];
    int n = snprintf(line, sizeof line, "ptreclaim: %s %s: %s; not recording this process\n",
                     what, path, strerror(err));
    if (n > 0)
        (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static int env_int(const char *name, int dflt, int lo, int hi)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return dflt;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi)
        return dflt;
    return (int)v;
}

static void read_options(void)
{
    struct ptr_options *o = &ptr_state.opt;
    o->interval_ms = env_int(PTR_ENV_INTERVAL_MS, 100, 0, 86400000);
    o->stack_depth = env_int(PTR_ENV_STACK_DEPTH, 32, 0, PTR_MAX_STACK_DEPTH);
    o->follow_fork = env_int(PTR_ENV_FOLLOW_FORK, 1, 0, 1);
    o->follow_exec = env_int(PTR_ENV_FOLLOW_EXEC, 1, 0, 1);
    o->probe = env_int(PTR_ENV_PROBE, 1, 0, 1);
}

static int make_absolute(const char *path)
{
    if (path[0] == '/') {
        if (strlen(path) >= sizeof ptr_state.base_path)
            return -1;
        strcpy(ptr_state.base_path, path);
        return 0;
    }
    char cwd[PTR_PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return -1;
    int n = snprintf(ptr_state.base_path, sizeof ptr_state.base_path, "%s/%s", cwd, path);
    return n > 0 && (size_t)n < sizeof ptr_state.base_path ? 0 : -1;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The first records of a new file: HEADER, module map, full snapshot. Lock held. */
static void begin_trace(int origin, const char *parent)
{
    uint64_t rt = clock_ns(CLOCK_REALTIME), mono = ptr_now_ns();
    ptr_enc_reset(mono);
    ptr_modules_reset();
    ptr_snapshot_reset();
    ptr_state.last_tid = 0;
    ptr_header_write(origin, parent, rt, mono);
    ptr_modules_write();
    ptr_snapshot_write(origin == PTR_ORIGIN_FORK ? PTR_SNAP_FORK_CHILD : PTR_SNAP_START);
}

static void on_exit_handler(int status, void *arg) { ptr_finish(PTR_EXIT_ATEXIT, status); }

static void atfork_child(void);

__attribute__((constructor)) static void ptr_init(void)
{
    int saved_errno = errno;
    ptr_guard = PTR_GUARD_INTERNAL;
    ptr_real_resolve();
    const char *out = getenv(PTR_ENV_OUTPUT);
    if (!out || !*out)
        goto done;
    read_options();
    if (make_absolute(out) != 0) {
        complain("cannot resolve trace path", out, ENAMETOOLONG);
        goto done;
    }
    if (ptr_enc_init() != 0 || ptr_stacks_init() != 0) {
        complain("cannot allocate memory for trace", out, ENOMEM);
        goto done;
    }
    /* Registered before anything can make an allocator register its own handlers, so ours
     * (the child's) runs first and the parent's-lock question never arises (see docs). */
    pthread_atfork(NULL, NULL, atfork_child);

    int origin;
    char parent[PTR_PATH_MAX];
    int r = ptr_naming_open_start(&origin, parent, sizeof parent);
    if (r == 1)
        goto done; /* an exec'd image, and following exec is off */
    if (r < 0) {
        complain("cannot create trace", ptr_state.base_path, -r);
        ptr_state.finished = 1;
        goto done;
    }
    ptr_state.owner_pid = ptr_raw_getpid();
    if (ptr_state.opt.probe) {
        const char *pol = ptr_probe_kernel_policy(ptr_state.probe_detail, sizeof ptr_state.probe_detail);
        snprintf(ptr_state.kernel_policy, sizeof ptr_state.kernel_policy, "%s", pol ? pol : "unknown");
    } else {
        strcpy(ptr_state.kernel_policy, "unknown");
        strcpy(ptr_state.probe_detail, "probe disabled (" PTR_ENV_PROBE "=0)");
    }
    ptr_lock();
    begin_trace(origin, parent);
    ptr_state.recording = 1;
    ptr_unlock();
    on_exit(on_exit_handler, NULL);
    ptr_snapshot_thread_start();
done:
    ptr_guard = PTR_GUARD_NONE;
    errno = saved_errno;
}

/* exit() (or return from main, seen through the __libc_start_main hook) has set the status:
 * this destructor is then the end of exit(); otherwise the library is torn down otherwise. */
__attribute__((destructor)) static void ptr_fini(void)
{
    if (ptr_state.exit_status_known)
        ptr_finish(PTR_EXIT_ATEXIT, ptr_state.exit_status);
    else
        ptr_finish(PTR_EXIT_DESTRUCTOR, -1);
}

void ptr_finish(int reason, int64_t status)
{
    if (!ptr_state.recording || ptr_raw_getpid() != ptr_state.owner_pid)
        return;
    if (ptr_guard != PTR_GUARD_NONE)
        return; /* this thread is inside the recorder (a signal handler): cannot end cleanly */
    int saved_errno = errno;
    ptr_guard = PTR_GUARD_INTERNAL;
    ptr_lock();
    if (ptr_state.recording) {
        ptr_lost_flush();
        ptr_snapshot_write(PTR_SNAP_EXIT);
        uint64_t written = ptr_enc_written(), dropped = ptr_enc_dropped();
        ptr_rec_begin(PTR_REC_TRAILER);
        ptr_put_time(ptr_now_ns());
        ptr_put_uv(written);
        ptr_put_uv(dropped);
        ptr_put_uv((uint64_t)reason);
        ptr_put_sv(status);
        ptr_rec_commit();
        ptr_file_close();
        ptr_state.recording = 0;
        ptr_state.finished = 1;
    }
    ptr_unlock();
    ptr_guard = PTR_GUARD_NONE;
    errno = saved_errno;
}

/* In the child of fork(), before fork returns: the child is single-threaded; whichever
 * thread held the lock or was half-way through a record is gone, so everything is reset
 * rather than waited for. The parent's file (a shared mapping!) is let go untouched. */
static void atfork_child(void)
{
    int saved_errno = errno;
    int saved_guard = ptr_guard;
    ptr_state.fork_gen++;
    ptr_lock_reset_after_fork();
    if (!ptr_state.recording)
        goto out;
    ptr_guard = PTR_GUARD_INTERNAL;
    ptr_state.recording = 0;
    ptr_file_abandon();
    ptr_residency_reset();
    if (!ptr_state.opt.follow_fork) {
        ptr_state.finished = 1;
        goto out;
    }
    char parent[PTR_PATH_MAX];
    memcpy(parent, ptr_state.trace_path, sizeof parent);
    ptr_state.owner_pid = ptr_raw_getpid();
    int r = ptr_naming_open_fork();
    if (r < 0) {
        complain("cannot create trace for fork child of", parent, -r);
        ptr_state.finished = 1;
        goto out;
    }
    ptr_stacks_reset();
    ptr_lock();
    begin_trace(PTR_ORIGIN_FORK, parent);
    ptr_state.recording = 1;
    ptr_unlock();
    ptr_state.thread_wanted = 1;
out:
    ptr_guard = saved_guard;
    errno = saved_errno;
}

void ptr_fork_child_returned(void)
{
    if (ptr_state.thread_wanted) {
        ptr_state.thread_wanted = 0;
        ptr_snapshot_thread_start();
    }
}

void ptr_fork_child_inert(void)
{
    ptr_state.fork_gen++;
    ptr_lock_reset_after_fork();
    if (ptr_state.recording) {
        ptr_state.recording = 0;
        ptr_state.finished = 1;
        ptr_file_abandon();
    }
}

/* May this thread write a lifecycle record now? (a recording trace owned by this process,
 * and this thread not already inside the recorder) */
static int may_write(void)
{
    return ptr_state.recording && ptr_guard == PTR_GUARD_NONE &&
           ptr_raw_getpid() == ptr_state.owner_pid;
}

void ptr_record_fork(pid_t child)
{
    if (!may_write())
        return;
    int saved_errno = errno;
    ptr_enter();
    if (ptr_state.recording) {
        ptr_lost_flush();
        ptr_rec_begin(PTR_REC_FORK);
        ptr_put_time(ptr_now_ns());
        ptr_put_uv((uint64_t)child);
        ptr_rec_commit();
    }
    ptr_leave();
    errno = saved_errno;
}

void ptr_exec_begin(const char *path)
{
    if (!may_write())
        return;
    int saved_errno = errno;
    ptr_enter();
    if (ptr_state.recording) {
        ptr_lost_flush();
        ptr_snapshot_write(PTR_SNAP_EXEC);
        ptr_rec_begin(PTR_REC_EXEC);
        ptr_put_time(ptr_now_ns());
        ptr_put_str(path ? path : "", path ? strlen(path) : 0);
        ptr_rec_commit();
        ptr_file_trim(); /* if the exec succeeds, the file ends here, without a zero tail */
    }
    ptr_leave();
    errno = saved_errno;
}

void ptr_exec_failed(int err)
{
    if (!may_write())
        return;
    int saved_errno = errno;
    ptr_enter();
    if (ptr_state.recording) {
        ptr_rec_begin(PTR_REC_EXEC_FAILED);
        ptr_put_time(ptr_now_ns());
        ptr_put_uv((uint64_t)err);
        ptr_rec_commit();
    }
    ptr_leave();
    errno = saved_errno;
}
