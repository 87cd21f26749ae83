/*
 * Whole-address-space snapshots (record layouts in ptreclaim_trace.h):
 *   PATH...          for paths not yet defined in this file (before the SNAPSHOT, because a
 *                    SNAPSHOT is followed by its MAP records and nothing else)
 *   SNAPSHOT         [timed] seq, reason, VmPTE, VmRSS, nmaps
 *   MAP x nmaps      one per line of /proc/self/maps, with its populated runs (pagemap.c)
 *   SNAPSHOT_END     VmPTE, VmRSS read again after the walk
 *
 * The whole sequence is one encoder group (encoder.h): it reaches the file complete or not at
 * all, and a dropped one leaves the path table as it was before it.
 *
 * /proc/self/maps is read whole with open/read into a raw-mmap'd buffer (no stdio, no malloc)
 * and parsed by hand, so the MAP records describe one consistent reading. Called with the
 * recorder lock held.
 */
#include "snapshot.h"
#include "raw_buf.h"
#include "proc_file.h"
#include "encoder.h"
#include "pagemap.h"
#include "raw.h"
#include "ptreclaim_trace.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SNAP_PAGE 4096ull

/* ---- /proc/self/status ----------------------------------------------------------------- */

/* Value in kB of the "Key:   123 kB" line, or -1 when absent. */
static int64_t status_field(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; *line;) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            const char *p = line + klen + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p < '0' || *p > '9')
                return -1;
            int64_t v = 0;
            while (*p >= '0' && *p <= '9')
                v = v * 10 + (*p++ - '0');
            return v;
        }
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return -1;
}

int ptr_read_status(uint64_t *vmpte_kb, uint64_t *vmrss_kb)
{
    char buf[4096]; /* /proc/self/status is about 1.5 KiB; VmRSS and VmPTE come early */
    if (ptr_read_proc_file("/proc/self/status", buf, sizeof buf) <= 0)
        return -1;
    int64_t pte = status_field(buf, "VmPTE");
    int64_t rss = status_field(buf, "VmRSS");
    if (pte < 0 || rss < 0)
        return -1; /* kernel threads and zombies have no mm lines */
    *vmpte_kb = (uint64_t)pte;
    *vmrss_kb = (uint64_t)rss;
    return 0;
}

/* ---- the path table: path -> id, bounded, allocation-free ------------------------------ */

struct path_slot {
    uint64_t hash; /* 0 = empty */
    uint32_t id;
    uint32_t len;
    uint64_t off; /* into path_arena */
};

static struct ptr_raw_buf path_slots_buf; /* struct path_slot[path_cap] */
static struct ptr_raw_buf path_arena;
static size_t path_cap;   /* slots, a power of two */
static size_t path_count; /* used slots */
static size_t arena_used;
static uint32_t path_next_id = 1;

static uint64_t path_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h ? h : 1;
}

static void path_table_clear(void)
{
    if (path_slots_buf.p)
        memset(path_slots_buf.p, 0, path_cap * sizeof(struct path_slot));
    path_count = 0;
    arena_used = 0;
}

static uint64_t snap_seq;

void ptr_snapshot_reset(void)
{
    path_table_clear();
    path_next_id = 1;
    snap_seq = 0; /* seq counts the snapshots of one file */
}

/*
 * Makes room for up to `npaths` new paths totalling `bytes` bytes. When the table would
 * overflow it is emptied (paths seen again get new ids and new PATH records: the format allows
 * several ids for one path), and grown if this one snapshot needs more than it holds.
 */
static int path_table_prepare(size_t npaths, size_t bytes)
{
    size_t want = 4096;
    while (want * 3 / 4 < npaths)
        want *= 2;
    if (want > path_cap) {
        if (ptr_raw_buf_reserve(&path_slots_buf, want * sizeof(struct path_slot), 0) != 0)
            return -1;
        path_cap = want;
        path_table_clear();
    } else if ((path_count + npaths) > path_cap * 3 / 4) {
        path_table_clear();
    }
    if (arena_used + bytes > path_arena.cap) {
        path_table_clear();
        if (ptr_raw_buf_reserve(&path_arena, bytes > 256 * 1024 ? bytes : 256 * 1024, 0) != 0)
            return -1;
    }
    return 0;
}

