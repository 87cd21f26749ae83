/*
 * ptreclaim trace format, version 3 — the single source of truth for record layouts.
 *
 * Included by the recorder (Sources/recorder, C, built with cc) and by the Swift reader
 * (module CPTFormat). docs/trace-format.md explains the same layout in prose; when the two
 * disagree this file wins and the doc is a bug.
 *
 * ---------------------------------------------------------------------------------------------
 * FILE
 *   offset 0: 8 bytes magic "PTRCLAIM"
 *   offset 8: u16 little-endian format version (PTR_FORMAT_VERSION)
 *   offset 10: u16 little-endian reserved, 0
 *   offset 12: records, back to back, until a PTR_REC_END (0x00) byte or the end of the file.
 *
 * The recorder writes through a MAP_SHARED mapping of the file that it grows in windows, so the
 * file may end in zero bytes (never-written space). A zero tag therefore means "no more data".
 * A clean end writes PTR_REC_TRAILER and truncates the file to its length. A file with no
 * trailer (killed, crashed, exec'd without the hook) is "truncated": readable up to its last
 * complete record. Every record is written completely into the mapping before the next one
 * starts, so a kill loses at most the record being written. A snapshot (its PATH records,
 * SNAPSHOT, MAPs, SNAPSHOT_END) and one generation's MODULE records are written as one group:
 * all of them or none (a full disk drops the whole group).
 *
 * PRIMITIVES
 *   u8        one byte
 *   uv        unsigned LEB128 varint (7 bits per byte, low first, high bit = more), at most 10 bytes
 *   sv        zigzag-encoded signed value stored as uv: (n << 1) ^ (n >> 63)
 *   str       uv length, then that many bytes (UTF-8 or raw bytes; no terminating NUL)
 *   paged     a value that is usually a multiple of 4096, as uv P = (H << 1) | U, where U = 1
 *             when the value's low 12 bits L are not all zero; then, only when U = 1, uv L.
 *             The value is (H << 12) | L. (A page-aligned value costs one bit over its page
 *             count: 64 KiB is one byte.)
 *   len       paged, with H = length >> 12.
 *   addr      paged, with H = zigzag(D >> 12) (arithmetic shift) and L = D & 4095, where D is
 *             the signed 64-bit delta from the ADDRESS REGISTER; the decoded address
 *             (register + ((unzigzag(H) << 12) | L), mod 2^64) becomes the register. The
 *             register starts at 0 at the start of the file and is updated by every addr.
 *   hint      uv 0 for a hint of 0; otherwise an addr whose first varint is stored plus one
 *             (so it is never 0) and which does NOT update the address register (the
 *             call's result, often equal to the hint, then follows as a zero delta).
 *   ip        sv delta against the IP REGISTER (STACK records only), which then becomes the
 *             decoded ip; starts at 0. Kept apart from the address register so that code
 *             addresses do not disturb the deltas between the data addresses of calls.
 *
 * TAG BYTE
 *   bits 0-5: record type (PTR_REC_*)
 *   bit 6 (PTR_TAG_RESIDENCY): call records only — a RESIDENCY block follows the call's fields
 *   bit 7 (PTR_TAG_FAILED):    call records only — the call failed; its result field is replaced
 *                               by `uv errno`
 *
 * TIME
 *   Every record marked [timed] starts, after its tag, with `uv dt`: nanoseconds of
 *   CLOCK_MONOTONIC since the previous timed record (the first one: since header.mono_start_ns).
 *   Records are written under the recorder's lock, so time never goes backwards in a file.
 *
 * THREAD
 *   PTR_REC_THREAD sets the current thread; every later call record belongs to it. It is written
 *   only when the calling thread differs from the previous call's thread.
 *
 * STACKS
 *   Call stacks are a trie. PTR_REC_STACK defines node number N (1, 2, 3, ... in file order) as
 *   (ip, parent): the node stands for frame `ip` called from the stack that node `parent` stands
 *   for; parent 0 is the root, so the outermost frame (e.g. _start) has parent 0 and the leaf is
 *   the innermost frame (the code that called mmap/madvise/...). A node is written once, before
 *   the first record that uses it.
 *   A call record's `stack` field is the leaf node number, sv-encoded as a delta against the
 *   previous call record's stack number (initially 0). Stack number 0 means "no stack".
 *   IPs are return addresses minus 1 (so they fall inside the calling instruction).
 *
 * RESIDENCY block (after a call's fields when PTR_TAG_RESIDENCY is set)
 *   The population of the 2 MiB-aligned blocks enclosing the call's range, read just BEFORE the
 *   real call. For munmap/madvise/mprotect/brk the range is the call's; for mremap the old range;
 *   for mmap(MAP_FIXED) the new range; for sbrk/brk shrink the released range.
 *     sv first_block        block index (address >> 21) of the first enclosing block, as a
 *                           delta against the block of the call's ANCHOR address (below)
 *     uv nblocks            number of enclosing blocks (first_block ... first_block+nblocks-1)
 *     uv nlisted            number of blocks listed below; blocks not listed have no populated
 *                           page (every entry none)
 *     nlisted times:
 *       uv gap_kind         (block_gap << 2) | kind, kind PTR_BLOCK_PTE (0), PTR_BLOCK_HUGE (1),
 *                           PTR_BLOCK_PTE_DIFF (2) or PTR_BLOCK_BITMAP (3); block index = previous listed index + 1
 *                           + block_gap (first: first_block + block_gap)
 *       kind PTE:  uv nruns, then nruns times { uv page_gap, uv npages }  (page numbers 0..511
 *                  within the block; start = previous run's end + page_gap, first: page_gap)
 *       kind HUGE: nothing (the block is mapped by one PMD entry: an anonymous or file THP)
 *       kind PTE_DIFF: runs as for PTE, but they are the pages that CHANGED (populated <->
 *                  not) since the block's PREVIOUS POPULATION; the block's population is the
 *                  previous one with those pages flipped (never empty).
 *       kind BITMAP: 64 bytes, page p populated when bit (p % 8) of byte p / 8 is set (never
 *                  all zero); a PTE block, for fragmented blocks where the runs are longer.
 *   A page is "populated" when pagemap reports it present or swapped.
 *   WITNESS PAGES (version 3): a block is listed iff it has a populated page (or is HUGE), and
 *   every page listed is populated, but the pages listed are not always all of them. For the
 *   RELEASE calls — MUNMAP, MMAP with MAP_FIXED, BRK and SBRK shrinking, and MADVISE (not
 *   posix_madvise) with MADV_DONTNEED or MADV_DONTNEED_LOCKED — a PTE block lists one witness:
 *   a populated page outside the call's range when the block has one, else one inside it. Every
 *   other residency block (MREMAP, the other advices, PROCESS_MADVISE), every block the process
 *   called MADV_FREE on (all blocks once more than 2048 were), and every block under
 *   PTRECLAIM_RESIDENCY_FULL=1 (header "options" residency_full=1) lists every populated page,
 *   as in version 2. docs/residency.md says why
 *   the witness is all the model needs at a release. Version 2 lists every populated page.
 *   PREVIOUS POPULATION of a block: its population in the last residency block of this file
 *   whose call record covered it (HUGE counts as all 512 pages populated) — but only when that
 *   residency block listed it. After each call record with a residency block, every block in
 *   first_block .. first_block+nblocks-1 loses its previous population, then each listed block
 *   gets its population from this record. PTE_DIFF for a block without one is corrupt.
 *   The ANCHOR of each call type (the decoded field; usually the range's start, so the delta
 *   is 0 and takes one byte): MMAP hint; MUNMAP, MADVISE, MPROTECT addr; MREMAP old;
 *   PROCESS_MADVISE the lowest address among its ranges of non-zero length (0 when none);
 *   BRK requested; SBRK new_break.
 *
 * CALL RECORDS [timed]: tag, uv dt, sv stack, then the fields below, then the result, then the
 * residency block if flagged. "result" is the success value; on failure (tag bit 7) it is
 * `uv errno` instead. Calls that return 0 on success have no result field on success.
 *   MMAP       hint hint, len len, uv prot, uv flags_fn, sv fd, uv offset
 *              | addr result (the address mapped). A hint of 0 is one byte. flags_fn = (flags << 1) | bit, bit 1
 *              for mmap64 (PTR_FN_MMAP64), 0 for mmap (PTR_FN_MMAP): mmap64 is recorded as
 *              MMAP and the bit tells which entry point was called.
 *   MUNMAP     addr, len len                                           | (none)
 *   MREMAP     addr old, len old_len, len new_len, uv flags, hint new_hint | addr result
 *              (new_hint is 0 unless MREMAP_FIXED)
 *   MADVISE    addr, len len, uv advice_fn = (advice << 1) | bit, bit 1 for posix_madvise
 *              (PTR_FN_POSIX_MADVISE), 0 for madvise (PTR_FN_MADVISE)  | (none). posix_madvise returns an error number rather than setting errno; the
 *              recorder stores it as a failure with that errno. Note glibc's posix_madvise
 *              ignores POSIX_MADV_DONTNEED (no system call), so the model treats it as a no-op.
 *   PROCESS_MADVISE sv pidfd, uv advice, uv flags, uv niov, niov times { addr, len len }
 *              | uv bytes advised
 *   MPROTECT   addr, len len, uv prot, sv pkey (-1 for mprotect)        | (none)
 *   BRK        addr requested, addr old_break, addr new_break (break after the call)  | (none)
 *   SBRK       sv increment, addr new_break (break after the call)     | addr result (old break)
 *
 * OTHER RECORDS
 *   HEADER     (first record of every file) str key/value pairs:
 *                uv npairs, then npairs times { str key, str value }
 *              Keys (all values are text): "version", "pointer_size", "page_size", "pid",
 *              "ppid", "exe", "argv" (arguments joined by NUL bytes), "kernel" (uname release),
 *              "thp" (the bracketed mode of /sys/kernel/mm/transparent_hugepage/enabled),
 *              "realtime_start_ns", "mono_start_ns", "options" (recorder options as
 *              key=value;...), "kernel_policy" ("pt-reclaim", "none" or "unknown"),
 *              "probe" (free text: VmPTE before/after of the start-up probe), "residency"
 *              (how page population is read: "pagemap_scan" = the PAGEMAP_SCAN ioctl, Linux
 *              6.7+; "pagemap_pread" = pread of /proc/self/pagemap; "mincore"; "none"), "origin"
 *              ("start", "fork" or "exec"), "parent_trace" (path of the parent's trace, if any),
 *              "proc_start_ticks" (field 22 of /proc/self/stat: the process start time, which
 *              exec keeps, so an exec'd image recognizes its own process's earlier trace),
 *              "preload_shadowed" (written by header.c from preload_check.c: the hooked
 *              functions the program's calls bind to outside the recorder, as
 *              "name=library;name=library", "" when none — their calls are NOT in the trace;
 *              absent in older traces, which readers treat as ""). The "probe" text ends with
 *              the probe's own system calls ("...; probe system calls, not recorded: N mmap,
 *              N madvise, N munmap").
 *              Unknown keys must be ignored by readers.
 *   THREAD     uv tid
 *   STACK      ip ip, uv parent                     (defines the next node number)
 *   MODULE     uv generation, str path, uv load_address, str build_id (raw bytes), uv nseg,
 *              nseg times { uv vaddr, uv memsz, uv flags (PF_R/PF_W/PF_X) }
 *              Generation 1 is the map at start; each dlopen/dlclose that changed the module
 *              list writes a full new map with the next generation.
 *   SNAPSHOT   [timed] uv seq, uv reason (PTR_SNAP_*), uv vmpte_kb, uv vmrss_kb,
 *              uv nmaps; then nmaps PTR_REC_MAP records follow (and nothing else in between),
 *              then one PTR_REC_SNAPSHOT_END.
 *   MAP        addr start, len len, uv perms (PTR_PERM_* bits), uv offset, uv path_id,
 *              uv nruns, nruns times { uv page_gap, uv npages, u8 run_flags (PTR_RUN_*) }
 *              Runs are populated pages of the mapping, page numbers relative to start.
 *              path_id 0 = anonymous; otherwise a number defined by an earlier PTR_REC_PATH.
 *   PATH       uv id, str path                 (defines path_id; ids count 1, 2, 3, ...)
 *   SNAPSHOT_END uv vmpte_kb (read again after the walk), uv vmrss_kb
 *   FORK       [timed] uv child_pid           (in the parent, after a successful fork)
 *   EXEC       [timed] str path               (just before execve; the next image writes
 *                                              its own file)
 *   EXEC_FAILED [timed] uv errno
 *   LOST       uv count                        (calls seen but not recorded since the last LOST:
 *                                              signal handler re-entry, out of memory)
 *   TRAILER    [timed] uv records_written, uv records_dropped, uv exit_reason (PTR_EXIT_*),
 *              sv exit_status
 *   END        (0x00) no more data
 * ---------------------------------------------------------------------------------------------
 */
