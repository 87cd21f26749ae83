// Run the way users run things (issue 7, items 1, 2, 15, 18): an allocator put in LD_PRELOAD by a
// wrapper (`env LD_PRELOAD=ALLOC prog`), by `record --preload`, by a shell script, or an execve
// with an environment of the program's own; a preload order that hides calls from the recorder;
// children spawned without the fork hook under --no-follow-fork; a umask that denies everything.
//
// The allocator tests compare the program's trace with `strace -f -k` of the same run: every
// memory system call whose stack passes through one of the recorder's hooks must be one record,
// per kind, exactly; the recorder's own calls (its stack says so, see StraceStacks) are left out,
// and those of the start-up probe must be the ones the header's "probe" text states.
import Foundation
import XCTest

final class PreloadTests: XCTestCase {
    private struct Allocator {
        let lib: String, name: String
        var env: [String: String] = [:]
    }
    private static let jemalloc = Allocator(lib: "libjemalloc.so.2", name: "jemalloc")
    private static let tcmalloc = Allocator(lib: "libtcmalloc_minimal.so.4", name: "tcmalloc")
    /// mimalloc 2.0 delays decommit by 25 ms; MIMALLOC_DECOMMIT_DELAY=0 makes mi_collect release.
    private static let mimalloc = Allocator(lib: "libmimalloc.so.2", name: "mimalloc",
                                            env: ["MIMALLOC_DECOMMIT_DELAY": "0"])

    func testEnvWrapperJemalloc() throws { try checkAgainstStrace(Self.jemalloc, wrapper: true) }
    func testEnvWrapperTcmalloc() throws { try checkAgainstStrace(Self.tcmalloc, wrapper: true) }
    func testEnvWrapperMimalloc() throws { try checkAgainstStrace(Self.mimalloc, wrapper: true) }
    func testPreloadOptionJemalloc() throws { try checkAgainstStrace(Self.jemalloc, wrapper: false) }
    /// tcmalloc takes memory with sbrk; with strace -k every sbrk costs a few unwound stacks
    /// (~65 s on 2 cores). The wrapper test covers that path; this one has tcmalloc use mmap
    /// (TCMALLOC_SKIP_SBRK), so both of its system allocators are compared within the time limit.
    func testPreloadOptionTcmalloc() throws {
        var tc = Self.tcmalloc
        tc.env["TCMALLOC_SKIP_SBRK"] = "true"
        try checkAgainstStrace(tc, wrapper: false)
    }
    func testPreloadOptionMimalloc() throws { try checkAgainstStrace(Self.mimalloc, wrapper: false) }

    /// Trace kinds -> the system call each entry point makes.
    private static let syscallOf = [
        "mmap": "mmap", "mmap64": "mmap", "munmap": "munmap", "mremap": "mremap", "madvise": "madvise",
        "posix_madvise": "madvise", "process_madvise": "process_madvise", "mprotect": "mprotect",
        "pkey_mprotect": "pkey_mprotect", "brk": "brk", "sbrk": "brk",
    ]

