/*
 * The PAGEMAP_SCAN ioctl ABI (Linux 6.7+, include/uapi/linux/fs.h), declared here because
 * Debian 12's kernel headers predate it. The layout is stable ABI: twelve u64 fields in
 * struct pm_scan_arg, three in struct page_region; the kernel rejects any other `size`.
 * Written from the documented ABI; guarded so a newer <linux/fs.h> wins when present.
 */
#ifndef PTR_PAGEMAP_SCAN_H
#define PTR_PAGEMAP_SCAN_H

#include <stdint.h>
#include <sys/ioctl.h>

#ifndef PAGEMAP_SCAN

/* Category bits, in the masks of pm_scan_arg and in page_region.categories. */
#define PAGE_IS_WPALLOWED (1 << 0)  /* uffd async write-protect is enabled */
#define PAGE_IS_WRITTEN (1 << 1)    /* written since write-protected */
#define PAGE_IS_FILE (1 << 2)       /* file-backed page */
#define PAGE_IS_PRESENT (1 << 3)    /* present in memory */
#define PAGE_IS_SWAPPED (1 << 4)    /* a swap-type entry (swap, migration, marker) */
#define PAGE_IS_PFNZERO (1 << 5)    /* maps the shared zero page */
#define PAGE_IS_HUGE (1 << 6)       /* PMD-mapped THP or hugetlb */
#define PAGE_IS_SOFT_DIRTY (1 << 7) /* soft-dirty bit set */
/* PAGE_IS_GUARD (1 << 8, Linux 6.15+) is deliberately not used: older kernels reject unknown
 * mask bits with EINVAL. */

/* One output run: pages [start, end) sharing the same (return_mask-filtered) categories. */
struct page_region {
    uint64_t start;
    uint64_t end;
    uint64_t categories;
};

/* Operation flags (we use none: a pure read). */
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)

struct pm_scan_arg {
    uint64_t size;                /* sizeof(struct pm_scan_arg) */
    uint64_t flags;               /* PM_SCAN_* */
    uint64_t start;               /* page-aligned start of the range */
    uint64_t end;                 /* end of the range (exclusive) */
    uint64_t walk_end;            /* out: where the walk stopped (== end when complete) */
    uint64_t vec;                 /* user pointer to struct page_region[vec_len] */
    uint64_t vec_len;
    uint64_t max_pages;           /* 0 = no limit */
    uint64_t category_inverted;   /* categories that match when 0 */
    uint64_t category_mask;       /* all of these must match */
    uint64_t category_anyof_mask; /* at least one of these must match */
    uint64_t return_mask;         /* categories reported in page_region.categories */
};

#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)

#endif /* PAGEMAP_SCAN */

/* Compile-time checks of the ABI layout (x86_64 and every LP64 target). */
_Static_assert(sizeof(struct pm_scan_arg) == 96, "pm_scan_arg is 12 u64");
_Static_assert(sizeof(struct page_region) == 24, "page_region is 3 u64");

#endif /* PTR_PAGEMAP_SCAN_H */
