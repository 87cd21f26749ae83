// Geometry (VmPTE = PTE + PMD + PUD pages), allocation learned from observations, and THPs
// with their deposited PTE page.
import PTModel
import PTTrace
import XCTest

final class GeometryAndTHPTests: XCTestCase {
    /// Measured: touching one page in each of 64 separate 1 GiB regions adds 8 KiB each
    /// (a PTE page and a PMD page); all 64 share one PUD page.
    func testOnePagePerGiBRegionCostsPTEPlusPMD() {
        var s = SimProcess()
        for i in 0..<UInt64(64) {
            s.mmap(R + i * GiB, 1 * MiB)
            s.touch(R + i * GiB, page)
        }
        s.snapshot()
        let r = s.replay()
        for p in Policy.allCases {
            XCTAssertEqual(r.pte(p), 64, "\(p)")
            XCTAssertEqual(r.pmd(p), 64, "\(p)")
            XCTAssertEqual(r.pud(p), 1, "\(p)")
            XCTAssertEqual(r.bytes(p), 64 * 8 * KiB + 4 * KiB, "\(p)")
        }
    }

    /// A block seen populated in a call's residency gets its PTE page under every policy (an
    /// observed __pte_alloc), with the PMD and PUD pages above it.
    func testResidencyRevealsAllocation() {
        var s = SimProcess()
        s.mmap(A, 8 * MiB)
        s.touch(A + 3 * MiB, page)
        s.mprotect(A, 8 * MiB, PROT_RW)   // any call carrying residency
        let r = s.replay(exitSnapshot: false)
        XCTAssertEqual(r.ptes, [1, 1, 1, 1])
        for p in Policy.allCases { XCTAssertEqual(r.bytes(p), 3 * 4096, "\(p)") }
    }

    /// An anonymous THP keeps a deposited PTE page that VmPTE counts.
    func testAnonymousTHPCountsItsDepositedTable() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB)
        s.touchHuge(block: A >> 21)
        s.snapshot()
        let r = s.replay()
        XCTAssertEqual(r.ptes, [1, 1, 1, 1])
        for p in Policy.allCases { XCTAssertEqual(r.pmd(p), 1, "\(p)") }
    }

    /// A whole-block zap of a PMD-mapped anonymous THP frees the deposited table under every
    /// policy, `none` included (zap_huge_pmd -> zap_deposited_table).
    func testWholeBlockZapOfTHPFreesDepositEvenUnderNone() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB)
        s.touchHuge(block: A >> 21)
        s.madvise(A, 2 * MiB, MADV_DONTNEED)
        let r = s.replay()
        XCTAssertEqual(r.ptes, [0, 0, 0, 0])
        XCTAssertEqual(r.freedAll, [1, 1, 1, 1])
    }

    /// A partial zap splits the THP: the deposited table becomes its PTE page and stays.
    func testPartialZapOfTHPSplitsAndKeepsTable() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB)
        s.touchHuge(block: A >> 21)
        s.madvise(A, 4 * KiB, MADV_DONTNEED)
        let r = s.replay()
        XCTAssertEqual(r.ptes, [1, 1, 1, 1])
        XCTAssertEqual(r.freedAll, [0, 0, 0, 0])
    }

    /// Shared (shmem) THPs and hugetlb pages are mapped by a PMD entry with no deposited
    /// table: a PMD page, no PTE page; pt-reclaim never applies to hugetlb.
    func testShmemTHPAndHugetlbHaveNoPTEPage() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB, flags: 0x21)                        // MAP_SHARED|MAP_ANONYMOUS
        s.touchHuge(block: A >> 21)
        s.mmap(A + 64 * MiB, 4 * MiB, flags: MAP_PRIVATE_ANON | MAP_HUGETLB)
        s.touchHuge(block: (A + 64 * MiB) >> 21)
        s.touchHuge(block: (A + 66 * MiB) >> 21)
        s.snapshot()
        s.madvise(A + 64 * MiB, 2 * MiB, MADV_DONTNEED)
        let r = s.replay()
        XCTAssertEqual(r.ptes, [0, 0, 0, 0])
        for p in Policy.allCases { XCTAssertEqual(r.pmd(p), 1, "\(p)") }
        XCTAssertEqual(r.freedAll, [0, 0, 0, 0])
    }
}
