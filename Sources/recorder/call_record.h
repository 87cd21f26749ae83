/*
 * The common path of every memory hook:
 *
 *   ptr_call_begin     recording? the trace's own process? not re-entered? not a vfork
 *                      child? -> guard, measure the stack we run on, unwind the stack
 *                      (outside the lock: it is the slow part), take the lock
 *   ptr_call_residency read the enclosing blocks' population BEFORE the real call
 *   ptr_call_made      the real call runs now (orders a signal handler's calls around it)
 *   ... real call ...  (lock still held: file order = kernel order)
 *   ptr_call_finish    THREAD record if the thread changed, STACK nodes, the call record
 *                      (tag, time, stack, the fields in a[], residency), commit, unlock,
 *                      errno as the real call left it
 *
 * ptr_call_begin returns PTR_FORWARD (the hook just forwards), PTR_RECORD, or PTR_SIDE: the
 * thread is already inside a hook (a signal handler interrupted it). If that hook does not
 * hold the lock (it is unwinding, waiting for another thread, or has just let the lock go),
 * the handler's call is simply recorded (PTR_RECORD, nested: no stack), in the global order.
 * Otherwise it is PTR_SIDE: it is
 * forwarded at once (never waiting for the lock its own thread may hold) and its fields are
 * kept in a small per-thread side buffer; the interrupted hook writes them, bare (no stack,
 * no residency), before its own record when they ran before its real call, after it when they
 * ran after (side_calls.c). LOST counts only what the side buffer cannot hold.
 */
#ifndef PTR_CALL_RECORD_H
#define PTR_CALL_RECORD_H

#include "encoder.h"
#include "lifecycle.h"
#include "lock.h"
#include "raw.h"
#include "residency.h"
#include "state.h"

#include <errno.h>
#include <stdint.h>

#define PTR_EXPORT __attribute__((visibility("default")))

enum { PTR_FORWARD = 0, PTR_RECORD = 1, PTR_SIDE = 2 };

/* The values of a call, as ptr_call_finish takes them (a[]): the arguments of its typed
 * writer in records.c, in order, without `failed`:
 *   MMAP      hint, len, prot, flags, is64, fd, offset, err, result
 *   MUNMAP    addr, len, err
 *   MREMAP    old, old_len, new_len, flags, new_hint, err, result
 *   MADVISE   addr, len, advice, posix, err (errno, or posix_madvise's return)
 *   MPROTECT  addr, len, prot, pkey (-1: none), err
 *   BRK       requested, old_break, new_break, err
 *   SBRK      increment, new_break, err, result
 * Kept as values (not encoded) so a signal handler's call can wait in the side buffer and be
 * encoded later, against the registers of the moment. PROCESS_MADVISE has its own path. */
#define PTR_CALL_FIELDS 9

/* Kept small: a hook may run on a signal handler's few-KiB alternate stack. The captured
 * stack lives in thread-local storage (call_record.c), not here. */
struct ptr_call {
    int mode;            /* PTR_RECORD or PTR_SIDE */
    int side_slot;       /* PTR_SIDE: the side buffer slot, -1 if it was full */
    int nested;          /* recorded from a signal handler on top of this thread's own hook,
                            which had not taken the lock yet; its phase comes back after */
    int outer_phase;
    uint64_t t;
    const uint8_t *res;
    size_t res_len;
    uint64_t res_first;  /* first block of the residency (address >> 21) */
    uint64_t res_anchor; /* the call's own first address (ptreclaim_trace.h: "anchor") */
    int saved_errno;
    int nips;
    int no_residency;    /* too little stack left for the residency scan: record it bare */
};

/* The byte ptr_owner_mark points to is 1 in the process that owns the open trace and reads 0
 * in any child made without the fork hook (raw clone/clone3): it lives in a MADV_WIPEONFORK
 * page (lifecycle.c). One load per call, no system call. */
extern volatile const unsigned char *ptr_owner_mark;

/* Not the trace's process (a raw clone child): stop recording here, forward only. */
int ptr_not_owner(void);

/* A hooked call made while this thread is inside the recorder: a signal handler's call is
 * the program's (PTR_SIDE); libunwind's own (while we unwind) is not (PTR_FORWARD). */
int ptr_call_reentered(struct ptr_call *c, const void *caller);

/* 0 while this thread's hook has not started its real call yet, 1 once it has (side_calls.c
 * orders a signal handler's calls by it). */
