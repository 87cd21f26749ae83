// What one replay of a trace produced: everything a front end renders (the text and JSON
// reports, and the summary, diff and html views) comes from these four values.
import PTTrace
import PTModel

public struct ReplayOutput: Sendable {
    /// The trace's path, as given to Replay.run.
    public var file: String
    /// The trace section: record counts, header facts, truncation (TraceSummary.swift).
    public var summary: TraceSummary
    /// The model's figures under each policy, validation, call sites (PTModel).
    public var result: ReplayResult
    /// Call stacks and modules, to name the frames of call sites.
    public var stacks: StackTable

    public init(file: String, summary: TraceSummary, result: ReplayResult, stacks: StackTable) {
        self.file = file
        self.summary = summary
        self.result = result
        self.stacks = stacks
    }

    /// Policy of the recording kernel: the model's reading, else the header's text.
    public var kernelPolicyName: String {
        result.kernelPolicy?.rawValue ?? summary.kernelPolicy
    }

    /// The model produced figures for this policy.
    public func hasResult(_ p: Policy) -> Bool { result.policies[p] != nil }

    /// Call sites by distinct PTE pages left empty, most first (ties: more calls first); sites
    /// that left no page empty are not listed.
    public func topCallSites(_ n: Int) -> [CallSiteResult] {
        Array(result.callSites
            .filter { $0.ptePagesLeftEmpty > 0 }
            .sorted { ($0.ptePagesLeftEmpty, $0.calls) > ($1.ptePagesLeftEmpty, $1.calls) }
            .prefix(n))
    }
}
