/*
 * The side buffer (see call_record.h): calls a signal handler makes while its thread is inside
 * a hook. They cannot take the recorder lock (the interrupted hook may hold it) nor use the
 * encoder (it may hold a half-built record), so their fields wait here, per thread, and the
 * interrupted hook writes them in the order the kernel ran them:
 *   - before its own record when they ran before its real call (ptr_hook_phase 0),
 *   - after it when they ran after (phase 1; set just before the real call starts, so only a
 *     signal that lands in the few instructions of libc's wrapper before the system call can
 *     be put on the wrong side).
 * Entries are claimed with a compare-and-swap on the count (a signal handler may interrupt
 * another one's claim) and filled before the handler returns, so the hook, which runs only
 * after every handler on top of it has returned, always reads filled entries.
 * They are written bare: no stack (libunwind may be what was interrupted) and no residency
 * (the residency scan's buffers may be in use), with the thread's id and their own time.
 */
#include "call_record.h"
#include "ptreclaim_trace.h"
#include "raw.h"

#include <sys/mman.h>

#define SIDE_MAX 64 /* 5.6 KiB of TLS per thread; 32 still overflowed in Tests/programs/signals.c */

struct side_call {
    uint8_t type;
    uint8_t failed;
    uint8_t after; /* ran after the interrupted hook's real call */
    volatile uint8_t filled; /* 0 while claimed (the call in flight), 1 once its fields are in */
    uint64_t t;
    uint64_t a[PTR_CALL_FIELDS];
};

/* The buffer itself is mapped (raw mmap) at the thread's first kept call: thread-local storage
 * must stay small (a library with initial-exec TLS must fit the static TLS surplus when it is
 * dlopen'ed, as `ptreclaim record`'s loadability check does). Not unmapped at thread exit. */
static __thread struct side_call *side __attribute__((tls_model("initial-exec")));
__thread volatile unsigned ptr_side_count __attribute__((tls_model("initial-exec")));
static __thread unsigned side_written __attribute__((tls_model("initial-exec")));
static __thread unsigned side_next __attribute__((tls_model("initial-exec")));

static int side_area(void)
{
    if (!side) {
        void *p = ptr_raw_mmap(NULL, SIDE_MAX * sizeof *side, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return -1;
        side = p;
    }
    return 0;
}

int ptr_side_claim(void)
{
    if (side_area() != 0)
        return -1;
    /* Claimed before the real call runs: a handler that interrupts this one after its real
     * call (and makes calls of its own) claims later slots, so slots follow the kernel's order. */
    unsigned n = ptr_side_count;
    do {
        if (n >= SIDE_MAX)
            return -1; /* more than SIDE_MAX nested calls before the hook went on */
    } while (!__atomic_compare_exchange_n(&ptr_side_count, &n, n + 1, 0, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    struct side_call *s = &side[n];
    s->filled = 0;
    s->after = ptr_hook_phase != 0;
    s->t = ptr_now_ns();
    return (int)n;
}

void ptr_side_fill(int slot, int type, int failed, const uint64_t *a)
{
    if (slot < 0 || type == 0) {
        ptr_lost_add(1); /* full, or a call the side buffer cannot hold (type 0) */
        if (slot < 0)
            return;
    }
    struct side_call *s = &side[slot];
    s->type = (uint8_t)type;
    s->failed = (uint8_t)failed;
    for (int i = 0; a && i < PTR_CALL_FIELDS; i++)
        s->a[i] = a[i];
    __atomic_signal_fence(__ATOMIC_RELEASE);
    s->filled = 1;
}

void ptr_side_flush(int before_only)
{
    for (;;) {
        unsigned n = ptr_side_count;
        __atomic_signal_fence(__ATOMIC_ACQUIRE);
        if (side_written >= n) {
            /* All written: empty the buffer unless a handler claimed an entry meanwhile. */
            if (__atomic_compare_exchange_n(&ptr_side_count, &n, 0, 0, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED)) {
                side_written = 0;
                side_next = 0;
                return;
            }
            continue;
        }
        const struct side_call *s = &side[side_written];
        if (before_only && s->after)
            return; /* this one and the rest ran after the current hook's real call */
        if (!s->filled || s->type == 0) {
            if (!s->filled) /* its handler left by siglongjmp before the call returned */
                ptr_lost_add(1);
            side_written++;
            continue;
        }
        int thread_lost = ptr_put_call_head(s->type, s->failed, 0, s->t, 0);
        ptr_put_call_fields(s->type, s->failed, s->a);
        /* side_written must follow the record even if this thread is taken away here
         * (ptr_side_repair): the index to set is noted first. */
        side_next = side_written + 1;
        if (thread_lost)
            ptr_rec_drop();
        else
            ptr_rec_commit();
        side_written = side_next;
    }
}

void ptr_side_drain(void)
{
    while (ptr_side_count) {
        int saved = errno;
        /* While waiting for the lock (another thread may hold it for a whole snapshot), a
         * handler's call is recorded directly (phase 0, lock not ours): it first writes what
         * is kept here, so the order holds. Once the lock is ours, they are kept again. */
        ptr_hook_phase = 0;
        ptr_guard = PTR_GUARD_HOOK;
        ptr_hook_frame = (uintptr_t)&saved; /* this frame is the hook now */
        ptr_lock();
        ptr_hook_phase = 1;
        if (ptr_state.recording)
            ptr_side_flush(0);
        else
            ptr_side_reset();
        ptr_hook_phase = 2;
        ptr_unlock();
        ptr_hook_frame = 0;
        ptr_guard = PTR_GUARD_NONE;
        errno = saved;
    }
}

void ptr_side_reset(void)
{
    ptr_side_count = 0;
    side_written = 0;
    side_next = 0;
}

void ptr_side_repair(void)
{
    /* A kept call whose write was cut: written or dropped, it is done with (a dropped record
     * is counted as such). Calls not yet written stay for the next hook. */
    if (side_next > side_written)
        side_written = side_next;
}
