/*
 * HEADER record writer (see header.h). Runs at start-up and in a fork child, under the lock;
 * everything it reads goes into static buffers (no malloc).
 */
#include "header.h"
#include "pagemap.h"
#include "encoder.h"
#include "pagemap.h"
#include "preload_check.h"
#include "state.h"
#include "trace_naming.h"
#include "ptreclaim_trace.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char *const origin_names[] = {"start", "fork", "exec"};

/* Read a small file into buf (NUL-terminated); returns the byte count. */
static size_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t got = 0;
    if (fd >= 0) {
        ssize_t n;
        while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0)
            got += (size_t)n;
        close(fd);
    }
    buf[got] = 0;
    return got;
}

static void pair(const char *key, const char *value, size_t len)
{
    ptr_put_str(key, strlen(key));
    ptr_put_str(value, len);
}

static void pair_s(const char *key, const char *value) { pair(key, value, strlen(value)); }

static void pair_u(const char *key, unsigned long long v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%llu", v);
    pair(key, b, (size_t)n);
}

void ptr_header_write(int origin, const char *parent_trace, uint64_t realtime_ns, uint64_t mono_ns)
{
    static char exe[PTR_PATH_MAX], argv[65536], thp[256], options[256];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    size_t argv_len = read_file("/proc/self/cmdline", argv, sizeof argv);
    if (argv_len && argv[argv_len - 1] == 0)
        argv_len--; /* arguments are joined by NUL, not terminated */
    read_file("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof thp);
    const char *mode = "unknown";
    char *lb = strchr(thp, '['), *rb = lb ? strchr(lb, ']') : NULL;
    if (lb && rb) {
        *rb = 0;
        mode = lb + 1;
    }
    struct utsname u;
    if (uname(&u) != 0)
        strcpy(u.release, "unknown");
    const struct ptr_options *o = &ptr_state.opt;
    snprintf(options, sizeof options,
             "interval_ms=%d;stack_depth=%d;follow_fork=%d;follow_exec=%d;probe=%d;"
             "residency_full=%d;pagemap_scan=%d",
             o->interval_ms, o->stack_depth, o->follow_fork, o->follow_exec, o->probe,
             o->residency_full, o->pagemap_scan && !ptr_pagemap_ioctl_disabled());

    ptr_rec_begin(PTR_REC_HEADER);
    ptr_put_uv(19);
    pair_u("version", PTR_FORMAT_VERSION);
    pair_u("pointer_size", sizeof(void *));
    pair_u("page_size", (unsigned long long)sysconf(_SC_PAGESIZE));
    pair_u("pid", (unsigned long long)getpid());
    pair_u("proc_start_ticks", ptr_proc_start_ticks());
    pair_u("ppid", (unsigned long long)getppid());
    pair_s("exe", exe);
    pair("argv", argv, argv_len);
    pair_s("kernel", u.release);
    pair_s("thp", mode);
    pair_u("realtime_start_ns", realtime_ns);
    pair_u("mono_start_ns", mono_ns);
    pair_s("options", options);
    pair_s("kernel_policy", ptr_state.kernel_policy);
    pair_s("probe", ptr_state.probe_detail);
    pair_s("residency", ptr_pagemap_source_name());
    pair_s("origin", origin_names[origin]);
    pair_s("parent_trace", parent_trace ? parent_trace : "");
    pair_s("preload_shadowed", ptr_preload_shadowed());
    ptr_rec_commit();
}