extern __thread int ptr_hook_phase;

/* Slow half of ptr_call_begin (out of line). */
int ptr_call_begin_slow(struct ptr_call *c, const void *caller);

/* `caller`: the hook's return address (PTR_CALLER), to recognize libunwind's own calls. */
#define PTR_CALLER __builtin_return_address(0)

static inline __attribute__((always_inline)) int ptr_call_begin(struct ptr_call *c, const void *caller)
{
    if (__builtin_expect(!ptr_state.recording, 0)) {
        if (ptr_state.finished || ptr_guard != PTR_GUARD_NONE)
            return PTR_FORWARD;
        ptr_early_init(); /* a call made before our constructor ran */
        if (!ptr_state.recording)
            return PTR_FORWARD;
    }
    if (__builtin_expect(!*ptr_owner_mark, 0))
        return ptr_not_owner();
    if (__builtin_expect(ptr_guard != PTR_GUARD_NONE, 0))
        return ptr_call_reentered(c, caller);
    if (__builtin_expect(ptr_tls_vforked, 0)) {
        if (ptr_raw_getpid() != ptr_state.owner_pid)
            return 0; /* a vfork child (on its parent's TLS): forward only, write nothing */
        /* The parent again: while the child ran, this thread was suspended, so the vfork is
         * over; stop paying for the check. */
        ptr_tls_vforked = 0;
    }
    return ptr_call_begin_slow(c, caller);
}

/* Population of the blocks enclosing [start, start + len), read now (before the call). The
 * record's anchor defaults to `start`; a hook whose anchor field differs sets c->res_anchor. */
void ptr_call_residency(struct ptr_call *c, uint64_t start, uint64_t len, enum ptr_res_form form);

/* The real call runs next. */
static inline void ptr_call_made(struct ptr_call *c)
{
    if (c->mode == PTR_RECORD)
        ptr_hook_phase = 1;
}

/* Record the call (fields a[], layout above), or keep it in the side buffer (PTR_SIDE);
 * errno = err on return. */
void ptr_call_finish(struct ptr_call *c, int type, int failed, const uint64_t *a, int err);

/* For PROCESS_MADVISE, whose fields are variable: start the record (type, failed bit, time,
 * stack); the hook appends its fields; ptr_call_end adds the residency, commits, unlocks. */
void ptr_call_record(struct ptr_call *c, int type, int failed);
void ptr_call_end(struct ptr_call *c, int err);

/* Side buffer (side_calls.c): a slot claimed before the real call (-1: full), filled after
 * (type 0: a call it cannot hold, counted LOST). */
int ptr_side_claim(void);
void ptr_side_fill(int slot, int type, int failed, const uint64_t *a);
/* Write the kept calls (lock held): all of them, or (before_only) those that ran before the
 * current hook's real call. */
void ptr_side_flush(int before_only);
/* Calls kept after the hook's last flush: write them now (takes the lock). */
void ptr_side_drain(void);
extern __thread volatile unsigned ptr_side_count;
/* Fork child: whatever the parent's thread kept belongs to the parent's trace. */
void ptr_side_reset(void);
void ptr_side_repair(void);

/* Where this thread's outermost hook keeps its struct ptr_call (an address in the hook's
 * frame): a siglongjmp to a frame above it leaves the hook for good (jumps.c). */
extern __thread uintptr_t ptr_hook_frame;
/* This thread's hook was left for good: settle what it was writing, release the lock if it
 * held it, count its call LOST if its real call had run, leave the recorder. */
void ptr_hook_abandon(void);
/* The call record's common head: THREAD record if needed, tag, time, stack. Returns 1 when the
 * THREAD record could not be written (the call record must then be dropped). */
int ptr_put_call_head(int type, int failed, int residency, uint64_t t, uint32_t stack);
/* The fields a[] of a call record type (layout above). */
void ptr_put_call_fields(int type, int failed, const uint64_t *a);

/* Is this madvise advice one that can zap entries (and so free a PTE page)? */
static inline int ptr_advice_releases(int advice)
{
    switch (advice) {
    case 4:  /* MADV_DONTNEED */
    case 8:  /* MADV_FREE */
    case 9:  /* MADV_REMOVE */
    case 20: /* MADV_COLD */
    case 21: /* MADV_PAGEOUT */
    case 24: /* MADV_DONTNEED_LOCKED */
        return 1;
    default:
        return 0;
    }
}

#endif
