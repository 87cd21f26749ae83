/*
 * rawclone: children made without the fork hook. A helper thread calls madvise(MADV_DONTNEED)
 * in a loop (so the recorder is often mid-record, holding its lock, with a residency scan in
 * progress) while the main thread creates CHILDREN children with syscall(SYS_clone, SIGCHLD)
 * — and every fourth with clone3 — and each child makes PAIRS mmap+munmap pairs and exits.
 * The parent waits up to 2 s for each child and kills (and counts as hung) any that has not
 * exited. Under the recorder a child must never write into the parent's trace nor wait for
 * its lock.
 * Last stdout line: {"children": n, "hung": n, "failed": n, "madvise": n, "mmap": 1,
 *                    "munmap": 1}  (the parent's own calls)
 */
#include "ptr_test.h"

#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define CHILDREN 300
#define PAIRS 50

static atomic_int stop;
static atomic_long madvises;
static char *area;

static void *helper(void *arg) {
    (void)arg;
    while (!atomic_load(&stop)) {
        area[0] = 1;
        area[BLOCK] = 1;
        CHECK(madvise(area, 2 * BLOCK, MADV_DONTNEED) == 0, "madvise");
        atomic_fetch_add(&madvises, 1);
    }
    return NULL;
}

static void child_body(void) {
    for (int i = 0; i < PAIRS; i++) {
        char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) _exit(3);
        p[0] = 1;
        if (munmap(p, 4 * PAGE) != 0) _exit(4);
    }
    _exit(0);
}

static pid_t raw_child(int use_clone3) {
    long r;
    if (use_clone3) {
        struct clone_args args;
        memset(&args, 0, sizeof args);
        args.exit_signal = SIGCHLD;
        r = syscall(SYS_clone3, &args, sizeof args);
        if (r < 0 && errno == ENOSYS) r = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    } else {
        r = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    }
    if (r == 0) child_body();
    return (pid_t)r;
}

/* 1 = exited with status 0, 0 = exited otherwise, -1 = still running after 2 s (killed). */
static int reap(pid_t pid) {
    for (int waited_ms = 0; waited_ms < 2000; waited_ms++) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 1 : 0;
        CHECK(r == 0, "waitpid");
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

int main(void) {
    area = mmap(NULL, 2 * BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(area != MAP_FAILED, "mmap");
    pthread_t t;
    CHECK(pthread_create(&t, NULL, helper, NULL) == 0, "pthread_create");
    int hung = 0, failed = 0;
    for (int i = 0; i < CHILDREN; i++) {
        pid_t pid = raw_child(i % 4 == 3);
        CHECK(pid > 0, "clone");
        int r = reap(pid);
        if (r < 0) hung++;
        else if (r == 0) failed++;
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    CHECK(munmap(area, 2 * BLOCK) == 0, "munmap");
    printf("{\"children\": %d, \"hung\": %d, \"failed\": %d, \"madvise\": %ld, \"mmap\": 1, "
           "\"munmap\": 1}\n", CHILDREN, hung, failed, atomic_load(&madvises));
    return 0;
}
