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

    init(runs: [PageRun]) {
        toggle(runs)
    }

    private subscript(w: Int) -> UInt64 {
        get { withUnsafeBytes(of: words) { $0.load(fromByteOffset: w * 8, as: UInt64.self) } }
        set { withUnsafeMutableBytes(of: &words) { $0.storeBytes(of: newValue, toByteOffset: w * 8, as: UInt64.self) } }
    }

    /// Flips the pages of `runs` (runs inside 0..<512, as the decoder checked).
    mutating func toggle<Runs: Sequence<PageRun>>(_ runs: Runs) {
        for r in runs {
            var p = Int(r.start)
            let end = Int(r.start + r.count)
            while p < end {
                let w = p >> 6, bit = p & 63
                let n = min(64 - bit, end - p)
                let mask: UInt64 = n == 64 ? ~0 : ((1 << UInt64(n)) - 1) << UInt64(bit)
                self[w] ^= mask
                p += n
            }
        }
    }

    /// The set pages as sorted runs.
    func runs() -> [PageRun] {
        var out: [PageRun] = []
        var start = -1
        for p in 0...512 {
            let set = p < 512 && (self[p >> 6] >> UInt64(p & 63)) & 1 != 0
            if set && start < 0 { start = p }
            if !set && start >= 0 {
                out.append(PageRun(start: UInt32(start), count: UInt32(p - start)))
                start = -1
            }
        }
        return out
    }
}

extension TraceReader {
    /// Same, for a residency read through nextEvent() (the reader's arena).
    mutating func rememberPopulation(_ r: ResidencyView) {
        if r.blockCount <= UInt64(blockPopulation.count) {
            for b in r.firstBlock..<(r.firstBlock + r.blockCount) { blockPopulation[b] = nil }
        } else if !blockPopulation.isEmpty {
            blockPopulation.forgetStored(r.firstBlock, r.blockCount)
        }
        var blocks = r.blocks
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
            let wasKnown = map[key, default: nil] != nil
            knownCount += (newValue != nil ? 1 : 0) - (wasKnown ? 1 : 0)
            map[key, default: nil] = newValue
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
