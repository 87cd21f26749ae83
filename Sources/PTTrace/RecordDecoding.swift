// Decoding of one record at the cursor, per the layouts in ptreclaim_trace.h. Pure with respect
// to the reader: registers change in the `inout` copy, table updates are returned as a `Step`,
// so a record cut by the end of the buffer can be decoded again from its first byte.

import PTSupport

extension TraceReader {
    func decodeRecord(_ c: inout Cursor, _ r: inout Registers) throws(DecodeStop) -> Step {
        let tagAt = c.p
        let tag = try c.u8()
        let type = tag & Tag.typeMask
        // Call records are decoded by nextEvent itself; here one is out of place.
        if Tag.isCall(tag) && inSnapshot {
            throw .corrupt(at: tagAt, "call record inside a snapshot")
        }
        if tag & ~Tag.typeMask != 0 && !Tag.isCall(tag) {
            throw .corrupt(at: tagAt, "flag bits 0x\(String(tag & ~Tag.typeMask, radix: 16)) on a non-call record (type \(type))")
        }
        if !headerRead && type != Tag.header {
            throw .corrupt(at: tagAt, "expected the HEADER record, found record type \(type)")
        }
        if inSnapshot && type != Tag.map && type != Tag.path && type != Tag.snapshotEnd {
            throw .corrupt(at: tagAt, "record type \(type) inside a snapshot")
        }
        switch type {
        case Tag.end:
            if inSnapshot { throw .corrupt(at: tagAt, "end of data inside a snapshot") }
            return .end
        case Tag.header:
            if headerRead { throw .corrupt(at: tagAt, "second HEADER record") }
            let n = try c.count("HEADER pair count", max: Limits.headerPairs)
            var fields: [(key: String, value: String)] = []
            fields.reserveCapacity(min(n, 64))
            for _ in 0..<n {
                let k = try c.str("HEADER key", max: 4096)
                let v = try c.str("HEADER value", max: Limits.stringBytes)
                fields.append((k, v))
            }
            return .record(.header(TraceHeader(fields: fields)))
        case Tag.thread:
            return .thread(try c.u32("thread id"))
        case Tag.stack:
            r.ip = r.ip &+ UInt64(bitPattern: try c.sv())
            let ip = r.ip
            let at = c.p
            let parent = try c.uv()
            guard parent <= UInt64(stackNodes) else {
                throw .corrupt(at: at, "STACK parent \(parent) not defined yet (\(stackNodes) nodes)")
            }
            guard stackNodes < UInt32.max else { throw .corrupt(at: tagAt, "too many stack nodes") }
            return .stackNode(ip: ip, parent: UInt32(parent))
        case Tag.module:
            return .record(.module(try decodeModule(&c)))
        case Tag.path:
            let at = c.p
            let id = try c.uv()
            guard id == UInt64(paths.count) + 1 else {
                throw .corrupt(at: at, "PATH id \(id) out of sequence (expected \(paths.count + 1))")
            }
            return .path(id: id, try c.str("PATH length", max: 1 << 20))
        case Tag.snapshot:
            r.time &+= try c.uv()
            let seq = try c.uv()
            let at = c.p
            let reasonRaw = try c.uv()
            guard reasonRaw <= 255, let reason = SnapshotReason(rawValue: UInt8(reasonRaw)) else {
                throw .corrupt(at: at, "unknown SNAPSHOT reason \(reasonRaw)")
            }
            let pte = try c.uv()
            let rss = try c.uv()
            let n = try c.count("SNAPSHOT map count", max: Limits.snapshotMaps)
            var s = Snapshot(time: r.time, seq: seq, reason: reason, vmPTEKiB: pte, vmRSSKiB: rss,
                             vmPTEKiBAfter: pte, vmRSSKiBAfter: rss, mappings: [])
            s.mappings.reserveCapacity(min(n, Limits.reserve))
            return .snapshotStart(s, maps: n)
        case Tag.map:
            if !inSnapshot { throw .corrupt(at: tagAt, "MAP record outside a snapshot") }
            if snapshotMapsLeft == 0 { throw .corrupt(at: tagAt, "more MAP records than the SNAPSHOT announced") }
            return .map(try decodeMap(&c, &r))
        case Tag.snapshotEnd:
            if !inSnapshot { throw .corrupt(at: tagAt, "SNAPSHOT_END without a SNAPSHOT") }
            if snapshotMapsLeft > 0 {
                throw .corrupt(at: tagAt, "SNAPSHOT_END with \(snapshotMapsLeft) of the SNAPSHOT's MAP records missing")
            }
            let pte = try c.uv()
            return .snapshotEnd(vmPTEKiB: pte, vmRSSKiB: try c.uv())
        case Tag.fork:
            r.time &+= try c.uv()
            return .record(.fork(time: r.time, childPid: Int32(bitPattern: try c.u32("FORK child pid"))))
        case Tag.exec:
            r.time &+= try c.uv()
            return .record(.exec(time: r.time, path: try c.str("EXEC path", max: 1 << 20)))
        case Tag.execFailed:
            r.time &+= try c.uv()
            return .record(.execFailed(time: r.time, errno: try errnoValue(&c)))
        case Tag.lost:
            return .record(.lost(count: try c.uv()))
        case Tag.trailer:
            r.time &+= try c.uv()
            let written = try c.uv()
            let dropped = try c.uv()
            let reason = try c.uv()
            let status = try c.sv()
            return .trailer(Trailer(time: r.time, recordsWritten: written, recordsDropped: dropped,
                                    exitReason: reason <= 255 ? ExitReason(rawValue: UInt8(reason)) : nil,
                                    exitStatus: status))
        default:
            throw .corrupt(at: tagAt, "unknown record type \(type)")
        }
    }

