/*
 * The common path of every memory hook:
 *
 *   ptr_call_begin     recording? not re-entered? not a vfork child? -> guard, unwind the
 *                      stack (outside the lock: it is the slow part), take the lock
 *   ptr_call_residency read the enclosing blocks' population BEFORE the real call
 *   ... real call ...  (lock still held: file order = kernel order)
 *   ptr_call_record    THREAD record if the thread changed, STACK nodes, then the call
 *                      record's tag, time and stack; the hook appends its fields
 *   ptr_call_end       residency block, commit, unlock, errno as the real call left it
 *
 * When ptr_call_begin returns 0 the hook just forwards.
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

struct ptr_call {
    uint64_t t;
    const uint8_t *res;
    size_t res_len;
    uint64_t res_first;  /* first block of the residency (address >> 21) */
    uint64_t res_anchor; /* the call's own first address (ptreclaim_trace.h: "anchor") */
    int saved_errno;
    int nips;
    uint64_t ips[PTR_MAX_STACK_DEPTH + PTR_STACK_SLACK];
};

/* A hooked call made while this thread is inside the recorder: a signal handler's call is
 * the program's and counted LOST; libunwind's own (while we unwind) is not. */
void ptr_call_reentered(const void *caller);

/* Slow half of ptr_call_begin (out of line). */
int ptr_call_begin_slow(struct ptr_call *c, const void *caller);

/* `caller`: the hook's return address (PTR_CALLER), to recognize libunwind's own calls. */
#define PTR_CALLER __builtin_return_address(0)

static inline __attribute__((always_inline)) int ptr_call_begin(struct ptr_call *c, const void *caller)
{
    if (__builtin_expect(!ptr_state.recording, 0)) {
        if (ptr_state.finished || ptr_guard != PTR_GUARD_NONE)
            return 0;
        ptr_early_init(); /* a call made before our constructor ran */
        if (!ptr_state.recording)
            return 0;
    }
    if (__builtin_expect(ptr_guard != PTR_GUARD_NONE, 0)) {
        ptr_call_reentered(caller);
        return 0;
    }
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

/* Start the call record: type, failed bit, time, stack. */
void ptr_call_record(struct ptr_call *c, int type, int failed);

/* Finish: residency block, commit, unlock, unguard; errno = err. */
void ptr_call_end(struct ptr_call *c, int err);

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
