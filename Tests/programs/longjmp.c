/*
 * longjmp: a signal handler that leaves by siglongjmp. SIGALRM comes every 50 us; while the
 * main loop is armed the handler jumps back to the loop's sigsetjmp, abandoning whatever the
 * main thread was doing — often a hook inside the recorder, which must recover (its guard,
 * its lock, its half-written record) and keep recording the thread's later calls.
 * A call cut short by the jump may or may not have run: the program counts the calls it
 * started and the calls that returned; recorded + lost must lie between the two.
 * Last stdout line: {"started": n, "returned": n, "jumps": n}
 */
#include "ptr_test.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/time.h>

#define ITERATIONS 20000

static sigjmp_buf env;
static volatile sig_atomic_t armed;
static volatile long jumps, started, returned;

static void handler(int sig) {
    (void)sig;
    if (armed) {
        armed = 0;
        jumps++;
        siglongjmp(env, 1);
    }
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
    struct itimerval it = {{0, 50}, {0, 50}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");

    static volatile int i;
    for (i = 0; i < ITERATIONS; i++) {
        sigsetjmp(env, 1);
        armed = 1;
        started++;
        char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        returned++;
        if (p == MAP_FAILED) continue;
        p[0] = 1;
        started++;
        madvise(p, 4 * PAGE, MADV_DONTNEED);
        returned++;
        started++;
        munmap(p, 4 * PAGE);
        returned++;
        armed = 0;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    armed = 0;
    printf("{\"started\": %ld, \"returned\": %ld, \"jumps\": %ld}\n", started, returned, jumps);
    return 0;
}
