/*
 * Unit harness for the recorder's kernel-facing parts (residency.c, snapshot.c, probe.c,
 * pagemap.c), checked against the REAL kernel: known page patterns are made with mmap and
 * touches, then the encoded bytes are decoded and compared exactly.
 *
 * Build and run (what run.sh does):
 *   cc -O2 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
 *      -ISources/CPTFormat/include -ISources/recorder -ITests/recorder-unit \
 *      -o /tmp/ptr-recorder-unit Tests/recorder-unit/recorder_unit_test.c \
 *      Tests/recorder-unit/test_encoder.c Sources/recorder/pagemap.c \
 *      Sources/recorder/residency.c Sources/recorder/snapshot.c Sources/recorder/probe.c
 *   /tmp/ptr-recorder-unit            (add --bench for the cost figures)
 */
#include "ptr_codec.h"
#include "pagemap.h"
#include "probe.h"
#include "ptreclaim_trace.h"
#include "residency.h"
#include "snapshot.h"
#include "test_encoder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ull
#define BLOCK (2ull << 20)
#define PPB 512

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

static int failures;
static int checks;

#define CHECK(cond, ...)                                                                    \
    do {                                                                                    \
        checks++;                                                                           \
        if (!(cond)) {                                                                      \
            failures++;                                                                     \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                     \
            printf(__VA_ARGS__);                                                            \
            printf("\n");                                                                   \
        }                                                                                   \
    } while (0)

/* ---- decoding -------------------------------------------------------------------------- */

/* The decoding primitives (struct cursor, get_uv, get_u8) come from Sources/CPTFormat/ptr_codec.h,
 * the format's own codec next to its header, shared with the bench tools: both check the format from its description, not from the encoder. */

/* zigzag decoding of an already-read value (the page count of a paged addr) */
static int64_t get_sv_of(uint64_t u) { return unzigzag(u); }

/* A decoded residency block: per block of the enclosing range, a 512-page map. */
#define MAX_BLOCKS 1024
struct residency {
    uint64_t first_block, nblocks, nlisted;
    uint64_t listed_block[MAX_BLOCKS];
    int kind[MAX_BLOCKS];
    unsigned char pages[MAX_BLOCKS][PPB];
    unsigned nruns[MAX_BLOCKS];
};

static struct residency R;

/* `first`: the first block, which ptr_residency_capture returns apart (the call record writes
 * it as a delta against the call's anchor). */
static int decode_residency(const uint8_t *buf, size_t len, uint64_t first, struct residency *r)
{
    struct cursor c = {buf, buf + len, 0};
    memset(r, 0, sizeof *r);
    r->first_block = first;
    r->nblocks = get_uv(&c);
    r->nlisted = get_uv(&c);
    if (r->nlisted > MAX_BLOCKS)
        return -1;
    uint64_t prev = 0;
    for (uint64_t i = 0; i < r->nlisted; i++) {
        uint64_t gap_kind = get_uv(&c);
        uint64_t gap = gap_kind >> 2;
        uint64_t b = i == 0 ? r->first_block + gap : prev + 1 + gap;
        prev = b;
        r->listed_block[i] = b;
        r->kind[i] = (int)(gap_kind & 3);
        if (r->kind[i] == PTR_BLOCK_BITMAP) {
            /* A PTE block as 64 bytes of bitmap: decode to pages and count its runs, so the
             * checks below see a PTE block either way. */
            r->kind[i] = PTR_BLOCK_PTE;
            for (unsigned q = 0; q < PPB; q++) {
                uint8_t byte = (uint8_t)(c.p + q / 8 < c.end ? c.p[q / 8] : 0);
                r->pages[i][q] = (byte >> (q % 8)) & 1;
                if (r->pages[i][q] && (q == 0 || !r->pages[i][q - 1]))
                    r->nruns[i]++;
            }
            if (c.end - c.p < 64)
                return -5;
            c.p += 64;
        } else if (r->kind[i] == PTR_BLOCK_PTE) {
            uint64_t n = get_uv(&c);
            r->nruns[i] = (unsigned)n;
            uint64_t end = 0;
            for (uint64_t k = 0; k < n; k++) {
                uint64_t s = end + get_uv(&c);
                uint64_t np = get_uv(&c);
                if (np == 0 || s + np > PPB || (k > 0 && s == end))
                    return -2; /* empty, out of block, or touching the previous run */
                for (uint64_t q = s; q < s + np; q++)
                    r->pages[i][q] = 1;
                end = s + np;
            }
        } else if (r->kind[i] != PTR_BLOCK_HUGE) {
            return -3;
        }
        if (b >= r->first_block + r->nblocks)
            return -4;
    }
    if (c.bad)
        return -5;
    if (c.p != c.end)
        return -6;
    return 0;
}

static int listed_index(const struct residency *r, uint64_t block)
{
    for (uint64_t i = 0; i < r->nlisted; i++)
        if (r->listed_block[i] == block)
            return (int)i;
    return -1;
}

/* ---- helpers --------------------------------------------------------------------------- */

static void *map_aligned(size_t len, size_t align)
{
    uint8_t *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    uint8_t *a = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    size_t tail = (size_t)((p + len + align) - (a + len));
    if (tail)
        munmap(a + len, tail);
    return a;
}

/* AnonHugePages (kB) of the smaps entry containing addr; -1 when not found. */
static long anon_huge_kb(void *addr)
{
    static char buf[1 << 22];
    int fd = open("/proc/self/smaps", O_RDONLY);
    if (fd < 0)
        return -1;
    size_t len = 0;
    ssize_t r;
    while ((r = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)r;
    close(fd);
    buf[len] = 0;
    uintptr_t a = (uintptr_t)addr;
    int inside = 0;
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        unsigned long s, e;
        if (sscanf(line, "%lx-%lx ", &s, &e) == 2)
            inside = a >= s && a < e;
        else if (inside && strncmp(line, "AnonHugePages:", 14) == 0)
            return strtol(line + 14, NULL, 10);
        line = nl ? nl + 1 : NULL;
    }
    return -1;
}

