/*
 * gen_trace: write a synthetic ptreclaim trace of N call records, for timing the replay
 * (`ptreclaim report`) on traces far longer than any recorded one.
 *
 *   gen_trace OUT NCALLS [SEED]
 *
 * The mix imitates an allocator that retains address space and purges with madvise (jemalloc's
 * pattern): one 1 GiB anonymous arena receives ~85% of the calls as
 * MADV_DONTNEED (and a few MADV_FREE) of 4 KiB..1 MiB extents and of whole aligned 2 MiB
 * blocks, each with the residency block the recorder would write; ~13% are mmap/munmap of
 * 64 KiB..1 MiB mappings in 64 slots (munmap with residency); threads switch now and then; a
 * snapshot of every mapping with its populated pages follows every 100,000 calls.
 * Addresses stay inside the arena and the slots, so the model's memory is bounded by ~600
 * blocks however long the trace: peak memory must not grow with NCALLS.
 *
 * "Touches" between calls are invisible to a recorder; here they are the pages the generator
 * marks populated before each release, which the residency block and snapshots then report —
 * so the trace is self-consistent, and vmpte_kb in snapshots follows the pt-reclaim rule
 * (a PTE page per block with a populated page since its last whole-block DONTNEED/munmap).
 * Written from ptreclaim_trace.h's layout with Sources/CPTFormat/ptr_codec.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include "ptr_codec.h"
#include "ptreclaim_trace.h"

#define PAGE 4096ull
#define BLOCK (2ull << 20)
#define ARENA 0x7f0000000000ull /* 1 GiB aligned */
#define ARENA_LEN (1ull << 30)
#define ARENA_PAGES (ARENA_LEN / PAGE)
#define ARENA_BLOCKS (ARENA_LEN / BLOCK)
#define SLOTS 64
#define SLOT_BASE 0x7e0000000000ull /* slot i at SLOT_BASE + i * 4 MiB: never adjacent */
#define SLOT_STRIDE (4ull << 20)
#define TEXT 0x400000ull
#define TEXT_LEN (1ull << 20)
#define SNAPSHOT_EVERY 100000
#define NTIDS 4
#define NLEAVES 32 /* call sites: leaves of the stack trie */
#define MADV_FREE_VALUE 8 /* MADV_FREE */

static FILE *out;
static uint8_t buf[1 << 20];
static size_t used;
static uint64_t addr_reg, time_ns = 1000000000ull, last_timed_ns = 1000000000ull;
static int64_t last_stack;
static uint64_t records;

/* Arena population: one bit per page. Slots: populated prefix in pages. */
static uint64_t pop[ARENA_PAGES / 64];
static uint8_t has_pte[ARENA_BLOCKS];
static uint64_t slot_len[SLOTS], slot_touched[SLOTS]; /* len 0 = slot free */
static int slot_pte[SLOTS];

static uint64_t rng_state;
static uint64_t rnd(void) /* xorshift64*: fast, reproducible from the seed */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static uint64_t below(uint64_t n) { return rnd() % n; }

static void flush_if(size_t room)
{
    if (used + room > sizeof buf) {
        fwrite(buf, 1, used, out);
        used = 0;
    }
}
#define W (buf + used)
static void put_u8(uint8_t v) { buf[used++] = v; }
static void uv(uint64_t v) { used = put_uv(W, v) - buf; }
static void sv(int64_t v) { used = put_sv(W, v) - buf; }
static void str(const char *s) { used = put_str(W, s, strlen(s)) - buf; }
static void addr(uint64_t a)
{
    used = put_addr_delta(W, (int64_t)(a - addr_reg)) - buf;
    addr_reg = a;
}
static void len_field(uint64_t n) { used = put_len(W, n) - buf; }
static uint64_t ip_reg;
static void ip(uint64_t a)
{
    sv((int64_t)(a - ip_reg));
    ip_reg = a;
}
static void timed(uint8_t tag)
{
    put_u8(tag);
    uv(time_ns - last_timed_ns);
    last_timed_ns = time_ns;
    records++;
}
static void call_head(uint8_t tag)
{
    flush_if(64 * 1024);
    time_ns += 500 + below(4000);
    timed(tag);
    int64_t stack = 7 + (int64_t)(below(4) ? below(4) : below(NLEAVES)); /* a few hot sites */
    sv(stack - last_stack);
    last_stack = stack;
}

