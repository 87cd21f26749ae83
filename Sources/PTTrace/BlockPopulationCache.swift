// The format's "previous population" of each 2 MiB block (ptreclaim_trace.h, RESIDENCY): the
// pages of the block in the last residency block of this file that listed it. A PTE_DIFF block
// gives only the pages that changed since then. Updated after each complete call record, by the
// same rule the recorder follows: every block of the call's range is forgotten, then the listed
// ones are stored.

/// The populated pages of one block, one bit per page (512 pages).
struct BlockBits {
    var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    static let full: BlockBits = {
        var b = BlockBits()
        b.words = (~0, ~0, ~0, ~0, ~0, ~0, ~0, ~0)
        return b
    }()

    init() {}

    var isEmpty: Bool {
        (words.0 | words.1 | words.2 | words.3 | words.4 | words.5 | words.6 | words.7) == 0
    }

    /// Sets the words from a 64-byte RESIDENCY bitmap (page byte*8+k is bit k of byte `byte`).
    @inline(__always) mutating func load(bitmapAt p: UnsafeRawPointer) {
        for w in 0..<8 { self[w] = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: w * 8, as: UInt64.self)) }
    }

    init(runs: [PageRun]) {
        toggle(runs)
    }

    /// A copy of eight words (ResidencyView.Block.wordsAt).
    @inline(__always) init(wordsAt p: UnsafePointer<UInt64>) {
        load(bitmapAt: UnsafeRawPointer(p))
    }

    private subscript(w: Int) -> UInt64 {
        get { withUnsafeBytes(of: words) { $0.load(fromByteOffset: w * 8, as: UInt64.self) } }
        set { withUnsafeMutableBytes(of: &words) { $0.storeBytes(of: newValue, toByteOffset: w * 8, as: UInt64.self) } }
    }

    /// Flips the pages of `runs` (runs inside 0..<512, as the decoder checked). The words are
    /// reached through one pointer for all runs (one per word access copied the tuple in and
    /// out each time, the hottest loop of decoding).
    mutating func toggle<Runs: Sequence<PageRun>>(_ runs: Runs) {
        withUnsafeMutableBytes(of: &words) { raw in
            for r in runs {
                let lo = Int(r.start), hi = Int(r.start + r.count)
                guard lo < hi else { continue }
                for w in (lo >> 6)...((hi - 1) >> 6) {
                    let v = raw.load(fromByteOffset: w &* 8, as: UInt64.self) ^ BlockBits.mask(word: w, lo: lo, hi: hi)
                    raw.storeBytes(of: v, toByteOffset: w &* 8, as: UInt64.self)
                }
            }
        }
    }

    /// Bits [lo, hi) of the block that fall in word w.
    @inline(__always) static func mask(word w: Int, lo: Int, hi: Int) -> UInt64 {
        let base = w &* 64
        let a = max(lo &- base, 0), b = min(hi &- base, 64)
        if a >= b { return 0 }
        let upper: UInt64 = b == 64 ? ~0 : (UInt64(1) &<< UInt64(b)) &- 1
        let lower: UInt64 = (UInt64(1) &<< UInt64(a)) &- 1
        return upper & ~lower
    }

    /// The set pages as sorted runs.
    func runs() -> [PageRun] {
        var out: [PageRun] = []
        forEachRun { out.append($0) }
        return out
    }

    /// Calls body with each maximal run of set pages, ascending: a word at a time with
    /// trailing-zero counts (a page-by-page scan plus an array per block was a visible part
    /// of decoding a DIFF block).
    @inline(__always) func forEachRun(_ body: (PageRun) -> Void) {
        var start = -1  // first page of the run in progress, or -1
        for w in 0..<8 {
            let word = self[w]
            var p = 0  // next bit of this word to look at
            while p < 64 {
                let rest = word >> UInt64(p)  // bits p..<64, zeros shifted in above
                if start < 0 {
                    if rest == 0 { break }
                    p += rest.trailingZeroBitCount
                    start = (w << 6) + p
                } else {
                    // Set bits from p up; ~rest has ones above bit 63 - p, so at most 64 - p.
                    p += (~rest).trailingZeroBitCount
                    if p == 64 { break }  // the run goes on into the next word
                    body(PageRun(start: UInt32(start), count: UInt32((w << 6) + p - start)))
                    start = -1
                }
            }
        }
        if start >= 0 { body(PageRun(start: UInt32(start), count: UInt32(512 - start))) }
    }
}

