/*
 * Raw system calls for the recorder's own work. The recorder never calls the functions it
 * interposes (mmap, munmap, madvise, ...) nor malloc for itself: its own memory and I/O must
 * not appear in the trace as the program's, and must not re-enter the hooks.
 */
#ifndef PTR_RAW_H
#define PTR_RAW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void *ptr_raw_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static inline int ptr_raw_munmap(void *addr, size_t len)
{
    return (int)syscall(SYS_munmap, addr, len);
}

static inline int ptr_raw_madvise(void *addr, size_t len, int advice)
{
    return (int)syscall(SYS_madvise, addr, len, advice);
}

static inline pid_t ptr_raw_gettid(void) { return (pid_t)syscall(SYS_gettid); }
static inline pid_t ptr_raw_getpid(void) { return (pid_t)syscall(SYS_getpid); }

#endif
