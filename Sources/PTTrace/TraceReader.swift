// Streaming trace reader: decodes one record per nextEvent() call through a fixed buffer,
// resolving the format's registers (time, address, stack deltas, current thread, path ids) and
// folding a snapshot's MAP records into one `.snapshot` value. One decoding lane: a call record
// is left in place (`call`, `callResidency`: a view of the reader's arena), every other record
// comes as a TraceRecord; next() is the owning convenience form on top of it (dump, tests).
//
// Truncation is not an error: a file that ends mid-record or without a TRAILER yields every
// complete record, then nil, with `truncated` set. Bytes that cannot be a trace throw a
// TraceError naming the file and byte offset; once thrown, every later call rethrows it.
// A TraceReader owns its file; copies share it, so use one copy.

/// The decode registers of ptreclaim_trace.h, advanced by each record.
struct Registers {
    var time: UInt64 = 0
    var address: UInt64 = 0
    var ip: UInt64 = 0
    var stack: UInt32 = 0
}

/// What decoding one non-call record produced. Only `.record` reaches the caller; the others
/// update the reader's state.
enum Step {
    case record(TraceRecord)
    case thread(UInt32)
    case path(id: UInt64, String)
    case stackNode(ip: UInt64, parent: UInt32)
    case snapshotStart(Snapshot, maps: Int)
    case map(SnapshotMapping)
    case snapshotEnd(vmPTEKiB: UInt64, vmRSSKiB: UInt64)
    case trailer(Trailer)
    case end
}

/// What nextEvent() read: a call record (left in `reader.call` and `reader.callResidency`) or
/// any other record.
public enum TraceEvent {
    case call
    case record(TraceRecord)
}

public struct TraceReader {
    public let path: String
    /// The HEADER record, read by init.
    public private(set) var header: TraceHeader
    /// After next() returned nil: the file had no TRAILER or ended inside a record.
    public private(set) var truncated = false
    /// After the TRAILER: what is wrong with a trace whose records all decoded — fewer or more
    /// records than the trailer counts, or data after the trailer (TraceDamage.swift). nil when
    /// the trace is sound.
    public internal(set) var damage: TraceError?
    /// Records decoded so far, the HEADER included (what the TRAILER's records_written counts).
    public internal(set) var recordsRead: UInt64 = 0
    /// Size of the file in bytes when it was opened.
    public var fileSize: UInt64 { buffer.fileSize }
    /// Byte offset of the next record.
    public var offset: UInt64 { buffer.fileOffset(buffer.start) }

    let buffer: FileBuffer
    /// Where decodeResidency puts the residency of the record being decoded.
    let residencyArena = ResidencyArena()
    var regs = Registers()
    var tid: UInt32 = 0
    /// Stack nodes defined so far: valid stack numbers are 0...stackNodes.
    var stackNodes: UInt32 = 0
    /// PATH ids 1, 2, 3...: paths[id - 1].
    var paths: [String] = []
    var pageShift: UInt64 = 12
    /// The snapshot whose MAP records are being read.
    var pending: Snapshot?
    /// pending != nil, kept apart because testing the Optional costs a value-witness call.
    var inSnapshot = false
    /// MAP records the pending snapshot still expects (its count is exact).
    var snapshotMapsLeft = 0
    var headerRead = false
    /// Previous population of each block listed by a residency block (BlockPopulationCache.swift).
    var blockPopulation = BlockPopulationMap()
    var finished = false
    var failure: TraceError?
    /// The call of the last `.call` from nextEvent(); its `residency` is nil, see callResidency.
    public private(set) var call = Call(time: 0, tid: 0, stack: 0, kind: .munmap(address: 0, length: 0))
    /// The residency of `call`, in the reader's arena: valid until the next nextEvent()/next().
    public private(set) var callResidency: ResidencyView?

    public init(path: String) throws(TraceError) {
        self.path = path
        buffer = try FileBuffer(path: path)
        header = TraceHeader(fields: [])
        try readFileHeader()
        guard case .record(.header(let h))? = try nextEvent() else {
            throw TraceError(path: path, offset: UInt64(TraceFormat.fileHeaderLength),
                             message: "the trace ends before its HEADER record")
        }
        header = h
        headerRead = true
        regs.time = h.monoStartNs
        let ps = h.pageSize
        guard ps >= 4096, ps <= 1 << 30, ps & (ps - 1) == 0 else {
            throw TraceError(path: path, offset: UInt64(TraceFormat.fileHeaderLength),
                             message: "HEADER page_size \(ps) is not a power of two")
        }
        pageShift = UInt64(ps.trailingZeroBitCount)
    }

    /// Magic and format version (bytes 0..<12).
    private mutating func readFileHeader() throws(TraceError) {
        while buffer.end - buffer.start < TraceFormat.fileHeaderLength {
            if try !buffer.refill() { break }
        }
        let have = buffer.end - buffer.start
        let p = buffer.base + buffer.start
        let magic = TraceFormat.magic
        for i in 0..<min(have, magic.count) where p[i] != magic[i] {
            throw TraceError(path: path, offset: 0, message: "not a ptreclaim trace")
        }
        guard have >= TraceFormat.fileHeaderLength else {
            throw TraceError(path: path, offset: UInt64(have),
                             message: have == 0 ? "empty file, not a ptreclaim trace"
                                                : "file too short for a ptreclaim trace header")
        }
        let version = UInt16(p[8]) | UInt16(p[9]) << 8
        guard TraceFormat.readableVersions.contains(version) else {
            let readable = TraceFormat.readableVersions.map(String.init).joined(separator: ", ")
            throw TraceError(path: path, offset: 8, message:
                "trace format version \(version) is not supported (this ptreclaim reads format version \(readable))")
        }
        buffer.start += TraceFormat.fileHeaderLength
    }

