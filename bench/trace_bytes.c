/*
 * trace_bytes: bytes per record type in a ptreclaim trace, and the average bytes per recorded
 * call (issue 2's "<= 16 bytes per recorded call, stacks and snapshots excluded").
 *
 *   trace_bytes FILE
 *
 * Walks every record as ptreclaim_trace.h lays it out (a decoder written from the header, not
 * shared with the reader it could then not check). For call records it splits the bytes into
 * the call itself (tag, time, stack id, arguments, result) and the residency block, so both
 * "per call" figures can be shown. THREAD records are counted with the calls: they exist only
 * because calls switch threads. STACK records (the trie) and SNAPSHOT/MAP/PATH/SNAPSHOT_END
 * are reported separately, as the target excludes them.
 * It also prints the average bytes per call of each field (tag, dt, stack, addr, len, other
 * arguments, hints, result, residency head / gap_kind / runs), and with TRACE_BYTES_HIST=1 in
 * the environment histograms of the residency runs (nruns, page_gap, npages).
 * Reads format versions 2 and 3 (same layouts; exit status 2 for any other).
 * Exit status 2 on a malformed file (with the byte offset), 0 otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ptr_codec.h"
#include "ptreclaim_trace.h"

#define NTYPES 64

/* Per-field byte totals of the call records (and THREAD), for finding what to shrink. */
enum field {
    F_TAG, F_DT, F_STACK, F_ADDR, F_LEN, F_ARGS, F_HINT, F_RESULT, F_RES_HEAD, F_RES_GAP,
    F_UNUSED, F_RES_RUNS, F_THREAD, NFIELDS
};
static const char *field_name[NFIELDS] = {
    "tag", "dt", "stack", "addr", "len", "args(prot,flags,fd,off,fn,...)", "hint/new_hint",
    "result", "residency head", "residency gap_kind", "(unused)", "residency runs",
    "THREAD record",
};
static uint64_t fbytes[NFIELDS];
static uint64_t hist_gap[18], hist_np[18], hist_nruns[18];
/* Counts the bytes that `expr` consumes as field `f`. */
#define FLD(f, expr)                                                                           \
    do {                                                                                       \
        const uint8_t *q_ = c->p;                                                              \
        expr;                                                                                  \
        fbytes[f] += (uint64_t)(c->p - q_);                                                    \
    } while (0)

static const char *type_name(int t)
{
    static const char *names[NTYPES] = {
        [PTR_REC_HEADER] = "HEADER",     [PTR_REC_THREAD] = "THREAD",
        [PTR_REC_STACK] = "STACK",       [PTR_REC_MODULE] = "MODULE",
        [PTR_REC_PATH] = "PATH",         [PTR_REC_SNAPSHOT] = "SNAPSHOT",
        [PTR_REC_MAP] = "MAP",           [PTR_REC_SNAPSHOT_END] = "SNAPSHOT_END",
        [PTR_REC_FORK] = "FORK",         [PTR_REC_EXEC] = "EXEC",
        [PTR_REC_EXEC_FAILED] = "EXEC_FAILED", [PTR_REC_LOST] = "LOST",
        [PTR_REC_TRAILER] = "TRAILER",   [PTR_REC_MMAP] = "MMAP",
        [PTR_REC_MUNMAP] = "MUNMAP",     [PTR_REC_MREMAP] = "MREMAP",
        [PTR_REC_MADVISE] = "MADVISE",   [PTR_REC_PROCESS_MADVISE] = "PROCESS_MADVISE",
        [PTR_REC_MPROTECT] = "MPROTECT", [PTR_REC_BRK] = "BRK",
        [PTR_REC_SBRK] = "SBRK",
    };
    return names[t] ? names[t] : "?";
}

static void skip_residency(struct cursor *c)
{
    uint64_t nlisted = 0;
    FLD(F_RES_HEAD, get_sv(c); get_uv(c); nlisted = get_uv(c)); /* first_block, nblocks, nlisted */
    for (uint64_t i = 0; i < nlisted && !c->bad; i++) {
        uint64_t gap_kind = 0;
        FLD(F_RES_GAP, gap_kind = get_uv(c));
        if ((gap_kind & 3) == PTR_BLOCK_BITMAP) {
            FLD(F_RES_RUNS, for (int b = 0; b < 64; b++) get_u8(c));
        } else if ((gap_kind & 3) != PTR_BLOCK_HUGE) { /* PTE or PTE_DIFF: runs follow */
            uint64_t nruns = 0;
            FLD(F_RES_RUNS, nruns = get_uv(c));
            for (uint64_t r = 0; r < nruns && !c->bad; r++) {
                uint64_t g = 0, n = 0;
                FLD(F_RES_RUNS, g = get_uv(c); n = get_uv(c));
                hist_gap[g < 16 ? g : g < 128 ? 16 : 17]++;
                hist_np[n < 16 ? n : n < 128 ? 16 : 17]++;
            }
            hist_nruns[nruns < 16 ? nruns : nruns < 64 ? 16 : 17]++;
        }
    }
}

