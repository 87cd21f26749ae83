/*
 * Whole-address-space snapshots: /proc/self/maps, the populated pages of every mapping
 * (PAGEMAP_SCAN), VmPTE and VmRSS from /proc/self/status. Written as SNAPSHOT, PATH, MAP...,
 * SNAPSHOT_END records through encoder.h. Called with the recorder lock held.
 */
#ifndef PTR_SNAPSHOT_H
#define PTR_SNAPSHOT_H

#include <stdint.h>

void ptr_snapshot_write(int reason); /* reason: PTR_SNAP_* */

/* A new trace file starts: path ids start again at 1. */
void ptr_snapshot_reset(void);

/* VmPTE and VmRSS in kB from /proc/self/status; 0 on success. */
int ptr_read_status(uint64_t *vmpte_kb, uint64_t *vmrss_kb);

#endif