    /// paged: uv (H << 1 | U), then uv L only when U = 1; returns (H, L). L is 1...4095.
    @inline(__always) func paged(_ c: inout Cursor) throws(DecodeStop) -> (high: UInt64, low: UInt64) {
        let at = c.p
        let p = try c.uv()
        guard p & 1 != 0 else { return (p >> 1, 0) }
        let low = try c.uv()
        guard low > 0 && low < 4096 else { throw .corrupt(at: at, "low bits \(low) of a paged value out of range") }
        return (p >> 1, low)
    }

    /// addr: a paged zigzag delta against the address register (page count, then low bits).
    @inline(__always) func addr(_ c: inout Cursor, _ r: inout Registers) throws(DecodeStop) -> UInt64 {
        let (h, low) = try paged(&c)
        let pages = Int64(bitPattern: h >> 1) ^ -Int64(bitPattern: h & 1)
        r.address = r.address &+ (UInt64(bitPattern: pages) << 12 | low)
        return r.address
    }

    /// hint: uv 0 for no hint (0), else an addr (paged zigzag delta) whose first varint is
    /// stored plus one; the address register does not move.
    @inline(__always) func hint(_ c: inout Cursor, _ r: Registers) throws(DecodeStop) -> UInt64 {
        let at = c.p
        let p1 = try c.uv()
        if p1 == 0 { return 0 }
        let p = p1 - 1
        var low: UInt64 = 0
        if p & 1 != 0 {
            low = try c.uv()
            guard low > 0 && low < 4096 else { throw .corrupt(at: at, "low bits \(low) of a hint out of range") }
        }
        let h = p >> 1
        let pages = Int64(bitPattern: h >> 1) ^ -Int64(bitPattern: h & 1)
        return r.address &+ (UInt64(bitPattern: pages) << 12 | low)
    }

    /// len: a paged length.
    @inline(__always) func lenField(_ c: inout Cursor) throws(DecodeStop) -> UInt64 {
        let at = c.p
        let (h, low) = try paged(&c)
        guard h < 1 << 52 else { throw .corrupt(at: at, "length beyond 64 bits") }
        return h << 12 | low
    }

