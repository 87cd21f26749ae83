/*
 * allocator_churn: allocation patterns that make an allocator give memory back, run with
 * whatever malloc is linked or preloaded (glibc, jemalloc, tcmalloc_minimal, mimalloc):
 *   1. 1 GiB of 64 KiB objects, all touched; 63 of every 64 freed; release forced.
 *   2. 200,000 objects of 128 B; 19 of every 20 freed; release forced.
 *   3. everything freed; release forced.
 * "Release forced" uses the allocator's own knob, found with dlsym so one binary serves all:
 * jemalloc mallctl("arena.4096.purge") (4096 = MALLCTL_ARENAS_ALL), tcmalloc
 * MallocExtension_ReleaseFreeMemory(), mimalloc mi_collect(true), else glibc malloc_trim(0).
 * The allocators madvise through libc's wrapper (glibc's malloc does not), so under the
 * recorder the test compares the recorded madvise count with strace's for the same run.
 * Optional argument: MiB of 64 KiB objects in step 1 (default 1024; `make test-kernels` uses less
 * under an emulated CPU). The 128 B step is scaled with it.
 * Last stdout line: {"allocator": "...", "big_objects": n, "small_objects": n, "releases": n}
 */
#include "ptr_test.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdbool.h>

#define BIG (64 * KIB)
#define NBIG (GIB / BIG)
#define SMALL 128
#define NSMALL 200000

static const char *allocator = "glibc";
static int releases;

static void release(void) {
    int (*mallctl)(const char *, void *, size_t *, void *, size_t) =
        (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(RTLD_DEFAULT, "mallctl");
    void (*tc_release)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "MallocExtension_ReleaseFreeMemory");
    void (*mi_collect)(bool) = (void (*)(bool))dlsym(RTLD_DEFAULT, "mi_collect");
    if (mallctl) {
        allocator = "jemalloc";
        if (mallctl("arena.4096.purge", NULL, NULL, NULL, 0) != 0) ptr_die("mallctl purge");
    } else if (tc_release) {
        allocator = "tcmalloc";
        tc_release();
    } else if (mi_collect) {
        allocator = "mimalloc";
        mi_collect(true);
    } else {
        malloc_trim(0);
    }
    releases++;
}

int main(int argc, char **argv) {
    static char *big[NBIG];
    static char *small[NSMALL];
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : GIB / MIB;
    CHECK(mib >= 1 && mib <= GIB / MIB, "MiB in 1..1024");
    size_t nbig = mib * MIB / BIG, nsmall = NSMALL * mib / (GIB / MIB);

    for (size_t i = 0; i < nbig; i++) {
        big[i] = malloc(BIG);
        CHECK(big[i], "malloc 64 KiB");
        ptr_touch(big[i], BIG);
    }
    for (size_t i = 0; i < nbig; i++)
        if (i % 64 != 0) {
            free(big[i]);
            big[i] = NULL;
        }
    release();

    for (size_t i = 0; i < nsmall; i++) {
        small[i] = malloc(SMALL);
        CHECK(small[i], "malloc 128 B");
        memset(small[i], (int)i, SMALL);
    }
    for (size_t i = 0; i < nsmall; i++)
        if (i % 20 != 0) {
            free(small[i]);
            small[i] = NULL;
        }
    release();

    for (size_t i = 0; i < nbig; i++) free(big[i]);
    for (size_t i = 0; i < nsmall; i++) free(small[i]);
    release();

    printf("{\"allocator\": \"%s\", \"big_objects\": %lu, \"small_objects\": %d, \"releases\": %d}\n",
           allocator, (unsigned long)nbig, (int)nsmall, releases);
    return 0;
}
