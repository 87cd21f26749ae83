// `ptreclaim dump`: every record of a trace on one line, streamed.
import ArgumentParser
import PTTrace
import PTReport

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print every record of a trace on one line, for debugging and for piping.",
        discussion: """
            Header fields first (lines starting with #), then one line per record: time since the recorder started (seconds), thread, the call with its arguments and result or errno, its stack node, and the residency of the blocks it touched; snapshots on one line each; then the trailer and a summary. Exit status 2 when the trace is corrupt (after the records read before the bad byte) or damaged (records missing before the trailer, data after it; after every record).
            """)

    @Argument(help: ArgumentHelp("The trace file.", valueName: "file"))
    var file: String

    func run() throws {
        var out = Output()
        var reader: TraceReader
        do { reader = try TraceReader(path: file) } catch let e as TraceError {
            throw userError(e.description, status: Status.badTrace)
        }
        var fmt = DumpFormatter(header: reader.header)
        out.line("# trace \(file): ptreclaim trace format version \(TraceFormat.version)")
        for (k, v) in reader.header.fields {
            let shown = k == "argv" ? v.split(separator: "\0", omittingEmptySubsequences: false).joined(separator: " ") : v
            out.line("# \(k): \(shown)")
        }
        var count: UInt64 = 0
        var lost: UInt64 = 0
        var trailer: Trailer?
        var lastExec: String?
        do {
            while let rec = try reader.next() {
                count += 1
                if case .lost(let n) = rec { lost &+= n }
                if case .trailer(let t) = rec { trailer = t }
                if case .exec(_, let path) = rec { lastExec = path } else if case .execFailed = rec { lastExec = nil }
                out.line(fmt.line(rec))
            }
        } catch {
            out.flush()
            throw userError(error.description, status: Status.badTrace)
        }
        var end = "# end: \(count) records after the header, "
        let ending = TraceEnding.of(path: file, reader: reader, execPath: lastExec)
        end += TextReport.statusText(ending)
        if let t = trailer {
            end += "; recorder wrote \(t.recordsWritten), dropped \(t.recordsDropped)"
        }
        if lost > 0 { end += "; \(lost) calls lost" }
        out.line(end)
        out.flush()
        if case .damaged(let e) = ending { throw userError(e.description, status: Status.badTrace) }
    }
}