static const char *source_name(enum ptr_pm_source s)
{
    switch (s) {
    case PTR_PM_SOURCE_SCAN: return "PAGEMAP_SCAN";
    case PTR_PM_SOURCE_PREAD: return "pread";
    case PTR_PM_SOURCE_MINCORE: return "mincore";
    default: return "none";
    }
}

/* ---- residency ------------------------------------------------------------------------- */

/*
 * Region of 5 blocks: A every 4th page, B all, C nothing, D a THP when the kernel gives one
 * (MADV_HUGEPAGE), E one page at 511. A..C and E are MADV_NOHUGEPAGE.
 */
static uint8_t *region;
static int have_thp;

static void make_region(void)
{
    region = map_aligned(5 * BLOCK, BLOCK);
    madvise(region, 5 * BLOCK, MADV_NOHUGEPAGE);
    madvise(region + 3 * BLOCK, BLOCK, MADV_HUGEPAGE);
    for (int i = 0; i < PPB; i += 4)
        region[i * PAGE] = 1;
    memset(region + BLOCK, 2, BLOCK);
    memset(region + 3 * BLOCK, 3, BLOCK);
    region[4 * BLOCK + 511 * PAGE] = 4;
    have_thp = anon_huge_kb(region + 3 * BLOCK) >= 2048;
    printf("region at %p; THP for block D: %s\n", (void *)region, have_thp ? "yes" : "no");
}

/* Checks R against the region's known pattern; huge_expected: D must be HUGE (else 512 run). */
static void check_region_residency(const char *what, int huge_expected)
{
    uint64_t a = (uint64_t)(uintptr_t)region >> 21;
    CHECK(R.first_block == a, "%s: first_block %llu != %llu", what,
          (unsigned long long)R.first_block, (unsigned long long)a);
    CHECK(R.nblocks == 5, "%s: nblocks %llu", what, (unsigned long long)R.nblocks);
    CHECK(R.nlisted == 4, "%s: nlisted %llu (A, B, D, E expected)", what,
          (unsigned long long)R.nlisted);
    int ia = listed_index(&R, a), ib = listed_index(&R, a + 1), ic = listed_index(&R, a + 2);
    int id = listed_index(&R, a + 3), ie = listed_index(&R, a + 4);
    CHECK(ia >= 0 && ib >= 0 && ic < 0 && id >= 0 && ie >= 0, "%s: listed A%d B%d C%d D%d E%d",
          what, ia, ib, ic, id, ie);
    if (ia >= 0) {
        int ok = R.kind[ia] == PTR_BLOCK_PTE && R.nruns[ia] == 128;
        for (int p = 0; p < PPB; p++)
            ok &= R.pages[ia][p] == (p % 4 == 0);
        CHECK(ok, "%s: block A must be 128 single-page runs at every 4th page", what);
    }
    if (ib >= 0) {
        int ok = R.kind[ib] == PTR_BLOCK_PTE && R.nruns[ib] == 1;
        for (int p = 0; p < PPB; p++)
            ok &= R.pages[ib][p] == 1;
        CHECK(ok, "%s: block B must be one run of 512 pages", what);
    }
    if (id >= 0) {
        if (huge_expected) {
            CHECK(R.kind[id] == PTR_BLOCK_HUGE, "%s: block D must be HUGE (kind %d)", what,
                  R.kind[id]);
        } else {
            int ok = R.kind[id] == PTR_BLOCK_PTE && R.nruns[id] == 1;
            for (int p = 0; p < PPB; p++)
                ok &= R.pages[id][p] == 1;
            CHECK(ok, "%s: block D must be one run of 512 pages (kind %d)", what, R.kind[id]);
        }
    }
    if (ie >= 0) {
        int ok = R.kind[ie] == PTR_BLOCK_PTE && R.nruns[ie] == 1 && R.pages[ie][511] == 1;
        CHECK(ok, "%s: block E must be page 511 only", what);
    }
}

static int capture(uint64_t start, uint64_t end, const char *what)
{
    size_t len = 0;
    uint64_t first = 0;
    const uint8_t *b = ptr_residency_capture(start, end, PTR_RES_FULL, &first, &len);
    CHECK(b != NULL, "%s: capture returned NULL", what);
    if (!b)
        return -1;
    int d = decode_residency(b, len, first, &R);
    CHECK(d == 0, "%s: residency block does not decode (%d)", what, d);
    return d;
}

