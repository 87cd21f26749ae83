// mremap (mm/mremap.c): aligned moves carry whole PTE pages (move_normal_pmd); unaligned moves
// allocate at the destination and unmap the source with the munmap rules; MREMAP_DONTUNMAP
// keeps the old VMA and its now-empty tables; shrinking in place unmaps the tail.
import PTModel
import PTTrace
import XCTest

final class MremapTests: XCTestCase {
    let S = R + 64 * MiB
    let D = R + 512 * MiB

    func touched() -> SimProcess {
        var s = SimProcess()
        s.mmap(S, 8 * MiB)
        s.touch(S, 8 * MiB)
        s.snapshot()
        return s
    }

    func testAlignedMoveCarriesPTEPages() {
        var s = touched()
        s.mremap(S, 8 * MiB, 8 * MiB, flags: MREMAP_MAYMOVE | MREMAP_FIXED, to: D)
        let r = s.replay()
        XCTAssertEqual(r.ptes, [4, 4, 4, 4])
        XCTAssertEqual(r.freedAll, [0, 0, 0, 0])
        for p in Policy.allCases {
            XCTAssertEqual(r.policies[p]!.ptePagesReallocated, 0)
            XCTAssertEqual(r.pmd(p), 1)
            XCTAssertEqual(r.pud(p), 1)
        }
    }

    func testUnalignedMoveAllocatesAtDestinationAndFreesSource() {
        var s = touched()
        s.mremap(S, 8 * MiB, 8 * MiB, flags: MREMAP_MAYMOVE | MREMAP_FIXED, to: D + 4 * KiB)
        let r = s.replay()
        // [D+4K, D+8M+4K) spans 5 blocks; the 4 source blocks go by the munmap rules.
        XCTAssertEqual(r.ptes, [5, 5, 5, 5])
        XCTAssertEqual(r.freedAll, [4, 4, 4, 4])
    }

    func testDontUnmapAlignedLeavesSourceWithoutTables() {
        var s = touched()
        s.mremap(S, 8 * MiB, 8 * MiB, flags: MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to: D)
        let rp = s.replayer()
        XCTAssertEqual(rp.vmaCount, 2)
        let r = rp.finish()
        XCTAssertEqual(r.ptes, [4, 4, 4, 4])
    }

    func testDontUnmapUnalignedKeepsEmptySourceTables() {
        var s = touched()
        s.mremap(S, 8 * MiB, 8 * MiB, flags: MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to: D + 4 * KiB)
        let r = s.replay()
        XCTAssertEqual(r.ptes, [9, 9, 9, 5])
        XCTAssertEqual(r.freedAll, [0, 0, 0, 4])
    }

    func testShrinkInPlaceIsMunmapOfTail() {
        var s = touched()
        s.mremap(S, 8 * MiB, 2 * MiB, flags: 0, to: S)
        let r = s.replay()
        XCTAssertEqual(r.ptes, [1, 1, 1, 1])
        XCTAssertEqual(r.freedAll, [3, 3, 3, 3])
    }

    func testGrowInPlaceChangesNoTables() {
        var s = touched()
        s.mremap(S, 8 * MiB, 16 * MiB, flags: MREMAP_MAYMOVE, to: S)
        let rp = s.replayer()
        XCTAssertEqual(rp.vmaCount, 1)
        let r = rp.finish()
        XCTAssertEqual(r.ptes, [4, 4, 4, 4])
        XCTAssertEqual(r.freedAll, [0, 0, 0, 0])
    }

    /// A move of pages whose blocks pt-reclaim had already emptied and freed: nothing to move
    /// (get_old_pmd finds no table), so nothing is allocated at the destination either.
    func testMoveOfReclaimedBlocksAllocatesNothing() {
        var s = touched()
        s.madvise(S, 8 * MiB, MADV_DONTNEED)
        s.mremap(S, 8 * MiB, 8 * MiB, flags: MREMAP_MAYMOVE | MREMAP_FIXED, to: D + 4 * KiB)
        let r = s.replay()
        // none: 4 empty source tables -> 5 new empty destination tables, sources freed.
        XCTAssertEqual(r.ptes, [5, 0, 0, 0])
        XCTAssertEqual(r.freedAll, [4, 4, 4, 4])
    }
}
