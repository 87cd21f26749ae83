// What every report format shares: how many call sites, how many frames, whether frames are
// named and allocator frames collapsed.
public struct ReportOptions: Sendable {
    public var topCallSites = 10
    /// Frames shown per call site after collapsing (text report); 0 = all.
    public var frames = 8
    public var symbolize = true
    public var collapseAllocators = true
    public init(topCallSites: Int = 10, frames: Int = 8, symbolize: Bool = true, collapseAllocators: Bool = true) {
        self.topCallSites = topCallSites
        self.frames = frames
        self.symbolize = symbolize
        self.collapseAllocators = collapseAllocators
    }
}

extension ReportInput {
    /// A frame resolver for this trace's stacks with the symbolizer run over `leaves`.
    public func frameResolver(_ options: ReportOptions, leaves: [UInt32]) -> FrameResolver {
        var r = FrameResolver(stacks: stacks, argv0: summary.command.first, symbolize: options.symbolize,
                              collapseAllocators: options.collapseAllocators)
        r.prepare(leaves: leaves)
        return r
    }
}
