/*
 * ptr_codec.h: the trace format's primitives (varint, zigzag, str) for the bench tools and the
 * recorder's unit tests (Tests/recorder-unit). It lives with the format (not under include/: it
 * is no part of the Swift module), owned by neither of its users.
 * The record layouts themselves come from Sources/CPTFormat/include/ptreclaim_trace.h;
 * this file only reads and writes the bytes it describes under PRIMITIVES.
 * Kept separate from the recorder's encoder on purpose: the bench tools must check the
 * format from its description, not reuse the code they measure.
 */
#ifndef PTR_BENCH_CODEC_H
#define PTR_BENCH_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- writing: into a caller-sized buffer, returns the new end ---- */
static inline uint8_t *put_uv(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint64_t zigzag(int64_t n) { return ((uint64_t)n << 1) ^ (uint64_t)(n >> 63); }
static inline int64_t unzigzag(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }

static inline uint8_t *put_sv(uint8_t *p, int64_t v) { return put_uv(p, zigzag(v)); }

static inline uint8_t *put_str(uint8_t *p, const char *s, size_t n)
{
    p = put_uv(p, n);
    memcpy(p, s, n);
    return p + n;
}

/* ---- reading: a cursor that turns every overrun into a sticky error ---- */
struct cursor {
    const uint8_t *p, *end;
    int bad; /* set on overrun or an over-long varint; callers check once per record */
};

static inline uint64_t get_uv(struct cursor *c)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (c->p >= c->end) {
            c->bad = 1;
            return 0;
        }
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    c->bad = 1;
    return 0;
}

static inline int64_t get_sv(struct cursor *c) { return unzigzag(get_uv(c)); }

/* A "paged" value (addr or len): uv (H << 1 | U), then uv L when U. Skipped, or returned as
 * (H << 12 | L) for lengths; addr callers unzigzag H themselves via get_addr_delta. */
static inline uint64_t get_paged(struct cursor *c)
{
    uint64_t p = get_uv(c);
    uint64_t low = (p & 1) ? get_uv(c) : 0;
    return (p >> 1) << 12 | low;
}

/* Skips a hint: uv 0, or a paged addr delta whose first varint is stored plus one. */
static inline void get_hint(struct cursor *c)
{
    uint64_t p1 = get_uv(c);
    if (p1 && ((p1 - 1) & 1))
        get_uv(c);
}

/* The signed delta an addr field stores. */
static inline int64_t get_addr_delta(struct cursor *c)
{
    uint64_t p = get_uv(c);
    uint64_t low = (p & 1) ? get_uv(c) : 0;
    return (int64_t)(((uint64_t)unzigzag(p >> 1) << 12) | low);
}

/* Writing a paged value: H (already zigzagged for addr deltas) and the low 12 bits. */
static inline uint8_t *put_paged(uint8_t *p, uint64_t high, uint64_t low)
{
    p = put_uv(p, high << 1 | (low != 0));
    return low ? put_uv(p, low) : p;
}
static inline uint8_t *put_len(uint8_t *p, uint64_t n) { return put_paged(p, n >> 12, n & 4095); }
static inline uint8_t *put_addr_delta(uint8_t *p, int64_t d)
{
    return put_paged(p, zigzag(d >> 12), (uint64_t)d & 4095);
}

static inline uint8_t get_u8(struct cursor *c)
{
    if (c->p >= c->end) {
        c->bad = 1;
        return 0;
    }
    return *c->p++;
}

static inline void skip_str(struct cursor *c)
{
    uint64_t n = get_uv(c);
    if (c->bad || n > (uint64_t)(c->end - c->p)) {
        c->bad = 1;
        return;
    }
    c->p += n;
}

#endif
