// Naming the frames of a call stack: module-relative offsets and, where a module's ELF symbol
// table has one, the function's name. The stack table itself is collected by the replay
// (PTReplay/StackTable.swift); readable stacks with file:line are StackFrames.swift's.
import PTTrace
import PTReplay

extension StackTable {
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
