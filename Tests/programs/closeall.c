/*
 * closeall: behaves like a daemonizing program — closes every descriptor above stderr
 * (close_range(3, ~0U, 0), then a close() loop up to the descriptor limit, in case
 * close_range is missing), then dup2()s /dev/null over every descriptor from 3 to 1023, so any
 * descriptor the recorder held now points at /dev/null. Then it makes known calls, which must
 * still be recorded in the trace.
 * Last stdout line: {"mmap": n, "munmap": n, "madvise": n, "mprotect": n}
 */
#include "ptr_test.h"

#include <linux/close_range.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define ROUNDS 500

int main(void) {
    long n_mmap = 0, n_munmap = 0, n_madvise = 0, n_mprotect = 0;

    /* A few calls before, so the trace is known to be open and working. */
    for (int i = 0; i < 10; i++) {
        char *p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED, "mmap");
        n_mmap++;
        CHECK(munmap(p, 8 * PAGE) == 0, "munmap");
        n_munmap++;
    }
    fflush(stdout);

    if (syscall(SYS_close_range, 3U, ~0U, 0) != 0 && errno != ENOSYS) ptr_die("close_range");
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
    long limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536 ? 65536 : (long)rl.rlim_cur;
    for (long fd = 3; fd < limit; fd++) close((int)fd);

    int null = open("/dev/null", O_RDWR);
    CHECK(null >= 0, "open /dev/null");
    for (int fd = 3; fd < 1024; fd++)
        if (fd != null) CHECK(dup2(null, fd) == fd, "dup2");

    for (int i = 0; i < ROUNDS; i++) {
        char *p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED, "mmap");
        n_mmap++;
        p[PAGE] = 1;
        CHECK(madvise(p, 8 * PAGE, MADV_DONTNEED) == 0, "madvise");
        n_madvise++;
        CHECK(mprotect(p, 8 * PAGE, PROT_READ) == 0, "mprotect");
        n_mprotect++;
        CHECK(munmap(p, 8 * PAGE) == 0, "munmap");
        n_munmap++;
    }
    printf("{\"mmap\": %ld, \"munmap\": %ld, \"madvise\": %ld, \"mprotect\": %ld}\n", n_mmap,
           n_munmap, n_madvise, n_mprotect);
    return 0;
}
