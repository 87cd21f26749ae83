/*
 * Which file a process writes (documented in docs/recorder.md):
 *   NAME                 the first process (origin "start")
 *   NAME.<pid>           a fork child (origin "fork"), or a process that found NAME taken by
 *                        another process (e.g. a posix_spawn/vfork child that exec'd)
 *   NAME.<pid>.exec<N>   the N-th exec'd image of process <pid> (origin "exec")
 *   NAME.<pid>.<N>       last resort when the names above are taken by unrelated files
 * An image is "exec'd" when NAME or NAME.<pid> (or NAME.<pid>.exec<N>) already holds a trace
 * whose header has our pid and our process start time (exec keeps both). Files are always
 * created with O_EXCL|O_NOFOLLOW: an existing file is never overwritten, a symlink never
 * followed.
 */
#ifndef PTR_TRACE_NAMING_H
#define PTR_TRACE_NAMING_H

#include <stddef.h>
#include <stdint.h>

enum ptr_origin { PTR_ORIGIN_START = 0, PTR_ORIGIN_FORK = 1, PTR_ORIGIN_EXEC = 2 };

/* This process's start time (field 22 of /proc/self/stat, clock ticks since boot). */
uint64_t ptr_proc_start_ticks(void);

/* A starting image (constructor): create its trace; ptr_state.trace_path is set.
 * Returns 0, 1 when this is an exec'd image and following exec is off (stay inert), or
 * -errno. *origin and parent (the previous trace of this process, "" if none) are set. */
int ptr_naming_open_start(int *origin, char *parent, size_t parent_len);

/* A fork child: create NAME.<pid> (or a free fallback). 0 or -errno. */
int ptr_naming_open_fork(void);

#endif
