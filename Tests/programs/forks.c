/*
 * forks: the three ways a program starts another process, all under the recorder.
 *   fork        the child makes CHILD_CALLS mmap+munmap pairs and exits 0; with follow-fork its
 *               trace is FILE.<childpid> and starts with a full snapshot.
 *   vfork+exec  the child execs this program with "--exec-child" (it makes EXEC_CALLS pairs).
 *   posix_spawn spawns this program with "--spawn-child" (it makes SPAWN_CALLS pairs).
 * The parent makes PARENT_CALLS pairs, waits for every child and checks each exited 0.
 * Last stdout line (parent only):
 *   {"parent": {"pid": P, "pairs": n}, "fork": {"pid": C, "pairs": n},
 *    "vfork": {"pid": V, "pairs": n}, "spawn": {"pid": S, "pairs": n}}
 * where a pair is one mmap and one munmap.
 */
#include "ptr_test.h"

#include <spawn.h>
#include <sys/wait.h>

#define PARENT_CALLS 30
#define CHILD_CALLS 20
#define EXEC_CALLS 25
#define SPAWN_CALLS 35

extern char **environ;

static void pairs(int n) {
    for (int i = 0; i < n; i++) {
        char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED, "mmap");
        p[PAGE] = 1;
        CHECK(munmap(p, 3 * PAGE) == 0, "munmap");
    }
}

static int wait_ok(pid_t pid, const char *what) {
    int status;
    if (waitpid(pid, &status, 0) != pid) ptr_die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s child %d failed, status %#x\n", what, (int)pid, status);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--exec-child") == 0) {
        pairs(EXEC_CALLS);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--spawn-child") == 0) {
        pairs(SPAWN_CALLS);
        return 0;
    }
    const char *self = "/proc/self/exe";
    char exe[4096];
    ssize_t n = readlink(self, exe, sizeof exe - 1);
    CHECK(n > 0, "readlink /proc/self/exe");
    exe[n] = 0;

    pairs(PARENT_CALLS);
    fflush(stdout);

    pid_t forked = fork();
    CHECK(forked >= 0, "fork");
    if (forked == 0) {
        pairs(CHILD_CALLS);
        exit(0);
    }

    char *exec_argv[] = {exe, "--exec-child", NULL};
    pid_t vforked = vfork();
    CHECK(vforked >= 0, "vfork");
    if (vforked == 0) {
        execve(exe, exec_argv, environ);
        _exit(127);
    }

    char *spawn_argv[] = {exe, "--spawn-child", NULL};
    pid_t spawned;
    errno = posix_spawn(&spawned, exe, NULL, NULL, spawn_argv, environ);
    CHECK(errno == 0, "posix_spawn");

    int ok = wait_ok(forked, "fork") & wait_ok(vforked, "vfork+exec") & wait_ok(spawned, "posix_spawn");
    if (!ok) return 1;
    printf("{\"parent\": {\"pid\": %d, \"pairs\": %d}, \"fork\": {\"pid\": %d, \"pairs\": %d}, "
           "\"vfork\": {\"pid\": %d, \"pairs\": %d}, \"spawn\": {\"pid\": %d, \"pairs\": %d}}\n",
           (int)getpid(), PARENT_CALLS, (int)forked, CHILD_CALLS, (int)vforked, EXEC_CALLS,
           (int)spawned, SPAWN_CALLS);
    return 0;
}