extension TraceReader {
    /// Same, for a residency read through nextEvent() (the reader's arena).
    mutating func rememberPopulation(_ r: ResidencyView) {
        let end = r.firstBlock &+ r.blockCount
        var blocks = r.blocks
        if r.blockCount <= UInt64(blockPopulation.count) {
            // One pass: each block of the range is stored once, listed (ascending) or forgotten.
            var b = r.firstBlock
            while let e = blocks.next() {
                while b < e.block { blockPopulation[b] = nil; b &+= 1 }
                blockPopulation[e.block] = BlockBits(wordsAt: e.wordsAt)  // all set for a THP
                b = e.block &+ 1
            }
            while b < end { blockPopulation[b] = nil; b &+= 1 }
            return
        } else if !blockPopulation.isEmpty {
            blockPopulation.forgetStored(r.firstBlock, r.blockCount)
        }
        while let b = blocks.next() {
            if b.huge {
                blockPopulation[b.block] = .full
            } else {
                var bits = BlockBits()
                bits.toggle(UnsafeBufferPointer(start: b.runsAt, count: b.runCount))
                blockPopulation[b.block] = bits
            }
        }
    }

    /// After a complete call record with a residency block: the reader's side of the rule.
    mutating func rememberPopulation(_ r: Residency) {
        if r.blockCount <= UInt64(blockPopulation.count) {
            for b in r.firstBlock..<(r.firstBlock + r.blockCount) { blockPopulation[b] = nil }
        } else if !blockPopulation.isEmpty {
            blockPopulation.forgetStored(r.firstBlock, r.blockCount)
        }
        for b in r.listed {
            switch b.kind {
            case .huge: blockPopulation[b.block] = .full
            case .pte(let runs): blockPopulation[b.block] = BlockBits(runs: runs)
            }
        }
    }
}

/// The previous populations by block index, in the same open-addressing map the model uses
/// (a Dictionary's SipHash hashing and deletions took about a third of the replay of a
/// format-2 trace). A key stays once inserted (it follows the blocks the trace touched);
/// forgetting a block marks it unknown (nil).
struct BlockPopulationMap {
    private var map = U64Map<BlockBits?>(blank: nil, capacityLog2: 10)
    /// Keys whose population is known.
    private(set) var knownCount = 0

    /// Keys stored, known or forgotten.
    var count: Int { map.count }
    var isEmpty: Bool { knownCount == 0 }

    subscript(key: UInt64) -> BlockBits? {
        @inline(__always) get { map[key, default: nil] }
        @inline(__always) set {
            // One probe when the key is stored; forgetting an unstored key stores nothing.
            if let i = map.index(of: key) {
                let wasKnown = map.value(at: i) != nil
                knownCount += (newValue != nil ? 1 : 0) - (wasKnown ? 1 : 0)
                map.setValue(newValue, at: i)
            } else if newValue != nil {
                knownCount += 1
                map[key, default: nil] = newValue
            }
        }
    }

    /// Forgets every block in first ..< first + n, walking the stored keys (for ranges larger
    /// than the map).
    mutating func forgetStored(_ first: UInt64, _ n: UInt64) {
        var forgotten = 0
        map.updateEach { key, value in
            if value != nil && key &- first < n {
                value = nil
                forgotten += 1
            }
        }
        knownCount -= forgotten
    }
}
