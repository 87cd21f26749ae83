// The `refcount-pmd` variant (RefcountPMDVariant.swift) on the seed's headline test at full
// scale, against the seed's published figure (docs/seed.md): mmap 50 GiB; 25,600 times
// { touch 2 MiB; MADV_DONTNEED it }. The cover letter of "[RFC PATCH 00/18] Try to free user
// PTE page table pages" (2022-04-29) reports VmPTE 102,640 kB before and 96 kB after.
import PTModel
import XCTest

/// In SeedScenarioTests so it replays the very same scenario (`run(iterations:)`, the mapping 2 MiB
/// into a 1 GiB region: 51 PMD pages, one PUD page).
extension SeedScenarioTests {
    func testSeedFullScaleAgainstThePublishedFigure() {
        let r = run(iterations: 25_600)
        let v = r.variants[.refcountPMD]!
        // refcount as the series' code reads (free_user_pte: the PTE page only) keeps the 51
        // PMD pages and the PUD page: 208 KiB, the merged rule's 240 kB less the test
        // program's own tables.
        XCTAssertEqual(r.bytes(.refcount) / 1024, 208)
        XCTAssertEqual(r.pmd(.refcount), 51)
        // The variant gives every PMD page back once its last PTE page goes: the PUD page alone.
        XCTAssertEqual(v.ptePagesFinal, 0)
        XCTAssertEqual(v.pmdPagesFinal, 0)
        XCTAssertEqual(v.pudPagesFinal, 1)
        XCTAssertEqual(v.finalBytes / 1024, 4)
        // The published 96 kB is 24 pages. The program's own tables outside the test range are
        // 102,640 kB - 102,608 kB = 32 kB (8 pages) by the cover letter's own "before" figure,
        // so the figure leaves 64 kB (16 pages) for the range: between the variant (0-1 pages)
        // and the code (52 pages). Neither rule reproduces it; docs/seed.md says which is nearer.
        let published: UInt64 = 96, programOwn: UInt64 = 102_640 - r.bytes(.none) / 1024
        XCTAssertEqual(programOwn, 32)
        let code = r.bytes(.refcount) / 1024 + programOwn, variant = v.finalBytes / 1024 + programOwn
        XCTAssertEqual(code, 240)
        XCTAssertEqual(variant, 36)
        XCTAssertTrue(variant < published && published < code)
        print("seed 50 GiB with the program's 32 kB: refcount (code) \(code) kB, refcount-pmd \(variant) kB, "
              + "published \(published) kB")
    }

    /// A PMD page stays while any PTE page below it is left (the variant frees only empty ones).
    func testPMDPageKeptWhileAPTEPageIsLeft() {
        var s = SimProcess()
        s.mmap(M, 8 * MiB)
        s.snapshot(reason: .start)
        s.touch(M, 4 * MiB)
        s.madvise(M, 2 * MiB, MADV_DONTNEED)
        let r = s.replay()
        let v = r.variants[.refcountPMD]!
        XCTAssertEqual(v.ptePagesFinal, 1)
        XCTAssertEqual(v.pmdPagesFinal, 1)
        XCTAssertEqual(v.finalBytes, r.bytes(.refcount))
    }
}
