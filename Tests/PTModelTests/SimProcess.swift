// A tiny simulated process for building traces in Swift: it keeps the "truth" (which pages are
// populated, which blocks are THPs) that a real recorder would read from pagemap, and emits
// call records carrying the residency of the enclosing blocks just before each call, and
// snapshots carrying the populated runs of each mapping.
import PTModel
import PTTrace

let KiB: UInt64 = 1024
let MiB: UInt64 = 1 << 20
let GiB: UInt64 = 1 << 30
let page: UInt64 = 4096

let PROT_NONE: UInt32 = 0, PROT_READ: UInt32 = 1, PROT_RW: UInt32 = 3
let MAP_PRIVATE_ANON: UInt32 = 0x22, MAP_FIXED: UInt32 = 0x10, MAP_HUGETLB: UInt32 = 0x40000
let MADV_DONTNEED: UInt32 = 4, MADV_FREE: UInt32 = 8, MADV_NOHUGEPAGE: UInt32 = 15
let MADV_COLD: UInt32 = 20, MADV_PAGEOUT: UInt32 = 21, MADV_DONTNEED_LOCKED: UInt32 = 24
let MREMAP_MAYMOVE: UInt32 = 1, MREMAP_FIXED: UInt32 = 2, MREMAP_DONTUNMAP: UInt32 = 4

struct SimProcess {
    var records: [TraceRecord] = []
    var time: UInt64 = 1_000_000
    var stack: UInt32 = 1
    /// Populated pages per 2 MiB block (8 words of 64 bits).
    var truth: [UInt64: [UInt64]] = [:]
    var hugeBlocks: Set<UInt64> = []
    /// Pages MADV_FREE'd and not written since (vmscan or MADV_PAGEOUT discards them).
    var lazyPages: Set<UInt64> = []
    /// The mappings the process has, for snapshots (start, end, perms).
    var maps: [(start: UInt64, end: UInt64, perms: UInt32)] = []

    init(kernelPolicy: String = "pt-reclaim") {
        records.append(.header(TraceHeader(fields: [("version", "1"), ("page_size", "4096"),
                                                    ("kernel_policy", kernelPolicy)])))
    }

    mutating func tick() -> UInt64 { time += 1000; return time }

    // MARK: truth

    mutating func touch(_ addr: UInt64, _ len: UInt64) {
        var p = addr / page
        let end = (addr + len + page - 1) / page
        while p < end {
            if !lazyPages.isEmpty { lazyPages.remove(p) }
            let b = p >> 9, i = Int(p & 511)
            var w = truth[b] ?? Array(repeating: 0, count: 8)
            w[i >> 6] |= 1 << UInt64(i & 63)
            truth[b] = w
            p += 1
        }
    }

    mutating func touchHuge(block b: UInt64) {
        hugeBlocks.insert(b)
        truth[b] = Array(repeating: ~0, count: 8)
    }

    mutating func drop(_ addr: UInt64, _ len: UInt64) {
        var p = addr / page
        let end = (addr + len + page - 1) / page
        while p < end {
            let b = p >> 9, i = Int(p & 511)
            if hugeBlocks.contains(b) {
                hugeBlocks.remove(b)  // split: the rest of the block stays populated
            }
            if var w = truth[b] {
                w[i >> 6] &= ~(1 << UInt64(i & 63))
                truth[b] = w.allSatisfy({ $0 == 0 }) ? nil : w
            }
            p += 1
        }
    }

    func populated(_ b: UInt64) -> [PageRun] {
        guard let w = truth[b] else { return [] }
        var runs: [PageRun] = []
        var i = 0
        while i < 512 {
            if w[i >> 6] & (1 << UInt64(i & 63)) != 0 {
                let s = i
                while i < 512 && w[i >> 6] & (1 << UInt64(i & 63)) != 0 { i += 1 }
                runs.append(PageRun(start: UInt32(s), count: UInt32(i - s)))
            } else { i += 1 }
        }
        return runs
    }

