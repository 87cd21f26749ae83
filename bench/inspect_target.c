/*
 * A process for timing `ptreclaim inspect` (bench/inspect.sh): builds one address-space shape,
 * prints `ready PID`, and waits to be killed.
 *   dense GIB      GIB mapped, every page read-faulted (the shared zero page: present entries
 *                  and real page tables, no RAM)
 *   alternate GIB  GIB mapped, every other page read-faulted (the most runs PAGEMAP_SCAN can
 *                  return: one per populated page)
 *   sparse TIB [STRIDE_GIB]
 *                  TIB mapped (MAP_NORESERVE), one page written every STRIDE_GIB GiB (default 1:
 *                  a PMD page in every 1 GiB region, the most PAGEMAP_SCAN has to walk)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL
#define GIB (1UL << 30)

int main(int argc, char **argv)
{
    if (argc != 3 && !(argc == 4 && strcmp(argv[1], "sparse") == 0)) {
        fprintf(stderr, "usage: inspect_target dense|alternate GIB | sparse TIB [STRIDE_GIB]\n");
        return 2;
    }
    unsigned long n = strtoul(argv[2], NULL, 10);
    int sparse = strcmp(argv[1], "sparse") == 0;
    size_t len = sparse ? n * 1024 * GIB : n * GIB;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    madvise(p, len, MADV_NOHUGEPAGE);
    volatile char sink = 0;
    if (sparse) {
        size_t stride = (argc == 4 ? strtoul(argv[3], NULL, 10) : 1) * GIB;
        for (size_t off = 0; off < len; off += stride)
            p[off] = 1;
    } else {
        size_t step = strcmp(argv[1], "alternate") == 0 ? 2 * PAGE : PAGE;
        for (size_t off = 0; off < len; off += step)
            sink += ((volatile char *)p)[off];
    }
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    for (;;)
        pause();
}
