/*
 * Record encoder (see encoder.h): a raw-mmap'd scratch buffer that grows with mremap, the
 * address/ip/time/stack delta registers, and the commit that hands a finished record (or a
 * finished group of records) to trace_file.c — or drops it whole and puts the registers back.
 */
#include "encoder.h"
#include "raw.h"
#include "raw_buf.h"
#include "trace_file.h"
#include "varint.h"

#include <string.h>
#include <sys/mman.h>
#include <time.h>

struct registers {
    uint64_t addr;
    uint64_t ip;
    uint64_t time;
    uint32_t stack;
};

static uint8_t *buf;
static size_t cap, len;
static int overflow;           /* the record did not fit in memory: drop it */
static struct registers reg;   /* current values */
static struct registers saved; /* values before the record (or group) being built */
static uint64_t written, dropped;
static int grouping;           /* inside ptr_group_begin ... ptr_group_commit */
/* A commit in progress (see ptr_enc_repair): the file length before it and `written` after. */
static uint64_t commit_len_before, commit_written_after;
static int committing;
static int building; /* a record or group is being built (reg moved past saved) */
static struct registers committed; /* the registers as the reader has them (file so far) */
static uint64_t group_records; /* records committed into the current group */

int ptr_enc_init(void)
{
    if (buf)
        return 0;
    struct ptr_raw_buf b = {NULL, 0};
    if (ptr_raw_buf_reserve(&b, 256 * 1024, 0) != 0)
        return -1;
    /* Fault it in now: a snapshot group fills it later, and its page tables must not appear
     * in the middle of the program's run (tests compare the program's own VmPTE). */
    memset(b.p, 0, b.cap);
    buf = b.p;
    cap = b.cap;
    return 0;
}

void ptr_enc_reset(uint64_t mono_start_ns)
{
    memset(&reg, 0, sizeof reg);
    reg.time = mono_start_ns;
    saved = reg;
    committed = reg;
    len = 0;
    overflow = 0;
    written = dropped = 0;
    grouping = 0;
    group_records = 0;
}

uint64_t ptr_enc_written(void) { return written; }
uint64_t ptr_enc_dropped(void) { return dropped; }

/* Make room for n more bytes; on failure the record is marked for dropping. */
static int room(size_t n)
{
    if (len + n <= cap)
        return 1;
    if (overflow || !buf)
        return overflow = 1, 0;
    struct ptr_raw_buf b = {buf, cap};
    if (ptr_raw_buf_reserve(&b, len + n, len) != 0) {
        overflow = 1;
        return 0;
    }
    buf = b.p;
    cap = b.cap;
    return 1;
}

void ptr_rec_begin(uint8_t tag)
{
    if (!grouping) { /* in a group the records follow each other in the buffer */
        saved = reg;
        len = 0;
        overflow = 0;
        building = 1;
    }
    if (room(1))
        buf[len++] = tag;
}

void ptr_put_u8(uint8_t v)
{
    if (room(1))
        buf[len++] = v;
}

void ptr_put_uv(uint64_t v)
{
    if (!room(PTR_UV_MAX_BYTES))
        return;
    len += ptr_uv_write(buf + len, v);
}