    func residency(_ addr: UInt64, _ len: UInt64) -> Residency {
        let first = addr >> 21
        let last = (addr + max(len, 1) - 1) >> 21
        var listed: [BlockPopulation] = []
        for b in first...last {
            if hugeBlocks.contains(b) { listed.append(BlockPopulation(block: b, kind: .huge)); continue }
            let runs = populated(b)
            if !runs.isEmpty { listed.append(BlockPopulation(block: b, kind: .pte(runs: runs))) }
        }
        return Residency(firstBlock: first, blockCount: last - first + 1, listed: listed)
    }

    // MARK: calls

    mutating func call(_ kind: CallKind, residency: Residency? = nil, errno: Int32? = nil) {
        records.append(.call(Call(time: tick(), tid: 1, stack: stack, kind: kind, errno: errno,
                                  residency: residency)))
    }

    mutating func mmap(_ addr: UInt64, _ len: UInt64, prot: UInt32 = PROT_RW,
                       flags: UInt32 = MAP_PRIVATE_ANON, errno: Int32? = nil) {
        if let e = errno {
            call(.mmap(hint: addr, length: len, prot: prot, flags: flags, fd: -1, offset: 0, is64: false,
                       result: 0), errno: e)
            return
        }
        let fixed = flags & MAP_FIXED != 0
        call(.mmap(hint: addr, length: len, prot: prot, flags: flags, fd: -1, offset: 0, is64: false,
                   result: addr), residency: fixed ? residency(addr, len) : nil)
        if fixed { drop(addr, len); removeMap(addr, addr + len) }
        addMap(addr, addr + len, perms: prot & 7)
    }

    mutating func munmap(_ addr: UInt64, _ len: UInt64) {
        call(.munmap(address: addr, length: len), residency: residency(addr, len))
        drop(addr, len)
        removeMap(addr, addr + len)
    }

    mutating func madvise(_ addr: UInt64, _ len: UInt64, _ advice: UInt32, posix: Bool = false) {
        call(.madvise(address: addr, length: len, advice: advice, posix: posix),
             residency: residency(addr, len))
        if (advice == MADV_DONTNEED || advice == MADV_DONTNEED_LOCKED) && !posix { drop(addr, len) }
        if advice == MADV_FREE {
            for p in (addr / page)..<((addr + len) / page) where isPopulated(p) { lazyPages.insert(p) }
        }
        if advice == MADV_PAGEOUT {
            for p in (addr / page)..<((addr + len) / page) where lazyPages.contains(p) {
                lazyPages.remove(p)
                drop(p * page, page)
            }
        }
    }

    func isPopulated(_ p: UInt64) -> Bool {
        guard let w = truth[p >> 9] else { return false }
        let i = Int(p & 511)
        return w[i >> 6] & (1 << UInt64(i & 63)) != 0
    }

    mutating func mprotect(_ addr: UInt64, _ len: UInt64, _ prot: UInt32) {
        call(.mprotect(address: addr, length: len, prot: prot, pkey: -1), residency: residency(addr, len))
        let inside = maps.filter { $0.start < addr + len && $0.end > addr }
        removeMap(addr, addr + len)
        for m in inside { addMap(max(m.start, addr), min(m.end, addr + len), perms: prot & 7) }
    }

    mutating func mremap(_ old: UInt64, _ oldLen: UInt64, _ newLen: UInt64, flags: UInt32, to result: UInt64) {
        call(.mremap(oldAddress: old, oldLength: oldLen, newLength: newLen, flags: flags,
                     newHint: result, result: result), residency: residency(old, oldLen))
        if result != old {
            // Move the truth page by page.
            var moved: [UInt64] = []
            for p in 0..<(min(oldLen, newLen) / page) {
                let a = old + p * page
                let b = a >> 21, i = Int((a >> 12) & 511)
                if let w = truth[b], w[i >> 6] & (1 << UInt64(i & 63)) != 0 { moved.append(p) }
            }
            drop(old, oldLen)
            for p in moved { touch(result + p * page, page) }
            if flags & MREMAP_DONTUNMAP == 0 { removeMap(old, old + oldLen) }
            removeMap(result, result + newLen)
            addMap(result, result + newLen, perms: 3)
        } else if newLen < oldLen {
            drop(old + newLen, oldLen - newLen)
            removeMap(old + newLen, old + oldLen)
        }
    }

