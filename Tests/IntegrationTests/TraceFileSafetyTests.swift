// The trace file itself: never follows a planted symlink, never overwrites without --force,
// mode 0600 (checked for every trace in checkTrace); and the recorder never links Swift.
import Foundation
import XCTest

final class TraceFileSafetyTests: XCTestCase {
    func testRecorderLinksNoSwift() throws {
        let lib = try Artifacts.recorder()
        let readelf = try Artifacts.tool("readelf")
        let dir = try makeScratchDir(self, "readelf")
        let r = try runProcess([readelf, "-d", lib], outDir: dir)
        XCTAssertTrue(r.succeeded, r.summary)
        let needed = r.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        XCTAssertFalse(needed.isEmpty, "readelf -d lists NEEDED entries")
        for line in needed {
            XCTAssertFalse(line.contains("libswift"), "libptreclaim.so needs a Swift library: \(line)")
            let ok = ["libc.so", "libdl.so", "libpthread.so", "libunwind", "ld-linux"].contains { line.contains($0) }
            XCTAssertTrue(ok, "libptreclaim.so links only libc, libdl/libpthread and libunwind: \(line)")
        }
    }

    func testPlantedSymlinkIsNotFollowed() throws {
        let dir = try makeScratchDir(self, "symlink")
        let target = dir + "/precious.txt", link = dir + "/s.ptr"
        try "precious\n".write(toFile: target, atomically: false, encoding: .utf8)
        XCTAssertEqual(symlink(target, link), 0)

        for options in [[], ["--force"]] {
            let rec = try record("exits", args: ["exit"], options: options, dir: dir, name: "s.ptr")
            XCTAssertFalse(rec.run.timedOut)
            XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "precious\n",
                           "record \(options) wrote through the planted symlink")
        }
        // Preloaded by hand (PTRECLAIM_OUTPUT): the library must not follow it either, and the
        // program still runs. (--force above may have replaced the link: plant it again.)
        unlink(link)
        XCTAssertEqual(symlink(target, link), 0)
        let prog = try Artifacts.program("exits")
        let r = try runProcess([prog, "exit"], extraEnv: ["LD_PRELOAD": try Artifacts.recorder(), "PTRECLAIM_OUTPUT": link],
                        outDir: dir)
        XCTAssertEqual(r.exitCode, 3, "the program runs normally: \(r.summary)")
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "precious\n",
                       "the recorder wrote through the planted symlink")
        // What was written instead went to other names (docs/recorder.md: NAME.<pid>...):
        // each is a regular, complete trace of the program.
        for path in traceFiles(in: dir, prefix: "s.ptr.") {
            var st = stat()
            XCTAssertEqual(lstat(path, &st), 0)
            XCTAssertEqual(st.st_mode & S_IFMT, S_IFREG, "\(path) is a regular file")
            let f = try checkTrace(path)
            XCTAssertEqual(f.count("mmap"), 100, f.brief)
        }
    }

    func testExistingFileNeedsForce() throws {
        let dir = try makeScratchDir(self, "force")
        let path = dir + "/o.ptr"
        try "keep me\n".write(toFile: path, atomically: false, encoding: .utf8)
        let rec = try record("exits", args: ["exit"], dir: dir, name: "o.ptr")
        XCTAssertNotEqual(rec.run.exitCode, 0, "record must refuse to overwrite: \(rec.run.summary)")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "keep me\n", "existing file untouched")
        XCTAssertFalse(rec.run.stderr.isEmpty, "record says why it refused")
        XCTAssertFalse(rec.run.stderr.contains("Fatal error"), "a clear message, not a crash: \(rec.run.stderr)")

        let forced = try record("exits", args: ["exit"], options: ["--force"], dir: dir, name: "o.ptr")
        XCTAssertEqual(forced.run.exitCode, 3, "with --force record runs the program: \(forced.run.summary)")
        let f = try checkTrace(path)
        XCTAssertEqual(f.count("mmap"), 100, f.brief)
    }
}
