// The command line as users meet it (issue 7, items 11-14 and 16): usage errors are one line
// and exit 64; values the recorder cannot honour, outputs that cannot be created and recorders
// that cannot be loaded stop `record` before the program runs (exit 1, one line); signals sent
// to `ptreclaim record` reach the program; --force clears an earlier recording but never a
// live one. Every case runs the built build/ptreclaim and checks exit status and stderr exactly.
import Foundation
import PTTrace
import XCTest

final class CLITests: XCTestCase {
    /// Runs build/ptreclaim ARGS; returns the result.
    func cli(_ args: [String], dir: String, timeout: Double = 30) throws -> RunResult {
        try runProcess([try Artifacts.cli()] + args, timeout: timeout, outDir: dir)
    }

    /// Asserts exit status `code` and that stderr is exactly `line` (plus its newline).
    func expect(_ args: [String], exit code: Int32, line: String, dir: String,
                file: StaticString = #filePath, lineNo: UInt = #line) throws {
        let r = try cli(args, dir: dir)
        XCTAssertEqual(r.exitCode, code, "ptreclaim \(args.joined(separator: " ")): \(r.summary)", file: file, line: lineNo)
        XCTAssertEqual(r.stderr, line + "\n", "ptreclaim \(args.joined(separator: " "))", file: file, line: lineNo)
    }

    // Item 13: one line, exit 64, the nearest option suggested.
    func testUsageErrorsAreOneLine() throws {
        let dir = try makeScratchDir(self, "usage")
        let cases: [([String], String)] = [
            (["record", "--intreval", "10", "--", "true"],
             "ptreclaim: record: unknown option '--intreval' (did you mean '--interval'?) (see 'ptreclaim record --help')"),
            (["record", "--stack-dept=4", "true"],
             "ptreclaim: record: unknown option '--stack-dept' (did you mean '--stack-depth'?) (see 'ptreclaim record --help')"),
            (["report", "a", "b"],
             "ptreclaim: report: unexpected argument 'b' (see 'ptreclaim report --help')"),
            (["report", "--formt", "json", "a"],
             "ptreclaim: report: unknown option '--formt' (did you mean '--format'?) (see 'ptreclaim report --help')"),
            (["report"],
             "ptreclaim: report: missing expected argument '<file>' (see 'ptreclaim report --help')"),
            (["help", "bogus"],
             "ptreclaim: no command 'bogus'; the commands are record, report, summary, diff, dump, inspect (see 'ptreclaim --help')"),
            (["reprot", "x.ptr"],
             "ptreclaim: no command 'reprot' (did you mean 'report'?); the commands are record, report, summary, diff, dump, inspect (see 'ptreclaim --help')"),
            (["record", "--", ],
             "ptreclaim: record: no command given: ptreclaim record [options] -- COMMAND [ARGS...] (see 'ptreclaim record --help')"),
        ]
        for (args, line) in cases { try expect(args, exit: 64, line: line, dir: dir) }
    }

    // Item 14: the recorder's real limits (lifecycle.c) are enforced, with the range.
    func testValuesOutsideTheRecordersRangeAreRefused() throws {
        let dir = try makeScratchDir(self, "ranges")
        let ran = dir + "/ran"
        let cases: [([String], String)] = [
            (["--interval", "-5"], "--interval -5 is out of range: 0...86400000 milliseconds"),
            (["--interval", "99999999999"], "--interval 99999999999 is out of range: 0...86400000 milliseconds"),
            (["--stack-depth", "200"], "--stack-depth 200 is out of range: 0...128 frames"),
            (["--stack-depth", "-1"], "--stack-depth -1 is out of range: 0...128 frames"),
        ]
        for (opts, what) in cases {
            try expect(["record"] + opts + ["-o", dir + "/t.ptr", "--", "/usr/bin/touch", ran], exit: 64,
                       line: "ptreclaim: record: \(what) (see 'ptreclaim record --help')", dir: dir)
            XCTAssertFalse(FileManager.default.fileExists(atPath: ran), "\(opts): the program must not run")
        }
        // The limits themselves are accepted and reach the recorder.
        let r = try cli(["record", "--stack-depth", "128", "--interval", "86400000", "-o", dir + "/max.ptr", "--", "/bin/true"], dir: dir)
        XCTAssertEqual(r.exitCode, 0, r.summary)
    }