/* Looks the path up; when absent and `insert`, defines it (id assigned, *is_new = 1). */
static struct path_slot *path_lookup(const char *s, size_t len, int insert, int *is_new)
{
    struct path_slot *slots = (struct path_slot *)path_slots_buf.p;
    uint64_t h = path_hash(s, len);
    size_t mask = path_cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct path_slot *sl = &slots[i];
        if (sl->hash == 0) {
            if (!insert || arena_used + len > path_arena.cap)
                return NULL;
            memcpy(path_arena.p + arena_used, s, len);
            sl->hash = h;
            sl->id = path_next_id++;
            sl->len = (uint32_t)len;
            sl->off = arena_used;
            arena_used += len;
            path_count++;
            *is_new = 1;
            return sl;
        }
        if (sl->hash == h && sl->len == len && memcmp(path_arena.p + sl->off, s, len) == 0)
            return sl;
    }
}

/* Forgets every path defined since path_next_id was `first_id` (their PATH records were
 * dropped with their snapshot, so they must be defined again next time). Linear probing: the
 * removed slots are the newest; no older slot's probe chain runs through them, so emptying
 * them keeps every other lookup working. Rare (disk full), so a scan of the table is fine. */
static void path_forget_since(uint32_t first_id, size_t arena_mark)
{
    struct path_slot *slots = (struct path_slot *)path_slots_buf.p;
    for (size_t i = 0; slots && i < path_cap && path_next_id != first_id; i++) {
        if (slots[i].hash != 0 && slots[i].id >= first_id) {
            slots[i].hash = 0;
            path_count--;
        }
    }
    path_next_id = first_id;
    arena_used = arena_mark;
}

/* ---- /proc/self/maps ------------------------------------------------------------------- */

static struct ptr_raw_buf maps_buf;   /* the list the snapshot is built from */
static struct ptr_raw_buf maps_check; /* the list read again after the walk */

