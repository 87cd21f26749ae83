/*
 * The RESIDENCY block of a call record (layout: ptreclaim_trace.h): which pages of the 2 MiB
 * blocks enclosing [start, end) are populated (present or swapped), and which blocks are
 * mapped by one PMD entry (PTR_BLOCK_HUGE). Read with pagemap.c; cost follows the page tables
 * that exist, so a huge munmap over mostly empty space stays cheap.
 *
 * The block is encoded into a raw-mmap'd buffer (never malloc) that grows as needed. The
 * header's nlisted is only known at the end, so the body is written after a reserved gap and
 * the header is placed right in front of it.
 */
#include "residency.h"
#include "pagemap.h"
#include "raw.h"
#include "ptreclaim_trace.h"

#include <string.h>
#include <sys/mman.h>

#define BLOCK_SHIFT 21
#define PAGE_SHIFT_4K 12
#define PAGES_PER_BLOCK 512
#define HEADER_ROOM 32                     /* 3 varints of at most 10 bytes each */
#define BLOCK_MAX_BYTES (10 + 1 + 2 + 256 * 4) /* gap, kind, nruns, 256 runs of 2+2 bytes */

static uint8_t *out_buf;
static size_t out_cap;

struct res_state {
    uint64_t first_block;
    size_t len;          /* bytes used in out_buf, from HEADER_ROOM */
    uint64_t nlisted;
    uint64_t last_listed; /* block index of the previous listed block */
    /* the block being collected */
    uint64_t cur_block;
    int cur_valid;
    int cur_huge;
    unsigned nruns;
    uint16_t run_start[PAGES_PER_BLOCK / 2 + 1];
    uint16_t run_end[PAGES_PER_BLOCK / 2 + 1];
    int oom;
};

static struct res_state rs;

static int out_reserve(size_t need)
{
    if (need <= out_cap)
        return 0;
    size_t cap = out_cap ? out_cap * 2 : 64 * 1024;
    while (cap < need)
        cap *= 2;
    void *p = ptr_raw_mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    if (out_buf) {
        memcpy(p, out_buf, out_cap);
        ptr_raw_munmap(out_buf, out_cap);
    }
    out_buf = p;
    out_cap = cap;
    return 0;
}

static size_t put_uv(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static void flush_block(void)
{
    if (!rs.cur_valid)
        return;
    rs.cur_valid = 0;
    if (!rs.cur_huge && rs.nruns == 0)
        return;
    if (out_reserve(HEADER_ROOM + rs.len + BLOCK_MAX_BYTES) != 0) {
        rs.oom = 1;
        return;
    }
    uint8_t *p = out_buf + HEADER_ROOM + rs.len;
    size_t n = 0;
    uint64_t gap = rs.nlisted ? rs.cur_block - rs.last_listed - 1 : rs.cur_block - rs.first_block;
    n += put_uv(p + n, gap);
    if (rs.cur_huge) {
        p[n++] = PTR_BLOCK_HUGE;
    } else {
        p[n++] = PTR_BLOCK_PTE;
        n += put_uv(p + n, rs.nruns);
        unsigned prev_end = 0;
        for (unsigned i = 0; i < rs.nruns; i++) {
            n += put_uv(p + n, rs.run_start[i] - prev_end);
            n += put_uv(p + n, rs.run_end[i] - rs.run_start[i]);
            prev_end = rs.run_end[i];
        }
    }
    rs.len += n;
    rs.nlisted++;
    rs.last_listed = rs.cur_block;
}

static void start_block(uint64_t block)
{
    if (rs.cur_valid && rs.cur_block == block)
        return;
    flush_block();
    rs.cur_block = block;
    rs.cur_valid = 1;
    rs.cur_huge = 0;
    rs.nruns = 0;
}

/* Adds pages [ps, pe) (0..512) of the current block, merging with the previous run. */
static void add_run(unsigned ps, unsigned pe)
{
    if (rs.nruns && rs.run_end[rs.nruns - 1] >= ps) {
        if (pe > rs.run_end[rs.nruns - 1])
            rs.run_end[rs.nruns - 1] = (uint16_t)pe;
        return;
    }
    if (rs.nruns >= PAGES_PER_BLOCK / 2 + 1)
        return; /* impossible for sorted disjoint runs; keeps the array safe */
    rs.run_start[rs.nruns] = (uint16_t)ps;
    rs.run_end[rs.nruns] = (uint16_t)pe;
    rs.nruns++;
}

static void res_clear(uint64_t first_block)
{
    rs.first_block = first_block;
    rs.len = 0;
    rs.nlisted = 0;
    rs.last_listed = 0;
    rs.cur_valid = 0;
    rs.nruns = 0;
    rs.oom = 0;
}

static int on_region(void *ctx, uint64_t start, uint64_t end, unsigned cat)
{
    (void)ctx;
    if (start == 0 && end == 0) { /* the walk restarts with another source */
        res_clear(rs.first_block);
        return 0;
    }
    uint64_t block_bytes = 1ull << BLOCK_SHIFT;
    while (start < end) {
        uint64_t block = start >> BLOCK_SHIFT;
        uint64_t bstart = block << BLOCK_SHIFT;
        uint64_t bend = bstart + block_bytes;
        uint64_t pend = end < bend ? end : bend;
        start_block(block);
        if ((cat & PTR_PM_HUGE) && start == bstart && pend == bend) {
            /* One PMD entry maps the whole block (THP or hugetlb). */
            rs.cur_huge = 1;
            rs.nruns = 0;
        } else if (!rs.cur_huge) {
            add_run((unsigned)((start - bstart) >> PAGE_SHIFT_4K),
                    (unsigned)((pend - bstart) >> PAGE_SHIFT_4K));
        }
        start = pend;
    }
    return rs.oom ? 1 : 0;
}

const uint8_t *ptr_residency_capture(uint64_t start, uint64_t end, size_t *len)
{
    if (end < start)
        end = start;
    uint64_t first_block = start >> BLOCK_SHIFT;
    /* Blocks enclosing [start, end); an empty range encloses none. */
    uint64_t end_block = end > start ? ((end - 1) >> BLOCK_SHIFT) + 1 : first_block;
    uint64_t nblocks = end_block - first_block;

    if (out_reserve(HEADER_ROOM + BLOCK_MAX_BYTES) != 0)
        return NULL;
    res_clear(first_block);
    if (nblocks) {
        uint64_t scan_start = first_block << BLOCK_SHIFT;
        uint64_t scan_end = end_block << BLOCK_SHIFT;
        if (end_block > (UINT64_MAX >> BLOCK_SHIFT))
            scan_end = UINT64_MAX & ~((1ull << PAGE_SHIFT_4K) - 1);
        if (ptr_pagemap_walk(scan_start, scan_end, on_region, NULL) != 0)
            return NULL;
        flush_block();
        if (rs.oom)
            return NULL;
    }

    uint8_t hdr[HEADER_ROOM];
    size_t h = 0;
    h += put_uv(hdr + h, first_block);
    h += put_uv(hdr + h, nblocks);
    h += put_uv(hdr + h, rs.nlisted);
    uint8_t *begin = out_buf + HEADER_ROOM - h;
    memcpy(begin, hdr, h);
    *len = h + rs.len;
    return begin;
}

void ptr_residency_reset(void) { ptr_pagemap_reset(); }
