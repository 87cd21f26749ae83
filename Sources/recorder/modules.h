/*
 * The module map: every loaded ELF object (path, load address, PT_LOAD segments, GNU
 * build-id), from dl_iterate_phdr, written as MODULE records so stacks can be symbolized
 * offline. Generation 1 at start; a new full generation whenever the list changed (dlopen,
 * dlclose: the trampolines set ptr_modules_dirty, the next record or snapshot tick checks).
 */
#ifndef PTR_MODULES_H
#define PTR_MODULES_H

/* Set (by the dlopen/dlclose trampolines) when the module list may have changed. */
extern volatile int ptr_modules_dirty;

/* Write a full map with the next generation (lock held). */
void ptr_modules_write(void);

/* Write a new generation if the loader's list changed since the last map (lock held).
 * Returns 1 when one was written. */
int ptr_modules_check(void);

/* A new trace file: generations start again at 1. */
void ptr_modules_reset(void);

#endif
