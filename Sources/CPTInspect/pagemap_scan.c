/* See cpt_inspect.h. */
#include "cpt_inspect.h"

#include <errno.h>
#include <sys/ioctl.h>

long cpt_pagemap_scan(int fd, struct pm_scan_arg *arg)
{
    long r;
    do
        r = ioctl(fd, PAGEMAP_SCAN, arg);
    while (r < 0 && errno == EINTR);
    return r;
}