static void test_residency(void)
{
    uint64_t s = (uint64_t)(uintptr_t)region;
    /* An unaligned range inside A..E encloses the same five blocks. */
    if (capture(s + 3 * PAGE, s + 5 * BLOCK - 5, "scan") == 0)
        check_region_residency("PAGEMAP_SCAN", have_thp);
    CHECK(ptr_pagemap_last_source() == PTR_PM_SOURCE_SCAN, "source was %s, not PAGEMAP_SCAN",
          source_name(ptr_pagemap_last_source()));

    /* One block, one page of range. */
    if (capture(s + BLOCK + 7 * PAGE, s + BLOCK + 8 * PAGE, "one page") == 0) {
        CHECK(R.first_block == (s >> 21) + 1 && R.nblocks == 1 && R.nlisted == 1 &&
                  R.listed_block[0] == (s >> 21) + 1 && R.nruns[0] == 1,
              "one page of B: block B, listed, one run");
    }
    /* Block C alone: enclosing one block, nothing listed. */
    if (capture(s + 2 * BLOCK, s + 3 * BLOCK, "empty C") == 0)
        CHECK(R.nblocks == 1 && R.nlisted == 0, "block C: 1 block, none listed (got %llu)",
              (unsigned long long)R.nlisted);
    /* Empty range: no blocks. */
    if (capture(s + 5, s + 5, "empty range") == 0)
        CHECK(R.nblocks == 0 && R.nlisted == 0, "empty range encloses no block");
    /* A hole (1 GiB reserved PROT_NONE then unmapped) and the reservation itself: nothing. */
    uint8_t *hole = map_aligned(1ull << 30, BLOCK);
    mprotect(hole, 1ull << 30, PROT_NONE);
    uint64_t h = (uint64_t)(uintptr_t)hole;
    if (capture(h, h + (1ull << 30), "PROT_NONE reservation") == 0)
        CHECK(R.nblocks == 512 && R.nlisted == 0, "PROT_NONE 1 GiB: 512 blocks, none listed");
    munmap(hole, 1ull << 30);
    if (capture(h, h + (1ull << 30), "unmapped") == 0)
        CHECK(R.nblocks == 512 && R.nlisted == 0, "unmapped 1 GiB: 512 blocks, none listed");

    /* The slower sources must agree (they cannot see PMD mappings: D is a 512-page run). */
    ptr_pagemap_force_source(PTR_PM_SOURCE_PREAD);
    if (capture(s, s + 5 * BLOCK, "pread") == 0)
        check_region_residency("pread", 0);
    CHECK(ptr_pagemap_last_source() == PTR_PM_SOURCE_PREAD, "source was %s, not pread",
          source_name(ptr_pagemap_last_source()));
    ptr_pagemap_force_source(PTR_PM_SOURCE_MINCORE);
    if (capture(s, s + 5 * BLOCK, "mincore") == 0)
        check_region_residency("mincore", 0);
    CHECK(ptr_pagemap_last_source() == PTR_PM_SOURCE_MINCORE, "source was %s, not mincore",
          source_name(ptr_pagemap_last_source()));
    ptr_pagemap_force_source(PTR_PM_SOURCE_NONE);
}

/* A 1 GiB mapping with one page touched in 3 blocks. */
static uint8_t *sparse;

/* Release captures (PTR_RES_RELEASE): one witness page per populated block, outside the
 * call's range when the block has a populated page there, else inside it; blocks with no
 * populated page unlisted. Each position in a block, neighbours populated or not, through
 * PAGEMAP_SCAN and through pread (the pre-6.7 path). */
static void test_witnesses(void)
{
    static const struct {
        const char *name;
        uint64_t off, len; /* in a 3-block region */
    } pos[] = {
        {"covering", BLOCK, BLOCK},
        {"head", BLOCK, 128 * PAGE},
        {"tail", 2 * BLOCK - 128 * PAGE, 128 * PAGE},
        {"middle", BLOCK + 192 * PAGE, 128 * PAGE},
        {"spanning", BLOCK / 2, BLOCK},
    };
    uint8_t *m = map_aligned(3 * BLOCK, BLOCK);
    madvise(m, 3 * BLOCK, MADV_NOHUGEPAGE);
    uint64_t base = (uint64_t)(uintptr_t)m;
    for (int src = 0; src < 2; src++) {
        ptr_pagemap_force_source(src ? PTR_PM_SOURCE_PREAD : PTR_PM_SOURCE_NONE);
        for (size_t k = 0; k < sizeof pos / sizeof pos[0]; k++)
            for (int full = 0; full < 2; full++) {
                madvise(m, 3 * BLOCK, MADV_DONTNEED);
                if (full)
                    memset(m, 1, 3 * BLOCK);
                else
                    memset(m + pos[k].off, 1, pos[k].len);
                uint64_t s = base + pos[k].off, e = s + pos[k].len;
                size_t len = 0;
                uint64_t first = 0;
                const uint8_t *b = ptr_residency_capture(s, e, PTR_RES_RELEASE, &first, &len);
                const char *sn = src ? "pread" : "scan";
                CHECK(b && decode_residency(b, len, first, &R) == 0, "witness %s %s: capture", pos[k].name, sn);
                if (!b)
                    continue;
                uint64_t nb = ((e - 1) >> 21) - (s >> 21) + 1;
                CHECK(R.nblocks == nb && R.nlisted == nb, "witness %s %s %s: %llu of %llu blocks listed",
                      pos[k].name, full ? "full" : "empty", sn, (unsigned long long)R.nlisted,
                      (unsigned long long)nb);
                for (uint64_t i = 0; i < R.nlisted && i < nb; i++) {
                    uint64_t bs = R.listed_block[i] << 21;
                    unsigned npages = 0, where = 0;
                    for (unsigned q = 0; q < PPB; q++)
                        if (R.pages[i][q]) {
                            npages++;
                            where = q;
                        }
                    uint64_t a = bs + (uint64_t)where * PAGE;
                    int inside = a >= s && a < e;
                    int covered = s <= bs && e >= bs + BLOCK;
                    /* Outside the range when the neighbours are populated and the block is not
                     * covered; inside otherwise. */
                    int want_inside = covered || !full;
                    CHECK(R.kind[i] == PTR_BLOCK_PTE && npages == 1 && inside == want_inside,
                          "witness %s %s %s: block %llu lists %u pages, witness %s the range",
                          pos[k].name, full ? "full" : "empty", sn, (unsigned long long)i, npages,
                          inside ? "inside" : "outside");
                }
                /* Nothing populated: nothing listed. */
                madvise(m, 3 * BLOCK, MADV_DONTNEED);
                b = ptr_residency_capture(s, e, PTR_RES_RELEASE, &first, &len);
                CHECK(b && decode_residency(b, len, first, &R) == 0 && R.nlisted == 0,
                      "witness %s %s: empty blocks unlisted", pos[k].name, sn);
            }
    }
    ptr_pagemap_force_source(PTR_PM_SOURCE_NONE);
    /* A THP block (D of the shared region): a release of 64 KiB in it lists it HUGE. */
    if (have_thp) {
        uint64_t d = (uint64_t)(uintptr_t)region + 3 * BLOCK;
        size_t hl = 0;
        uint64_t hf = 0;
        const uint8_t *hb = ptr_residency_capture(d + 16 * PAGE, d + 32 * PAGE, PTR_RES_RELEASE, &hf, &hl);
        CHECK(hb && decode_residency(hb, hl, hf, &R) == 0 && R.nlisted == 1 && R.kind[0] == PTR_BLOCK_HUGE,
              "witness: a release inside a THP block lists it HUGE");
    }
    /* A block the program called MADV_FREE on is listed whole; its neighbours keep witnesses. */
    memset(m, 1, 3 * BLOCK);
    CHECK(ptr_residency_init() == 0, "ptr_residency_init (the MADV_FREE block set)");
    ptr_residency_note_lazyfree(base + BLOCK + PAGE, PAGE);
    size_t len = 0;
    uint64_t first = 0;
    const uint8_t *b = ptr_residency_capture(base + BLOCK / 2, base + 3 * BLOCK - PAGE, PTR_RES_RELEASE, &first, &len);
    if (b && decode_residency(b, len, first, &R) == 0 && R.nlisted == 3) {
        unsigned n[3] = {0, 0, 0};
        for (int i = 0; i < 3; i++)
            for (unsigned q = 0; q < PPB; q++)
                n[i] += R.pages[i][q];
        CHECK(n[0] == 1 && n[1] == 512 && n[2] == 1, "lazyfree block listed whole, neighbours by witness (%u, %u, %u pages)",
              n[0], n[1], n[2]);
    } else {
        CHECK(0, "lazyfree block: capture of 3 blocks");
    }
    munmap(m, 3 * BLOCK);
}

