/*
 * The interposed memory functions: mmap, mmap64, munmap, mremap, madvise, posix_madvise,
 * process_madvise, mprotect, pkey_mprotect, brk, sbrk. Each records one call record (layouts
 * in ptreclaim_trace.h) through call_record.h; residency is read before the calls that can
 * zap entries or free page tables.
 */
#include "call_record.h"
#include "proc_file.h"
#include "real_functions.h"
#include "records.h"
#include "ptreclaim_trace.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>

/* Declared here too, in case the C library's headers lack them. */
ssize_t process_madvise(int pidfd, const struct iovec *iov, size_t n, int advice, unsigned int flags);
int pkey_mprotect(void *addr, size_t len, int prot, int pkey);

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define U64(p) ((uint64_t)(uintptr_t)(p))

static void *record_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off, int is64,
                         const void *caller)
{
    struct ptr_call c;
    if (!ptr_call_begin(&c, caller))
        return ptr_forward_mmap(addr, len, prot, flags, fd, off, is64);
    if (c.mode == PTR_RECORD && (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)))
        ptr_call_residency(&c, U64(addr), len, PTR_RES_RELEASE);
    ptr_call_made(&c);
    void *r = ptr_forward_mmap(addr, len, prot, flags, fd, off, is64);
    int e = errno;
    uint64_t a[PTR_CALL_FIELDS] = {U64(addr), len, (uint64_t)prot, (uint64_t)flags, (uint64_t)is64,
                                   (uint64_t)fd, (uint64_t)off, (uint64_t)e, U64(r)};
    ptr_call_finish(&c, PTR_REC_MMAP, r == MAP_FAILED, a, e);
    return r;
}

PTR_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return record_mmap(addr, len, prot, flags, fd, off, 0, PTR_CALLER);
}

PTR_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return record_mmap(addr, len, prot, flags, fd, off, 1, PTR_CALLER);
}

PTR_EXPORT int munmap(void *addr, size_t len)
{
    const void *caller = PTR_CALLER;
    struct ptr_call c;
    if (!ptr_call_begin(&c, caller))
        return ptr_forward_munmap(addr, len);
    if (c.mode == PTR_RECORD)
        ptr_call_residency(&c, U64(addr), len, PTR_RES_RELEASE);
    ptr_call_made(&c);
    int r = ptr_forward_munmap(addr, len);
    int e = errno;
    uint64_t a[PTR_CALL_FIELDS] = {U64(addr), len, (uint64_t)e};
    ptr_call_finish(&c, PTR_REC_MUNMAP, r != 0, a, e);
    return r;
}

PTR_EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    const void *caller = PTR_CALLER;
    void *new_addr = NULL;
    if (flags & MREMAP_FIXED) { /* like glibc: the fifth argument exists only then */
        va_list ap;
        va_start(ap, flags);
        new_addr = va_arg(ap, void *);
        va_end(ap);
    }
    struct ptr_call c;
    if (!ptr_call_begin(&c, caller))
        return ptr_forward_mremap(old, old_len, new_len, flags, new_addr);
    /* Every page: the model moves the old range's pages to the new place. */
    if (c.mode == PTR_RECORD)
        ptr_call_residency(&c, U64(old), old_len, PTR_RES_FULL);
    ptr_call_made(&c);
    void *r = ptr_forward_mremap(old, old_len, new_len, flags, new_addr);
    int e = errno;
    uint64_t a[PTR_CALL_FIELDS] = {U64(old), old_len, new_len, (uint64_t)flags, U64(new_addr),
                                   (uint64_t)e, U64(r)};
    ptr_call_finish(&c, PTR_REC_MREMAP, r == MAP_FAILED, a, e);
    return r;
}

/* madvise and posix_madvise share one record: bit 0 of advice_fn tells the entry point, and
 * posix_madvise returns its error number instead of setting errno. */
static int forward_advice(void *addr, size_t len, int advice, int posix)
{
    return posix ? ptr_forward_posix_madvise(addr, len, advice)
                 : ptr_forward_madvise(addr, len, advice);
}

