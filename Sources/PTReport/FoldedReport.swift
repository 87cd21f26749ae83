// Folded stacks for flame graphs (flamegraph.pl, speedscope, inferno): one line per call site,
// `outermost;...;leaf COUNT`, weighted by the distinct PTE pages the site left empty under
// `none`, or by the bytes a chosen policy freed there. Frames as the text report names them,
// allocator runs collapsed; sites that weigh 0 are left out.
import PTModel

public enum FoldedReport {
    /// `weight`: nil for PTE pages left empty, else the policy whose freed bytes weigh a site.
    public static func render(_ input: ReportInput, _ options: ReportOptions, weight: Policy? = nil) -> String {
        let sites = input.result.callSites.filter { value($0, weight) > 0 }
        var resolver = input.frameResolver(options, leaves: sites.map(\.stack))
        var lines: [String: UInt64] = [:]
        for site in sites {
            var frames = resolver.frames(leaf: site.stack).reversed().map { sanitize($0.short) }
            if frames.isEmpty { frames = ["[no stack]"] }
            lines[frames.joined(separator: ";"), default: 0] += value(site, weight)
        }
        return lines.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined()
    }

    static func value(_ site: CallSiteResult, _ weight: Policy?) -> UInt64 {
        guard let weight else { return site.ptePagesLeftEmpty }
        return (site.ptePagesFreed[weight] ?? 0) * 4096
    }

    /// ';' separates frames and ' ' the count: neither may appear inside a frame.
    static func sanitize(_ s: String) -> String {
        String(s.map { $0 == ";" ? ":" : ($0 == "\n" ? " " : $0) })
    }
}
