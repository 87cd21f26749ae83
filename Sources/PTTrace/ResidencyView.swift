// A call's residency block without an array per block: the reader decodes it into an arena
// it reuses for every record (ResidencyArena), and nextEvent() hands out this view of it
// instead of building a `Residency` with one [PageRun] per listed block. Replay reads the
// blocks straight from the arena, so the hot path allocates nothing per record.
//
// A view is valid until the reader's next next()/nextEvent() call (which reuses the arena);
// `residency` copies it into the owning `Residency` value when it must outlive that.
import PTSupport

/// The residency of one call, as decoded into the reader's arena.
public struct ResidencyView {
    /// Block index (address >> 21) of the first enclosing block.
    public let firstBlock: UInt64
    /// Number of enclosing blocks; unlisted ones have no populated page.
    public let blockCount: UInt64
    /// Number of listed (populated) blocks.
    public let listedCount: Int
    @usableFromInline let entries: UnsafePointer<ResidencyArena.Entry>
    @usableFromInline let runs: UnsafePointer<PageRun>
    @usableFromInline let bits: UnsafePointer<UInt64>

    @usableFromInline
    init(firstBlock: UInt64, blockCount: UInt64, listedCount: Int,
         entries: UnsafePointer<ResidencyArena.Entry>, runs: UnsafePointer<PageRun>,
         bits: UnsafePointer<UInt64>) {
        self.firstBlock = firstBlock
        self.blockCount = blockCount
        self.listedCount = listedCount
        self.entries = entries
        self.runs = runs
        self.bits = bits
    }

    /// The listed blocks in ascending order.
    @inlinable public var blocks: Blocks { Blocks(view: self) }

    /// An owning copy, for callers that keep it past the next record.
    public var residency: Residency {
        var out: [BlockPopulation] = []
        out.reserveCapacity(listedCount)
        var it = blocks
        while let b = it.next() {
            if b.huge {
                out.append(BlockPopulation(block: b.block, kind: .huge))
            } else {
                var runs: [PageRun] = []
                var it = b.runs
                while let r = it.next() { runs.append(r) }
                out.append(BlockPopulation(block: b.block, kind: .pte(runs: runs)))
            }
        }
        return Residency(firstBlock: firstBlock, blockCount: blockCount, listed: out)
    }

    /// One listed block: a THP, or a PTE-mapped block with its runs of populated pages.
    public struct Block {
        public let block: UInt64
        public let huge: Bool
        /// The block's runs in the arena, or nil when the block was decoded as a set of pages
        /// (BITMAP, PTE_DIFF): its runs are then derived from `wordsAt` when asked for, so
        /// replay, which reads only the words, never builds them.
        @usableFromInline let runsAt: UnsafePointer<PageRun>?
        @usableFromInline let storedRuns: Int
        /// The same pages as eight words, page p at bit p & 63 of word p >> 6 (all set for a
        /// THP): built once while decoding, so the reader's previous-population cache and
        /// the model copy them instead of each setting the runs again.
        public let wordsAt: UnsafePointer<UInt64>

        @inlinable init(block: UInt64, huge: Bool, runsAt: UnsafePointer<PageRun>?, storedRuns: Int,
                        wordsAt: UnsafePointer<UInt64>) {
            self.block = block
            self.huge = huge
            self.runsAt = runsAt
            self.storedRuns = storedRuns
            self.wordsAt = wordsAt
        }

        /// The populated runs, pages 0..<512 within the block, ascending and disjoint (none for
        /// a THP).
        @inlinable public var runs: Runs {
            if huge { return Runs(p: wordsAt.withMemoryRebound(to: PageRun.self, capacity: 0) { $0 }, count: 0) }
            if let r = runsAt { return Runs(p: r, count: storedRuns) }
            return Runs(words: wordsAt)
        }

        /// Number of runs (0 for a THP).
        public var runCount: Int {
            if huge { return 0 }
            if runsAt != nil { return storedRuns }
            var n = 0, it = runs
            while it.next() != nil { n += 1 }
            return n
        }
    }