static void test_sparse(void)
{
    sparse = map_aligned(1ull << 30, BLOCK);
    madvise(sparse, 1ull << 30, MADV_NOHUGEPAGE);
    sparse[0] = 1;
    sparse[100 * BLOCK + 17 * PAGE] = 1;
    sparse[511 * BLOCK + 511 * PAGE] = 1;
    uint64_t s = (uint64_t)(uintptr_t)sparse;
    if (capture(s, s + (1ull << 30), "sparse") == 0) {
        uint64_t b = s >> 21;
        CHECK(R.nblocks == 512 && R.nlisted == 3, "sparse: 512 blocks, 3 listed (got %llu)",
              (unsigned long long)R.nlisted);
        CHECK(R.nlisted == 3 && R.listed_block[0] == b && R.listed_block[1] == b + 100 &&
                  R.listed_block[2] == b + 511 && R.pages[0][0] && R.pages[1][17] &&
                  R.pages[2][511] && R.nruns[0] == 1 && R.nruns[1] == 1 && R.nruns[2] == 1,
              "sparse: blocks 0/100/511 with pages 0/17/511");
    }
}

static uint64_t probe_addr, probe_map_start, path_defined_count;
static int probe_nruns;
static struct {
    uint64_t gap, npages;
    int flags;
} probe_runs[1024];
static int decode_trace(int *npath_records);

/* More runs than one PAGEMAP_SCAN output vector holds: the walk continues at walk_end. */
static void test_batching(void)
{
    uint8_t *m = map_aligned(4 * BLOCK, BLOCK);
    madvise(m, 4 * BLOCK, MADV_NOHUGEPAGE);
    for (int i = 0; i < 4 * PPB; i += 2)
        m[i * PAGE] = 1;
    uint64_t s = (uint64_t)(uintptr_t)m;
    if (capture(s, s + 4 * BLOCK, "batching") == 0) {
        int ok = R.nlisted == 4;
        for (int b = 0; ok && b < 4; b++) {
            ok = R.kind[b] == PTR_BLOCK_PTE && R.nruns[b] == 256;
            for (int p = 0; ok && p < PPB; p++)
                ok = R.pages[b][p] == (p % 2 == 0);
        }
        CHECK(ok, "1024 single-page runs over 4 blocks (4 ioctl batches) decode exactly");
    }
    /* A snapshot of it must list 1024 runs for that mapping. */
    test_encoder_reset();
    ptr_snapshot_reset();
    ptr_snapshot_write(PTR_SNAP_PERIODIC);
    probe_addr = s;
    path_defined_count = 0;
    int np = 0, d = decode_trace(&np);
    int ok = d == 0 && probe_map_start == s && probe_nruns == 1024;
    for (int k = 0; ok && k < 1024; k++)
        ok = probe_runs[k].gap == (k ? 1 : 0) && probe_runs[k].npages == 1;
    CHECK(ok, "snapshot of the 1024-run mapping: every run (decode %d, %d runs)", d,
          probe_nruns);
    munmap(m, 4 * BLOCK);
    uint64_t lim = ptr_pagemap_user_limit();
    CHECK(lim == (1ull << 47) - PAGE || lim == (1ull << 56) - PAGE, "user limit %#llx",
          (unsigned long long)lim);
}

