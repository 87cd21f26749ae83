/*
 * recursion: makes the recorder's own helpers busy while the program calls the hooked
 * functions — dlopen/dlclose of libm (ld.so maps and unmaps it, and the recorder writes a new
 * module map each time), dlsym lookups of the hooks themselves (RTLD_DEFAULT and RTLD_NEXT
 * resolve to the recorder's mmap, so calls through them are the program's calls too), and
 * mmap/munmap at the bottom of a 300-frame recursion (libunwind walks as deep as allowed).
 * Nothing the recorder does for itself may be recorded; the program's calls must be, exactly.
 * Last stdout line: {"mmap": n, "munmap": n, "madvise": n, "dlopen": n}
 */
#include "ptr_test.h"

#include <dlfcn.h>

#define DL_ROUNDS 40
#define DEPTH 300
#define DEEP_ROUNDS 200

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*munmap_fn)(void *, size_t);

static long n_mmap, n_munmap, n_madvise;

/* Recurse DEPTH frames (noinline, with work after the call so it is no tail call). */
__attribute__((noinline)) static int deep(int depth) {
    if (depth == 0) {
        char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED, "deep mmap");
        n_mmap++;
        p[0] = 1;
        CHECK(madvise(p, 4 * PAGE, MADV_DONTNEED) == 0, "deep madvise");
        n_madvise++;
        CHECK(munmap(p, 4 * PAGE) == 0, "deep munmap");
        n_munmap++;
        return 1;
    }
    int r = deep(depth - 1);
    __asm__ volatile("" ::: "memory");
    return r + 1;
}

int main(void) {
    for (int i = 0; i < DL_ROUNDS; i++) {
        void *libm = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
        if (!libm) {
            fprintf(stderr, "dlopen libm: %s\n", dlerror());
            return 99;
        }
        double (*cosine)(double) = (double (*)(double))dlsym(libm, "cos");
        CHECK(cosine && cosine(0.0) == 1.0, "dlsym cos");

        mmap_fn m1 = (mmap_fn)dlsym(RTLD_DEFAULT, "mmap");
        mmap_fn m2 = (mmap_fn)dlsym(RTLD_NEXT, "mmap64");
        munmap_fn u = (munmap_fn)dlsym(RTLD_DEFAULT, "munmap");
        CHECK(m1 && m2 && u, "dlsym mmap");
        char *a = m1(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        char *b = m2(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(a != MAP_FAILED && b != MAP_FAILED, "mmap via dlsym");
        n_mmap += 2;
        CHECK(u(a, PAGE) == 0 && u(b, PAGE) == 0, "munmap via dlsym");
        n_munmap += 2;
        CHECK(dlclose(libm) == 0, "dlclose");
    }
    for (int i = 0; i < DEEP_ROUNDS; i++) CHECK(deep(DEPTH) == DEPTH + 1, "recursion");
    printf("{\"mmap\": %ld, \"munmap\": %ld, \"madvise\": %ld, \"dlopen\": %d}\n", n_mmap, n_munmap,
           n_madvise, DL_ROUNDS);
    return 0;
}
