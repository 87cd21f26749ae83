// Policy `none`: page tables are freed only by free_pgtables after munmap-type teardown, with
// the floor/ceiling rule; madvise never frees them.
import PTModel
import PTTrace
import XCTest

final class NonePolicyTests: XCTestCase {
    /// A VMA sharing a block keeps that block's PTE page alive although it never touched it;
    /// when it goes too, the block, the PMD page and the PUD page go.
    func testFloorCeilingNeighbourKeepsSharedBlock() {
        var s = SimProcess()
        s.mmap(A, 1 * MiB, prot: PROT_READ)                    // never touched
        s.mmap(A + 1 * MiB, 3 * MiB)
        s.touch(A + 1 * MiB, 3 * MiB)
        s.snapshot()
        s.munmap(A + 1 * MiB, 3 * MiB)
        var r = s.replay()
        XCTAssertEqual(r.ptes, [1, 1, 1, 0])
        XCTAssertEqual(r.freedAll, [1, 1, 1, 2])
        XCTAssertEqual(r.pmd(.none), 1)
        s.munmap(A, 1 * MiB)
        r = s.replay()
        XCTAssertEqual(r.ptes, [0, 0, 0, 0])
        for p in Policy.allCases {
            XCTAssertEqual(r.pmd(p), 0, "\(p)")
            XCTAssertEqual(r.pud(p), 0, "\(p)")
        }
    }

    /// A PMD page goes only when its whole 1 GiB region lies between floor and ceiling.
    func testPMDFreedOnlyWhenWholeRegionIsInTheGap() {
        var far = SimProcess()
        far.mmap(R + 100 * MiB, 1 * MiB); far.touch(R + 100 * MiB, page)
        far.mmap(R + 2 * GiB, 1 * MiB); far.touch(R + 2 * GiB, page)
        far.snapshot()
        far.munmap(R + 100 * MiB, 1 * MiB)
        var r = far.replay()
        XCTAssertEqual(r.pte(.none), 1)
        XCTAssertEqual(r.pmd(.none), 1)     // region 0 lay in [0, R+2GiB]: its PMD page went
        XCTAssertEqual(r.pud(.none), 1)     // the PUD page still maps R+2GiB

        var near = SimProcess()
        near.mmap(R + 100 * MiB, 1 * MiB); near.touch(R + 100 * MiB, page)
        near.mmap(R + 500 * MiB, 1 * MiB); near.touch(R + 500 * MiB, page)
        near.snapshot()
        near.munmap(R + 100 * MiB, 1 * MiB)
        r = near.replay()
        XCTAssertEqual(r.pte(.none), 1)
        XCTAssertEqual(r.pmd(.none), 1)     // same region as the survivor: kept
        XCTAssertEqual(r.freed(.none), 1)
    }

    /// madvise never frees a page table under `none`.
    func testMadviseNeverFreesUnderNone() {
        var s = measuredSetup()
        s.madvise(A, 256 * MiB, MADV_DONTNEED)
        s.madvise(A, 256 * MiB, MADV_FREE)
        s.madvise(A, 256 * MiB, MADV_PAGEOUT)
        s.madvise(A, 256 * MiB, MADV_COLD)
        let r = s.replay()
        XCTAssertEqual(r.pte(.none), 128)
        XCTAssertEqual(r.freed(.none), 0)
    }

    /// brk shrink is do_vmi_align_munmap: the block still holding the heap stays.
    func testBrkShrinkUsesMunmapRules() {
        let H = R + 1 * GiB
        var s = SimProcess()
        s.brk(from: H, to: H + 4 * MiB)
        s.touch(H, 4 * MiB)
        s.snapshot()
        s.brk(from: H + 4 * MiB, to: H + 1 * MiB)
        let r = s.replay()
        XCTAssertEqual(r.ptes, [1, 1, 1, 1])
        XCTAssertEqual(r.freedAll, [1, 1, 1, 1])
    }

    /// MAP_FIXED over touched memory frees like munmap (vms_clean_up_area), with the
    /// neighbours of the replaced range as floor and ceiling: an unaligned replacement keeps
    /// the two partly covered blocks.
    func testMapFixedUnalignedKeepsPartialBlocks() {
        var s = measuredSetup()
        s.mmap(A + 1 * MiB, 8 * MiB, flags: MAP_PRIVATE_ANON | MAP_FIXED)
        let r = s.replay()
        XCTAssertEqual(r.freedAll, [3, 3, 3, 3])
        XCTAssertEqual(r.ptes, [125, 125, 125, 125])
    }

    /// Partial munmap of the tail of a mapping: floor is the surviving head's end.
    func testPartialMunmapOfTail() {
        var s = SimProcess()
        s.mmap(A, 16 * MiB)
        s.touch(A, 16 * MiB)
        s.snapshot()
        s.munmap(A + 5 * MiB, 11 * MiB)
        let r = s.replay()
        // Blocks 0-1 lie below the floor A+5M; block 2 [A+4M, A+6M) straddles it.
        XCTAssertEqual(r.ptes, [3, 3, 3, 3])
        XCTAssertEqual(r.freedAll, [5, 5, 5, 5])
    }
}
