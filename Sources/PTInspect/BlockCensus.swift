// From one reading of the mappings and their populated pages: the tables those pages need
// (computed by the model itself, PTModel's Replayer fed the reading as one snapshot, so the
// figure is the model's `ideal` by construction), and the per-mapping census of 2 MiB blocks
// and 1 GiB / 512 GiB regions behind the bounds in ProcessWaste.
import PTModel
import PTTrace

/// User addresses end below the non-canonical hole; [vsyscall] above it has no tables of the
/// process's own (the model skips it too).
let userSpaceTop: UInt64 = 0x8000_0000_0000

struct BlockCensus {
    var neededPTE: UInt64 = 0, neededPMD: UInt64 = 0, neededPUD: UInt64 = 0
    var mapped: UInt64 = 0
    var populatedPages: UInt64 = 0
    var populatedBlocks: UInt64 = 0
    var emptyBlocks: UInt64 = 0
    var emptyWhole: UInt64 = 0
    var upperLevelSlack: UInt64 = 0
    var mappings: [MappingWaste] = []

    /// `maps` sorted by address, below userSpaceTop, with their runs.
    init(_ maps: [SnapshotMapping]) {
        // The model's ideal at this "snapshot".
        var replayer = Replayer()
        replayer.consume(.snapshot(Snapshot(time: 0, seq: 0, reason: .periodic, vmPTEKiB: 0, vmRSSKiB: 0,
                                            vmPTEKiBAfter: 0, vmRSSKiBAfter: 0, mappings: maps)))
        (neededPTE, neededPMD, neededPUD) = replayer.currentPages(.ideal)

        // Blocks with any entry, ascending (mappings and their runs are in address order).
        var populated: [UInt64] = []
        for m in maps {
            for r in m.runs where r.count > 0 {
                let lo = PageTableGeometry.block(of: m.start + r.start * PageTableGeometry.pageSize)
                let hi = PageTableGeometry.block(of: m.start + (r.start + r.count) * PageTableGeometry.pageSize - 1)
                var b = max(lo, populated.last.map { $0 + 1 } ?? 0)
                while b <= hi { populated.append(b); b += 1 }
            }
        }
        func count(_ lo: UInt64, _ hi: UInt64) -> UInt64 {
            guard lo <= hi else { return 0 }
            return UInt64(BlockCensus.lowerBound(populated, hi + 1) - BlockCensus.lowerBound(populated, lo))
        }

        var lastBlock: UInt64?          // last block attributed to a mapping
        var pmdRegions: UInt64 = 0, pudRegions: UInt64 = 0
        var lastPMD: UInt64?, lastPUD: UInt64?
        for m in maps {
            mapped += m.end - m.start
            let pages = m.runs.reduce(UInt64(0)) { $0 + $1.count }
            populatedPages += pages
            let first = PageTableGeometry.block(of: m.start), last = PageTableGeometry.block(of: m.end - 1)
            // Regions the mapping reaches (each may hold a PMD / PUD page).
            BlockCensus.countRegions(first >> PageTableGeometry.blocksPerPMDRegionShift,
                                     last >> PageTableGeometry.blocksPerPMDRegionShift, &lastPMD, &pmdRegions)
            BlockCensus.countRegions(first >> PageTableGeometry.blocksPerPUDRegionShift,
                                     last >> PageTableGeometry.blocksPerPUDRegionShift, &lastPUD, &pudRegions)
            // Blocks attributed to this mapping: a block shared with the one below is already counted.
            let from = lastBlock.map { max(first, $0 + 1) } ?? first
            var w = MappingWaste(start: m.start, end: m.end, path: m.path, populatedPages: pages,
                                 populatedBlocks: 0, emptyBlocks: 0, emptyBlocksWholeVMA: 0)
            if from <= last {
                w.populatedBlocks = count(from, last)
                w.emptyBlocks = (last - from + 1) - w.populatedBlocks
                lastBlock = last
                // Blocks wholly inside: pt-reclaim's whole-block rule can apply (not to hugetlb
                // or the vDSO's VM_PFNMAP pages).
                let inFirst = PageTableGeometry.block(of: m.start + PageTableGeometry.blockSize - 1)
                let inLast = PageTableGeometry.block(of: m.end)
                if inLast > inFirst && !BlockCensus.excludedFromPTReclaim(m) {
                    w.emptyBlocksWholeVMA = (inLast - inFirst) - count(inFirst, inLast - 1)
                }
            }
            populatedBlocks += w.populatedBlocks
            emptyBlocks += w.emptyBlocks
            emptyWhole += w.emptyBlocksWholeVMA
            mappings.append(w)
        }
        upperLevelSlack = (pmdRegions - min(pmdRegions, neededPMD)) + (pudRegions - min(pudRegions, neededPUD))
    }

    /// Adds the regions first...last not counted yet (mappings come in address order).
    private static func countRegions(_ first: UInt64, _ last: UInt64, _ prev: inout UInt64?, _ n: inout UInt64) {
        let from = prev.map { max(first, $0 + 1) } ?? first
        if from <= last { n += last - from + 1 }
        prev = max(prev ?? 0, last)
    }

    /// hugetlb and VM_PFNMAP mappings: pt-reclaim never frees their tables (docs/model.md).
    static func excludedFromPTReclaim(_ m: SnapshotMapping) -> Bool {
        guard let p = m.path else { return false }
        return p.contains("anon_hugepage") || p.hasPrefix("[vvar") || p.hasPrefix("[vdso")
    }

    /// First index whose value is >= x.
    private static func lowerBound(_ a: [UInt64], _ x: UInt64) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
