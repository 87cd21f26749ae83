// `ptreclaim summary`: one row per trace of a recording (the program, its forked children and
// the programs they exec'd), sorted by what pt-reclaim and refcount would give back, and the
// process tree. Text, JSON and CSV.
import PTTrace
import PTModel

/// One trace of a recording: what its header says and what its replay gave (or why it failed).
public struct SummaryRow: Sendable {
    public var file: String
    public var header: TraceHeader?
    public var input: ReportInput?
    public var error: String?

    public init(file: String, header: TraceHeader?, input: ReportInput?, error: String?) {
        self.file = file
        self.header = header
        self.input = input
        self.error = error
    }

    public var pid: Int? { header?.pid }
    public var parentPid: Int? { header?["ppid"].flatMap { Int($0) } }
    public var origin: String { header?["origin"] ?? "?" }
    public var parentTrace: String? { header?["parent_trace"].flatMap { $0.isEmpty ? nil : $0 } }
    public var command: [String] { header?.argv ?? [] }
    public var executable: String? { header?["exe"] }

    func final(_ p: Policy) -> UInt64 { input?.result.policies[p]?.finalBytes ?? 0 }
    func peak(_ p: Policy) -> UInt64 { input?.result.policies[p]?.peakBytes ?? 0 }
    /// Final bytes of `none` minus final bytes of `p` (what p gives back at the end).
    func reclaimable(_ p: Policy) -> Int64 { Int64(final(.none)) - Int64(final(p)) }
    var sortKey: (Int64, Int64, UInt64) { (reclaimable(.ptReclaim), reclaimable(.refcount), final(.none)) }
}

public enum SummaryReport {
    /// Rows by what pt-reclaim, then refcount, would give back, most first; failures last.
    public static func sorted(_ rows: [SummaryRow]) -> [SummaryRow] {
        rows.sorted { a, b in
            if (a.input == nil) != (b.input == nil) { return a.input != nil }
            if a.sortKey != b.sortKey { return a.sortKey > b.sortKey }
            return a.file < b.file
        }
    }

    public static func text(_ rows: [SummaryRow], limit: Int? = nil, tree: Bool = true) -> String {
        let rows = sorted(rows)
        var o = ""
        let failed = rows.filter { $0.input == nil }.count
        o += "\(rows.count) traces\(failed > 0 ? " (\(failed) could not be read)" : "")"
        let totals = Policy.allCases.map { p in "\(p.rawValue) \(Units.bytes(rows.reduce(0) { $0 + $1.final(p) }))" }
        o += "; final page-table bytes summed: " + totals.joined(separator: ", ") + "\n"
        o += Units.pad("pid", 8) + Units.pad("parent", 8) + "  " + Units.pad("origin", 7, right: false)
            + Units.pad("none fin", 11) + Units.pad("none peak", 11) + Units.pad("pt-reclaim", 11)
            + Units.pad("refcount", 11) + Units.pad("ideal", 11) + Units.pad("calls", 8) + Units.pad("secs", 8) + "  command\n"
        for r in rows.prefix(limit ?? rows.count) {
            o += Units.pad(r.pid.map(String.init) ?? "?", 8) + Units.pad(r.parentPid.map(String.init) ?? "?", 8)
                + "  " + Units.pad(r.origin, 7, right: false)
            if let input = r.input {
                o += Units.pad(Units.bytes(r.final(.none)), 11) + Units.pad(Units.bytes(r.peak(.none)), 11)
                for p in [Policy.ptReclaim, .refcount, .ideal] { o += Units.pad(Units.bytes(r.final(p)), 11) }
                o += Units.pad(String(input.summary.calls.total), 8) + Units.pad(Units.fixed(input.summary.durationSeconds, 2), 8)
            } else {
                o += "  ERROR: " + (r.error ?? "?")
            }
            o += "  " + commandLine(r) + "   " + base(r.file) + "\n"
        }
        if let limit, rows.count > limit { o += "  ... \(rows.count - limit) more: ptreclaim summary FILE\n" }
        if tree && rows.count > 1 { o += "\nProcess tree (reclaimable = none final - pt-reclaim final / - refcount final)\n" + treeText(rows) }
        return o
    }

    static func commandLine(_ r: SummaryRow) -> String {
        var c = r.command.joined(separator: " ")
        if c.count > 60 { c = String(c.prefix(57)) + "..." }
        return c.isEmpty ? "?" : c
    }

    static func base(_ f: String) -> String { String(f.split(separator: "/").last ?? Substring(f)) }

    /// Parent of each row: the trace its header names as parent_trace, else the trace of its
    /// parent pid (for an exec'd image: the earlier image of the same pid).
    public static func parents(_ rows: [SummaryRow]) -> [Int?] {
        var byBase: [String: Int] = [:]
        for (i, r) in rows.enumerated() { byBase[base(r.file)] = i }
        return rows.enumerated().map { i, r in
            if let pt = r.parentTrace, let j = byBase[base(pt)], j != i { return j }
            if r.origin == "exec", let j = rows.indices.first(where: { $0 != i && rows[$0].pid == r.pid
                && rows[$0].origin != "exec" }) { return j }
            if let pp = r.parentPid, let j = rows.indices.first(where: { $0 != i && rows[$0].pid == pp }) { return j }
            return nil
        }
    }

