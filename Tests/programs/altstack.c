/*
 * altstack: a signal handler on a small alternate stack that maps memory. SIGALRM comes every
 * 50 us (interval timer) and runs on a sigaltstack of ALT_KIB KiB (argv[1], default 5); the
 * handler makes an mmap + touch + munmap, while the main loop does mmap, madvise(DONTNEED) and
 * munmap — so the handler often runs while the interrupted code is inside the recorder, and
 * the recorder's own work on the handler's calls must fit in what is left of the small stack.
 * The alternate stack is painted before and the deepest byte used is reported (alt_used).
 * mmap and munmap counts include the handler's warm-up call from main.
 * Last stdout line: {"alt_kib": n, "alt_used": bytes, "signals": n, "mmap": n, "madvise": n,
 *                    "munmap": n, "handler_calls": n}
 */
#include "ptr_test.h"

#include <signal.h>
#include <stdatomic.h>
#include <sys/time.h>

#define ITERATIONS 20000
#define PAINT 0xa5

static atomic_long handled;

static void handler(int sig) {
    ptr_handler_map2(sig);
    atomic_fetch_add(&handled, 1);
}

int main(int argc, char **argv) {
    long kib = argc > 1 ? strtol(argv[1], NULL, 10) : 5;
    size_t alt_len = (size_t)kib * KIB;
    static char alt[64 * 1024] __attribute__((aligned(64)));
    CHECK(alt_len <= sizeof alt, "alternate stack size");
    stack_t ss = {.ss_sp = alt, .ss_size = alt_len, .ss_flags = 0};
    CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack");

    /* Resolve the handler's functions now: a lazy PLT binding inside the handler (the dynamic
     * linker saves every vector register) needs more stack than the handler itself. */
    handler(0);
    atomic_store(&handled, 0);
    memset(alt, PAINT, alt_len);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
    struct itimerval it = {{0, 50}, {0, 50}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");

    for (int i = 0; i < ITERATIONS; i++) {
        ptr_round16(i);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);

    size_t used = 0;
    while (used < alt_len && (unsigned char)alt[used] == PAINT) used++;
    long h = atomic_load(&handled);
    printf("{\"alt_kib\": %ld, \"alt_used\": %zu, \"signals\": %ld, \"mmap\": %ld, \"madvise\": %d, "
           "\"munmap\": %ld, \"handler_calls\": %ld}\n",
           kib, alt_len - used, h, ITERATIONS + h + 1, ITERATIONS, ITERATIONS + h + 1, 2 * h);
    return 0;
}