/* Reads /proc/self/maps whole into b; returns its length or -1. */
static long read_maps_into(struct ptr_raw_buf *b)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    for (;;) {
        if (ptr_raw_buf_reserve(b, len + 64 * 1024, len) != 0) {
            close(fd);
            return -1;
        }
        ssize_t r = read(fd, b->p + len, b->cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    return (long)len;
}

static long read_maps(void) { return read_maps_into(&maps_buf); }

/* Is the mapping list still the one the snapshot was built from? */
static int maps_unchanged(long len)
{
    long again = read_maps_into(&maps_check);
    return again == len && memcmp(maps_check.p, maps_buf.p, (size_t)len) == 0;
}

struct map_line {
    uint64_t start, end, offset;
    unsigned perms;
    const char *path; /* NULL when anonymous */
    size_t path_len;
};

static uint64_t parse_hex(const char **pp, const char *end)
{
    const char *p = *pp;
    uint64_t v = 0;
    for (; p < end; p++) {
        char c = *p;
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            break;
        v = (v << 4) | d;
    }
    *pp = p;
    return v;
}

static const char *skip_field(const char *p, const char *end)
{
    while (p < end && *p != ' ')
        p++;
    while (p < end && *p == ' ')
        p++;
    return p;
}

/* "start-end perms offset dev inode [path]"; returns 0 when the line parsed. */
static int parse_map_line(const char *p, const char *end, struct map_line *m)
{
    m->start = parse_hex(&p, end);
    if (p >= end || *p != '-')
        return -1;
    p++;
    m->end = parse_hex(&p, end);
    if (p >= end || *p != ' ' || m->end < m->start)
        return -1;
    p++;
    m->perms = 0;
    if (end - p < 4)
        return -1;
    if (p[0] == 'r')
        m->perms |= PTR_PERM_READ;
    if (p[1] == 'w')
        m->perms |= PTR_PERM_WRITE;
    if (p[2] == 'x')
        m->perms |= PTR_PERM_EXEC;
    if (p[3] == 's')
        m->perms |= PTR_PERM_SHARED;
    p = skip_field(p, end);
    m->offset = parse_hex(&p, end);
    p = skip_field(p, end); /* now at dev */
    p = skip_field(p, end); /* now at inode */
    p = skip_field(p, end); /* now at the path, or the end of the line */
    m->path = p < end ? p : NULL;
    m->path_len = p < end ? (size_t)(end - p) : 0;
    return 0;
}

/* ---- populated runs of one mapping ------------------------------------------------------ */

struct snap_run {
    uint64_t start, end; /* addresses */
    unsigned flags;      /* PTR_RUN_* */
};

static struct ptr_raw_buf runs_buf;
static size_t runs_n;
static int runs_oom;

static int on_map_region(void *ctx, uint64_t start, uint64_t end, unsigned cat)
{
    (void)ctx;
    if (start == 0 && end == 0) { /* restart with a slower source */
        runs_n = 0;
        return 0;
    }
    unsigned flags = 0;
    if ((cat & PTR_PM_SWAPPED) && !(cat & PTR_PM_PRESENT))
        flags |= PTR_RUN_SWAPPED;
    if (cat & PTR_PM_HUGE)
        flags |= PTR_RUN_HUGE;
    struct snap_run *runs = (struct snap_run *)runs_buf.p;
    if (runs_n && runs[runs_n - 1].end == start && runs[runs_n - 1].flags == flags) {
        runs[runs_n - 1].end = end; /* the walk split one run (full output vector) */
        return 0;
    }
    if (ptr_raw_buf_reserve(&runs_buf, (runs_n + 1) * sizeof(struct snap_run),
                    runs_n * sizeof(struct snap_run)) != 0) {
        runs_oom = 1;
        return 1;
    }
    runs = (struct snap_run *)runs_buf.p;
    runs[runs_n].start = start;
    runs[runs_n].end = end;
    runs[runs_n].flags = flags;
    runs_n++;
    return 0;
}

/* Collects the runs of [start, end); on failure the mapping is recorded with no runs. */
static void collect_runs(uint64_t start, uint64_t end)
{
    runs_n = 0;
    runs_oom = 0;
    if (ptr_pagemap_walk(start, end, on_map_region, NULL) != 0 || runs_oom)
        runs_n = 0;
}

/* ---- the snapshot ---------------------------------------------------------------------- */

static int is_line_path(const struct map_line *m) { return m->path != NULL && m->path_len > 0; }

/*
 * A snapshot is not atomic: the walk runs while the program's other threads keep running, and
 * calls the recorder cannot hook (glibc's internal __munmap/__mmap, a freed-then-reallocated
 * malloc buffer) may change the address space between reading /proc/self/maps, scanning it and
 * reading VmPTE. Such a snapshot pairs one mapping list with another moment's VmPTE. Worse, a
 * munmap of a large populated region removes the VMA from /proc/self/maps before it has zapped
 * the pages and freed the page tables (mm/vma.c vms_complete_munmap_vmas), so for a few
 * milliseconds the list lacks a region whose tables VmPTE still counts; the tell is that the
 * walk finds far fewer populated pages than VmRSS still holds. (It may find more: zero-page and
 * swapped entries are populated but not resident.) A walk is kept only if the mapping list read
 * again after it is byte-identical, VmPTE did not move and the walk is not short of VmRSS;
 * otherwise it is taken again, up to SNAPSHOT_ATTEMPTS times. A periodic snapshot
 * that is still inconsistent then is skipped (the next period tries again); the start, exit,
 * fork-child and exec snapshots are kept whatever happened, since nothing replaces them.
 */
#define SNAPSHOT_ATTEMPTS 4
#define SNAPSHOT_RSS_SLACK_KB 1024

static uint64_t walked_pages;

/* Does the walk account for (nearly) every resident page? */
static int walk_covers_rss(uint64_t rss0_kb, uint64_t rss1_kb)
{
    uint64_t rss_kb = rss0_kb < rss1_kb ? rss0_kb : rss1_kb;
    uint64_t walked_kb = walked_pages * (SNAP_PAGE / 1024);
    uint64_t slack = rss_kb / 16 > SNAPSHOT_RSS_SLACK_KB ? rss_kb / 16 : SNAPSHOT_RSS_SLACK_KB;
    return walked_kb + slack >= rss_kb;
}

static int snapshot_attempt(int reason, int keep_anyway);

void ptr_snapshot_write(int reason)
{
    int skippable = reason == PTR_SNAP_PERIODIC || reason == PTR_SNAP_MODULES;
    for (int attempt = 1; attempt <= SNAPSHOT_ATTEMPTS; attempt++) {
        int keep_anyway = attempt == SNAPSHOT_ATTEMPTS && !skippable;
        if (snapshot_attempt(reason, keep_anyway) == 0)
            return;
    }
}

/* Returns 1 when the walk was inconsistent and nothing was written (try again), else 0. */
static int snapshot_attempt(int reason, int keep_anyway)
{
    uint64_t pte0 = 0, rss0 = 0;
    if (ptr_read_status(&pte0, &rss0) != 0)
        pte0 = rss0 = 0;

    long maps_len = read_maps();
    if (maps_len < 0)
        return 0;
    const char *text = (const char *)maps_buf.p;
    const char *text_end = text + maps_len;

    /* Pass 1: count lines and path bytes, so the path table never resets mid-snapshot. */
    uint64_t nmaps = 0;
    size_t npaths = 0, path_bytes = 0;
    for (const char *line = text; line < text_end;) {
        const char *nl = memchr(line, '\n', (size_t)(text_end - line));
        const char *le = nl ? nl : text_end;
        struct map_line m;
        if (parse_map_line(line, le, &m) == 0) {
            nmaps++;
            if (is_line_path(&m)) {
                npaths++;
                path_bytes += m.path_len;
            }
        }
        line = le + 1;
    }
    if (path_table_prepare(npaths, path_bytes) != 0)
        return 0;

    /* Everything from here to SNAPSHOT_END is one group: written whole or dropped whole (a
     * full disk must not leave a SNAPSHOT with part of its MAP records). */
    uint32_t first_new_id = path_next_id;
    size_t arena_mark = arena_used;
    ptr_group_begin();

    /* Pass 2: PATH records for paths new to this file. */
    for (const char *line = text; line < text_end;) {
        const char *nl = memchr(line, '\n', (size_t)(text_end - line));
        const char *le = nl ? nl : text_end;
        struct map_line m;
        if (parse_map_line(line, le, &m) == 0 && is_line_path(&m)) {
            int is_new = 0;
            struct path_slot *sl = path_lookup(m.path, m.path_len, 1, &is_new);
            if (!sl) {
                ptr_group_abort();
                path_forget_since(first_new_id, arena_mark);
                return 0;
            }
            if (is_new) {
                ptr_rec_begin(PTR_REC_PATH);
                ptr_put_uv(sl->id);
                ptr_put_str(m.path, m.path_len);
                ptr_rec_commit();
            }
        }
        line = le + 1;
    }

    /* The SNAPSHOT, its MAP records, its end. */
    ptr_rec_begin(PTR_REC_SNAPSHOT);
    ptr_put_time(ptr_now_ns());
    ptr_put_uv(snap_seq);
    ptr_put_uv((uint64_t)reason);
    ptr_put_uv(pte0);
    ptr_put_uv(rss0);
    ptr_put_uv(nmaps);
    ptr_rec_commit();

    walked_pages = 0;
    for (const char *line = text; line < text_end;) {
        const char *nl = memchr(line, '\n', (size_t)(text_end - line));
        const char *le = nl ? nl : text_end;
        struct map_line m;
        if (parse_map_line(line, le, &m) == 0) {
            uint64_t path_id = 0;
            if (is_line_path(&m)) {
                int is_new = 0;
                struct path_slot *sl = path_lookup(m.path, m.path_len, 0, &is_new);
                path_id = sl ? sl->id : 0;
            }
            collect_runs(m.start, m.end);
            ptr_rec_begin(PTR_REC_MAP);
            ptr_put_addr(m.start);
            ptr_put_len(m.end - m.start);
            ptr_put_uv(m.perms);
            ptr_put_uv(m.offset);
            ptr_put_uv(path_id);
            ptr_put_uv(runs_n);
            const struct snap_run *runs = (const struct snap_run *)runs_buf.p;
            uint64_t prev_end = m.start;
            for (size_t i = 0; i < runs_n; i++) {
                ptr_put_uv((runs[i].start - prev_end) / SNAP_PAGE);
                ptr_put_uv((runs[i].end - runs[i].start) / SNAP_PAGE);
                ptr_put_u8((uint8_t)runs[i].flags);
                prev_end = runs[i].end;
                walked_pages += (runs[i].end - runs[i].start) / SNAP_PAGE;
            }
            ptr_rec_commit();
        }
        line = le + 1;
    }

    uint64_t pte1 = 0, rss1 = 0;
    if (ptr_read_status(&pte1, &rss1) != 0)
        pte1 = rss1 = 0;
    if (!keep_anyway &&
        (pte0 != pte1 || !walk_covers_rss(rss0, rss1) || !maps_unchanged(maps_len))) {
        ptr_group_discard();
        path_forget_since(first_new_id, arena_mark);
        return 1;
    }
    ptr_rec_begin(PTR_REC_SNAPSHOT_END);
    ptr_put_uv(pte1);
    ptr_put_uv(rss1);
    ptr_rec_commit();
    if (ptr_group_commit() != 0) {
        path_forget_since(first_new_id, arena_mark); /* their PATH records never reached the file */
        return 0;
    }
    snap_seq++;
    return 0;
}
