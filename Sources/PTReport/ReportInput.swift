// The reports render one replay's output (PTReplay.ReplayOutput: Replay.run's result).
@_exported import PTReplay

public typealias ReportInput = ReplayOutput
