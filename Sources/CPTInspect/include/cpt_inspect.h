/*
 * The one piece of `ptreclaim inspect` Swift cannot call directly: the PAGEMAP_SCAN ioctl
 * (variadic ioctl is not imported into Swift). The ABI itself is the recorder's declaration
 * (Sources/recorder/pagemap_scan.h), included here so there is one copy of it.
 */
#ifndef CPT_INSPECT_H
#define CPT_INSPECT_H

#include "../../recorder/pagemap_scan.h"

/* Category bits inspect asks for and reads back (values of PAGE_IS_* for Swift). */
enum {
    CPT_PAGE_IS_PRESENT = PAGE_IS_PRESENT,
    CPT_PAGE_IS_SWAPPED = PAGE_IS_SWAPPED,
    CPT_PAGE_IS_HUGE = PAGE_IS_HUGE,
};

/* ioctl(fd, PAGEMAP_SCAN, arg), retried on EINTR: the number of regions written to arg->vec,
 * or -1 with errno set (ENOTTY/EINVAL: the kernel has no PAGEMAP_SCAN). */
long cpt_pagemap_scan(int fd, struct pm_scan_arg *arg);

#endif
