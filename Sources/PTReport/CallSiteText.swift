// The text report's last sections: the top call sites, ranked by the distinct PTE pages they
// left empty (a page counted once, for the site that emptied it last, so the figures add up to
// pages that existed), with readable stacks; and why a trace may have no calls at all.
import PTTrace
import PTModel

enum CallSiteText {
    static func render(_ input: ReportInput, _ options: ReportOptions) -> String {
        let sites = input.topCallSites(options.topCallSites)
        var o = "\nTop call sites by distinct PTE pages left empty under `none` (a page counts once, for the site that emptied it last)\n"
        if sites.isEmpty {
            o += input.hasResult(.none) ? "  none: no recorded call left a PTE page empty\n" : "  model not available\n"
            return o
        }
        var resolver = input.frameResolver(options, leaves: sites.map(\.stack))
        for (i, site) in sites.enumerated() {
            let freed = Policy.allCases.filter { $0 != .none }
                .map { "\($0.rawValue) \(site.ptePagesFreed[$0] ?? 0)" }.joined(separator: ", ")
            o += "  #\(i + 1) \(site.ptePagesLeftEmpty) PTE pages left empty (\(Units.bytes(site.ptePagesLeftEmpty * 4096)))"
            o += "; \(site.calls) calls emptied a PTE page \(site.ptePageEmptyings) times; freed: \(freed)   [stack \(site.stack)]\n"
            let frames = resolver.frames(leaf: site.stack)
            if frames.isEmpty { o += "       (no stack recorded)\n" }
            let shown = options.frames > 0 ? min(options.frames, frames.count) : frames.count
            for f in frames.prefix(shown) { o += "       \(f.text)\n" }
            if shown < frames.count { o += "       ... \(frames.count - shown) more (--frames N)\n" }
        }
        if resolver.symbolizerPath == nil && options.symbolize {
            o += "  (no file:line: llvm-symbolizer not found or no debug information; see docs/cli.md)\n"
        }
        return o
    }

    /// Why a trace may show no calls, and what to do about it.
    static func zeroCallsNote(_ input: ReportInput) -> String? {
        guard input.summary.calls.total == 0 else { return nil }
        return """
              No call was recorded. Possible reasons:
              - glibc's malloc maps and releases memory through internal calls (__mmap, __madvise)
                that a preload recorder cannot see; snapshots still show what happened. Record
                with another allocator (LD_PRELOAD=libjemalloc.so.2) to see its calls, or read
                the inferred blocks below (docs/model.md).
              - the program exec'd another program, whose trace is FILE.<pid>.execN: run
                `ptreclaim summary FILE` to list every trace of the recording.
              - the program is statically linked or setuid, so the recorder was not loaded.

            """
    }
}
