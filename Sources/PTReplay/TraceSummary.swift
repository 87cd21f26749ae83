// Streaming accumulator for the JSON report's `trace` section (Replay.run feeds it): start it
// from the reader's header, add every call and every other record the reader yields, then set
// `truncated` from the reader.
import PTTrace
//
// Counting rules (docs/cli.md):
// - `events`: every record the reader yields except HEADER and TRAILER (calls, stack nodes,
//   modules, snapshots with their MAPs folded in, fork/exec, LOST).
// - `calls` by function: mmap64 counts as mmap; posix_madvise and process_madvise count as
//   madvise; pkey_mprotect counts as mprotect. Failed calls count too (they were recorded).
// - `duration_s`: from the header's mono_start_ns to the last timed record.
// - `calls_lost`: every LOST count (program calls seen but not recorded).
// - `records_dropped`: the TRAILER's records_dropped (records of any kind built but not
//   written: full disk, file size limit); unknown (nil) without a trailer.
// - `dropped_events` (kept for compatibility, deprecated): the sum of the two above, which
//   counts different things (a dropped snapshot is many records, a lost call one call).

public struct CallCounts: Equatable, Sendable {
    public var mmap: UInt64 = 0
    public var munmap: UInt64 = 0
    public var mremap: UInt64 = 0
    public var madvise: UInt64 = 0
    public var mprotect: UInt64 = 0
    public var brk: UInt64 = 0
    public var sbrk: UInt64 = 0
    public init() {}

    /// In the JSON contract's key order.
    public var ordered: [(name: String, count: UInt64)] {
        [("mmap", mmap), ("munmap", munmap), ("mremap", mremap), ("madvise", madvise),
         ("mprotect", mprotect), ("brk", brk), ("sbrk", sbrk)]
    }
    public var total: UInt64 { mmap + munmap + mremap + madvise + mprotect + brk + sbrk }
}

public struct TraceSummary: Sendable {
    public var events: UInt64 = 0
    public var calls = CallCounts()
    /// Entry points folded into the counts above, for people who want them apart.
    public var mmap64Calls: UInt64 = 0
    public var posixMadviseCalls: UInt64 = 0
    public var processMadviseCalls: UInt64 = 0
    public var pkeyMprotectCalls: UInt64 = 0
    public var failedCalls: UInt64 = 0
    public var snapshots: UInt64 = 0
    public var lost: UInt64 = 0
    public var trailer: Trailer?
    public var truncated = false
    /// The program of the last EXEC record when nothing but EXEC_FAILED could follow it (the
    /// trace ended in exec if it has no TRAILER).
    public var endedInExec: String?
    /// How the trace ended (TraceEnding.of, set by whoever read it to the end).
    public var ending: TraceEnding = .complete
    public var pid: Int?
    public var command: [String] = []
    public var kernel: String?
    public var pageSize: UInt64 = 4096
    public var kernelPolicy: String = "unknown"
    /// The header's preload-order warning (TraceHeader.preloadWarning), if any.
    public var preloadWarning: String?
    public var startNs: UInt64 = 0
    public var lastNs: UInt64 = 0

    public init() {}

    /// A summary of a trace with this HEADER (TraceReader reads it in init).
    public init(header: TraceHeader) {
        add(.header(header))
    }

    /// duration_s: seconds from the recorder's start to the last timed record.
    public var durationSeconds: Double { lastNs >= startNs ? Double(lastNs - startNs) / 1e9 : 0 }
    public var droppedEvents: UInt64 { (trailer?.recordsDropped ?? 0) &+ lost }
    /// Program calls the recorder saw but did not record (sum of LOST records).
    public var callsLost: UInt64 { lost }
    /// Records the recorder built but could not write (TRAILER records_dropped); nil when the
    /// trace has no trailer.
    public var recordsDropped: UInt64? { trailer?.recordsDropped }

    public mutating func add(_ record: TraceRecord) {
        switch record {
        case .header(let h):
            pid = h.pid
            command = h.argv
            kernel = h.kernel
            pageSize = h.pageSize
            kernelPolicy = h.kernelPolicy
            preloadWarning = h.preloadWarning
            startNs = h.monoStartNs
            lastNs = startNs
            return
        case .trailer(let t):
            trailer = t
            lastNs = t.time
            return
        case .call(let c):
            add(c)
            return
        case .snapshot(let s):
            snapshots += 1
            lastNs = s.time
        case .fork(let t, _), .execFailed(let t, _):
            lastNs = t
            endedInExec = nil
        case .exec(let t, let path):
            lastNs = t
            endedInExec = path
        case .lost(let n):
            lost &+= n
        case .stack, .module:
            break
        }
        events += 1
    }

    /// A call record: TraceReader.nextEvent's `.call` (reader.call), read in place.
    @inlinable
    public mutating func add(_ c: Call) {
        lastNs = c.time
        if c.errno != nil { failedCalls += 1 }
        switch c.kind {
        case .mmap(_, _, _, _, _, _, let is64, _):
            calls.mmap += 1
            if is64 { mmap64Calls += 1 }
        case .munmap: calls.munmap += 1
        case .mremap: calls.mremap += 1
        case .madvise(_, _, _, let posix):
            calls.madvise += 1
            if posix { posixMadviseCalls += 1 }
        case .processMadvise:
            calls.madvise += 1
            processMadviseCalls += 1
        case .mprotect(_, _, _, let pkey):
            calls.mprotect += 1
            if pkey != -1 { pkeyMprotectCalls += 1 }
        case .brk: calls.brk += 1
        case .sbrk: calls.sbrk += 1
        }
        events += 1
    }
}
