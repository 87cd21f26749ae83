/*
 * The RESIDENCY block of a call record (layout: ptreclaim_trace.h): which pages of the 2 MiB
 * blocks enclosing [start, end) are populated (present or swapped), and which blocks are
 * mapped by one PMD entry (PTR_BLOCK_HUGE). Read with pagemap.c; cost follows the page tables
 * that exist, so a huge munmap over mostly empty space stays cheap.
 *
 * The block is encoded into a raw-mmap'd buffer (never malloc) that grows as needed. The
 * header's nlisted is only known at the end, so the body is written after a reserved gap and
 * the header is placed right in front of it.
 *
 * Release calls (PTR_RES_RELEASE, residency.h) list one witness page per populated block,
 * found with ptr_pagemap_first (PAGEMAP_SCAN max_pages = 1, or pread stopping at the first
 * populated entry): the model needs no more there (docs/residency.md). Blocks MADV_FREE touched
 * are listed whole.
 *
 * Block cache: a PTE block may be written as a DIFF, the pages that changed since the block's
 * population in the last residency block of this file that covered it (the format's "previous
 * population", which the reader keeps for every block). The cache here is a subset of what the
 * reader knows: a direct-mapped table of recently listed blocks. It changes only when the call
 * record reached the file (ptr_residency_committed), so a dropped record cannot desynchronize
 * it; every block of a committed range is first forgotten, then the listed ones are stored —
 * exactly the reader's rule.
 */
#include "residency.h"
#include "pagemap.h"
#include "raw.h"
#include "raw_buf.h"
#include "varint.h"
#include "ptreclaim_trace.h"

#include <string.h>
#include <sys/mman.h>

#define BLOCK_SHIFT 21
#define PAGE_SHIFT_4K 12
#define PAGES_PER_BLOCK 512
#define HEADER_ROOM 32                     /* 3 varints of at most 10 bytes each */
#define BLOCK_MAX_BYTES (10 + 2 + 257 * 4) /* gap+kind, nruns, 257 runs of 2+2 bytes */

static uint8_t *out_buf;
static size_t out_cap;

#define BITS_WORDS (PAGES_PER_BLOCK / 64)
#define CACHE_SLOTS 4096 /* 2^12 blocks (8 GiB of address space) */
#define PENDING_MAX 1024

struct cached_block {
    uint64_t key; /* block index + 1; 0 = empty slot */
    uint64_t bits[BITS_WORDS];
};
static struct cached_block *cache;   /* raw mmap, CACHE_SLOTS entries */
static struct cached_block *pending; /* raw mmap, PENDING_MAX: listed blocks of the capture */
static size_t npending;
static uint64_t pending_first, pending_nblocks;
static int pending_valid;

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

/* Runs of set bits in a 512-bit map, as uv page_gap, uv npages pairs after uv nruns. */
static size_t put_bit_runs(uint8_t *p, const uint64_t *bits);

static struct res_state rs;

/* Blocks the program called MADV_FREE on: their captures list every populated page, because
 * the model's lazyfree pages need them (docs/residency.md). An open-addressing set of block
 * index + 1, never emptied (a block stays "lazy" for the process's life, inherited by fork
 * children); past half its slots, every capture lists every page (lazyfree_all). */
#define LAZY_SLOTS 4096
static uint64_t *lazy_blocks; /* raw mmap, LAZY_SLOTS entries */
static size_t lazy_count;
static int lazyfree_all;
/* PTRECLAIM_RESIDENCY=full: every capture lists every populated page (for comparisons). */
static int force_full;

