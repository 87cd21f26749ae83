/*
 * calls_counts: makes a known number of every hooked call — mmap, mmap64, munmap, mremap,
 * madvise, posix_madvise, mprotect, pkey_mprotect, process_madvise, brk, sbrk — from the main
 * thread, from 8 threads at once (a barrier lines them up so their calls overlap), and from a
 * forked child. The last stdout line is JSON with the counts per process:
 *   {"parent": {"pid": P, "mmap": n, ...}, "child": {"pid": C, "mmap": n, ...}}
 * The test checks that the trace FILE (parent) and FILE.<C> (child) hold exactly these numbers.
 *
 * brk/sbrk are only called from the main thread (the break is process-global) and always put
 * the break back where it was. glibc's malloc moves the break with its internal __brk, which no
 * preloaded library can see, so malloc in this program adds nothing to the recorded counts.
 */
#include "ptr_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/pidfd.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define NTHREADS 8
#define MAIN_ROUNDS 100
#define THREAD_ROUNDS 250
#define CHILD_ROUNDS 40
#define BRK_ROUNDS 50

enum { C_MMAP, C_MMAP64, C_MUNMAP, C_MREMAP, C_MADVISE, C_POSIX_MADVISE, C_MPROTECT,
       C_PKEY_MPROTECT, C_PROCESS_MADVISE, C_BRK, C_SBRK, C_N };
static const char *const names[C_N] = {"mmap", "mmap64", "munmap", "mremap", "madvise",
                                       "posix_madvise", "mprotect", "pkey_mprotect",
                                       "process_madvise", "brk", "sbrk"};
static atomic_long counts[C_N];

static void count(int which) { atomic_fetch_add(&counts[which], 1); }

/* One round of every address-space call, as the main thread and the child make them. */
static void full_round(void) {
    const int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
    char *p = mmap(NULL, 64 * KIB, prot, flags, -1, 0);
    count(C_MMAP);
    CHECK(p != MAP_FAILED, "mmap");
    char *q = mmap64(NULL, 64 * KIB, prot, flags, -1, 0);
    count(C_MMAP64);
    CHECK(q != MAP_FAILED, "mmap64");
    ptr_touch(p, 64 * KIB);
    ptr_touch(q, 64 * KIB);
    CHECK(madvise(p, PAGE, MADV_DONTNEED) == 0, "madvise");
    count(C_MADVISE);
    CHECK(posix_madvise(p, PAGE, POSIX_MADV_NORMAL) == 0, "posix_madvise");
    count(C_POSIX_MADVISE);
    CHECK(mprotect(p, PAGE, PROT_READ) == 0, "mprotect");
    count(C_MPROTECT);
    /* pkey -1 is the only key valid on CPUs without PKU (this machine's); the recorder stores
     * it as an MPROTECT record with pkey -1, the same as mprotect, so the test checks the
     * MPROTECT total against mprotect + pkey_mprotect. */
    CHECK(pkey_mprotect(p, PAGE, prot, -1) == 0, "pkey_mprotect");
    count(C_PKEY_MPROTECT);

    int pidfd = pidfd_open(getpid(), 0);
    CHECK(pidfd >= 0, "pidfd_open");
    struct iovec iov = {q, 64 * KIB};
    CHECK(process_madvise(pidfd, &iov, 1, MADV_COLD, 0) == (ssize_t)(64 * KIB), "process_madvise");
    count(C_PROCESS_MADVISE);
    close(pidfd);

    p = mremap(p, 64 * KIB, 256 * KIB, MREMAP_MAYMOVE);
    count(C_MREMAP);
    CHECK(p != MAP_FAILED, "mremap");
    CHECK(munmap(p, 256 * KIB) == 0, "munmap");
    count(C_MUNMAP);
    CHECK(munmap(q, 64 * KIB) == 0, "munmap");
    count(C_MUNMAP);
}

/* brk and sbrk, each leaving the break where it found it. */
static void break_rounds(void) {
    for (int i = 0; i < BRK_ROUNDS; i++) {
        void *old = sbrk(4 * PAGE);
        count(C_SBRK);
        CHECK(old != (void *)-1, "sbrk grow");
        CHECK(sbrk(-(intptr_t)(4 * PAGE)) != (void *)-1, "sbrk shrink");
        count(C_SBRK);
        char *cur = sbrk(0);
        count(C_SBRK);
        CHECK(brk(cur + 8 * PAGE) == 0, "brk grow");
        count(C_BRK);
        CHECK(brk(cur) == 0, "brk shrink");
        count(C_BRK);
    }
}

static pthread_barrier_t barrier;

static void *thread_main(void *arg) {
    (void)arg;
    const int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < THREAD_ROUNDS; i++) {
        char *p = mmap(NULL, 32 * KIB, prot, flags, -1, 0);
        count(C_MMAP);
        CHECK(p != MAP_FAILED, "thread mmap");
        char *q = mmap64(NULL, 16 * KIB, prot, flags, -1, 0);
        count(C_MMAP64);
        CHECK(q != MAP_FAILED, "thread mmap64");
        ptr_touch(p, 32 * KIB);
        CHECK(madvise(p, 8 * KIB, MADV_DONTNEED) == 0, "thread madvise");
        count(C_MADVISE);
        CHECK(mprotect(p, 32 * KIB, PROT_READ) == 0, "thread mprotect");
        count(C_MPROTECT);
        p = mremap(p, 32 * KIB, 64 * KIB, MREMAP_MAYMOVE);
        count(C_MREMAP);
        CHECK(p != MAP_FAILED, "thread mremap");
        CHECK(munmap(p, 64 * KIB) == 0, "thread munmap");
        count(C_MUNMAP);
        CHECK(munmap(q, 16 * KIB) == 0, "thread munmap");
        count(C_MUNMAP);
    }
    return NULL;
}

static void print_counts(const char *label, long pid, const long *c) {
    printf("\"%s\": {\"pid\": %ld", label, pid);
    for (int i = 0; i < C_N; i++) printf(", \"%s\": %ld", names[i], c[i]);
    printf("}");
}

int main(void) {
    break_rounds();
    for (int i = 0; i < MAIN_ROUNDS; i++) full_round();

    pthread_t t[NTHREADS];
    CHECK(pthread_barrier_init(&barrier, NULL, NTHREADS) == 0, "barrier");
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&t[i], NULL, thread_main, NULL) == 0, "pthread_create");
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);

    long parent[C_N];
    for (int i = 0; i < C_N; i++) parent[i] = atomic_load(&counts[i]);

    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    fflush(stdout);
    pid_t child = fork();
    CHECK(child >= 0, "fork");
    if (child == 0) {
        for (int i = 0; i < C_N; i++) atomic_store(&counts[i], 0);
        break_rounds();
        for (int i = 0; i < CHILD_ROUNDS; i++) full_round();
        long mine[C_N];
        for (int i = 0; i < C_N; i++) mine[i] = atomic_load(&counts[i]);
        CHECK(write(fds[1], mine, sizeof mine) == (ssize_t)sizeof mine, "pipe write");
        exit(0);
    }
    close(fds[1]);
    long childc[C_N];
    CHECK(read(fds[0], childc, sizeof childc) == (ssize_t)sizeof childc, "pipe read");
    int status;
    CHECK(waitpid(child, &status, 0) == child, "waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child failed, status %#x\n", status);
        return 1;
    }
    printf("{");
    print_counts("parent", getpid(), parent);
    printf(", ");
    print_counts("child", child, childc);
    printf("}\n");
    return 0;
}
