// Decoded trace records: what the reader yields and the model consumes.
// The byte layout lives in Sources/CPTFormat/include/ptreclaim_trace.h; these are plain values.

/// Populated pages of one 2 MiB-aligned block, read just before a releasing call
/// (or during a snapshot).
public struct BlockPopulation: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// Mapped through a PTE page; `runs` are the populated (present or swapped) pages,
        /// page numbers 0..<512 within the block, sorted and disjoint.
        case pte(runs: [PageRun])
        /// Mapped by one PMD entry (a THP).
        case huge
    }
    /// Block index: address >> 21.
    public var block: UInt64
    public var kind: Kind

    public init(block: UInt64, kind: Kind) {
        self.block = block
        self.kind = kind
    }
}

/// A run of consecutive pages: `start` and `count` in 4 KiB pages.
public struct PageRun: Equatable, Sendable {
    public var start: UInt32
    public var count: UInt32
    public init(start: UInt32, count: UInt32) {
        self.start = start
        self.count = count
    }
}

/// The residency block of a call record: the population of every 2 MiB block enclosing the
/// call's range. Blocks in `firstBlock ..< firstBlock + blockCount` that are not listed have
/// no populated page.
public struct Residency: Equatable, Sendable {
    public var firstBlock: UInt64
    public var blockCount: UInt64
    public var listed: [BlockPopulation]

    public init(firstBlock: UInt64, blockCount: UInt64, listed: [BlockPopulation]) {
        self.firstBlock = firstBlock
        self.blockCount = blockCount
        self.listed = listed
    }
}

/// An (address, length) pair, as in process_madvise's iovec.
public struct AddressRange: Equatable, Sendable {
    public var address: UInt64
    public var length: UInt64
    public init(address: UInt64, length: UInt64) {
        self.address = address
        self.length = length
    }
}

/// One intercepted call, with its decoded arguments.
public enum CallKind: Equatable, Sendable {
    /// mmap or mmap64 (`is64`). `result` is the mapped address.
    case mmap(hint: UInt64, length: UInt64, prot: UInt32, flags: UInt32, fd: Int32, offset: UInt64,
              is64: Bool, result: UInt64)
    case munmap(address: UInt64, length: UInt64)
    case mremap(oldAddress: UInt64, oldLength: UInt64, newLength: UInt64, flags: UInt32,
                newHint: UInt64, result: UInt64)
    /// madvise or posix_madvise (`posix`: glibc's posix_madvise ignores POSIX_MADV_DONTNEED).
    case madvise(address: UInt64, length: UInt64, advice: UInt32, posix: Bool)
    case processMadvise(pidfd: Int32, advice: UInt32, flags: UInt32,
                        ranges: [AddressRange], result: UInt64)
    /// mprotect (`pkey` -1) or pkey_mprotect.
    case mprotect(address: UInt64, length: UInt64, prot: UInt32, pkey: Int32)
    /// brk(requested): the break before and after the call.
    case brk(requested: UInt64, oldBreak: UInt64, newBreak: UInt64)
    /// sbrk(increment): `result` is the old break, `newBreak` the break after the call.
    case sbrk(increment: Int64, newBreak: UInt64, result: UInt64)
}

public struct Call: Equatable, Sendable {
    /// CLOCK_MONOTONIC nanoseconds.
    public var time: UInt64
    public var tid: UInt32
    /// Leaf stack node number; 0 = no stack.
    public var stack: UInt32
    public var kind: CallKind
    /// nil on success; the errno on failure (the result fields of `kind` are then 0).
    public var errno: Int32?
    /// Population of the enclosing blocks just before the call, when recorded.
    public var residency: Residency?

    public init(time: UInt64, tid: UInt32, stack: UInt32, kind: CallKind, errno: Int32? = nil,
                residency: Residency? = nil) {
        self.time = time
        self.tid = tid
        self.stack = stack
        self.kind = kind
        self.errno = errno
        self.residency = residency
    }

    public var failed: Bool { errno != nil }
}

/// One line of /proc/self/maps with the populated pages of the mapping.
public struct SnapshotMapping: Equatable, Sendable {
    public var start: UInt64
    public var end: UInt64
    /// PTR_PERM_* bits.
    public var perms: UInt32
    public var offset: UInt64
    /// nil for anonymous mappings; otherwise the path column ("[heap]", "[stack]", a file...).
    public var path: String?
    /// Populated pages, page numbers relative to `start`.
    public var runs: [SnapshotRun]

    public init(start: UInt64, end: UInt64, perms: UInt32, offset: UInt64, path: String?,
                runs: [SnapshotRun]) {
        self.start = start
        self.end = end
        self.perms = perms
        self.offset = offset
        self.path = path
        self.runs = runs
    }
}

public struct SnapshotRun: Equatable, Sendable {
    public var start: UInt64
    public var count: UInt64
    public var swapped: Bool
    public var huge: Bool
    public init(start: UInt64, count: UInt64, swapped: Bool = false, huge: Bool = false) {
        self.start = start
        self.count = count
        self.swapped = swapped
        self.huge = huge
    }
}

public enum SnapshotReason: UInt8, Sendable {
    case start = 0, periodic = 1, exit = 2, forkChild = 3, exec = 4, modules = 5
}

