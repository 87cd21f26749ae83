/*
 * Page residency: which pages of the 2 MiB-aligned blocks around a range are populated
 * (present or swapped), and which blocks are THP-mapped. PAGEMAP_SCAN ioctl (Linux 6.7+;
 * ABI declared locally in pagemap_scan.h because Debian 12's headers lack it), falling back to
 * pread of /proc/self/pagemap, then mincore. Cost is proportional to the blocks involved.
 */
#ifndef PTR_RESIDENCY_H
#define PTR_RESIDENCY_H

#include <stddef.h>
#include <stdint.h>

/*
 * What a capture lists (docs/residency.md says why this is what the model needs):
 * PTR_RES_FULL every populated page of every enclosing block; PTR_RES_RELEASE, for calls that
 * zap the whole range (munmap, MAP_FIXED mmap, brk/sbrk shrink, MADV_DONTNEED[_LOCKED]), per
 * populated block one WITNESS page: a populated page outside the call's range when the block
 * has one, else one inside it (HUGE blocks as HUGE). A block the program called MADV_FREE on
 * (ptr_residency_note_lazyfree) is always listed whole; PTRECLAIM_RESIDENCY_FULL=1 makes every
 * capture FULL.
 */
enum ptr_res_form { PTR_RES_FULL = 0, PTR_RES_RELEASE = 1 };

/*
 * Encode the RESIDENCY block (layout in ptreclaim_trace.h) for the blocks enclosing
 * [start, end), without its first field: *first gets the first block's index, which the
 * caller writes as a delta against the call's own first block. Returns a pointer to an
 * internal buffer valid until the next call and sets *len; returns NULL when residency could not be read (the call is then recorded without it).
 * Called with the recorder lock held.
 */
const uint8_t *ptr_residency_capture(uint64_t start, uint64_t end, enum ptr_res_form form,
                                     uint64_t *first, size_t *len);

/* PTRECLAIM_RESIDENCY_FULL (full = 1: every capture is PTR_RES_FULL) and PTRECLAIM_PAGEMAP_SCAN
 * (0: never the PAGEMAP_SCAN ioctl, the pre-6.7 kernels' path). */
void ptr_residency_configure(int full, int pagemap_scan);

/* The program calls MADV_FREE on [start, start + len): from now on captures list every page
 * of those blocks (or of every block, when too many blocks were noted). */
void ptr_residency_note_lazyfree(uint64_t start, uint64_t len);

/* Allocate the block cache and the residency buffer (raw mmap, touched now: the recorder's
 * own page tables must not appear in the middle of the program's run). 0 on success. */
int ptr_residency_init(void);

/* The call record holding the last captured block reached the file: update the block cache
 * (see residency.c). Not called for a dropped record. */
void ptr_residency_committed(void);

/* A new trace file starts: the reader knows no block yet, so neither may the cache. */
void ptr_residency_new_file(void);

/* Forget cached descriptors (after fork, or when the program closed them). */
void ptr_residency_reset(void);

#endif
