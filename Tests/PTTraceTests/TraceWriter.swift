// A test-only encoder for the format in ptreclaim_trace.h, written independently of the reader
// from the header's prose: it keeps the same registers (time, address, ip, stack, thread, path ids)
// the recorder keeps, and notes where each reader-visible record ends so that truncation tests
// know which records a cut file must still yield.
import CPTFormat
import PTTrace

struct TraceWriter {
    private(set) var bytes: [UInt8] = []
    /// (end offset, record the reader yields for it), in file order.
    private(set) var expected: [(end: Int, record: TraceRecord)] = []
    /// Records written so far, the HEADER included: what the recorder's TRAILER counts.
    private(set) var records: UInt64 = 0
    private var time: UInt64
    private var address: UInt64 = 0
    private var ipReg: UInt64 = 0
    private var stackReg: UInt32 = 0
    private var tid: UInt32?
    private var stackNodes: UInt32 = 0
    private var paths: [String: UInt64] = [:]
    /// Previous population of each block (the header's rule), as 512 flags: for PTE_DIFF.
    private var population: [UInt64: [Bool]] = [:]
    /// Write PTE blocks as PTE_DIFF whenever the block has a previous population.
    var useDiffs = true
    /// Write PTE blocks of at least this many runs as BITMAP (when not written as a DIFF).
    var bitmapRuns = Int.max

    init(version: UInt16 = UInt16(PTR_FORMAT_VERSION), header fields: [(String, String)]) {
        bytes += Array(PTR_MAGIC.utf8)
        bytes += [UInt8(version & 0xff), UInt8(version >> 8), 0, 0]
        let h = TraceHeader(fields: fields.map { (key: $0.0, value: $0.1) })
        time = h.monoStartNs
        tag(PTR_REC_HEADER.rawValue)
        uv(UInt64(fields.count))
        for (k, v) in fields { str(k); str(v) }
        expected.append((bytes.count, .header(h)))
    }

    static func standardHeader(pid: Int = 4242, start: UInt64 = 1_000_000_000) -> [(String, String)] {
        [("version", "2"), ("pointer_size", "8"), ("page_size", "4096"), ("pid", String(pid)),
         ("argv", "prog\0--flag\0x"), ("kernel", "6.18.0-test"), ("mono_start_ns", String(start)),
         ("kernel_policy", "pt-reclaim"), ("unknown_key", "ignored")]
    }

