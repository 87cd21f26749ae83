/*
 * killed: makes CALLS mmap+munmap pairs, prints "ready <pid> <pairs>" (flushed) and then
 * sleeps until killed. The test SIGKILLs it: the trace must be flagged truncated and still hold
 * every one of the calls made before "ready".
 */
#include "ptr_test.h"

#include <time.h>

#define PAIRS 5000

int main(void) {
    for (int i = 0; i < PAIRS; i++) {
        char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED, "mmap");
        p[PAGE] = 1;
        CHECK(munmap(p, 2 * PAGE) == 0, "munmap");
    }
    printf("ready %d %d\n", (int)getpid(), PAIRS);
    fflush(stdout);
    for (;;) pause(); /* the test kills us; a 60 s safety net is the test's timeout */
}
