// Programs that make the recorder's own work hard (issue 7, items 3-7 and 10): children made
// with raw clone/clone3, a signal handler on a small alternate stack, a file size limit, no file
// descriptors left, a seccomp filter that kills on ioctl. Each runs bare and under the
// recorder: same exit status, same output, and the trace says exactly what was and was not
// recorded.
import Foundation
import XCTest

final class HostileLimitsTests: XCTestCase {
    /// The program run without the recorder (the reference).
    func bare(_ program: String, args: [String] = [], dir: String, timeout: Double = 120) throws -> RunResult {
        let r = try runProcess([try Artifacts.program(program)] + args, timeout: timeout, outDir: dir)
        XCTAssertTrue(r.succeeded, "\(program) without the recorder: \(r.summary)")
        return r
    }

    /// The program bare, then under `ptreclaim record`: both exit 0. `sameOutput`: and print the
    /// same (programs whose counts do not depend on timing).
    func recordAfterBare(_ program: String, args: [String] = [], dir: String, what: String,
                         sameOutput: Bool = false) throws -> Recorded {
        let ref = try bare(program, args: args, dir: dir)
        let rec = try record(program, args: args, dir: dir, timeout: 120)
        XCTAssertTrue(rec.run.succeeded, "\(program) \(args.joined(separator: " ")) under record (\(what)): \(rec.run.summary)")
        if sameOutput { XCTAssertEqual(rec.run.stdout, ref.stdout, "\(program): output under record = bare output") }
        return rec
    }

    func recordLikeBare(_ program: String, args: [String] = [], dir: String, what: String) throws -> Recorded {
        try recordAfterBare(program, args: args, dir: dir, what: what, sameOutput: true)
    }

    func testRawCloneChildrenNeverTouchTheParentsTrace() throws {
        let dir = try makeScratchDir(self, "rawclone")
        let ref = try bare("rawclone", dir: dir)
        XCTAssertEqual(jsonInt(try ref.lastJSON()["hung"]), 0, "bare run: \(ref.stdout)")
        let rec = try record("rawclone", dir: dir, timeout: 120)
        XCTAssertTrue(rec.run.succeeded, "rawclone under record: \(rec.run.summary)")
        let out = try rec.run.lastJSON()
        XCTAssertEqual(jsonInt(out["hung"]), 0, "children that hung under the recorder (killed after 2 s)")
        XCTAssertEqual(jsonInt(out["failed"]), 0, "children that failed under the recorder")
        // The parent's trace decodes (no child wrote into it) and holds exactly its own calls.
        let f = try checkTrace(rec.trace)
        XCTAssertFalse(f.truncated, f.brief)
        XCTAssertEqual(f.count("madvise"), jsonInt(out["madvise"]), f.brief)
        XCTAssertEqual(f.count("mmap"), 1, f.brief)
        XCTAssertEqual(f.count("munmap"), 1, f.brief)
        XCTAssertEqual(f.lost, 0, f.brief)
        XCTAssertTrue(f.forks.isEmpty, "raw clones are not forks the recorder saw: \(f.forks.count)")
        XCTAssertEqual(traceFiles(in: dir, prefix: "rawclone.ptr"), [rec.trace],
                       "raw clone children forward their calls and write no trace")
    }

    func testSmallAlternateSignalStackDoesNotCrash() throws {
        for kib in ["5", "6"] {
            let dir = try makeScratchDir(self, "altstack\(kib)")
            let rec = try recordAfterBare("altstack", args: [kib], dir: dir, what: "SIGSEGV is signal 11")
            let out = try rec.run.lastJSON()
            let f = try checkTrace(rec.trace)
            XCTAssertFalse(f.truncated, f.brief)
            XCTAssertEqual(f.count("madvise"), jsonInt(out["madvise"]), f.brief)
            let recorded = f.count("mmap") + f.count("munmap")
            XCTAssertEqual(recorded + Int(f.lost), (jsonInt(out["mmap"]) ?? 0) + (jsonInt(out["munmap"]) ?? 0),
                           "recorded + lost = calls made: \(f.brief)")
        }
    }

