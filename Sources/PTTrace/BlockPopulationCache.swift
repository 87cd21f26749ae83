// The format's "previous population" of each 2 MiB block (ptreclaim_trace.h, RESIDENCY): the
// pages of the block in the last residency block of this file that listed it. A PTE_DIFF block
// gives only the pages that changed since then. Updated after each complete call record, by the
// same rule the recorder follows: every block of the call's range is forgotten, then the listed
// ones are stored.
import PTSupport

extension TraceReader {
    /// After a complete call record with a residency block: the reader's side of the rule.
    mutating func rememberPopulation(_ r: ResidencyView) {
        let end = r.firstBlock &+ r.blockCount
        var blocks = r.blocks
        if r.blockCount <= UInt64(blockPopulation.count) {
            // One pass: each block of the range is stored once, listed (ascending) or forgotten.
            var b = r.firstBlock
            while let e = blocks.next() {
                while b < e.block { blockPopulation[b] = nil; b &+= 1 }
                blockPopulation[e.block] = PageBits(wordsAt: e.wordsAt)  // all set for a THP
                b = e.block &+ 1
            }
            while b < end { blockPopulation[b] = nil; b &+= 1 }
            return
        }
        if blockPopulation.count > 0 { blockPopulation.forgetStored(r.firstBlock, r.blockCount) }
        while let e = blocks.next() { blockPopulation[e.block] = PageBits(wordsAt: e.wordsAt) }
    }
}

/// The previous populations by block index, in the same open-addressing map the model uses
/// (a Dictionary's SipHash hashing and deletions took about a third of the replay of a
/// format-2 trace). A key stays once inserted (it follows the blocks the trace touched);
/// forgetting a block marks it unknown (nil).
struct BlockPopulationMap {
    private var map = U64Map<PageBits?>(blank: nil, capacityLog2: 10)

    /// Keys stored, known or forgotten.
    var count: Int { map.count }

    subscript(key: UInt64) -> PageBits? {
        @inline(__always) get { map[key, default: nil] }
        @inline(__always) set {
            if newValue != nil {
                map[key, default: nil] = newValue  // one probe, stored or inserted
            } else if let i = map.index(of: key) {
                map.setValue(nil, at: i)  // forgetting an unstored key stores nothing
            }
        }
    }

    /// Forgets every block in first ..< first + n, walking the stored keys (for ranges larger
    /// than the map).
    mutating func forgetStored(_ first: UInt64, _ n: UInt64) {
        map.updateEach { key, value in
            if value != nil && key &- first < n { value = nil }
        }
    }
}