#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif

/* A witness per block is enough only where the call zaps its whole range (residency.h);
 * glibc's posix_madvise ignores POSIX_MADV_DONTNEED, so it zaps nothing. */
static enum ptr_res_form advice_form(int advice, int posix)
{
    if (!posix && (advice == MADV_DONTNEED || advice == MADV_DONTNEED_LOCKED))
        return PTR_RES_RELEASE;
    return PTR_RES_FULL;
}

static int record_advice(void *addr, size_t len, int advice, int posix, const void *caller)
{
    struct ptr_call c;
    if (!ptr_call_begin(&c, caller))
        return forward_advice(addr, len, advice, posix);
    if (c.mode == PTR_RECORD && advice == MADV_FREE && !posix)
        ptr_residency_note_lazyfree(U64(addr), len);
    if (c.mode == PTR_RECORD && ptr_advice_releases(advice))
        ptr_call_residency(&c, U64(addr), len, advice_form(advice, posix));
    ptr_call_made(&c);
    int r = forward_advice(addr, len, advice, posix);
    int e = errno;
    uint64_t a[PTR_CALL_FIELDS] = {U64(addr), len, (uint64_t)advice, (uint64_t)posix,
                                   (uint64_t)(posix ? r : e)};
    ptr_call_finish(&c, PTR_REC_MADVISE, r != 0, a, e);
    return r;
}

PTR_EXPORT int madvise(void *addr, size_t len, int advice)
{
    return record_advice(addr, len, advice, 0, PTR_CALLER);
}

PTR_EXPORT int posix_madvise(void *addr, size_t len, int advice)
{
    return record_advice(addr, len, advice, 1, PTR_CALLER);
}

/* process_madvise's iovec array, copied safely (the program's pointer may be bad: the kernel
 * would answer EFAULT, we must not crash). Used under the lock only. */
#define PTR_IOV_MAX 1024
static struct iovec iov_copy[PTR_IOV_MAX];

static size_t copy_iov(const struct iovec *iov, size_t n)
{
    if (n > PTR_IOV_MAX || n == 0)
        return 0;
    struct iovec local = {iov_copy, n * sizeof *iov};
    struct iovec remote = {(void *)iov, n * sizeof *iov};
    long r = syscall(SYS_process_vm_readv, ptr_state.owner_pid, &local, 1, &remote, 1, 0);
    return r == (long)(n * sizeof *iov) ? n : 0;
}

/* Does this pidfd name the calling process? ("Pid:" line of /proc/self/fdinfo/N; the
 * residency we can read is our own memory only.) */
static int pidfd_is_self(int pidfd)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
    if (ptr_read_proc_file(path, buf, sizeof buf) <= 0)
        return 0;
    const char *p = strstr(buf, "\nPid:");
    return p && strtol(p + 5, NULL, 10) == (long)ptr_state.owner_pid;
}

PTR_EXPORT ssize_t process_madvise(int pidfd, const struct iovec *iov, size_t n, int advice,
                                   unsigned int flags)
{
    const void *caller = PTR_CALLER;
    struct ptr_call c;
    int mode = ptr_call_begin(&c, caller);
    if (mode != PTR_RECORD) {
        if (mode == PTR_SIDE) /* a variable-length record: too big for the side buffer */
            ptr_side_fill(c.side_slot, 0, 0, NULL); /* counted LOST */
        return ptr_forward_process_madvise(pidfd, iov, n, advice, flags);
    }
    size_t niov = copy_iov(iov, n);
    for (size_t i = 0; advice == MADV_FREE && i < niov; i++)
        ptr_residency_note_lazyfree((uint64_t)(uintptr_t)iov_copy[i].iov_base, iov_copy[i].iov_len);
    if (niov && ptr_advice_releases(advice) && pidfd_is_self(pidfd)) {
        /* One residency block per record: the span of all ranges. */
        uint64_t lo = UINT64_MAX, hi = 0;
        for (size_t i = 0; i < niov; i++) {
            uint64_t a = (uint64_t)(uintptr_t)iov_copy[i].iov_base;
            uint64_t b = a + iov_copy[i].iov_len;
            if (!iov_copy[i].iov_len)
                continue;
            if (a < lo)
                lo = a;
            if (b > hi)
                hi = b;
        }
        if (hi > lo)
            ptr_call_residency(&c, lo, hi - lo, PTR_RES_FULL);
    }
    errno = c.saved_errno;
    ptr_call_made(&c);
    ssize_t r = ptr_forward_process_madvise(pidfd, iov, n, advice, flags);
    int e = errno;
    ptr_call_record(&c, PTR_REC_PROCESS_MADVISE, r < 0);
    ptr_rec_process_madvise_body(pidfd, advice, flags, iov_copy, niov, r < 0, e, (uint64_t)r);
    ptr_call_end(&c, e);
    return r;
}

