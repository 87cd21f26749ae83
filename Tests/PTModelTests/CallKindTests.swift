// Call-level rules: failed calls, posix_madvise, madvise over holes, process_madvise, and the
// attribution of page-table effects to call sites.
import PTModel
import PTTrace
import XCTest

final class CallKindTests: XCTestCase {
    /// glibc's posix_madvise ignores POSIX_MADV_DONTNEED: no system call, no change.
    func testPosixMadviseDontneedIsNoOp() {
        var s = measuredSetup()
        s.madvise(A, 256 * MiB, MADV_DONTNEED, posix: true)
        let r = s.replay()
        XCTAssertEqual(r.ptes, [128, 128, 128, 128])
    }

    /// A failed call changes nothing.
    func testFailedCallsChangeNothing() {
        var s = measuredSetup()
        s.call(.munmap(address: A, length: 256 * MiB), residency: s.residency(A, 256 * MiB), errno: 22)
        s.mmap(A, 64 * MiB, flags: MAP_PRIVATE_ANON | MAP_FIXED, errno: 12)
        let rp = s.replayer()
        XCTAssertEqual(rp.vmaCount, 1)
        XCTAssertEqual(rp.finish().ptes, [128, 128, 128, 128])
    }

    /// madvise over a range with a hole fails with ENOMEM after advising the mapped parts
    /// (madvise_walk_vmas), so its zaps happened.
    func testMadviseOverHoleStillAdvisesMappedParts() {
        var s = SimProcess()
        s.mmap(A, 2 * MiB)
        s.mmap(A + 4 * MiB, 2 * MiB)
        s.touch(A, 2 * MiB)
        s.touch(A + 4 * MiB, 2 * MiB)
        s.snapshot()
        s.call(.madvise(address: A, length: 6 * MiB, advice: MADV_DONTNEED, posix: false),
               residency: s.residency(A, 6 * MiB), errno: 12)
        s.drop(A, 6 * MiB)
        let r = s.replay()
        XCTAssertEqual(r.ptes, [2, 0, 0, 0])
    }

    /// process_madvise on the process itself: each range as madvise (here PAGEOUT after FREE:
    /// the lazyfree pages are discarded; only refcount frees).
    func testProcessMadvisePageout() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB)
        s.touch(A, 4 * MiB)
        s.snapshot()
        s.madvise(A, 4 * MiB, MADV_FREE)
        s.call(.processMadvise(pidfd: 3, advice: MADV_PAGEOUT, flags: 0,
                               ranges: [AddressRange(address: A, length: 2 * MiB),
                                        AddressRange(address: A + 2 * MiB, length: 2 * MiB)],
                               result: 4 * MiB))
        s.drop(A, 4 * MiB)
        let r = s.replay()
        XCTAssertEqual(r.ptes, [2, 2, 0, 0])
        var cold = SimProcess()
        cold.mmap(A, 4 * MiB)
        cold.touch(A, 4 * MiB)
        cold.snapshot()
        cold.call(.processMadvise(pidfd: 3, advice: MADV_COLD, flags: 0,
                                  ranges: [AddressRange(address: A, length: 4 * MiB)], result: 4 * MiB))
        XCTAssertEqual(cold.replay().ptes, [2, 2, 2, 2])
    }

    /// Each leaf stack gets its calls, what each policy freed there, and the PTE pages its
    /// calls left empty but allocated under `none`.
    func testCallSiteAttribution() {
        var s = SimProcess()
        s.mmap(A, 8 * MiB)
        s.touch(A, 2 * MiB)
        s.touch(A + 2 * MiB, page)
        s.snapshot()
        s.stack = 7
        s.madvise(A, 2 * MiB, MADV_DONTNEED)             // whole block
        s.stack = 9
        s.madvise(A + 2 * MiB, page, MADV_DONTNEED)      // the only page of the next block
        s.madvise(A + 4 * MiB, page, MADV_DONTNEED)      // nothing there
        let r = s.replay()
        let seven = r.callSites.first { $0.stack == 7 }!
        XCTAssertEqual(seven.calls, 1)
        XCTAssertEqual(seven.ptePagesLeftEmpty, 1)
        XCTAssertEqual(seven.ptePagesFreed[.ptReclaim], 1)
        XCTAssertEqual(seven.ptePagesFreed[.refcount], 1)
        XCTAssertEqual(seven.ptePagesFreed[.none], 0)
        let nine = r.callSites.first { $0.stack == 9 }!
        XCTAssertEqual(nine.calls, 2)
        XCTAssertEqual(nine.ptePagesLeftEmpty, 1)
        XCTAssertEqual(nine.ptePagesFreed[.ptReclaim], 0)
        XCTAssertEqual(nine.ptePagesFreed[.refcount], 1)
        XCTAssertEqual(nine.ptePagesFreed[.ideal], 1)
    }
}