static int popped(uint64_t page) { return (pop[page >> 6] >> (page & 63)) & 1; }
static void set_pop(uint64_t first, uint64_t n, int v)
{
    for (uint64_t p = first; p < first + n; p++) {
        if (v)
            pop[p >> 6] |= 1ull << (p & 63);
        else
            pop[p >> 6] &= ~(1ull << (p & 63));
    }
}

/* Runs of populated arena pages in [first, first+n), written as (gap, npages) pairs. */
static uint64_t arena_runs(uint64_t first, uint64_t n, int write_flags, int dry)
{
    uint64_t nruns = 0, prev_end = first;
    uint64_t end = first + n;
    for (uint64_t p = first; p < end;) {
        if (!popped(p)) {
            p++;
            while (p < end && (p & 63) == 0 && pop[p >> 6] == 0) /* skip empty words */
                p += 64;
            continue;
        }
        uint64_t s = p;
        while (p < end && popped(p)) {
            p++;
            while (p + 64 <= end && (p & 63) == 0 && pop[p >> 6] == ~0ull) /* full words */
                p += 64;
        }
        if (p > end)
            p = end;
        if (!dry) {
            flush_if(32);
            uv(s - prev_end);
            uv(p - s);
            if (write_flags)
                put_u8(0);
        }
        prev_end = p;
        nruns++;
    }
    return nruns;
}

/* The residency block for [a, a+len) in the arena, read before the call. */
static void arena_residency(uint64_t a, uint64_t len)
{
    uint64_t fb = a / BLOCK, lb = (a + len - 1) / BLOCK;
    sv(0); /* first block - the anchor's (a's) block */
    uv(lb - fb + 1);
    uint64_t nlisted = 0;
    for (uint64_t b = fb; b <= lb; b++)
        nlisted += arena_runs((b * BLOCK - ARENA) / PAGE, 512, 0, 1) > 0;
    uv(nlisted);
    uint64_t prev = fb - 1;
    for (uint64_t b = fb; b <= lb; b++) {
        uint64_t first = (b * BLOCK - ARENA) / PAGE;
        uint64_t nruns = arena_runs(first, 512, 0, 1);
        if (!nruns)
            continue;
        uv((b - prev - 1) << 2 | PTR_BLOCK_PTE); /* gap_kind */
        prev = b;
        uv(nruns);
        arena_runs(first, 512, 0, 0);
    }
}

/* The program used [a, a+len) since the last release: mostly all of it, sometimes with holes. */
static void touch_arena(uint64_t first, uint64_t n)
{
    set_pop(first, n, 1);
    if (n > 8 && below(4) == 0)
        set_pop(first + below(n), 1 + below(n / 8), 0);
    for (uint64_t b = first / 512; b <= (first + n - 1) / 512; b++)
        has_pte[b] = 1;
}

static void madvise_arena(void)
{
    uint64_t first, n;
    int advice = below(30) == 0 ? MADV_FREE_VALUE : 4; /* MADV_DONTNEED = 4 */
    uint64_t kind = below(100);
    if (kind < 15) { /* whole aligned blocks, as a purge of a big extent */
        uint64_t nb = 1 + below(3);
        first = below(ARENA_BLOCKS - nb) * 512;
        n = nb * 512;
    } else {
        n = kind < 75 ? 1 + below(16) : 16 + below(240);
        first = below(ARENA_PAGES - n);
    }
    touch_arena(first, n);
    uint64_t a = ARENA + first * PAGE, len = n * PAGE;
    call_head(PTR_REC_MADVISE | PTR_TAG_RESIDENCY);
    addr(a);
    len_field(len);
    uv((uint64_t)advice << 1); /* advice_fn: madvise */
    arena_residency(a, len);
    if (advice == 4) {
        set_pop(first, n, 0);
        /* pt-reclaim: a PTE page goes when one DONTNEED in one VMA covers its whole block. */
        for (uint64_t b = (first + 511) / 512; (b + 1) * 512 <= first + n; b++)
            has_pte[b] = 0;
    }
}


