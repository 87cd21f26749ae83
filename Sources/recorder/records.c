/*
 * The typed record writers (see records.h; layouts in ptreclaim_trace.h).
 */
#include "records.h"
#include "encoder.h"
#include "ptreclaim_trace.h"

#include <string.h>

/* A result that is an address, or the errno of a failed call. */
static void address_result(int failed, int err, uint64_t result)
{
    if (failed)
        ptr_put_uv((uint64_t)err);
    else
        ptr_put_addr(result);
}

/* Calls that return 0 on success: no result field unless failed. */
static void errno_if_failed(int failed, int err)
{
    if (failed)
        ptr_put_uv((uint64_t)err);
}

void ptr_rec_mmap_body(uint64_t hint, uint64_t len, int prot, int flags, int is64, int fd,
                       uint64_t offset, int failed, int err, uint64_t result)
{
    ptr_put_hint(hint); /* usually 0: one byte */
    ptr_put_len(len);
    ptr_put_uv((uint32_t)prot);
    ptr_put_uv((uint64_t)(uint32_t)flags << 1 | (is64 != 0)); /* flags_fn: bit 0 = mmap64 */
    ptr_put_sv(fd);
    ptr_put_uv(offset);
    address_result(failed, err, result);
}

void ptr_rec_munmap_body(uint64_t addr, uint64_t len, int failed, int err)
{
    ptr_put_addr(addr);
    ptr_put_len(len);
    errno_if_failed(failed, err);
}

void ptr_rec_mremap_body(uint64_t old, uint64_t old_len, uint64_t new_len, int flags,
                         uint64_t new_hint, int failed, int err, uint64_t result)
{
    ptr_put_addr(old);
    ptr_put_len(old_len);
    ptr_put_len(new_len);
    ptr_put_uv((uint32_t)flags);
    ptr_put_hint(new_hint); /* like mmap's hint: 0 unless FIXED */
    address_result(failed, err, result);
}

void ptr_rec_madvise_body(uint64_t addr, uint64_t len, int advice, int posix, int failed, int err)
{
    ptr_put_addr(addr);
    ptr_put_len(len);
    ptr_put_uv((uint64_t)(uint32_t)advice << 1 | (posix ? 1 : 0)); /* advice_fn */
    errno_if_failed(failed, err);
}

void ptr_rec_process_madvise_body(int pidfd, int advice, unsigned int flags,
                                  const struct iovec *iov, size_t niov, int failed, int err,
                                  uint64_t bytes)
{
    ptr_put_sv(pidfd);
    ptr_put_uv((uint32_t)advice);
    ptr_put_uv(flags);
    ptr_put_uv(niov);
    for (size_t i = 0; i < niov; i++) {
        ptr_put_addr((uint64_t)(uintptr_t)iov[i].iov_base);
        ptr_put_len(iov[i].iov_len);
    }
    ptr_put_uv(failed ? (uint64_t)err : bytes);
}

void ptr_rec_mprotect_body(uint64_t addr, uint64_t len, int prot, int pkey, int failed, int err)
{
    ptr_put_addr(addr);
    ptr_put_len(len);
    ptr_put_uv((uint32_t)prot);
    ptr_put_sv(pkey);
    errno_if_failed(failed, err);
}

void ptr_rec_brk_body(uint64_t requested, uint64_t old_break, uint64_t new_break, int failed,
                      int err)
{
    ptr_put_addr(requested);
    ptr_put_addr(old_break);
    ptr_put_addr(new_break);
    errno_if_failed(failed, err);
}

void ptr_rec_sbrk_body(int64_t increment, uint64_t new_break, int failed, int err,
                       uint64_t result)
{
    ptr_put_sv(increment);
    ptr_put_addr(new_break);
    address_result(failed, err, result);
}

int ptr_rec_fork(uint64_t time_ns, uint64_t child_pid)
{
    ptr_rec_begin(PTR_REC_FORK);
    ptr_put_time(time_ns);
    ptr_put_uv(child_pid);
    return ptr_rec_commit();
}

int ptr_rec_exec(uint64_t time_ns, const char *path)
{
    ptr_rec_begin(PTR_REC_EXEC);
    ptr_put_time(time_ns);
    ptr_put_str(path ? path : "", path ? strlen(path) : 0);
    return ptr_rec_commit();
}

int ptr_rec_exec_failed(uint64_t time_ns, int err)
{
    ptr_rec_begin(PTR_REC_EXEC_FAILED);
    ptr_put_time(time_ns);
    ptr_put_uv((uint64_t)err);
    return ptr_rec_commit();
}
