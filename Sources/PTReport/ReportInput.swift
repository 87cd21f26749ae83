// Everything a report is rendered from: one streaming pass over a trace feeds these.
import PTTrace
import PTModel

public struct ReportInput: Sendable {
    public var file: String
    public var summary: TraceSummary
    public var result: ReplayResult
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