static int out_reserve(size_t need)
{
    struct ptr_raw_buf b = {out_buf, out_cap};
    if (ptr_raw_buf_reserve(&b, need, out_cap) != 0)
        return -1;
    out_buf = b.p;
    out_cap = b.cap;
    return 0;
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

    /* The block's population as a bitmap: what the cache keeps (HUGE: every page). */
    uint64_t bits[BITS_WORDS];
    memset(bits, rs.cur_huge ? 0xff : 0, sizeof bits);
    for (unsigned i = 0; !rs.cur_huge && i < rs.nruns; i++)
        for (unsigned pg = rs.run_start[i]; pg < rs.run_end[i]; pg++)
            bits[pg / 64] |= 1ull << (pg % 64);
    if (npending < PENDING_MAX && pending) {
        pending[npending].key = rs.cur_block + 1;
        memcpy(pending[npending].bits, bits, sizeof bits);
        npending++;
    } else {
        pending_valid = 0; /* too many to remember: the commit only forgets */
    }

    /* The kind shares the gap's varint (bits 0-1): one byte for a neighbouring block. */
    unsigned kind = rs.cur_huge ? PTR_BLOCK_HUGE : PTR_BLOCK_PTE;
    const struct cached_block *prev = NULL;
    if (!rs.cur_huge && cache) {
        prev = &cache[rs.cur_block & (CACHE_SLOTS - 1)];
        if (prev->key != rs.cur_block + 1)
            prev = NULL;
    }
    n += ptr_uv_write(p + n, gap << 2 | kind); /* PTE and HUGE; a DIFF rewrites it below */
    if (!rs.cur_huge) {
        size_t head = n;
        n += put_bit_runs(p + n, bits);
        if (prev) {
            /* The same block as a DIFF against its previous population; keep the shorter. */
            uint64_t toggles[BITS_WORDS];
            for (int w = 0; w < BITS_WORDS; w++)
                toggles[w] = bits[w] ^ prev->bits[w];
            static uint8_t alt[BLOCK_MAX_BYTES]; /* static: lock held, stack may be small */
            size_t a = ptr_uv_write(alt, gap << 2 | PTR_BLOCK_PTE_DIFF);
            a += put_bit_runs(alt + a, toggles);
            if (a < n) {
                memcpy(p, alt, a);
                n = a;
            }
        }
        (void)head;
        /* A fragmented block (many short runs, e.g. a slab's live objects): 64 bytes of bitmap
         * may beat the runs. */
        uint8_t alt[16];
        size_t a = ptr_uv_write(alt, gap << 2 | PTR_BLOCK_BITMAP);
        if (a + 64 < n) {
            memcpy(p, alt, a);
            for (int w = 0; w < BITS_WORDS; w++)
                for (int k = 0; k < 8; k++)
                    p[a + w * 8 + k] = (uint8_t)(bits[w] >> (8 * k));
            n = a + 64;
        }
    }
    rs.len += n;
    rs.nlisted++;
    rs.last_listed = rs.cur_block;
}

