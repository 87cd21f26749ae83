/*
 * The periodic snapshot thread: created with every signal blocked (it must never run the
 * program's handlers), detached (it never keeps the process alive: exit() ends it), and it
 * stops by itself when the trace ends or the process forked (a fork child starts its own).
 */
#include "lifecycle.h"
#include "lock.h"
#include "modules.h"
#include "snapshot.h"
#include "state.h"
#include "ptreclaim_trace.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

static void *snapshot_main(void *arg)
{
    unsigned gen = (unsigned)(uintptr_t)arg;
    ptr_guard = PTR_GUARD_INTERNAL; /* nothing this thread does is the program's */
    struct timespec ts = {ptr_state.opt.interval_ms / 1000,
                          (long)(ptr_state.opt.interval_ms % 1000) * 1000000L};
    for (;;) {
        clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
        if (!ptr_state.recording || ptr_state.fork_gen != gen)
            return NULL;
        ptr_lock();
        if (ptr_state.recording && ptr_state.fork_gen == gen) {
            ptr_lost_flush();
            int changed = ptr_modules_check();
            ptr_snapshot_write(changed ? PTR_SNAP_MODULES : PTR_SNAP_PERIODIC);
        }
        ptr_unlock();
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
