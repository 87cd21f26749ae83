/*
 * Does every hooked function reach the recorder? A library ahead of it in LD_PRELOAD (or the
 * program itself) that defines mmap, munmap, sbrk, ... — tcmalloc does, with raw system calls
 * inside — takes those calls before the recorder sees them. Checked once at start-up with
 * dlsym(RTLD_DEFAULT) (the definition the program's calls bind to) and written into the trace
 * header as "preload_shadowed" (see ptreclaim_trace.h); reports print a warning.
 */
#ifndef PTR_PRELOAD_CHECK_H
#define PTR_PRELOAD_CHECK_H

/* Run the check (start-up, recorder context: dlsym and dladdr may be called). */
void ptr_preload_check(void);

/* "name=library;name=library..." for every hooked function bound elsewhere; "" when none. */
const char *ptr_preload_shadowed(void);

#endif
