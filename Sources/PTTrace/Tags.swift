// Record tags and format constants, taken from ptreclaim_trace.h (CPTFormat) so the header stays
// the single source of truth.
import CPTFormat

enum Tag {
    static let end = UInt8(PTR_REC_END.rawValue)
    static let header = UInt8(PTR_REC_HEADER.rawValue)
    static let thread = UInt8(PTR_REC_THREAD.rawValue)
    static let stack = UInt8(PTR_REC_STACK.rawValue)
    static let module = UInt8(PTR_REC_MODULE.rawValue)
    static let path = UInt8(PTR_REC_PATH.rawValue)
    static let snapshot = UInt8(PTR_REC_SNAPSHOT.rawValue)
    static let map = UInt8(PTR_REC_MAP.rawValue)
    static let snapshotEnd = UInt8(PTR_REC_SNAPSHOT_END.rawValue)
    static let fork = UInt8(PTR_REC_FORK.rawValue)
    static let exec = UInt8(PTR_REC_EXEC.rawValue)
    static let execFailed = UInt8(PTR_REC_EXEC_FAILED.rawValue)
    static let lost = UInt8(PTR_REC_LOST.rawValue)
    static let trailer = UInt8(PTR_REC_TRAILER.rawValue)
    static let mmap = UInt8(PTR_REC_MMAP.rawValue)
    static let munmap = UInt8(PTR_REC_MUNMAP.rawValue)
    static let mremap = UInt8(PTR_REC_MREMAP.rawValue)
    static let madvise = UInt8(PTR_REC_MADVISE.rawValue)
    static let processMadvise = UInt8(PTR_REC_PROCESS_MADVISE.rawValue)
    static let mprotect = UInt8(PTR_REC_MPROTECT.rawValue)
    static let brk = UInt8(PTR_REC_BRK.rawValue)
    static let sbrk = UInt8(PTR_REC_SBRK.rawValue)

    static let typeMask = UInt8(PTR_TAG_TYPE_MASK)
    static let residencyFlag = UInt8(PTR_TAG_RESIDENCY)
    static let failedFlag = UInt8(PTR_TAG_FAILED)

    /// A call record's tag (MMAP ... SBRK, flags aside).
    @inline(__always) static func isCall(_ tag: UInt8) -> Bool {
        let type = tag & typeMask
        return type >= mmap && type <= sbrk
    }

    static let fnMmap = UInt64(PTR_FN_MMAP.rawValue)
    static let fnMmap64 = UInt64(PTR_FN_MMAP64.rawValue)
    static let fnMadvise = UInt64(PTR_FN_MADVISE.rawValue)
    static let fnPosixMadvise = UInt64(PTR_FN_POSIX_MADVISE.rawValue)

    static let blockPTE = UInt8(PTR_BLOCK_PTE.rawValue)
    static let blockHuge = UInt8(PTR_BLOCK_HUGE.rawValue)
    static let blockPTEDiff = UInt8(PTR_BLOCK_PTE_DIFF.rawValue)
    static let blockBitmap = UInt8(PTR_BLOCK_BITMAP.rawValue)

    static let runSwapped = UInt8(PTR_RUN_SWAPPED.rawValue)
    static let runHuge = UInt8(PTR_RUN_HUGE.rawValue)
    static let permMask = UInt64(PTR_PERM_READ.rawValue | PTR_PERM_WRITE.rawValue
                                 | PTR_PERM_EXEC.rawValue | PTR_PERM_SHARED.rawValue)
}

/// Format facts for users of the reader (the CLI prints them).
public enum TraceFormat {
    public static let magic: [UInt8] = Array(PTR_MAGIC.utf8)
    public static let version = UInt16(PTR_FORMAT_VERSION)
    public static let fileHeaderLength = Int(PTR_FILE_HEADER_LEN)
    /// Format versions this reader decodes: 2 and 3 share every layout; version 3's release
    /// calls list witness pages (ptreclaim_trace.h, RESIDENCY), which the model reads alike.
    public static let readableVersions: [UInt16] = [2, UInt16(PTR_FORMAT_VERSION)]
}

/// Bounds that keep a bit-flipped count from allocating gigabytes or looping for ever.
enum Limits {
    static let headerPairs: UInt64 = 4096
    static let moduleSegments: UInt64 = 65_535
    static let buildIDBytes: UInt64 = 1024
    static let iovecs: UInt64 = 1024            // UIO_MAXIOV
    static let errnoMax: UInt64 = 4095          // MAX_ERRNO
    static let pagesPerBlock: UInt64 = 512
    static let blockIndexEnd: UInt64 = 1 << 43  // 2^64 / 2 MiB
    static let snapshotMaps: UInt64 = 1 << 24
    static let stringBytes: UInt64 = 16 << 20
    /// Initial reservation for arrays sized by a count read from the file.
    static let reserve = 1024
}
