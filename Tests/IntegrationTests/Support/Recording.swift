// Recording a test program with `ptreclaim record`, and the checks every recorded trace gets:
// mode 0600, readable by the Swift reader, `ptreclaim dump` and `ptreclaim report` (text and
// JSON) succeed, and — when the model is available — the model agrees with the kernel's VmPTE
// within max(1% of observed, 64 KiB) at every snapshot.
import Foundation
import PTModel
import PTReplay
import PTTrace
import XCTest

struct Recorded {
    let run: RunResult
    /// The trace path given to -o.
    let trace: String
}

/// The validation bound of issue 3: max(1% of the observed VmPTE, 64 KiB).
func validationBound(observedBytes: UInt64) -> UInt64 { max(observedBytes / 100, 64 * 1024) }

extension XCTestCase {
    /// `ptreclaim record [options] -o DIR/NAME -- build/programs/PROGRAM ARGS...`
    func record(_ program: String, args: [String] = [], options: [String] = [], dir: String,
                name: String? = nil, extraEnv: [String: String] = [:], timeout: Double = 60,
                logDir: String? = nil) throws -> Recorded {
        let cli = try Artifacts.cli()
        _ = try Artifacts.recorder()
        let prog = try Artifacts.program(program)
        let trace = dir + "/" + (name ?? program + ".ptr")
        let r = try runProcess([cli, "record"] + options + ["-o", trace, "--", prog] + args,
                        extraEnv: extraEnv, timeout: timeout, outDir: logDir ?? dir)
        XCTAssertFalse(r.timedOut, "\(program) under the recorder did not finish in \(timeout) s (deadlock?)")
        return Recorded(run: r, trace: trace)
    }

    /// `ptreclaim report --format json [extra] TRACE`, parsed.
    func reportJSON(_ trace: String, extra: [String] = []) throws -> [String: Any] {
        let cli = try Artifacts.cli()
        let dir = (trace as NSString).deletingLastPathComponent
        let r = try runProcess([cli, "report", "--format", "json"] + extra + [trace], timeout: 120, outDir: dir)
        guard r.succeeded else { throw TestFailure("report --format json \(trace): \(r.summary)") }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("report --format json \(trace) did not print one JSON object: \(r.stdout.prefix(300))")
        }
        return obj
    }

    /// In-process replay: the library entry point the report uses (PTReplay's Replay.run).
    func replay(_ trace: String, lazyfree: LazyfreeMode = .keep) throws -> ReplayResult {
        try Replay.run(trace, options: ReplayOptions(lazyfree: lazyfree)).result
    }

    /// The checks every trace the suite records gets. Returns the trace's facts.
    /// `requireModel`: fail (rather than pass silently) when the model is still a placeholder.
    @discardableResult
    func checkTrace(_ trace: String, requireModel: Bool = false, file: StaticString = #filePath,
                    line: UInt = #line) throws -> TraceFacts {
        var st = stat()
        XCTAssertEqual(stat(trace, &st), 0, "no trace at \(trace)", file: file, line: line)
        XCTAssertEqual(st.st_mode & 0o777, 0o600, "\(trace) has mode \(String(st.st_mode & 0o777, radix: 8)), not 0600",
                       file: file, line: line)

        let facts = try TraceFacts.read(trace)

        let cli = try Artifacts.cli()
        let dir = (trace as NSString).deletingLastPathComponent
        let dump = try runProcess([cli, "dump", trace], timeout: 120, outDir: dir)
        XCTAssertTrue(dump.succeeded, "ptreclaim dump \(trace): \(dump.summary)", file: file, line: line)
        let text = try runProcess([cli, "report", trace], timeout: 120, outDir: dir)
        XCTAssertTrue(text.succeeded, "ptreclaim report \(trace): \(text.summary)", file: file, line: line)
        let json = try reportJSON(trace)
        if let t = json["trace"] as? [String: Any] {
            XCTAssertEqual(t["truncated"] as? Bool, facts.truncated, "JSON trace.truncated for \(trace)",
                           file: file, line: line)
        } else {
            XCTFail("JSON report of \(trace) has no \"trace\" object", file: file, line: line)
        }

        try checkValidation(trace, facts: facts, requireModel: requireModel, file: file, line: line)
        return facts
    }

    /// Model against kernel at every snapshot, for the recording kernel's policy.
    func checkValidation(_ trace: String, facts: TraceFacts, requireModel: Bool,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try replay(trace)
        guard !result.policies.isEmpty else {
            if requireModel {
                XCTFail("the model is not available (Replayer returned no policies) — cannot check \(trace)",
                        file: file, line: line)
            }
            return
        }
        guard !facts.snapshots.isEmpty, facts.header.kernelPolicy != "unknown" else { return }
        guard let v = result.validation else {
            XCTFail("\(trace): \(facts.snapshots.count) snapshots and kernel_policy \(facts.header.kernelPolicy), "
                    + "but the model produced no validation", file: file, line: line)
            return
        }
        var worst: (ValidationSample, UInt64)?
        var bad = 0
        for s in v.samples {
            let bound = validationBound(observedBytes: s.observedBytes)
            if s.errorBytes.magnitude > bound {
                bad += 1
                if worst == nil || s.errorBytes.magnitude > worst!.0.errorBytes.magnitude { worst = (s, bound) }
            }
        }
        if let (s, bound) = worst {
            XCTFail("\(trace): validation error outside max(1%, 64 KiB) at \(bad) of \(v.samples.count) snapshots; "
                    + "worst: observed \(s.observedBytes) B, model \(s.modelBytes) B, offset \(v.initialOffsetBytes) B, "
                    + "error \(s.errorBytes) B > bound \(bound) B (t=\(s.time))", file: file, line: line)
        }
    }
}

/// Integer fields of the JSON report: json["policies"][policy][key].
func policyValue(_ json: [String: Any], _ policy: String, _ key: String) -> Int64? {
    guard let p = (json["policies"] as? [String: Any])?[policy] as? [String: Any] else { return nil }
    return (p[key] as? NSNumber)?.int64Value
}

func jsonInt(_ obj: Any?) -> Int? { (obj as? NSNumber)?.intValue }
