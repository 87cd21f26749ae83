// ptreclaim: record a program's memory-mapping calls, then report how much page-table memory it
// holds and what each kernel policy would give back.
import ArgumentParser
import PTTrace

/// The release, printed by --version with the trace format it writes and reads.
let ptreclaimVersion = "0.1.0"

@main
struct Ptreclaim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ptreclaim",
        abstract: "Measure the page-table memory a program wastes and what each kernel policy would reclaim.",
        discussion: """
            Typical use:
              ptreclaim record -o app.ptr -- ./app --its --arguments
              ptreclaim report app.ptr
            See docs/cli.md for every option, exit status and the JSON report.
            """,
        version: "ptreclaim \(ptreclaimVersion) (trace format version \(TraceFormat.version))",
        subcommands: [Record.self, Report.self, Summary.self, Diff.self, Dump.self, Inspect.self])

    /// ArgumentParser's main, with usage errors shortened to one line (UsageErrors.swift).
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            try checkCommandName(arguments)
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            exitWithOneLine(error, arguments: arguments)
        }
    }
}