static int forward_mprotect(void *addr, size_t len, int prot, int pkey, int with_key)
{
    return with_key ? ptr_forward_pkey_mprotect(addr, len, prot, pkey)
                    : ptr_forward_mprotect(addr, len, prot);
}

static int record_mprotect(void *addr, size_t len, int prot, int pkey, int with_key,
                           const void *caller)
{
    struct ptr_call c;
    if (!ptr_call_begin(&c, caller))
        return forward_mprotect(addr, len, prot, pkey, with_key);
    ptr_call_made(&c);
    int r = forward_mprotect(addr, len, prot, pkey, with_key);
    int e = errno;
    uint64_t a[PTR_CALL_FIELDS] = {U64(addr), len, (uint64_t)prot, (uint64_t)(with_key ? pkey : -1),
                                   (uint64_t)e};
    ptr_call_finish(&c, PTR_REC_MPROTECT, r != 0, a, e);
    return r;
}

PTR_EXPORT int mprotect(void *addr, size_t len, int prot)
{
    return record_mprotect(addr, len, prot, -1, 0, PTR_CALLER);
}

PTR_EXPORT int pkey_mprotect(void *addr, size_t len, int prot, int pkey)
{
    return record_mprotect(addr, len, prot, pkey, 1, PTR_CALLER);
}

static uint64_t kernel_break(void) { return (uint64_t)syscall(SYS_brk, 0); }

PTR_EXPORT int brk(void *addr)
{
    const void *caller = PTR_CALLER;
    struct ptr_call c;
    if (!ptr_call_begin(&c, caller))
        return ptr_forward_brk(addr);
    int saved = errno;
    uint64_t old = kernel_break();
    uint64_t want = U64(addr);
    if (c.mode == PTR_RECORD && want < old)
        ptr_call_residency(&c, want, old - want, PTR_RES_RELEASE);
    errno = saved;
    ptr_call_made(&c);
    int r = ptr_forward_brk(addr);
    int e = errno;
    uint64_t now = kernel_break();
    uint64_t a[PTR_CALL_FIELDS] = {want, old, now, (uint64_t)e};
    ptr_call_finish(&c, PTR_REC_BRK, r != 0, a, e);
    return r;
}

PTR_EXPORT void *sbrk(intptr_t inc)
{
    const void *caller = PTR_CALLER;
    struct ptr_call c;
    if (!ptr_call_begin(&c, caller))
        return ptr_forward_sbrk(inc);
    int saved = errno;
    uint64_t old = kernel_break();
    if (c.mode == PTR_RECORD && inc < 0)
        ptr_call_residency(&c, old + (uint64_t)inc, (uint64_t)-inc, PTR_RES_RELEASE);
    errno = saved;
    ptr_call_made(&c);
    void *r = ptr_forward_sbrk(inc);
    int e = errno;
    uint64_t now = kernel_break();
    c.res_anchor = now; /* SBRK's anchor is its new_break field */
    uint64_t a[PTR_CALL_FIELDS] = {(uint64_t)(int64_t)inc, now, (uint64_t)e, U64(r)};
    ptr_call_finish(&c, PTR_REC_SBRK, r == (void *)-1, a, e);
    return r;
}
