/*
 * call_cost: time per intercepted call. bench/call_cost.sh runs this same binary bare and
 * under the recorder (stacks off, stacks on) several times and subtracts the bare medians,
 * which gives the recorder's added cost per call.
 *
 *   call_cost [N]     prints one line per case: "case cpu_ns_per_call wall_ns_per_call"
 *
 * Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) — the figure that matters on a
 * shared 2-core machine where other jobs preempt us — and wall time next to it. Each case runs
 * ROUNDS rounds and prints the median round (by CPU time). The cases:
 *   madvise_small      madvise(MADV_NORMAL) on one page from main's frame: no residency scan,
 *                      the hook's floor cost (shallow stack: ~3 frames)
 *   madvise_deep       the same call 24 frames deep, as in a real allocator call chain, so
 *                      unw_backtrace and the stack trie do real work
 *   mmap_munmap        mmap + munmap of 64 KiB, per call (two recorded calls; munmap scans the
 *                      residency of one untouched block)
 *   dontneed_2m        MADV_DONTNEED of a fully touched, 2 MiB-aligned block mapped by a PTE
 *                      page (MADV_NOHUGEPAGE): residency of one full block (512 pages, one run).
 *                      Only the madvise call is timed; the touch before it is not.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define ROUNDS 5
#define DEEP_FRAMES 24

struct stamp {
    uint64_t cpu, wall;
};

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct stamp now(void)
{
    return (struct stamp){clock_ns(CLOCK_THREAD_CPUTIME_ID), clock_ns(CLOCK_MONOTONIC)};
}

/* Per-call cost of a round: CPU and wall nanoseconds since `t0`, divided by `calls`. */
struct cost {
    double cpu, wall;
};

static struct cost since(struct stamp t0, double calls)
{
    struct stamp t1 = now();
    return (struct cost){(t1.cpu - t0.cpu) / calls, (t1.wall - t0.wall) / calls};
}

static int cmp_cost(const void *a, const void *b)
{
    double x = ((const struct cost *)a)->cpu, y = ((const struct cost *)b)->cpu;
    return (x > y) - (x < y);
}

static void report(const char *name, struct cost *v, int n)
{
    qsort(v, n, sizeof v[0], cmp_cost);
    printf("%s %.1f %.1f\n", name, v[n / 2].cpu, v[n / 2].wall);
}

static char *one_page;

static struct cost madvise_loop(int n)
{
    struct stamp t0 = now();
    for (int i = 0; i < n; i++)
        madvise(one_page, 4096, MADV_NORMAL);
    return since(t0, n);
}

/* Recursion the compiler may not flatten: each level is a real frame for the unwinder. */
__attribute__((noinline)) static struct cost deep(int depth, int n)
{
    if (depth == 0)
        return madvise_loop(n);
    struct cost r = deep(depth - 1, n);
    __asm__ volatile("" ::: "memory");
    return r;
}

static struct cost mmap_munmap(int n)
{
    struct stamp t0 = now();
    for (int i = 0; i < n; i++) {
        void *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(p, 65536);
    }
    return since(t0, 2.0 * n);
}

static struct cost dontneed_2m(char *block, int m)
{
    struct cost total = {0, 0};
    for (int i = 0; i < m; i++) {
        for (size_t off = 0; off < (2u << 20); off += 4096)
            block[off] = 1;
        struct stamp a = now();
        madvise(block, 2u << 20, MADV_DONTNEED);
        struct cost c = since(a, 1);
        total.cpu += c.cpu;
        total.wall += c.wall;
    }
    return (struct cost){total.cpu / m, total.wall / m};
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    if (n < 100)
        n = 100;
    const size_t block = 2u << 20;
    struct cost r[ROUNDS];

    one_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *raw = mmap(NULL, 2 * block, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (one_page == MAP_FAILED || raw == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    char *b = (char *)(((uintptr_t)raw + block - 1) & ~(uintptr_t)(block - 1));
    madvise(b, block, MADV_NOHUGEPAGE);

    /* Warm-up: first calls pay for lazy binding, the stack trie's first nodes, page faults. */
    madvise_loop(1000);
    deep(DEEP_FRAMES, 1000);
    mmap_munmap(1000);
    dontneed_2m(b, 20);

    for (int i = 0; i < ROUNDS; i++) r[i] = madvise_loop(n);
    report("madvise_small", r, ROUNDS);
    for (int i = 0; i < ROUNDS; i++) r[i] = deep(DEEP_FRAMES, n);
    report("madvise_deep", r, ROUNDS);
    for (int i = 0; i < ROUNDS; i++) r[i] = mmap_munmap(n / 2);
    report("mmap_munmap", r, ROUNDS);
    int m = n / 400 > 20 ? n / 400 : 20; /* each iteration also touches 512 pages */
    for (int i = 0; i < ROUNDS; i++) r[i] = dontneed_2m(b, m);
    report("dontneed_2m", r, ROUNDS);
    return 0;
}