    /// Iterator over the listed blocks.
    public struct Blocks: IteratorProtocol {
        @usableFromInline var e: UnsafePointer<ResidencyArena.Entry>
        @usableFromInline let end: UnsafePointer<ResidencyArena.Entry>
        @usableFromInline let runs: UnsafePointer<PageRun>
        @usableFromInline var words: UnsafePointer<UInt64>

        @inlinable init(view: ResidencyView) {
            e = view.entries
            end = view.entries + view.listedCount
            runs = view.runs
            words = view.bits
        }

        @inlinable @inline(__always)
        public mutating func next() -> Block? {
            guard e < end else { return nil }
            let entry = e.pointee
            e += 1
            let w = words
            words += 8
            let derived = entry.runCount == ResidencyArena.Entry.derivedRuns
            return Block(block: entry.block, huge: entry.huge, runsAt: derived ? nil : runs + Int(entry.runStart),
                         storedRuns: derived ? 0 : Int(entry.runCount), wordsAt: w)
        }
    }

    /// Iterator over one block's runs: stored ones, or derived from the block's words.
    public struct Runs: IteratorProtocol {
        @usableFromInline var p: UnsafePointer<PageRun>
        @usableFromInline let end: UnsafePointer<PageRun>
        @usableFromInline let words: UnsafePointer<UInt64>?
        /// Derived mode: the next page to look at.
        @usableFromInline var page = 0

        @inlinable init(p: UnsafePointer<PageRun>, count: Int) {
            self.p = p
            end = p + count
            words = nil
        }

        @inlinable init(words: UnsafePointer<UInt64>) {
            p = UnsafeRawPointer(words).assumingMemoryBound(to: PageRun.self)
            end = p
            self.words = words
        }

        @inlinable @inline(__always)
        public mutating func next() -> PageRun? {
            guard let w = words else {
                guard p < end else { return nil }
                let r = p.pointee
                p += 1
                return r
            }
            let lo = Runs.scan(w, from: page, set: true)
            if lo >= 512 { page = 512; return nil }
            let hi = Runs.scan(w, from: lo, set: false)
            page = hi
            return PageRun(start: UInt32(lo), count: UInt32(hi - lo))
        }

        /// The first page >= from whose bit is `set`, or 512.
        @inlinable static func scan(_ w: UnsafePointer<UInt64>, from: Int, set: Bool) -> Int {
            var i = from >> 6
            guard i < 8 else { return 512 }
            var word = (set ? w[i] : ~w[i]) & (~0 << UInt64(from & 63))
            while word == 0 {
                i += 1
                if i == 8 { return 512 }
                word = set ? w[i] : ~w[i]
            }
            return (i << 6) + word.trailingZeroBitCount
        }
    }
}

/// Storage for the residency of the record being decoded, reused from record to record: one
/// entry per listed block and one flat array of every block's runs. Grows by doubling, as
/// entries are decoded (never from a count in the file, which may be corrupt).
public final class ResidencyArena {
    /// One listed block: its runs are runs[runStart ..< runStart + runCount].
    public struct Entry {
        /// runCount of a block stored as words only (addBlock(_:pages:)).
        @usableFromInline static var derivedRuns: UInt32 { .max }
        @usableFromInline var block: UInt64
        @usableFromInline var runStart: UInt32
        @usableFromInline var runCount: UInt32
        @usableFromInline var huge: Bool
    }

    private var entries: UnsafeMutablePointer<Entry>
    /// Eight words per entry: the OR of its runs (all ones for a THP).
    private var bits: UnsafeMutablePointer<UInt64>
    private var entryCapacity = 64
    private var runs: UnsafeMutablePointer<PageRun>
    private var runCapacity = 1024
    private var entryCount = 0
    private var runCount = 0

    init() {
        entries = .allocate(capacity: entryCapacity)
        bits = .allocate(capacity: entryCapacity * 8)
        runs = .allocate(capacity: runCapacity)
    }

    deinit {
        entries.deallocate()
        bits.deallocate()
        runs.deallocate()
    }

    /// Starts a new residency (the one decoded before is gone).
    @inline(__always) func reset() {
        entryCount = 0
        runCount = 0
    }

