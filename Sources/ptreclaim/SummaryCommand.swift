// `ptreclaim summary`: every trace of one or more recordings, replayed in parallel, one row
// each, and the process tree.
import ArgumentParser
import Dispatch
import PTTrace
import PTModel
import PTReport

enum SummaryFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, csv, html
}

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "One row per trace of a recording (forks and exec'd programs included), and the process tree.",
        discussion: """
            PATH is a trace file (its recording's FILE.<pid> and FILE.<pid>.execN traces are included), or a directory (every trace in it). Traces are replayed in parallel, on every core. Rows are sorted by what pt-reclaim, then refcount, would give back at the end (none final - policy final). A trace that cannot be read gets a row with its error; the exit status is then 2.
            """)

    @Option(help: ArgumentHelp("Output format (docs/cli.md).", valueName: "text|json|csv|html"))
    var format: SummaryFormat = .text

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Text: rows to show (0 = all). HTML: traces given their own section (0 = 10).", valueName: "n"))
    var top = 0

    @Option(help: ArgumentHelp("refcount policy: MADV_FREE'd pages kept or discarded.", valueName: "keep|discard"))
    var lazyfree: LazyfreeOption = .keep

    @Argument(help: ArgumentHelp("Trace files, recordings or directories.", valueName: "path"))
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("no trace given: ptreclaim summary PATH...") }
        if top < 0 { throw ValidationError("--top must be 0 or more") }
    }

    func run() throws {
        let files = try collectTraces(paths)
        if files.isEmpty { throw userError("no trace found in \(paths.joined(separator: " "))") }
        let rows = summarize(files, lazyfree: lazyfree)
        let text: String
        switch format {
        case .text: text = SummaryReport.text(rows, limit: top > 0 ? top : nil)
        case .json: text = SummaryReport.json(rows)
        case .csv: text = SummaryReport.csv(rows)
        case .html: text = htmlPage(rows)
        }
        try writeText(text, to: output)
        if rows.contains(where: { $0.input == nil }) { throw ExitCode(Status.badTrace) }
    }
}

extension Summary {
    /// The summary table, and the first --top traces (10 by default) each with its report.
    func htmlPage(_ rows: [SummaryRow]) -> String {
        var timelines: [String: Timeline] = [:]
        for r in SummaryReport.sorted(rows).prefix(top > 0 ? top : 10) where r.input != nil {
            timelines[r.file] = try? Timeline.read(path: r.file, options: ReplayOptions(lazyfree: lazyfree.mode))
        }
        return HTMLReport.render(summary: rows, timelines: timelines, ReportOptions())
    }
}

/// Replays every file, on all cores at once; rows in the order of `files`.
func summarize(_ files: [String], lazyfree: LazyfreeOption = .keep) -> [SummaryRow] {
    var rows = [SummaryRow?](repeating: nil, count: files.count)
    rows.withUnsafeMutableBufferPointer { buf in
        let slots = buf  // each iteration writes its own index only
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            let file = files[i]
            let header = try? TraceReader(path: file).header
            do {
                slots[i] = SummaryRow(file: file, header: header, input: try replayTrace(file, lazyfree: lazyfree), error: nil)
            } catch let e as TraceError {
                slots[i] = SummaryRow(file: file, header: header, input: nil, error: e.description)
            } catch {
                slots[i] = SummaryRow(file: file, header: header, input: nil, error: "\(error)")
            }
        }
    }
    return rows.map { $0! }
}

/// After `record` wrote several traces: the summary's first rows on stderr, so the trace worth
/// a report is found without listing every file.
func printSummaryTop(_ files: [String], rows limit: Int = 5) {
    let text = SummaryReport.text(summarize(files), limit: limit, tree: false)
    var err = Output(fd: 2)
    err.line("ptreclaim: summary of the \(files.count) traces (all of them: ptreclaim summary \(files[0])):")
    err.line(String(text.dropLast(text.hasSuffix("\n") ? 1 : 0)))
    err.flush()
}
