/*
 * Walking our own page population: PAGEMAP_SCAN, then pread of /proc/self/pagemap, then
 * mincore. See pagemap.h. No malloc, no libc mmap/munmap/madvise (the recorder hooks them):
 * buffers here are static.
 */
#include "pagemap.h"
#include "pagemap_scan.h"
#include "raw.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PM_PAGE 4096ull
#define PM_FD_FLOOR 500          /* keep our descriptor out of the program's usual range */
#define PM_SCAN_VEC 256          /* regions per ioctl; the walk continues at walk_end */
#define PM_PREAD_PAGES 512       /* pagemap entries per pread (one 2 MiB block) */
#define PM_FALLBACK_MAX_PAGES (1ull << 25) /* 128 GiB: beyond this the slow sources give up */
#define PM_REOPEN_NS 1000000000ull /* after a failed open, try again at most once a second */

/* /proc/pid/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
#define PM_ENTRY_PRESENT (1ull << 63)
#define PM_ENTRY_SWAPPED (1ull << 62)

static int pm_fd = -1;
static pid_t pm_pid;     /* process that opened pm_fd: a pagemap fd is bound to one mm */
static dev_t pm_dev;     /* identity of the file, to tell our fd from one dup2'd over it */
static ino_t pm_ino;
static int pm_scan_state = -1; /* -1 untested, 1 PAGEMAP_SCAN works, 0 unsupported */
static int pm_no_ioctl;         /* never issue the ioctl (seccomp; see pagemap.h) */
static int pm_pread_state = -1; /* -1 untested, 1 works, 0 pagemap unreadable */
static enum ptr_pm_source pm_forced = PTR_PM_SOURCE_NONE;
static enum ptr_pm_source pm_last = PTR_PM_SOURCE_NONE;
static uint64_t pm_limit;
static uint64_t pm_open_failed_ns; /* time of the last failed open (0 = none) */
static int pm_open_errno;          /* its errno */
/* ptr_pagemap_first: stop at the first populated page. The ioctl is told max_pages = 1 (the
 * kernel's cost is per reported page), pread reads small chunks first. */
static int pm_first_only;

static struct page_region pm_vec[PM_SCAN_VEC];
static uint64_t pm_entries[PM_PREAD_PAGES];
static unsigned char pm_mincore_vec[PM_PREAD_PAGES];

static int pm_fd_is_ours(int fd)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return 0;
    return st.st_dev == pm_dev && st.st_ino == pm_ino;
}

void ptr_pagemap_reset(void)
{
    /* After fork the inherited descriptor still reads the parent's mm: close it if it is
     * still the file we opened; if the program reused the number, it is theirs: forget it. */
    if (pm_fd >= 0 && pm_fd_is_ours(pm_fd))
        close(pm_fd);
    pm_fd = -1;
}

static uint64_t pm_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int pm_open(void)
{
    /* Out of descriptors (a program that closed everything and lowered RLIMIT_NOFILE), or
     * /proc not mounted: the open fails the same way on every call, so the walks take the
     * cheap path (mincore) without asking again for a while. */
    if (pm_open_failed_ns && pm_now_ns() - pm_open_failed_ns < PM_REOPEN_NS)
        return -1;
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        uint64_t now = pm_now_ns();
        pm_open_failed_ns = now ? now : 1;
        pm_open_errno = errno;
        return -1;
    }
    pm_open_failed_ns = 0;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, PM_FD_FLOOR);
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    pm_dev = st.st_dev;
    pm_ino = st.st_ino;
    pm_fd = fd;
    pm_pid = ptr_raw_getpid();
    return fd;
}

/* The cached descriptor, reopened when it belongs to another process image (fork, vfork). */
static int pm_get(void)
{
    if (pm_fd >= 0 && pm_pid != ptr_raw_getpid())
        ptr_pagemap_reset();
    if (pm_fd >= 0)
        return pm_fd;
    return pm_open();
}