    func testFileSizeLimitDropsRecordsAndSparesTheProgram() throws {
        let dir = try makeScratchDir(self, "fsize")
        let rec = try recordLikeBare("fsize", dir: dir, what: "SIGXFSZ is exit 153")
        let f = try checkTrace(rec.trace)
        XCTAssertFalse(f.truncated, "the trailer fits in the room kept for it: \(f.brief)")
        let dropped = f.trailer?.recordsDropped ?? 0
        XCTAssertGreaterThan(dropped, 0, "records that did not fit are dropped and counted")
        XCTAssertEqual(f.lost, 0, "no call was lost: records were dropped")

        // Item 10: the report says which is which.
        let json = try reportJSON(rec.trace)
        let t = json["trace"] as? [String: Any] ?? [:]
        XCTAssertEqual(jsonInt(t["records_dropped"]), Int(dropped), "JSON trace.records_dropped")
        XCTAssertEqual(jsonInt(t["calls_lost"]), 0, "JSON trace.calls_lost")
        XCTAssertEqual(jsonInt(t["dropped_events"]), Int(dropped), "JSON trace.dropped_events (deprecated sum)")
        let text = try runProcess([try Artifacts.cli(), "report", rec.trace], timeout: 120, outDir: dir)
        XCTAssertTrue(text.stdout.contains("calls lost 0   records dropped \(dropped)"), text.stdout)

        // A limit set before the program starts (the recorder's first reservation is over it).
        let prlimit = try Artifacts.tool("prlimit")
        let trace2 = dir + "/inherited.ptr"
        let r2 = try runProcess([try Artifacts.cli(), "record", "-o", trace2, "--", prlimit, "--fsize=65536",
                                 try Artifacts.program("fsize"), "inherited"], timeout: 120, outDir: dir)
        XCTAssertTrue(r2.succeeded, "prlimit --fsize=65536 fsize under record: \(r2.summary)")
        XCTAssertEqual(jsonInt(try r2.lastJSON()["fsize"]), 65536)
        let files = traceFiles(in: dir, prefix: "inherited.ptr")
        XCTAssertEqual(files.count, 2, "prlimit's trace and the exec'd program's: \(files)")
        for file in files.filter({ $0.contains(".exec") }) {
            var st = stat()
            XCTAssertEqual(stat(file, &st), 0)
            XCTAssertLessThanOrEqual(st.st_size, 65536, "the trace never grows past RLIMIT_FSIZE")
            let g = try checkTrace(file)
            XCTAssertFalse(g.truncated, g.brief)
            XCTAssertGreaterThan(g.trailer?.recordsDropped ?? 0, 0, g.brief)
        }
    }

    func testOutOfDescriptorsTakesTheCheapPathOnce() throws {
        let dir = try makeScratchDir(self, "nofd")
        let rec = try recordLikeBare("nofd", dir: dir, what: "out of descriptors")
        let out = try rec.run.lastJSON()
        let f = try checkTrace(rec.trace)
        for k in ["mmap", "madvise", "munmap"] { XCTAssertEqual(f.count(k), jsonInt(out[k]), "\(k): \(f.brief)") }
        XCTAssertEqual(f.lost, 0, f.brief)

        // The cost, counted in system calls (not time): strace the recorded program. Without a
        // descriptor for /proc/self/pagemap the recorder used to fall back to mincore page by
        // page (~500 calls per hooked call) and to retry the open on every call.
        let strace = try Artifacts.tool("strace")
        let counts = dir + "/strace.txt"
        let r = try runProcess([strace, "-f", "-c", "-o", counts, "-e", "trace=mincore,openat",
                                try Artifacts.program("nofd")],
                               extraEnv: ["LD_PRELOAD": try Artifacts.recorder(),
                                          "PTRECLAIM_OUTPUT": dir + "/strace.ptr"],
                               timeout: 300, outDir: dir)
        XCTAssertTrue(r.succeeded, "nofd under strace and the recorder: \(r.summary)")
        let table = (try? String(contentsOfFile: counts, encoding: .utf8)) ?? ""
        func calls(_ name: String) -> Int {
            for line in table.split(separator: "\n") {
                let cols = line.split(separator: " ")
                if cols.last.map(String.init) == name, cols.count >= 5 { return Int(cols[3]) ?? -1 }
            }
            return 0
        }
        let hooked = 3 * 2000
        // libunwind checks each frame's address with one mincore per unwound call.
        XCTAssertLessThanOrEqual(calls("mincore"), 2 * hooked, "mincore calls for \(hooked) hooked calls:\n\(table)")
        XCTAssertLessThanOrEqual(calls("openat"), 200, "open attempts for \(hooked) hooked calls:\n\(table)")
    }

