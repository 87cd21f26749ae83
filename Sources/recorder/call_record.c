/*
 * The common path of the memory hooks (see call_record.h).
 */
#include "call_record.h"
#include "modules.h"
#include "records.h"
#include "residency.h"
#include "stacks.h"
#include "ptreclaim_trace.h"

#include <pthread.h>
#include <sys/mman.h>
#include <signal.h>

/* The captured stack of the call being recorded (one per thread: a thread records one call at
 * a time; a re-entering call never captures). */
/* Mapped at the thread's first recorded call (thread-local storage must stay small: see
 * side_calls.c). Not unmapped at thread exit. */
static __thread uint64_t *tls_ips __attribute__((tls_model("initial-exec")));

/*
 * Stack the recorder needs below the hook's frame, measured with Tests/programs/altstack.c
 * (it paints its alternate stack and reports the deepest byte used): unwinding ~8.4 KiB
 * (libunwind's context and cursor), a record with its residency scan ~0.9 KiB, a bare record
 * less. The limits keep a margin. With less room than a bare record needs, the call is
 * forwarded and counted LOST.
 */
#define ROOM_UNWIND (16u << 10)
#define ROOM_RESIDENCY (2560u)
#define ROOM_BARE (1536u)

__thread int ptr_hook_phase __attribute__((tls_model("initial-exec")));
__thread uintptr_t ptr_hook_frame __attribute__((tls_model("initial-exec")));

void ptr_hook_abandon(void)
{
    ptr_stacks_abandoned();
    if (ptr_lock_held_by_me()) {
        /* In this order: the file and the encoder first, then what depends on whether the
         * last record reached the file. */
        ptr_enc_repair();
        ptr_lost_repair();
        ptr_stacks_repair();
        ptr_side_repair();
        ptr_residency_new_file(); /* the block cache may be half-updated: forget it */
        ptr_state.last_tid = 0;   /* a THREAD record may be half-written: write one again */
        if (ptr_hook_phase == 1)
            ptr_lost_add(1); /* its real call ran; its record is gone */
        ptr_unlock();
    }
    ptr_hook_phase = 2;
    ptr_hook_frame = 0;
    ptr_guard = PTR_GUARD_NONE;
}

/* Is this thread's guard left over from a hook that a siglongjmp abandoned without going
 * through our longjmp hooks (e.g. a jump from inside libc)? A true re-entry (a signal handler)
 * runs on top of the hook's frame: below it on the same stack, or on the alternate stack. A
 * frame at or above the hook's on the same stack cannot be a handler on top of it. */
static int guard_is_stale(const struct ptr_call *c)
{
    uintptr_t here = (uintptr_t)c, hook = ptr_hook_frame;
    if (!hook || ptr_guard != PTR_GUARD_HOOK)
        return 0;
    int here_alt = ptr_stack_on_altstack(here), hook_alt = ptr_stack_on_altstack(hook);
    if (hook_alt && !here_alt)
        return 1; /* the hook ran in a handler on the alternate stack; we are back off it */
    return here_alt == hook_alt && here >= hook;
}

/* A signal handler's call while its thread's hook has not taken the lock: record it like
 * any call (no stack: libunwind may be what was interrupted), then give the hook its phase
 * back. The interrupted code may be inside ptr_lock: the lock word is only ever changed by
 * compare-and-swap there, so a complete lock/unlock on top of it is harmless. */
static int begin_nested(struct ptr_call *c)
{
    c->mode = PTR_RECORD;
    c->nested = 1;
    c->outer_phase = ptr_hook_phase;
    c->saved_errno = errno;
    c->no_residency = 0;
    c->nips = 0;
    ptr_lock();
    if (!ptr_state.recording) {
        ptr_unlock();
        errno = c->saved_errno;
        return PTR_FORWARD;
    }
    ptr_lost_flush();
    if (ptr_side_count)
        ptr_side_flush(0);
    c->res = NULL;
    c->res_len = 0;
    c->t = ptr_now_ns();
    errno = c->saved_errno;
    return PTR_RECORD;
}

