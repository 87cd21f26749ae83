/*
 * Known page-table waste for `ptreclaim inspect` to find in a running process:
 * a 2 MiB-aligned 1 GiB anonymous mapping (MADV_NOHUGEPAGE), one page touched in each of 256
 * blocks (every other block), then that page released with a 4 KiB MADV_DONTNEED in 192 of
 * them. A 4 KiB DONTNEED does not free the PTE page even under CONFIG_PT_RECLAIM (the rule
 * needs the whole block), so 192 empty PTE pages stay: 768 KiB of waste.
 *
 * Prints `ready PID` plus a JSON object with VmPTE before and after the releases, then waits:
 * with `--wait-file PATH` until PATH exists (then exits 0), else until killed.
 */
#include "ptr_test.h"

#include <time.h>

#define BLOCKS_TOUCHED 256
#define BLOCKS_RELEASED 192

int main(int argc, char **argv)
{
    const char *wait_file = (argc == 3 && strcmp(argv[1], "--wait-file") == 0) ? argv[2] : NULL;
    int mmaps = 0, munmaps = 0, madvises = 0;
    long before_kb = ptr_vmpte_kb();
    char *base = ptr_map_aligned(GIB, &mmaps, &munmaps, &madvises);
    for (int i = 0; i < BLOCKS_TOUCHED; i++)
        base[(size_t)i * 2 * BLOCK] = 1;
    long touched_kb = ptr_vmpte_kb();
    for (int i = 0; i < BLOCKS_RELEASED; i++) {
        CHECK(madvise(base + (size_t)i * 2 * BLOCK, PAGE, MADV_DONTNEED) == 0, "madvise");
        madvises++;
    }
    long released_kb = ptr_vmpte_kb();
    printf("ready %d\n{\"base\": \"%p\", \"blocks_touched\": %d, \"blocks_released\": %d, "
           "\"vmpte_before_kb\": %ld, \"vmpte_touched_kb\": %ld, \"vmpte_released_kb\": %ld}\n",
           (int)getpid(), (void *)base, BLOCKS_TOUCHED, BLOCKS_RELEASED, before_kb, touched_kb,
           released_kb);
    fflush(stdout);
    if (!wait_file) {
        for (;;)
            pause();
    }
    struct timespec tick = {0, 10 * 1000 * 1000};
    while (access(wait_file, F_OK) != 0)
        nanosleep(&tick, NULL);
    return 0;
}