#ifndef PTRECLAIM_TRACE_H
#define PTRECLAIM_TRACE_H

#define PTR_MAGIC "PTRCLAIM"
#define PTR_MAGIC_LEN 8
/* Version 2 is the first released layout; version 1 was a pre-release layout, never shipped,
 * that no reader accepts. Version 3 has version 2's layouts; only what a release call's
 * RESIDENCY block lists changed (WITNESS PAGES below). Readers read both alike. */
#define PTR_FORMAT_VERSION 3
#define PTR_FILE_HEADER_LEN 12

/* Record types (tag bits 0-5). */
enum ptr_record_type {
    PTR_REC_END = 0,
    PTR_REC_HEADER = 1,
    PTR_REC_THREAD = 2,
    PTR_REC_STACK = 3,
    PTR_REC_MODULE = 4,
    PTR_REC_PATH = 5,
    PTR_REC_SNAPSHOT = 6,
    PTR_REC_MAP = 7,
    PTR_REC_SNAPSHOT_END = 8,
    PTR_REC_FORK = 9,
    PTR_REC_EXEC = 10,
    PTR_REC_EXEC_FAILED = 11,
    PTR_REC_LOST = 12,
    PTR_REC_TRAILER = 13,
    /* call records */
    PTR_REC_MMAP = 16,
    PTR_REC_MUNMAP = 17,
    PTR_REC_MREMAP = 18,
    PTR_REC_MADVISE = 19,
    PTR_REC_PROCESS_MADVISE = 20,
    PTR_REC_MPROTECT = 21,
    PTR_REC_BRK = 22,
    PTR_REC_SBRK = 23,
};

