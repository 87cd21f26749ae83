/*
 * The record encoder: builds one record at a time in a scratch buffer and commits it to the
 * trace file whole, or drops it whole (disk full, unwritable file) and counts the drop.
 * Encodings (varints, zigzag, the address register) are specified in ptreclaim_trace.h.
 *
 * Every function here must be called with the recorder lock held (see lock.h). A dropped
 * record restores the delta registers, so the records after it still decode.
 *
 * Group mode (ptr_group_begin ... ptr_group_commit): the records committed in between are kept
 * in the scratch buffer and reach the file together, with one reservation, or not at all (a
 * snapshot must never be cut between its SNAPSHOT and its SNAPSHOT_END). Inside a group,
 * ptr_rec_commit returns 0 when the record joined the group; only ptr_group_commit says
 * whether the group was written.
 */
#ifndef PTR_ENCODER_H
#define PTR_ENCODER_H

#include <stddef.h>
#include <stdint.h>

void ptr_rec_begin(uint8_t tag);
void ptr_put_u8(uint8_t v);
void ptr_put_uv(uint64_t v);
void ptr_put_sv(int64_t v);
void ptr_put_addr(uint64_t addr);           /* page-delta against the address register */
void ptr_put_len(uint64_t len);             /* a length, in pages when page-aligned */
void ptr_put_hint(uint64_t hint);           /* 0, or 1 + addr delta; register unchanged */
void ptr_put_ip(uint64_t ip);               /* sv delta against the ip register (STACK) */
void ptr_put_str(const void *s, size_t len);
void ptr_put_bytes(const void *s, size_t len); /* raw bytes, no length prefix */
void ptr_put_time(uint64_t mono_ns);        /* uv delta against the time register */
void ptr_put_stack(uint32_t node);          /* sv delta against the stack register */
/* Returns 0 when the record reached the file, -1 when it was dropped (and counted). */
int ptr_rec_commit(void);
/* Give up the record being built on purpose (e.g. its THREAD record was dropped): counted as
 * dropped, registers restored. */
void ptr_rec_drop(void);

/* Start a group of records. */
void ptr_group_begin(void);
/* Write the group whole: 0; or drop it whole (counted, every register back to its value at
 * ptr_group_begin): -1. */
int ptr_group_commit(void);
/* Give the group up on purpose (counted as dropped, registers restored). */
void ptr_group_abort(void);
/* Forget the group as if it had never begun (not a drop: the caller will build it again). */
void ptr_group_discard(void);

/* The thread building a record was taken away for good (siglongjmp out of a signal handler
 * that interrupted a hook, jumps.c): finish a commit cut in its last instructions, forget the
 * record being built. Lock held. */
void ptr_enc_repair(void);

/* CLOCK_MONOTONIC now, in ns (vDSO, no system call). */
uint64_t ptr_now_ns(void);

/* Allocate the scratch buffer (raw mmap); 0 on success. */
int ptr_enc_init(void);
/* A new file starts: registers back to their initial values, time register = mono_start. */
void ptr_enc_reset(uint64_t mono_start_ns);
/* Records committed / dropped since the last reset. */
uint64_t ptr_enc_written(void);
uint64_t ptr_enc_dropped(void);

#endif
