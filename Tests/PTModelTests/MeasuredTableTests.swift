// Every row of docs/kernel-rules.md's measured table (6.18, CONFIG_PT_RECLAIM): a 256 MiB
// 2 MiB-aligned anonymous mapping, all pages touched, MADV_NOHUGEPAGE. The "PTE pages freed"
// column is pt-reclaim's; each test also pins the other three policies.
import PTModel
import PTTrace
import XCTest

/// A 512 GiB-aligned base, so every test's tables sit under one PUD page and one PMD page.
let R: UInt64 = 0x7f00_0000_0000
let A: UInt64 = R + 256 * MiB

func measuredSetup() -> SimProcess {
    var s = SimProcess()
    s.mmap(A, 256 * MiB)
    s.madvise(A, 256 * MiB, MADV_NOHUGEPAGE)
    s.touch(A, 256 * MiB)
    // The model cannot see faults: a snapshot (the recorder takes them periodically) shows
    // the populated pages of every mapping.
    s.snapshot()
    return s
}

final class MeasuredTableTests: XCTestCase {
    func testSetupHolds128PTEPagesOnePMDOnePUD() {
        let s = measuredSetup()
        let r = s.replay()
        XCTAssertEqual(r.ptes, [128, 128, 128, 128])
        for p in Policy.allCases {
            XCTAssertEqual(r.pmd(p), 1, "\(p)")
            XCTAssertEqual(r.pud(p), 1, "\(p)")
            XCTAssertEqual(r.bytes(p), 130 * 4096, "\(p)")
        }
    }

    func testRowWholeDontneedFrees128Of128() {
        var s = measuredSetup()
        s.madvise(A, 256 * MiB, MADV_DONTNEED)
        let r = s.replay()
        XCTAssertEqual(r.freed(.ptReclaim), 128)
        XCTAssertEqual(r.ptes, [128, 0, 0, 0])
        XCTAssertEqual(r.freedAll, [0, 128, 128, 128])
        // PMD and PUD pages are never freed by madvise.
        XCTAssertEqual(r.pmd(.ptReclaim), 1)
        XCTAssertEqual(r.pud(.ptReclaim), 1)
        XCTAssertEqual(r.pmd(.ideal), 0)
        XCTAssertEqual(r.pud(.ideal), 0)
    }

    func testRowUnalignedDontneedFrees126() {
        var s = measuredSetup()
        s.madvise(A + 4 * KiB, 256 * MiB - 8 * KiB, MADV_DONTNEED)
        let r = s.replay()
        XCTAssertEqual(r.freed(.ptReclaim), 126)
        XCTAssertEqual(r.ptes, [128, 2, 2, 2])
    }

    func testRow4KiBCallsFreeNothing() {
        var s = measuredSetup()
        var off: UInt64 = 0
        while off < 8 * MiB { s.madvise(A + off, 4 * KiB, MADV_DONTNEED); off += 4 * KiB }
        let r = s.replay()
        XCTAssertEqual(r.freed(.ptReclaim), 0)
        XCTAssertEqual(r.ptes, [128, 128, 124, 124])
    }

    func testRow1MiBCallsFreeNothing() {
        var s = measuredSetup()
        var off: UInt64 = 0
        while off < 8 * MiB { s.madvise(A + off, 1 * MiB, MADV_DONTNEED); off += 1 * MiB }
        let r = s.replay()
        XCTAssertEqual(r.freed(.ptReclaim), 0)
        XCTAssertEqual(r.ptes, [128, 128, 124, 124])
    }

    func testRowMadvFreeFreesNothing() {
        var s = measuredSetup()
        s.madvise(A, 256 * MiB, MADV_FREE)
        let keep = s.replay(ReplayOptions(lazyfree: .keep))
        XCTAssertEqual(keep.freed(.ptReclaim), 0)
        XCTAssertEqual(keep.ptes, [128, 128, 128, 128])
        let discard = s.replay(ReplayOptions(lazyfree: .discard))
        XCTAssertEqual(discard.freed(.ptReclaim), 0)
        XCTAssertEqual(discard.ptes, [128, 128, 0, 0])
    }