static void mmap_slot(int i)
{
    uint64_t len = (16 + below(241)) * PAGE, a = SLOT_BASE + (uint64_t)i * SLOT_STRIDE;
    call_head(PTR_REC_MMAP);
    uv(0); /* hint */
    len_field(len);
    uv(3);    /* PROT_READ|PROT_WRITE */
    uv(0x22 << 1); /* MAP_PRIVATE|MAP_ANONYMOUS */ /* flags_fn: mmap */
    sv(-1);
    uv(0);
    addr(a);
    slot_len[i] = len;
    slot_touched[i] = 1 + below(len / PAGE); /* pages used before the munmap */
    slot_pte[i] = 1;
}

static void munmap_slot(int i)
{
    uint64_t a = SLOT_BASE + (uint64_t)i * SLOT_STRIDE;
    call_head(PTR_REC_MUNMAP | PTR_TAG_RESIDENCY);
    addr(a);
    len_field(slot_len[i]);
    sv(0); /* first block: the anchor's */
    uv(1);
    uv(1);
    uv(0 << 2 | PTR_BLOCK_PTE); /* gap_kind */
    uv(1);
    uv(0);
    uv(slot_touched[i]);
    slot_len[i] = 0;
    slot_pte[i] = 0; /* free_pgtables: the block lies between its neighbours */
}

static uint64_t vmpte_kb(void)
{
    uint64_t pte = 1; /* text */
    for (uint64_t b = 0; b < ARENA_BLOCKS; b++)
        pte += has_pte[b];
    for (int i = 0; i < SLOTS; i++)
        pte += slot_pte[i];
    return 4 * (pte + 3 + 3); /* + PMD and PUD pages of text, slots, arena */
}