    /// The next record, or nil at END, at the end of the file, or after the TRAILER.
    /// A call record (outside a snapshot) is not wrapped in a TraceRecord but left in `call`,
    /// its residency block in `callResidency` as a view of the reader's reused arena (no
    /// allocation, no copy), and `.call` is returned; any other record comes as `.record`.
    /// Throws only TraceError (typed, so callers may `catch let e as TraceError` or not).
    public mutating func nextEvent() throws(TraceError) -> TraceEvent? {
        // The common case first, kept small: a whole call record outside a snapshot in the
        // buffer. Anything else (other records, a call cut by the buffer's end, errors) takes
        // the general loop.
        if headerRead && !inSnapshot && !finished && failure == nil {
            let base = UnsafePointer(buffer.base)
            var c = Cursor(p: base + buffer.start, end: base + buffer.end)
            if c.p < c.end, Tag.isCall(c.p.pointee), (try? decodeCallInPlace(&c, base: base)) != nil {
                return .call
            }
        }
        return try nextRecord()
    }

    /// Decodes the call record at the cursor into `call` and `callResidency` and moves past it;
    /// on a throw nothing has changed (the record is decoded again after a refill).
    @inline(__always)
    private mutating func decodeCallInPlace(_ c: inout Cursor, base: UnsafePointer<UInt8>) throws(DecodeStop) {
        let tag = c.p.pointee
        c.p += 1
        var r = regs
        // Into `call` field by field once the record is complete: building a Call and
        // assigning it copied the whole Call once per record.
        let (kind, err) = try decodeCallKind(tag, &c, &r)
        let residency = tag & Tag.residencyFlag != 0
            ? try TraceReader.decodeResidency(&c, anchor: anchor(kind), into: residencyArena,
                                              previous: blockPopulation)
            : nil
        call.time = r.time
        call.tid = tid
        call.stack = r.stack
        call.kind = kind
        call.errno = err
        callResidency = residency
        buffer.start = c.p - base
        regs = r
        recordsRead &+= 1
        if let v = residency { rememberPopulation(v) }
    }

    /// nextEvent's general loop: every record type, refills, truncation and errors.
    @inline(never)
    private mutating func nextRecord() throws(TraceError) -> TraceEvent? {
        if let failure { throw failure }
        while !finished {
            let base = UnsafePointer(buffer.base)
            var c = Cursor(p: base + buffer.start, end: base + buffer.end)
            var r = regs
            let step: Step
            do {
                if c.p < c.end && headerRead && !inSnapshot && Tag.isCall(c.p.pointee) {
                    try decodeCallInPlace(&c, base: base)
                    return .call
                }
                step = try decodeRecord(&c, &r)
            } catch {
                try recover(from: error, base: base)
                continue
            }
            let trailerOffset = buffer.fileOffset(buffer.start)
            buffer.start = c.p - base
            regs = r
            switch step {
            case .trailer, .end: break
            default: recordsRead &+= 1
            }
            switch step {
            case .record(let record):
                return .record(record)
            case .thread(let t):
                tid = t
            case .path(_, let s):
                paths.append(s)
            case .stackNode(let ip, let parent):
                stackNodes += 1
                return .record(.stack(node: stackNodes, ip: ip, parent: parent))
            case .snapshotStart(let s, let maps):
                pending = s
                inSnapshot = true
                snapshotMapsLeft = maps
            case .map(let m):
                pending!.mappings.append(m)
                snapshotMapsLeft -= 1
            case .snapshotEnd(let pte, let rss):
                var s = pending!
                pending = nil
                inSnapshot = false
                s.vmPTEKiBAfter = pte
                s.vmRSSKiBAfter = rss
                return .record(.snapshot(s))
            case .trailer(let t):
                finished = true
                checkEnd(after: t, at: trailerOffset)
                return .record(.trailer(t))
            case .end:
                finished = true
                truncated = true  // END before a TRAILER: the recorder never finished
            }
        }
        return nil
    }

    /// nextEvent() with each call as an owning TraceRecord (its residency copied out of the
    /// arena): for `ptreclaim dump` and tests, which keep records.
    public mutating func next() throws(TraceError) -> TraceRecord? {
        switch try nextEvent() {
        case nil: return nil
        case .record(let record)?: return record
        case .call?:
            var c = call
            c.residency = callResidency?.residency
            return .call(c)
        }
    }

    /// Out of bytes: refill, or at the end of the file stop as truncated. Corrupt: throw.
    private mutating func recover(from stop: DecodeStop, base: UnsafePointer<UInt8>) throws(TraceError) {
        switch stop {
        case .short:
            let more: Bool
            do { more = try buffer.refill() } catch { failure = error; throw error }
            if !more {
                // End of file inside a record, or at a record boundary before any END or
                // TRAILER: either way the recorder did not finish.
                finished = true
                truncated = true
            }
        case .corrupt(let at, let what):
            let e = TraceError(path: path, offset: buffer.fileOffset(at - base), message: what)
            failure = e
            throw e
        }
    }
}
