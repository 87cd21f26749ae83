/*
 * Shared helpers for the test programs in Tests/programs (each program is one .c file).
 *
 * The programs run under the real recorder; the integration tests compare what the recorder
 * wrote with what the program says it did. So every helper here avoids the hooked functions
 * unless the program means to call them: /proc is read with open/read into stack buffers (no
 * stdio, no malloc, hence no glibc-internal mmap/brk noise at awkward moments), and the last
 * line each program prints on stdout is one JSON object with its exact call counts.
 */
#ifndef PTR_TEST_H
#define PTR_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define KIB (1024UL)
#define MIB (1024UL * 1024UL)
#define GIB (1024UL * 1024UL * 1024UL)
#define PAGE (4096UL)
#define BLOCK (2UL * 1024UL * 1024UL) /* one PTE page maps one aligned 2 MiB block */

/* Fail loudly: a test program that cannot do what it promises must not print counts. */
static inline void ptr_die(const char *what) __attribute__((noreturn));
static inline void ptr_die(const char *what) {
    fprintf(stderr, "%s: %s\n", what, strerror(errno));
    exit(99);
}

#define CHECK(cond, what)                                                                          \
    do {                                                                                           \
        if (!(cond)) ptr_die(what);                                                                \
    } while (0)

/* A field of /proc/self/status in kB ("VmPTE", "VmRSS"), or -1. No stdio, no malloc. */
static inline long ptr_status_kb(const char *field) {
    char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    size_t flen = strlen(field);
    for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, field, flen) == 0 && p[flen] == ':') return strtol(p + flen + 1, NULL, 10);
    }
    return -1;
}

static inline long ptr_vmpte_kb(void) { return ptr_status_kb("VmPTE"); }

/* Touch every page of [p, p+len) with a write, so every PTE entry is populated. */
static inline void ptr_touch(void *p, size_t len) {
    volatile char *c = p;
    for (size_t off = 0; off < len; off += PAGE) c[off] = 1;
}

/*
 * An anonymous read-write mapping of `len` bytes whose start is 2 MiB aligned (so the
 * scenarios control exactly which PTE pages exist). Over-maps by one block and trims the ends
 * with munmap; the caller's count of munmap calls includes what this returns in *munmaps.
 * MADV_NOHUGEPAGE keeps THP out of the picture (the machine's THP mode is `madvise`, so this is
 * belt and braces); that madvise is counted in *madvises.
 */
static inline char *ptr_map_aligned(size_t len, int *mmaps, int *munmaps, int *madvises) {
    size_t over = len + BLOCK;
    char *raw = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    CHECK(raw != MAP_FAILED, "mmap (aligned)");
    (*mmaps)++;
    uintptr_t start = ((uintptr_t)raw + BLOCK - 1) & ~(BLOCK - 1);
    size_t head = start - (uintptr_t)raw;
    size_t tail = over - head - len;
    if (head) {
        CHECK(munmap(raw, head) == 0, "munmap head");
        (*munmaps)++;
    }
    if (tail) {
        CHECK(munmap((char *)start + len, tail) == 0, "munmap tail");
        (*munmaps)++;
    }
    CHECK(madvise((void *)start, len, MADV_NOHUGEPAGE) == 0, "madvise NOHUGEPAGE");
    (*madvises)++;
    return (char *)start;
}

/* One round of the hostile programs' main loop: mmap 16 pages, touch page i % 16,
 * MADV_DONTNEED them, munmap (three hooked calls; the residency of the last two is read). */
static inline void ptr_round16(int i) {
    char *p = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap");
    p[i % 16 * PAGE] = 1;
    CHECK(madvise(p, 16 * PAGE, MADV_DONTNEED) == 0, "madvise");
    CHECK(munmap(p, 16 * PAGE) == 0, "munmap");
}

/* A signal handler's memory work: mmap 2 pages, touch, munmap; _exit(98) if either fails
 * (nothing else is async-signal-safe enough to report it). errno is kept. */
static inline void ptr_handler_map2(int sig) {
    int saved = errno;
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) _exit(98);
    p[0] = (char)sig;
    if (munmap(p, 2 * PAGE) != 0) _exit(98);
    errno = saved;
}

#endif /* PTR_TEST_H */
