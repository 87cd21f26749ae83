// PLACEHOLDER until the model lands: counts nothing, validates nothing.
import PTTrace

public struct Replayer: TraceReplaying {
    public let options: ReplayOptions
    public init(options: ReplayOptions = ReplayOptions()) { self.options = options }
    public mutating func consume(_ record: TraceRecord) {}
    public func finish() -> ReplayResult {
        ReplayResult(options: options, kernelPolicy: nil, policies: [:], observed: nil,
                     validation: nil, unrecordedMappings: 0, callSites: [])
    }
}
