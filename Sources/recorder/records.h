/*
 * One typed writer per record layout (ptreclaim_trace.h). The layouts live in the format
 * header, here, and in the Swift reader only: the hooks pass values, never encode fields.
 *
 * Call records: the hook starts the record (ptr_call_record: tag, time, stack), then one
 * ptr_rec_*_body writes its fields and result (errno instead when failed), then ptr_call_end
 * adds the residency block and commits. Lifecycle records are written whole. The recorder lock
 * is held throughout (encoder.h).
 */
#ifndef PTR_RECORDS_H
#define PTR_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

void ptr_rec_mmap_body(uint64_t hint, uint64_t len, int prot, int flags, int is64, int fd,
                       uint64_t offset, int failed, int err, uint64_t result);
void ptr_rec_munmap_body(uint64_t addr, uint64_t len, int failed, int err);
void ptr_rec_mremap_body(uint64_t old, uint64_t old_len, uint64_t new_len, int flags,
                         uint64_t new_hint, int failed, int err, uint64_t result);
/* err: errno for madvise, the returned error number for posix_madvise. */
void ptr_rec_madvise_body(uint64_t addr, uint64_t len, int advice, int posix, int failed, int err);
void ptr_rec_process_madvise_body(int pidfd, int advice, unsigned int flags,
                                  const struct iovec *iov, size_t niov, int failed, int err,
                                  uint64_t bytes);
void ptr_rec_mprotect_body(uint64_t addr, uint64_t len, int prot, int pkey, int failed, int err);
void ptr_rec_brk_body(uint64_t requested, uint64_t old_break, uint64_t new_break, int failed,
                      int err);
void ptr_rec_sbrk_body(int64_t increment, uint64_t new_break, int failed, int err,
                       uint64_t result);

/* FORK, EXEC, EXEC_FAILED, whole; 0 written, -1 dropped (counted). */
int ptr_rec_fork(uint64_t time_ns, uint64_t child_pid);
int ptr_rec_exec(uint64_t time_ns, const char *path);
int ptr_rec_exec_failed(uint64_t time_ns, int err);

#endif