    // MARK: primitives
    mutating func u8(_ b: UInt8) { bytes.append(b) }
    mutating func tag(_ type: UInt32, flags: UInt8 = 0) {
        bytes.append(UInt8(type) | flags)
        if type != PTR_REC_TRAILER.rawValue { records += 1 }
    }
    mutating func uv(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func sv(_ v: Int64) { uv(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
    mutating func str(_ s: String) { uv(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    /// paged: uv (high << 1 | unaligned), then the low 12 bits only when unaligned.
    mutating func paged(high: UInt64, low: UInt64) {
        uv(high << 1 | (low == 0 ? 0 : 1))
        if low != 0 { uv(low) }
    }
    mutating func len(_ n: UInt64) { paged(high: n >> 12, low: n & 4095) }
    mutating func addr(_ a: UInt64) {
        let d = Int64(bitPattern: a &- address)
        let pages = d >> 12
        paged(high: UInt64(bitPattern: (pages << 1) ^ (pages >> 63)), low: UInt64(bitPattern: d) & 4095)
        address = a
    }
    /// hint: 0, or an addr delta (first varint + 1) that leaves the register alone.
    mutating func hint(_ a: UInt64) {
        if a == 0 { uv(0); return }
        let d = Int64(bitPattern: a &- address)
        let pages = d >> 12
        let low = UInt64(bitPattern: d) & 4095
        uv((UInt64(bitPattern: (pages << 1) ^ (pages >> 63)) << 1 | (low == 0 ? 0 : 1)) + 1)
        if low != 0 { uv(low) }
    }
    mutating func ip(_ a: UInt64) {
        sv(Int64(bitPattern: a &- ipReg))
        ipReg = a
    }
    mutating func dt(_ t: UInt64) {
        uv(t - time)
        time = t
    }

    // MARK: records
    mutating func stack(ip: UInt64, parent: UInt32) -> UInt32 {
        tag(PTR_REC_STACK.rawValue)
        self.ip(ip)
        uv(UInt64(parent))
        stackNodes += 1
        expected.append((bytes.count, .stack(node: stackNodes, ip: ip, parent: parent)))
        return stackNodes
    }

    mutating func module(_ m: Module) {
        tag(PTR_REC_MODULE.rawValue)
        uv(m.generation); str(m.path); uv(m.loadAddress)
        uv(UInt64(m.buildID.count)); bytes += m.buildID
        uv(UInt64(m.segments.count))
        for s in m.segments { uv(s.vaddr); uv(s.memsz); uv(UInt64(s.flags)) }
        expected.append((bytes.count, .module(m)))
    }

    mutating func call(_ c: Call) {
        if tid != c.tid {
            tag(PTR_REC_THREAD.rawValue)
            uv(UInt64(c.tid))
            tid = c.tid
        }
        var flags: UInt8 = 0
        if c.errno != nil { flags |= UInt8(PTR_TAG_FAILED) }
        if c.residency != nil { flags |= UInt8(PTR_TAG_RESIDENCY) }
        let result: (inout TraceWriter) -> Void
        switch c.kind {
        case let .mmap(hint, length, prot, mflags, fd, offset, is64, res):
            tag(PTR_REC_MMAP.rawValue, flags: flags); timedStack(c)
            self.hint(hint); len(length); uv(UInt64(prot)); uv(UInt64(mflags) << 1 | (is64 ? 1 : 0)); sv(Int64(fd)); uv(offset)
            result = { $0.addr(res) }
        case let .munmap(a, len):
            tag(PTR_REC_MUNMAP.rawValue, flags: flags); timedStack(c)
            addr(a); self.len(len)
            result = { _ in }
        case let .mremap(old, oldLen, newLen, mflags, hint, res):
            tag(PTR_REC_MREMAP.rawValue, flags: flags); timedStack(c)
            addr(old); len(oldLen); len(newLen); uv(UInt64(mflags)); self.hint(hint)
            result = { $0.addr(res) }
        case let .madvise(a, len, advice, posix):
            tag(PTR_REC_MADVISE.rawValue, flags: flags); timedStack(c)
            addr(a); self.len(len); uv(UInt64(advice) << 1 | (posix ? 1 : 0))
            result = { _ in }
        case let .processMadvise(pidfd, advice, mflags, ranges, res):
            tag(PTR_REC_PROCESS_MADVISE.rawValue, flags: flags); timedStack(c)
            sv(Int64(pidfd)); uv(UInt64(advice)); uv(UInt64(mflags)); uv(UInt64(ranges.count))
            for r in ranges { addr(r.address); len(r.length) }
            result = { $0.uv(res) }
        case let .mprotect(a, len, prot, pkey):
            tag(PTR_REC_MPROTECT.rawValue, flags: flags); timedStack(c)
            addr(a); self.len(len); uv(UInt64(prot)); sv(Int64(pkey))
            result = { _ in }
        case let .brk(req, old, new):
            tag(PTR_REC_BRK.rawValue, flags: flags); timedStack(c)
            addr(req); addr(old); addr(new)
            result = { _ in }
        case let .sbrk(inc, newBreak, res):
            tag(PTR_REC_SBRK.rawValue, flags: flags); timedStack(c)
            sv(inc); addr(newBreak)
            result = { $0.addr(res) }
        }
        if let e = c.errno { uv(UInt64(e)) } else { result(&self) }
        if let r = c.residency { residency(r, anchor: Self.anchor(c.kind)) }
        expected.append((bytes.count, .call(c)))
    }

    private mutating func timedStack(_ c: Call) {
        dt(c.time)
        sv(Int64(c.stack) - Int64(stackReg))
        stackReg = c.stack
    }

    /// The call's ANCHOR address, from the header's table.
    static func anchor(_ k: CallKind) -> UInt64 {
        switch k {
        case let .mmap(hint, _, _, _, _, _, _, _): return hint
        case let .munmap(a, _), let .madvise(a, _, _, _), let .mprotect(a, _, _, _): return a
        case let .mremap(old, _, _, _, _, _): return old
        case let .processMadvise(_, _, _, ranges, _):
            return ranges.filter { $0.length > 0 }.map { $0.address }.min() ?? 0
        case let .brk(req, _, _): return req
        case let .sbrk(_, newBreak, _): return newBreak
        }
    }

    mutating func residency(_ r: Residency, anchor: UInt64) {
        sv(Int64(bitPattern: r.firstBlock) - Int64(bitPattern: anchor >> 21))
        uv(r.blockCount); uv(UInt64(r.listed.count))
        var next = r.firstBlock
        var stored: [(UInt64, [Bool])] = []
        for b in r.listed {
            let gap = b.block - next
            next = b.block + 1
            switch b.kind {
            case .huge:
                uv(gap << 2 | UInt64(PTR_BLOCK_HUGE.rawValue))
                stored.append((b.block, Array(repeating: true, count: 512)))
            case .pte(let runs):
                var flags = Array(repeating: false, count: 512)
                for run in runs { for p in run.start..<(run.start + run.count) { flags[Int(p)] = true } }
                stored.append((b.block, flags))
                var written = runs
                if useDiffs, let prev = population[b.block] {
                    uv(gap << 2 | UInt64(PTR_BLOCK_PTE_DIFF.rawValue))
                    written = []
                    var p = 0
                    while p < 512 {
                        if flags[p] != prev[p] {
                            let s = p
                            while p < 512 && flags[p] != prev[p] { p += 1 }
                            written.append(PageRun(start: UInt32(s), count: UInt32(p - s)))
                        } else { p += 1 }
                    }
                } else if runs.count >= bitmapRuns {
                    uv(gap << 2 | UInt64(PTR_BLOCK_BITMAP.rawValue))
                    for byte in 0..<64 {
                        var v: UInt8 = 0
                        for k in 0..<8 where flags[byte * 8 + k] { v |= 1 << k }
                        u8(v)
                    }
                    continue
                } else {
                    uv(gap << 2 | UInt64(PTR_BLOCK_PTE.rawValue))
                }
                uv(UInt64(written.count))
                var page: UInt32 = 0
                for run in written { uv(UInt64(run.start - page)); uv(UInt64(run.count)); page = run.start + run.count }
            }
        }
        // The rule: every block of the range forgotten, then the listed ones remembered.
        population = population.filter { $0.key &- r.firstBlock >= r.blockCount }
        for (b, f) in stored { population[b] = f }
    }

    mutating func snapshot(_ s: Snapshot) {
        tag(PTR_REC_SNAPSHOT.rawValue)
        dt(s.time); uv(s.seq); uv(UInt64(s.reason.rawValue)); uv(s.vmPTEKiB); uv(s.vmRSSKiB)
        uv(UInt64(s.mappings.count))
        for m in s.mappings {
            var pathID: UInt64 = 0
            if let p = m.path {
                if let id = paths[p] { pathID = id } else {
                    pathID = UInt64(paths.count + 1)
                    paths[p] = pathID
                    tag(PTR_REC_PATH.rawValue); uv(pathID); str(p)
                }
            }
            tag(PTR_REC_MAP.rawValue)
            addr(m.start); len(m.end - m.start); uv(UInt64(m.perms)); uv(m.offset); uv(pathID)
            uv(UInt64(m.runs.count))
            var page: UInt64 = 0
            for r in m.runs {
                uv(r.start - page); uv(r.count)
                u8((r.swapped ? UInt8(PTR_RUN_SWAPPED.rawValue) : 0) | (r.huge ? UInt8(PTR_RUN_HUGE.rawValue) : 0))
                page = r.start + r.count
            }
        }
        tag(PTR_REC_SNAPSHOT_END.rawValue); uv(s.vmPTEKiBAfter); uv(s.vmRSSKiBAfter)
        expected.append((bytes.count, .snapshot(s)))
    }

    mutating func fork(time t: UInt64, child: Int32) {
        tag(PTR_REC_FORK.rawValue); dt(t); uv(UInt64(UInt32(bitPattern: child)))
        expected.append((bytes.count, .fork(time: t, childPid: child)))
    }
    mutating func exec(time t: UInt64, path: String) {
        tag(PTR_REC_EXEC.rawValue); dt(t); str(path)
        expected.append((bytes.count, .exec(time: t, path: path)))
    }
    mutating func execFailed(time t: UInt64, errno e: Int32) {
        tag(PTR_REC_EXEC_FAILED.rawValue); dt(t); uv(UInt64(e))
        expected.append((bytes.count, .execFailed(time: t, errno: e)))
    }
    mutating func lost(_ n: UInt64) {
        tag(PTR_REC_LOST.rawValue); uv(n)
        expected.append((bytes.count, .lost(count: n)))
    }
    mutating func trailer(_ t: Trailer) {
        tag(PTR_REC_TRAILER.rawValue); dt(t.time); uv(t.recordsWritten); uv(t.recordsDropped)
        uv(UInt64(t.exitReason?.rawValue ?? 0)); sv(t.exitStatus)
        expected.append((bytes.count, .trailer(t)))
    }
    mutating func end() { u8(0) }
}
