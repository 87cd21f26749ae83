/*
 * scan_cost: what one residency read of a 2 MiB block costs this kernel, by source — the
 * floor under the recorder's per-call cost for a 2 MiB release (issue 2), measured bare,
 * without the recorder. Also the cost of a getpid() system call, which the recorder makes
 * per scan (pagemap.c checks whether its descriptor belongs to this process).
 *
 *   scan_cost [N]     prints "name cpu_ns_per_op"
 *
 *   scan_full_block     PAGEMAP_SCAN of a fully touched block, every run reported (as now)
 *   scan_first_page     the same with max_pages = 1: stops at the first populated page —
 *                       enough for a block a release covers entirely, whose entries all
 *                       become none anyway (only "had a PTE page" is news there)
 *   scan_empty_block    PAGEMAP_SCAN of a block with no populated page
 *   pread_full_block    pread of the block's 512 pagemap entries (the fallback)
 *   mincore_full_block  mincore of the block (the last fallback)
 *   getpid              one raw getpid system call
 * The ABI declarations come from the recorder's pagemap_scan.h (Debian's headers lack them).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pagemap_scan.h"

#define BLOCK (2ull << 20)

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct page_region vec[256];

static long scan(int fd, char *b, uint64_t max_pages)
{
    struct pm_scan_arg a = {
        .size = sizeof a,
        .start = (uint64_t)(uintptr_t)b,
        .end = (uint64_t)(uintptr_t)b + BLOCK,
        .vec = (uint64_t)(uintptr_t)vec,
        .vec_len = 256,
        .max_pages = max_pages,
        .category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
        .return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_HUGE,
    };
    return ioctl(fd, PAGEMAP_SCAN, &a);
}

static char *aligned_block(void)
{
    char *raw = mmap(NULL, 2 * BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    char *b = (char *)(((uintptr_t)raw + BLOCK - 1) & ~(uintptr_t)(BLOCK - 1));
    madvise(b, BLOCK, MADV_NOHUGEPAGE); /* a PTE page, 512 entries, as in call_cost */
    return b;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror("/proc/self/pagemap");
        return 1;
    }
    char *full = aligned_block(), *empty = aligned_block();
    for (uint64_t o = 0; o < BLOCK; o += 4096)
        full[o] = 1;
    if (scan(fd, full, 0) != 1) {
        fprintf(stderr, "PAGEMAP_SCAN unusable here\n");
        return 1;
    }
    static uint64_t entries[512];
    static unsigned char mc[512];
    uint64_t t;

#define TIME(name, stmt)                                                                  \
    do {                                                                                  \
        for (int i = 0; i < n / 10; i++) stmt; /* warm-up */                             \
        t = cpu_ns();                                                                     \
        for (int i = 0; i < n; i++) stmt;                                                 \
        printf("%s %.1f\n", name, (double)(cpu_ns() - t) / n);                            \
    } while (0)

    TIME("scan_full_block", scan(fd, full, 0));
    TIME("scan_first_page", scan(fd, full, 1));
    TIME("scan_empty_block", scan(fd, empty, 0));
    TIME("pread_full_block", pread(fd, entries, sizeof entries, (off_t)((uintptr_t)full / 4096 * 8)));
    TIME("mincore_full_block", mincore(full, BLOCK, mc));
    TIME("getpid", syscall(SYS_getpid));
    return 0;
}
