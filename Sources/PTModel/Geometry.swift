// x86_64 4-level paging geometry with 4 KiB pages (arch/x86/include/asm/pgtable_64_types.h):
// a PTE page maps one 2 MiB block, a PMD page one 1 GiB region, a PUD page one 512 GiB region.

let pageShift: UInt64 = 12
let pageSize: UInt64 = 1 << 12
/// PMD_SIZE: what one PTE page maps.
let pmdSize: UInt64 = 1 << 21
/// PUD_SIZE: what one PMD page maps.
let pudSize: UInt64 = 1 << 30
/// PGDIR_SIZE (P4D folded): what one PUD page maps.
let pgdirSize: UInt64 = 1 << 39
let pagesPerBlock: UInt64 = 512
/// Block index -> 1 GiB region index (PMD page) and 512 GiB region index (PUD page).
let blocksPerPMDRegionShift: UInt64 = 9
let blocksPerPUDRegionShift: UInt64 = 18

@inline(__always) func pageDown(_ a: UInt64) -> UInt64 { a & ~(pageSize - 1) }
@inline(__always) func pageUp(_ a: UInt64) -> UInt64 { (a &+ pageSize &- 1) & ~(pageSize - 1) }
@inline(__always) func blockOf(_ a: UInt64) -> UInt64 { a >> 21 }
@inline(__always) func blockStart(_ b: UInt64) -> UInt64 { b << 21 }

/// Pages [lo, hi) of block b (0...512) that the address range [start, end) covers; the range
/// must reach into the block (as the per-block walks of zap_pte_range & co. guarantee).
@inline(__always) func pageSpan(ofBlock b: UInt64, _ start: UInt64, _ end: UInt64) -> (lo: Int, hi: Int) {
    let bStart = b << 21
    let lo = start > bStart ? Int((start - bStart) >> pageShift) : 0
    let hi = end &- bStart < pmdSize ? Int((end - bStart) >> pageShift) : 512
    return (lo, hi)
}

/// Index of each policy in the per-policy counters (SIMD4 lanes) and bit sets.
enum PolicyIndex {
    static let none = 0, ptReclaim = 1, refcount = 2, ideal = 3
    static let all: [Policy] = [.none, .ptReclaim, .refcount, .ideal]
    /// The policies whose tables follow kernel freeing rules (ideal follows population only):
    /// none, pt-reclaim, refcount (a range, not an array: no storage to walk).
    static var kernel: ClosedRange<Int> { none...refcount }
    static let noneBit: UInt8 = 1 << 0
    static let ptReclaimBit: UInt8 = 1 << 1
    static let refcountBit: UInt8 = 1 << 2
    static let idealBit: UInt8 = 1 << 3
    static let kernelMask: UInt8 = noneBit | ptReclaimBit | refcountBit
    @inline(__always) static func bit(_ i: Int) -> UInt8 { UInt8(1) << UInt8(i) }
    /// 1 in the lanes of the policies whose bits are set, for counting several at once.
    /// (One vector shift: building the vector lane by lane cost ~20 instructions a call.)
    @inline(__always) static func lanes(_ bits: UInt8) -> SIMD4<UInt64> {
        (SIMD4<UInt64>(repeating: UInt64(bits)) &>> SIMD4<UInt64>(0, 1, 2, 3)) & 1
    }
    static func index(_ p: Policy) -> Int {
        switch p {
        case .none: return 0
        case .ptReclaim: return 1
        case .refcount: return 2
        case .ideal: return 3
        }
    }
}

/// The same geometry for other modules (`ptreclaim inspect` counts blocks and regions with it).
public enum PageTableGeometry {
    public static let pageSize = PTModel.pageSize
    /// Bytes one PTE page maps (a 2 MiB block).
    public static let blockSize = PTModel.pmdSize
    public static let blockShift: UInt64 = 21
    /// Block index -> index of the 1 GiB region (one PMD page) and 512 GiB region (one PUD page).
    public static let blocksPerPMDRegionShift = PTModel.blocksPerPMDRegionShift
    public static let blocksPerPUDRegionShift = PTModel.blocksPerPUDRegionShift
    public static func block(of address: UInt64) -> UInt64 { blockOf(address) }
    public static func start(ofBlock b: UInt64) -> UInt64 { blockStart(b) }
}
