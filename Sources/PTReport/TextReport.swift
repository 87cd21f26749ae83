// The report for people: what was recorded, the four policies side by side, what the kernel
// itself reported and how far the model is from it, and where the empty page tables come from.
// Where the model produced nothing it says "model not available" instead of printing zeros.
import PTTrace
import PTModel
import PTReplay

public enum TextReport {
    /// The trace's ending in words (TraceEnding).
    public static func statusText(_ ending: TraceEnding) -> String {
        switch ending {
        case .complete: return "complete"
        case .damaged(let e): return "DAMAGED at byte \(e.offset ?? 0): \(e.message)"
        case .exec(let program, let next):
            return "ended in exec of \(program): " + (next.map { "continued in \($0)" } ?? "the next image's trace was not found next to this one")
        case .inProgress: return "in progress (no trailer yet: the program is still running; figures so far)"
        case .truncated: return "TRUNCATED (no trailer: the program was killed or the file was cut)"
        }
    }

    public static func render(_ input: ReportInput, topCallSites: Int = 10, symbolize: Bool = true) -> String {
        render(input, ReportOptions(topCallSites: topCallSites, symbolize: symbolize))
    }

    public static func render(_ input: ReportInput, _ options: ReportOptions) -> String {
        var o = ""
        let s = input.summary
        let r = input.result
        o += "ptreclaim report: \(input.file)\n"
        o += "\nTrace\n"
        o += "  command      \(s.command.isEmpty ? "?" : s.command.joined(separator: " "))\n"
        o += "  pid          \(s.pid.map(String.init) ?? "?")   kernel \(s.kernel ?? "?")   page size \(s.pageSize)\n"
        o += "  duration     \(Units.fixed(s.durationSeconds, 3)) s   events \(s.events)   snapshots \(s.snapshots)\n"
        o += "  status       \(statusText(s.ending))"
        o += "   calls lost \(s.callsLost)   records dropped \(s.recordsDropped.map(String.init) ?? "?")\n"
        var calls = s.calls.ordered.map { "\($0.name) \($0.count)" }.joined(separator: ", ")
        var folded: [String] = []
        if s.mmap64Calls > 0 { folded.append("mmap64 \(s.mmap64Calls)") }
        if s.posixMadviseCalls > 0 { folded.append("posix_madvise \(s.posixMadviseCalls)") }
        if s.processMadviseCalls > 0 { folded.append("process_madvise \(s.processMadviseCalls)") }
        if s.pkeyMprotectCalls > 0 { folded.append("pkey_mprotect \(s.pkeyMprotectCalls)") }
        if s.failedCalls > 0 { folded.append("failed \(s.failedCalls)") }
        if !folded.isEmpty { calls += " (of which " + folded.joined(separator: ", ") + ")" }
        o += "  calls        \(calls)\n"
        if let w = s.preloadWarning { o += "  WARNING      \(w)\n" }
        if let note = CallSiteText.zeroCallsNote(input) { o += note }
        o += "  kernel policy \(input.kernelPolicyName)   lazyfree \(r.options.lazyfree.rawValue)\n"

        o += "\nPage-table memory by policy (PTE + PMD + PUD pages, as VmPTE counts them)\n"
        if Policy.allCases.allSatisfy({ !input.hasResult($0) }) {
            o += "  model not available: the replay produced no policy results\n"
        } else {
            o += policyTable(input)
        }

        o += "\nObserved VmPTE (the kernel's own figure at each snapshot)\n"
        if let ob = r.observed, ob.samples > 0 {
            o += "  \(ob.samples) samples: first \(Units.bytes(ob.firstBytes)), peak \(Units.bytes(ob.peakBytes)), final \(Units.bytes(ob.finalBytes))\n"
        } else {
            o += "  no snapshot samples in this trace\n"
        }
        if let v = r.validation, !v.samples.isEmpty {
            // The project's bound, per sample: max(1% of observed, 64 KiB).
            let outside = v.samples.filter {
                Double($0.errorBytes.magnitude) > max(Double($0.observedBytes) * 0.01, 65536)
            }.count
            o += "  validation against \(v.policy.rawValue): \(v.samples.count) samples, initial offset \(Units.bytes(Double(v.initialOffsetBytes)))\n"
            o += "    max |error| \(Units.bytes(v.maxAbsErrorBytes)), final error \(Units.bytes(Double(v.finalErrorBytes)))"
            o += outside == 0 ? "   (every sample within max(1%, 64 KiB))\n"
                              : "   (\(outside) samples OUTSIDE max(1%, 64 KiB))\n"
        } else if r.observed != nil {
            o += "  validation: not available (kernel policy \(input.kernelPolicyName))\n"
        } else {
            o += "  validation: not available\n"
        }

        o += "\nUnrecorded mappings (appeared or vanished between snapshots with no recorded call): \(r.unrecordedMappings)\n"
        if r.inferredZaps + r.inferredLazyfreeDiscards > 0 {
            o += "Blocks emptied with no recorded call, cause inferred (docs/model.md): "
                + "\(r.inferredZaps) as unrecorded whole-block MADV_DONTNEED, "
                + "\(r.inferredLazyfreeDiscards) as lazyfree discard\n"
        }

        o += CallSiteText.render(input, options)
        return o
    }

    static func policyTable(_ input: ReportInput) -> String {
        let r = input.result
        var o = "  " + Units.pad("policy", 11, right: false) + Units.pad("final", 12) + Units.pad("peak", 12)
            + Units.pad("mean", 12) + Units.pad("reclaimed", 12) + Units.pad("captured", 10)
            + Units.pad("PTE freed", 11) + Units.pad("churn", 9) + "\n"
        let none = r.policies[.none]
        let ideal = r.policies[.ideal]
        for p in Policy.allCases {
            o += "  " + Units.pad(p.rawValue, 11, right: false)
            guard let v = r.policies[p] else {
                o += "  model not available\n"
                continue
            }
            o += Units.pad(Units.bytes(v.finalBytes), 12) + Units.pad(Units.bytes(v.peakBytes), 12)
            o += Units.pad(Units.bytes(v.meanBytes), 12)
            var reclaimed = "-", captured = "-"
            if let none {
                reclaimed = Units.bytes(Double(none.finalBytes) - Double(v.finalBytes))
                if let ideal, none.finalBytes > ideal.finalBytes {
                    let share = (Double(none.finalBytes) - Double(v.finalBytes))
                        / (Double(none.finalBytes) - Double(ideal.finalBytes))
                    captured = Units.fixed(share * 100, 1) + "%"
                }
            }
            o += Units.pad(reclaimed, 12) + Units.pad(captured, 10)
            o += Units.pad(String(v.ptePagesFreed), 11) + Units.pad(String(v.ptePagesReallocated), 9) + "\n"
        }
        o += "  reclaimed = none final - policy final; captured = (none - policy) / (none - ideal), final bytes;\n"
        o += "  churn = PTE pages allocated again for a block whose PTE page the policy had freed\n"
        return o
    }
}
