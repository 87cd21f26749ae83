// Programs that stress the recorder from inside: signal handlers re-entering it, dlopen/dlsym
// and deep stacks (libunwind and dlsym running inside the hooks), and a daemon-like program
// that closes every descriptor and dup2()s over the rest.
import Foundation
import XCTest

final class HostileProgramTests: XCTestCase {
    func testSignalHandlersCallingMmapDoNotDeadlock() throws {
        let dir = try makeScratchDir(self, "signals")
        let rec = try record("signals", dir: dir, timeout: 60)
        XCTAssertTrue(rec.run.succeeded, "signals under record: \(rec.run.summary)")
        let out = try rec.run.lastJSON()
        let f = try checkTrace(rec.trace)
        let made = (jsonInt(out["main_calls"]) ?? 0) + (jsonInt(out["handler_calls"]) ?? 0)
        XCTAssertGreaterThan(jsonInt(out["signals"]) ?? 0, 0, "some signals were handled")
        // The main loop's madvise never runs in a handler, so none may be lost.
        XCTAssertEqual(f.count("madvise"), jsonInt(out["madvise"]), f.brief)
        XCTAssertLessThanOrEqual(f.count("mmap"), jsonInt(out["mmap"]) ?? 0, f.brief)
        XCTAssertLessThanOrEqual(f.count("munmap"), jsonInt(out["munmap"]) ?? 0, f.brief)
        let recorded = f.count("mmap") + f.count("madvise") + f.count("munmap")
        XCTAssertEqual(recorded + Int(f.lost), made, "recorded + lost = calls made (\(f.brief))")
        XCTAssertLessThanOrEqual(Int(f.lost), jsonInt(out["handler_calls"]) ?? 0, "only handler calls may be lost")
    }

    func testDlopenDlsymAndDeepStacksRecordedExactly() throws {
        let dir = try makeScratchDir(self, "recursion")
        let rec = try record("recursion", dir: dir)
        XCTAssertTrue(rec.run.succeeded, "recursion under record: \(rec.run.summary)")
        let out = try rec.run.lastJSON()
        let f = try checkTrace(rec.trace)
        for k in ["mmap", "munmap", "madvise"] {
            let got = k == "mmap" ? f.count("mmap") + f.count("mmap64") : f.count(k)
            XCTAssertEqual(got, jsonInt(out[k]), "\(k): \(f.brief)")
        }
        XCTAssertEqual(f.count("mremap") + f.count("mprotect") + f.count("brk") + f.count("sbrk"), 0,
                       "nothing the recorder or ld.so did is recorded as the program's")
        XCTAssertGreaterThan(f.moduleGenerations.count, 1, "dlopen/dlclose wrote new module maps")

        // The madvise calls sit under a 300-frame recursion: their stacks are cut at the
        // default depth (32 frames), not missing.
        let deep = try TraceFacts.read(rec.trace, keepCalls: true).callList.filter {
            if case .madvise = $0.kind { return true } else { return false }
        }
        let depths = Set(deep.map { f.stackDepth($0.stack) })
        XCTAssertFalse(depths.isEmpty)
        XCTAssertTrue(depths.allSatisfy { $0 >= 30 && $0 <= 32 }, "deep stacks recorded 30...32 frames: \(depths)")
    }

    func testClosingEveryDescriptorKeepsRecording() throws {
        let dir = try makeScratchDir(self, "closeall")
        let rec = try record("closeall", dir: dir)
        XCTAssertTrue(rec.run.succeeded, "closeall under record: \(rec.run.summary)")
        let out = try rec.run.lastJSON()
        let f = try checkTrace(rec.trace)
        for k in ["mmap", "munmap", "madvise", "mprotect"] {
            XCTAssertEqual(f.count(k), jsonInt(out[k]), "\(k): \(f.brief)")
        }
        XCTAssertFalse(f.truncated, "trace ends with its trailer")
        XCTAssertEqual(f.lost, 0)
    }
}
