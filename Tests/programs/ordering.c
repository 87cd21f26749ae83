/*
 * ordering: 8 threads race mmap and munmap over the same address ranges, so the kernel hands
 * an address freed by one thread to another thread within microseconds. The test replays the
 * recorded calls in file order and checks that no successful mmap returns an address that,
 * per that order, is still mapped by an earlier recorded mmap (a munmap recorded after the
 * mmap that reused its range would be an order the kernel cannot have produced).
 *
 * Two races run back to back:
 *  1. shared slots: each thread maps a region and swaps it into a shared slot; whoever takes
 *     the old region out unmaps it (in two halves, to exercise partial munmap). Reuse comes
 *     from the kernel's own placement.
 *  2. fixed arena: a 16 MiB arena is reserved and released; threads then map 64 KiB pieces of
 *     it with MAP_FIXED_NOREPLACE at addresses they all compete for (EEXIST when taken) and
 *     unmap what they got.
 * Last stdout line: {"mmap_ok": n, "mmap_failed": n, "munmap": n} — every call made.
 */
#include "ptr_test.h"

#include <pthread.h>
#include <stdatomic.h>

#define NTHREADS 8
#define SLOTS 16
#define SLOT_ROUNDS 1500
#define ARENA_ROUNDS 1500
#define ARENA_SIZE (16 * MIB)
#define PIECE (64 * KIB)

static _Atomic(char *) slot[SLOTS];
static char *arena;
static atomic_long mmap_ok, mmap_failed, munmaps;
static pthread_barrier_t barrier;

static size_t slot_size(int i) { return (size_t)(1 + i % 4) * 16 * KIB; }

static void unmap_halves(char *p, size_t len) {
    CHECK(munmap(p, len / 2) == 0, "munmap first half");
    CHECK(munmap(p + len / 2, len / 2) == 0, "munmap second half");
    atomic_fetch_add(&munmaps, 2);
}

static void *racer(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
    const int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;

    pthread_barrier_wait(&barrier);
    for (int r = 0; r < SLOT_ROUNDS; r++) {
        int i = (int)(rand_r(&seed) % SLOTS);
        char *p = mmap(NULL, slot_size(i), prot, flags, -1, 0);
        CHECK(p != MAP_FAILED, "mmap slot");
        atomic_fetch_add(&mmap_ok, 1);
        p[0] = 1;
        char *old = atomic_exchange(&slot[i], p);
        if (old) unmap_halves(old, slot_size(i));
    }

    pthread_barrier_wait(&barrier); /* phase 1 done; main releases the arena */
    pthread_barrier_wait(&barrier);
    for (int r = 0; r < ARENA_ROUNDS; r++) {
        char *want = arena + (size_t)(rand_r(&seed) % (ARENA_SIZE / PIECE)) * PIECE;
        char *p = mmap(want, PIECE, prot, flags | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED) {
            CHECK(errno == EEXIST, "mmap MAP_FIXED_NOREPLACE");
            atomic_fetch_add(&mmap_failed, 1);
            continue;
        }
        CHECK(p == want, "MAP_FIXED_NOREPLACE placed elsewhere");
        atomic_fetch_add(&mmap_ok, 1);
        p[0] = 1;
        CHECK(munmap(p, PIECE) == 0, "munmap piece");
        atomic_fetch_add(&munmaps, 1);
    }
    return NULL;
}

int main(void) {
    /* The threads' stacks are mapped first, so they cannot land in the arena; the arena is
     * held PROT_NONE during phase 1 (so slot mappings land elsewhere) and released for phase 2. */
    pthread_t t[NTHREADS];
    CHECK(pthread_barrier_init(&barrier, NULL, NTHREADS + 1) == 0, "barrier");
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&t[i], NULL, racer, (void *)(uintptr_t)(i + 1)) == 0, "pthread_create");
    arena = mmap(NULL, ARENA_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(arena != MAP_FAILED, "mmap arena");
    atomic_fetch_add(&mmap_ok, 1);
    pthread_barrier_wait(&barrier); /* start phase 1 */
    pthread_barrier_wait(&barrier); /* phase 1 done */
    CHECK(munmap(arena, ARENA_SIZE) == 0, "munmap arena");
    atomic_fetch_add(&munmaps, 1);
    pthread_barrier_wait(&barrier); /* start phase 2 */
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);

    for (int i = 0; i < SLOTS; i++) {
        char *p = atomic_load(&slot[i]);
        if (p) unmap_halves(p, slot_size(i));
    }
    printf("{\"mmap_ok\": %ld, \"mmap_failed\": %ld, \"munmap\": %ld}\n", atomic_load(&mmap_ok),
           atomic_load(&mmap_failed), atomic_load(&munmaps));
    return 0;
}
