/*
 * nofd: a program that runs out of file descriptors. It closes every descriptor above 2 (the
 * recorder's trace and pagemap descriptors among them), sets RLIMIT_NOFILE to 3 so no open
 * can succeed, then makes ITERATIONS rounds of mmap + touch + madvise(MADV_DONTNEED) + munmap.
 * The recorder must notice once that it cannot open /proc/self/pagemap and take its cheap path,
 * not retry the open (and fall back page by page) on every call.
 * Last stdout line: {"mmap": n, "madvise": n, "munmap": n}
 */
#include "ptr_test.h"

#include <sys/resource.h>

#define ITERATIONS 2000

int main(void) {
    for (int fd = 3; fd < 1024; fd++) close(fd);
    struct rlimit rl = {3, 3};
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit");
    for (int i = 0; i < ITERATIONS; i++) {
        ptr_round16(i);
    }
    printf("{\"mmap\": %d, \"madvise\": %d, \"munmap\": %d}\n", ITERATIONS, ITERATIONS, ITERATIONS);
    return 0;
}