    func testSeccompFilterThatKillsOnIoctlDoesNotKillTheProgram() throws {
        for mode in ["", "exec"] {
            let dir = try makeScratchDir(self, "seccomp\(mode)")
            let args = mode.isEmpty ? [] : [mode]
            let rec = try recordLikeBare("seccomp_ioctl", args: args, dir: dir, what: "SIGSYS is exit 159")
            let out = try rec.run.lastJSON()
            let files = traceFiles(in: dir, prefix: "seccomp_ioctl.ptr")
            let trace = mode.isEmpty ? rec.trace : (files.first { $0.contains(".exec") } ?? "")
            let f = try TraceFacts.read(trace, keepCalls: true)
            _ = try checkTrace(trace)
            for k in ["mmap", "madvise", "munmap"] { XCTAssertEqual(f.count(k), jsonInt(out[k]), "\(k): \(f.brief)") }
            XCTAssertEqual(f.lost, 0, f.brief)
            // Residency is still read (pread of /proc/self/pagemap instead of the ioctl).
            let unmaps = f.callList.filter { if case .munmap = $0.kind { return true } else { return false } }
            XCTAssertEqual(unmaps.filter { $0.residency != nil }.count, unmaps.count, "munmaps with residency")
        }
    }

    func testSignalHandlerCallsAreRecordedNotLost() throws {
        let dir = try makeScratchDir(self, "signals-side")
        let rec = try recordAfterBare("signals", dir: dir, what: "handlers mapping memory")
        let out = try rec.run.lastJSON()
        let f = try checkTrace(rec.trace)
        XCTAssertFalse(f.truncated, f.brief)
        XCTAssertEqual(f.lost, 0, "calls made by handlers that interrupted a hook are recorded: \(f.brief)")
        for k in ["mmap", "madvise", "munmap"] { XCTAssertEqual(f.count(k), jsonInt(out[k]), "\(k): \(f.brief)") }
        // In order: every munmap of a handler's 2-page mapping follows the mmap that made it.
        let calls = try TraceFacts.read(rec.trace, keepCalls: true).callList
        var live = Set<UInt64>()
        var unordered = 0
        for c in calls {
            switch c.kind {
            case .mmap(_, let len, _, _, _, _, _, let r) where len == 8192:
                live.insert(r)
            case .munmap(let a, let len) where len == 8192:
                if live.remove(a) == nil { unordered += 1 }
            default: break
            }
        }
        // Known residual (docs/recorder.md, "Signal handlers that interrupt a hook"): with two
        // handlers nested on one thread, 0-3 of ~40,000 pairs were still seen out of order.
        XCTAssertLessThanOrEqual(unordered, 10, "handler munmaps recorded before their mmap")
    }

    func testSiglongjmpOutOfAHookKeepsRecording() throws {
        let dir = try makeScratchDir(self, "longjmp")
        let rec = try recordAfterBare("longjmp", dir: dir, what: "siglongjmp out of handlers")
        let out = try rec.run.lastJSON()
        let started = jsonInt(out["started"]) ?? 0, returned = jsonInt(out["returned"]) ?? 0
        let jumps = jsonInt(out["jumps"]) ?? 0
        let f = try checkTrace(rec.trace)
        XCTAssertFalse(f.truncated, "the trace ends with its trailer: \(f.brief)")
        let recorded = f.count("mmap") + f.count("madvise") + f.count("munmap")
        XCTAssertGreaterThanOrEqual(recorded + Int(f.lost), returned, f.brief)
        XCTAssertLessThanOrEqual(recorded + Int(f.lost), started, f.brief)
        XCTAssertLessThanOrEqual(Int(f.lost), jumps, "only calls cut by a jump after their real call are lost")
        XCTAssertGreaterThanOrEqual(recorded, returned - jumps, "the thread keeps recording after a jump: \(f.brief)")
    }
}
