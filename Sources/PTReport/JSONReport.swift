// The JSON report, schema 1, exactly per the contract in docs/cli.md (key order as there).
// Extra keys after the contract's: "validation.worst_sample", "unrecorded_mappings",
// "inferred_unrecorded_zaps", "inferred_lazyfree_discards" and "call_sites" (top sites by PTE
// pages left empty under `none`, with their stack node and resolved frames).
import PTTrace
import PTModel
import PTReplay

public enum JSONReport {
    public static let schema = 1

    public static func render(_ input: ReportInput, topCallSites: Int = 10, symbolize: Bool = true) -> String {
        render(input, ReportOptions(topCallSites: topCallSites, symbolize: symbolize))
    }

    public static func render(_ input: ReportInput, _ options: ReportOptions) -> String {
        let s = input.summary
        let r = input.result
        var j = JSONWriter()
        j.open()
        j.int("schema", schema)

        j.open("trace")
        j.string("file", input.file)
        if let pid = s.pid { j.int("pid", pid) } else { j.null("pid") }
        j.open("command", array: true)
        for a in s.command { j.string(nil, a) }
        j.close(array: true)
        if let k = s.kernel { j.string("kernel", k) } else { j.null("kernel") }
        j.int("page_size", s.pageSize)
        j.int("events", s.events)
        j.double("duration_s", s.durationSeconds)
        j.bool("truncated", s.truncated)
        j.int("dropped_events", s.droppedEvents)
        j.int("calls_lost", s.callsLost)
        if let d = s.recordsDropped { j.int("records_dropped", d) } else { j.null("records_dropped") }
        j.open("calls")
        for (name, count) in s.calls.ordered { j.int(name, count) }
        j.close()
        if let w = s.preloadWarning { j.string("preload_warning", w) }  // only when there is one
        j.string("status", s.ending.name)
        if case .exec(_, let next?) = s.ending { j.string("continued_in", next) } else { j.null("continued_in") }
        if case .damaged(let e) = s.ending {
            j.open("damaged")
            j.int("offset", e.offset ?? 0)
            j.string("what", e.message)
            j.close()
        } else {
            j.null("damaged")
        }
        j.close()

        j.string("kernel_policy", input.kernelPolicyName)
        j.string("lazyfree", r.options.lazyfree.rawValue)

        writePolicies(r.policies, to: &j)

        if let o = r.observed, o.samples > 0 {
            j.open("observed")
            j.int("samples", o.samples)
            j.int("vmpte_first_bytes", o.firstBytes)
            j.int("vmpte_peak_bytes", o.peakBytes)
            j.int("vmpte_final_bytes", o.finalBytes)
            j.close()
        } else {
            j.null("observed")
        }

        if let v = r.validation, !v.samples.isEmpty {
            j.open("validation")
            j.string("policy", v.policy.rawValue)
            j.int("samples", v.samples.count)
            j.int("initial_offset_bytes", v.initialOffsetBytes)
            j.int("max_abs_error_bytes", v.maxAbsErrorBytes)
            j.int("final_error_bytes", v.finalErrorBytes)
            // Extra: the snapshot with the largest error, to find it in `ptreclaim dump`.
            if let worst = v.samples.max(by: { $0.errorBytes.magnitude < $1.errorBytes.magnitude }) {
                j.open("worst_sample")
                j.int("time_ns", worst.time)
                j.int("observed_bytes", worst.observedBytes)
                j.int("model_bytes", worst.modelBytes)
                j.int("error_bytes", worst.errorBytes)
                j.close()
            }
            j.close()
        } else {
            j.null("validation")
        }

        // Extra keys (allowed by the contract; they do not change the meaning of the above).
        j.int("unrecorded_mappings", r.unrecordedMappings)
        j.int("inferred_unrecorded_zaps", r.inferredZaps)
        j.int("inferred_lazyfree_discards", r.inferredLazyfreeDiscards)
        j.open("variants")  // final figures only (RefcountPMDVariant.swift)
        for name in Variant.allCases {
            let v = r.variants[name] ?? VariantResult()
            j.open(name.rawValue)
            j.int("final_bytes", v.finalBytes)
            pagesFinal(&j, v.ptePagesFinal, v.pmdPagesFinal, v.pudPagesFinal)
            j.close()
        }
        j.close()
        CallSiteJSON.write(input, options, to: &j)
        j.close()
        return j.out + "\n"
    }

    /// The "policies" object (zeros where the model has nothing), shared with `diff`.
    static func writePolicies(_ policies: [Policy: PolicyResult], to j: inout JSONWriter) {
        j.open("policies")
        for p in Policy.allCases {
            let v = policies[p] ?? PolicyResult()
            j.open(p.rawValue)
            j.int("final_bytes", v.finalBytes)
            j.int("peak_bytes", v.peakBytes)
            j.double("mean_bytes", v.meanBytes)
            pagesFinal(&j, v.ptePagesFinal, v.pmdPagesFinal, v.pudPagesFinal)
            j.int("pte_pages_freed", v.ptePagesFreed)
            j.int("pte_pages_reallocated", v.ptePagesReallocated)
            j.close()
        }
        j.close()
    }

    /// The table pages a policy (or variant) holds at the end, in the contract's key order.
    private static func pagesFinal(_ j: inout JSONWriter, _ pte: UInt64, _ pmd: UInt64, _ pud: UInt64) {
        j.int("pte_pages_final", pte)
        j.int("pmd_pages_final", pmd)
        j.int("pud_pages_final", pud)
    }
}
