/*
 * The kernel-policy probe: does this kernel free a PTE page on a whole-block MADV_DONTNEED?
 * Maps an aligned 2 MiB block, touches it, DONTNEEDs it and compares VmPTE — all with raw
 * system calls, so none of it is recorded as the program's.
 */
#ifndef PTR_PROBE_H
#define PTR_PROBE_H

#include <stddef.h>

/* Returns "pt-reclaim", "none" or "unknown"; writes a one-line explanation into detail. */
const char *ptr_probe_kernel_policy(char *detail, size_t detail_len);

#endif