    /// `record -- env LD_PRELOAD=ALLOC allocator_churn` (wrapper) or
    /// `record --preload ALLOC -- allocator_churn`, under strace.
    private func checkAgainstStrace(_ a: Allocator, wrapper: Bool) throws {
        let allocator = try Artifacts.systemLibrary(a.lib)
        let strace = try Artifacts.tool("strace")
        let cli = try Artifacts.cli()
        _ = try Artifacts.recorder()
        let prog = try Artifacts.program("allocator_churn")
        let how = wrapper ? "env" : "preload"
        let dir = try makeScratchDir(self, "\(how)-\(a.name)")
        let trace = dir + "/a.ptr", log = dir + "/strace.txt"
        var argv = [strace, "-f", "-k", "-qq", "--seccomp-bpf", "-e", "trace=%memory,execve,clone,clone3",
                    "-o", log, cli, "record", "-o", trace]
        argv += wrapper ? ["--", "/usr/bin/env", "LD_PRELOAD=" + allocator, prog] : ["--preload", allocator, "--", prog]
        let r = try runProcess(argv, extraEnv: a.env, timeout: 240, outDir: dir)
        XCTAssertTrue(r.succeeded, "\(how) \(a.name): \(r.summary)")
        let out = try r.lastJSON()
        XCTAssertEqual(out["allocator"] as? String, a.name, "the program ran with \(a.name)")

        // The program's own trace: with the wrapper, env's trace is a.ptr and the program's is
        // a.ptr.<pid>.exec1 (docs/recorder.md).
        let traces = try traceFiles(in: dir, prefix: "a.ptr").map { try TraceFacts.read($0) }
        let mine = traces.filter { ($0.header["exe"] ?? "").hasSuffix("/allocator_churn") }
        XCTAssertEqual(mine.count, 1, "one trace of allocator_churn among \(traces.map(\.brief))")
        guard let found = mine.first else { return }
        let f = try checkTrace(found.path)
        XCTAssertEqual(f.path, wrapper ? trace + ".\(f.pid ?? 0).exec1" : trace)
        XCTAssertEqual(f.header["preload_shadowed"], "", "nothing ahead of the recorder: \(f.brief)")
        XCTAssertEqual(f.lost, 0)
        XCTAssertFalse(f.truncated, f.brief)

        let s = try StraceStacks.read(log, pid: try XCTUnwrap(f.pid), exe: prog)
        var recorded: [String: Int] = [:]
        for (kind, n) in f.calls where kind != "brk" && kind != "sbrk" { recorded[Self.syscallOf[kind] ?? kind, default: 0] += n }
        // brk: libc answers sbrk(0) from its cached break (no system call) and looks the break up
        // with one brk(NULL) the first time; so the calls that move the break are compared, and
        // brk(NULL) lookups may not outnumber the recorded break queries plus that first one.
        let calls = try TraceFacts.read(f.path, keepCalls: true).callList
        var moves = 0, queries = 0
        for c in calls {
            switch c.kind {
            case .sbrk(let inc, _, _): if inc != 0 { moves += 1 } else { queries += 1 }
            case .brk(let req, _, _): if req != 0 { moves += 1 } else { queries += 1 }
            default: break
            }
        }
        recorded["brk"] = moves
        var hooked = s.counts(.hooked)
        let lookups = s.events.filter { $0.source == .hooked && $0.name == "brk" && $0.line.contains("brk(NULL)") }.count
        hooked["brk"] = (hooked["brk"] ?? 0) - lookups
        XCTAssertLessThanOrEqual(lookups, queries + 1, "\(how) \(a.name): brk(NULL) lookups through the hooks")
        let kinds = Set(recorded.keys).union(hooked.keys.filter { Set(Self.syscallOf.values).contains($0) })
        for k in kinds.sorted() {
            XCTAssertEqual(recorded[k] ?? 0, hooked[k] ?? 0,
                           "\(how) \(a.name): \(k) recorded vs made through the hooks (strace -k); trace \(f.brief)")
        }
        XCTAssertGreaterThan(recorded["madvise"] ?? 0, 20, "\(a.name) released memory with madvise: \(f.brief)")
        // No call of the allocator's reached the kernel past the recorder.
        let missed = s.events.filter { e in
            e.source == .unhooked && e.frames.contains { $0.lib == a.lib }
        }
        XCTAssertEqual(missed.count, 0, "\(a.name) calls that bypassed the recorder: "
                       + missed.prefix(3).map { "\($0.name) \($0.frames.prefix(3))" }.joined(separator: "; "))

        // The probe's calls are the recorder's and the header states how many there were.
        let probe = s.events.filter { $0.source == .recorder && $0.frames.contains { $0.fn.hasPrefix("ptr_probe") } }
        let text = f.header["probe"] ?? ""
        for k in ["mmap", "madvise", "munmap"] {
            let stated = text.range(of: #"\d+ \#(k)\b"#, options: .regularExpression).flatMap { Int(text[$0].prefix { $0.isNumber }) }
            XCTAssertEqual(stated, probe.filter { $0.name == k }.count, "probe \(k) calls: header says \"\(text)\"")
        }
        print("\(how) \(a.name): recorded \(recorded.sorted { $0.key < $1.key }) hooked per strace \(hooked.sorted { $0.key < $1.key }) "
              + "recorder's own \(s.counts(.recorder).sorted { $0.key < $1.key }) unhooked \(s.counts(.unhooked).sorted { $0.key < $1.key })")
    }

    /// tcmalloc ahead of the recorder takes mmap/munmap/sbrk: the header says so, the reports warn.
    func testShadowingPreloadOrderIsFlagged() throws {
        let tc = try Artifacts.systemLibrary(Self.tcmalloc.lib)
        let recorder = try Artifacts.recorder()
        let cli = try Artifacts.cli()
        let prog = try Artifacts.program("exec_chain")
        let dir = try makeScratchDir(self, "shadow")
        let bad = dir + "/bad.ptr", good = dir + "/good.ptr"
        let r = try runProcess([prog, "--second"], extraEnv: ["LD_PRELOAD": tc + " " + recorder, "PTRECLAIM_OUTPUT": bad],
                               outDir: dir)
        XCTAssertTrue(r.succeeded, r.summary)
        let f = try checkTrace(bad)
        let shadowed = f.header["preload_shadowed"] ?? ""
        for fn in ["mmap", "munmap"] {
            XCTAssertTrue(shadowed.contains("\(fn)=\(tc)"), "header preload_shadowed names \(fn) -> tcmalloc: \"\(shadowed)\"")
        }
        let text = try runProcess([cli, "report", bad], outDir: dir)
        XCTAssertTrue(text.stdout.contains("WARNING      calls to mmap"), "text report warns: \(text.stdout.prefix(900))")
        let json = try reportJSON(bad)
        let warning = (json["trace"] as? [String: Any])?["preload_warning"] as? String
        XCTAssertTrue(warning?.contains(tc) == true, "JSON trace.preload_warning names tcmalloc: \(warning ?? "none")")

        // The recorder first: no warning, and the calls are there.
        let ok = try runProcess([prog, "--second"], extraEnv: ["LD_PRELOAD": recorder + ":" + tc, "PTRECLAIM_OUTPUT": good],
                                outDir: dir)
        XCTAssertTrue(ok.succeeded, ok.summary)
        let g = try checkTrace(good)
        XCTAssertEqual(g.header["preload_shadowed"], "")
        XCTAssertEqual(g.count("mmap"), 60, g.brief)
        let gjson = try reportJSON(good)
        XCTAssertNil((gjson["trace"] as? [String: Any])?["preload_warning"], "no warning when the recorder is first")
        let gtext = try runProcess([cli, "report", good], outDir: dir)
        XCTAssertFalse(gtext.stdout.contains("WARNING"), gtext.stdout)
    }

    /// execve with an environment of the program's own (no LD_PRELOAD, no PTRECLAIM_*).
    func testExecWithCustomEnvironmentKeepsRecording() throws {
        let dir = try makeScratchDir(self, "customenv")
        let rec = try record("exec_chain", args: ["--custom-env"], dir: dir, name: "c.ptr")
        XCTAssertTrue(rec.run.succeeded, rec.run.summary)
        let out = try rec.run.lastJSON()
        let pid = try XCTUnwrap(jsonInt(out["pid"]))
        let second = rec.trace + ".\(pid).exec1"
        XCTAssertTrue(FileManager.default.fileExists(atPath: second),
                      "the image exec'd with its own envp is recorded: \(traceFiles(in: dir, prefix: "c.ptr"))")
        guard FileManager.default.fileExists(atPath: second) else { return }
        let s = try checkTrace(second)
        XCTAssertEqual(s.origin, "exec")
        XCTAssertEqual(s.count("mmap"), jsonInt(out["second_pairs"]), s.brief)
        XCTAssertEqual(s.count("munmap"), jsonInt(out["second_pairs"]), s.brief)
        // The recorder's settings went along: the CLI asked for 7 frames.
        let rec2 = try record("exec_chain", args: ["--custom-env"], options: ["--stack-depth", "7"], dir: dir, name: "d.ptr")
        let pid2 = try XCTUnwrap(jsonInt(try rec2.run.lastJSON()["pid"]))
        let s2 = try TraceFacts.read(rec2.trace + ".\(pid2).exec1")
        XCTAssertTrue(s2.header["options"]?.contains("stack_depth=7") == true, "options kept: \(s2.header["options"] ?? "")")
    }

    /// A shell script that exports its own LD_PRELOAD, then runs the program.
    func testShellScriptExportingLDPreload() throws {
        let je = try Artifacts.systemLibrary(Self.jemalloc.lib)
        let prog = try Artifacts.program("exec_chain")
        let cli = try Artifacts.cli()
        let dir = try makeScratchDir(self, "script")
        let trace = dir + "/s.ptr"
        let r = try runProcess([cli, "record", "-o", trace, "--", "/bin/sh", "-c",
                                "LD_PRELOAD=\(je); export LD_PRELOAD; \(prog) --second"], outDir: dir)
        XCTAssertTrue(r.succeeded, r.summary)
        let traces = try traceFiles(in: dir, prefix: "s.ptr").map { try TraceFacts.read($0) }
        let mine = traces.filter { ($0.header["exe"] ?? "").hasSuffix("/exec_chain") }
        XCTAssertEqual(mine.count, 1, "exec_chain recorded: \(traces.map(\.brief))")
        if let m = mine.first {  // its 60 pairs, plus jemalloc's own
            XCTAssertGreaterThanOrEqual(m.count("mmap"), 60, m.brief)
            XCTAssertGreaterThanOrEqual(m.count("munmap"), 60, m.brief)
            XCTAssertTrue(m.moduleGenerations.count > 0)
        }
    }

    /// --no-follow-fork --no-follow-exec: children spawned by fork+exec, vfork, posix_spawn or
    /// system write nothing — one trace in all.
    func testNoFollowForkNoFollowExecWritesOneTrace() throws {
        let cli = try Artifacts.cli()
        _ = try Artifacts.recorder()
        let dir = try makeScratchDir(self, "nofollow")
        let trace = dir + "/o.ptr"
        let r = try runProcess([cli, "record", "--no-follow-fork", "--no-follow-exec", "-o", trace, "--",
                                "/bin/sh", "-c", "/bin/true; echo x|cat"], outDir: dir)
        XCTAssertTrue(r.succeeded, r.summary)
        XCTAssertEqual(r.stdout, "x\n")
        XCTAssertEqual(traceFiles(in: dir, prefix: "o.ptr"), [trace], "only the shell's trace")
        try checkTrace(trace)

        // forks: fork, vfork+exec and posix_spawn children, none followed.
        let rec = try record("forks", options: ["--no-follow-fork"], dir: dir, name: "f.ptr")
        XCTAssertTrue(rec.run.succeeded, rec.run.summary)
        XCTAssertEqual(traceFiles(in: dir, prefix: "f.ptr"), [rec.trace], "only the parent's trace")
        let out = try rec.run.lastJSON()
        let parent = try checkTrace(rec.trace)
        XCTAssertEqual(parent.count("mmap"), jsonInt((out["parent"] as? [String: Any])?["pairs"]), parent.brief)

        // --no-follow-exec alone: the fork child is followed, the programs started by
        // vfork+exec and posix_spawn are not (as a fork child's exec'd program is not).
        let rec2 = try record("forks", options: ["--no-follow-exec"], dir: dir, name: "g.ptr")
        XCTAssertTrue(rec2.run.succeeded, rec2.run.summary)
        let out2 = try rec2.run.lastJSON()
        let forkPid = try XCTUnwrap(jsonInt((out2["fork"] as? [String: Any])?["pid"]))
        XCTAssertEqual(traceFiles(in: dir, prefix: "g.ptr"), [rec2.trace, rec2.trace + ".\(forkPid)"],
                       "the parent's and the fork child's traces only")
    }

    /// umask 0777: the traces are 0600 all the same, and the exec'd image finds its earlier trace.
    func testTracesAre0600UnderUmask0777() throws {
        let cli = try Artifacts.cli()
        _ = try Artifacts.recorder()
        let prog = try Artifacts.program("exec_chain")
        let dir = try makeScratchDir(self, "umask")
        let trace = dir + "/u.ptr"
        let r = try runProcess(["/bin/sh", "-c", "umask 0777; exec \"$0\" record -o \"$1\" -- \"$2\"", cli, trace, prog],
                               outDir: dir)
        XCTAssertTrue(r.succeeded, r.summary)
        let out = try r.lastJSON()
        let pid = try XCTUnwrap(jsonInt(out["pid"]))
        XCTAssertEqual(traceFiles(in: dir, prefix: "u.ptr"), [trace, trace + ".\(pid).exec1"])
        try checkTrace(trace)  // asserts mode 0600
        let second = try checkTrace(trace + ".\(pid).exec1")
        XCTAssertEqual(second.origin, "exec")
        XCTAssertEqual(second.header["parent_trace"], trace)
    }
}
