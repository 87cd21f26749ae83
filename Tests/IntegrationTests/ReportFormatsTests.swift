// The reports people act on (issue 10): readable stacks with file:line, honest call-site
// ranking, the 0-call note, folded stacks, the CSV timeline, summary of a multi-process
// recording, diff, and the JSON keys of each. Fast: small programs and the shipped traces.
import Foundation
import XCTest

/// The repository's root (traces/ lives there).
private let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

final class ReportFormatsTests: XCTestCase {
    private func cli(_ args: [String], dir: String, expect: Int32 = 0) throws -> RunResult {
        let r = try runProcess([try Artifacts.cli()] + args, timeout: 120, outDir: dir)
        XCTAssertEqual(r.exitCode, expect, "ptreclaim \(args.joined(separator: " ")): \(r.summary)")
        return r
    }

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "one JSON object")
    }

    /// policies_differ is built with -g: its top call site is named with file:line by the
    /// symbolizer, sites are ranked by distinct pages and none has 0; JSON carries the keys.
    func testTopCallSiteHasFileAndLine() throws {
        let dir = try makeScratchDir(self, "fileline")
        let rec = try record("policies_differ", dir: dir)
        XCTAssertTrue(rec.run.succeeded, rec.run.summary)
        let text = try cli(["report", rec.trace], dir: dir).stdout
        let section = try XCTUnwrap(text.components(separatedBy: "Top call sites").last)
        let lines = section.split(separator: "\n").map(String.init)
        let first = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("  #1 ") }, section)
        XCTAssertTrue(lines[first + 1].contains("policies_differ.c:"), "first frame of #1 has file:line: \(lines[first + 1])")

        let j = try json(try cli(["report", "--format", "json", rec.trace], dir: dir).stdout)
        XCTAssertNotNil(j["symbolizer"] as? String, "symbolizer path reported")
        let sites = try XCTUnwrap(j["call_sites"] as? [[String: Any]])
        XCTAssertFalse(sites.isEmpty)
        var previous = Int.max
        for s in sites {
            for k in ["stack", "calls", "pte_pages_left_empty", "pte_page_emptyings", "pte_pages_freed", "frames", "frame_details"] {
                XCTAssertNotNil(s[k], "call_sites[].\(k)")
            }
            let pages = try XCTUnwrap(jsonInt(s["pte_pages_left_empty"]))
            XCTAssertGreaterThan(pages, 0, "no zero rows")
            XCTAssertLessThanOrEqual(pages, previous, "ranked by distinct pages")
            XCTAssertLessThanOrEqual(pages, jsonInt(s["pte_page_emptyings"]) ?? 0, "distinct <= emptyings")
            previous = pages
            let d = try XCTUnwrap((s["frame_details"] as? [[String: Any]])?.first)
            for k in ["function", "location", "module", "offset", "allocator", "count"] { XCTAssertTrue(d.keys.contains(k), "frame_details[].\(k)") }
        }
        XCTAssertTrue(((sites[0]["frame_details"] as? [[String: Any]])?.first?["location"] as? String)?.hasPrefix("policies_differ.c:") == true)

        // --frames 1 cuts with a marker; folded lines weigh what the sites left empty.
        let cut = try cli(["report", "--frames", "1", rec.trace], dir: dir).stdout
        XCTAssertTrue(cut.contains("more (--frames N)"), "cut stacks say how many frames are hidden")
        let folded = try cli(["report", "--format", "folded", rec.trace], dir: dir).stdout
        var total = 0
        for line in folded.split(separator: "\n") {
            let count = try XCTUnwrap(Int(line.split(separator: " ").last ?? ""), "folded line ends in a count: \(line)")
            XCTAssertGreaterThan(count, 0)
            XCTAssertTrue(line.contains("main;"), "outermost first: \(line)")
            total += count
        }
        let all = try json(try cli(["report", "--format", "json", "--top", "1000", rec.trace], dir: dir).stdout)
        let sum = (all["call_sites"] as? [[String: Any]] ?? []).reduce(0) { $0 + (jsonInt($1["pte_pages_left_empty"]) ?? 0) }
        XCTAssertEqual(total, sum, "folded total = distinct PTE pages left empty over every site")
    }

    /// Redis' jemalloc purge after FLUSHALL: with jemalloc's frames collapsed the program's
    /// frames come first. Needs Debian's redis-server with the build-id the trace recorded.
    func testRedisPurgeShowsFlushallCommand() throws {
        let trace = repoRoot + "/traces/redis-flushall.ptr"
        let dir = try makeScratchDir(self, "redis")
        let dump = try cli(["dump", trace], dir: dir).stdout
        guard let line = dump.split(separator: "\n").first(where: { $0.contains("module gen 1 /usr/bin/redis") }),
              let id = line.components(separatedBy: "build-id ").last,
              let elf = try? runProcess(["/usr/bin/readelf", "-n", "/usr/bin/redis-check-rdb"], outDir: dir),
              elf.stdout.contains(id) else {
            throw XCTSkip("Debian's redis-server with the trace's build-id is not installed")
        }
        let text = try cli(["report", trace], dir: dir).stdout
        let section = try XCTUnwrap(text.components(separatedBy: "Top call sites").last)
        let head = section.split(separator: "\n").prefix(5).joined(separator: "\n")
        XCTAssertTrue(head.contains("[jemalloc]"), head)
        XCTAssertTrue(head.contains("flushallCommand"), "flushallCommand in the first lines:\n\(head)")
        XCTAssertTrue(text.contains("(redis-server+0x"), "the executable is named by the path that ran (redis-server), not the symlink target")
    }

    /// allocator_churn uses glibc malloc only: no call recorded, and the report says why.
    func testZeroCallsExplained() throws {
        let dir = try makeScratchDir(self, "zero")
        let rec = try record("allocator_churn", dir: dir)
        XCTAssertTrue(rec.run.succeeded, rec.run.summary)
        let text = try cli(["report", rec.trace], dir: dir).stdout
        XCTAssertTrue(text.contains("No call was recorded"), text)
        XCTAssertTrue(text.contains("glibc's malloc"), text)
        XCTAssertTrue(text.contains("ptreclaim summary"), text)
    }

    /// `record -- sh -c 'prog1; prog2'` writes three traces, prints the summary's top rows;
    /// summary shows the tree; JSON and CSV carry the documented keys.
    func testSummaryOfAShellRecording() throws {
        let dir = try makeScratchDir(self, "summary")
        let p1 = try Artifacts.program("policies_differ"), p2 = try Artifacts.program("allocator_churn")
        let trace = dir + "/sh.ptr"
        let rec = try cli(["record", "-o", trace, "--", "/bin/sh", "-c", "\(p1) >/dev/null; \(p2) >/dev/null"], dir: dir)
        XCTAssertTrue(rec.stderr.contains("summary of the 3 traces"), rec.stderr)

        let text = try cli(["summary", trace], dir: dir).stdout
        XCTAssertTrue(text.hasPrefix("3 traces"), text)
        XCTAssertTrue(text.contains("Process tree"), text)
        let treeLines = try XCTUnwrap(text.components(separatedBy: "Process tree").last).split(separator: "\n").dropFirst()
        XCTAssertEqual(treeLines.count, 3, text)
        XCTAssertTrue(treeLines.first?.contains("sh -c") == true, "the shell is the root: \(text)")
        XCTAssertEqual(treeLines.filter { $0.contains("`- ") || $0.contains("|- ") }.count, 2, "two children: \(text)")

        let j = try json(try cli(["summary", "--format", "json", dir], dir: dir).stdout)
        let traces = try XCTUnwrap(j["traces"] as? [[String: Any]])
        XCTAssertEqual(traces.count, 3)
        for t in traces {
            for k in ["file", "pid", "parent_pid", "parent_file", "origin", "executable", "command", "duration_s",
                      "truncated", "calls", "policies", "validation_max_abs_error_bytes", "error"] {
                XCTAssertTrue(t.keys.contains(k), "traces[].\(k)")
            }
            let pol = try XCTUnwrap(t["policies"] as? [String: [String: Any]])
            XCTAssertEqual(Set(pol.keys), ["none", "pt-reclaim", "refcount", "ideal"])
            for k in ["final_bytes", "peak_bytes", "mean_bytes", "reclaimable_bytes"] { XCTAssertNotNil(pol["none"]?[k], k) }
        }
        // Sorted by what pt-reclaim gives back: policies_differ (its whole-block scenario) first.
        XCTAssertTrue(((traces[0]["command"] as? [String])?.first ?? "").hasSuffix("policies_differ"), "\(traces[0])")
        XCTAssertEqual(traces.filter { $0["parent_file"] is NSNull }.count, 1, "one root")

        _ = try cli(["summary", "--format", "html", "-o", dir + "/summary.html", trace], dir: dir)
        let page = try String(contentsOfFile: dir + "/summary.html", encoding: .utf8)
        for i in 1...3 {
            XCTAssertTrue(page.contains("href=\"#trace-\(i)\""), "row \(i) links to its section")
            XCTAssertTrue(page.contains("id=\"trace-\(i)\""), "section \(i)")
        }

        let csv = try cli(["summary", "--format", "csv", trace], dir: dir).stdout.split(separator: "\n")
        XCTAssertEqual(csv.count, 4)
        XCTAssertTrue(csv[0].hasPrefix("file,pid,parent_pid,origin,executable,command,duration_s,calls,none_final_bytes"), String(csv[0]))
    }

    /// The CSV timeline: one row per snapshot, observed VmPTE and the four policies.
    func testCSVTimeline() throws {
        let dir = try makeScratchDir(self, "csv")
        let trace = repoRoot + "/traces/redis-flushall.ptr"
        let rows = try cli(["report", "--format", "csv", trace], dir: dir).stdout.split(separator: "\n")
        XCTAssertEqual(String(rows[0]), "time_s,observed_vmpte_bytes,none_bytes,pt-reclaim_bytes,refcount_bytes,ideal_bytes")
        let j = try json(try cli(["report", "--format", "json", trace], dir: dir).stdout)
        let samples = try XCTUnwrap(jsonInt((j["observed"] as? [String: Any])?["samples"]))
        XCTAssertEqual(rows.count - 1, samples, "one row per snapshot")
        let last = rows.last!.split(separator: ",").map { Double($0) ?? -1 }
        let pol = try XCTUnwrap(j["policies"] as? [String: [String: Any]])
        XCTAssertEqual(Int(last[3]), jsonInt(pol["pt-reclaim"]?["final_bytes"]), "last row = final figures")
        XCTAssertEqual(Int(last[1]), jsonInt((j["observed"] as? [String: Any])?["vmpte_final_bytes"]))
    }

    /// diff of the jemalloc and tcmalloc python traces: JSON a/b/delta keys, deltas consistent.
    func testDiffJemallocTcmalloc() throws {
        let dir = try makeScratchDir(self, "diff")
        let a = repoRoot + "/traces/python-jemalloc.ptr", b = repoRoot + "/traces/python-tcmalloc.ptr"
        let text = try cli(["diff", a, b], dir: dir).stdout
        XCTAssertTrue(text.contains("Call sites whose distinct empty PTE pages changed most"), text)
        let j = try json(try cli(["diff", "--format", "json", a, b], dir: dir).stdout)
        let ja = try json(try cli(["report", "--format", "json", a], dir: dir).stdout)
        let sa = try XCTUnwrap(j["a"] as? [String: Any]), sb = try XCTUnwrap(j["b"] as? [String: Any])
        XCTAssertEqual(sa["file"] as? String, a)
        XCTAssertEqual(sb["file"] as? String, b)
        XCTAssertEqual(sa["policies"] as? NSDictionary, ja["policies"] as? NSDictionary, "a.policies exactly as report gives them")
        let delta = try XCTUnwrap(j["delta"] as? [String: Any])
        let dp = try XCTUnwrap(delta["policies"] as? [String: [String: Any]])
        for p in ["none", "pt-reclaim", "refcount", "ideal"] {
            let fa = jsonInt(((sa["policies"] as? [String: Any])?[p] as? [String: Any])?["final_bytes"]) ?? -1
            let fb = jsonInt(((sb["policies"] as? [String: Any])?[p] as? [String: Any])?["final_bytes"]) ?? -1
            XCTAssertEqual(jsonInt(dp[p]?["final_bytes"]), fb - fa, "delta.\(p).final_bytes")
        }
        XCTAssertNotNil(delta["calls"])
        XCTAssertNotNil(delta["call_sites"] as? [[String: Any]])
    }
}
