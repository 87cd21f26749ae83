// Every way out of a program (exit, _exit, _Exit, return from main, abort, SIGKILL), a program
// killed from outside mid-run, and a trace that fills its disk: the trace is always readable,
// holds every call made before the end, and says whether it is complete.
import Foundation
import PTTrace
import XCTest

final class ExitTests: XCTestCase {
    /// mode -> (expected `ptreclaim record` exit status, trailer reason, trailer status);
    /// nil reason = no trailer (truncated).
    static let modes: [(String, Int32?, ExitReason?, Int64?)] = [
        ("exit", 3, .atexit, 3),
        ("return", 6, .atexit, 6),
        ("_exit", 4, .underscoreExit, 4),
        ("_Exit", 5, .underscoreExit, 5),
        ("abort", nil, .abort, 134),   // docs/recorder.md: abort() writes a trailer (status 134)
        ("sigkill", nil, nil, nil),    // SIGKILL: nothing can run; the trace is truncated
    ]

    func testEveryWayOut() throws {
        let dir = try makeScratchDir(self, "exits")
        for (mode, status, reason, trailerStatus) in Self.modes {
            let rec = try record("exits", args: [mode], dir: dir, name: "x-\(mode).ptr")
            XCTAssertFalse(rec.run.timedOut, mode)
            if let status {
                XCTAssertEqual(rec.run.exitCode, status, "\(mode): record exits with the program's status; \(rec.run.summary)")
            } else {
                XCTAssertNotEqual(rec.run.exitCode, 0, "\(mode): record reports the program's death; \(rec.run.summary)")
            }
            let out = try rec.run.lastJSON()
            let f = try checkTrace(rec.trace)
            for k in ["mmap", "madvise", "munmap"] {
                XCTAssertEqual(f.count(k), jsonInt(out[k]), "\(mode): \(k) recorded (\(f.brief))")
            }
            if let reason {
                XCTAssertFalse(f.truncated, "\(mode): trace complete")
                XCTAssertEqual(f.trailer?.exitReason, reason, "\(mode): trailer exit reason")
                if let trailerStatus {
                    XCTAssertEqual(f.trailer?.exitStatus, trailerStatus, "\(mode): trailer exit status")
                }
            } else {
                XCTAssertTrue(f.truncated, "\(mode): trace flagged truncated")
                XCTAssertNil(f.trailer, "\(mode): no trailer")
            }
        }
    }

    func testSigkillFromOutsideLeavesReadableTruncatedTrace() throws {
        let dir = try makeScratchDir(self, "killed")
        let cli = try Artifacts.cli()
        _ = try Artifacts.recorder()
        let trace = dir + "/k.ptr"
        let child = try Spawned([cli, "record", "-o", trace, "--", try Artifacts.program("killed")], outDir: dir)
        let words = try XCTUnwrap(child.waitForLine("ready "), "killed never printed ready: \(child.stderrText())")
        let pid = try XCTUnwrap(Int32(words[1])), pairs = Int(words[2])
        XCTAssertEqual(kill(pid, SIGKILL), 0, "kill \(pid)")
        let r = child.wait(timeout: 20)
        XCTAssertFalse(r.timedOut, "record did not return after its program was killed")
        XCTAssertNotEqual(r.exitCode, 0, "record reports the kill: \(r.summary)")

        let f = try checkTrace(trace)
        XCTAssertEqual(f.pid, Int(pid))
        XCTAssertTrue(f.truncated, "trace of a killed program is flagged truncated")
        XCTAssertEqual(f.count("mmap"), pairs, f.brief)
        XCTAssertEqual(f.count("munmap"), pairs, f.brief)
        let json = try reportJSON(trace)
        XCTAssertEqual((json["trace"] as? [String: Any])?["truncated"] as? Bool, true, "JSON says truncated")
    }

    func testFullDiskDropsRecordsButNotTheProgram() throws {
        let dir = try makeScratchDir(self, "diskfull")
        guard let mnt = try mountFullDisk(in: dir) else { return }
        defer { _ = try? runProcess(["/bin/umount", "-l", mnt], outDir: dir) }

        let rec = try record("diskfull", dir: mnt, name: "d.ptr", logDir: dir)
        XCTAssertTrue(rec.run.succeeded, "diskfull must run normally when its trace cannot fit: \(rec.run.summary)")
        let out = try rec.run.lastJSON()
        let pairs = try XCTUnwrap(jsonInt(out["pairs"]))
        XCTAssertEqual(pairs, 60000)

        // Copy the trace out of the full tmpfs so dump/report have room for their own output.
        let copy = dir + "/d.ptr"
        try FileManager.default.copyItem(atPath: rec.trace, toPath: copy)
        chmod(copy, 0o600)
        let f = try checkTrace(copy)
        let dropped = Int(f.trailer?.recordsDropped ?? 0)
        XCTAssertNotNil(f.trailer, "the trailer (with the dropped count) still fits: \(f.brief)")
        XCTAssertGreaterThan(dropped, 0, "records were dropped and counted: \(f.brief)")
        let recorded = f.count("mmap") + f.count("munmap")
        XCTAssertLessThan(recorded, 2 * pairs, "a 256 KiB disk cannot hold every call")
        XCTAssertGreaterThanOrEqual(recorded + dropped, 2 * pairs, "every call either recorded or counted as dropped")
        let json = try reportJSON(copy)
        XCTAssertGreaterThan(jsonInt((json["trace"] as? [String: Any])?["dropped_events"]) ?? 0, 0,
                             "JSON dropped_events")
    }

    /// A snapshot is one all-or-nothing group: on a full disk, snapshots taken every
    /// millisecond are either complete in the file or missing, never cut after their SNAPSHOT
    /// record (which the reader rejects). Several runs, because where the disk fills varies.
    func testFullDiskNeverCutsASnapshot() throws {
        let dir = try makeScratchDir(self, "diskfull-snapshots")
        guard let mnt = try mountFullDisk(in: dir) else { return }
        defer { _ = try? runProcess(["/bin/umount", "-l", mnt], outDir: dir) }

        var snapshotsSeen = 0
        for run in 0..<4 {
            let rec = try record("diskfull", options: ["--interval", "1"], dir: mnt, name: "s\(run).ptr", logDir: dir)
            XCTAssertTrue(rec.run.succeeded, "run \(run): \(rec.run.summary)")
            let copy = dir + "/s\(run).ptr"
            try FileManager.default.copyItem(atPath: rec.trace, toPath: copy)
            try FileManager.default.removeItem(atPath: rec.trace)
            chmod(copy, 0o600)
            let f = try checkTrace(copy) // fails on any decode error, e.g. a cut snapshot
            XCTAssertGreaterThan(f.trailer?.recordsDropped ?? 0, 0, "run \(run): the disk filled: \(f.brief)")
            snapshotsSeen += f.snapshots.count
        }
        XCTAssertGreaterThan(snapshotsSeen, 0, "complete snapshots still reach the file before it fills")
    }

    /// A 256 KiB tmpfs under dir, to fill up; nil (after failing the test) when it cannot be
    /// mounted. The caller unmounts it.
    private func mountFullDisk(in dir: String) throws -> String? {
        let mnt = dir + "/mnt"
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        let mount = try runProcess(["/bin/mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", mnt],
                                   outDir: dir)
        guard mount.succeeded else {
            XCTFail("cannot mount a 256 KiB tmpfs (tests run as root on the project's machines): \(mount.summary)")
            return nil
        }
        return mnt
    }
}