int ptr_call_reentered(struct ptr_call *c, const void *caller)
{
    if (ptr_guard != PTR_GUARD_HOOK || ptr_stacks_is_unwinder(caller))
        return PTR_FORWARD; /* the recorder's own work (or libunwind's): not the program's */
    if (guard_is_stale(c)) {
        ptr_hook_abandon();
        return ptr_call_begin_slow(c, caller);
    }
    /* Not holding the lock (the hook has not taken it yet, phase 0, or has just let it go,
     * phase 2): record now, in the global order, rather than keep the call for later while
     * other threads write. */
    if (ptr_hook_phase != 1 && !ptr_lock_held_by_me() && ptr_stack_room() >= ROOM_RESIDENCY)
        return begin_nested(c);
    c->mode = PTR_SIDE;
    c->side_slot = ptr_side_claim();
    return PTR_SIDE;
}

int ptr_not_owner(void)
{
    /* This process's copy of the state, not the parent's: the parent's trace is untouched. */
    ptr_state.recording = 0;
    ptr_state.finished = 1;
    return PTR_FORWARD;
}

int ptr_call_begin_slow(struct ptr_call *c, const void *caller)
{
    /* libunwind frees its per-thread cache with munmap at thread exit, outside any hook:
     * the recorder's own memory, not the program's. */
    if (ptr_stacks_is_unwinder(caller))
        return PTR_FORWARD;
    size_t room = ptr_stack_room();
    if (__builtin_expect(room < ROOM_BARE, 0)) {
        ptr_lost_add(1);
        return PTR_FORWARD;
    }
    c->mode = PTR_RECORD;
    c->nested = 0;
    c->saved_errno = errno;
    c->no_residency = room < ROOM_RESIDENCY;
    ptr_hook_phase = 0;
    ptr_guard = PTR_GUARD_HOOK;
    /* After the guard: a handler running a whole hook of its own before this point sets and
     * clears the frame itself; after it, handlers only compare against it. */
    ptr_hook_frame = (uintptr_t)c;
    if (!tls_ips) {
        void *p = ptr_raw_mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED)
            tls_ips = p;
    }
    c->nips = tls_ips && ptr_state.opt.stack_depth && room >= ROOM_UNWIND
                  ? ptr_stack_capture(tls_ips, ptr_state.opt.stack_depth)
                  : 0;
    ptr_lock();
    if (!ptr_state.recording) { /* the trace ended while we waited */
        ptr_unlock();
        ptr_hook_frame = 0;
        ptr_guard = PTR_GUARD_NONE;
        errno = c->saved_errno;
        return PTR_FORWARD;
    }
    ptr_lost_flush();
    if (ptr_side_count)
        ptr_side_flush(0); /* kept before this call began: all earlier */
    if (ptr_modules_dirty && !c->no_residency) { /* dl_iterate_phdr: not on a nearly full stack */
        /* Rare (after dlopen/dlclose): signals blocked, so no siglongjmp can leave the
         * loader's lock held by an abandoned hook. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        ptr_modules_check();
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    c->res = NULL;
    c->res_len = 0;
    c->t = ptr_now_ns();
    errno = c->saved_errno;
    return PTR_RECORD;
}

void ptr_call_residency(struct ptr_call *c, uint64_t start, uint64_t len, enum ptr_res_form form)
{
    if (len == 0 || c->no_residency)
        return;
    uint64_t end = start + len;
    if (end < start)
        end = UINT64_MAX;
    c->res = ptr_residency_capture(start, end, form, &c->res_first, &c->res_len);
    c->res_anchor = start;
    errno = c->saved_errno;
}

int ptr_put_call_head(int type, int failed, int residency, uint64_t t, uint32_t stack)
{
    int thread_lost = 0;
    uint32_t tid = ptr_current_tid();
    if (tid != ptr_state.last_tid) {
        ptr_rec_begin(PTR_REC_THREAD);
        ptr_put_uv(tid);
        if (ptr_rec_commit() == 0)
            ptr_state.last_tid = tid;
        else
            thread_lost = 1;
    }
    uint8_t tag = (uint8_t)type;
    if (residency)
        tag |= PTR_TAG_RESIDENCY;
    if (failed)
        tag |= PTR_TAG_FAILED;
    ptr_rec_begin(tag);
    ptr_put_time(t);
    ptr_put_stack(stack);
    return thread_lost;
}

void ptr_call_record(struct ptr_call *c, int type, int failed)
{
    if (ptr_side_count)
        ptr_side_flush(1); /* a signal handler's calls that ran before this one's real call */
    uint32_t leaf = c->nips ? ptr_stack_intern(tls_ips, c->nips) : 0;
    if (ptr_put_call_head(type, failed, c->res != NULL, c->t, leaf))
        c->nips = -1; /* marks the record for dropping in ptr_call_end */
}