    @inline(__always) func errnoValue(_ c: inout Cursor) throws(DecodeStop) -> Int32 {
        let at = c.p
        let e = try c.uv()
        guard e <= Limits.errnoMax else { throw .corrupt(at: at, "errno \(e) out of range") }
        return Int32(e)
    }

    /// A call record up to its residency block (left at the cursor): nextEvent assigns the
    /// fields of `call` in place.
    @inline(__always) func decodeCallKind(_ tag: UInt8, _ c: inout Cursor, _ r: inout Registers) throws(DecodeStop) -> (CallKind, Int32?) {
        let type = tag & Tag.typeMask
        let failed = tag & Tag.failedFlag != 0
        r.time &+= try c.uv()
        let stackAt = c.p
        let stack = Int64(r.stack) &+ (try c.sv())
        guard stack >= 0 && stack <= Int64(stackNodes) else {
            throw .corrupt(at: stackAt, "stack \(stack) not defined (\(stackNodes) nodes)")
        }
        r.stack = UInt32(stack)
        var err: Int32? = nil
        let kind: CallKind
        switch type {
        case Tag.mmap:
            let hint = try hint(&c, r)
            let len = try lenField(&c)
            let prot = try c.u32("mmap prot")
            let flagsAt = c.p
            let flagsFn = try c.uv() // flags << 1 | mmap64
            guard flagsFn >> 1 <= UInt64(UInt32.max) else {
                throw .corrupt(at: flagsAt, "mmap flags \(flagsFn >> 1) beyond 32 bits")
            }
            let flags = UInt32(flagsFn >> 1)
            let fd = try c.s32("mmap fd")
            let off = try c.uv()
            var result: UInt64 = 0
            if failed { err = try errnoValue(&c) } else { result = try addr(&c, &r) }
            kind = .mmap(hint: hint, length: len, prot: prot, flags: flags, fd: fd, offset: off,
                         is64: flagsFn & 1 != 0, result: result)
        case Tag.munmap:
            let a = try addr(&c, &r)
            kind = .munmap(address: a, length: try lenField(&c))
            if failed { err = try errnoValue(&c) }
        case Tag.mremap:
            let old = try addr(&c, &r)
            let oldLen = try lenField(&c)
            let newLen = try lenField(&c)
            let flags = try c.u32("mremap flags")
            let hint = try hint(&c, r)
            var result: UInt64 = 0
            if failed { err = try errnoValue(&c) } else { result = try addr(&c, &r) }
            kind = .mremap(oldAddress: old, oldLength: oldLen, newLength: newLen, flags: flags,
                           newHint: hint, result: result)
        case Tag.madvise:
            let a = try addr(&c, &r)
            let len = try lenField(&c)
            let adviceAt = c.p
            let adviceFn = try c.uv() // advice << 1 | posix_madvise
            guard adviceFn >> 1 <= UInt64(UInt32.max) else {
                throw .corrupt(at: adviceAt, "madvise advice \(adviceFn >> 1) beyond 32 bits")
            }
            kind = .madvise(address: a, length: len, advice: UInt32(adviceFn >> 1), posix: adviceFn & 1 != 0)
            if failed { err = try errnoValue(&c) }
        case Tag.processMadvise:
            let pidfd = try c.s32("process_madvise pidfd")
            let advice = try c.u32("process_madvise advice")
            let flags = try c.u32("process_madvise flags")
            let n = try c.count("process_madvise iovec count", max: Limits.iovecs)
            var ranges: [AddressRange] = []
            ranges.reserveCapacity(n)
            for _ in 0..<n {
                let a = try addr(&c, &r)
                ranges.append(AddressRange(address: a, length: try lenField(&c)))
            }
            var result: UInt64 = 0
            if failed { err = try errnoValue(&c) } else { result = try c.uv() }
            kind = .processMadvise(pidfd: pidfd, advice: advice, flags: flags, ranges: ranges,
                                   result: result)
        case Tag.mprotect:
            let a = try addr(&c, &r)
            let len = try lenField(&c)
            let prot = try c.u32("mprotect prot")
            kind = .mprotect(address: a, length: len, prot: prot, pkey: try c.s32("mprotect pkey"))
            if failed { err = try errnoValue(&c) }
        case Tag.brk:
            let req = try addr(&c, &r)
            let old = try addr(&c, &r)
            kind = .brk(requested: req, oldBreak: old, newBreak: try addr(&c, &r))
            if failed { err = try errnoValue(&c) }
        default: // Tag.sbrk
            let inc = try c.sv()
            let newBreak = try addr(&c, &r)
            var result: UInt64 = 0
            if failed { err = try errnoValue(&c) } else { result = try addr(&c, &r) }
            kind = .sbrk(increment: inc, newBreak: newBreak, result: result)
        }
        return (kind, err)
    }

