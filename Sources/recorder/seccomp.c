/*
 * Seccomp: a program may install a filter that kills the process on a system call the recorder
 * makes for it — the PAGEMAP_SCAN ioctl behind every residency scan is the one a sandbox is
 * most likely to forbid (ioctl is usually filtered by request number). A killing filter cannot
 * be probed by trying, and a probe child (clone) may itself be forbidden, so the recorder never
 * tries: it stops using the ioctl (pread of /proc/self/pagemap answers the same question, more
 * slowly) as soon as
 *   - /proc/self/status says "Seccomp:" is not 0 at start-up (a filter inherited from the
 *     parent: container runtimes, systemd units), or PTRECLAIM_PAGEMAP_SCAN=0;
 *   - the program calls prctl(PR_SET_NO_NEW_PRIVS or PR_SET_SECCOMP) through libc —
 *     interposed here, before the filter exists. An unprivileged filter needs no_new_privs
 *     first, and libseccomp sets it by default, so this sees nearly every filter.
 * A filter installed by root with a seccomp system call and no prctl through libc (or with
 * inline assembly) is not seen: PTRECLAIM_PAGEMAP_SCAN=0 covers that case. (syscall() itself is
 * not interposed: allocators such as tcmalloc make their memory calls through it.)
 *
 * prctl() is forwarded as a raw system call (no dlsym: it may be called from a signal handler,
 * or before our constructor), with libc's errno convention.
 */
#include "call_record.h"
#include "lifecycle.h"
#include "lock.h"
#include "pagemap.h"
#include "proc_file.h"
#include "state.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

void ptr_seccomp_check_start(void)
{
    if (!ptr_state.opt.pagemap_scan) {
        ptr_pagemap_disable_ioctl();
        return;
    }
    char buf[4096];
    if (ptr_read_proc_file("/proc/self/status", buf, sizeof buf) <= 0)
        return;
    const char *p = strstr(buf, "\nSeccomp:");
    if (p && strtol(p + 9, NULL, 10) != 0)
        ptr_pagemap_disable_ioctl();
}

/* Before a filter may appear: no ioctl from now on, and wait for a residency scan another
 * thread may be running (scans run under the recorder lock) so none is in flight when the
 * filter (possibly SECCOMP_FILTER_FLAG_TSYNC: every thread) takes effect. */
static void before_filter(void)
{
    ptr_pagemap_disable_ioctl();
    if (ptr_state.recording && *ptr_owner_mark && ptr_guard == PTR_GUARD_NONE) {
        ptr_guard = PTR_GUARD_INTERNAL;
        ptr_lock();
        ptr_unlock();
        ptr_guard = PTR_GUARD_NONE;
    }
}

static long raw_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static long libc_result(long r)
{
    if ((unsigned long)r > -4096ul) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

PTR_EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long);
    unsigned long a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
    va_end(ap);
    if (option == PR_SET_SECCOMP || option == PR_SET_NO_NEW_PRIVS) {
        int saved = errno;
        before_filter();
        errno = saved;
    }
    return (int)libc_result(raw_syscall6(SYS_prctl, option, (long)a2, (long)a3, (long)a4, (long)a5, 0));
}
