// `ptreclaim diff A B`: two runs side by side (jemalloc vs tcmalloc, before vs after tuning).
// A side is one trace or a whole recording (its traces' figures summed). Call sites are
// matched by their stack as the folded report names it, since stack numbers differ between runs.
import PTModel

public struct DiffSide {
    public var name: String
    public var inputs: [ReportInput]
    public var policies: [Policy: PolicyResult] = [:]
    public var calls: UInt64 = 0
    /// Folded stack -> distinct PTE pages left empty.
    public var sites: [String: UInt64] = [:]

    public init(name: String, inputs: [ReportInput], options: ReportOptions) {
        self.name = name
        self.inputs = inputs
        for input in inputs {
            calls += input.summary.calls.total
            for p in Policy.allCases {
                guard let v = input.result.policies[p] else { continue }
                var s = policies[p] ?? PolicyResult()
                s.finalBytes += v.finalBytes
                s.peakBytes += v.peakBytes
                s.meanBytes += v.meanBytes
                s.ptePagesFinal += v.ptePagesFinal
                s.pmdPagesFinal += v.pmdPagesFinal
                s.pudPagesFinal += v.pudPagesFinal
                s.ptePagesFreed += v.ptePagesFreed
                s.ptePagesReallocated += v.ptePagesReallocated
                policies[p] = s
            }
            let found = input.result.callSites.filter { $0.ptePagesLeftEmpty > 0 }
            var resolver = input.frameResolver(options, leaves: found.map(\.stack))
            for site in found {
                let key = resolver.frames(leaf: site.stack).reversed().map(\.short).joined(separator: ";")
                sites[key.isEmpty ? "[no stack]" : key, default: 0] += site.ptePagesLeftEmpty
            }
        }
    }

    /// (none final - p final) / (none final - ideal final), nil when ideal frees nothing.
    func captured(_ p: Policy) -> Double? {
        guard let none = policies[.none], let ideal = policies[.ideal], let v = policies[p],
              none.finalBytes > ideal.finalBytes else { return nil }
        return (Double(none.finalBytes) - Double(v.finalBytes)) / (Double(none.finalBytes) - Double(ideal.finalBytes))
    }
}

public enum DiffReport {
    /// Call sites by how much their empty PTE pages changed, most first.
    static func siteChanges(_ a: DiffSide, _ b: DiffSide, top: Int) -> [(stack: String, a: UInt64, b: UInt64)] {
        var out: [(stack: String, a: UInt64, b: UInt64)] = []
        for key in Set(a.sites.keys).union(b.sites.keys) {
            let x = a.sites[key] ?? 0, y = b.sites[key] ?? 0
            if x != y { out.append((key, x, y)) }
        }
        func change(_ c: (stack: String, a: UInt64, b: UInt64)) -> UInt64 { c.a > c.b ? c.a - c.b : c.b - c.a }
        out.sort { l, r in change(l) != change(r) ? change(l) > change(r) : l.stack < r.stack }
        return Array(out.prefix(top))
    }

    public static func text(_ a: DiffSide, _ b: DiffSide, top: Int = 10) -> String {
        var o = "ptreclaim diff\n"
        o += "  A  \(a.name)  (\(describe(a)))\n  B  \(b.name)  (\(describe(b)))\n\n"
        o += "  " + Units.pad("policy", 11, right: false)
        for h in ["A final", "B final", "delta", "A peak", "B peak", "delta", "A mean", "B mean", "delta"] { o += Units.pad(h, 11) }
        o += "\n"
        for p in Policy.allCases {
            let x = a.policies[p] ?? PolicyResult(), y = b.policies[p] ?? PolicyResult()
            o += "  " + Units.pad(p.rawValue, 11, right: false)
            for (u, v) in [(Double(x.finalBytes), Double(y.finalBytes)), (Double(x.peakBytes), Double(y.peakBytes)),
                           (x.meanBytes, y.meanBytes)] {
                o += Units.pad(Units.bytes(u), 11) + Units.pad(Units.bytes(v), 11) + Units.pad(signed(v - u), 11)
            }
            o += "\n"
        }
        o += "\n  calls      A \(a.calls), B \(b.calls) (\(b.calls >= a.calls ? "+" : "-")\(b.calls >= a.calls ? b.calls - a.calls : a.calls - b.calls))\n"
        for p in [Policy.ptReclaim, .refcount] {
            o += "  captured   \(p.rawValue): A \(pct(a.captured(p))), B \(pct(b.captured(p)))   (share of what ideal frees, final bytes)\n"
        }
        if a.inputs.count > 1 || b.inputs.count > 1 {
            o += "  (a recording's figures are its traces' figures summed; peaks summed too)\n"
        }
        let changes = siteChanges(a, b, top: top)
        o += "\nCall sites whose distinct empty PTE pages changed most (B - A)\n"
        if changes.isEmpty { o += "  none\n" }
        for c in changes {
            let d = Int64(c.b) - Int64(c.a)
            o += "  \(d > 0 ? "+" : "")\(d) PTE pages (A \(c.a), B \(c.b))\n"
            let frames = c.stack.split(separator: ";").reversed()
            o += "       " + frames.prefix(6).joined(separator: " <- ") + (frames.count > 6 ? " <- ..." : "") + "\n"
        }
        return o
    }

    static func describe(_ s: DiffSide) -> String {
        if s.inputs.count == 1 { return s.inputs[0].summary.command.joined(separator: " ").prefix(70) + "" }
        return "\(s.inputs.count) traces"
    }

    static func signed(_ v: Double) -> String { (v > 0 ? "+" : "") + Units.bytes(v) }
    static func pct(_ v: Double?) -> String { v.map { Units.fixed($0 * 100, 1) + "%" } ?? "-" }

    public static func json(_ a: DiffSide, _ b: DiffSide, top: Int = 10) -> String {
        var j = JSONWriter()
        j.open()
        j.int("schema", JSONReport.schema)
        for (key, side) in [("a", a), ("b", b)] {
            j.open(key)
            j.string("file", side.name)
            j.open("traces", array: true)
            for i in side.inputs { j.string(nil, i.file) }
            j.close(array: true)
            j.int("calls", side.calls)
            JSONReport.writePolicies(side.policies, to: &j)
            j.open("captured")
            for p in Policy.allCases where p != .none {
                if let c = side.captured(p) { j.double(p.rawValue, c) } else { j.null(p.rawValue) }
            }
            j.close()
            j.close()
        }
        j.open("delta")
        j.int("calls", Int64(b.calls) - Int64(a.calls))
        j.open("policies")
        for p in Policy.allCases {
            let x = a.policies[p] ?? PolicyResult(), y = b.policies[p] ?? PolicyResult()
            j.open(p.rawValue)
            j.int("final_bytes", Int64(y.finalBytes) - Int64(x.finalBytes))
            j.int("peak_bytes", Int64(y.peakBytes) - Int64(x.peakBytes))
            j.double("mean_bytes", y.meanBytes - x.meanBytes)
            j.int("pte_pages_freed", Int64(y.ptePagesFreed) - Int64(x.ptePagesFreed))
            j.close()
        }
        j.close()
        j.open("call_sites", array: true)
        for c in siteChanges(a, b, top: top) {
            j.open()
            j.string("stack", c.stack)
            j.int("a_pte_pages_left_empty", c.a)
            j.int("b_pte_pages_left_empty", c.b)
            j.int("delta", Int64(c.b) - Int64(c.a))
            j.close()
        }
        j.close(array: true)
        j.close()
        j.close()
        return j.out + "\n"
    }
}