/// A whole-address-space snapshot: the mapping list, populated pages, and the kernel's own
/// page-table and RSS figures (VmPTE, VmRSS).
public struct Snapshot: Equatable, Sendable {
    public var time: UInt64
    public var seq: UInt64
    public var reason: SnapshotReason
    public var vmPTEKiB: UInt64
    public var vmRSSKiB: UInt64
    /// VmPTE read again after the walk (concurrent threads may have changed it).
    public var vmPTEKiBAfter: UInt64
    public var vmRSSKiBAfter: UInt64
    public var mappings: [SnapshotMapping]

    public init(time: UInt64, seq: UInt64, reason: SnapshotReason, vmPTEKiB: UInt64,
                vmRSSKiB: UInt64, vmPTEKiBAfter: UInt64, vmRSSKiBAfter: UInt64,
                mappings: [SnapshotMapping]) {
        self.time = time
        self.seq = seq
        self.reason = reason
        self.vmPTEKiB = vmPTEKiB
        self.vmRSSKiB = vmRSSKiB
        self.vmPTEKiBAfter = vmPTEKiBAfter
        self.vmRSSKiBAfter = vmRSSKiBAfter
        self.mappings = mappings
    }
}

public struct ModuleSegment: Equatable, Sendable {
    public var vaddr: UInt64
    public var memsz: UInt64
    public var flags: UInt32
    public init(vaddr: UInt64, memsz: UInt64, flags: UInt32) {
        self.vaddr = vaddr
        self.memsz = memsz
        self.flags = flags
    }
}

public struct Module: Equatable, Sendable {
    public var generation: UInt64
    public var path: String
    public var loadAddress: UInt64
    public var buildID: [UInt8]
    public var segments: [ModuleSegment]
    public init(generation: UInt64, path: String, loadAddress: UInt64, buildID: [UInt8],
                segments: [ModuleSegment]) {
        self.generation = generation
        self.path = path
        self.loadAddress = loadAddress
        self.buildID = buildID
        self.segments = segments
    }
}

public enum ExitReason: UInt8, Sendable {
    case atexit = 0, destructor = 1, underscoreExit = 2, abort = 3
}

public struct Trailer: Equatable, Sendable {
    public var time: UInt64
    public var recordsWritten: UInt64
    public var recordsDropped: UInt64
    public var exitReason: ExitReason?
    public var exitStatus: Int64
    public init(time: UInt64, recordsWritten: UInt64, recordsDropped: UInt64,
                exitReason: ExitReason?, exitStatus: Int64) {
        self.time = time
        self.recordsWritten = recordsWritten
        self.recordsDropped = recordsDropped
        self.exitReason = exitReason
        self.exitStatus = exitStatus
    }
}

/// The HEADER record: text key/value pairs (see ptreclaim_trace.h for the keys).
public struct TraceHeader: Equatable, Sendable {
    public var fields: [(key: String, value: String)]

    public init(fields: [(key: String, value: String)]) { self.fields = fields }

    public subscript(key: String) -> String? { fields.first { $0.key == key }?.value }

    public var pid: Int? { self["pid"].flatMap { Int($0) } }
    public var pageSize: UInt64 { self["page_size"].flatMap { UInt64($0) } ?? 4096 }
    public var monoStartNs: UInt64 { self["mono_start_ns"].flatMap { UInt64($0) } ?? 0 }
    public var kernel: String? { self["kernel"] }
    public var kernelPolicy: String { self["kernel_policy"] ?? "unknown" }
    /// Hooked functions the program's calls bind to in another library than the recorder
    /// ("name=library;..."): their calls are not recorded. Empty when none, and in traces
    /// written before the key existed.
    public var preloadShadowed: [(function: String, library: String)] {
        (self["preload_shadowed"] ?? "").split(separator: ";").compactMap { entry in
            let parts = entry.split(separator: "=", maxSplits: 1)
            return parts.count == 2 ? (function: String(parts[0]), library: String(parts[1])) : nil
        }
    }
    /// One line saying which calls are lost to the LD_PRELOAD order, or nil.
    public var preloadWarning: String? {
        let s = preloadShadowed
        guard !s.isEmpty else { return nil }
        var libraries: [String] = []
        for (_, lib) in s where !libraries.contains(lib) { libraries.append(lib) }
        return "calls to " + s.map(\.function).joined(separator: ", ") + " bind to "
            + libraries.joined(separator: ", ") + " ahead of the recorder and are NOT recorded"
            + " (put the recorder first in LD_PRELOAD, e.g. ptreclaim record --preload LIB)"
    }
    public var argv: [String] {
        guard let a = self["argv"] else { return [] }
        return a.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
    }

    public static func == (a: TraceHeader, b: TraceHeader) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0 == $1 }
    }
}

/// One decoded record, in file order. THREAD, PATH and the delta registers are resolved by the
/// reader and do not appear here; MAP records are folded into their snapshot.
public enum TraceRecord: Equatable, Sendable {
    case header(TraceHeader)
    case stack(node: UInt32, ip: UInt64, parent: UInt32)
    case module(Module)
    case call(Call)
    case snapshot(Snapshot)
    case fork(time: UInt64, childPid: Int32)
    case exec(time: UInt64, path: String)
    case execFailed(time: UInt64, errno: Int32)
    case lost(count: UInt64)
    case trailer(Trailer)
}
