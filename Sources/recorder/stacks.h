/*
 * Call stacks: captured with unw_backtrace (libunwind's fast path) outside the lock, then
 * interned under the lock into a trie of (ip, parent) nodes kept in a hash table (raw mmap).
 * Each node is written once, as a STACK record, the first time it is used.
 */
#ifndef PTR_STACKS_H
#define PTR_STACKS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* Find the recorder's own code (frames to skip); allocate the table. 0 on success. */
int ptr_stacks_init(void);

/* Capture up to `depth` frames of the program (the recorder's frames skipped), innermost
 * first, as return addresses minus 1, into ips (room for depth + PTR_STACK_SLACK entries).
 * Call with the guard set. Returns the count. */
int ptr_stack_capture(uint64_t *ips, int depth);

/* Intern a captured stack (lock held): writes STACK records for new nodes and returns the
 * leaf node number, or 0 (no stack, or a node could not be written). */
uint32_t ptr_stack_intern(const uint64_t *ips, int n);

/* Bytes of stack left below the caller when it runs on the thread's alternate signal stack;
 * SIZE_MAX elsewhere (a thread's ordinary stack is assumed large enough). No system call,
 * except once per thread to learn an alternate stack set without the sigaltstack hook. */
size_t ptr_stack_room(void);

/* The calling thread's hook was abandoned (jumps.c): if it was unwinding, stop using the
 * fast unwinder on this thread. */
void ptr_stacks_abandoned(void);

/* Is addr inside the calling thread's alternate signal stack (as last known)? */
int ptr_stack_on_altstack(uintptr_t addr);

/* The calling thread's alternate signal stack changed (sigaltstack hook). */
void ptr_stacks_note_altstack(const stack_t *ss);

/* Is this code address inside libunwind (whose own mmap/munmap are not the program's)? */
int ptr_stacks_is_unwinder(const void *ip);

/* After ptr_enc_repair: settle a STACK record whose writer was taken away (jumps.c). */
void ptr_stacks_repair(void);

/* A new trace file: forget every node (they must be written again). */
void ptr_stacks_reset(void);

#endif
