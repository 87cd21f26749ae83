/*
 * The recorder lock: a three-state futex mutex (0 free, 1 held, 2 held with waiters), raw
 * futex system calls, so it never allocates and never takes a libc lock. See lock.h.
 */
#include "lock.h"
#include "encoder.h"
#include "state.h"
#include "ptreclaim_trace.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

__thread int ptr_guard __attribute__((tls_model("initial-exec")));

/* 0 = free, else the owner's thread id, with LOCK_WAITERS set once someone waits: a thread
 * can tell exactly whether it holds the lock itself (a signal handler on top of a hook, or a
 * hook abandoned by siglongjmp, must know). */
#define LOCK_WAITERS 0x80000000u
static uint32_t lock_word;
static uint64_t lost_count;

void ptr_lock(void)
{
    uint32_t me = ptr_current_tid();
    uint32_t c = 0;
    if (__atomic_compare_exchange_n(&lock_word, &c, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    int saved = errno;
    for (;;) {
        if (c == 0) {
            /* Taken over with the waiters bit: others may still sleep. */
            if (__atomic_compare_exchange_n(&lock_word, &c, me | LOCK_WAITERS, 0, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED))
                break;
            continue;
        }
        if (!(c & LOCK_WAITERS)) {
            if (!__atomic_compare_exchange_n(&lock_word, &c, c | LOCK_WAITERS, 0, __ATOMIC_RELAXED,
                                             __ATOMIC_RELAXED))
                continue;
            c |= LOCK_WAITERS;
        }
        syscall(SYS_futex, &lock_word, FUTEX_WAIT_PRIVATE, c, NULL, NULL, 0);
        c = __atomic_load_n(&lock_word, __ATOMIC_RELAXED);
    }
    errno = saved;
}

void ptr_unlock(void)
{
    if (__atomic_exchange_n(&lock_word, 0, __ATOMIC_RELEASE) & LOCK_WAITERS) {
        int saved = errno;
        syscall(SYS_futex, &lock_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        errno = saved;
    }
}

int ptr_lock_held_by_me(void)
{
    return (__atomic_load_n(&lock_word, __ATOMIC_RELAXED) & ~LOCK_WAITERS) == ptr_current_tid();
}

void ptr_lock_reset_after_fork(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELAXED); }

int ptr_enter(void)
{
    if (ptr_guard != PTR_GUARD_NONE) {
        if (ptr_guard == PTR_GUARD_HOOK)
            ptr_lost_add(1);
        return 0;
    }
    ptr_guard = PTR_GUARD_INTERNAL;
    ptr_lock();
    return 1;
}

void ptr_leave(void)
{
    ptr_unlock();
    ptr_guard = PTR_GUARD_NONE;
}

/* lost_count only grows (other threads and signal handlers add to it); lost_written is what
 * LOST records already carry, set by assignment after the record reached the file, so a flush
 * cut short for good (ptr_lost_repair) can be settled without counting twice. */
static uint64_t lost_written;
static uint64_t pending_total, pending_len_before;

void ptr_lost_reset(void)
{
    __atomic_store_n(&lost_count, 0, __ATOMIC_RELAXED);
    lost_written = 0;
    pending_total = 0;
}

void ptr_lost_add(uint64_t n) { __atomic_fetch_add(&lost_count, n, __ATOMIC_RELAXED); }

void ptr_lost_flush(void)
{
    uint64_t total = __atomic_load_n(&lost_count, __ATOMIC_RELAXED);
    if (total == lost_written)
        return;
    pending_len_before = ptr_enc_written();
    pending_total = total;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ptr_rec_begin(PTR_REC_LOST);
    ptr_put_uv(total - lost_written);
    if (ptr_rec_commit() == 0)
        lost_written = total;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    pending_total = 0;
}

void ptr_lost_repair(void)
{
    if (pending_total && ptr_enc_written() > pending_len_before)
        lost_written = pending_total;
    pending_total = 0;
}
