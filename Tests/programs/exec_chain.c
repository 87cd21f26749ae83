/*
 * exec_chain: execs itself once. The first image makes FIRST_PAIRS mmap+munmap pairs and then
 * execve()s this program with "--second"; the second image makes SECOND_PAIRS pairs and exits 0.
 * With follow-exec (the default) the second image writes its own trace and the first image's
 * trace stays intact and readable (ending with an EXEC record); with follow-exec off there is
 * one trace, holding only the first image's calls.
 * With "--custom-env" the first image execs with an environment of its own (one variable, no
 * LD_PRELOAD, no PTRECLAIM_*), as a program passing its own envp to execve does: the recorder's
 * exec hook must keep itself and its settings in it.
 * Last stdout line (second image): {"pid": P, "first_pairs": n, "second_pairs": n}
 * (exec keeps the pid).
 */
#include "ptr_test.h"

#define FIRST_PAIRS 40
#define SECOND_PAIRS 60

extern char **environ;

static void pairs(int n) {
    for (int i = 0; i < n; i++) {
        char *p = mmap(NULL, 5 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED, "mmap");
        p[2 * PAGE] = 1;
        CHECK(munmap(p, 5 * PAGE) == 0, "munmap");
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--second") == 0) {
        pairs(SECOND_PAIRS);
        printf("{\"pid\": %d, \"first_pairs\": %d, \"second_pairs\": %d}\n", (int)getpid(),
               FIRST_PAIRS, SECOND_PAIRS);
        return 0;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0, "readlink /proc/self/exe");
    exe[n] = 0;
    pairs(FIRST_PAIRS);
    char *args[] = {exe, "--second", NULL};
    char *custom_env[] = {"PTR_EXEC_CHAIN=custom-envp", NULL};
    int custom = argc > 1 && strcmp(argv[1], "--custom-env") == 0;
    execve(exe, args, custom ? custom_env : environ);
    ptr_die("execve");
}
