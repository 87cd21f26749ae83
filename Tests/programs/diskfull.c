/*
 * diskfull: a program whose trace cannot fit — the test points the trace at a 256 KiB tmpfs.
 * It makes PAIRS mmap+munmap pairs (far more than 256 KiB of records), writes a pattern into
 * each mapping and checks it, and prints a checksum it can only get right if every call and
 * every memory access worked: the recorder running out of space must not disturb the program.
 * Last stdout line: {"pairs": n, "checksum": n}
 */
#include "ptr_test.h"

#define PAIRS 60000

int main(void) {
    unsigned long checksum = 0;
    for (int i = 0; i < PAIRS; i++) {
        unsigned long *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                -1, 0);
        CHECK(p != MAP_FAILED, "mmap");
        p[0] = (unsigned long)i * 2654435761u;
        p[PAGE / sizeof *p] = (unsigned long)i;
        checksum += p[0] ^ p[PAGE / sizeof *p];
        CHECK(munmap(p, 2 * PAGE) == 0, "munmap");
    }
    unsigned long expect = 0;
    for (unsigned long i = 0; i < PAIRS; i++) expect += (i * 2654435761u) ^ i;
    if (checksum != expect) {
        fprintf(stderr, "diskfull: checksum %lu, expected %lu\n", checksum, expect);
        return 1;
    }
    printf("{\"pairs\": %d, \"checksum\": %lu}\n", PAIRS, checksum);
    return 0;
}