static size_t put_bit_runs(uint8_t *p, const uint64_t *bits)
{
    /* Collect the runs first: nruns comes before them. Static (the lock is held): a hook may
     * run on a signal handler's small alternate stack. */
    static uint16_t rs_start[PAGES_PER_BLOCK / 2 + 1], rs_end[PAGES_PER_BLOCK / 2 + 1];
    unsigned nr = 0;
    unsigned pg = 0;
    while (pg < PAGES_PER_BLOCK) {
        uint64_t w = bits[pg / 64] >> (pg % 64);
        if (w == 0) { /* skip to the next word */
            pg = (pg / 64 + 1) * 64;
            continue;
        }
        pg += (unsigned)__builtin_ctzll(w);
        unsigned st = pg;
        while (pg < PAGES_PER_BLOCK && (bits[pg / 64] >> (pg % 64)) & 1)
            pg++;
        rs_start[nr] = (uint16_t)st;
        rs_end[nr] = (uint16_t)pg;
        nr++;
    }
    size_t n = ptr_uv_write(p, nr);
    unsigned prev_end = 0;
    for (unsigned i = 0; i < nr; i++) {
        n += ptr_uv_write(p + n, rs_start[i] - prev_end);
        n += ptr_uv_write(p + n, rs_end[i] - rs_start[i]);
        prev_end = rs_end[i];
    }
    return n;
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
    npending = 0;
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

static int block_lazy(uint64_t block);
static int capture_whole_block(uint64_t block);

/* Lists the block of page `addr` with that one page as its witness (or as HUGE). */
static void put_witness(uint64_t addr, unsigned cat)
{
    uint64_t bstart = addr >> BLOCK_SHIFT << BLOCK_SHIFT;
    if (cat & PTR_PM_HUGE)
        on_region(NULL, bstart, bstart + (1ull << BLOCK_SHIFT), cat);
    else
        on_region(NULL, addr, addr + (1ull << PAGE_SHIFT_4K), cat);
}

/* One witness in [a, b): 1 found, 0 none, -1 unreadable. */
static int find_witness(uint64_t a, uint64_t b, uint64_t *addr, unsigned *cat)
{
    if (a >= b)
        return 0;
    return ptr_pagemap_first(a, b, addr, cat);
}

/*
 * A block the call covers only in part (the call's part is [rs_, re_)): one populated page
 * outside the call's range if there is one (what stays after the release), else one inside
 * (the block was populated before it), else nothing. A HUGE answer lists the block as HUGE.
 * Pages are listed in ascending order, as on_region needs.
 */
static int witness_partial_block(uint64_t block, uint64_t rs_, uint64_t re_)
{
    if (block_lazy(block))
        return capture_whole_block(block);
    uint64_t bstart = block << BLOCK_SHIFT, bend = bstart + (1ull << BLOCK_SHIFT);
    uint64_t a;
    unsigned cat;
    int r = find_witness(bstart, rs_, &a, &cat);
    if (r == 0)
        r = find_witness(re_, bend, &a, &cat);
    if (r == 0)
        r = find_witness(rs_, re_, &a, &cat);
    if (r < 0)
        return -1;
    if (r > 0)
        put_witness(a, cat);
    return 0;
}

/* Blocks [lo, hi) the call covers entirely: one witness per populated block, found by one
 * max_pages = 1 scan from the block start (holes between them are skipped by the kernel). */
static int witness_covered_blocks(uint64_t lo, uint64_t hi)
{
    uint64_t cur = lo << BLOCK_SHIFT, end = hi << BLOCK_SHIFT;
    while (cur < end) {
        uint64_t a;
        unsigned cat;
        int r = find_witness(cur, end, &a, &cat);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        if (block_lazy(a >> BLOCK_SHIFT)) {
            if (capture_whole_block(a >> BLOCK_SHIFT) != 0)
                return -1;
        } else {
            put_witness(a, cat);
        }
        cur = ((a >> BLOCK_SHIFT) + 1) << BLOCK_SHIFT;
        if (rs.oom)
            return -1;
    }
    return 0;
}

/* The release form (see residency.h): witnesses, blocks first_block .. end_block - 1. */
static int capture_witnesses(uint64_t start, uint64_t end, uint64_t first_block, uint64_t end_block)
{
    uint64_t limit = ptr_pagemap_user_limit();
    if (end > limit)
        end = limit; /* nothing above is scannable; the blocks stay unlisted */
    if (start >= end)
        return 0;
    start &= ~((1ull << PAGE_SHIFT_4K) - 1);
    if (end & ((1ull << PAGE_SHIFT_4K) - 1))
        end = (end | ((1ull << PAGE_SHIFT_4K) - 1)) + 1; /* below limit: cannot wrap */
    uint64_t mask = (1ull << BLOCK_SHIFT) - 1;
    uint64_t lo = first_block, hi = end_block; /* blocks covered entirely: [lo, hi) */
    if (start & mask) {
        uint64_t bend = (first_block + 1) << BLOCK_SHIFT;
        if (witness_partial_block(first_block, start, end < bend ? end : bend) != 0)
            return -1;
        lo = first_block + 1;
    }
    int tail_partial = (end & mask) && (end >> BLOCK_SHIFT) >= lo;
    if (tail_partial)
        hi = end >> BLOCK_SHIFT;
    if (hi > lo && witness_covered_blocks(lo, hi) != 0)
        return -1;
    if (tail_partial) {
        uint64_t b = end >> BLOCK_SHIFT;
        if (witness_partial_block(b, b << BLOCK_SHIFT, end) != 0)
            return -1;
    }
    return 0;
}

static int block_lazy(uint64_t block)
{
    if (lazyfree_all)
        return 1;
    if (!lazy_count)
        return 0;
    for (size_t i = 0; i < LAZY_SLOTS; i++) {
        uint64_t k = lazy_blocks[(block * 0x9e3779b97f4a7c15ull + i) & (LAZY_SLOTS - 1)];
        if (k == block + 1)
            return 1;
        if (k == 0)
            return 0;
    }
    return 0;
}

void ptr_residency_note_lazyfree(uint64_t start, uint64_t len)
{
    if (!len || lazyfree_all)
        return;
    uint64_t end = start + len < start ? UINT64_MAX : start + len;
    uint64_t first = start >> BLOCK_SHIFT, last = (end - 1) >> BLOCK_SHIFT;
    if (!lazy_blocks || last - first + 1 > LAZY_SLOTS / 2 - lazy_count) {
        lazyfree_all = 1;
        return;
    }
    for (uint64_t b = first; b <= last; b++) {
        for (size_t i = 0; i < LAZY_SLOTS; i++) {
            uint64_t *slot = &lazy_blocks[(b * 0x9e3779b97f4a7c15ull + i) & (LAZY_SLOTS - 1)];
            if (*slot == b + 1)
                break;
            if (*slot == 0) {
                *slot = b + 1;
                lazy_count++;
                break;
            }
        }
    }
}

/* A block that needs every page (block_lazy) inside a witness capture: walk it whole. On a
 * source restart only this block's runs are dropped (earlier blocks are already encoded). */
static int on_block_region(void *ctx, uint64_t start, uint64_t end, unsigned cat)
{
    if (start == 0 && end == 0) {
        if (rs.cur_valid && rs.cur_block == *(const uint64_t *)ctx) {
            rs.nruns = 0;
            rs.cur_huge = 0;
        }
        return 0;
    }
    return on_region(NULL, start, end, cat);
}

static int capture_whole_block(uint64_t block)
{
    uint64_t bstart = block << BLOCK_SHIFT;
    return ptr_pagemap_walk(bstart, bstart + (1ull << BLOCK_SHIFT), on_block_region, &block) == 0 ? 0 : -1;
}

void ptr_residency_configure(int full, int pagemap_scan)
{
    force_full = full;
    ptr_pagemap_force_source(pagemap_scan ? PTR_PM_SOURCE_NONE : PTR_PM_SOURCE_PREAD);
}

const uint8_t *ptr_residency_capture(uint64_t start, uint64_t end, enum ptr_res_form form,
                                     uint64_t *first, size_t *len)
{
    if (end < start)
        end = start;
    uint64_t first_block = start >> BLOCK_SHIFT;
    /* Blocks enclosing [start, end); an empty range encloses none. */
    uint64_t end_block = end > start ? ((end - 1) >> BLOCK_SHIFT) + 1 : first_block;
    uint64_t nblocks = end_block - first_block;

    if (out_reserve(HEADER_ROOM + BLOCK_MAX_BYTES) != 0)
        return NULL;
    pending_valid = 1;
    pending_first = first_block;
    pending_nblocks = nblocks;
    res_clear(first_block);
    if (nblocks) {
        uint64_t scan_start = first_block << BLOCK_SHIFT;
        uint64_t scan_end = end_block << BLOCK_SHIFT;
        if (end_block > (UINT64_MAX >> BLOCK_SHIFT))
            scan_end = UINT64_MAX & ~((1ull << PAGE_SHIFT_4K) - 1);
        if (form == PTR_RES_RELEASE && !lazyfree_all && !force_full) {
            if (capture_witnesses(start, end, first_block, end_block) != 0)
                return NULL;
        } else if (ptr_pagemap_walk(scan_start, scan_end, on_region, NULL) != 0) {
            return NULL;
        }
        flush_block();
        if (rs.oom)
            return NULL;
    }

    /* first_block is not part of these bytes: the caller writes it as a delta against the
     * call's own first block (it knows the call's fields). */
    uint8_t hdr[HEADER_ROOM];
    size_t h = 0;
    *first = first_block;
    h += ptr_uv_write(hdr + h, nblocks);
    h += ptr_uv_write(hdr + h, rs.nlisted);
    uint8_t *begin = out_buf + HEADER_ROOM - h;
    memcpy(begin, hdr, h);
    *len = h + rs.len;
    return begin;
}

void ptr_residency_reset(void) { ptr_pagemap_reset(); }

int ptr_residency_init(void)
{
    if (cache)
        return 0;

    size_t cache_bytes = CACHE_SLOTS * sizeof *cache, pending_bytes = PENDING_MAX * sizeof *pending;
    void *c = ptr_raw_mmap(NULL, cache_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED)
        return -1;
    void *q = ptr_raw_mmap(NULL, pending_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) {
        ptr_raw_munmap(c, cache_bytes);
        return -1;
    }
    /* Fault every page in now (zero writes), and the residency output buffer too. */
    memset(c, 0, cache_bytes);
    memset(q, 0, pending_bytes);
    cache = c;
    pending = q;
    void *l = ptr_raw_mmap(NULL, LAZY_SLOTS * sizeof *lazy_blocks, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (l == MAP_FAILED)
        return -1;
    memset(l, 0, LAZY_SLOTS * sizeof *lazy_blocks);
    lazy_blocks = l;
    if (out_reserve(HEADER_ROOM + BLOCK_MAX_BYTES) != 0)
        return -1;
    memset(out_buf, 0, out_cap);
    return 0;
}

void ptr_residency_committed(void)
{
    if (!cache)
        return;
    /* Forget every block of the range (the reader does), then store the listed ones. */
    if (pending_nblocks <= CACHE_SLOTS) {
        for (uint64_t b = pending_first; b < pending_first + pending_nblocks; b++)
            if (cache[b & (CACHE_SLOTS - 1)].key == b + 1)
                cache[b & (CACHE_SLOTS - 1)].key = 0;
    } else {
        for (size_t i = 0; i < CACHE_SLOTS; i++)
            if (cache[i].key && cache[i].key - 1 - pending_first < pending_nblocks)
                cache[i].key = 0;
    }
    if (pending_valid)
        for (size_t i = 0; i < npending; i++)
            cache[(pending[i].key - 1) & (CACHE_SLOTS - 1)] = pending[i];
    npending = 0;
}

void ptr_residency_new_file(void)
{
    if (cache)
        memset(cache, 0, CACHE_SLOTS * sizeof *cache);
    npending = 0;
}
