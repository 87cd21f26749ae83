/*
 * Every way out (see lifecycle.h and docs/recorder.md): the final snapshot and the TRAILER,
 * written once, from the library destructor (after exit() and the program's atexit handlers),
 * an on_exit handler, the _exit/_Exit/abort hooks, or a SIGABRT handler.
 */
#include "lifecycle.h"
#include "encoder.h"
#include "lock.h"
#include "raw.h"
#include "snapshot.h"
#include "state.h"
#include "trace_file.h"
#include "ptreclaim_trace.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void on_exit_handler(int status, void *arg) { ptr_finish(PTR_EXIT_ATEXIT, status); }

/* SIGABRT on its way out (abort() from inside libc: assert, heap corruption; kill -ABRT):
 * end the trace, then die of the signal as the program would have. Installed only where the
 * program left SIGABRT at its default; a handler the program installs later replaces it. */
static void on_sigabrt(int sig)
{
    int saved_errno = errno;
    ptr_finish(PTR_EXIT_ABORT, 128 + SIGABRT);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGABRT, &dfl, NULL);
    raise(SIGABRT); /* blocked until this handler returns, then the default action */
    errno = saved_errno;
}

static void catch_sigabrt(void)
{
    struct sigaction old, sa;
    if (sigaction(SIGABRT, NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
        (old.sa_flags & SA_SIGINFO))
        return;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigabrt;
    sigfillset(&sa.sa_mask);
    sigaction(SIGABRT, &sa, NULL);
}

void ptr_exit_handlers_install(void)
{
    on_exit(on_exit_handler, NULL);
    catch_sigabrt();
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
        ptr_file_final();
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
