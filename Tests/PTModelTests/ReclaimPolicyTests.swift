// pt-reclaim's per-VMA whole-block rule against refcount's "any zap that empties the block",
// lazyfree under both memory-pressure modes, and ideal's PMD/PUD pages.
import PTModel
import PTTrace
import XCTest

final class ReclaimPolicyTests: XCTestCase {
    /// A VMA boundary inside the block makes it ineligible for pt-reclaim even when one call
    /// spans both VMAs (madvise_walk_vmas zaps one VMA at a time); refcount frees it.
    func testVMABoundaryInsideBlockDefeatsPtReclaimNotRefcount() {
        var s = SimProcess()
        s.mmap(A, 1 * MiB)
        s.mmap(A + 1 * MiB, 1 * MiB, prot: PROT_READ)
        s.touch(A, 2 * MiB)
        s.snapshot()
        s.madvise(A, 2 * MiB, MADV_DONTNEED)
        let r = s.replay()
        XCTAssertEqual(r.ptes, [1, 1, 0, 0])
        XCTAssertEqual(r.freedAll, [0, 0, 1, 1])
    }

    /// Adjacent compatible anonymous mappings merge into one VMA (vma_merge), so the block is
    /// eligible again; so does an mprotect split undone.
    func testMergedVMAsAreOneForPtReclaim() {
        var s = SimProcess()
        s.mmap(A, 1 * MiB)
        s.mmap(A + 1 * MiB, 1 * MiB)
        s.mprotect(A + 512 * KiB, 4 * KiB, PROT_READ)
        s.mprotect(A + 512 * KiB, 4 * KiB, PROT_RW)
        s.touch(A, 2 * MiB)
        s.snapshot()
        s.madvise(A, 2 * MiB, MADV_DONTNEED_LOCKED)
        let rp = s.replayer()
        XCTAssertEqual(rp.vmaCount, 1)
        let r = rp.finish()
        XCTAssertEqual(r.ptes, [1, 0, 0, 0])
    }

    /// refcount frees on any DONTNEED that leaves zero entries, whatever its size.
    func testRefcountFreesOnSmallDontneedThatEmptiesBlock() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB)
        s.touch(A + 100 * page, 3 * page)
        s.snapshot()
        s.madvise(A + 99 * page, 5 * page, MADV_DONTNEED)
        let r = s.replay()
        XCTAssertEqual(r.ptes, [1, 1, 0, 0])
    }

    /// MADV_FREE: with no memory pressure lazyfree pages stay mapped; under pressure the ones
    /// not written again are discarded and refcount frees the emptied table. A page that
    /// appears later in that block is a re-allocation (churn).
    func testLazyfreeKeepVersusDiscardAndChurn() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB)
        s.touch(A, 1 * MiB)
        s.snapshot()
        s.madvise(A, 1 * MiB, MADV_FREE)
        let keep = s.replay(ReplayOptions(lazyfree: .keep))
        XCTAssertEqual(keep.ptes, [1, 1, 1, 1])
        let discard = s.replay(ReplayOptions(lazyfree: .discard))
        XCTAssertEqual(discard.ptes, [1, 1, 0, 0])
        s.touch(A + 1 * MiB, page)   // a new page, never lazyfree
        s.snapshot()
        let again = s.replay(ReplayOptions(lazyfree: .discard))
        XCTAssertEqual(again.ptes, [1, 1, 1, 1])
        XCTAssertEqual(again.policies[.refcount]!.ptePagesReallocated, 1)
        XCTAssertEqual(again.policies[.ideal]!.ptePagesReallocated, 1)
    }

    /// A later DONTNEED of lazyfree pages empties the block: refcount frees in either mode;
    /// pt-reclaim only frees whole-block calls.
    func testDontneedAfterFree() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB)
        s.touch(A, 1 * MiB)
        s.snapshot()
        s.madvise(A, 1 * MiB, MADV_FREE)
        s.madvise(A, 1 * MiB, MADV_DONTNEED)
        for mode in LazyfreeMode.allCases {
            XCTAssertEqual(s.replay(ReplayOptions(lazyfree: mode)).ptes, [1, 1, 0, 0], "\(mode)")
        }
    }

    /// ideal holds a PMD page only above populated blocks, a PUD page only above those.
    func testIdealPMDAndPUDFollowPopulation() {
        var s = SimProcess()
        let regions = [R + 100 * MiB, R + 1 * GiB + 100 * MiB, R + 512 * GiB + 100 * MiB]
        for a in regions { s.mmap(a, 1 * MiB); s.touch(a, page) }
        s.snapshot()
        s.madvise(regions[1], 1 * MiB, MADV_DONTNEED)
        var r = s.replay()
        XCTAssertEqual([r.pte(.ideal), r.pmd(.ideal), r.pud(.ideal)], [2, 2, 2])
        XCTAssertEqual([r.pte(.none), r.pmd(.none), r.pud(.none)], [3, 3, 2])
        XCTAssertEqual([r.pte(.refcount), r.pmd(.refcount), r.pud(.refcount)], [2, 3, 2])
        s.madvise(regions[2], 1 * MiB, MADV_DONTNEED)
        r = s.replay()
        XCTAssertEqual([r.pte(.ideal), r.pmd(.ideal), r.pud(.ideal)], [1, 1, 1])
    }
}
