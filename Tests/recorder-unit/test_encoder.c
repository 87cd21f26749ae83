/*
 * A test implementation of Sources/recorder/encoder.h that writes records into a memory
 * buffer, so the unit harness can decode what residency.c and snapshot.c produced without the
 * rest of the recorder. Encodings follow ptreclaim_trace.h (LEB128 varints, zigzag, paged
 * addr/len, the address, ip and time registers). test_encoder_fail_next > 0 makes the next
 * commits drop (a group counts as one commit, dropped whole).
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
static uint64_t ip_reg, ip_reg_saved;
static int grouping;
static uint64_t group_records;

void test_encoder_reset(void)
{
    test_trace_len = 0;
    addr_reg = addr_reg_saved = 0;
    time_reg = time_reg_saved = 0;
    ip_reg = ip_reg_saved = 0;
    grouping = 0;
    rec_len = 0;
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
    if (!grouping) {
        rec_len = 0;
        addr_reg_saved = addr_reg;
        time_reg_saved = time_reg;
        ip_reg_saved = ip_reg;
    }
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

static void put_paged(uint64_t high, uint64_t low)
{
    ptr_put_uv(high << 1 | (low != 0));
    if (low)
        ptr_put_uv(low);
}

void ptr_put_addr(uint64_t addr)
{
    int64_t d = (int64_t)(addr - addr_reg);
    int64_t pages = d >> 12;
    put_paged(((uint64_t)pages << 1) ^ (uint64_t)(pages >> 63), (uint64_t)d & 4095);
    addr_reg = addr;
}

void ptr_put_len(uint64_t n) { put_paged(n >> 12, n & 4095); }

void ptr_put_ip(uint64_t ip)
{
    ptr_put_sv((int64_t)(ip - ip_reg));
    ip_reg = ip;
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

static int commit_buffer(void);

int ptr_rec_commit(void)
{
    if (grouping) {
        group_records++;
        return 0;
    }
    return commit_buffer();
}

void ptr_group_begin(void)
{
    rec_len = 0;
    addr_reg_saved = addr_reg;
    time_reg_saved = time_reg;
    ip_reg_saved = ip_reg;
    grouping = 1;
    group_records = 0;
}

int ptr_group_commit(void)
{
    grouping = 0;
    int r = commit_buffer();
    if (r != 0)
        test_records_dropped += group_records ? group_records - 1 : 0; /* commit_buffer counted one */
    rec_len = 0;
    return r;
}

void ptr_group_abort(void)
{
    test_encoder_fail_next++;
    ptr_group_commit();
}

void ptr_group_discard(void)
{
    grouping = 0;
    addr_reg = addr_reg_saved;
    time_reg = time_reg_saved;
    ip_reg = ip_reg_saved;
    rec_len = 0;
}

static int commit_buffer(void)
{
    if (test_encoder_fail_next > 0 || test_trace_len + rec_len > TEST_TRACE_CAP) {
        if (test_encoder_fail_next > 0)
            test_encoder_fail_next--;
        addr_reg = addr_reg_saved;
        time_reg = time_reg_saved;
        ip_reg = ip_reg_saved;
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
