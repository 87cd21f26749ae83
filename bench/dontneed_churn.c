// dontneed_churn: a workload for the replay-speed bench (issue 8) whose trace carries residency
// on every releasing call. A 64 MiB anonymous arena is written, then N rounds each release a
// 4 KiB..256 KiB range with MADV_DONTNEED and write a few pages back elsewhere; every 64 rounds a
// side mapping is mapped, written, mprotect'ed and unmapped. Deterministic (fixed seed).
//   dontneed_churn [ROUNDS]      (default 1000000)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define ARENA (64ul << 20)
#define PAGE 4096ul

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 1000000;
    char *arena = mmap(NULL, ARENA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (arena == MAP_FAILED) { perror("mmap"); return 1; }
    for (size_t off = 0; off < ARENA; off += PAGE) arena[off] = 1;
    for (long i = 0; i < rounds; i++) {
        size_t pages = 1 + next_random() % 64;                    // 4 KiB .. 256 KiB
        size_t first = next_random() % (ARENA / PAGE - pages);
        if (madvise(arena + first * PAGE, pages * PAGE, MADV_DONTNEED) != 0) { perror("madvise"); return 1; }
        size_t back = next_random() % (ARENA / PAGE - 8);
        for (size_t p = 0; p < 8; p++) arena[(back + p) * PAGE] = 2;
        if (i % 64 == 63) {
            size_t len = (1 + next_random() % 32) * PAGE;
            char *side = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (side == MAP_FAILED) { perror("mmap"); return 1; }
            side[0] = 3;
            mprotect(side, len, PROT_READ);
            munmap(side, len);
        }
    }
    munmap(arena, ARENA);
    return 0;
}