    func testVersion() throws {
        let dir = try makeScratchDir(self, "version")
        let r = try cli(["--version"], dir: dir)
        XCTAssertEqual(r.exitCode, 0, r.summary)
        XCTAssertTrue(r.stdout.hasPrefix("ptreclaim "), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix(" (trace format version \(TraceFormat.version))\n"), r.stdout)
    }

    // Item 12: checked before the program starts; exit 1, one line.
    func testOutputThatCannotBeCreatedStopsBeforeRunning() throws {
        let dir = try makeScratchDir(self, "output")
        let ran = dir + "/ran"
        let cases: [(String, String)] = [
            ("/nonexistent/x.ptr", "ptreclaim: cannot create /nonexistent/x.ptr: No such file or directory"),
            // Root may write anywhere the permission bits forbid, but not in sysfs.
            ("/sys/x.ptr", "ptreclaim: cannot create /sys/x.ptr: Permission denied"),
            ("/proc/self/x.ptr", "ptreclaim: cannot create /proc/self/x.ptr: No such file or directory"),
            ("", "ptreclaim: --output: the trace file name is empty"),
            (dir, "ptreclaim: \(dir) is a directory: give the trace's file name"),
        ]
        for (out, line) in cases {
            try expect(["record", "-o", out, "--", "/usr/bin/touch", ran], exit: 1, line: line, dir: dir)
            XCTAssertFalse(FileManager.default.fileExists(atPath: ran), "-o '\(out)': the program must not run")
        }
        // --force never removes what is not a file.
        try expect(["record", "--force", "-o", "/dev/null", "--", "/usr/bin/touch", ran], exit: 1,
                   line: "ptreclaim: /dev/null is not a regular file; not removed", dir: dir)
        XCTAssertFalse(FileManager.default.fileExists(atPath: ran), "--force -o /dev/null: the program must not run")
        var st = stat()
        XCTAssertEqual(lstat("/dev/null", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR, "/dev/null is still the device")
        // No -o: the current directory must accept the default name.
        let r = try runProcess(["/bin/sh", "-c", "cd /sys && exec \"$0\" record -- /usr/bin/touch \"$1\"",
                                try Artifacts.cli(), ran], outDir: dir)
        XCTAssertEqual(r.exitCode, 1, r.summary)
        XCTAssertEqual(r.stderr, "ptreclaim: cannot create a trace in /sys: Permission denied\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: ran), "default output in /sys: the program must not run")
    }

    func testRecorderThatCannotBeLoadedStopsBeforeRunning() throws {
        let dir = try makeScratchDir(self, "recorder")
        let ran = dir + "/ran"
        let junk = dir + "/junk.so"
        try Data(String(repeating: "not a library\n", count: 20).utf8).write(to: URL(fileURLWithPath: junk))
        let r = try cli(["record", "--recorder", junk, "-o", dir + "/t.ptr", "--", "/usr/bin/touch", ran], dir: dir)
        XCTAssertEqual(r.exitCode, 1, r.summary)
        XCTAssertEqual(r.stderr, "ptreclaim: recorder \(junk) cannot be loaded: \(junk): invalid ELF header\n")
        // A program is not a library either.
        let r2 = try cli(["record", "--recorder", "/bin/true", "-o", dir + "/t.ptr", "--", "/usr/bin/touch", ran], dir: dir)
        XCTAssertEqual(r2.exitCode, 1, r2.summary)
        XCTAssertTrue(r2.stderr.hasPrefix("ptreclaim: recorder /bin/true cannot be loaded: "), r2.stderr)
        XCTAssertEqual(r2.stderr.filter { $0 == "\n" }.count, 1, r2.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: ran), "the program must not run")
    }

    // Item 11: SIGTERM and SIGHUP sent to `ptreclaim record` end the program as they would
    // without ptreclaim; it waits, lists the trace and exits 128+N; the trace loses its zero tail.
    func testSignalsToRecordReachTheProgram() throws {
        let dir = try makeScratchDir(self, "signals")
        for sig in [SIGTERM, SIGHUP] {
            let trace = dir + "/s\(sig).ptr"
            let (child, pid, pairs) = try startKilled(trace, dir: dir)
            XCTAssertEqual(kill(child.pid, sig), 0)
            let r = child.wait(timeout: 20)
            XCTAssertEqual(r.exitCode, 128 + sig, "signal \(sig): \(r.summary)")
            XCTAssertEqual(kill(pid, 0), -1, "signal \(sig): the program \(pid) must be gone")
            XCTAssertTrue(r.stderr.hasPrefix("ptreclaim: trace written: \(trace) ("), r.stderr)
            let f = try checkTrace(trace)
            XCTAssertTrue(f.truncated)
            XCTAssertEqual(f.count("mmap"), pairs, "signal \(sig): every call before the signal")
            var st = stat()
            XCTAssertEqual(stat(trace, &st), 0)
            XCTAssertLessThan(st.st_size, 1 << 20, "signal \(sig): the unwritten zero tail is cut")
        }
    }

    // Item 16: --force never touches a live recording, and removes all of a finished one.
    func testForceLeavesLiveRecordingAloneAndClearsFinishedOne() throws {
        let dir = try makeScratchDir(self, "force")
        let trace = dir + "/f.ptr"
        let (first, pid, _) = try startKilled(trace, dir: dir)
        XCTAssertTrue(TraceLiveness.isBeingWritten(trace), "the recorder holds its trace's lock")
        var before = stat()
        XCTAssertEqual(stat(trace, &before), 0)
        try expect(["record", "--force", "-o", trace, "--", "/bin/true"], exit: 1,
                   line: "ptreclaim: \(trace) is being written by a running recording; not removed (choose another --output)",
                   dir: dir)
        var after = stat()
        XCTAssertEqual(stat(trace, &after), 0, "the live trace is still there")
        XCTAssertEqual(before.st_ino, after.st_ino, "the live trace was not replaced")
        kill(pid, SIGKILL)
        _ = first.wait(timeout: 20)
        XCTAssertFalse(TraceLiveness.isBeingWritten(trace), "the lock goes with the process")

        // The earlier recording's children and exec'd images go too; other files stay.
        let family = ["f.ptr.4242", "f.ptr.4242.1", "f.ptr.4242.exec1"].map { dir + "/" + $0 }
        let others = ["f.ptr.json", "f.ptr.4242.txt", "f.ptrx"].map { dir + "/" + $0 }
        for p in family + others { XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data("x".utf8))) }
        let r = try cli(["record", "--force", "-o", trace, "--", "/bin/true"], dir: dir)
        XCTAssertEqual(r.exitCode, 0, r.summary)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "only the new trace is listed: \(r.stderr)")
        for p in family { XCTAssertFalse(FileManager.default.fileExists(atPath: p), "\(p) removed by --force") }
        for p in others { XCTAssertTrue(FileManager.default.fileExists(atPath: p), "\(p) is not a trace of the recording") }
        try checkTrace(trace)
    }
}