void ptr_put_sv(int64_t v) { ptr_put_uv(((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

/* A value that is usually a multiple of 4096 (a page-aligned delta or length): uv
 * ((v >> 12) << 1 | unaligned) + bias, then uv (v & 4095) only when unaligned. `v >> 12` is
 * taken on the signed delta's zigzag form by the callers, so every 64-bit value round-trips.
 * bias is 1 for hints (0 there means "no hint"), else 0. */
static void put_paged_biased(uint64_t high, uint64_t low, uint64_t bias)
{
    ptr_put_uv((high << 1 | (low != 0)) + bias);
    if (low)
        ptr_put_uv(low);
}

static void put_paged(uint64_t high, uint64_t low) { put_paged_biased(high, low, 0); }

void ptr_put_addr(uint64_t addr)
{
    int64_t d = (int64_t)(addr - reg.addr);
    int64_t pages = d >> 12; /* arithmetic: floor, so d == pages * 4096 + low */
    put_paged(((uint64_t)pages << 1) ^ (uint64_t)(pages >> 63), (uint64_t)d & 4095);
    reg.addr = addr;
}

void ptr_put_len(uint64_t n) { put_paged(n >> 12, n & 4095); }

void ptr_put_hint(uint64_t hint)
{
    if (hint == 0) {
        ptr_put_uv(0);
        return;
    }
    /* Like an addr, shifted by one, but the register stays: the result that follows (often
     * the hint itself, MAP_FIXED) is then a zero delta. */
    int64_t d = (int64_t)(hint - reg.addr);
    int64_t pages = d >> 12;
    put_paged_biased(((uint64_t)pages << 1) ^ (uint64_t)(pages >> 63), (uint64_t)d & 4095, 1);
}

void ptr_put_ip(uint64_t ip)
{
    ptr_put_sv((int64_t)(ip - reg.ip));
    reg.ip = ip;
}

void ptr_put_str(const void *s, size_t n)
{
    ptr_put_uv(n);
    ptr_put_bytes(s, n);
}

void ptr_put_bytes(const void *s, size_t n)
{
    if (n && room(n)) {
        memcpy(buf + len, s, n);
        len += n;
    }
}

void ptr_put_time(uint64_t mono_ns)
{
    /* Records are written under the lock, so time only moves forward; clamp just in case. */
    uint64_t dt = mono_ns > reg.time ? mono_ns - reg.time : 0;
    ptr_put_uv(dt);
    reg.time += dt;
}

void ptr_put_stack(uint32_t node)
{
    ptr_put_sv((int64_t)node - (int64_t)reg.stack);
    reg.stack = node;
}

/* The buffer to the file, `records` records; `written` follows in a way ptr_enc_repair can
 * finish if the thread is taken away half-way. */
static int file_write(uint64_t records)
{
    commit_len_before = ptr_file_length();
    commit_written_after = written + records;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    committing = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    int r = ptr_file_write(buf, len);
    if (r == 0) {
        committed = reg;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        written = commit_written_after;
        building = 0; /* the registers now match the file */
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    committing = 0;
    return r;
}

void ptr_enc_repair(void)
{
    ptr_file_repair();
    int landed = committing && ptr_file_length() > commit_len_before;
    if (landed) {
        written = commit_written_after;
        committed = reg; /* reg was complete before the write began */
    }
    /* Forget the record or group being built, as if it had never begun: the registers are
     * where the reader's are after the last record in the file. */
    reg = committed;
    saved = committed;
    committing = 0;
    building = 0;
    len = 0;
    overflow = 0;
    grouping = 0;
    group_records = 0;
}

int ptr_rec_commit(void)
{
    if (grouping) { /* stays in the buffer; an overflow dooms the whole group */
        group_records++;
        return overflow ? -1 : 0;
    }
    if (!overflow && len && file_write(1) == 0) {
        len = 0;
        building = 0;
        return 0;
    }
    reg = saved;
    building = 0;
    dropped++;
    len = 0;
    return -1;
}

void ptr_rec_drop(void)
{
    overflow = 1;
    ptr_rec_commit();
}

void ptr_group_begin(void)
{
    building = 1;
    saved = reg;
    len = 0;
    overflow = 0;
    grouping = 1;
    group_records = 0;
}

int ptr_group_commit(void)
{
    grouping = 0;
    int ok = !overflow && len && file_write(group_records) == 0;
    if (!ok) {
        reg = saved;
        dropped += group_records;
    }
    building = 0;
    len = 0;
    overflow = 0;
    group_records = 0;
    return ok ? 0 : -1;
}

void ptr_group_abort(void)
{
    overflow = 1;
    ptr_group_commit();
}

void ptr_group_discard(void)
{
    grouping = 0;
    building = 0;
    reg = saved;
    len = 0;
    overflow = 0;
    group_records = 0;
}

uint64_t ptr_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
