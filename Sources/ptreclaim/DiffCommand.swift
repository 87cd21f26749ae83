// `ptreclaim diff A B`: two traces or two recordings side by side.
import ArgumentParser
import PTReport

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two traces or two recordings: each policy's final, peak and mean page-table bytes, calls, and the call sites that changed most.",
        discussion: """
            A and B are trace files (with their recordings' FILE.<pid> and FILE.<pid>.execN traces, whose figures are summed) or directories. Call sites are matched by their stack as `report --format folded` names it. Differences are B - A.
            """)

    @Option(help: ArgumentHelp("Output format (docs/cli.md).", valueName: "text|json"))
    var format: ReportFormat = .text

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Option(name: .customLong("top"), help: ArgumentHelp("Call sites to list.", valueName: "n"))
    var topCallSites = 10

    @Flag(name: .customLong("only"), help: "Use only the files given, not the other traces of their recordings.")
    var only = false

    @Option(help: ArgumentHelp("refcount policy: MADV_FREE'd pages kept or discarded.", valueName: "keep|discard"))
    var lazyfree: LazyfreeOption = .keep

    @Argument(help: ArgumentHelp("The first (before) trace or recording.", valueName: "a"))
    var a: String

    @Argument(help: ArgumentHelp("The second (after) trace or recording.", valueName: "b"))
    var b: String

    func validate() throws {
        guard format == .text || format == .json else { throw ValidationError("--format must be text or json") }
    }

    func run() throws {
        let options = ReportOptions(topCallSites: topCallSites)
        let filesA = only ? [a] : try collectTraces([a]), filesB = only ? [b] : try collectTraces([b])
        let rows = summarize(filesA + filesB, lazyfree: lazyfree)
        if let bad = rows.first(where: { $0.input == nil }) {
            throw userError("\(bad.file): \(bad.error ?? "unreadable")", status: Status.badTrace)
        }
        let sideA = DiffSide(name: a, inputs: rows.prefix(filesA.count).compactMap(\.input), options: options)
        let sideB = DiffSide(name: b, inputs: rows.dropFirst(filesA.count).compactMap(\.input), options: options)
        try writeText(format == .json ? DiffReport.json(sideA, sideB, top: topCallSites)
                                      : DiffReport.text(sideA, sideB, top: topCallSites), to: output)
    }
}
