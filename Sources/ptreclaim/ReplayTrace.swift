// The one place the new commands (summary, diff) call the replay through.
import PTModel
import PTReplay
import PTReport

/// Replays `file` as `ptreclaim report` does (PTReplay's Replay.run), without progress output:
/// several run at once.
func replayTrace(_ file: String, lazyfree: LazyfreeOption = .keep, infer: Bool = true) throws -> ReportInput {
    try Replay.run(file, options: ReplayOptions(lazyfree: lazyfree.mode, inferUnrecordedZaps: infer))
}
