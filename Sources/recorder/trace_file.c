/*
 * Trace file writer (see trace_file.h).
 */
#include "trace_file.h"
#include "raw.h"
#include "encoder.h"
#include "state.h"
#include "ptreclaim_trace.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define GROW_STEP (1u << 20)    /* reserve the file 1 MiB at a time */
#define WINDOW_LEN (4u << 20)   /* map 4 MiB of it at a time */
#define TRAILER_ROOM 64         /* always kept free for the trailer */
#define RETRY_NS 50000000ull    /* after a failed reservation, retry after 50 ms */
#define HIGH_FD 500             /* out of the way of programs that dup2 onto low numbers */

static struct {
    int fd;
    dev_t dev;
    ino_t ino;
    char path[PTR_PATH_MAX];
    uint8_t *win;      /* mapping of [win_off, win_off + win_len) */
    uint64_t win_off, win_len;
    uint64_t size;     /* bytes reserved (file size) */
    uint64_t wr;       /* bytes written */
    int open;
    int final;           /* the trailer may use the reserved room */
    uint64_t full_since; /* time of the last failed reservation, 0 = not full */
    uint64_t pending_end; /* a write in progress ends here (0 = none): see ptr_file_repair */
} f = {.fd = -1};

static long page_size(void)
{
    static long ps;
    if (!ps)
        ps = sysconf(_SC_PAGESIZE);
    return ps;
}

/* Mark the file as being written: `ptreclaim record --force` and the reports see the exclusive
 * flock and leave the file alone. The kernel drops it when the process ends, however it ends. */
static void hold_lock(int fd) { (void)flock(fd, LOCK_EX | LOCK_NB); }

/* Move fd to a high number; the low one is closed. */
static int move_high(int fd)
{
    int hi = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
    if (hi < 0)
        hi = fcntl(fd, F_DUPFD_CLOEXEC, 64); /* RLIMIT_NOFILE below 500 */
    if (hi < 0)
        return fd;
    close(fd);
    return hi;
}

/* A descriptor to our file: the cached one if it still is ours, else the file reopened by
 * path (never created, never through a symlink) and checked to be the same inode. */
static int ensure_fd(void)
{
    struct stat st;
    if (f.fd >= 0 && fstat(f.fd, &st) == 0 && st.st_dev == f.dev && st.st_ino == f.ino)
        return 0;
    f.fd = -1; /* closed or replaced by the program: not ours to close */
    int fd = open(f.path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || st.st_dev != f.dev || st.st_ino != f.ino) {
        close(fd);
        return -1;
    }
    f.fd = move_high(fd);
    return 0;
}

/* The largest file size the process may create (RLIMIT_FSIZE). Growing a file past it raises
 * SIGXFSZ, whose default action kills the program, and the signal's disposition is the
 * program's, not ours to change: so the file is never grown past the limit (asked again at
 * each reservation, about once per MiB: the program may change its limit). */
static uint64_t size_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return UINT64_MAX;
    return (uint64_t)rl.rlim_cur;
}

static int reserve(uint64_t need)
{
    if (need <= f.size)
        return 0;
    uint64_t limit = size_limit();
    if (need > limit)
        return -1; /* like a full disk: the record is dropped and counted */
    if (ensure_fd() != 0)
        return -1;
    uint64_t want = (need + GROW_STEP - 1) / GROW_STEP * GROW_STEP;
    if (want > limit)
        want = limit;
    if (posix_fallocate(f.fd, (off_t)f.size, (off_t)(want - f.size)) != 0) {
        /* Nearly full: try for just this record. */
        uint64_t ps = (uint64_t)page_size();
        want = (need + ps - 1) / ps * ps;
        if (want > limit)
            want = need;
        if (posix_fallocate(f.fd, (off_t)f.size, (off_t)(want - f.size)) != 0)
            return -1;
    }
    f.size = want;
    return 0;
}