/* The fields of a call record after `uv dt, sv stack`, up to (excluding) the result. */
static void skip_call_fields(struct cursor *c, int type)
{
    switch (type) {
    case PTR_REC_MMAP:
        FLD(F_HINT, get_hint(c));
        FLD(F_LEN, get_paged(c));
        FLD(F_ARGS, get_uv(c); get_uv(c); get_sv(c); get_uv(c)); /* prot flags_fn fd offset */
        break;
    case PTR_REC_MUNMAP:
        FLD(F_ADDR, get_paged(c));
        FLD(F_LEN, get_paged(c));
        break;
    case PTR_REC_MREMAP:
        FLD(F_ADDR, get_paged(c));
        FLD(F_LEN, get_paged(c); get_paged(c));
        FLD(F_ARGS, get_uv(c));
        FLD(F_HINT, get_hint(c));
        break;
    case PTR_REC_MADVISE:
        FLD(F_ADDR, get_paged(c));
        FLD(F_LEN, get_paged(c));
        FLD(F_ARGS, get_uv(c)); /* advice_fn */
        break;
    case PTR_REC_PROCESS_MADVISE: {
        uint64_t niov = 0;
        FLD(F_ARGS, get_sv(c); get_uv(c); get_uv(c); niov = get_uv(c));
        for (uint64_t i = 0; i < niov && !c->bad; i++) {
            FLD(F_ADDR, get_paged(c));
            FLD(F_LEN, get_paged(c));
        }
        break;
    }
    case PTR_REC_MPROTECT:
        FLD(F_ADDR, get_paged(c));
        FLD(F_LEN, get_paged(c));
        FLD(F_ARGS, get_uv(c); get_sv(c));
        break;
    case PTR_REC_BRK:
        FLD(F_ADDR, get_paged(c); get_paged(c); get_paged(c));
        break;
    case PTR_REC_SBRK:
        FLD(F_LEN, get_sv(c));
        FLD(F_ADDR, get_paged(c));
        break;
    }
}

