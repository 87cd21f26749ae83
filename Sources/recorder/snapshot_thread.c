/*
 * The periodic snapshot thread: created with every signal blocked (it must never run the
 * program's handlers), detached (it never keeps the process alive: exit() ends it), and it
 * stops by itself when the trace ends or the process forked (a fork child starts its own).
 */
#include "lifecycle.h"
#include "encoder.h"
#include "lock.h"
#include "modules.h"
#include "snapshot.h"
#include "state.h"
#include "ptreclaim_trace.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

/*
 * A snapshot walks every mapping with PAGEMAP_SCAN while holding the recorder lock, so its
 * cost grows with the program's populated pages (milliseconds for a GiB of 4 KiB pages). To keep
 * the recorder's share of a core near 1% whatever the program's size, the pause after a
 * snapshot is at least SNAPSHOT_COST_FACTOR times what the snapshot took; the configured
 * interval is the minimum.
 */
#define SNAPSHOT_COST_FACTOR 100

static struct timespec ns_to_timespec(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
    return ts;
}

static void *snapshot_main(void *arg)
{
    unsigned gen = (unsigned)(uintptr_t)arg;
    ptr_guard = PTR_GUARD_INTERNAL; /* nothing this thread does is the program's */
    pthread_setname_np(pthread_self(), "ptreclaim-snap"); /* so top/perf attribute its cost */
    const uint64_t interval_ns = (uint64_t)ptr_state.opt.interval_ms * 1000000ull;
    uint64_t pause_ns = interval_ns;
    for (;;) {
        struct timespec ts = ns_to_timespec(pause_ns);
        clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
        if (!ptr_state.recording || ptr_state.fork_gen != gen)
            return NULL;
        uint64_t began = ptr_now_ns();
        ptr_lock();
        if (ptr_state.recording && ptr_state.fork_gen == gen) {
            ptr_lost_flush();
            int changed = ptr_modules_check();
            ptr_snapshot_write(changed ? PTR_SNAP_MODULES : PTR_SNAP_PERIODIC);
        }
        ptr_unlock();
        uint64_t cost_ns = ptr_now_ns() - began;
        pause_ns = cost_ns * SNAPSHOT_COST_FACTOR > interval_ns ? cost_ns * SNAPSHOT_COST_FACTOR
                                                                : interval_ns;
    }
}

void ptr_snapshot_thread_start(void)
{
    if (ptr_state.opt.interval_ms <= 0 || !ptr_state.recording)
        return;
    int saved = ptr_guard;
    ptr_guard = PTR_GUARD_INTERNAL;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    pthread_create(&t, &attr, snapshot_main, (void *)(uintptr_t)ptr_state.fork_gen);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    ptr_guard = saved;
}
