/*
 * seccomp_ioctl: a sandboxed program whose seccomp filter kills the process on any ioctl
 * (SECCOMP_RET_KILL_PROCESS), as a sandbox that forbids device control might. With no argument
 * it installs the filter itself (prctl(PR_SET_NO_NEW_PRIVS) then syscall(SYS_seccomp)), and
 * then makes ITERATIONS rounds of mmap + touch + madvise(MADV_DONTNEED) + munmap — each
 * DONTNEED and munmap makes the recorder read residency. With "exec" it installs the filter and
 * then execs itself with "run": the filter is inherited, already there when the recorder
 * starts in the new image. Output is written with write(2) (stdio may ioctl a terminal).
 * Last stdout line: {"mmap": n, "madvise": n, "munmap": n}
 */
#include "ptr_test.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define ITERATIONS 1000

static void install_filter(void) {
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "prctl(PR_SET_NO_NEW_PRIVS)");
    CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0, "seccomp");
}

int main(int argc, char **argv) {
    int exec_mode = argc > 1 && strcmp(argv[1], "exec") == 0;
    int run_mode = argc > 1 && strcmp(argv[1], "run") == 0;
    if (!run_mode) install_filter();
    if (exec_mode) {
        char *args[] = {argv[0], "run", NULL};
        execv("/proc/self/exe", args);
        ptr_die("execv");
    }
    for (int i = 0; i < ITERATIONS; i++) {
        ptr_round16(i);
    }
    char line[128];
    int n = snprintf(line, sizeof line, "{\"mmap\": %d, \"madvise\": %d, \"munmap\": %d}\n",
                     ITERATIONS, ITERATIONS, ITERATIONS);
    CHECK(write(1, line, (size_t)n) == n, "write");
    return 0;
}