/* Called after a failed ioctl/pread: returns 1 if a fresh descriptor is worth a retry. */
static int pm_recover(void)
{
    if (pm_fd >= 0 && pm_fd_is_ours(pm_fd))
        return 0; /* the file is ours: the failure is real */
    pm_fd = -1;   /* closed or replaced by the program: not ours to close */
    return pm_get() >= 0;
}

static uint64_t pm_scan_ioctl(int fd, uint64_t start, uint64_t end, uint64_t *walk_end,
                              int *err)
{
    struct pm_scan_arg arg = {
        .size = sizeof(struct pm_scan_arg),
        .start = start,
        .end = end,
        .vec = (uint64_t)(uintptr_t)pm_vec,
        .vec_len = pm_first_only ? 1 : PM_SCAN_VEC,
        .max_pages = pm_first_only ? 1 : 0,
        .category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
        .return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_HUGE,
    };
    long r;
    do
        r = ioctl(fd, PAGEMAP_SCAN, &arg);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        *err = errno;
        return (uint64_t)-1;
    }
    *walk_end = arg.walk_end;
    return (uint64_t)r;
}

uint64_t ptr_pagemap_user_limit(void)
{
    if (pm_limit)
        return pm_limit;
    /* 4-level paging: TASK_SIZE_MAX = 2^47 - 4096. With 5-level paging the kernel accepts
     * ranges above; ask it once (EFAULT = beyond the user address space). */
    pm_limit = (1ull << 47) - PM_PAGE;
    int fd = pm_get();
    if (fd >= 0 && pm_scan_state != 0 && !pm_no_ioctl) {
        uint64_t we;
        int err = 0;
        uint64_t n = pm_scan_ioctl(fd, 1ull << 47, (1ull << 47) + PM_PAGE, &we, &err);
        if (n != (uint64_t)-1)
            pm_limit = (1ull << 56) - PM_PAGE;
    }
    return pm_limit;
}

/* 0 ok, -1 this source is unusable, other: callback's stop value. */
static int pm_walk_scan(uint64_t start, uint64_t end, ptr_pm_region_fn fn, void *ctx)
{
    if (pm_scan_state == 0 || pm_no_ioctl)
        return -1;
    int retried = 0;
    uint64_t cur = start;
    while (cur < end) {
        int fd = pm_get();
        if (fd < 0)
            return -1;
        uint64_t walk_end = 0;
        int err = 0;
        uint64_t n = pm_scan_ioctl(fd, cur, end, &walk_end, &err);
        if (n == (uint64_t)-1) {
            if (!retried && (err == EBADF || err == ENOTTY || err == EINVAL) && pm_recover()) {
                retried = 1;
                continue;
            }
            if (err == ENOTTY || err == EINVAL)
                pm_scan_state = 0; /* our own pagemap refuses it: kernel without the ioctl */
            return -1;
        }
        pm_scan_state = 1;
        for (uint64_t i = 0; i < n && i < PM_SCAN_VEC; i++) {
            unsigned cat = (unsigned)pm_vec[i].categories &
                           (PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_HUGE);
            int stop = fn(ctx, pm_vec[i].start, pm_vec[i].end, cat);
            if (stop)
                return stop;
        }
        /* A full vector ends the walk early; walk_end says where to continue. */
        if (walk_end <= cur || walk_end > end)
            return walk_end == end ? 0 : -1;
        cur = walk_end;
    }
    return 0;
}

/* Coalesces per-page categories into runs for the callback. */
struct pm_run {
    uint64_t start, end;
    unsigned cat;
};

static int pm_run_add(struct pm_run *run, uint64_t addr, unsigned cat, ptr_pm_region_fn fn,
                      void *ctx)
{
    if (pm_first_only && cat) /* the caller stops at the first page: no run to wait for */
        return fn(ctx, addr, addr + PM_PAGE, cat);
    if (run->cat && (cat != run->cat || addr != run->end)) {
        int stop = fn(ctx, run->start, run->end, run->cat);
        run->cat = 0;
        if (stop)
            return stop;
    }
    if (!cat)
        return 0;
    if (!run->cat) {
        run->start = addr;
        run->cat = cat;
    }
    run->end = addr + PM_PAGE;
    return 0;
}