    /// The call's ANCHOR address (ptreclaim_trace.h, RESIDENCY): its first_block is a delta
    /// against the anchor's block.
    @inline(__always) func anchor(_ kind: CallKind) -> UInt64 {
        switch kind {
        case .mmap(let hint, _, _, _, _, _, _, _): return hint
        case .munmap(let a, _): return a
        case .mremap(let old, _, _, _, _, _): return old
        case .madvise(let a, _, _, _): return a
        case .processMadvise(_, _, _, let ranges, _):
            return ranges.lazy.filter { $0.length > 0 }.map(\.address).min() ?? 0
        case .mprotect(let a, _, _, _): return a
        case .brk(let requested, _, _): return requested
        case .sbrk(_, let newBreak, _): return newBreak
        }
    }

    /// The residency block, decoded into the reader's arena (no allocation per record). A
    /// static function of what it reads: called as a method of the reader, the whole reader
    /// (~520 bytes, its `call` included) was copied for the call every record.
    static func decodeResidency(_ c: inout Cursor, anchor: UInt64, into arena: ResidencyArena,
                                previous blockPopulation: borrowing BlockPopulationMap) throws(DecodeStop) -> ResidencyView {
        let firstAt = c.p
        let delta = try c.sv()
        let anchorBlock = Int64(bitPattern: anchor >> 21)
        let (firstSigned, overflow) = anchorBlock.addingReportingOverflow(delta)
        guard !overflow, firstSigned >= 0 else {
            throw .corrupt(at: firstAt, "residency first block \(anchorBlock) + \(delta) outside the address space")
        }
        let first = UInt64(firstSigned)
        let n = try c.count("residency block count", max: Limits.blockIndexEnd)
        let nlisted = try c.count("residency listed blocks", max: UInt64(n))
        guard first <= Limits.blockIndexEnd - UInt64(n) else {
            throw c.corrupt("residency blocks \(first)+\(n) beyond the address space")
        }
        let endBlock = first + UInt64(n)
        let listed = arena
        listed.reset()
        var next = first
        for _ in 0..<nlisted {
            let gapAt = c.p
            let gapKind = try c.uv()
            let gap = gapKind >> 2
            let kind = UInt8(gapKind & 3)
            guard gap < endBlock - next else {
                throw .corrupt(at: gapAt, "residency block gap \(gap) beyond the call's blocks")
            }
            let block = next + gap
            next = block + 1
            if kind == Tag.blockHuge {
                listed.addBlock(block, huge: true)
                continue
            }
            if kind == Tag.blockBitmap {
                guard c.end - c.p >= 64 else { throw .short }
                // Page byte*8+k is bit k of byte `byte`: eight little-endian words.
                let bits = PageBits(littleEndianBitmapAt: UnsafeRawPointer(c.p))
                c.p += 64
                guard !bits.isEmpty else { throw .corrupt(at: gapAt, "residency bitmap of block \(block) is empty") }
                listed.addBlock(block, pages: bits)
                continue
            }
            // PTE_DIFF: the runs are the pages that changed since the block's previous
            // population; they are applied to it and the block stored as its pages.
            var previous = PageBits()
            let diff = kind == Tag.blockPTEDiff
            if diff {
                guard let p = blockPopulation[block] else {
                    throw .corrupt(at: gapAt, "residency DIFF for block \(block), which has no earlier population")
                }
                previous = p
            }
            let nruns = try c.count("residency run count", max: Limits.pagesPerBlock / 2 + 1)
            if !diff { listed.addBlock(block, huge: false) }
            var page: UInt64 = 0
            for _ in 0..<nruns {
                let at = c.p
                let start = page &+ (try c.uv())
                let count = try c.uv()
                guard count > 0, start < Limits.pagesPerBlock, count <= Limits.pagesPerBlock - start else {
                    throw .corrupt(at: at, "residency run outside the 512 pages of a block")
                }
                if diff {
                    previous.toggle(Int(start), Int(start + count))
                } else {
                    listed.addRun(PageRun(start: UInt32(start), count: UInt32(count)))
                }
                page = start + count
            }
            if diff {
                guard !previous.isEmpty else { throw .corrupt(at: gapAt, "residency DIFF leaves block \(block) empty") }
                listed.addBlock(block, pages: previous)
            }
        }
        return listed.view(firstBlock: first, blockCount: UInt64(n))
    }

