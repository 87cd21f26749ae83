// `ptreclaim inspect` against the live kernel: a running program with known waste
// (Tests/programs/known_waste.c), the same program under the recorder (inspect's needed tables
// = the model's ideal at the snapshot taken then), the Prometheus output through
// prometheus_client's own parser, --all, refusals, --watch and --output.
import Foundation
import Glibc
import PTModel
import PTTrace
import XCTest

final class InspectTests: XCTestCase {
    /// known_waste: 192 PTE pages left empty by 4 KiB DONTNEEDs.
    let expectedWaste: UInt64 = 192 * 4096

    /// Starts known_waste (optionally under `ptreclaim record`) and waits for its ready line.
    func startKnownWaste(_ dir: String, record trace: String? = nil, waitFile: String? = nil,
                         interval: Int = 20) throws -> (Spawned, Int32) {
        var argv = [try Artifacts.program("known_waste")]
        if let f = waitFile { argv += ["--wait-file", f] }
        if let t = trace {
            _ = try Artifacts.recorder()
            argv = [try Artifacts.cli(), "record", "--interval", String(interval), "-o", t, "--"] + argv
        }
        let child = try Spawned(argv, outDir: dir)
        let words = try XCTUnwrap(child.waitForLine("ready "), "known_waste never got ready: \(child.stderrText())")
        return (child, try XCTUnwrap(Int32(words[1])))
    }

    func inspect(_ args: [String], dir: String, asNobody: Bool = false) throws -> RunResult {
        let cli = try Artifacts.cli()
        let argv = asNobody ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", cli, "inspect"]
                            : [cli, "inspect"]
        return try runProcess(argv + args, timeout: 60, outDir: dir)
    }

