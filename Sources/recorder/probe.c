/*
 * The kernel-policy probe (see probe.h): does a whole-block MADV_DONTNEED free the block's PTE
 * page (mm/pt_reclaim.c, CONFIG_PT_RECLAIM, Linux 6.14+)? Measured, not guessed from the
 * version: map 4 MiB, take the aligned 2 MiB block inside, forbid THP on it (a PMD mapping
 * would need no PTE page), touch every page so its PTE page exists, DONTNEED the whole block
 * and compare VmPTE before and after. Raw system calls only: none of this is the program's.
 *
 * Another thread may allocate or free page tables between the two readings; the probe runs at
 * start-up, usually before the program has threads, and retries up to three times when the
 * result is inconclusive (VmPTE rose, or fell by an amount other than one page).
 */
#include "probe.h"
#include "raw.h"
#include "snapshot.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#define PROBE_MAP (4ull << 20)
#define PROBE_BLOCK (2ull << 20)
#define PROBE_PAGE 4096ull
#define PROBE_ATTEMPTS 3

#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif

/* The probe's own system calls, stated in the header's "probe" text so that anyone comparing
 * the trace with strace can take them out (they are not the program's and not recorded). */
static struct { int mmap, madvise, munmap; } calls;

/* One measurement: 1 pt-reclaim, 0 none, -1 failure, 2 inconclusive. */
static int probe_once(uint64_t *before_kb, uint64_t *after_kb)
{
    calls.mmap++;
    void *map = ptr_raw_mmap(NULL, PROBE_MAP, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if ((long)map < 0 && (long)map > -4096)
        return -1;
    uintptr_t block = ((uintptr_t)map + PROBE_BLOCK - 1) & ~(uintptr_t)(PROBE_BLOCK - 1);
    int result = -1;
    uint64_t rss;
    /* Without NOHUGEPAGE a THP could map the block (THP "always"): no PTE page to free. */
    calls.madvise++;
    if (ptr_raw_madvise((void *)block, PROBE_BLOCK, MADV_NOHUGEPAGE) != 0)
        goto out;
    for (uintptr_t p = block; p < block + PROBE_BLOCK; p += PROBE_PAGE)
        *(volatile char *)p = 1;
    if (ptr_read_status(before_kb, &rss) != 0)
        goto out;
    calls.madvise++;
    if (ptr_raw_madvise((void *)block, PROBE_BLOCK, MADV_DONTNEED) != 0)
        goto out;
    if (ptr_read_status(after_kb, &rss) != 0)
        goto out;
    if (*after_kb + 4 <= *before_kb)
        result = *before_kb - *after_kb == 4 ? 1 : 2; /* more than one page: someone else too */
    else
        result = *after_kb == *before_kb ? 0 : 2;
out:
    calls.munmap++;
    ptr_raw_munmap(map, PROBE_MAP);
    return result;
}

const char *ptr_probe_kernel_policy(char *detail, size_t detail_len)
{
    uint64_t before = 0, after = 0;
    int r = 2;
    int attempt;
    calls.mmap = calls.madvise = calls.munmap = 0;
    for (attempt = 1; attempt <= PROBE_ATTEMPTS; attempt++) {
        r = probe_once(&before, &after);
        if (r != 2)
            break;
    }
    if (attempt > PROBE_ATTEMPTS)
        attempt = PROBE_ATTEMPTS;
    /* Still inconclusive after every attempt: VmPTE fell by at least a page, so the kernel
     * did free one (the brief's rule); if it rose every time we cannot tell. */
    const char *policy;
    if (r == 1 || (r == 2 && after + 4 <= before))
        policy = "pt-reclaim";
    else if (r == 0)
        policy = "none";
    else
        policy = "unknown";
    if (detail && detail_len) {
        int n;
        if (r == -1)
            n = snprintf(detail, detail_len, "probe failed (mmap, madvise or /proc/self/status)");
        else
            n = snprintf(detail, detail_len,
                         "VmPTE %llu kB -> %llu kB after whole-block MADV_DONTNEED (attempt %d)",
                         (unsigned long long)before, (unsigned long long)after, attempt);
        if (n > 0 && (size_t)n < detail_len)
            snprintf(detail + n, detail_len - (size_t)n,
                     "; probe system calls, not recorded: %d mmap, %d madvise, %d munmap",
                     calls.mmap, calls.madvise, calls.munmap);
    }
    return policy;
}
