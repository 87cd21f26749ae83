/*
 * A growable buffer in raw-mmap'd memory (never malloc, never the hooked mmap): the encoder's
 * scratch buffer, the residency block and the snapshot's buffers all grow through it.
 */
#ifndef PTR_RAW_BUF_H
#define PTR_RAW_BUF_H

#include <stddef.h>
#include <stdint.h>

struct ptr_raw_buf {
    uint8_t *p;
    size_t cap;
};

/* Grows b to at least `need` bytes (64 KiB at first, then doubling), keeping its first `keep`
 * bytes; 0, or -1 with b unchanged when the memory cannot be had. */
int ptr_raw_buf_reserve(struct ptr_raw_buf *b, size_t need, size_t keep);

#endif
