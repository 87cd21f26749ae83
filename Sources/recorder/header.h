/*
 * The HEADER record (keys in ptreclaim_trace.h, plus "proc_start_ticks": the process start
 * time from /proc/self/stat, which exec keeps, so an exec'd image recognizes its own
 * earlier trace).
 */
#ifndef PTR_HEADER_H
#define PTR_HEADER_H

#include <stdint.h>

void ptr_header_write(int origin, const char *parent_trace, uint64_t realtime_ns,
                      uint64_t mono_ns);

#endif
