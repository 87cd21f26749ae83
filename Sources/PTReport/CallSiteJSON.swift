// The JSON report's "call_sites": the sites the text report lists, same order, with every
// frame (not cut at --frames) as text and as fields.
import PTModel

enum CallSiteJSON {
    static func write(_ input: ReportInput, _ options: ReportOptions, to j: inout JSONWriter) {
        let sites = input.topCallSites(options.topCallSites)
        var resolver = input.frameResolver(options, leaves: sites.map(\.stack))
        j.open("call_sites", array: true)
        for site in sites {
            j.open()
            j.int("stack", site.stack)
            j.int("calls", site.calls)
            j.int("pte_pages_left_empty", site.ptePagesLeftEmpty)
            j.int("pte_page_emptyings", site.ptePageEmptyings)
            j.open("pte_pages_freed")
            for p in Policy.allCases { j.int(p.rawValue, site.ptePagesFreed[p] ?? 0) }
            j.close()
            let frames = resolver.frames(leaf: site.stack)
            j.open("frames", array: true)
            for f in frames { j.string(nil, f.text) }
            j.close(array: true)
            j.open("frame_details", array: true)
            for f in frames {
                j.open()
                if let fn = f.function { j.string("function", fn) } else { j.null("function") }
                if let l = f.location { j.string("location", l) } else { j.null("location") }
                if let m = f.module { j.string("module", m) } else { j.null("module") }
                j.int("offset", f.offset)
                if let a = f.allocator { j.string("allocator", a) } else { j.null("allocator") }
                j.int("count", f.count)
                j.close()
            }
            j.close(array: true)
            j.close()
        }
        j.close(array: true)
        if let sym = resolver.symbolizerPath { j.string("symbolizer", sym) } else { j.null("symbolizer") }
    }
}
