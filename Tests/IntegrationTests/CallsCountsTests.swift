// calls_counts: every hooked call made a known number of times from the main thread, 8
// concurrent threads and a forked child must be recorded exactly that many times, in the
// parent's trace FILE and the child's FILE.<pid>.
import Foundation
import XCTest

final class CallsCountsTests: XCTestCase {
    static let names = ["mmap", "mmap64", "munmap", "mremap", "madvise", "posix_madvise",
                        "process_madvise", "brk", "sbrk"]

    func testEveryCallRecordedExactlyOncePerProcess() throws {
        let dir = try makeScratchDir(self, "calls")
        let rec = try record("calls_counts", dir: dir, name: "cc.ptr")
        XCTAssertTrue(rec.run.succeeded, "calls_counts under record: \(rec.run.summary)")
        let out = try rec.run.lastJSON()
        let parent = try XCTUnwrap(out["parent"] as? [String: Any])
        let child = try XCTUnwrap(out["child"] as? [String: Any])
        let childPid = try XCTUnwrap(jsonInt(child["pid"]))

        let p = try checkTrace(rec.trace)
        let c = try checkTrace(rec.trace + ".\(childPid)")
        for (facts, expected, who) in [(p, parent, "parent"), (c, child, "forked child")] {
            for name in Self.names {
                XCTAssertEqual(facts.count(name), jsonInt(expected[name]),
                               "\(who): recorded \(name) calls (\(facts.brief))")
            }
            // pkey_mprotect(-1) is recorded as MPROTECT with pkey -1, like mprotect.
            let mprotects = (jsonInt(expected["mprotect"]) ?? 0) + (jsonInt(expected["pkey_mprotect"]) ?? 0)
            XCTAssertEqual(facts.count("mprotect") + facts.count("pkey_mprotect"), mprotects,
                           "\(who): recorded mprotect + pkey_mprotect")
            XCTAssertEqual(facts.failedCalls, 0, "\(who): no call failed")
            XCTAssertEqual(facts.lost, 0, "\(who): nothing lost")
            XCTAssertFalse(facts.truncated, "\(who): trace has its trailer")
        }
        XCTAssertTrue(p.forks.contains(Int32(childPid)), "parent trace has a FORK record for \(childPid): \(p.forks)")
        XCTAssertEqual(c.pid, childPid, "child trace header pid")
        XCTAssertEqual(c.origin, "fork", "child trace origin")
        if let s = c.firstSnapshotIndex {
            XCTAssertLessThan(s, c.firstCallIndex ?? Int.max, "child trace starts with a snapshot before any call")
            XCTAssertEqual(c.snapshots.first?.reason, .forkChild, "child's first snapshot reason")
        } else {
            XCTFail("child trace has no snapshot")
        }

        // The JSON report's `calls` (mmap64 counts as mmap; posix_madvise and process_madvise
        // are madvise records; pkey_mprotect is an mprotect record).
        let json = try reportJSON(rec.trace)
        let calls = try XCTUnwrap((json["trace"] as? [String: Any])?["calls"] as? [String: Any])
        func n(_ k: String) -> Int { jsonInt(parent[k]) ?? 0 }
        XCTAssertEqual(jsonInt(calls["mmap"]), n("mmap") + n("mmap64"), "JSON calls.mmap")
        XCTAssertEqual(jsonInt(calls["munmap"]), n("munmap"), "JSON calls.munmap")
        XCTAssertEqual(jsonInt(calls["mremap"]), n("mremap"), "JSON calls.mremap")
        XCTAssertEqual(jsonInt(calls["madvise"]), n("madvise") + n("posix_madvise") + n("process_madvise"),
                       "JSON calls.madvise")
        XCTAssertEqual(jsonInt(calls["mprotect"]), n("mprotect") + n("pkey_mprotect"), "JSON calls.mprotect")
        XCTAssertEqual(jsonInt(calls["brk"]), n("brk"), "JSON calls.brk")
        XCTAssertEqual(jsonInt(calls["sbrk"]), n("sbrk"), "JSON calls.sbrk")
    }
}