/* Descriptor robustness: closed, dup2'd over (twice), forked. */
static void test_descriptor_robustness(void)
{
    uint64_t s = (uint64_t)(uintptr_t)region;
    /* The daemon way: close everything at and above our floor. */
    for (int fd = 500; fd < 1100; fd++)
        close(fd);
    if (capture(s, s + 5 * BLOCK, "after close") == 0)
        check_region_residency("after closing every fd >= 500", have_thp);

    /* dup2 /dev/null over every descriptor from 3 to 1100: ours must be reopened elsewhere,
     * theirs must stay open. */
    int devnull = open("/dev/null", O_RDONLY);
    int first_free = -1;
    for (int fd = 500; fd < 1100; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            dup2(devnull, fd);
    (void)first_free;
    int ours = -1;
    for (int fd = 500; fd < 1100; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            ours = fd;
    CHECK(ours >= 500, "a pagemap descriptor >= 500 must exist before dup2 (got %d)", ours);
    if (capture(s, s + 5 * BLOCK, "after dup2 /dev/null") == 0)
        check_region_residency("after dup2 of /dev/null over our fd", have_thp);
    CHECK(fcntl(ours, F_GETFD) >= 0, "the program's dup2'd descriptor must stay open");

    /* A regular file over it, with the pread source (reads would succeed with garbage). */
    ptr_pagemap_force_source(PTR_PM_SOURCE_PREAD);
    if (capture(s, s + 5 * BLOCK, "pread before dup2 file") == 0)
        check_region_residency("pread", 0);
    char tmpl[] = "/tmp/ptr-unit-XXXXXX";
    int tf = mkstemp(tmpl);
    static uint64_t garbage[4096];
    memset(garbage, 0xff, sizeof garbage);
    if (tf >= 0) {
        for (int i = 0; i < 64; i++)
            if (write(tf, garbage, sizeof garbage) < 0)
                break;
        unlink(tmpl);
        for (int fd = 500; fd < 1100; fd++) {
            int fl = fcntl(fd, F_GETFD);
            if (fl >= 0 && (fl & FD_CLOEXEC))
                dup2(tf, fd); /* our descriptor is the only CLOEXEC one up there */
        }
        if (capture(s, s + 5 * BLOCK, "pread after dup2 file") == 0)
            check_region_residency("pread after dup2 of a regular file over our fd", 0);
        close(tf);
    }
    ptr_pagemap_force_source(PTR_PM_SOURCE_NONE);
    close(devnull);

    /* fork: the child must read its own mm, not the parent's (a pagemap fd is bound to one
     * mm). The child touches block C; the parent must not see it, the child must. */
    (void)capture(s, s + BLOCK, "warm the descriptor");
    pid_t pid = fork();
    if (pid == 0) {
        region[2 * BLOCK + 5 * PAGE] = 9;
        size_t len = 0;
        uint64_t first = 0;
        const uint8_t *b = ptr_residency_capture(s + 2 * BLOCK, s + 3 * BLOCK, PTR_RES_FULL, &first, &len);
        int ok = b && decode_residency(b, len, first, &R) == 0 && R.nlisted == 1 && R.pages[0][5] &&
                 R.nruns[0] == 1;
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "forked child must see its own touch in C");
    if (capture(s + 2 * BLOCK, s + 3 * BLOCK, "parent after fork") == 0)
        CHECK(R.nlisted == 0, "parent must not see the child's touch");
}

/* Categories per page of one block, straight from pagemap.c. */
static unsigned page_cat[PPB];
static uint64_t cat_base;
static int on_cat(void *ctx, uint64_t start, uint64_t end, unsigned cat)
{
    if (start == 0 && end == 0) {
        memset(page_cat, 0, sizeof page_cat);
        return 0;
    }
    for (uint64_t a = start; a < end; a += PAGE)
        page_cat[(a - cat_base) / PAGE] = cat;
    return 0;
}

static void walk_categories(uint64_t base, enum ptr_pm_source src)
{
    memset(page_cat, 0, sizeof page_cat);
    cat_base = base;
    ptr_pagemap_force_source(src);
    ptr_pagemap_walk(base, base + BLOCK, on_cat, NULL);
    ptr_pagemap_force_source(PTR_PM_SOURCE_NONE);
}

/* What pagemap reports for entries that are neither present nor swapped pages. */
static void test_markers(void)
{
    uint8_t *g = map_aligned(BLOCK, BLOCK);
    madvise(g, BLOCK, MADV_NOHUGEPAGE);
    g[0] = 1;
    int guard = madvise(g + 8 * PAGE, 2 * PAGE, MADV_GUARD_INSTALL);
    g[16 * PAGE] = 1;
    mprotect(g + 16 * PAGE, PAGE, PROT_NONE); /* a PROT_NONE pte stays non-none */
    uint64_t s = (uint64_t)(uintptr_t)g;
    if (capture(s, s + BLOCK, "markers") == 0) {
        CHECK(R.nlisted == 1 && R.pages[0][0], "markers: page 0 populated");
        CHECK(R.nlisted == 1 && R.pages[0][16], "a touched PROT_NONE page is populated");
        if (guard == 0)
            CHECK(R.nlisted == 1 && R.pages[0][8] && R.pages[0][9] && !R.pages[0][10],
                  "guard markers are non-none entries: expected reported (as swap entries)");
    }
    walk_categories(s, PTR_PM_SOURCE_NONE);
    unsigned scan_guard = page_cat[8], scan_protnone = page_cat[16];
    walk_categories(s, PTR_PM_SOURCE_PREAD);
    printf("info: guard marker (%s): PAGEMAP_SCAN categories %#x, pagemap entry %s; "
           "PROT_NONE page: %#x\n",
           guard == 0 ? "installed" : strerror(errno), scan_guard,
           page_cat[8] == PTR_PM_SWAPPED ? "swapped" : page_cat[8] ? "present" : "none",
           scan_protnone);
    if (guard == 0)
        CHECK(scan_guard == PTR_PM_SWAPPED, "guard marker reads as a swap entry (%#x)",
              scan_guard);
    /* MADV_DONTNEED keeps guard markers (they make the block ineligible for pt-reclaim). */
    madvise(g, BLOCK, MADV_DONTNEED);
    if (capture(s, s + BLOCK, "markers after DONTNEED") == 0 && guard == 0)
        CHECK(R.nlisted == 1 && R.nruns[0] == 1 && R.pages[0][8] && R.pages[0][9] &&
                  !R.pages[0][0] && !R.pages[0][16],
              "after DONTNEED only the guard markers remain");
    /* Zero-page mapping: read-only fault of anonymous memory maps the shared zero page. */
    volatile uint8_t sink = g[100 * PAGE];
    (void)sink;
    if (capture(s, s + BLOCK, "zero page") == 0)
        CHECK(R.pages[0][100], "a zero-page mapping is a present entry");
    munmap(g, BLOCK);
}

/* ---- snapshots ------------------------------------------------------------------------- */

#define MAX_MAPS 4096
struct smap {
    uint64_t start, len, perms, offset, path_id, nruns;
    char path[512];
    int seen;
};
static struct smap snap_maps[MAX_MAPS];
static int snap_nmaps;
static char path_names[8192][256];
static uint64_t snap_pte0, snap_rss0, snap_pte1, snap_rss1, snap_seq, snap_reason;

/* Decodes the whole test trace: PATH*, SNAPSHOT, MAP*, SNAPSHOT_END (possibly several). Keeps
 * the last snapshot. `region_runs` receives the runs of the MAP containing `probe_addr`. */

static int decode_trace(int *npath_records)
{
    struct cursor c = {test_trace, test_trace + test_trace_len, 0};
    uint64_t addr_reg = 0;
    *npath_records = 0;
    while (c.p < c.end) {
        uint8_t tag = get_u8(&c);
        switch (tag) {
        case PTR_REC_PATH: {
            uint64_t id = get_uv(&c);
            uint64_t len = get_uv(&c);
            if (id != path_defined_count + 1 || len >= 256 || id >= 8192)
                return -10; /* ids must count 1, 2, 3 in file order */
            memcpy(path_names[id], c.p, len);
            path_names[id][len] = 0;
            c.p += len;
            path_defined_count = id;
            (*npath_records)++;
            break;
        }
        case PTR_REC_SNAPSHOT: {
            (void)get_uv(&c); /* dt */
            snap_seq = get_uv(&c);
            snap_reason = get_uv(&c);
            snap_pte0 = get_uv(&c);
            snap_rss0 = get_uv(&c);
            uint64_t n = get_uv(&c);
            if (n > MAX_MAPS)
                return -11;
            snap_nmaps = (int)n;
            for (uint64_t i = 0; i < n; i++) {
                if (get_u8(&c) != PTR_REC_MAP)
                    return -12; /* nothing but MAPs after a SNAPSHOT */
                struct smap *m = &snap_maps[i];
                uint64_t pa = get_uv(&c), lo = (pa & 1) ? get_uv(&c) : 0; /* paged addr */
                addr_reg += ((uint64_t)get_sv_of(pa >> 1) << 12) | lo;
                m->start = addr_reg;
                uint64_t pl = get_uv(&c); /* paged len */
                m->len = (pl >> 1) << 12 | ((pl & 1) ? get_uv(&c) : 0);
                m->perms = get_uv(&c);
                m->offset = get_uv(&c);
                m->path_id = get_uv(&c);
                if (m->path_id > path_defined_count)
                    return -13; /* used before defined */
                snprintf(m->path, sizeof m->path, "%s",
                         m->path_id ? path_names[m->path_id] : "");
                m->nruns = get_uv(&c);
                int is_probe = probe_addr >= m->start && probe_addr < m->start + m->len;
                if (is_probe) {
                    probe_nruns = 0;
                    probe_map_start = m->start;
                }
                uint64_t end = 0;
                for (uint64_t k = 0; k < m->nruns; k++) {
                    uint64_t gap = get_uv(&c), np = get_uv(&c);
                    int fl = get_u8(&c);
                    if (np == 0 || end + gap + np > m->len / PAGE)
                        return -14;
                    if (is_probe && probe_nruns < 1024) {
                        probe_runs[probe_nruns].gap = gap;
                        probe_runs[probe_nruns].npages = np;
                        probe_runs[probe_nruns].flags = fl;
                        probe_nruns++;
                    }
                    end += gap + np;
                }
            }
            if (get_u8(&c) != PTR_REC_SNAPSHOT_END)
                return -15;
            snap_pte1 = get_uv(&c);
            snap_rss1 = get_uv(&c);
            break;
        }
        default:
            return -16;
        }
        if (c.bad)
            return -17;
    }
    return 0;
}

static char maps_text[1 << 22];

static void test_snapshot(void)
{
    test_encoder_reset();
    ptr_snapshot_reset();
    path_defined_count = 0;
    probe_addr = (uint64_t)(uintptr_t)region;
    ptr_snapshot_write(PTR_SNAP_START);
    int npaths1 = 0;
    int d = decode_trace(&npaths1);
    CHECK(d == 0, "first snapshot decodes (%d)", d);
    CHECK(npaths1 > 0, "first snapshot defines paths");

    /* Second snapshot: every path already defined, so no PATH record; the mapping list must
     * equal /proc/self/maps read right after (no allocation happens in between). */
    size_t first_len = test_trace_len;
    ptr_snapshot_write(PTR_SNAP_PERIODIC);
    int fd = open("/proc/self/maps", O_RDONLY);
    size_t len = 0;
    ssize_t r;
    while ((r = read(fd, maps_text + len, sizeof maps_text - 1 - len)) > 0)
        len += (size_t)r;
    close(fd);
    maps_text[len] = 0;

    int npaths2 = 0;
    path_defined_count = 0;
    d = decode_trace(&npaths2);
    CHECK(d == 0, "two snapshots decode (%d)", d);
    CHECK(npaths2 == npaths1, "second snapshot defines no new path (%d vs %d)", npaths2,
          npaths1);
    CHECK(test_trace_len > first_len, "second snapshot written");
    CHECK(snap_seq == 1 && snap_reason == PTR_SNAP_PERIODIC, "seq 1, reason periodic");
    uint64_t pte = 0, rss = 0;
    CHECK(ptr_read_status(&pte, &rss) == 0 && pte > 0 && rss > 0, "ptr_read_status");
    CHECK(snap_pte0 > 0 && snap_rss0 > 0 && snap_pte1 > 0 && snap_rss1 > 0,
          "VmPTE/VmRSS in the snapshot (%llu/%llu kB)", (unsigned long long)snap_pte0,
          (unsigned long long)snap_rss0);

    /* Every maps line must be in the snapshot, in order, with the same fields. */
    int i = 0, lines = 0, mismatches = 0;
    for (char *line = maps_text; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        unsigned long s, e, off;
        char perms[8], dev[16];
        unsigned long ino;
        int n = 0;
        if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &s, &e, perms, &off, dev, &ino, &n) >= 6) {
            const char *path = line + n;
            lines++;
            unsigned pm = (perms[0] == 'r' ? 1 : 0) | (perms[1] == 'w' ? 2 : 0) |
                          (perms[2] == 'x' ? 4 : 0) | (perms[3] == 's' ? 8 : 0);
            if (i >= snap_nmaps || snap_maps[i].start != s || snap_maps[i].len != e - s ||
                snap_maps[i].perms != pm || snap_maps[i].offset != off ||
                strcmp(snap_maps[i].path, path) != 0) {
                if (mismatches++ < 5)
                    printf("  maps line %d '%s' vs snapshot %llx+%llx '%s'\n", lines, line,
                           i < snap_nmaps ? (unsigned long long)snap_maps[i].start : 0ull,
                           i < snap_nmaps ? (unsigned long long)snap_maps[i].len : 0ull,
                           i < snap_nmaps ? snap_maps[i].path : "");
            }
            i++;
        }
        line = nl ? nl + 1 : line + strlen(line);
    }
    CHECK(mismatches == 0 && lines == snap_nmaps,
          "snapshot lists every /proc/self/maps line (%d lines, %d maps, %d mismatches)", lines,
          snap_nmaps, mismatches);
    int saw_vsyscall = 0, saw_heap = 0;
    for (int k = 0; k < snap_nmaps; k++) {
        if (strcmp(snap_maps[k].path, "[vsyscall]") == 0)
        {
            saw_vsyscall = 1;
            CHECK(snap_maps[k].nruns == 0, "[vsyscall] has no runs");
        }
        if (strcmp(snap_maps[k].path, "[heap]") == 0 || strcmp(snap_maps[k].path, "[stack]") == 0)
            saw_heap = 1;
    }
    CHECK(saw_heap, "[heap]/[stack] recorded as paths");
    printf("snapshot: %d mappings, %d paths, VmPTE %llu kB, VmRSS %llu kB, [vsyscall] %s\n",
           snap_nmaps, npaths1, (unsigned long long)snap_pte0, (unsigned long long)snap_rss0,
           saw_vsyscall ? "present" : "absent");

    /* The region's mapping: A..C (NOHUGEPAGE) is one VMA: runs = A's 128 single pages, then B
     * as one run of 512. */
    CHECK(probe_map_start == (uint64_t)(uintptr_t)region, "region's mapping starts at region");
    int ok = probe_nruns == 129;
    for (int k = 0; ok && k < 128; k++)
        ok = probe_runs[k].gap == (k == 0 ? 0 : 3) && probe_runs[k].npages == 1 &&
             probe_runs[k].flags == 0;
    ok = ok && probe_runs[128].gap == 3 && probe_runs[128].npages == 512 &&
         probe_runs[128].flags == 0;
    CHECK(ok, "region runs in the snapshot: 128 single pages then 512 (got %d runs)",
          probe_nruns);

    /* Block D's own VMA (MADV_HUGEPAGE split it): one run of 512, HUGE when THP. */
    probe_addr = (uint64_t)(uintptr_t)region + 3 * BLOCK;
    path_defined_count = 0;
    decode_trace(&npaths2);
    CHECK(probe_map_start == probe_addr && probe_nruns == 1 && probe_runs[0].gap == 0 &&
              probe_runs[0].npages == 512 &&
              probe_runs[0].flags == (have_thp ? PTR_RUN_HUGE : 0),
          "block D in the snapshot: one run of 512 pages, flags %d (got %d runs, flags %d)",
          have_thp ? PTR_RUN_HUGE : 0, probe_nruns, probe_nruns ? probe_runs[0].flags : -1);

    /* A dropped PATH record: the snapshot is abandoned, and the next one defines the path
     * with the same id. */
    test_encoder_reset();
    ptr_snapshot_reset();
    path_defined_count = 0;
    test_encoder_fail_next = 1;
    ptr_snapshot_write(PTR_SNAP_PERIODIC);
    CHECK(test_trace_len == 0, "snapshot abandoned after a dropped PATH record");
    ptr_snapshot_write(PTR_SNAP_PERIODIC);
    d = decode_trace(&npaths2);
    CHECK(d == 0 && npaths2 == npaths1, "after a drop, the next snapshot is complete (%d, %d)",
          d, npaths2);
}

