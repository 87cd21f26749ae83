/*
 * Internal to the recorder: walk the populated pages of a range of our own address space,
 * shared by residency.c (call records) and snapshot.c (MAP records).
 *
 * Sources, best first: the PAGEMAP_SCAN ioctl on /proc/self/pagemap (cost proportional to the
 * page tables that exist: holes are skipped a whole PMD/PUD at a time); pread of
 * /proc/self/pagemap, 8 bytes per page (cost proportional to the range); mincore (resident
 * pages only: swap entries and PMD mappings are invisible to it).
 *
 * The descriptor is cached (high number, O_CLOEXEC) and checked: the program may close it,
 * dup2 over it or fork. Called with the recorder lock held; no locking of its own.
 */
#ifndef PTR_PAGEMAP_H
#define PTR_PAGEMAP_H

#include <stdint.h>

/* Region categories reported to the callback (a subset of PAGE_IS_* in pagemap_scan.h). */
#define PTR_PM_PRESENT (1u << 3) /* == PAGE_IS_PRESENT */
#define PTR_PM_SWAPPED (1u << 4) /* == PAGE_IS_SWAPPED */
#define PTR_PM_HUGE (1u << 6)    /* == PAGE_IS_HUGE */

/* Which source answered the last walk. */
enum ptr_pm_source {
    PTR_PM_SOURCE_NONE = 0,
    PTR_PM_SOURCE_SCAN = 1,
    PTR_PM_SOURCE_PREAD = 2,
    PTR_PM_SOURCE_MINCORE = 3,
};

/*
 * Calls fn(ctx, start, end, categories) for each run of populated pages in [start, end), in
 * increasing address order. Consecutive calls may describe adjacent runs (the caller merges
 * them). A call with start == end == 0 means "discard every run reported so far: the walk
 * restarts from the beginning with a slower source". fn returns 0 to go on, or a positive
 * value to stop the walk. start and end must be page aligned. Returns 0 on success, -1 when no source could
 * read the range (fn may already have been called for part of it), or the callback's
 * non-zero return value when it stopped the walk.
 */
typedef int (*ptr_pm_region_fn)(void *ctx, uint64_t start, uint64_t end, unsigned categories);
int ptr_pagemap_walk(uint64_t start, uint64_t end, ptr_pm_region_fn fn, void *ctx);

/*
 * The first populated page of [start, end): 1 and *addr, *cat (its categories: with
 * PTR_PM_HUGE when a PMD entry maps its block) when there is one, 0 when none, -1 when no
 * source could read the range. Costs one page's report, not the range's population: the
 * ioctl with max_pages = 1, pread in growing chunks, mincore likewise.
 */
int ptr_pagemap_first(uint64_t start, uint64_t end, uint64_t *addr, unsigned *cat);

/* The source used by the last successful walk (for tests and the header's diagnostics). */
enum ptr_pm_source ptr_pagemap_last_source(void);

/* The source as a header value: "pagemap_scan", "pagemap_pread", "mincore" or "none" (no
 * source could read). Walks one page first if nothing has been walked yet. */
const char *ptr_pagemap_source_name(void);

/* Testing hook: forbid sources better than `s` (PTR_PM_SOURCE_NONE = no restriction). */
void ptr_pagemap_force_source(enum ptr_pm_source s);

/* Never issue the PAGEMAP_SCAN ioctl again in this process (pread, then mincore, answer
 * instead): the process is, or may soon be, under a seccomp filter, and a filter that kills on
 * ioctl cannot be detected by trying. Set at start-up when /proc/self/status says "Seccomp:"
 * is not 0 or PTRECLAIM_PAGEMAP_SCAN=0, and by the prctl/syscall hooks before the program
 * installs a filter (seccomp.c). Inherited by fork children (same memory). */
void ptr_pagemap_disable_ioctl(void);
int ptr_pagemap_ioctl_disabled(void);

/* Release the cached descriptor if it is still ours, else just forget it. */
void ptr_pagemap_reset(void);

/* Highest user address + 1 that the kernel lets us scan (x86_64 4-level: 2^47 - 4096). */
uint64_t ptr_pagemap_user_limit(void);

#endif
