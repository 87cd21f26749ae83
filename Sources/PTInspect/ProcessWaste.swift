// What `ptreclaim inspect` reports for one process: exact totals (VmPTE, the tables the
// populated pages need, their difference) and bounds that a single snapshot allows (how the
// waste splits between what refcount would free and what no whole-block MADV_DONTNEED could).
// docs/inspect.md explains each figure.
import PTModel

/// A closed range of bytes: what a snapshot can say about a figure it cannot see directly.
public struct ByteBounds: Sendable, Equatable {
    public var min: UInt64
    public var max: UInt64
}

/// One mapping's 2 MiB blocks. A block straddling two mappings is counted once, in the lower
/// one, so the per-mapping counts add up to the process's.
public struct MappingWaste: Sendable, Equatable {
    public var start: UInt64
    public var end: UInt64
    /// The maps path column ("[heap]", "[stack]", a file), nil for an anonymous mapping.
    public var path: String?
    public var populatedPages: UInt64
    /// Blocks with at least one present or swapped entry.
    public var populatedBlocks: UInt64
    /// Blocks with no entry at all: each may hold an empty PTE page (an upper bound: the
    /// kernel does not say which do).
    public var emptyBlocks: UInt64
    /// Of emptyBlocks, those lying wholly inside this one mapping (a whole-block MADV_DONTNEED
    /// on a CONFIG_PT_RECLAIM kernel frees such a page); the rest straddle a mapping boundary.
    public var emptyBlocksWholeVMA: UInt64

    public var sizeBytes: UInt64 { end - start }
    /// "[heap]", a file path, or "anonymous".
    public var name: String { path ?? "anonymous" }
}

public struct ProcessWaste: Sendable {
    public var pid: Int32
    /// The kernel's comm (/proc/PID/comm).
    public var command: String
    /// VmPTE: PTE + PMD + PUD pages the kernel holds for the process (mm_pgtables_bytes).
    public var vmpteBytes: UInt64
    /// PTE, PMD and PUD pages the populated pages need, as the model's `ideal` counts them.
    public var neededPTEPages: UInt64
    public var neededPMDPages: UInt64
    public var neededPUDPages: UInt64
    public var neededBytes: UInt64 { (neededPTEPages + neededPMDPages + neededPUDPages) * PageTableGeometry.pageSize }
    /// vmpte - needed: negative only if the process changed between the two readings.
    public var wasteBytes: Int64 { Int64(vmpteBytes) - Int64(neededBytes) }

    public var mappedBytes: UInt64
    public var populatedPages: UInt64
    public var populatedBlocks: UInt64
    public var emptyBlocks: UInt64
    public var emptyBlocksWholeVMA: UInt64
    public var emptyBlocksSplit: UInt64 { emptyBlocks - emptyBlocksWholeVMA }
    /// Most PMD + PUD pages that can be waste: 1 GiB (512 GiB) regions the mappings reach that
    /// need no PMD (PUD) page.
    public var upperLevelSlackPages: UInt64

    /// Empty PTE pages now: refcount (the 2022 RFC) would have freed each when the zap that
    /// emptied it ended. `ideal` frees all of wasteBytes.
    public var refcountFrees: ByteBounds
    /// Empty PTE pages in blocks that straddle a mapping boundary: no MADV_DONTNEED, however
    /// large, frees them under pt-reclaim (it zaps one VMA at a time and needs the whole block).
    public var dontneedCannotFree: ByteBounds

    /// VmPTE and the mapping list were the same before and after the walk.
    public var stable: Bool
    /// Wall time of the reads and the computation.
    public var seconds: Double
    /// Which pagemap source answered (scan or pread).
    public var source: PagemapSource
    public var mappings: [MappingWaste]

    /// The n mappings with the most empty blocks (ties: lower address first), none without any.
    public func worstMappings(_ n: Int) -> [MappingWaste] {
        Array(mappings.filter { $0.emptyBlocks > 0 }
            .sorted { ($0.emptyBlocks, $1.start) > ($1.emptyBlocks, $0.start) }.prefix(n))
    }
}