    func inspectJSON(_ args: [String], dir: String) throws -> [String: Any] {
        let r = try inspect(["--format", "json"] + args, dir: dir)
        guard r.succeeded else { throw TestFailure("inspect \(args): \(r.summary)") }
        guard let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("inspect --format json printed no JSON object: \(r.stdout.prefix(300))")
        }
        return obj
    }

    func process(_ json: [String: Any], _ pid: Int32) throws -> [String: Any] {
        let list = try XCTUnwrap(json["processes"] as? [[String: Any]], "no processes array")
        return try XCTUnwrap(list.first { ($0["pid"] as? Int) == Int(pid) }, "pid \(pid) not in the output")
    }

    func vmpteBytes(_ pid: Int32) throws -> UInt64 {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("VmPTE:") })
        return try XCTUnwrap(UInt64(line.filter(\.isNumber))) * 1024
    }

    func bytes(_ p: [String: Any], _ key: String) -> UInt64 { UInt64(p[key] as? Int ?? -1) }

    // MARK: known waste

    func testKnownWasteMatchesKernelVmPTE() throws {
        let dir = try makeScratchDir(self, "inspect-waste")
        let (child, pid) = try startKnownWaste(dir)
        defer { _ = child }
        let before = try vmpteBytes(pid)
        let p = try process(try inspectJSON([String(pid)], dir: dir), pid)
        XCTAssertEqual(try vmpteBytes(pid), before, "known_waste is idle: its VmPTE must not move")
        XCTAssertEqual(bytes(p, "vmpte_bytes"), before, "vmpte_bytes is /proc VmPTE")
        let waste = bytes(p, "waste_bytes")
        let bound = max(expectedWaste / 100, 64 * 1024)
        XCTAssertLessThanOrEqual(waste > expectedWaste ? waste - expectedWaste : expectedWaste - waste, bound,
                                 "waste \(waste) B, expected 192 PTE pages (\(expectedWaste) B) within \(bound) B")
        XCTAssertEqual(bytes(p, "needed_bytes") + waste, bytes(p, "vmpte_bytes"))
        // The bounds bracket the 192 empty PTE pages; all lie wholly in one mapping.
        let refcount = try XCTUnwrap(p["refcount_frees_bytes"] as? [String: Int])
        XCTAssertLessThanOrEqual(UInt64(refcount["min"]!), expectedWaste)
        XCTAssertGreaterThanOrEqual(UInt64(refcount["max"]!), expectedWaste)
        XCTAssertEqual(p["stable"] as? Bool, true)
        // The 1 GiB mapping heads the list: 448 empty blocks (256 never touched, 192 released).
        let maps = try XCTUnwrap(p["mappings"] as? [[String: Any]])
        let top = try XCTUnwrap(maps.first)
        XCTAssertEqual(top["size_bytes"] as? Int, 1 << 30)
        XCTAssertEqual(top["populated_blocks"] as? Int, 64)
        XCTAssertEqual(top["empty_blocks"] as? Int, 448)
        XCTAssertEqual(top["name"] as? String, "anonymous")

        // Text: one row for the process, the details name the mapping's range.
        let text = try inspect([String(pid)], dir: dir)
        XCTAssertTrue(text.succeeded, text.summary)
        XCTAssertTrue(text.stdout.contains(" known_waste "), text.stdout)
        XCTAssertTrue(text.stdout.contains(String((top["start"] as? String ?? "").dropFirst(2))), text.stdout)
    }

    func testPreadFallbackAgreesWithScan() throws {
        let dir = try makeScratchDir(self, "inspect-pread")
        let (child, pid) = try startKnownWaste(dir)
        defer { _ = child }
        let scan = try process(try inspectJSON(["--pagemap", "scan", String(pid)], dir: dir), pid)
        let pread = try process(try inspectJSON(["--pagemap", "pread", String(pid)], dir: dir), pid)
        XCTAssertEqual(scan["pagemap_source"] as? String, "scan")
        XCTAssertEqual(pread["pagemap_source"] as? String, "pread")
        for key in ["vmpte_bytes", "needed_bytes", "waste_bytes", "populated_pages", "empty_blocks"] {
            XCTAssertEqual(bytes(scan, key), bytes(pread, key), key)
        }
    }

    func testPrometheusOutputParsesWithPrometheusClient() throws {
        let dir = try makeScratchDir(self, "inspect-prom")
        let (child, pid) = try startKnownWaste(dir)
        defer { _ = child }
        let p = try process(try inspectJSON([String(pid)], dir: dir), pid)
        let prom = dir + "/waste.prom"
        let r = try inspect(["--format", "prometheus", "-o", prom, String(pid)], dir: dir)
        XCTAssertTrue(r.succeeded, r.summary)
        // prometheus_client's text parser (Debian python3-prometheus-client, installed by `make deps`).
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("inspect/parse_prometheus.py").path
        let parsed = try runProcess(["/bin/sh", "-c", "/usr/bin/python3 \(script) < \(prom)"], outDir: dir)
        XCTAssertTrue(parsed.succeeded, "prometheus_client rejected the output: \(parsed.summary)")
        let families = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [String: [String: Double]])
        let key = String(pid)
        XCTAssertEqual(families["ptreclaim_vmpte_bytes"]?[key].map { UInt64($0) }, bytes(p, "vmpte_bytes"))
        XCTAssertEqual(families["ptreclaim_pagetable_needed_bytes"]?[key].map { UInt64($0) }, bytes(p, "needed_bytes"))
        XCTAssertEqual(families["ptreclaim_pagetable_waste_bytes"]?[key].map { UInt64($0) }, bytes(p, "waste_bytes"))
        XCTAssertNotNil(families["ptreclaim_inspect_unreadable_processes"])
    }

    // MARK: against the model

    /// The recorder snapshots known_waste every 20 ms while it waits; inspect runs in between.
    /// needed_bytes must equal the model's ideal at the snapshot taken then.
    func testNeededEqualsModelIdealAtMatchingSnapshot() throws {
        let dir = try makeScratchDir(self, "inspect-model")
        let trace = dir + "/kw.ptr", go = dir + "/go"
        let (child, pid) = try startKnownWaste(dir, record: trace, waitFile: go)
        usleep(200_000)  // a few snapshots of the idle program
        let t0 = monotonicNanoseconds()
        let p = try process(try inspectJSON([String(pid)], dir: dir), pid)
        let t1 = monotonicNanoseconds()
        usleep(100_000)
        XCTAssertTrue(FileManager.default.createFile(atPath: go, contents: nil))
        let r = child.wait(timeout: 30)
        XCTAssertTrue(r.succeeded, r.summary)

        // Replay the trace; the ideal bytes right after each snapshot.
        var reader = try TraceReader(path: trace)
        var replayer = Replayer(header: reader.header)
        var ideal: [(time: UInt64, bytes: UInt64, vmpte: UInt64)] = []
        while let rec = try reader.next() {
            if case .header = rec { continue }
            replayer.consume(rec)
            if case .snapshot(let s) = rec { ideal.append((s.time, replayer.currentBytes(.ideal), s.vmPTEKiB * 1024)) }
        }
        let before = try XCTUnwrap(ideal.last { $0.time <= t0 }, "no snapshot before the inspect")
        let after = try XCTUnwrap(ideal.first { $0.time >= t1 }, "no snapshot after the inspect")
        let needed = bytes(p, "needed_bytes")
        // The program is idle; only the recorder's own writes could change a table between the
        // two snapshots. The inspect matches the snapshot whose state it saw.
        XCTAssertTrue(needed == before.bytes || needed == after.bytes,
                      "needed_bytes \(needed) vs ideal \(before.bytes) at the snapshot before and \(after.bytes) after")
        XCTAssertTrue(bytes(p, "vmpte_bytes") == before.vmpte || bytes(p, "vmpte_bytes") == after.vmpte,
                      "vmpte_bytes \(bytes(p, "vmpte_bytes")) vs snapshot VmPTE \(before.vmpte) / \(after.vmpte)")
    }

    func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    // MARK: --all, refusals, --watch, mistakes

    func testAllSkipsKernelThreadsAndSortsByWaste() throws {
        let dir = try makeScratchDir(self, "inspect-all")
        let (child, pid) = try startKnownWaste(dir)
        defer { _ = child }
        let json = try inspectJSON(["--all"], dir: dir)
        let list = try XCTUnwrap(json["processes"] as? [[String: Any]])
        _ = try process(json, pid)
        XCTAssertGreaterThan(json["kernel_threads"] as? Int ?? 0, 0, "kthreadd at least")
        XCTAssertFalse(list.contains { ($0["pid"] as? Int) == 2 }, "kthreadd (pid 2) is skipped")
        let wastes = list.map { $0["waste_bytes"] as? Int ?? 0 }
        XCTAssertEqual(wastes, wastes.sorted(by: >), "sorted by waste")
        // (This machine's pid 1 may refuse even root: a sandbox's init.)
        let rootUnreadable = json["unreadable"] as? Int ?? -1

        // As nobody: root's processes (known_waste among them) are counted, not errors.
        let r = try inspect(["--all", "--format", "json"], dir: dir, asNobody: true)
        XCTAssertTrue(r.succeeded, r.summary)
        let asNobody = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertGreaterThan(asNobody["unreadable"] as? Int ?? 0, rootUnreadable)
        XCTAssertFalse((asNobody["processes"] as? [[String: Any]] ?? []).contains { ($0["pid"] as? Int) == Int(pid) })
    }

    func testPermissionRefusalIsOneLine() throws {
        let dir = try makeScratchDir(self, "inspect-perm")
        let (child, pid) = try startKnownWaste(dir)
        defer { _ = child }
        let r = try inspect([String(pid)], dir: dir, asNobody: true)
        XCTAssertEqual(r.exitCode, 1, r.summary)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("ptreclaim: ") && r.stderr.contains("permission denied")
                      && r.stderr.contains("ptrace read access"), r.stderr)
        XCTAssertEqual(try vmpteBytes(pid), try vmpteBytes(pid))  // still running, untouched
    }

    func testWatchRepeatsAndOutputFileIsReplaced() throws {
        let dir = try makeScratchDir(self, "inspect-watch")
        let (child, pid) = try startKnownWaste(dir)
        defer { _ = child }
        let r = try inspect(["--format", "json", "--watch", "0.1", "--iterations", "3", String(pid)], dir: dir)
        XCTAssertTrue(r.succeeded, r.summary)
        XCTAssertEqual(r.stdout.components(separatedBy: "\"processes\"").count - 1, 3, "three rounds")
        let out = dir + "/w.prom"
        let w = try inspect(["--format", "prometheus", "--watch", "0.1", "--iterations", "2", "-o", out, String(pid)],
                            dir: dir)
        XCTAssertTrue(w.succeeded, w.summary)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertEqual(text.components(separatedBy: "# TYPE ptreclaim_vmpte_bytes gauge").count - 1, 1, "one round in the file")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [], "no temporary files left")
    }

    func testUserMistakesAreOneLineErrors() throws {
        let dir = try makeScratchDir(self, "inspect-errors")
        for (args, needle) in [([String](), "give process ids or --all"), (["--all", "1"], "not both"),
                               (["2147483646"], "no process 2147483646"), (["--iterations", "2", "1"], "needs --watch"),
                               (["--watch", "0", "1"], "--watch")] {
            let r = try inspect(args, dir: dir)
            XCTAssertNotEqual(r.exitCode, 0, "\(args): \(r.summary)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        }
    }
}
