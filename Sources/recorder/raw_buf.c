/*
 * Growable raw-mmap'd buffers (see raw_buf.h).
 */
#include "raw_buf.h"
#include "raw.h"

#include <string.h>
#include <sys/mman.h>

int ptr_raw_buf_reserve(struct ptr_raw_buf *b, size_t need, size_t keep)
{
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64 * 1024;
    while (cap < need)
        cap *= 2;
    void *p = ptr_raw_mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    if (b->p) {
        if (keep)
            memcpy(p, b->p, keep);
        ptr_raw_munmap(b->p, b->cap);
    }
    b->p = p;
    b->cap = cap;
    return 0;
}
