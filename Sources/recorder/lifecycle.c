/*
 * Start-up: options, the trace's first records, the constructor (see lifecycle.h).
 */
#include "lifecycle.h"
#include "encoder.h"
#include "exec_env.h"
#include "header.h"
#include "lock.h"
#include "modules.h"
#include "preload_check.h"
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
#include <sys/mman.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ptr_state ptr_state = {.fork_gen = 1};

/* Before the trace exists the mark reads 1 (nothing to protect yet); ptr_owner_mark_arm
 * points it at a byte of a MADV_WIPEONFORK page, which the kernel zeroes in every child that
 * gets a copy of this address space (fork, and raw clone/clone3 without CLONE_VM), whether or
 * not our fork hook ran. A vfork child shares the page (and is handled by ptr_tls_vforked). */
static const unsigned char mark_before_trace = 1;
volatile const unsigned char *ptr_owner_mark = &mark_before_trace;
static volatile unsigned char *owner_page;

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

/* Called when this process starts writing a trace (start-up, or fork child's own trace). */
void ptr_owner_mark_arm(void)
{
    if (!owner_page) {
        void *p = ptr_raw_mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return; /* the mark stays 1: raw clone children are not told apart */
        /* Without WIPEONFORK (Linux < 4.14) the page is copied like any other: the mark then
         * stays 1 in raw clone children, as before this check existed. */
        ptr_raw_madvise(p, 4096, MADV_WIPEONFORK);
        owner_page = p;
    }
    owner_page[0] = 1;
    ptr_owner_mark = owner_page;
}

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

