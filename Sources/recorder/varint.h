/*
 * The format's unsigned varint (ptreclaim_trace.h: 7 bits a byte, least significant first, high
 * bit = more follows), written in one place for the encoder and the residency block.
 */
#ifndef PTR_VARINT_H
#define PTR_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define PTR_UV_MAX_BYTES 10

/* Writes v at p (at most PTR_UV_MAX_BYTES bytes); returns the byte count. */
static inline size_t ptr_uv_write(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

#endif