static int map_window(uint64_t need_end)
{
    if (f.win && need_end <= f.win_off + f.win_len)
        return 0;
    if (ensure_fd() != 0)
        return -1;
    uint64_t off = f.wr & ~((uint64_t)page_size() - 1);
    uint64_t len = WINDOW_LEN;
    while (off + len < need_end)
        len *= 2;
    void *p = ptr_raw_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, (long)off);
    if (p == MAP_FAILED)
        return -1;
    if (f.win)
        ptr_raw_munmap(f.win, f.win_len);
    hold_lock(f.fd); /* a reopened descriptor could not lock while the old window held it */
    f.win = p;
    f.win_off = off;
    f.win_len = len;
    return 0;
}

int ptr_file_write(const uint8_t *p, size_t n)
{
    if (!f.open || n == 0)
        return -1;
    uint64_t end = f.wr + n;
    /* Ordinary records leave TRAILER_ROOM reserved bytes alone, so a full disk still gets
     * its trailer (with the drop count). */
    uint64_t need = end + (f.final ? 0 : TRAILER_ROOM);
    if (need > f.size) {
        /* Out of space: do not hammer the file system on every record; retry now and then. */
        uint64_t now = ptr_now_ns();
        if (f.full_since && now - f.full_since < RETRY_NS)
            return -1;
        if (reserve(need) != 0) {
            f.full_since = now ? now : 1;
            return -1;
        }
        f.full_since = 0;
    }
    if (map_window(end) != 0)
        return -1;
    uint8_t *dst = f.win + (f.wr - f.win_off);
    f.pending_end = end;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    memcpy(dst + 1, p + 1, n - 1);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    /* The tag last: until it is stored the record reads as END (the reserved space is 0). */
    __atomic_store_n(dst, p[0], __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* the tag before wr, as a signal sees them */
    f.wr = end;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    f.pending_end = 0;
    return 0;
}

void ptr_file_repair(void)
{
    if (!f.pending_end)
        return;
    uint8_t *dst = f.win + (f.wr - f.win_off);
    if (f.pending_end > f.wr) {
        if (dst[0] != 0)
            f.wr = f.pending_end; /* the tag was stored: the record is in the file */
        else
            memset(dst + 1, 0, f.pending_end - f.wr - 1); /* keep the tail reading as END */
    }
    f.pending_end = 0;
}

int ptr_file_create(const char *path)
{
    if (strlen(path) >= sizeof f.path)
        return -ENAMETOOLONG;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    /* 0600 whatever the umask: the owner (and an exec'd image looking for its earlier trace)
     * must be able to read it. */
    (void)fchmod(fd, 0600);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    memset(&f, 0, sizeof f);
    f.fd = move_high(fd);
    hold_lock(f.fd);
    f.dev = st.st_dev;
    f.ino = st.st_ino;
    strcpy(f.path, path);
    f.open = 1;
    uint8_t hdr[PTR_FILE_HEADER_LEN] = {0};
    memcpy(hdr, PTR_MAGIC, PTR_MAGIC_LEN);
    hdr[8] = PTR_FORMAT_VERSION & 0xff;
    hdr[9] = PTR_FORMAT_VERSION >> 8;
    if (ptr_file_write(hdr, sizeof hdr) != 0) {
        int e = errno ? errno : ENOSPC;
        ptr_file_abandon();
        unlink(path);
        return -e;
    }
    return 0;
}

uint64_t ptr_file_length(void) { return f.wr; }

void ptr_file_final(void) { f.final = 1; }

void ptr_file_trim(void)
{
    if (!f.open || f.size == f.wr || ensure_fd() != 0)
        return;
    if (ftruncate(f.fd, (off_t)f.wr) == 0)
        f.size = f.wr;
}

void ptr_file_close(void)
{
    if (!f.open)
        return;
    if (f.win)
        ptr_raw_munmap(f.win, f.win_len);
    f.win = NULL;
    if (ensure_fd() == 0) {
        if (f.size != f.wr && ftruncate(f.fd, (off_t)f.wr) == 0)
            f.size = f.wr;
        close(f.fd);
    }
    f.fd = -1;
    f.open = 0;
}

void ptr_file_abandon(void)
{
    if (f.win)
        ptr_raw_munmap(f.win, f.win_len);
    f.win = NULL;
    struct stat st;
    if (f.fd >= 0 && fstat(f.fd, &st) == 0 && st.st_dev == f.dev && st.st_ino == f.ino)
        close(f.fd);
    f.fd = -1;
    f.open = 0;
}