/* ---- the probe ------------------------------------------------------------------------- */

static void test_probe(void)
{
    char detail[160];
    const char *policy = ptr_probe_kernel_policy(detail, sizeof detail);
    printf("probe: %s (%s)\n", policy, detail);
    CHECK(strcmp(policy, "pt-reclaim") == 0, "this kernel (CONFIG_PT_RECLAIM) must probe as "
                                             "pt-reclaim, got %s",
          policy);
}

/* ---- costs ----------------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The calling thread's CPU time: what a capture costs the program, whatever the load. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void bench(void)
{
    uint64_t s = (uint64_t)(uintptr_t)region;
    uint64_t sp = (uint64_t)(uintptr_t)sparse;
    const int n = 10000;
    size_t len;
    uint64_t first;
    struct {
        const char *what;
        uint64_t start, end;
        enum ptr_pm_source src;
        enum ptr_res_form form;
    } cases[] = {
        {"full 2 MiB block, PAGEMAP_SCAN", s + BLOCK, s + 2 * BLOCK, PTR_PM_SOURCE_NONE, PTR_RES_FULL},
        {"1 GiB, 3 pages populated, PAGEMAP_SCAN", sp, sp + (1ull << 30), PTR_PM_SOURCE_NONE, PTR_RES_FULL},
        {"every-4th-page block (128 runs), PAGEMAP_SCAN", s, s + BLOCK, PTR_PM_SOURCE_NONE, PTR_RES_FULL},
        {"full 2 MiB block, pread fallback", s + BLOCK, s + 2 * BLOCK, PTR_PM_SOURCE_PREAD, PTR_RES_FULL},
        {"full 2 MiB block, mincore fallback", s + BLOCK, s + 2 * BLOCK, PTR_PM_SOURCE_MINCORE, PTR_RES_FULL},
        {"witness: full block covered, PAGEMAP_SCAN", s + BLOCK, s + 2 * BLOCK, PTR_PM_SOURCE_NONE, PTR_RES_RELEASE},
        {"witness: 64 KiB inside a full block, PAGEMAP_SCAN", s + BLOCK + 64 * PAGE, s + BLOCK + 80 * PAGE, PTR_PM_SOURCE_NONE, PTR_RES_RELEASE},
        {"witness: 1 GiB, 3 pages populated, PAGEMAP_SCAN", sp, sp + (1ull << 30), PTR_PM_SOURCE_NONE, PTR_RES_RELEASE},
        {"witness: full block covered, pread", s + BLOCK, s + 2 * BLOCK, PTR_PM_SOURCE_PREAD, PTR_RES_RELEASE},
        {"witness: 64 KiB inside a full block, pread", s + BLOCK + 64 * PAGE, s + BLOCK + 80 * PAGE, PTR_PM_SOURCE_PREAD, PTR_RES_RELEASE},
        {"witness: 64 KiB, rest of block empty, pread", s + 2 * BLOCK, s + 2 * BLOCK + 16 * PAGE, PTR_PM_SOURCE_PREAD, PTR_RES_RELEASE},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ptr_pagemap_force_source(cases[k].src);
        int reps = cases[k].src == PTR_PM_SOURCE_NONE ? n : n / 10;
        double t0 = now_s(), c0 = cpu_s();
        for (int i = 0; i < reps; i++)
            if (!ptr_residency_capture(cases[k].start, cases[k].end, cases[k].form, &first, &len))
                failures++;
        double t1 = now_s(), c1 = cpu_s();
        printf("bench: %-52s %8.2f us/call, CPU %8.2f (%d calls, %zu bytes)\n", cases[k].what,
               (t1 - t0) / reps * 1e6, (c1 - c0) / reps * 1e6, reps, len);
    }
    ptr_pagemap_force_source(PTR_PM_SOURCE_NONE);
    uint8_t *big = mmap(NULL, 50ull << 30, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (big == MAP_FAILED) {
        perror("mmap 50 GiB");
        return;
    }
    uint64_t b = (uint64_t)(uintptr_t)big;
    big[0] = 1;
    double t0 = now_s();
    for (int i = 0; i < 100; i++)
        ptr_residency_capture(b, b + (50ull << 30), PTR_RES_FULL, &first, &len);
    printf("bench: %-48s %8.2f us/call (100 calls)\n", "50 GiB, 1 page populated, PAGEMAP_SCAN",
           (now_s() - t0) / 100 * 1e6);
    munmap(big, 50ull << 30);
    test_encoder_reset();
    t0 = now_s();
    for (int i = 0; i < 100; i++) {
        test_encoder_reset();
        ptr_snapshot_write(PTR_SNAP_PERIODIC);
    }
    printf("bench: %-48s %8.2f us/call (100 calls, %zu bytes)\n", "whole snapshot",
           (now_s() - t0) / 100 * 1e6, test_trace_len);
    /* Snapshot cost grows with populated 4 KiB pages (one reported PTE each). */
    uint8_t *gig = map_aligned(1ull << 30, BLOCK);
    madvise(gig, 1ull << 30, MADV_NOHUGEPAGE);
    memset(gig, 1, 1ull << 30);
    t0 = now_s();
    for (int i = 0; i < 10; i++) {
        test_encoder_reset();
        ptr_snapshot_write(PTR_SNAP_PERIODIC);
    }
    printf("bench: %-48s %8.2f us/call (10 calls, %zu bytes)\n",
           "whole snapshot, +1 GiB of 4 KiB pages populated", (now_s() - t0) / 10 * 1e6,
           test_trace_len);
    munmap(gig, 1ull << 30);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    make_region();
    test_residency();
    test_witnesses();
    test_sparse();
    test_batching();
    test_descriptor_robustness();
    test_markers();
    test_snapshot();
    test_probe();
    if (argc > 1 && strcmp(argv[1], "--bench") == 0)
        bench();
    printf("recorder-unit: %d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
