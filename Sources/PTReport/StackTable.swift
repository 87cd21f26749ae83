// Call stacks and module maps collected while the trace streams by, so the report can show the
// frames of its top call sites. Nodes are kept as two flat arrays (12 bytes a node), up to
// `maxNodes`; beyond that frames are left unresolved rather than growing without bound.
import PTTrace

public struct StackTable: Sendable {
    public static let maxNodes = 4 << 20
    private var ips: [UInt64] = []
    private var parents: [UInt32] = []
    private var modules: [Module] = []
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

    /// "malloc+0x47 (libc.so.6+0x1234)" for an ip inside a known module segment whose symbol
    /// table names it; "libc.so.6+0x1234" without a name; "0x7f..." outside every module.
    /// Offsets are from the module's load address, ready for `addr2line -e MODULE`.
    public func describe(_ ip: UInt64, symbols: inout SymbolCache) -> String {
        guard let (m, offset) = locate(ip) else { return "0x" + String(ip, radix: 16) }
        let name = m.path.isEmpty ? "[main]" : String(m.path.split(separator: "/").last ?? "")
        let where_ = "\(name)+0x\(String(offset, radix: 16))"
        if let fn = symbols.name(module: m.path, address: offset) { return "\(fn) (\(where_))" }
        return where_
    }

    /// The module whose segment holds `ip` (the latest map first), and ip's offset from the
    /// module's load address.
    public func locate(_ ip: UInt64) -> (module: Module, offset: UInt64)? {
        for m in modules.reversed() {
            for s in m.segments {
                let lo = m.loadAddress &+ s.vaddr
                if ip >= lo && ip - lo < s.memsz { return (m, ip - m.loadAddress) }
            }
        }
        return nil
    }

    /// The first module of the first map: the executable.
    public var executable: Module? { modules.first }
}

/// ELF symbol tables opened on demand, one per module path.
public struct SymbolCache {
    private var tables: [String: ELFSymbols?] = [:]
    public var enabled: Bool
    public init(enabled: Bool = true) { self.enabled = enabled }

    public mutating func name(module path: String, address: UInt64) -> String? {
        guard enabled, path.hasPrefix("/") else { return nil }
        if tables[path] == nil { tables[path] = .some(ELFSymbols(path: path)) }
        return tables[path]!.flatMap { $0.name(at: address) }
    }
}