static int pm_walk_pread(uint64_t start, uint64_t end, ptr_pm_region_fn fn, void *ctx)
{
    if (pm_pread_state == 0 || (end - start) / PM_PAGE > PM_FALLBACK_MAX_PAGES)
        return -1;
    struct pm_run run = {0, 0, 0};
    int retried = 0;
    /* Looking for one page: 8 entries first, then 4 times more per read (a populated remainder
     * usually answers in the first read; an empty one costs at most 1.5 reads of it). */
    uint64_t chunk = pm_first_only ? 8 : PM_PREAD_PAGES;
    for (uint64_t cur = start; cur < end;) {
        uint64_t npages = (end - cur) / PM_PAGE;
        if (npages > chunk)
            npages = chunk;
        if (chunk < PM_PREAD_PAGES)
            chunk *= 4;
        int fd = pm_get();
        if (fd < 0)
            return -1;
        /* Each read is fstat-checked: a regular file dup2'd over our number would read
         * without error and yield garbage. */
        ssize_t got = pread(fd, pm_entries, npages * 8, (off_t)((cur / PM_PAGE) * 8));
        if (got <= 0 || (got % 8) != 0 || !pm_fd_is_ours(fd)) {
            if (!retried && pm_recover()) {
                retried = 1;
                continue;
            }
            pm_pread_state = 0;
            return -1;
        }
        pm_pread_state = 1;
        for (uint64_t i = 0; i < (uint64_t)got / 8; i++) {
            uint64_t e = pm_entries[i];
            unsigned cat = (e & PM_ENTRY_PRESENT) ? PTR_PM_PRESENT
                           : (e & PM_ENTRY_SWAPPED) ? PTR_PM_SWAPPED : 0;
            int stop = pm_run_add(&run, cur + i * PM_PAGE, cat, fn, ctx);
            if (stop)
                return stop;
        }
        cur += (uint64_t)got / 8 * PM_PAGE;
    }
    return pm_run_add(&run, end, 0, fn, ctx);
}

/* mincore over [cur, cur + npages pages) into pm_mincore_vec[off...]. mincore fails with
 * ENOMEM when any page of the range is unmapped: the range is then halved until each part is
 * either wholly mapped (one answer) or one unmapped page (not populated) — a few dozen calls
 * for a block holding one small mapping, instead of one per page. */
static int pm_mincore_split(uint64_t cur, uint64_t npages, unsigned char *vec)
{
    if (syscall(SYS_mincore, (void *)(uintptr_t)cur, npages * PM_PAGE, vec) == 0)
        return 0;
    if (errno != ENOMEM)
        return -1;
    if (npages == 1) {
        vec[0] = 0;
        return 0;
    }
    uint64_t half = npages / 2;
    if (pm_mincore_split(cur, half, vec) != 0)
        return -1;
    return pm_mincore_split(cur + half * PM_PAGE, npages - half, vec + half);
}

static int pm_walk_mincore(uint64_t start, uint64_t end, ptr_pm_region_fn fn, void *ctx)
{
    if ((end - start) / PM_PAGE > PM_FALLBACK_MAX_PAGES)
        return -1;
    struct pm_run run = {0, 0, 0};
    for (uint64_t cur = start; cur < end;) {
        uint64_t npages = (end - cur) / PM_PAGE;
        if (npages > PM_PREAD_PAGES)
            npages = PM_PREAD_PAGES;
        if (pm_mincore_split(cur, npages, pm_mincore_vec) != 0)
            return -1;
        for (uint64_t i = 0; i < npages; i++) {
            int stop = pm_run_add(&run, cur + i * PM_PAGE,
                                  (pm_mincore_vec[i] & 1) ? PTR_PM_PRESENT : 0, fn, ctx);
            if (stop)
                return stop;
        }
        cur += npages * PM_PAGE;
    }
    return pm_run_add(&run, end, 0, fn, ctx);
}