#define PTR_TAG_TYPE_MASK 0x3f
#define PTR_TAG_RESIDENCY 0x40
#define PTR_TAG_FAILED 0x80

/* Entry points, for records shared by several functions. */
enum ptr_function {
    PTR_FN_MMAP = 0,
    PTR_FN_MMAP64 = 1,
    PTR_FN_MADVISE = 2,
    PTR_FN_POSIX_MADVISE = 3,
};

/* Residency block kinds. */
enum ptr_block_kind {
    PTR_BLOCK_PTE = 0,  /* mapped by a PTE page; runs of populated pages follow */
    PTR_BLOCK_HUGE = 1, /* mapped by one PMD entry (THP) */
    PTR_BLOCK_PTE_DIFF = 2, /* a PTE block given as the pages changed since its previous population */
    PTR_BLOCK_BITMAP = 3,   /* a PTE block given as a 64-byte bitmap of its populated pages */
};

/* MAP record permission bits (from the "rwxp"/"rwxs" column of /proc/self/maps). */
enum ptr_perm {
    PTR_PERM_READ = 1,
    PTR_PERM_WRITE = 2,
    PTR_PERM_EXEC = 4,
    PTR_PERM_SHARED = 8,
};

/* MAP record run flags. */
enum ptr_run_flag {
    PTR_RUN_SWAPPED = 1, /* pages are swap entries, not present */
    PTR_RUN_HUGE = 2,    /* pages are PMD-mapped (the run covers whole 2 MiB blocks) */
};

