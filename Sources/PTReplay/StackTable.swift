// Call stacks and module maps collected while the trace streams by, so the report can show the
// frames of its top call sites. Nodes are kept as two flat arrays (12 bytes a node), up to
// `maxNodes`; beyond that frames are left unresolved rather than growing without bound.
// Naming the frames (ELF symbols) is the reports' part: PTReport/StackNames.swift.
import PTTrace

public struct StackTable: Sendable {
    public static let maxNodes = 4 << 20
    private var ips: [UInt64] = []
    private var parents: [UInt32] = []
    /// Modules in load order (a module loaded again at another address is listed again).
    public private(set) var modules: [Module] = []
    public private(set) var overflowed = false

    public init() {}

    public mutating func add(_ record: TraceRecord) {
        switch record {
        case .stack(let node, let ip, let parent):
            guard Int(node) == ips.count + 1, ips.count < StackTable.maxNodes else {
                overflowed = true
                return
            }
            ips.append(ip)
            parents.append(parent)
        case .module(let m):
            if !modules.contains(where: { $0.path == m.path && $0.loadAddress == m.loadAddress }) {
                modules.append(m)
            }
        default:
            break
        }
    }

    /// Instruction pointers of `leaf`'s stack, innermost first; empty for stack 0 or unknown.
    public func frames(leaf: UInt32, limit: Int = 64) -> [UInt64] {
        var out: [UInt64] = []
        var n = Int(leaf)
        while n > 0 && n <= ips.count && out.count < limit {
            out.append(ips[n - 1])
            let p = Int(parents[n - 1])
            if p >= n { break }  // parents precede children; guard against loops
            n = p
        }
        return out
    }
}
