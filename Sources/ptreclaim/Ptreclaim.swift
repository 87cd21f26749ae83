// ptreclaim: record a program's memory-mapping calls, then report how much page-table memory it
// holds and what each kernel policy would give back.
import ArgumentParser

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
        subcommands: [Record.self, Report.self, Summary.self, Diff.self, Dump.self])
}