/* SNAPSHOT reasons. */
enum ptr_snapshot_reason {
    PTR_SNAP_START = 0,
    PTR_SNAP_PERIODIC = 1,
    PTR_SNAP_EXIT = 2,
    PTR_SNAP_FORK_CHILD = 3,
    PTR_SNAP_EXEC = 4,
    PTR_SNAP_MODULES = 5, /* after dlopen/dlclose */
};

/* TRAILER exit reasons. */
enum ptr_exit_reason {
    PTR_EXIT_ATEXIT = 0,     /* exit() or return from main */
    PTR_EXIT_DESTRUCTOR = 1, /* library destructor without atexit (e.g. dlclose-like teardown) */
    PTR_EXIT_UNDERSCORE = 2, /* _exit() / _Exit() */
    PTR_EXIT_ABORT = 3,      /* SIGABRT caught on its way out */
};

/* Environment variables that configure the recorder (documented in docs/recorder.md). */
#define PTR_ENV_OUTPUT "PTRECLAIM_OUTPUT"          /* trace path; unset = recorder inert */
#define PTR_ENV_INTERVAL_MS "PTRECLAIM_INTERVAL_MS" /* snapshot period, default 100, 0 = off */
#define PTR_ENV_STACK_DEPTH "PTRECLAIM_STACK_DEPTH" /* frames, default 32, 0 = no stacks */
#define PTR_ENV_FOLLOW_FORK "PTRECLAIM_FOLLOW_FORK" /* 1 (default) = children write FILE.<pid> */
#define PTR_ENV_FOLLOW_EXEC "PTRECLAIM_FOLLOW_EXEC" /* 1 (default) = exec'd images write a trace */
#define PTR_ENV_PROBE "PTRECLAIM_PROBE"             /* 1 (default) = run the kernel-policy probe */
/* 1 = every residency block lists every populated page (default 0: release calls list one
 * witness page per block, see RESIDENCY below). */
#define PTR_ENV_RESIDENCY_FULL "PTRECLAIM_RESIDENCY_FULL"
/* 0 = never use the PAGEMAP_SCAN ioctl: read /proc/self/pagemap as before Linux 6.7 (default 1). */
#define PTR_ENV_PAGEMAP_SCAN "PTRECLAIM_PAGEMAP_SCAN"
/* Set by the recorder, not the user: the pid of the process that owned the trace when it handed
 * its environment on (exec hooks, and its own environ for posix_spawn/system children). An image
 * started with another pid is a spawned child: it records only when following forks. */
#define PTR_ENV_OWNER_PID "PTRECLAIM_OWNER_PID"

/* The largest values the recorder honours; it ignores a value outside 0..MAX (its default
 * applies), so `ptreclaim record` refuses such values before starting the program. */
#define PTR_INTERVAL_MS_MAX 86400000 /* one day */
#define PTR_STACK_DEPTH_MAX 128

#endif /* PTRECLAIM_TRACE_H */
