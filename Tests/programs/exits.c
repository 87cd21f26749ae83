/*
 * exits: one way out per run, chosen by the argument: exit, _exit, _Exit, return, abort,
 * sigkill (raise(SIGKILL)). Before leaving it makes CALLS mmap+madvise+munmap rounds and
 * prints its counts (flushed, so they survive every way out):
 *   {"mode": "...", "mmap": n, "madvise": n, "munmap": n}
 * The test checks that every call is in the trace, that the trace dumps and reports, and that
 * the trailer says how the process left (none after SIGKILL: that trace is truncated).
 */
#include "ptr_test.h"

#include <signal.h>

#define CALLS 100

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: exits exit|_exit|_Exit|return|abort|sigkill\n");
        return 2;
    }
    const char *mode = argv[1];
    for (int i = 0; i < CALLS; i++) {
        char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED, "mmap");
        p[0] = 1;
        CHECK(madvise(p, 4 * PAGE, MADV_DONTNEED) == 0, "madvise");
        CHECK(munmap(p, 4 * PAGE) == 0, "munmap");
    }
    printf("{\"mode\": \"%s\", \"mmap\": %d, \"madvise\": %d, \"munmap\": %d}\n", mode, CALLS, CALLS,
           CALLS);
    fflush(stdout);

    if (strcmp(mode, "exit") == 0) exit(3);
    if (strcmp(mode, "_exit") == 0) _exit(4);
    if (strcmp(mode, "_Exit") == 0) _Exit(5);
    if (strcmp(mode, "return") == 0) return 6;
    if (strcmp(mode, "abort") == 0) abort();
    if (strcmp(mode, "sigkill") == 0) raise(SIGKILL);
    fprintf(stderr, "exits: unknown mode %s\n", mode);
    return 2;
}