    func testRowPageoutAfterFreeFreesNothing() {
        var s = measuredSetup()
        s.madvise(A, 256 * MiB, MADV_FREE)
        s.madvise(A, 256 * MiB, MADV_PAGEOUT)
        for mode in LazyfreeMode.allCases {
            let r = s.replay(ReplayOptions(lazyfree: mode))
            XCTAssertEqual(r.freed(.ptReclaim), 0, "\(mode)")
            // vmscan discards the clean lazyfree pages: refcount's count drops to zero.
            XCTAssertEqual(r.ptes, [128, 128, 0, 0], "\(mode)")
        }
    }

    func testRowMunmapHoleAligned32() {
        var s = measuredSetup()
        s.munmap(A + 64 * MiB, 64 * MiB)
        let r = s.replay()
        XCTAssertEqual(r.freed(.ptReclaim), 32)
        XCTAssertEqual(r.freedAll, [32, 32, 32, 32])
        XCTAssertEqual(r.ptes, [96, 96, 96, 96])
    }

    func testRowMunmapHoleStartPlus4KiB31() {
        var s = measuredSetup()
        s.munmap(A + 64 * MiB + 4 * KiB, 64 * MiB)
        let r = s.replay()
        XCTAssertEqual(r.freed(.ptReclaim), 31)
        XCTAssertEqual(r.freedAll, [31, 31, 31, 31])
        XCTAssertEqual(r.ptes, [97, 97, 97, 97])
    }

    func testRowMapFixedProtNoneOver64MiB32() {
        var s = measuredSetup()
        s.mmap(A + 64 * MiB, 64 * MiB, prot: PROT_NONE, flags: MAP_PRIVATE_ANON | MAP_FIXED)
        let r = s.replay()
        XCTAssertEqual(r.freed(.ptReclaim), 32)
        XCTAssertEqual(r.freedAll, [32, 32, 32, 32])
        XCTAssertEqual(r.ptes, [96, 96, 96, 96])
    }

    func testRowMprotectSplitBlocksNotFreed() {
        var s = measuredSetup()
        for k in 0..<UInt64(4) { s.mprotect(A + k * 2 * MiB + 1 * MiB, 4 * KiB, PROT_READ) }
        s.madvise(A, 8 * MiB, MADV_DONTNEED)
        let rp = s.replayer()
        XCTAssertEqual(rp.vmaCount, 9)
        let r = rp.finish()
        XCTAssertEqual(r.freed(.ptReclaim), 0)
        XCTAssertEqual(r.ptes, [128, 128, 124, 124])
    }

    func testRowDontneedThenTouchReallocates4() {
        var s = measuredSetup()
        s.madvise(A, 8 * MiB, MADV_DONTNEED)
        for k in 0..<UInt64(4) { s.touch(A + k * 2 * MiB, 4 * KiB) }
        s.snapshot()
        let r = s.replay()
        XCTAssertEqual(r.freed(.ptReclaim), 4)
        XCTAssertEqual(r.policies[.ptReclaim]!.ptePagesReallocated, 4)
        XCTAssertEqual(r.policies[.refcount]!.ptePagesReallocated, 4)
        XCTAssertEqual(r.policies[.ideal]!.ptePagesReallocated, 4)
        XCTAssertEqual(r.policies[.none]!.ptePagesReallocated, 0)
        XCTAssertEqual(r.ptes, [128, 128, 128, 128])
    }

    func testRowDontneedOnlyTheTouchedPageFreesNothing() {
        var s = SimProcess()
        s.mmap(A, 256 * MiB)
        s.madvise(A, 256 * MiB, MADV_NOHUGEPAGE)
        for k in 0..<UInt64(4) { s.touch(A + k * 2 * MiB, 4 * KiB) }
        for k in 0..<UInt64(4) { s.madvise(A + k * 2 * MiB, 4 * KiB, MADV_DONTNEED) }
        let r = s.replay()
        XCTAssertEqual(r.freed(.ptReclaim), 0)
        XCTAssertEqual(r.ptes, [4, 4, 0, 0])
        XCTAssertEqual(r.freedAll, [0, 0, 4, 4])
    }
}
