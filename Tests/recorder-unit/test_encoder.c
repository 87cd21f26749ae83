/*
 * A test implementation of Sources/recorder/encoder.h that writes records into a memory
 * buffer, so the unit harness can decode what residency.c and snapshot.c produced without the
 * rest of the recorder. Encodings follow ptreclaim_trace.h (LEB128 varints, zigzag, the
 * address and time registers). test_encoder_fail_next > 0 makes the next commits drop.
 */
#include "encoder.h"
#include "test_encoder.h"

#include <string.h>
#include <time.h>

uint8_t test_trace[TEST_TRACE_CAP];
size_t test_trace_len;
int test_encoder_fail_next;
uint64_t test_records_dropped;

static uint8_t rec[1 << 24];
static size_t rec_len;
static uint64_t addr_reg, addr_reg_saved;
static uint64_t time_reg, time_reg_saved;

void test_encoder_reset(void)
{
    test_trace_len = 0;
    addr_reg = addr_reg_saved = 0;
    time_reg = time_reg_saved = 0;
    test_encoder_fail_next = 0;
    test_records_dropped = 0;
}

static void put(uint8_t b)
{
    if (rec_len < sizeof rec)
        rec[rec_len++] = b;
}

void ptr_rec_begin(uint8_t tag)
{
    rec_len = 0;
    addr_reg_saved = addr_reg;
    time_reg_saved = time_reg;
    put(tag);
}

void ptr_put_u8(uint8_t v) { put(v); }

void ptr_put_uv(uint64_t v)
{
    while (v >= 0x80) {
        put((uint8_t)(v | 0x80));
        v >>= 7;
    }
    put((uint8_t)v);
}

void ptr_put_sv(int64_t v) { ptr_put_uv(((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

void ptr_put_addr(uint64_t addr)
{
    ptr_put_sv((int64_t)(addr - addr_reg));
    addr_reg = addr;
}

void ptr_put_str(const void *s, size_t len)
{
    ptr_put_uv(len);
    ptr_put_bytes(s, len);
}

void ptr_put_bytes(const void *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        put(((const uint8_t *)s)[i]);
}

void ptr_put_time(uint64_t mono_ns)
{
    ptr_put_uv(mono_ns - time_reg);
    time_reg = mono_ns;
}

int ptr_rec_commit(void)
{
    if (test_encoder_fail_next > 0 || test_trace_len + rec_len > TEST_TRACE_CAP) {
        if (test_encoder_fail_next > 0)
            test_encoder_fail_next--;
        addr_reg = addr_reg_saved;
        time_reg = time_reg_saved;
        test_records_dropped++;
        return -1;
    }
    memcpy(test_trace + test_trace_len, rec, rec_len);
    test_trace_len += rec_len;
    return 0;
}

uint64_t ptr_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
