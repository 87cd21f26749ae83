/*
 * The common path of the memory hooks (see call_record.h).
 */
#include "call_record.h"
#include "modules.h"
#include "residency.h"
#include "stacks.h"
#include "ptreclaim_trace.h"

void ptr_call_reentered(const void *caller)
{
    if (ptr_guard == PTR_GUARD_HOOK && !ptr_stacks_is_unwinder(caller))
        ptr_lost_add(1);
}

int ptr_call_begin_slow(struct ptr_call *c, const void *caller)
{
    /* libunwind frees its per-thread cache with munmap at thread exit, outside any hook:
     * the recorder's own memory, not the program's. */
    if (ptr_stacks_is_unwinder(caller))
        return 0;
    c->saved_errno = errno;
    ptr_guard = PTR_GUARD_HOOK;
    c->nips = ptr_state.opt.stack_depth ? ptr_stack_capture(c->ips, ptr_state.opt.stack_depth) : 0;
    ptr_lock();
    if (!ptr_state.recording) { /* the trace ended while we waited */
        ptr_unlock();
        ptr_guard = PTR_GUARD_NONE;
        errno = c->saved_errno;
        return 0;
    }
    ptr_lost_flush();
    if (ptr_modules_dirty)
        ptr_modules_check();
    c->res = NULL;
    c->res_len = 0;
    c->t = ptr_now_ns();
    errno = c->saved_errno;
    return 1;
}

void ptr_call_residency(struct ptr_call *c, uint64_t start, uint64_t len, enum ptr_res_form form)
{
    if (len == 0)
        return;
    uint64_t end = start + len;
    if (end < start)
        end = UINT64_MAX;
    c->res = ptr_residency_capture(start, end, form, &c->res_first, &c->res_len);
    c->res_anchor = start;
    errno = c->saved_errno;
}

void ptr_call_record(struct ptr_call *c, int type, int failed)
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
    uint32_t leaf = c->nips ? ptr_stack_intern(c->ips, c->nips) : 0;
    uint8_t tag = (uint8_t)type;
    if (c->res)
        tag |= PTR_TAG_RESIDENCY;
    if (failed)
        tag |= PTR_TAG_FAILED;
    ptr_rec_begin(tag);
    ptr_put_time(c->t);
    ptr_put_stack(leaf);
    if (thread_lost)
        c->nips = -1; /* marks the record for dropping in ptr_call_end */
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
    ptr_unlock();
    ptr_guard = PTR_GUARD_NONE;
    errno = err;
}
