/*
 * dlsym(RTLD_NEXT) resolution of the real functions, with a raw-system-call path for calls
 * made while dlsym itself runs (see real_functions.h).
 */
#include "real_functions.h"
#include "raw.h"

#include <errno.h>
#include <sys/mman.h>

struct ptr_real ptr_real;

/* 1 while ptr_real_resolve runs (dlsym may call malloc, which may call mmap...). */
static volatile int resolving;
static volatile int resolved;

void ptr_real_resolve(void)
{
    if (resolved || resolving)
        return;
    resolving = 1;
#define PTR_RESOLVE(name, ret, params) *(void **)&ptr_real.name = dlsym(RTLD_NEXT, #name);
    PTR_HOOKED_FUNCTIONS(PTR_RESOLVE)
#undef PTR_RESOLVE
    resolved = 1;
    resolving = 0;
}

/* REAL (real_functions.h) looks the pointer up once if needed; NULL means "use the raw path". */
void *ptr_forward_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off, int is64)
{
    void *(*fn)(void *, size_t, int, int, int, off_t) = is64 ? REAL(mmap64) : REAL(mmap);
    if (fn)
        return fn(addr, len, prot, flags, fd, off);
    return ptr_raw_mmap(addr, len, prot, flags, fd, off);
}

int ptr_forward_munmap(void *addr, size_t len)
{
    if (REAL(munmap))
        return ptr_real.munmap(addr, len);
    return ptr_raw_munmap(addr, len);
}

void *ptr_forward_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
    if (REAL(mremap))
        return ptr_real.mremap(old, old_len, new_len, flags, new_addr);
    return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

int ptr_forward_madvise(void *addr, size_t len, int advice)
{
    if (REAL(madvise))
        return ptr_real.madvise(addr, len, advice);
    return ptr_raw_madvise(addr, len, advice);
}

int ptr_forward_posix_madvise(void *addr, size_t len, int advice)
{
    if (REAL(posix_madvise))
        return ptr_real.posix_madvise(addr, len, advice);
    /* glibc semantics: POSIX_MADV_DONTNEED is ignored; the error is returned, errno kept. */
    if (advice == POSIX_MADV_DONTNEED)
        return 0;
    int saved = errno;
    int r = ptr_raw_madvise(addr, len, advice);
    int e = errno;
    errno = saved;
    return r ? e : 0;
}

int ptr_forward_mprotect(void *addr, size_t len, int prot)
{
    if (REAL(mprotect))
        return ptr_real.mprotect(addr, len, prot);
    return (int)syscall(SYS_mprotect, addr, len, prot);
}

int ptr_forward_pkey_mprotect(void *addr, size_t len, int prot, int pkey)
{
    if (REAL(pkey_mprotect))
        return ptr_real.pkey_mprotect(addr, len, prot, pkey);
    if (resolved) { /* libc has none: behave as a libc without the function would */
        errno = ENOSYS;
        return -1;
    }
    return (int)syscall(SYS_pkey_mprotect, addr, len, prot, pkey);
}

int ptr_forward_brk(void *addr)
{
    if (REAL(brk))
        return ptr_real.brk(addr);
    uintptr_t r = (uintptr_t)syscall(SYS_brk, addr);
    if (r < (uintptr_t)addr) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void *ptr_forward_sbrk(intptr_t inc)
{
    if (REAL(sbrk))
        return ptr_real.sbrk(inc);
    uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
    if (inc == 0)
        return (void *)cur;
    uintptr_t want = cur + (uintptr_t)inc;
    if ((uintptr_t)syscall(SYS_brk, want) != want) {
        errno = ENOMEM;
        return (void *)-1;
    }
    return (void *)cur;
}

ssize_t ptr_forward_process_madvise(int pidfd, const struct iovec *iov, size_t n, int advice,
                                    unsigned int flags)
{
    if (REAL(process_madvise))
        return ptr_real.process_madvise(pidfd, iov, n, advice, flags);
    if (resolved) {
        errno = ENOSYS;
        return -1;
    }
    return (ssize_t)syscall(SYS_process_madvise, pidfd, iov, n, advice, flags);
}
