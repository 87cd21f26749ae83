/*
 * signals: signal handlers that call mmap and munmap while the interrupted thread is itself in
 * the middle of mmap/madvise/munmap — i.e. possibly inside the recorder, holding its lock.
 * SIGALRM comes from an interval timer (every 50 us) and SIGUSR1 from a second thread firing
 * pthread_kill at the main thread as fast as it can. The program must finish (no deadlock);
 * the test runs it under a timeout. Calls made in a handler while the recorder was busy may be
 * counted as LOST instead of recorded; recorded + lost must equal what was made.
 * Last stdout line: {"main_calls": n, "handler_calls": n, "signals": n, "mmap": n,
 *                    "madvise": n, "munmap": n}
 */
#include "ptr_test.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/time.h>

#define ITERATIONS 20000

static atomic_long signals_handled;
static atomic_int done;
static pthread_t main_thread;

static void handler(int sig) {
    ptr_handler_map2(sig);
    atomic_fetch_add(&signals_handled, 1);
}

static void *kicker(void *arg) {
    (void)arg;
    while (!atomic_load(&done)) {
        pthread_kill(main_thread, SIGUSR1);
        for (volatile int i = 0; i < 2000; i++) {
        }
    }
    return NULL;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction SIGALRM");
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction SIGUSR1");

    main_thread = pthread_self();
    pthread_t k;
    CHECK(pthread_create(&k, NULL, kicker, NULL) == 0, "pthread_create");
    struct itimerval it = {{0, 50}, {0, 50}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");

    for (int i = 0; i < ITERATIONS; i++) {
        ptr_round16(i);
    }

    /* Stop every source of signals before counting: block them, stop the timer and the thread. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    atomic_store(&done, 1);
    pthread_join(k, NULL);

    long handled = atomic_load(&signals_handled);
    printf("{\"main_calls\": %d, \"handler_calls\": %ld, \"signals\": %ld, \"mmap\": %ld, "
           "\"madvise\": %d, \"munmap\": %ld}\n",
           3 * ITERATIONS, 2 * handled, handled, ITERATIONS + handled, ITERATIONS,
           ITERATIONS + handled);
    return 0;
}
