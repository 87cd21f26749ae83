/*
 * fork and exec (see docs/recorder.md): the fork child's own trace, the parent's FORK record,
 * EXEC / EXEC_FAILED around the exec family.
 */
#include "lifecycle.h"
#include "call_record.h"
#include "encoder.h"
#include "lock.h"
#include "raw.h"
#include "snapshot.h"
#include "state.h"
#include "trace_file.h"
#include "ptreclaim_trace.h"
#include "records.h"
#include "residency.h"
#include "stacks.h"
#include "trace_naming.h"

#include <errno.h>
#include <string.h>

/* In the child of fork(), before fork returns: the child is single-threaded; whichever
 * thread held the lock or was half-way through a record is gone, so everything is reset
 * rather than waited for. The parent's file (a shared mapping!) is let go untouched. */
void ptr_atfork_child(void)
{
    int saved_errno = errno;
    int saved_guard = ptr_guard;
    ptr_state.fork_gen++;
    ptr_lock_reset_after_fork();
    ptr_lost_reset();
    ptr_side_reset();
    if (!ptr_state.recording)
        goto out;
    ptr_guard = PTR_GUARD_INTERNAL;
    ptr_state.recording = 0;
    ptr_file_abandon();
    ptr_residency_reset();
    if (!ptr_state.opt.follow_fork || saved_guard != PTR_GUARD_NONE) {
        /* (fork from a signal handler that interrupted this thread inside the recorder: the
         * interrupted hook will resume half-way through a record; no trace for this child) */
        ptr_state.finished = 1;
        goto out;
    }
    char parent[PTR_PATH_MAX];
    memcpy(parent, ptr_state.trace_path, sizeof parent);
    ptr_state.owner_pid = ptr_raw_getpid();
    int r = ptr_naming_open_fork();
    if (r < 0) {
        ptr_complain("cannot create trace for fork child of", parent, -r);
        ptr_state.finished = 1;
        goto out;
    }
    ptr_stacks_reset();
    ptr_owner_mark_arm(); /* the page was wiped by the fork: this child owns its new trace */
    ptr_lock();
    ptr_begin_trace(PTR_ORIGIN_FORK, parent);
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

/* Enter the recorder for a lifecycle record (0: this thread may not write now); the program's
 * errno is kept for lifecycle_end. */
static int lifecycle_begin(int *saved_errno)
{
    if (!may_write())
        return 0;
    *saved_errno = errno;
    ptr_enter();
    return 1;
}

static void lifecycle_end(int saved_errno)
{
    ptr_leave();
    errno = saved_errno;
}

void ptr_record_fork(pid_t child)
{
    int saved_errno;
    if (!lifecycle_begin(&saved_errno))
        return;
    if (ptr_state.recording) {
        ptr_lost_flush();
        ptr_rec_fork(ptr_now_ns(), (uint64_t)child);
    }
    lifecycle_end(saved_errno);
}

void ptr_exec_begin(const char *path)
{
    int saved_errno;
    if (!lifecycle_begin(&saved_errno))
        return;
    if (ptr_state.recording) {
        ptr_lost_flush();
        ptr_snapshot_write(PTR_SNAP_EXEC);
        ptr_rec_exec(ptr_now_ns(), path);
        ptr_file_trim(); /* if the exec succeeds, the file ends here, without a zero tail */
    }
    lifecycle_end(saved_errno);
}

void ptr_exec_failed(int err)
{
    int saved_errno;
    if (!lifecycle_begin(&saved_errno))
        return;
    if (ptr_state.recording)
        ptr_rec_exec_failed(ptr_now_ns(), err);
    lifecycle_end(saved_errno);
}
