// Snapshots: reconciliation of unrecorded mapping changes, population truth, validation
// against the kernel's VmPTE, and the accounting over time.
import PTModel
import PTTrace
import XCTest

final class SnapshotAndValidationTests: XCTestCase {
    /// A mapping that vanished with no recorded call is unmapped with the munmap rules; one
    /// that appeared is mapped; both are counted.
    func testUnrecordedMappingsAreAppliedAndCounted() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB)
        s.touch(A, 4 * MiB)
        s.snapshot()
        // glibc-internal: unmap the first, map another, no records.
        s.drop(A, 4 * MiB); s.removeMap(A, A + 4 * MiB)
        s.addMap(A + 64 * MiB, A + 68 * MiB, perms: 3)
        s.touch(A + 64 * MiB, page)
        s.snapshot()
        let r = s.replay()
        XCTAssertEqual(r.unrecordedMappings, 2)
        XCTAssertEqual(r.ptes, [1, 1, 1, 1])
        XCTAssertEqual(r.freedAll, [2, 2, 2, 2])
        XCTAssertEqual(r.pmd(.none), 1)
    }

    /// Population that vanished without a recorded call: with inference off, the kernel
    /// policies keep the tables and ideal drops them.
    func testPopulationVanishingWithoutCallKeepsKernelTables() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB)
        s.touch(A, 4 * MiB)
        s.snapshot()
        s.drop(A, 4 * MiB)
        s.snapshot()
        let r = s.replay(ReplayOptions(inferUnrecordedZaps: false))
        XCTAssertEqual(r.unrecordedMappings, 0)
        XCTAssertEqual(r.ptes, [2, 2, 2, 0])
    }

    /// With inference on (the default): a whole block inside one anonymous VMA emptied with no
    /// recorded call is an unrecorded whole-block DONTNEED (glibc's internal __madvise):
    /// pt-reclaim and refcount free it, none keeps it. A block emptied only partly, or not
    /// wholly inside one anonymous VMA, keeps its table.
    func testUnrecordedWholeBlockReleaseIsInferred() {
        var s = SimProcess()
        s.mmap(A, 8 * MiB)
        s.mmap(A + 8 * MiB, 1 * MiB, prot: PROT_READ)     // block 4 shared by two VMAs
        s.touch(A, 9 * MiB)
        s.snapshot()
        s.drop(A + 2 * MiB, 2 * MiB)                        // block 1: all of it
        s.drop(A + 4 * MiB, 1 * MiB)                        // block 2: half
        s.drop(A + 8 * MiB, 1 * MiB)                        // block 4: half of it unmapped
        s.snapshot()
        let r = s.replay()
        XCTAssertEqual(r.ptes, [5, 4, 4, 3])
        XCTAssertEqual(r.freedAll, [0, 1, 1, 2])
    }

    /// A call's residency that shows a whole block emptied since the last observation leads to
    /// the same inference as a snapshot.
    func testResidencyRevealsUnrecordedRelease() {
        var s = SimProcess()
        s.mmap(A, 8 * MiB)
        s.touch(A, 8 * MiB)
        s.snapshot()
        s.drop(A, 4 * MiB)                                  // glibc-internal release
        s.mprotect(A, 8 * MiB, PROT_RW)                     // residency shows blocks 0-1 empty
        // No snapshot after it: look at the state now ("final" is the last snapshot's).
        let r = s.replayer(exitSnapshot: false)
        XCTAssertEqual(Policy.allCases.map { r.currentPages($0).pte }, [4, 2, 2, 2])
        XCTAssertEqual(r.currentBytes(.ptReclaim), 2 * 4096 + 4096 + 4096)
    }

    /// Lazyfree pages that vanish were discarded by vmscan: only refcount frees.
    func testVanishedLazyfreePagesFreeOnlyUnderRefcount() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB)
        s.touch(A, 2 * MiB)
        s.snapshot()
        s.madvise(A, 2 * MiB, MADV_FREE)
        s.drop(A, 2 * MiB)                                  // vmscan discarded them
        s.snapshot()
        let r = s.replay()
        XCTAssertEqual(r.ptes, [1, 1, 0, 0])
    }

    /// Validation: offset = observed - model at the first snapshot; error = model + offset -
    /// observed at each one. ObservedVmPTE summarises the kernel's figures.
    func testValidationArithmetic() {
        var s = SimProcess(kernelPolicy: "none")
        s.mmap(A, 4 * MiB)
        s.snapshot(vmPTEKiB: 100)                 // model 0 -> offset 100 KiB
        s.touch(A, 4 * MiB)
        s.snapshot(vmPTEKiB: 112)                 // model 2 PTE + 1 PMD + 1 PUD = 16 KiB
        s.snapshot(vmPTEKiB: 96)
        let r = s.replay(exitSnapshot: false)
        XCTAssertEqual(r.kernelPolicy, Policy.none)
        let v = r.validation!
        XCTAssertEqual(v.policy, Policy.none)
        XCTAssertEqual(v.initialOffsetBytes, 100 * 1024)
        XCTAssertEqual(v.samples.map { $0.errorBytes }, [0, 4096, 20 * 1024])
        XCTAssertEqual(v.samples.map { $0.modelBytes }, [0, 16384, 16384])
        XCTAssertEqual(v.maxAbsErrorBytes, 20 * 1024)
        XCTAssertEqual(v.finalErrorBytes, 20 * 1024)
        XCTAssertEqual(r.observed, ObservedVmPTE(samples: 3, firstBytes: 100 * 1024,
                                                 peakBytes: 112 * 1024, finalBytes: 96 * 1024))
    }

    func testUnknownKernelPolicyHasObservedButNoValidation() {
        var s = SimProcess(kernelPolicy: "unknown")
        s.mmap(A, 4 * MiB)
        s.snapshot(vmPTEKiB: 40)
        let r = s.replay(exitSnapshot: false)
        XCTAssertNil(r.kernelPolicy)
        XCTAssertNil(r.validation)
        XCTAssertEqual(r.observed?.samples, 1)
    }

    func testNoSnapshotMeansFinalAtLastEventAndNoObserved() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB)
        s.touch(A, 2 * MiB)
        s.mprotect(A, 4 * MiB, PROT_RW)
        let r = s.replay(exitSnapshot: false)
        XCTAssertNil(r.observed)
        XCTAssertNil(r.validation)
        XCTAssertEqual(r.ptes, [1, 1, 1, 1])
    }

    /// Final is the last snapshot; peak and the time-weighted mean cover the whole trace.
    func testFinalPeakAndMean() {
        var s = SimProcess()
        s.mmap(A, 4 * MiB)                        // t0: nothing populated yet
        s.touch(A, 2 * MiB)
        s.snapshot()                              // t0+1000: 1 PTE + 1 PMD + 1 PUD
        s.madvise(A, 2 * MiB, MADV_DONTNEED)      // t0+2000: pt-reclaim drops its PTE page
        s.snapshot(reason: .exit)                 // t0+3000
        s.mmap(A + 64 * MiB, 2 * MiB, flags: MAP_PRIVATE_ANON | 0x8000)  // MAP_POPULATE after exit snapshot
        let r = s.replay(exitSnapshot: false)
        let pt = r.policies[.ptReclaim]!
        XCTAssertEqual(pt.finalBytes, 8192)
        XCTAssertEqual(pt.peakBytes, 12288)
        XCTAssertEqual(pt.meanBytes, (0 + 12288 + 8192 + 8192) * 1000 / 4000.0, accuracy: 1e-6)
        let none = r.policies[.none]!
        XCTAssertEqual(none.finalBytes, 12288)
        XCTAssertEqual(none.peakBytes, 16384)
    }
}