/* Calls whose success value is stored (the others return 0 and store nothing). */
static int has_result(int type)
{
    return type == PTR_REC_MMAP || type == PTR_REC_MREMAP || type == PTR_REC_SBRK ||
           type == PTR_REC_PROCESS_MADVISE;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: trace_bytes FILE\n");
        return 1;
    }
    int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[1]);
        return 1;
    }
    if (st.st_size < PTR_FILE_HEADER_LEN) {
        fprintf(stderr, "%s: too short for a trace\n", argv[1]);
        return 2;
    }
    const uint8_t *base = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    madvise((void *)base, st.st_size, MADV_SEQUENTIAL);
    if (memcmp(base, PTR_MAGIC, PTR_MAGIC_LEN) != 0) {
        fprintf(stderr, "%s: not a ptreclaim trace (bad magic)\n", argv[1]);
        return 2;
    }
    if ((base[8] | base[9] << 8) != 2 && (base[8] | base[9] << 8) != PTR_FORMAT_VERSION) {
        fprintf(stderr, "%s: trace format version %d (trace_bytes reads format versions 2, %d)\n",
                argv[1], base[8] | base[9] << 8, PTR_FORMAT_VERSION);
        return 2;
    }

    uint64_t count[NTYPES] = {0}, bytes[NTYPES] = {0};
    uint64_t call_bytes = 0, resid_bytes = 0, calls = 0, resid_calls = 0, failed = 0;
    struct cursor c = {base + PTR_FILE_HEADER_LEN, base + st.st_size, 0};
    int ended = 0;
    while (c.p < c.end) {
        const uint8_t *start = c.p;
        uint8_t tag = get_u8(&c);
        int type = tag & PTR_TAG_TYPE_MASK;
        if (type == PTR_REC_END) {
            ended = 1;
            break;
        }
        const uint8_t *resid_start = NULL;
        if (type >= PTR_REC_MMAP && type <= PTR_REC_SBRK) {
            fbytes[F_TAG]++;
            struct cursor *cp = &c;
            {
                struct cursor *c = cp;
                FLD(F_DT, get_uv(c));
                FLD(F_STACK, get_sv(c));
                skip_call_fields(c, type);
                if (tag & PTR_TAG_FAILED) {
                    FLD(F_RESULT, get_uv(c));
                    failed++;
                } else if (has_result(type)) {
                    if (type == PTR_REC_PROCESS_MADVISE)
                        FLD(F_RESULT, get_uv(c));
                    else
                        FLD(F_RESULT, get_paged(c));
                }
            }
            if (tag & PTR_TAG_RESIDENCY) {
                resid_start = c.p;
                skip_residency(&c);
            }
        } else {
            switch (type) {
            case PTR_REC_HEADER: {
                uint64_t n = get_uv(&c);
                for (uint64_t i = 0; i < n && !c.bad; i++) {
                    skip_str(&c);
                    skip_str(&c);
                }
                break;
            }
            case PTR_REC_THREAD: get_uv(&c); fbytes[F_THREAD] += (uint64_t)(c.p - start); break;
            case PTR_REC_STACK: get_sv(&c); get_uv(&c); break;
            case PTR_REC_MODULE: {
                get_uv(&c); skip_str(&c); get_uv(&c); skip_str(&c);
                uint64_t n = get_uv(&c);
                for (uint64_t i = 0; i < n && !c.bad; i++) {
                    get_uv(&c); get_uv(&c); get_uv(&c);
                }
                break;
            }
            case PTR_REC_PATH: get_uv(&c); skip_str(&c); break;
            case PTR_REC_SNAPSHOT:
                for (int i = 0; i < 6; i++) get_uv(&c); /* dt seq reason vmpte vmrss nmaps */
                break;
            case PTR_REC_MAP: {
                get_paged(&c); get_paged(&c); get_uv(&c); get_uv(&c); get_uv(&c);
                uint64_t n = get_uv(&c);
                for (uint64_t i = 0; i < n && !c.bad; i++) {
                    get_uv(&c); get_uv(&c); get_u8(&c);
                }
                break;
            }
            case PTR_REC_SNAPSHOT_END: get_uv(&c); get_uv(&c); break;
            case PTR_REC_FORK: get_uv(&c); get_uv(&c); break;
            case PTR_REC_EXEC: get_uv(&c); skip_str(&c); break;
            case PTR_REC_EXEC_FAILED: get_uv(&c); get_uv(&c); break;
            case PTR_REC_LOST: get_uv(&c); break;
            case PTR_REC_TRAILER: get_uv(&c); get_uv(&c); get_uv(&c); get_uv(&c); get_sv(&c); break;
            default:
                fprintf(stderr, "%s: unknown record type %d at byte %td\n", argv[1], type,
                        start - base);
                return 2;
            }
        }
        if (c.bad) {
            /* A record cut short at the end of the file is a truncated trace, not corruption. */
            fprintf(stderr, "%s: record cut short at byte %td (truncated trace)\n", argv[1],
                    start - base);
            break;
        }
        uint64_t n = (uint64_t)(c.p - start);
        count[type]++;
        bytes[type] += n;
        if (type >= PTR_REC_MMAP) {
            calls++;
            if (resid_start) {
                resid_calls++;
                resid_bytes += (uint64_t)(c.p - resid_start);
                call_bytes += (uint64_t)(resid_start - start);
            } else {
                call_bytes += n;
            }
        }
    }

    uint64_t total = 0;
    printf("%-16s %12s %14s %10s\n", "record", "count", "bytes", "avg");
    for (int t = 0; t < NTYPES; t++) {
        if (!count[t]) continue;
        total += bytes[t];
        printf("%-16s %12lu %14lu %10.2f\n", type_name(t), (unsigned long)count[t],
               (unsigned long)bytes[t], (double)bytes[t] / count[t]);
    }
    uint64_t snap = bytes[PTR_REC_SNAPSHOT] + bytes[PTR_REC_MAP] + bytes[PTR_REC_PATH] +
                    bytes[PTR_REC_SNAPSHOT_END];
    uint64_t thread = bytes[PTR_REC_THREAD];
    printf("file_bytes %lu (records %lu)%s\n", (unsigned long)st.st_size,
           (unsigned long)total, ended ? "" : " no END byte");
    printf("calls %lu failed %lu with_residency %lu\n", (unsigned long)calls,
           (unsigned long)failed, (unsigned long)resid_calls);
    printf("stack_bytes %lu snapshot_bytes %lu\n", (unsigned long)bytes[PTR_REC_STACK],
           (unsigned long)snap);
    if (calls) {
        /* Machine-readable lines for bench/run.sh. */
        printf("bytes_per_call_without_residency %.2f\n", (double)(call_bytes + thread) / calls);
        printf("bytes_per_call_with_residency %.2f\n",
               (double)(call_bytes + thread + resid_bytes) / calls);
        if (resid_calls)
            printf("residency_bytes_per_scanned_call %.2f\n", (double)resid_bytes / resid_calls);
        printf("per-call field bytes (average over all %lu calls):\n", (unsigned long)calls);
        for (int f = 0; f < NFIELDS; f++)
            printf("  %-32s %8.2f\n", field_name[f], (double)fbytes[f] / calls);
    }
    if (getenv("TRACE_BYTES_HIST")) {
        const uint64_t *h[3] = {hist_nruns, hist_gap, hist_np};
        const char *nm[3] = {"nruns", "page_gap", "npages"};
        for (int k = 0; k < 3; k++) {
            printf("%s:", nm[k]);
            for (int j = 0; j < 18; j++)
                printf(" %s%d=%lu", j == 16 ? "<128:" : j == 17 ? ">=128:" : "", j < 16 ? j : 0,
                       (unsigned long)h[k][j]);
            printf("\n");
        }
    }
    return 0;
}
