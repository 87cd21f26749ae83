/*
 * call_cost: time per intercepted call, run once bare and once under the recorder
 * (bench/run.sh compares the two). Each case repeats one call shape many times and prints
 * "case ns_per_call". The cases:
 *   madvise_small   madvise(MADV_NORMAL) on one page: no residency scan, the hook's floor cost
 *   mmap_munmap     mmap + munmap of 64 KiB (two recorded calls; munmap scans residency)
 *   dontneed_2m     touch a 2 MiB aligned block, then MADV_DONTNEED it (residency of one full
 *                   block); the touch is timed separately and subtracted
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void touch(char *p, size_t len)
{
    for (size_t i = 0; i < len; i += 4096)
        p[i] = 1;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200000;
    const size_t block = 2u << 20;

    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t t0 = now_ns();
    for (int i = 0; i < n; i++)
        madvise(page, 4096, MADV_NORMAL);
    printf("madvise_small %.1f\n", (double)(now_ns() - t0) / n);

    t0 = now_ns();
    for (int i = 0; i < n; i++) {
        void *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(p, 65536);
    }
    printf("mmap_munmap %.1f\n", (double)(now_ns() - t0) / n / 2);

    char *raw = mmap(NULL, 2 * block, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *b = (char *)(((uintptr_t)raw + block - 1) & ~(uintptr_t)(block - 1));
    madvise(b, block, MADV_NOHUGEPAGE);
    int m = n / 20 > 0 ? n / 20 : 1;
    uint64_t touch_ns = 0, total = 0;
    for (int i = 0; i < m; i++) {
        uint64_t a = now_ns();
        touch(b, block);
        uint64_t c = now_ns();
        madvise(b, block, MADV_DONTNEED);
        uint64_t d = now_ns();
        touch_ns += c - a;
        total += d - c;
    }
    printf("dontneed_2m %.1f\n", (double)total / m);
    (void)touch_ns;
    return 0;
}
