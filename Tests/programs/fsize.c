/*
 * fsize: a small RLIMIT_FSIZE. Unless argv[1] is "inherited" (the limit was set by whoever
 * started us, e.g. `prlimit --fsize=65536`), the program sets RLIMIT_FSIZE to 64 KiB itself,
 * then makes PAIRS mmap + touch + munmap pairs. Growing any file past the limit raises
 * SIGXFSZ, which kills by default: the recorder must treat the limit like a full disk (drop
 * records and count them), never grow its trace past it.
 * Last stdout line: {"fsize": bytes, "mmap": n, "munmap": n}
 */
#include "ptr_test.h"

#include <sys/resource.h>

#define PAIRS 100000

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "inherited") != 0) {
        struct rlimit rl = {65536, 65536};
        CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0, "setrlimit");
    }
    struct rlimit now;
    CHECK(getrlimit(RLIMIT_FSIZE, &now) == 0, "getrlimit");
    for (int i = 0; i < PAIRS; i++) {
        char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED, "mmap");
        p[0] = 1;
        CHECK(munmap(p, 4 * PAGE) == 0, "munmap");
    }
    printf("{\"fsize\": %llu, \"mmap\": %d, \"munmap\": %d}\n", (unsigned long long)now.rlim_cur,
           PAIRS, PAIRS);
    return 0;
}