/* The fields a[] (call_record.h) to the typed writer of the record's layout (records.c). */
void ptr_put_call_fields(int type, int failed, const uint64_t *a)
{
    switch (type) {
    case PTR_REC_MMAP:
        ptr_rec_mmap_body(a[0], a[1], (int)a[2], (int)a[3], (int)a[4], (int)a[5], a[6], failed,
                          (int)a[7], a[8]);
        break;
    case PTR_REC_MUNMAP:
        ptr_rec_munmap_body(a[0], a[1], failed, (int)a[2]);
        break;
    case PTR_REC_MREMAP:
        ptr_rec_mremap_body(a[0], a[1], a[2], (int)a[3], a[4], failed, (int)a[5], a[6]);
        break;
    case PTR_REC_MADVISE:
        ptr_rec_madvise_body(a[0], a[1], (int)a[2], (int)a[3], failed, (int)a[4]);
        break;
    case PTR_REC_MPROTECT:
        ptr_rec_mprotect_body(a[0], a[1], (int)a[2], (int)a[3], failed, (int)a[4]);
        break;
    case PTR_REC_BRK:
        ptr_rec_brk_body(a[0], a[1], a[2], failed, (int)a[3]);
        break;
    case PTR_REC_SBRK:
        ptr_rec_sbrk_body((int64_t)a[0], a[1], failed, (int)a[2], a[3]);
        break;
    }
}

void ptr_call_end(struct ptr_call *c, int err)
{
    if (c->res) {
        ptr_put_sv((int64_t)(c->res_first - (c->res_anchor >> 21)));
        ptr_put_bytes(c->res, c->res_len);
    }
    if (c->nips < 0)
        ptr_rec_drop(); /* its THREAD record is missing: it would be attributed wrongly */
    else if (ptr_rec_commit() == 0 && c->res)
        ptr_residency_committed(); /* the reader now knows these blocks: so may DIFFs */
    if (ptr_side_count)
        ptr_side_flush(0); /* a signal handler's calls that ran after this one's real call */
    if (__builtin_expect(c->nested, 0)) {
        ptr_hook_phase = c->outer_phase; /* back to the interrupted hook, still guarded */
        ptr_unlock();
        errno = err;
        return;
    }
    ptr_hook_phase = 2;
    ptr_unlock();
    ptr_hook_frame = 0;
    ptr_guard = PTR_GUARD_NONE;
    if (__builtin_expect(ptr_side_count, 0))
        ptr_side_drain(); /* kept in the last instructions above */
    errno = err;
}

void ptr_call_finish(struct ptr_call *c, int type, int failed, const uint64_t *a, int err)
{
    if (c->mode == PTR_SIDE) {
        ptr_side_fill(c->side_slot, type, failed, a);
        errno = err;
        return;
    }
    ptr_call_record(c, type, failed);
    ptr_put_call_fields(type, failed, a);
    ptr_call_end(c, err);
}