// Items 17 and 19: how a trace ended, in the report's words, the JSON and dump's last line.
final class TraceEndingTests: XCTestCase {
    func report(_ args: [String], dir: String) throws -> RunResult {
        try runProcess([try Artifacts.cli(), "report"] + args, timeout: 120, outDir: dir)
    }

    func testTraceEndedInExecNamesItsContinuation() throws {
        let dir = try makeScratchDir(self, "execend")
        let rec = try record("exec_chain", dir: dir, name: "e.ptr")
        XCTAssertEqual(rec.run.exitCode, 0, rec.run.summary)
        let pid = try XCTUnwrap(jsonInt(try rec.run.lastJSON()["pid"]))
        let next = "\(rec.trace).\(pid).exec1"
        let prog = try Artifacts.program("exec_chain")
        let text = try report([rec.trace], dir: dir)
        XCTAssertEqual(text.exitCode, 0, text.summary)
        XCTAssertTrue(text.stdout.contains("  status       ended in exec of \(prog): continued in \(next)   "), text.stdout)
        let json = try reportJSON(rec.trace)["trace"] as? [String: Any]
        XCTAssertEqual(json?["status"] as? String, "exec")
        XCTAssertEqual(json?["continued_in"] as? String, next)
        XCTAssertEqual(json?["truncated"] as? Bool, true, "no trailer, as before")
        let dump = try runProcess([try Artifacts.cli(), "dump", rec.trace], outDir: dir)
        XCTAssertTrue(dump.stdout.hasSuffix(", ended in exec of \(prog): continued in \(next)\n"), String(dump.stdout.suffix(200)))
        // The last image's trace is complete.
        let last = try reportJSON(next)["trace"] as? [String: Any]
        XCTAssertEqual(last?["status"] as? String, "complete")
    }

