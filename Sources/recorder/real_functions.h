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

/*
 * Every interposed function, written once (name, return type, parameter types): the pointer
 * table below, its dlsym resolution (real_functions.c) and the preload-order check
 * (preload_check.c) are generated from these lists.
 */
/* The memory functions whose calls are recorded. */
#define PTR_RECORDED_FUNCTIONS(X)                                                          \
    X(mmap, void *, (void *, size_t, int, int, int, off_t))                                \
    X(mmap64, void *, (void *, size_t, int, int, int, off_t))                              \
    X(munmap, int, (void *, size_t))                                                       \
    X(mremap, void *, (void *, size_t, size_t, int, ...))                                  \
    X(madvise, int, (void *, size_t, int))                                                 \
    X(posix_madvise, int, (void *, size_t, int))                                           \
    X(mprotect, int, (void *, size_t, int))                                                \
    X(brk, int, (void *))                                                                  \
    X(sbrk, void *, (intptr_t))                                                            \
    X(process_madvise, ssize_t, (int, const struct iovec *, size_t, int, unsigned int))    \
    X(pkey_mprotect, int, (void *, size_t, int, int))

/* The process-level functions (fork, exec, ways out, dlopen, vfork, main). */
#define PTR_PROCESS_FUNCTIONS(X)                                                           \
    X(fork, pid_t, (void))                                                                 \
    X(_Fork, pid_t, (void))                                                                \
    X(execve, int, (const char *, char *const[], char *const[]))                           \
    X(execv, int, (const char *, char *const[]))                                           \
    X(execvp, int, (const char *, char *const[]))                                          \
    X(execvpe, int, (const char *, char *const[], char *const[]))                          \
    X(fexecve, int, (int, char *const[], char *const[]))                                   \
    X(_exit, void, (int))                                                                  \
    X(_Exit, void, (int))                                                                  \
    X(abort, void, (void))                                                                 \
    X(dlopen, void *, (const char *, int))                                                 \
    X(dlmopen, void *, (Lmid_t, const char *, int))                                        \
    X(dlclose, int, (void *))                                                              \
    X(vfork, pid_t, (void))                                                                \
    X(exit, void, (int))                                                                   \
    X(__libc_start_main, int, (int (*)(int, char **, char **), int, char **, void (*)(void), \
                               void (*)(void), void (*)(void), void *))

#define PTR_HOOKED_FUNCTIONS(X) PTR_RECORDED_FUNCTIONS(X) PTR_PROCESS_FUNCTIONS(X)

struct ptr_real {
#define PTR_REAL_POINTER(name, ret, params) ret(*name) params;
    PTR_HOOKED_FUNCTIONS(PTR_REAL_POINTER)
#undef PTR_REAL_POINTER
};

extern struct ptr_real ptr_real;

/* Resolve every pointer (idempotent; safe to call from any hook). */
void ptr_real_resolve(void);

/* The real function `name`, resolved on first use (NULL while dlsym itself runs). */
#define REAL(name) (ptr_real.name ? ptr_real.name : (ptr_real_resolve(), ptr_real.name))

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
