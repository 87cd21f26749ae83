// `ptreclaim report`'s formats, written to standard output or to --output FILE.
import PTModel
import PTReport
import PTTrace
#if canImport(Glibc)
import Glibc
#endif

extension Report {
    var reportOptions: ReportOptions {
        ReportOptions(topCallSites: topCallSites, frames: frames, symbolize: !noSymbols,
                      collapseAllocators: !allocatorFrames)
    }

    func writeReport(_ input: ReportInput) throws {
        let opts = reportOptions
        let text: String
        switch format {
        case .text: text = TextReport.render(input, opts)
        case .json: text = JSONReport.render(input, opts)
        case .folded:
            guard weight == "none" || Policy(rawValue: weight) != nil else {
                throw userError("--weight must be none, pt-reclaim, refcount or ideal")
            }
            text = FoldedReport.render(input, opts, weight: weight == "none" ? nil : Policy(rawValue: weight))
        case .csv: text = try timeline().csv()
        case .html: text = HTMLReport.render(input, timeline: try timeline(), opts)
        }
        try writeText(text, to: output)
    }

    func timeline() throws -> Timeline {
        do {
            return try Timeline.read(path: file, options: ReplayOptions(lazyfree: lazyfree.mode, inferUnrecordedZaps: !noInfer))
        } catch let e as TraceError {
            throw userError(e.description, status: Status.badTrace)
        }
    }
}

/// `text` on standard output, or in `path` (created or truncated, mode 0644).
func writeText(_ text: String, to path: String?) throws {
    var fd: Int32 = 1
    if let path {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw userError("cannot write \(path): \(errnoString())") }
    }
    var out = Output(fd: fd)
    out.line(String(text.dropLast(text.hasSuffix("\n") ? 1 : 0)))
    out.flush()
    if fd != 1 { close(fd) }
}
