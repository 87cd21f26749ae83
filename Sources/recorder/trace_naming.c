/*
 * Trace file naming (see trace_naming.h).
 */
#include "trace_naming.h"
#include "proc_file.h"
#include "raw.h"
#include "state.h"
#include "trace_file.h"
#include "ptreclaim_trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_TRIES 1000

uint64_t ptr_proc_start_ticks(void)
{
    char buf[1024];
    if (ptr_read_proc_file("/proc/self/stat", buf, sizeof buf) <= 0)
        return 0;
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    p++;
    /* fields after the command: 3 state, 4 ppid, ... 22 starttime */
    for (int field = 3; field <= 22; field++) {
        while (*p == ' ')
            p++;
        if (field == 22) {
            uint64_t v = 0;
            while (*p >= '0' && *p <= '9')
                v = v * 10 + (uint64_t)(*p++ - '0');
            return v;
        }
        while (*p && *p != ' ')
            p++;
    }
    return 0;
}

static int get_uv(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; *p < end && shift < 70; shift += 7) {
        uint8_t b = *(*p)++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

static uint64_t parse_u64(const uint8_t *s, uint64_t n)
{
    uint64_t v = 0;
    for (uint64_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        v = v * 10 + (uint64_t)(s[i] - '0');
    return v;
}

/* Does the trace at `path` belong to this very process (same pid, same start time)?
 * 1 yes, 0 no (or not a readable trace). */
static int trace_is_ours(const char *path, uint64_t pid, uint64_t start)
{
    static uint8_t buf[65536]; /* start-up only: single-threaded */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < PTR_FILE_HEADER_LEN + 2 || memcmp(buf, PTR_MAGIC, PTR_MAGIC_LEN) != 0)
        return 0;
    const uint8_t *p = buf + PTR_FILE_HEADER_LEN, *end = buf + n;
    if (*p++ != PTR_REC_HEADER)
        return 0;
    uint64_t npairs, kl, vl, got_pid = 0, got_start = 0;
    int have_pid = 0, have_start = 0;
    if (get_uv(&p, end, &npairs))
        return 0;
    for (uint64_t i = 0; i < npairs; i++) {
        if (get_uv(&p, end, &kl) || kl > (uint64_t)(end - p))
            return 0;
        const uint8_t *k = p;
        p += kl;
        if (get_uv(&p, end, &vl) || vl > (uint64_t)(end - p))
            return 0;
        if (kl == 3 && memcmp(k, "pid", 3) == 0)
            got_pid = parse_u64(p, vl), have_pid = 1;
        else if (kl == 16 && memcmp(k, "proc_start_ticks", 16) == 0)
            got_start = parse_u64(p, vl), have_start = 1;
        p += vl;
        if (have_pid && have_start)
            break; /* both come first; argv (up to 64 KiB) may not fit in buf */
    }
    return have_pid && got_pid == pid && (!have_start || got_start == start);
}

static int exists(const char *path) { return access(path, F_OK) == 0 || errno != ENOENT; }

/* Create `path` and remember it as ours; -EEXIST when taken. */
static int try_create(const char *path)
{
    int r = ptr_file_create(path);
    if (r == 0)
        snprintf(ptr_state.trace_path, sizeof ptr_state.trace_path, "%s", path);
    return r;
}

/* NAME.<pid>, then NAME.<pid>.<N>. */
static int create_pid_name(uint64_t pid)
{
    char path[PTR_PATH_MAX];
    snprintf(path, sizeof path, "%s.%llu", ptr_state.base_path, (unsigned long long)pid);
    int r = try_create(path);
    for (int i = 1; r == -EEXIST && i < MAX_TRIES; i++) {
        snprintf(path, sizeof path, "%s.%llu.%d", ptr_state.base_path, (unsigned long long)pid, i);
        r = try_create(path);
    }
    return r;
}

int ptr_naming_open_start(int *origin, char *parent, size_t parent_len)
{
    uint64_t pid = (uint64_t)ptr_raw_getpid();
    uint64_t start = ptr_proc_start_ticks();
    char path[PTR_PATH_MAX];
    parent[0] = 0;
    *origin = PTR_ORIGIN_START;

    /* Exec'd image? Our own earlier trace is NAME or NAME.<pid>; later images NAME.<pid>.execN. */
    snprintf(path, sizeof path, "%s.%llu", ptr_state.base_path, (unsigned long long)pid);
    if (trace_is_ours(ptr_state.base_path, pid, start))
        snprintf(parent, parent_len, "%s", ptr_state.base_path);
    else if (trace_is_ours(path, pid, start))
        snprintf(parent, parent_len, "%s", path);
    if (parent[0]) {
        int n = 1;
        for (; n < MAX_TRIES; n++) {
            snprintf(path, sizeof path, "%s.%llu.exec%d", ptr_state.base_path,
                     (unsigned long long)pid, n);
            if (!exists(path))
                break;
            if (trace_is_ours(path, pid, start))
                snprintf(parent, parent_len, "%s", path);
        }
        *origin = PTR_ORIGIN_EXEC;
        if (!ptr_state.opt.follow_exec)
            return 1;
        int r = -EEXIST;
        for (; r == -EEXIST && n < MAX_TRIES; n++) {
            snprintf(path, sizeof path, "%s.%llu.exec%d", ptr_state.base_path,
                     (unsigned long long)pid, n);
            r = try_create(path);
        }
        return r;
    }

    int r = try_create(ptr_state.base_path);
    if (r == -EEXIST)
        r = create_pid_name(pid);
    return r;
}

int ptr_naming_open_fork(void) { return create_pid_name((uint64_t)ptr_raw_getpid()); }
