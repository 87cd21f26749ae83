// One self-contained HTML page (no network: styles, SVG and the small script are inline): the
// VmPTE timeline with each policy's model line and the kernel's observed points, the policy
// table, the top call sites, and a flame graph of empty page tables by stack.
import PTModel

public enum HTMLReport {
    static let colors: [Policy: String] = [.none: "#d62728", .ptReclaim: "#1f77b4", .refcount: "#2ca02c", .ideal: "#9467bd"]

    public static func render(_ input: ReportInput, timeline: Timeline, _ options: ReportOptions) -> String {
        page(title: "ptreclaim report: " + input.file)
            + "<h1>ptreclaim report: \(esc(input.file))</h1>\n"
            + body(input, timeline: timeline, options, id: "timeline") + checkScript + "</body></html>\n"
    }

    /// Several traces on one page (`summary --format html`): the summary table, each row
    /// linking to its trace's section below when it has one (the first `detailed` rows).
    public static func render(summary rows: [SummaryRow], timelines: [String: Timeline], _ options: ReportOptions) -> String {
        var o = page(title: "ptreclaim summary")
        o += "<h1>ptreclaim summary: \(rows.count) traces</h1>\n<table><tr><th>#</th><th>pid</th><th>parent</th><th>origin</th>"
        for p in Policy.allCases { o += "<th>\(p.rawValue) final</th>" }
        o += "<th>calls</th><th>command</th></tr>\n"
        let sorted = SummaryReport.sorted(rows)
        for (i, r) in sorted.enumerated() {
            let linked = timelines[r.file] != nil && r.input != nil
            o += "<tr><td>\(i + 1)</td><td>\(r.pid.map(String.init) ?? "?")</td><td>\(r.parentPid.map(String.init) ?? "?")</td><td>\(esc(r.origin))</td>"
            if let input = r.input {
                for p in Policy.allCases { o += "<td>\(Units.bytes(input.result.policies[p]?.finalBytes ?? 0))</td>" }
                o += "<td>\(input.summary.calls.total)</td>"
            } else {
                o += "<td colspan=\(Policy.allCases.count + 1)>ERROR: \(esc(r.error ?? "?"))</td>"
            }
            let cmd = esc(SummaryReport.commandLine(r))
            o += "<td class=stack>\(linked ? "<a href=\"#trace-\(i + 1)\">\(cmd)</a>" : cmd)</td></tr>\n"
        }
        o += "</table>\n"
        for (i, r) in sorted.enumerated() {
            guard let input = r.input, let t = timelines[r.file] else { continue }
            o += "<hr><h1 id=\"trace-\(i + 1)\">#\(i + 1) \(esc(input.file))</h1>\n" + body(input, timeline: t, options, id: "timeline-\(i + 1)")
        }
        return o + checkScript + "</body></html>\n"
    }

    static func body(_ input: ReportInput, timeline: Timeline, _ options: ReportOptions, id: String) -> String {
        var o = ""
        let s = input.summary
        o += "<p class=meta>\(esc(s.command.joined(separator: " "))) &middot; pid \(s.pid.map(String.init) ?? "?") &middot; "
            + "kernel \(esc(s.kernel ?? "?")) (\(esc(input.kernelPolicyName))) &middot; \(Units.fixed(s.durationSeconds, 3)) s &middot; "
            + "\(s.calls.total) calls &middot; \(s.snapshots) snapshots\(s.truncated ? " &middot; <b>TRUNCATED</b>" : "")</p>\n"
        o += "<h2>Page-table memory over time</h2>\n" + timelineSVG(timeline, id: id)
        o += "<h2>Policies</h2>\n" + policyTable(input)
        let sites = input.topCallSites(options.topCallSites)
        var resolver = input.frameResolver(options, leaves: input.result.callSites.filter { $0.ptePagesLeftEmpty > 0 }.map(\.stack))
        o += "<h2>Top call sites by distinct PTE pages left empty</h2>\n"
        if sites.isEmpty { o += "<p>No recorded call left a PTE page empty.</p>\n" }
        else {
            o += "<table><tr><th>#</th><th>PTE pages</th><th>bytes</th><th>calls</th><th>stack (innermost first)</th></tr>\n"
            for (i, site) in sites.enumerated() {
                let frames = resolver.frames(leaf: site.stack).map { esc($0.text) }.joined(separator: "<br>")
                o += "<tr><td>\(i + 1)</td><td>\(site.ptePagesLeftEmpty)</td><td>\(Units.bytes(site.ptePagesLeftEmpty * 4096))</td>"
                    + "<td>\(site.calls)</td><td class=stack>\(frames.isEmpty ? "(no stack)" : frames)</td></tr>\n"
            }
            o += "</table>\n"
        }
        o += "<h2>Flame graph: PTE pages left empty, by stack</h2>\n"
        o += flameSVG(input.result.callSites.filter { $0.ptePagesLeftEmpty > 0 }
            .map { (resolver.frames(leaf: $0.stack).reversed().map(\.short), $0.ptePagesLeftEmpty) })
        return o
    }

    static func page(title: String) -> String {
        """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>\(esc(title))</title>
        <style>
        body{font:14px/1.4 sans-serif;margin:24px;color:#222;background:#fff}
        table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}
        td.stack{text-align:left;font-family:monospace;font-size:12px}
        .meta{color:#555}svg text{font:11px sans-serif}.legend span{margin-right:14px}
        a{color:#1f5fa8}
        </style></head><body>

        """
    }

    static func timelineSVG(_ t: Timeline, id: String) -> String {
        let w = 900.0, h = 300.0, left = 70.0, bottom = 30.0, top = 10.0
        guard !t.points.isEmpty else { return "<p>No snapshot in this trace: no timeline.</p>\n" }
        let maxT = max(t.points.last!.seconds, 1e-3)
        let maxB = Double(t.points.map { max($0.observedBytes, $0.modelBytes.max() ?? 0) }.max() ?? 1) * 1.05 + 1
        func x(_ s: Double) -> String { Units.fixed(left + s / maxT * (w - left - 40), 1) }
        func y(_ b: UInt64) -> String { Units.fixed(top + (1 - Double(b) / maxB) * (h - top - bottom), 1) }
        var o = "<div class=legend>"
        for p in Policy.allCases { o += "<span style=\"color:\(colors[p]!)\">&#9644; \(p.rawValue) (model)</span>" }
        o += "<span>&#9679; observed VmPTE (kernel)</span></div>\n"
        o += "<svg id=\"\(id)\" class=timeline width=\"\(Int(w))\" height=\"\(Int(h))\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        o += "<line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - 40)\" y2=\"\(h - bottom)\" stroke=\"#888\"/>"
        o += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(h - bottom)\" stroke=\"#888\"/>\n"
        for i in 0...4 {
            let b = UInt64(maxB * Double(i) / 4)
            o += "<text x=\"\(left - 4)\" y=\"\(y(b))\" text-anchor=\"end\">\(Units.bytes(b))</text>"
            let s = maxT * Double(i) / 4
            o += "<text x=\"\(x(s))\" y=\"\(h - bottom + 14)\" text-anchor=\"middle\">\(Units.fixed(s, 2)) s</text>\n"
        }
        for (i, p) in Policy.allCases.enumerated() {
            let pts = t.points.map { "\(x($0.seconds)),\(y($0.modelBytes[i]))" }.joined(separator: " ")
            // Later policies are drawn thinner so equal lines stay visible.
            o += "<polyline class=series data-series=\"\(p.rawValue)\" fill=\"none\" stroke=\"\(colors[p]!)\" stroke-width=\"\(4 - i)\" points=\"\(pts)\"/>\n"
        }
        o += "<g class=series data-series=\"observed\">"
        for pt in t.points {
            o += "<circle cx=\"\(x(pt.seconds))\" cy=\"\(y(pt.observedBytes))\" r=\"2.5\" fill=\"#000\"><title>\(Units.fixed(pt.seconds, 3)) s: VmPTE \(Units.bytes(pt.observedBytes))</title></circle>"
        }
        o += "</g>\n</svg>\n"
        return o
    }

    static func policyTable(_ input: ReportInput) -> String {
        var o = "<table><tr><th>policy</th><th>final</th><th>peak</th><th>mean</th><th>reclaimed</th><th>PTE pages freed</th></tr>\n"
        let none = input.result.policies[.none]
        for p in Policy.allCases {
            guard let v = input.result.policies[p] else {
                o += "<tr><td>\(p.rawValue)</td><td colspan=5>model not available</td></tr>\n"
                continue
            }
            let rec = none.map { Units.bytes(Double($0.finalBytes) - Double(v.finalBytes)) } ?? "-"
            o += "<tr><td style=\"color:\(colors[p]!)\">\(p.rawValue)</td><td>\(Units.bytes(v.finalBytes))</td><td>\(Units.bytes(v.peakBytes))</td>"
                + "<td>\(Units.bytes(v.meanBytes))</td><td>\(rec)</td><td>\(v.ptePagesFreed)</td></tr>\n"
        }
        if let ob = input.result.observed, ob.samples > 0 {
            o += "<tr><td>observed</td><td>\(Units.bytes(ob.finalBytes))</td><td>\(Units.bytes(ob.peakBytes))</td><td colspan=3>kernel VmPTE, \(ob.samples) samples</td></tr>\n"
        }
        return o + "</table>\n"
    }

    /// An icicle-style flame graph: outermost frame on top, width proportional to weight.
    static func flameSVG(_ stacks: [([String], UInt64)]) -> String {
        final class Node { var children: [String: Node] = [:]; var order: [String] = []; var weight: UInt64 = 0 }
        let root = Node()
        for (frames, weight) in stacks {
            root.weight += weight
            var n = root
            for f in frames {
                if n.children[f] == nil { n.children[f] = Node(); n.order.append(f) }
                n = n.children[f]!
                n.weight += weight
            }
        }
        guard root.weight > 0 else { return "<p>No PTE page was left empty by a recorded call.</p>\n" }
        let w = 900.0, rowH = 18.0
        var rects = ""
        var depth = 0
        func draw(_ n: Node, _ x0: Double, _ d: Int) {
            var x = x0
            for name in n.order.sorted() {
                let c = n.children[name]!
                let cw = Double(c.weight) / Double(root.weight) * w
                depth = max(depth, d + 1)
                let hue = 10 + (name.unicodeScalars.reduce(0) { ($0 &* 31 &+ Int($1.value)) & 0xffff } % 40)
                let label = cw > 40 ? String(name.prefix(Int(cw / 7))) : ""
                rects += "<g><title>\(esc(name)): \(c.weight) PTE pages</title><rect x=\"\(Units.fixed(x, 1))\" y=\"\(Units.fixed(Double(d) * rowH, 1))\" width=\"\(Units.fixed(max(cw - 0.5, 0.5), 1))\" height=\"\(rowH - 1)\" fill=\"hsl(\(hue),85%,60%)\"/>"
                rects += "<text x=\"\(Units.fixed(x + 3, 1))\" y=\"\(Units.fixed(Double(d) * rowH + 13, 1))\">\(esc(label))</text></g>\n"
                draw(c, x, d + 1)
                x += cw
            }
        }
        draw(root, 0, 0)
        return "<svg class=flamegraph width=\"\(Int(w))\" height=\"\(Int(Double(depth) * rowH))\" xmlns=\"http://www.w3.org/2000/svg\">\n" + rects + "</svg>\n"
    }

    /// Writes what the browser drew (length of each series' line, number of observed points)
    /// into #render-check, so a headless browser test can see the chart was rendered.
    static let checkScript = """
        <pre id=render-check style="color:#999;font-size:10px"></pre>
        <script>
        (function(){var out=[],svg=document.querySelector('svg.timeline');if(svg)svg.querySelectorAll('.series').forEach(function(e){
        var v=e.tagName==='polyline'?Math.round(e.getTotalLength()):e.querySelectorAll('circle').length;
        out.push(e.getAttribute('data-series')+'='+v);});
        document.getElementById('render-check').textContent='rendered: '+out.join(' ');})();
        </script>

        """

    static func esc(_ s: String) -> String {
        var r = ""
        for c in s {
            switch c {
            case "&": r += "&amp;"
            case "<": r += "&lt;"
            case ">": r += "&gt;"
            case "\"": r += "&quot;"
            default: r.append(c)
            }
        }
        return r
    }
}
