/*
 * Stack capture and the (ip, parent) trie (see stacks.h). The trie is an open-addressing hash
 * table of 16-byte slots in memory from raw mmap, doubled when half full.
 */
#include "stacks.h"
#include "encoder.h"
#include "lock.h"
#include "raw.h"
#include "state.h"
#include "ptreclaim_trace.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

struct slot {
    uint64_t ip;
    uint32_t parent;
    uint32_t id; /* 0 = empty */
};

static struct slot *table;
static uint64_t mask;     /* capacity - 1 */
static uint64_t used;
static uint32_t next_id;  /* last node number written */

/* The recorder's own code: frames inside it are not the program's. */
static uint64_t self_lo, self_hi;

/* The address span of a loaded object's PT_LOAD segments. */
static void load_span(const struct dl_phdr_info *info, uint64_t *lo, uint64_t *hi)
{
    *lo = UINT64_MAX;
    *hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < *lo)
            *lo = a;
        if (a + ph->p_memsz > *hi)
            *hi = a + ph->p_memsz;
    }
}

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    uint64_t here = (uint64_t)(uintptr_t)arg;
    uint64_t lo, hi;
    load_span(info, &lo, &hi);
    if (here >= lo && here < hi) {
        self_lo = lo;
        self_hi = hi;
        return 1;
    }
    return 0;
}

/* libunwind's code: its calls to mmap/munmap are the recorder's, never the program's. */
static uint64_t unw_lo, unw_hi;

static int find_unwinder(struct dl_phdr_info *info, size_t size, void *arg)
{
    if (!info->dlpi_name || !strstr(info->dlpi_name, "libunwind"))
        return 0;
    load_span(info, &unw_lo, &unw_hi);
    return 1;
}

int ptr_stacks_is_unwinder(const void *ip)
{
    uint64_t a = (uint64_t)(uintptr_t)ip;
    return a >= unw_lo && a < unw_hi;
}