    func testRunningProgramsTraceIsInProgressThenTruncated() throws {
        let dir = try makeScratchDir(self, "inprogress")
        let trace = dir + "/k.ptr"
        let (child, pid, _) = try startKilled(trace, dir: dir)
        let live = try report([trace], dir: dir)
        XCTAssertEqual(live.exitCode, 0, live.summary)
        XCTAssertTrue(live.stdout.contains("  status       in progress (no trailer yet: the program is still running; figures so far)   "),
                      live.stdout)
        XCTAssertEqual((try reportJSON(trace)["trace"] as? [String: Any])?["status"] as? String, "in_progress")
        kill(pid, SIGKILL)
        _ = child.wait(timeout: 20)
        let dead = try report([trace], dir: dir)
        XCTAssertTrue(dead.stdout.contains("  status       TRUNCATED (no trailer: the program was killed or the file was cut)   "),
                      dead.stdout)
        XCTAssertEqual((try reportJSON(trace)["trace"] as? [String: Any])?["status"] as? String, "truncated")
    }

    /// Data after a complete trace: the report is printed, says DAMAGED with the byte offset,
    /// and exits 2 with one line; JSON has trace.damaged.
    func testDataAfterTheTrailerIsReported() throws {
        let dir = try makeScratchDir(self, "damage")
        let rec = try record("exits", args: ["exit"], dir: dir, name: "d.ptr")
        XCTAssertEqual(rec.run.exitCode, 3, rec.run.summary)
        var data = try Data(contentsOf: URL(fileURLWithPath: rec.trace))
        let size = data.count
        var rng = SystemRandomNumberGenerator()
        data.append(contentsOf: (0..<5000).map { _ in UInt8.random(in: 1...255, using: &rng) })
        try data.write(to: URL(fileURLWithPath: rec.trace))
        let what = "5000 bytes of data after the trailer"
        let text = try report([rec.trace], dir: dir)
        XCTAssertEqual(text.exitCode, 2, text.summary)
        XCTAssertEqual(text.stderr, "ptreclaim: \(rec.trace): byte \(size): \(what)\n")
        XCTAssertTrue(text.stdout.contains("  status       DAMAGED at byte \(size): \(what)   "), text.stdout)
        let json = try report(["--format", "json", rec.trace], dir: dir)
        XCTAssertEqual(json.exitCode, 2, json.summary)
        let t = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["trace"] as? [String: Any]
        XCTAssertEqual(t?["status"] as? String, "damaged")
        let d = t?["damaged"] as? [String: Any]
        XCTAssertEqual(jsonInt(d?["offset"]), size)
        XCTAssertEqual(d?["what"] as? String, what)
        let dump = try runProcess([try Artifacts.cli(), "dump", rec.trace], outDir: dir)
        XCTAssertEqual(dump.exitCode, 2, dump.summary)
        XCTAssertTrue(dump.stdout.contains(", DAMAGED at byte \(size): \(what);"), String(dump.stdout.suffix(300)))
    }
}

extension XCTestCase {
    /// Starts `record -o TRACE -- killed` and waits for the program's "ready PID N" line.
    func startKilled(_ trace: String, dir: String, options: [String] = []) throws -> (Spawned, pid_t, Int) {
        let child = try Spawned([try Artifacts.cli(), "record"] + options + ["-o", trace, "--", try Artifacts.program("killed")],
                                outDir: dir)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !child.poll() {
            if let line = child.stdoutText().split(separator: "\n").first(where: { $0.hasPrefix("ready ") }) {
                let w = line.split(separator: " ")
                return (child, pid_t(w[1])!, Int(w[2])!)
            }
            usleep(2000)
        }
        throw TestFailure("killed never printed ready: \(child.stderrText())")
    }
}
