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
    mutating func toggle(_ runs: [PageRun]) {
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
    /// After a complete call record with a residency block: the reader's side of the rule.
    mutating func rememberPopulation(_ r: Residency) {
        if r.blockCount <= UInt64(blockPopulation.count) {
            for b in r.firstBlock..<(r.firstBlock + r.blockCount) { blockPopulation[b] = nil }
        } else if !blockPopulation.isEmpty {
            blockPopulation = blockPopulation.filter { $0.key &- r.firstBlock >= r.blockCount }
        }
        for b in r.listed {
            switch b.kind {
            case .huge: blockPopulation[b.block] = .full
            case .pte(let runs): blockPopulation[b.block] = BlockBits(runs: runs)
            }
        }
    }
}
