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
                out.append(BlockPopulation(block: b.block,
                                           kind: .pte(runs: Array(UnsafeBufferPointer(start: b.runsAt, count: b.runCount)))))
            }
        }
        return Residency(firstBlock: firstBlock, blockCount: blockCount, listed: out)
    }

    /// One listed block: a THP, or a PTE-mapped block with its runs of populated pages.
    public struct Block {
        public let block: UInt64
        public let huge: Bool
        /// Number of runs (0 for a THP).
        public let runCount: Int
        @usableFromInline let runsAt: UnsafePointer<PageRun>
        /// The same pages as eight words, page p at bit p & 63 of word p >> 6 (all set for a
        /// THP): built once while decoding, so the reader's previous-population cache and
        /// the model copy them instead of each setting the runs again.
        public let wordsAt: UnsafePointer<UInt64>

        @inlinable init(block: UInt64, huge: Bool, runCount: Int, runsAt: UnsafePointer<PageRun>,
                        wordsAt: UnsafePointer<UInt64>) {
            self.block = block
            self.huge = huge
            self.runCount = runCount
            self.runsAt = runsAt
            self.wordsAt = wordsAt
        }

        /// The populated runs, pages 0..<512 within the block, ascending and disjoint.
        @inlinable public var runs: Runs { Runs(p: runsAt, end: runsAt + runCount) }
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
            return Block(block: entry.block, huge: entry.huge, runCount: Int(entry.runCount),
                         runsAt: runs + Int(entry.runStart), wordsAt: w)
        }
    }

    /// Iterator over one block's runs.
    public struct Runs: IteratorProtocol {
        @usableFromInline var p: UnsafePointer<PageRun>
        @usableFromInline let end: UnsafePointer<PageRun>

        @inlinable init(p: UnsafePointer<PageRun>, end: UnsafePointer<PageRun>) {
            self.p = p
            self.end = end
        }

        @inlinable @inline(__always)
        public mutating func next() -> PageRun? {
            guard p < end else { return nil }
            let r = p.pointee
            p += 1
            return r
        }
    }
}

/// Storage for the residency of the record being decoded, reused from record to record: one
/// entry per listed block and one flat array of every block's runs. Grows by doubling, as
/// entries are decoded (never from a count in the file, which may be corrupt).
public final class ResidencyArena {
    /// One listed block: its runs are runs[runStart ..< runStart + runCount].
    public struct Entry {
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

    /// The runs of the block added last (a PTE_DIFF block's changed pages, format 2).
    var lastBlockRuns: UnsafeBufferPointer<PageRun> {
        let e = entries[entryCount - 1]
        return UnsafeBufferPointer(start: runs + Int(e.runStart), count: Int(e.runCount))
    }

    /// Forgets the runs of the block added last, to add others.
    func dropLastBlockRuns() {
        runCount = Int(entries[entryCount - 1].runStart)
        entries[entryCount - 1].runCount = 0
        (bits + (entryCount - 1) &* 8).update(repeating: 0, count: 8)
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
