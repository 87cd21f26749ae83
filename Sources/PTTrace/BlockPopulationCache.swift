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

/// The previous populations by block index: open addressing with linear probing and a
/// multiplicative (Fibonacci) hash, instead of a Dictionary, whose SipHash hashing and
/// deletions took about a third of the replay of a format-2 trace. A key stays once inserted
/// (like the model's block map, it follows the blocks the trace touched); forgetting a block
/// marks it unknown.
struct BlockPopulationMap {
    private static var emptyKey: UInt64 { .max }  // block indices are below 2^43
    private var keys: [UInt64]
    private var values: [BlockBits]
    private var known: [Bool]
    private var shift: UInt64
    /// Keys stored, known or forgotten.
    private(set) var count = 0
    /// Keys whose population is known.
    private(set) var knownCount = 0

    init() {
        let log2: UInt64 = 10
        keys = Array(repeating: BlockPopulationMap.emptyKey, count: 1 << Int(log2))
        values = Array(repeating: BlockBits(), count: 1 << Int(log2))
        known = Array(repeating: false, count: 1 << Int(log2))
        shift = 64 - log2
    }

    var isEmpty: Bool { knownCount == 0 }

    @inline(__always) private func slot(_ key: UInt64) -> Int {
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let k = keys[i]
            if k == key || k == BlockPopulationMap.emptyKey { return i }
            i = (i + 1) & mask
        }
    }

    subscript(key: UInt64) -> BlockBits? {
        @inline(__always) get {
            let i = slot(key)
            return keys[i] == key && known[i] ? values[i] : nil
        }
        @inline(__always) set {
            let i = slot(key)
            if keys[i] == key {
                if let v = newValue {
                    values[i] = v
                    if !known[i] { known[i] = true; knownCount += 1 }
                } else if known[i] {
                    known[i] = false
                    knownCount -= 1
                }
            } else if let v = newValue {
                insert(key, v, at: i)
            }
        }
    }

    /// Forgets every block in first ..< first + n, walking the stored keys (for ranges larger
    /// than the map).
    mutating func forgetStored(_ first: UInt64, _ n: UInt64) {
        for i in 0..<keys.count where known[i] && keys[i] &- first < n {
            known[i] = false
            knownCount -= 1
        }
    }

    private mutating func insert(_ key: UInt64, _ value: BlockBits, at i: Int) {
        if (count + 1) * 2 > keys.count {
            grow()
            insert(key, value, at: slot(key))
            return
        }
        keys[i] = key
        values[i] = value
        known[i] = true
        count += 1
        knownCount += 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values, oldKnown = known
        keys = Array(repeating: BlockPopulationMap.emptyKey, count: oldKeys.count * 2)
        values = Array(repeating: BlockBits(), count: oldKeys.count * 2)
        known = Array(repeating: false, count: oldKeys.count * 2)
        shift -= 1
        for (j, k) in oldKeys.enumerated() where k != BlockPopulationMap.emptyKey {
            let i = slot(k)
            keys[i] = k
            values[i] = oldValues[j]
            known[i] = oldKnown[j]
        }
    }
}
