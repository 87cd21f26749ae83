// forks and exec_chain: children started by fork, vfork+exec and posix_spawn, and an image that
// execs itself, each get their own trace with exactly their own calls; the parent's trace stays
// intact.
import Foundation
import XCTest

final class ForkExecTests: XCTestCase {
    /// All traces in `dir` starting with `prefix`, read.
    private func readAll(_ dir: String, _ prefix: String) throws -> [TraceFacts] {
        try traceFiles(in: dir, prefix: prefix).map { try checkTrace($0) }
    }

    func testForkVforkAndPosixSpawnChildren() throws {
        let dir = try makeScratchDir(self, "forks")
        let rec = try record("forks", dir: dir, name: "f.ptr")
        XCTAssertTrue(rec.run.succeeded, "forks under record: \(rec.run.summary)")
        let out = try rec.run.lastJSON()
        let traces = try readAll(dir, "f.ptr")

        let parent = try XCTUnwrap(traces.first { $0.path == rec.trace }, "no parent trace \(rec.trace)")
        let parentOut = try XCTUnwrap(out["parent"] as? [String: Any])
        XCTAssertEqual(parent.pid, jsonInt(parentOut["pid"]))
        XCTAssertEqual(parent.count("mmap"), jsonInt(parentOut["pairs"]), parent.brief)
        XCTAssertEqual(parent.count("munmap"), jsonInt(parentOut["pairs"]), parent.brief)
        XCTAssertFalse(parent.truncated, "parent trace complete")

        for kind in ["fork", "vfork", "spawn"] {
            let child = try XCTUnwrap(out[kind] as? [String: Any])
            let pid = try XCTUnwrap(jsonInt(child["pid"]))
            let mine = traces.filter { $0.pid == pid }
            XCTAssertFalse(mine.isEmpty, "\(kind) child \(pid): no trace among \(traces.map(\.path))")
            XCTAssertEqual(mine.map { $0.count("mmap") }.reduce(0, +), jsonInt(child["pairs"]),
                           "\(kind) child mmap calls: \(mine.map(\.brief))")
            XCTAssertEqual(mine.map { $0.count("munmap") }.reduce(0, +), jsonInt(child["pairs"]),
                           "\(kind) child munmap calls: \(mine.map(\.brief))")
            for t in mine { XCTAssertFalse(t.truncated, "\(kind) child trace complete: \(t.brief)") }
            // docs/recorder.md: a forked child and a new program in another pid (vfork+exec,
            // posix_spawn) both write NAME.<pid>.
            XCTAssertEqual(mine.map(\.path), [rec.trace + ".\(pid)"], "\(kind) child's trace file name")
            if kind != "fork" { XCTAssertEqual(mine.first?.origin, "start", "\(kind): a new program in another pid") }
            if kind == "fork" {
                let t = try XCTUnwrap(traces.first { $0.path == rec.trace + ".\(pid)" },
                                      "fork child trace must be \(rec.trace).\(pid)")
                XCTAssertEqual(t.origin, "fork")
                XCTAssertNotNil(t.firstSnapshotIndex, "fork child trace has a snapshot")
                XCTAssertLessThan(t.firstSnapshotIndex ?? Int.max, t.firstCallIndex ?? Int.max,
                                  "fork child trace starts with a full snapshot")
                XCTAssertTrue(parent.forks.contains(Int32(pid)), "parent has a FORK record for \(pid)")
            }
        }
    }

    func testExecGetsItsOwnTraceAndParentStaysIntact() throws {
        let dir = try makeScratchDir(self, "exec")
        let rec = try record("exec_chain", dir: dir, name: "e.ptr")
        XCTAssertTrue(rec.run.succeeded, "exec_chain under record: \(rec.run.summary)")
        let out = try rec.run.lastJSON()
        let pid = try XCTUnwrap(jsonInt(out["pid"]))
        let traces = try readAll(dir, "e.ptr")

        let first = try XCTUnwrap(traces.first { $0.path == rec.trace }, "no trace \(rec.trace)")
        XCTAssertEqual(first.pid, pid)
        XCTAssertEqual(first.count("mmap"), jsonInt(out["first_pairs"]), first.brief)
        XCTAssertEqual(first.count("munmap"), jsonInt(out["first_pairs"]), first.brief)
        XCTAssertEqual(first.execs.count, 1, "first image's trace ends with its EXEC record")

        let second = traces.filter { $0.path != rec.trace }
        XCTAssertEqual(second.count, 1, "exactly one trace for the exec'd image: \(traces.map(\.path))")
        if let s = second.first {
            XCTAssertEqual(s.path, rec.trace + ".\(pid).exec1", "docs/recorder.md names it NAME.<pid>.exec1")
            XCTAssertEqual(s.pid, pid, "exec keeps the pid")
            XCTAssertEqual(s.origin, "exec")
            XCTAssertEqual(s.header["parent_trace"], rec.trace, "exec'd image names the previous image's trace")
            XCTAssertEqual(s.count("mmap"), jsonInt(out["second_pairs"]), s.brief)
            XCTAssertEqual(s.count("munmap"), jsonInt(out["second_pairs"]), s.brief)
            XCTAssertFalse(s.truncated, "second image's trace complete")
        }
    }

    func testNoFollowExecWritesOnlyTheFirstImage() throws {
        let dir = try makeScratchDir(self, "noexec")
        let rec = try record("exec_chain", options: ["--no-follow-exec"], dir: dir, name: "n.ptr")
        XCTAssertTrue(rec.run.succeeded, "exec_chain under record --no-follow-exec: \(rec.run.summary)")
        let out = try rec.run.lastJSON()
        let traces = try readAll(dir, "n.ptr")
        XCTAssertEqual(traces.map(\.path), [rec.trace], "only the first image's trace")
        if let t = traces.first {
            XCTAssertEqual(t.count("mmap"), jsonInt(out["first_pairs"]), t.brief)
            XCTAssertEqual(t.count("munmap"), jsonInt(out["first_pairs"]), t.brief)
        }
    }
}
