// `ptreclaim report`: the replay (PTReplay's Replay.run: one streaming pass over the trace),
// then the text or JSON report of its output.
import ArgumentParser
import PTTrace
import PTModel
import PTReplay
import PTReport
#if canImport(Glibc)
import Glibc
#endif

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, folded, csv, html
}

enum LazyfreeOption: String, ExpressibleByArgument, CaseIterable {
    case keep, discard
    var mode: LazyfreeMode { self == .keep ? .keep : .discard }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Replay a trace under the four page-table policies and report page-table memory.",
        discussion: """
            Policies: none (no reclaim), pt-reclaim (Linux 6.14+ CONFIG_PT_RECLAIM), refcount (the 2022 per-table reference count RFC) and ideal (only tables with a live entry). The model is checked against the VmPTE the kernel reported in each snapshot. A truncated trace is reported with truncated=true; a corrupt one exits with status 2, and so does a damaged one (records missing before the trailer, data after it) after its report.
            """)

    @Option(help: ArgumentHelp("Output format: text for people, json for scripts (schema 1), folded stacks for flame graphs, csv timeline, html page (docs/cli.md).",
                               valueName: "text|json|folded|csv|html"))
    var format: ReportFormat = .text

    @Option(name: [.short, .customLong("output")],
            help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Frames shown per call site in the text report, after collapsing (0 = all).", valueName: "n"))
    var frames = 8

    @Flag(name: .customLong("allocator-frames"),
          help: "Show the allocator's own frames instead of collapsing them into one [jemalloc]-style frame.")
    var allocatorFrames = false

    @Option(help: ArgumentHelp("--format folded: weigh stacks by PTE pages left empty under none (default) or by the bytes this policy freed.",
                               valueName: "none|pt-reclaim|refcount|ideal"))
    var weight: String = "none"

    @Option(help: ArgumentHelp("refcount policy: MADV_FREE'd pages kept (no memory pressure) or discarded.",
                               valueName: "keep|discard"))
    var lazyfree: LazyfreeOption = .keep

    @Option(name: .customLong("top"), help: ArgumentHelp("Call sites to list (text, json, html).", valueName: "n"))
    var topCallSites = 10

    @Flag(name: .customLong("no-infer"),
          help: "Do not infer the cause of blocks that emptied with no recorded call (glibc's internal madvise); see docs/model.md.")
    var noInfer = false

    @Flag(name: .customLong("no-symbols"),
          help: "Do not read the modules' ELF symbol tables to name call-site frames.")
    var noSymbols = false

    @Argument(help: ArgumentHelp("The trace file.", valueName: "file"))
    var file: String

    func run() throws {
        let input: ReportInput
        do {
            input = try replay()
        } catch let e as TraceError {
            throw userError(e.description, status: Status.badTrace)
        }
        try writeReport(input)
        // Damage found after the records (TraceDamage.swift): the report is printed, then it fails.
        if case .damaged(let e) = input.summary.ending { throw userError(e.description, status: Status.badTrace) }
    }

    func replay() throws -> ReportInput {
        var progress = Progress(file: file)
        defer { progress.finish() }
        return try Replay.run(file, options: ReplayOptions(lazyfree: lazyfree.mode, inferUnrecordedZaps: !noInfer),
                              progress: { offset, size in progress.update(offset: offset, size: size) })
    }
}

/// Progress on stderr while a big trace is read: a live percentage when stderr is a terminal,
/// otherwise a line every 5 seconds (only for reads that take that long).
struct Progress {
    let file: String
    let tty = isatty(2) == 1
    let start = monotonicSeconds()
    var last: Double
    var shown = false

    init(file: String) {
        self.file = file
        last = start
    }

    mutating func update(offset: UInt64, size: UInt64) {
        let now = monotonicSeconds()
        let period = tty ? 0.25 : 5.0
        guard now - last >= period, now - start >= (tty ? 1.0 : 5.0) else { return }
        last = now
        let pct = size > 0 ? Double(offset) * 100 / Double(size) : 0
        let mb = Double(offset) / 1e6
        let msg = "reading \(file): \(Int(pct))% (\(Int(mb)) MB, \(Int(mb / (now - start))) MB/s)"
        if tty {
            writeErr("\r\u{1b}[K" + msg)
            shown = true
        } else {
            warn(msg)
        }
    }

    func finish() {
        if shown { writeErr("\r\u{1b}[K") }
    }

    private func writeErr(_ s: String) {
        var b = Array(s.utf8)
        _ = b.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}