    /// Adds a listed block; a PTE block's runs follow with addRun.
    @inline(__always) func addBlock(_ block: UInt64, huge: Bool) {
        if entryCount == entryCapacity { growEntries() }
        entries[entryCount] = Entry(block: block, runStart: UInt32(truncatingIfNeeded: runCount), runCount: 0, huge: huge)
        (bits + entryCount &* 8).update(repeating: huge ? ~0 : 0, count: 8)
        entryCount += 1
    }

    /// Adds a listed PTE block whose pages are known as a set (a BITMAP block, a PTE_DIFF
    /// applied): its words are stored as they are; its runs are derived only if asked for.
    @inline(__always) func addBlock(_ block: UInt64, pages: PageBits) {
        if entryCount == entryCapacity { growEntries() }
        entries[entryCount] = Entry(block: block, runStart: 0, runCount: Entry.derivedRuns, huge: false)
        UnsafeMutableRawPointer(bits + entryCount &* 8).storeBytes(
            of: pages.words, as: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64).self)
        entryCount += 1
    }

    /// Adds a run to the block added last.
    @inline(__always) func addRun(_ run: PageRun) {
        if runCount == runCapacity { growRuns() }
        runs[runCount] = run
        runCount += 1
        entries[entryCount - 1].runCount &+= 1
        // Runs lie inside 0..<512 (the decoder checked them).
        let words = bits + (entryCount - 1) &* 8
        let lo = Int(run.start), hi = Int(run.start) + Int(run.count)
        guard lo < hi else { return }
        let first = lo >> 6, last = (hi - 1) >> 6
        if first == last {  // the common case: a run within one word
            let n = hi - lo
            words[first] |= (n == 64 ? ~0 : ((UInt64(1) &<< UInt64(n)) &- 1)) &<< UInt64(lo & 63)
        } else {
            for w in first...last { words[w] |= PageBits.mask(word: w, lo: lo, hi: hi) }
        }
    }

    /// The residency decoded since reset().
    @inline(__always) func view(firstBlock: UInt64, blockCount: UInt64) -> ResidencyView {
        ResidencyView(firstBlock: firstBlock, blockCount: blockCount, listedCount: entryCount,
                      entries: UnsafePointer(entries), runs: UnsafePointer(runs),
                      bits: UnsafePointer(bits))
    }

    @inline(never) private func growEntries() {
        let bigger = UnsafeMutablePointer<Entry>.allocate(capacity: entryCapacity * 2)
        bigger.moveInitialize(from: entries, count: entryCount)
        entries.deallocate()
        entries = bigger
        let biggerBits = UnsafeMutablePointer<UInt64>.allocate(capacity: entryCapacity * 2 * 8)
        biggerBits.moveInitialize(from: bits, count: entryCount * 8)
        bits.deallocate()
        bits = biggerBits
        entryCapacity *= 2
    }

    @inline(never) private func growRuns() {
        let bigger = UnsafeMutablePointer<PageRun>.allocate(capacity: runCapacity * 2)
        bigger.moveInitialize(from: runs, count: runCount)
        runs.deallocate()
        runs = bigger
        runCapacity *= 2
    }
}

extension Residency {
    /// This residency as a view in an arena of its own, for code written against the reader's
    /// lane (the model's Replayer) fed owning records (tests, tools). Runs are clipped to the
    /// block's 512 pages, as a hand-built value may hold anything.
    public func withView<R>(_ body: (ResidencyView) throws -> R) rethrows -> R {
        let arena = ResidencyArena()
        for b in listed {
            switch b.kind {
            case .huge:
                arena.addBlock(b.block, huge: true)
            case .pte(let runs):
                arena.addBlock(b.block, huge: false)
                for r in runs {
                    let lo = min(r.start, 512), hi = UInt32(min(UInt64(r.start) + UInt64(r.count), 512))
                    if lo < hi { arena.addRun(PageRun(start: lo, count: hi - lo)) }
                }
            }
        }
        return try withExtendedLifetime(arena) { try body(arena.view(firstBlock: firstBlock, blockCount: blockCount)) }
    }
}