    func decodeMap(_ c: inout Cursor, _ r: inout Registers) throws(DecodeStop) -> SnapshotMapping {
        let start = try addr(&c, &r)
        let lenAt = c.p
        let len = try lenField(&c)
        guard len <= UInt64.max - start else { throw .corrupt(at: lenAt, "MAP length \(len) wraps around") }
        let permsAt = c.p
        let perms = try c.uv()
        guard perms & ~Tag.permMask == 0 else { throw .corrupt(at: permsAt, "MAP perms \(perms) unknown") }
        let offset = try c.uv()
        let pathAt = c.p
        let pathID = try c.uv()
        guard pathID <= UInt64(paths.count) else {
            throw .corrupt(at: pathAt, "MAP path id \(pathID) not defined")
        }
        let pages = len >> pageShift
        let nruns = try c.count("MAP run count", max: min(pages, 1 << 40))
        var runs: [SnapshotRun] = []
        runs.reserveCapacity(min(nruns, Limits.reserve))
        var page: UInt64 = 0
        for _ in 0..<nruns {
            let at = c.p
            let gap = try c.uv()
            let count = try c.uv()
            let flags = try c.u8()
            guard gap <= pages - page, count > 0, count <= pages - page - gap else {
                throw .corrupt(at: at, "MAP run beyond the mapping's \(pages) pages")
            }
            guard flags & ~(Tag.runSwapped | Tag.runHuge) == 0 else {
                throw .corrupt(at: at, "MAP run flags \(flags) unknown")
            }
            let s = page + gap
            runs.append(SnapshotRun(start: s, count: count, swapped: flags & Tag.runSwapped != 0,
                                    huge: flags & Tag.runHuge != 0))
            page = s + count
        }
        return SnapshotMapping(start: start, end: start + len, perms: UInt32(perms), offset: offset,
                               path: pathID == 0 ? nil : paths[Int(pathID - 1)], runs: runs)
    }

    func decodeModule(_ c: inout Cursor) throws(DecodeStop) -> Module {
        let generation = try c.uv()
        let path = try c.str("MODULE path", max: 1 << 20)
        let load = try c.uv()
        let buildID = try c.bytes("MODULE build-id", max: Limits.buildIDBytes)
        let n = try c.count("MODULE segment count", max: Limits.moduleSegments)
        var segs: [ModuleSegment] = []
        segs.reserveCapacity(min(n, 64))
        for _ in 0..<n {
            let vaddr = try c.uv()
            let memsz = try c.uv()
            segs.append(ModuleSegment(vaddr: vaddr, memsz: memsz, flags: try c.u32("segment flags")))
        }
        return Module(generation: generation, path: path, loadAddress: load, buildID: buildID,
                      segments: segs)
    }
}
