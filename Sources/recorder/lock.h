/*
 * The recorder lock serializes every record written to the trace, and is held across the real
 * call of every recorded function, so the order of records in the file is the order in which
 * the kernel ran the calls (a munmap is always before the mmap that reuses its range).
 *
 * A thread that is already inside the recorder (a signal handler interrupting a hook, or the
 * recorder's own use of libunwind/dlsym) never waits for it: ptr_enter() fails and the call is
 * forwarded unrecorded and counted as LOST.
 */
#ifndef PTR_LOCK_H
#define PTR_LOCK_H

/* Returns 1 when the calling thread may record (guard set, lock taken), 0 otherwise. */
int ptr_enter(void);
void ptr_leave(void);

#endif