static int table_alloc(uint64_t cap)
{
    void *p = ptr_raw_mmap(NULL, cap * sizeof(struct slot), PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    table = p;
    mask = cap - 1;
    used = 0;
    return 0;
}

int ptr_stacks_init(void)
{
    if (!self_hi)
        dl_iterate_phdr(find_self, (void *)(uintptr_t)&ptr_stacks_init);
    if (!unw_hi)
        dl_iterate_phdr(find_unwinder, NULL);
    if (table)
        return 0;
    return table_alloc(1u << 16);
}

void ptr_stacks_reset(void)
{
    if (table)
        ptr_raw_munmap(table, (mask + 1) * sizeof(struct slot));
    table = NULL;
    next_id = 0;
    table_alloc(1u << 16);
}

/* This thread's alternate signal stack, as last set through sigaltstack() (hooks_signal.c)
 * or read once at the thread's first recorded call. A handler running there may have only a
 * few KiB (SIGSTKSZ is 8 KiB, some programs use less): ptr_stack_room says how much is left
 * below the caller, and call_record.c does only what fits. */
static __thread uint64_t alt_lo __attribute__((tls_model("initial-exec")));
static __thread uint64_t alt_hi __attribute__((tls_model("initial-exec")));
static __thread int alt_known __attribute__((tls_model("initial-exec")));

void ptr_stacks_note_altstack(const stack_t *ss)
{
    alt_known = 1;
    if (!ss || (ss->ss_flags & SS_DISABLE) || !ss->ss_sp) {
        alt_lo = alt_hi = 0;
        return;
    }
    alt_lo = (uint64_t)(uintptr_t)ss->ss_sp;
    alt_hi = alt_lo + ss->ss_size;
}

size_t ptr_stack_room(void)
{
    if (__builtin_expect(!alt_known, 0)) {
        stack_t ss;
        if (syscall(SYS_sigaltstack, NULL, &ss) == 0)
            ptr_stacks_note_altstack(&ss);
        else
            alt_known = 1;
    }
    uint64_t sp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
    if (alt_hi && sp >= alt_lo && sp < alt_hi)
        return (size_t)(sp - alt_lo);
    return SIZE_MAX;
}

int ptr_stack_on_altstack(uintptr_t addr)
{
    return alt_hi && addr >= alt_lo && addr < alt_hi;
}

/* unw_backtrace keeps a per-thread cache that is not safe to abandon half-way: a thread whose
 * unwinding was cut short for good (siglongjmp out of a signal handler, ptr_stacks_abandoned)
 * unwinds step by step from then on (unw_step: no per-thread cache; libunwind blocks signals
 * around its shared caches). */
static __thread int in_fast_unwind __attribute__((tls_model("initial-exec")));
static __thread int fast_unwind_broken __attribute__((tls_model("initial-exec")));

void ptr_stacks_abandoned(void)
{
    if (in_fast_unwind)
        fast_unwind_broken = 1;
    in_fast_unwind = 0;
}

static int unwind_by_steps(uint64_t *ips, int max)
{
    unw_context_t uc;
    unw_cursor_t cur;
    if (unw_getcontext(&uc) != 0 || unw_init_local(&cur, &uc) != 0)
        return 0;
    int n = 0;
    do {
        unw_word_t ip;
        if (unw_get_reg(&cur, UNW_REG_IP, &ip) != 0 || ip == 0)
            break;
        ips[n++] = (uint64_t)ip;
    } while (n < max && unw_step(&cur) > 0);
    return n;
}

int ptr_stack_capture(uint64_t *ips, int depth)
{
    /* Unwound straight into the caller's buffer (no second copy on the stack: a hook may run
     * on a signal handler's small alternate stack). The guard is set: libunwind's own mmaps
     * (recognized by their caller) are forwarded unrecorded, a signal handler's are counted
     * lost. */
    int n;
    if (__builtin_expect(fast_unwind_broken, 0)) {
        n = unwind_by_steps(ips, depth + PTR_STACK_SLACK);
    } else {
        in_fast_unwind = 1;
        n = unw_backtrace((void **)ips, depth + PTR_STACK_SLACK);
        in_fast_unwind = 0;
    }
    int k = 0;
    for (int i = 0; i < n && k < depth; i++) {
        uint64_t ip = ips[i];
        /* The recorder's frames: the hook at the top, main_wrapper near the bottom. */
        if (ip >= self_lo && ip < self_hi)
            continue;
        ips[k++] = ip - 1;
    }
    return k;
}

static inline uint64_t hash(uint64_t ip, uint32_t parent)
{
    uint64_t h = ip * 0x9E3779B97F4A7C15ull ^ ((uint64_t)parent * 0xC2B2AE3D27D4EB4Full);
    return h ^ (h >> 29);
}

static void grow(void)
{
    struct slot *old = table;
    uint64_t old_cap = mask + 1;
    if (table_alloc(old_cap * 2) != 0) {
        table = old; /* keep the old one; lookups still work, inserts may fail */
        return;
    }
    for (uint64_t i = 0; i < old_cap; i++) {
        if (!old[i].id)
            continue;
        uint64_t j = hash(old[i].ip, old[i].parent) & mask;
        while (table[j].id)
            j = (j + 1) & mask;
        table[j] = old[i];
        used++;
    }
    ptr_raw_munmap(old, old_cap * sizeof(struct slot));
}

/* The node being written: its STACK record and its table entry must agree even if the
 * writing thread is taken away in between (ptr_stacks_repair). Assignments only, so settling
 * twice is harmless. */
static struct {
    int active;
    uint64_t slot, ip;
    uint32_t parent, id;
    uint64_t written_before;
} pending;

static void settle_pending(void)
{
    if (table[pending.slot].id != pending.id) {
        table[pending.slot].ip = pending.ip;
        table[pending.slot].parent = pending.parent;
        table[pending.slot].id = pending.id;
        used++;
    }
    next_id = pending.id;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    pending.active = 0;
}

/* The node for (ip, parent), written to the file if new; 0 if it could not be written. */
static uint32_t node(uint64_t ip, uint32_t parent)
{
    if (used * 2 >= mask + 1)
        grow();
    if (used + 1 >= mask + 1)
        return 0;
    uint64_t j = hash(ip, parent) & mask;
    while (table[j].id) {
        if (table[j].ip == ip && table[j].parent == parent)
            return table[j].id;
        j = (j + 1) & mask;
    }
    pending.slot = j;
    pending.ip = ip;
    pending.parent = parent;
    pending.id = next_id + 1;
    pending.written_before = ptr_enc_written();
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    pending.active = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ptr_rec_begin(PTR_REC_STACK);
    ptr_put_ip(ip);
    ptr_put_uv(parent);
    if (ptr_rec_commit() != 0) {
        pending.active = 0;
        return 0; /* numbering did not advance: the next attempt reuses the number */
    }
    settle_pending();
    return next_id;
}

void ptr_stacks_repair(void)
{
    if (pending.active && ptr_enc_written() > pending.written_before)
        settle_pending(); /* the STACK record reached the file: the table must know it */
    pending.active = 0;
}

uint32_t ptr_stack_intern(const uint64_t *ips, int n)
{
    if (!table)
        return 0;
    uint32_t parent = 0;
    for (int i = n - 1; i >= 0; i--) {
        parent = node(ips[i], parent);
        if (!parent)
            return 0;
    }
    return parent;
}