    mutating func brk(from old: UInt64, to new: UInt64) {
        let res = new < old ? residency(new, old - new) : nil
        call(.brk(requested: new, oldBreak: old, newBreak: new), residency: res)
        if new < old { drop(new, old - new); removeMap(new, old) } else if new > old { addMap(old, new, perms: 3) }
    }

    // MARK: snapshots

    /// Adds a mapping, merged with equal-permission neighbours as the kernel's vma_merge would.
    mutating func addMap(_ s: UInt64, _ e: UInt64, perms: UInt32) {
        maps.append((s, e, perms))
        maps.sort { $0.start < $1.start }
        var merged: [(start: UInt64, end: UInt64, perms: UInt32)] = []
        for m in maps {
            if let last = merged.last, last.end == m.start, last.perms == m.perms {
                merged[merged.count - 1].end = m.end
            } else { merged.append(m) }
        }
        maps = merged
    }

    mutating func removeMap(_ s: UInt64, _ e: UInt64) {
        var out: [(start: UInt64, end: UInt64, perms: UInt32)] = []
        for m in maps {
            if m.end <= s || m.start >= e { out.append(m); continue }
            if m.start < s { out.append((m.start, s, m.perms)) }
            if m.end > e { out.append((e, m.end, m.perms)) }
        }
        maps = out
    }

    /// A snapshot of the current mappings (merged as the test lists them) with runs from truth.
    mutating func snapshot(vmPTEKiB: UInt64 = 0, reason: SnapshotReason = .periodic) {
        var list: [SnapshotMapping] = []
        for m in maps {
            var runs: [SnapshotRun] = []
            var p = m.start / page
            let end = m.end / page
            while p < end {
                let b = p >> 9
                if hugeBlocks.contains(b) && p & 511 == 0 && p + 512 <= end {
                    runs.append(SnapshotRun(start: p - m.start / page, count: 512, huge: true))
                    p += 512
                    continue
                }
                guard let w = truth[b] else { p = (b + 1) << 9; continue }
                let i = Int(p & 511)
                if w[i >> 6] & (1 << UInt64(i & 63)) != 0 {
                    if let last = runs.last, last.start + last.count == p - m.start / page, !last.huge {
                        runs[runs.count - 1].count += 1
                    } else {
                        runs.append(SnapshotRun(start: p - m.start / page, count: 1))
                    }
                }
                p += 1
            }
            list.append(SnapshotMapping(start: m.start, end: m.end, perms: m.perms, offset: 0, path: nil, runs: runs))
        }
        records.append(.snapshot(Snapshot(time: tick(), seq: UInt64(records.count), reason: reason,
                                          vmPTEKiB: vmPTEKiB, vmRSSKiB: 0, vmPTEKiBAfter: vmPTEKiB,
                                          vmRSSKiBAfter: 0, mappings: list)))
    }

    /// Replays the trace, ending it as the recorder does with an exit snapshot ("final" is
    /// the state at the last snapshot) unless `exitSnapshot` is false.
    func replay(_ options: ReplayOptions = ReplayOptions(), exitSnapshot: Bool = true) -> ReplayResult {
        replayer(options, exitSnapshot: exitSnapshot).finish()
    }

    func replayer(_ options: ReplayOptions = ReplayOptions(), exitSnapshot: Bool = true) -> Replayer {
        var copy = self
        if exitSnapshot { copy.snapshot(reason: .exit) }
        var r = Replayer(options: options)
        for rec in copy.records { r.consume(rec) }
        return r
    }
}

extension ReplayResult {
    func pte(_ p: Policy) -> UInt64 { policies[p]!.ptePagesFinal }
    func pmd(_ p: Policy) -> UInt64 { policies[p]!.pmdPagesFinal }
    func pud(_ p: Policy) -> UInt64 { policies[p]!.pudPagesFinal }
    func freed(_ p: Policy) -> UInt64 { policies[p]!.ptePagesFreed }
    func bytes(_ p: Policy) -> UInt64 { policies[p]!.finalBytes }
    /// PTE pages per policy in order none, pt-reclaim, refcount, ideal.
    var ptes: [UInt64] { [pte(.none), pte(.ptReclaim), pte(.refcount), pte(.ideal)] }
    var freedAll: [UInt64] { [freed(.none), freed(.ptReclaim), freed(.refcount), freed(.ideal)] }
}
