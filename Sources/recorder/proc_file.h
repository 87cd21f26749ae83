/* Small /proc files (status, stat, fdinfo), read whole with open/read: no stdio, no malloc. */
#ifndef PTR_PROC_FILE_H
#define PTR_PROC_FILE_H

#include <stddef.h>

/* Reads the file into buf, NUL-terminated; returns its length (0 when empty) or -1. */
long ptr_read_proc_file(const char *path, char *buf, size_t cap);

#endif