static void snapshot(uint64_t seq, int reason, int with_arena)
{
    flush_if(64 * 1024);
    uint64_t nmaps = 1 + (with_arena ? 1 : 0);
    for (int i = 0; i < SLOTS; i++)
        nmaps += slot_len[i] != 0;
    uint64_t kb = vmpte_kb();
    time_ns += 20000;
    timed(PTR_REC_SNAPSHOT);
    uv(seq);
    uv((uint64_t)reason);
    uv(kb);
    uv(kb * 50);
    uv(nmaps);
    /* In address order, as /proc/self/maps lists them. */
    put_u8(PTR_REC_MAP);
    addr(TEXT);
    len_field(TEXT_LEN);
    uv(PTR_PERM_READ | PTR_PERM_EXEC);
    uv(0);
    uv(1);
    uv(1);
    uv(0);
    uv(TEXT_LEN / PAGE);
    put_u8(0);
    records++;
    for (int i = 0; i < SLOTS; i++) {
        if (!slot_len[i])
            continue;
        flush_if(64);
        put_u8(PTR_REC_MAP);
        addr(SLOT_BASE + (uint64_t)i * SLOT_STRIDE);
        len_field(slot_len[i]);
        uv(PTR_PERM_READ | PTR_PERM_WRITE);
        uv(0);
        uv(0);
        uv(1);
        uv(0);
        uv(slot_touched[i]);
        put_u8(0);
        records++;
    }
    if (with_arena) {
        put_u8(PTR_REC_MAP);
        addr(ARENA);
        len_field(ARENA_LEN);
        uv(PTR_PERM_READ | PTR_PERM_WRITE);
        uv(0);
        uv(0);
        uv(arena_runs(0, ARENA_PAGES, 1, 1));
        arena_runs(0, ARENA_PAGES, 1, 0);
        records++;
    }
    flush_if(32);
    put_u8(PTR_REC_SNAPSHOT_END);
    uv(kb);
    uv(kb * 50);
    records++;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen_trace OUT NCALLS [SEED]\n");
        return 1;
    }
    uint64_t ncalls = strtoull(argv[2], NULL, 10);
    rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) | 1 : 0x9e3779b97f4a7c15ull;
    out = fopen(argv[1], "wbx"); /* never overwrite: bench/run.sh removes old files itself */
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    struct utsname u;
    uname(&u);
    memcpy(buf, PTR_MAGIC, PTR_MAGIC_LEN);
    buf[8] = PTR_FORMAT_VERSION;
    buf[9] = buf[10] = buf[11] = 0;
    used = PTR_FILE_HEADER_LEN;

    const char *kv[][2] = {
        {"version", "1"}, {"pointer_size", "8"}, {"page_size", "4096"}, {"pid", "4242"},
        {"ppid", "1"}, {"exe", "/bench/synthetic"}, {"argv", "synthetic"},
        {"kernel", u.release}, {"thp", "madvise"}, {"realtime_start_ns", "1764000000000000000"},
        {"mono_start_ns", "1000000000"}, {"options", "synthetic=1;interval_ms=100"},
        {"kernel_policy", "pt-reclaim"}, {"probe", "synthetic"}, {"origin", "start"},
    };
    put_u8(PTR_REC_HEADER);
    uv(sizeof kv / sizeof kv[0]);
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        str(kv[i][0]);
        str(kv[i][1]);
    }
    records++;
    put_u8(PTR_REC_THREAD);
    uv(4242);
    records++;
    /* Stack trie: a chain of 6 frames (nodes 1-6), then NLEAVES call sites under node 6. */
    for (int i = 1; i <= 6 + NLEAVES; i++) {
        put_u8(PTR_REC_STACK);
        ip(TEXT + 0x1000 + (uint64_t)i * 0x40);
        uv(i <= 6 ? (uint64_t)(i - 1) : 6);
        records++;
    }
    put_u8(PTR_REC_PATH);
    uv(1);
    str("/bench/synthetic");
    records++;
    snapshot(0, PTR_SNAP_START, 0);

    /* The arena: mapped once, then purged over and over (never unmapped). */
    call_head(PTR_REC_MMAP);
    uv(0); /* hint */
    len_field(ARENA_LEN);
    uv(3);
    uv(0x22 << 1); /* flags_fn: mmap */
    sv(-1);
    uv(0);
    addr(ARENA);

    uint64_t seq = 1, tid = 0;
    for (uint64_t i = 1; i < ncalls; i++) {
        if (below(50) == 0) {
            tid = (tid + 1 + below(NTIDS - 1)) % NTIDS;
            put_u8(PTR_REC_THREAD);
            uv(4242 + tid);
            records++;
        }
        uint64_t k = below(100);
        int slot = (int)below(SLOTS);
        if (k < 13 && slot_len[slot])
            munmap_slot(slot);
        else if (k < 13)
            mmap_slot(slot);
        else
            madvise_arena();
        if (i % SNAPSHOT_EVERY == 0)
            snapshot(seq++, PTR_SNAP_PERIODIC, 1);
    }
    snapshot(seq, PTR_SNAP_EXIT, 1);
    flush_if(64);
    time_ns += 1000;
    uint64_t written = records; /* records_written excludes the trailer itself */
    timed(PTR_REC_TRAILER);
    uv(written);
    uv(0);
    uv(PTR_EXIT_ATEXIT);
    sv(0);
    fwrite(buf, 1, used, out);
    if (fclose(out) != 0) {
        perror(argv[1]);
        return 1;
    }
    fprintf(stderr, "gen_trace: %s: %llu calls, %llu records, %llu snapshots\n", argv[1],
            (unsigned long long)ncalls, (unsigned long long)records, (unsigned long long)seq + 1);
    return 0;
}
