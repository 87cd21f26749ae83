// The one place the new commands (summary, diff, report's new formats) call the replay through,
// so moving the replay loop into the library changes one line here.
import PTModel
import PTReport

/// Replays `file` as `ptreclaim report` does.
func replayTrace(_ file: String, lazyfree: LazyfreeOption = .keep, infer: Bool = true) throws -> ReportInput {
    try Report.parse(["--lazyfree", lazyfree.rawValue] + (infer ? [] : ["--no-infer"]) + ["--", file]).replay()
}
