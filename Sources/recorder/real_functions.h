/*
 * The real functions behind every hook, found with dlsym(RTLD_NEXT) (the next definition after
 * the recorder: libc, or an allocator such as tcmalloc that defines mmap itself).
 *
 * While dlsym itself runs (it may call malloc, and malloc may call mmap) the pointers are
 * not known yet: the ptr_forward_* functions then fall back to raw system calls, so no hook
 * ever calls through a NULL pointer and no resolution recurses.
 */
#ifndef PTR_REAL_FUNCTIONS_H
#define PTR_REAL_FUNCTIONS_H

#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct ptr_real {
    void *(*mmap)(void *, size_t, int, int, int, off_t);
    void *(*mmap64)(void *, size_t, int, int, int, off_t);
    int (*munmap)(void *, size_t);
    void *(*mremap)(void *, size_t, size_t, int, ...);
    int (*madvise)(void *, size_t, int);
    int (*posix_madvise)(void *, size_t, int);
    int (*mprotect)(void *, size_t, int);
    int (*brk)(void *);
    void *(*sbrk)(intptr_t);
    ssize_t (*process_madvise)(int, const struct iovec *, size_t, int, unsigned int);
    int (*pkey_mprotect)(void *, size_t, int, int);
    pid_t (*fork)(void);
    pid_t (*_Fork)(void);
    int (*execve)(const char *, char *const[], char *const[]);
    int (*execv)(const char *, char *const[]);
    int (*execvp)(const char *, char *const[]);
    int (*execvpe)(const char *, char *const[], char *const[]);
    int (*fexecve)(int, char *const[], char *const[]);
    void (*_exit)(int) __attribute__((noreturn));
    void (*_Exit)(int) __attribute__((noreturn));
    void (*abort)(void) __attribute__((noreturn));
    void *(*dlopen)(const char *, int);
    void *(*dlmopen)(Lmid_t, const char *, int);
    int (*dlclose)(void *);
    pid_t (*vfork)(void);
    void (*exit)(int) __attribute__((noreturn));
    int (*__libc_start_main)(int (*)(int, char **, char **), int, char **, void (*)(void),
                             void (*)(void), void (*)(void), void *);
};

extern struct ptr_real ptr_real;

/* Resolve every pointer (idempotent; safe to call from any hook). */
void ptr_real_resolve(void);

/* Forwarders: the real function, or a raw system call while it is not known yet. */
void *ptr_forward_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off, int is64);
int ptr_forward_munmap(void *addr, size_t len);
void *ptr_forward_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr);
int ptr_forward_madvise(void *addr, size_t len, int advice);
int ptr_forward_posix_madvise(void *addr, size_t len, int advice);
int ptr_forward_mprotect(void *addr, size_t len, int prot);
int ptr_forward_pkey_mprotect(void *addr, size_t len, int prot, int pkey);
int ptr_forward_brk(void *addr);
void *ptr_forward_sbrk(intptr_t inc);
ssize_t ptr_forward_process_madvise(int pidfd, const struct iovec *iov, size_t n, int advice,
                                    unsigned int flags);

#endif