/* One line on stderr, without stdio buffers or malloc (strerrordesc_np: no locale loading). */
void ptr_complain(const char *what, const char *path, int err)
{
    char line[PTR_PATH_MAX + 200];
    int n = snprintf(line, sizeof line, "ptreclaim: %s %s: %s; not recording this process\n",
                     what, path, strerrordesc_np(err) ? strerrordesc_np(err) : "error");
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
    o->interval_ms = env_int(PTR_ENV_INTERVAL_MS, 100, 0, PTR_INTERVAL_MS_MAX);
    _Static_assert(PTR_STACK_DEPTH_MAX == PTR_MAX_STACK_DEPTH, "the CLI's limit is the recorder's");
    o->stack_depth = env_int(PTR_ENV_STACK_DEPTH, 32, 0, PTR_MAX_STACK_DEPTH);
    o->follow_fork = env_int(PTR_ENV_FOLLOW_FORK, 1, 0, 1);
    o->follow_exec = env_int(PTR_ENV_FOLLOW_EXEC, 1, 0, 1);
    o->probe = env_int(PTR_ENV_PROBE, 1, 0, 1);
    o->residency_full = env_int(PTR_ENV_RESIDENCY_FULL, 0, 0, 1);
    o->pagemap_scan = env_int(PTR_ENV_PAGEMAP_SCAN, 1, 0, 1);
    ptr_residency_configure(o->residency_full, o->pagemap_scan);
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
void ptr_begin_trace(int origin, const char *parent)
{
    uint64_t rt = clock_ns(CLOCK_REALTIME), mono = ptr_now_ns();
    ptr_enc_reset(mono);
    ptr_modules_reset();
    ptr_snapshot_reset();
    ptr_residency_new_file();
    ptr_state.last_tid = 0;
    ptr_header_write(origin, parent, rt, mono);
    ptr_modules_write();
    ptr_snapshot_write(origin == PTR_ORIGIN_FORK ? PTR_SNAP_FORK_CHILD : PTR_SNAP_START);
}

/* 0 = not started, 1 = in progress, 2 = done (whatever the outcome). */
static int init_state;

/*
 * Open the trace and write its first records. Runs from the constructor, or earlier: from the
 * first hooked call made before it (a library initialized before ours, e.g. libstdc++ making
 * jemalloc set itself up, calls mmap/madvise first; those calls are the program's). Nothing
 * here allocates or takes a lock another library could hold.
 */
void ptr_early_init(void)
{
    int expected = 0;
    if (!__atomic_compare_exchange_n(&init_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return; /* done, or in progress (this thread's own calls are forwarded) */
    int saved_errno = errno;
    int saved_guard = ptr_guard;
    ptr_guard = PTR_GUARD_INTERNAL;
    ptr_real_resolve();
    const char *out = getenv(PTR_ENV_OUTPUT);
    if (!out || !*out)
        goto done;
    read_options();
    if (ptr_exec_env_unfollowed_child())
        goto done; /* started in a child while forks or execs are not followed */
    if (make_absolute(out) != 0) {
        ptr_complain("cannot resolve trace path", out, ENAMETOOLONG);
        goto done;
    }
    if (ptr_enc_init() != 0 || ptr_stacks_init() != 0 || ptr_residency_init() != 0) {
        ptr_complain("cannot allocate memory for trace", out, ENOMEM);
        goto done;
    }
    int origin;
    char parent[PTR_PATH_MAX];
    int r = ptr_naming_open_start(&origin, parent, sizeof parent);
    if (r == 1)
        goto done; /* an exec'd image, and following exec is off */
    if (r < 0) {
        ptr_complain("cannot create trace", ptr_state.base_path, -r);
        goto done;
    }
    ptr_state.owner_pid = ptr_raw_getpid();
    ptr_preload_check();
    ptr_owner_mark_arm();
    ptr_seccomp_check_start();
    ptr_jumps_init();
    if (ptr_state.opt.probe) {
        const char *pol = ptr_probe_kernel_policy(ptr_state.probe_detail, sizeof ptr_state.probe_detail);
        snprintf(ptr_state.kernel_policy, sizeof ptr_state.kernel_policy, "%s", pol ? pol : "unknown");
    } else {
        strcpy(ptr_state.kernel_policy, "unknown");
        strcpy(ptr_state.probe_detail, "probe disabled (" PTR_ENV_PROBE "=0)");
    }
    /* Registered as soon as the trace exists: a fork child must never write into the parent's
     * file (a shared mapping), even one forked by another library's constructor. The handler
     * never allocates, so its order relative to an allocator's handlers does not matter; glibc
     * keeps the first 48 handlers without malloc. */
    pthread_atfork(NULL, NULL, ptr_atfork_child);
    ptr_lock();
    ptr_begin_trace(origin, parent);
    ptr_state.recording = 1;
    ptr_unlock();
done:
    if (!ptr_state.recording)
        ptr_state.finished = 1;
    __atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
    ptr_guard = saved_guard;
    errno = saved_errno;
}
/* A relative PTRECLAIM_OUTPUT would name another file after the program chdir()s and execs:
 * point the environment entry at the absolute path (in place, no allocation). */
static void export_absolute_output(void)
{
    static char entry[sizeof PTR_ENV_OUTPUT + PTR_PATH_MAX];
    extern char **environ;
    size_t n = sizeof PTR_ENV_OUTPUT - 1;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, PTR_ENV_OUTPUT "=", n + 1) != 0)
            continue;
        if ((*e)[n + 1] == '/')
            return;
        snprintf(entry, sizeof entry, "%s=%s", PTR_ENV_OUTPUT, ptr_state.base_path);
        *e = entry;
        return;
    }
}

/* The rest needs a normal context (thread creation, exit handlers), so it waits for the
 * constructor even when the trace was opened earlier. */
__attribute__((constructor)) static void ptr_init(void)
{
    int saved_errno = errno;
    ptr_early_init();
    if (ptr_state.recording) {
        ptr_guard = PTR_GUARD_INTERNAL;
        export_absolute_output();
        ptr_exec_env_init(); /* after: it keeps the absolute PTRECLAIM_OUTPUT */
        ptr_exit_handlers_install();
        ptr_snapshot_thread_start();
        ptr_guard = PTR_GUARD_NONE;
    }
    errno = saved_errno;
}