    static func treeText(_ rows: [SummaryRow]) -> String {
        let parent = parents(rows)
        var children = [[Int]](repeating: [], count: rows.count)
        var roots: [Int] = []
        for i in rows.indices {
            // A cycle (malformed headers) would hide rows: treat such a row as a root.
            var seen: Set<Int> = [i], p = parent[i], cyclic = false
            while let q = p { if seen.contains(q) { cyclic = true; break }; seen.insert(q); p = parent[q] }
            if let q = parent[i], !cyclic { children[q].append(i) } else { roots.append(i) }
        }
        var o = ""
        func walk(_ i: Int, _ prefix: String, _ last: Bool, _ top: Bool) {
            let r = rows[i]
            let figures = r.input == nil ? "ERROR" :
                "reclaimable \(Units.bytes(Double(r.reclaimable(.ptReclaim)))) / \(Units.bytes(Double(r.reclaimable(.refcount)))) of \(Units.bytes(r.final(.none)))"
            o += "  " + prefix + (top ? "" : (last ? "`- " : "|- "))
            o += "\(r.pid.map(String.init) ?? "?") \(r.origin == "start" ? "" : "(\(r.origin)) ")\(commandLine(r))  [\(figures)]\n"
            let kids = children[i].sorted { (rows[$0].header?.monoStartNs ?? 0, $0) < (rows[$1].header?.monoStartNs ?? 0, $1) }
            for (k, c) in kids.enumerated() {
                walk(c, prefix + (top ? "" : (last ? "   " : "|  ")), k == kids.count - 1, false)
            }
        }
        for r in roots.sorted(by: { (rows[$0].header?.monoStartNs ?? 0) < (rows[$1].header?.monoStartNs ?? 0) }) {
            walk(r, "", true, true)
        }
        return o
    }

    public static func json(_ rows: [SummaryRow]) -> String {
        let rows = sorted(rows)
        let parent = parents(rows)
        var j = JSONWriter()
        j.open()
        j.int("schema", JSONReport.schema)
        j.open("traces", array: true)
        for (i, r) in rows.enumerated() {
            j.open()
            j.string("file", r.file)
            if let pid = r.pid { j.int("pid", pid) } else { j.null("pid") }
            if let pp = r.parentPid { j.int("parent_pid", pp) } else { j.null("parent_pid") }
            if let p = parent[i] { j.string("parent_file", rows[p].file) } else { j.null("parent_file") }
            j.string("origin", r.origin)
            if let e = r.executable { j.string("executable", e) } else { j.null("executable") }
            j.open("command", array: true)
            for a in r.command { j.string(nil, a) }
            j.close(array: true)
            if let input = r.input {
                j.double("duration_s", input.summary.durationSeconds)
                j.bool("truncated", input.summary.truncated)
                j.open("calls")
                for (name, count) in input.summary.calls.ordered { j.int(name, count) }
                j.close()
                j.open("policies")
                for p in Policy.allCases {
                    let v = input.result.policies[p] ?? PolicyResult()
                    j.open(p.rawValue)
                    j.int("final_bytes", v.finalBytes)
                    j.int("peak_bytes", v.peakBytes)
                    j.double("mean_bytes", v.meanBytes)
                    j.int("reclaimable_bytes", r.reclaimable(p))
                    j.close()
                }
                j.close()
                if let v = input.result.validation, !v.samples.isEmpty {
                    j.int("validation_max_abs_error_bytes", v.maxAbsErrorBytes)
                } else {
                    j.null("validation_max_abs_error_bytes")
                }
                j.null("error")
            } else {
                j.string("error", r.error ?? "unreadable")
            }
            j.close()
        }
        j.close(array: true)
        j.close()
        return j.out + "\n"
    }

    public static func csv(_ rows: [SummaryRow]) -> String {
        let rows = sorted(rows)
        var o = "file,pid,parent_pid,origin,executable,command,duration_s,calls"
        for p in Policy.allCases { o += ",\(p.rawValue)_final_bytes,\(p.rawValue)_peak_bytes,\(p.rawValue)_reclaimable_bytes" }
        o += ",validation_max_abs_error_bytes,error\n"
        for r in rows {
            var f = [r.file, r.pid.map(String.init) ?? "", r.parentPid.map(String.init) ?? "", r.origin,
                     r.executable ?? "", r.command.joined(separator: " ")]
            if let input = r.input {
                f += [Units.fixed(input.summary.durationSeconds, 6), String(input.summary.calls.total)]
                for p in Policy.allCases { f += [String(r.final(p)), String(r.peak(p)), String(r.reclaimable(p))] }
                f.append(input.result.validation.map { String($0.maxAbsErrorBytes) } ?? "")
                f.append("")
            } else {
                f += Array(repeating: "", count: 2 + 3 * Policy.allCases.count + 1) + [r.error ?? "unreadable"]
            }
            o += f.map(csvField).joined(separator: ",") + "\n"
        }
        return o
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return s }
        return "\"" + String(s.flatMap { $0 == "\"" ? ["\"", "\""] : [$0] }) + "\""
    }
}
