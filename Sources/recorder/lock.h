/*
 * The recorder lock serializes every record written to the trace, and is held across the real
 * call of every recorded function, so the order of records in the file is the order in which
 * the kernel ran the calls (a munmap is always before the mmap that reuses its range).
 *
 * A thread that is already inside the recorder (a signal handler interrupting a hook, or the
 * recorder's own use of libunwind/dlsym) never waits for it: ptr_enter() fails and the call is
 * forwarded unrecorded and counted as LOST.
 *
 * The per-thread guard (initial-exec TLS, no allocation) says where the thread is:
 *   PTR_GUARD_NONE     not in the recorder
 *   PTR_GUARD_HOOK     inside a hook recording a program call: a re-entering call (signal
 *                      handler) is the program's and is counted as LOST
 *   PTR_GUARD_INTERNAL the recorder's own work (unwinding, dlsym, init, snapshots): calls the
 *                      recorder itself causes are forwarded and not counted
 */
#ifndef PTR_LOCK_H
#define PTR_LOCK_H

#include <stdint.h>

enum { PTR_GUARD_NONE = 0, PTR_GUARD_HOOK = 1, PTR_GUARD_INTERNAL = 2 };

extern __thread int ptr_guard;

/* Returns 1 when the calling thread may record (guard set, lock taken), 0 otherwise. */
int ptr_enter(void);
void ptr_leave(void);

/* The bare process-wide lock (a futex; no allocation, no libc locks). */
void ptr_lock(void);
void ptr_unlock(void);
/* Does the calling thread hold the lock? (exact: the lock word holds the owner's tid) */
int ptr_lock_held_by_me(void);
/* After fork: the child has one thread; whoever held the lock is gone. */
void ptr_lock_reset_after_fork(void);

/* Calls seen but not recorded; written as a LOST record before the next record. */
void ptr_lost_add(uint64_t n);
/* A new trace file (fork child): calls lost in the parent are the parent's. */
void ptr_lost_reset(void);
/* Write the LOST record if calls were lost (lock held). */
void ptr_lost_flush(void);
/* After ptr_enc_repair: settle a LOST record whose writer was taken away (jumps.c). */
void ptr_lost_repair(void);

#endif