int ptr_pagemap_walk(uint64_t start, uint64_t end, ptr_pm_region_fn fn, void *ctx)
{
    uint64_t limit = ptr_pagemap_user_limit();
    if (end > limit)
        end = limit;
    if (start >= end) {
        pm_last = PTR_PM_SOURCE_NONE;
        return 0; /* nothing scannable: e.g. [vsyscall] above the user address space */
    }
    /* Out of descriptors: mincore alone would answer, but only page by page wherever the
     * blocks hold unmapped pages (hundreds of calls per record). The cheap path: no
     * population at all (call records go bare) until an open succeeds again. */
    if (pm_forced < PTR_PM_SOURCE_MINCORE && pm_get() < 0 &&
        (pm_open_errno == EMFILE || pm_open_errno == ENFILE)) {
        pm_last = PTR_PM_SOURCE_NONE;
        return -1;
    }
    /* A source that fails part-way may already have reported a prefix: before the next
     * source starts again from `start`, the callback is told to discard what it has. */
    int r = -1;
    if (pm_forced <= PTR_PM_SOURCE_SCAN) { /* NONE (0) = no restriction */
        r = pm_walk_scan(start, end, fn, ctx);
        if (r != -1) {
            pm_last = PTR_PM_SOURCE_SCAN;
            return r;
        }
        fn(ctx, 0, 0, 0);
    }
    if (pm_forced <= PTR_PM_SOURCE_PREAD) {
        r = pm_walk_pread(start, end, fn, ctx);
        if (r != -1) {
            pm_last = PTR_PM_SOURCE_PREAD;
            return r;
        }
        fn(ctx, 0, 0, 0);
    }
    r = pm_walk_mincore(start, end, fn, ctx);
    pm_last = r == -1 ? PTR_PM_SOURCE_NONE : PTR_PM_SOURCE_MINCORE;
    return r;
}

struct pm_first_ctx {
    uint64_t addr;
    unsigned cat;
    int found;
};

static int pm_first_region(void *ctx, uint64_t start, uint64_t end, unsigned cat)
{
    struct pm_first_ctx *f = ctx;
    if (start == 0 && end == 0) { /* restart with another source */
        f->found = 0;
        return 0;
    }
    f->addr = start;
    f->cat = cat;
    f->found = 1;
    return 1;
}

int ptr_pagemap_first(uint64_t start, uint64_t end, uint64_t *addr, unsigned *cat)
{
    struct pm_first_ctx f = {0, 0, 0};
    pm_first_only = 1;
    int r = ptr_pagemap_walk(start, end, pm_first_region, &f);
    pm_first_only = 0;
    if (r < 0)
        return -1;
    if (!f.found)
        return 0;
    *addr = f.addr;
    *cat = f.cat;
    return 1;
}

enum ptr_pm_source ptr_pagemap_last_source(void) { return pm_last; }

static int pm_ignore_region(void *ctx, uint64_t start, uint64_t end, unsigned categories)
{
    return 0;
}

const char *ptr_pagemap_source_name(void)
{
    /* Before any walk, ask the sources about one page of our own data: the answer is the
     * source every later walk starts with (a kernel before 6.7 has no PAGEMAP_SCAN). */
    if (pm_last == PTR_PM_SOURCE_NONE) {
        uint64_t page = (uint64_t)(uintptr_t)&pm_limit & ~(PM_PAGE - 1);
        ptr_pagemap_walk(page, page + PM_PAGE, pm_ignore_region, NULL);
    }
    static const char *const names[] = {"none", "pagemap_scan", "pagemap_pread", "mincore"};
    return names[pm_last];
}

void ptr_pagemap_force_source(enum ptr_pm_source s) { pm_forced = s; }

void ptr_pagemap_disable_ioctl(void) { pm_no_ioctl = 1; }

int ptr_pagemap_ioctl_disabled(void) { return pm_no_ioctl; }
