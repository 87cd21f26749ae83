/*
 * The trace file: written through a MAP_SHARED mapping of the file, one window at a time,
 * with the space reserved ahead by posix_fallocate, so a SIGKILL leaves every committed record
 * on disk and a full disk shows up as a failed reservation (a dropped record), never as
 * SIGBUS. The never-written tail is zero bytes = PTR_REC_END.
 *
 * The descriptor lives at a high number (>= 500, O_CLOEXEC); the program may close it or dup2
 * over it. It is only needed to grow the file: it is checked (fstat dev/ino) first and the
 * file reopened by its absolute path when it is not ours any more.
 */
#ifndef PTR_TRACE_FILE_H
#define PTR_TRACE_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Create `path` (O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600) and write the file header.
 * Returns 0, or -errno (EEXIST: the name is taken). */
int ptr_file_create(const char *path);

/* Append n bytes (one record) completely, or nothing: 0 / -1. The first byte (the tag) is
 * stored last, so a record cut short by a kill reads as END. */
int ptr_file_write(const uint8_t *p, size_t n);

/* The thread writing a record was taken away mid-write for good (siglongjmp out of a signal
 * handler, see jumps.c): settle the write — in the file if its tag was stored, else erased. */
void ptr_file_repair(void);

/* Bytes written so far (file header included). */
uint64_t ptr_file_length(void);

/* The next record is the trailer: it may use the room kept free for it. */
void ptr_file_final(void);

/* Cut the reserved zero tail (before exec); writing may continue afterwards. */
void ptr_file_trim(void);

/* Clean end: trim, unmap, close. */
void ptr_file_close(void);

/* Fork child: drop the parent's mapping and descriptor without touching the file. */
void ptr_file_abandon(void);

#endif
