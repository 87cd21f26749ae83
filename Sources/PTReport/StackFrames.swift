// Call stacks as people read them: each address named (function, file:line from the real
// symbolizer, module+offset), inlined calls expanded, and the allocator's own frames (jemalloc,
// tcmalloc, mimalloc, glibc malloc) collapsed into one `[jemalloc]` frame so that the first
// frame of the program itself shows.
//
// Which file names a module's addresses, best first: the debug file found by the module's
// build-id (/usr/lib/debug/.build-id/xx/rest.debug), else the module's recorded path when its
// build-id matches the recorded one (or either has none). So a trace can be reported on
// another machine that has the same binaries or their debug files, and a rebuilt binary at the
// same path is never used to name frames it did not run.
import PTTrace
#if canImport(Glibc)
import Glibc
#endif

public struct DisplayFrame: Equatable, Sendable {
    /// Function name; nil when unknown.
    public var function: String?
    /// "file.c:12" (base name) when the symbolizer found line information.
    public var location: String?
    /// Module display name ("redis-server", "libc.so.6"), nil outside every module.
    public var module: String?
    public var offset: UInt64
    /// "jemalloc", "tcmalloc", "mimalloc" or "glibc malloc" for allocator-internal frames.
    public var allocator: String?
    /// Frames folded into this one (collapsed allocator frames); 1 for an ordinary frame.
    public var count = 1

    /// One line for the text report.
    public var text: String {
        if count > 1 || (allocator != nil && function == nil) {
            return "[\(allocator ?? "?")]" + (count > 1 ? " (\(count) frames)" : "")
        }
        var s = function ?? "??"
        if let location { s += "  " + location }
        if let module { s += "  (\(module)+0x\(String(offset, radix: 16)))" }
        else { s += "  (0x\(String(offset, radix: 16)))" }
        return s
    }

    /// One frame of a folded stack: function, else module+offset; collapsed runs as [alloc].
    public var short: String {
        if count > 1 { return "[\(allocator ?? "?")]" }
        if let function { return function }
        if let module { return "\(module)+0x\(String(offset, radix: 16))" }
        return "0x" + String(offset, radix: 16)
    }
}

public struct FrameResolver {
    public let stacks: StackTable
    public var collapseAllocators: Bool
    /// The path of the symbolizer that supplied file:line, nil when none ran.
    public private(set) var symbolizerPath: String?
    private let symbolize: Bool
    private let executableName: String?
    private var symbols: SymbolCache
    private var objects: [String: String?] = [:]  // module path -> file to symbolize with
    private var resolved: [UInt64: [SourceLocation]] = [:]

    /// `argv0`: the path the process ran, to name the executable module when it is a symlink
    /// (redis-server -> redis-check-rdb).
    public init(stacks: StackTable, argv0: String?, symbolize: Bool = true, collapseAllocators: Bool = true) {
        self.stacks = stacks
        self.symbolize = symbolize
        self.collapseAllocators = collapseAllocators
        self.symbols = SymbolCache(enabled: symbolize)
        let name = argv0.flatMap { $0.split(separator: "/").last.map(String.init) }
        self.executableName = name?.isEmpty == false ? name : nil
    }

    /// Resolves every address of these stacks with one symbolizer run.
    public mutating func prepare(leaves: [UInt32]) {
        guard symbolize, let symbolizer = Symbolizer.find() else { return }
        var requests: [(object: String, address: UInt64)] = []
        var ips: [UInt64] = []
        var seen = Set<UInt64>()
        for leaf in leaves {
            for ip in stacks.frames(leaf: leaf, limit: 256) where !seen.contains(ip) {
                seen.insert(ip)
                guard let (m, offset) = stacks.locate(ip), let object = object(for: m) else { continue }
                // Return addresses: the call instruction is the byte before.
                requests.append((object, offset > 0 ? offset - 1 : 0))
                ips.append(ip)
            }
        }
        guard !requests.isEmpty, let results = symbolizer.resolve(requests) else { return }
        symbolizerPath = symbolizer.path
        for (ip, locs) in zip(ips, results) { resolved[ip] = locs }
    }

    /// The frames of `leaf`'s stack, innermost first, inlined calls expanded, allocator runs
    /// collapsed when `collapseAllocators`.
    public mutating func frames(leaf: UInt32) -> [DisplayFrame] {
        var out: [DisplayFrame] = []
        for ip in stacks.frames(leaf: leaf, limit: 256) {
            for f in expand(ip) {
                if collapseAllocators, let a = f.allocator, let last = out.last, last.allocator == a {
                    out[out.count - 1].count += 1
                } else {
                    out.append(f)
                }
            }
        }
        return out
    }

    private mutating func expand(_ ip: UInt64) -> [DisplayFrame] {
        guard let (m, offset) = stacks.locate(ip) else {
            return [DisplayFrame(function: nil, location: nil, module: nil, offset: ip)]
        }
        let module = moduleName(m)
        let fallback = symbols.name(module: m.path, address: offset)
            .map { String($0.split(separator: "+").first ?? Substring($0)) }
        let locs = resolved[ip] ?? []
        if locs.isEmpty {
            let fn = fallback
            return [DisplayFrame(function: fn, location: nil, module: module, offset: offset,
                                 allocator: FrameResolver.allocator(module: module, function: fn))]
        }
        return locs.map { loc in
            let fn = loc.function ?? fallback
            let where_ = loc.file.map { "\($0.split(separator: "/").last ?? Substring($0)):\(loc.line)" }
            return DisplayFrame(function: fn, location: where_, module: module, offset: offset,
                                allocator: FrameResolver.allocator(module: module, function: fn))
        }
    }

    private func moduleName(_ m: Module) -> String {
        if m.path.isEmpty { return executableName ?? "[main]" }
        let base = String(m.path.split(separator: "/").last ?? "")
        if let exe = stacks.executable, exe.path == m.path, let executableName { return executableName }
        return base
    }

    private mutating func object(for m: Module) -> String? {
        if let o = objects[m.path] { return o }
        var found: String? = nil
        if m.buildID.count >= 2 {
            let hex = ELFBuildID.hex(m.buildID)
            let debug = "/usr/lib/debug/.build-id/\(hex.prefix(2))/\(hex.dropFirst(2)).debug"
            if access(debug, R_OK) == 0 { found = debug }
        }
        if found == nil, m.path.hasPrefix("/"), access(m.path, R_OK) == 0 {
            let onDisk = ELFBuildID.read(path: m.path)
            if m.buildID.isEmpty || onDisk == nil || onDisk! == m.buildID { found = m.path }
        }
        objects[m.path] = .some(found)
        return found
    }

    /// The allocator a frame belongs to: by module for the allocator libraries, by function
    /// for glibc's malloc inside libc.
    static func allocator(module: String?, function: String?) -> String? {
        guard let module else { return nil }
        if module.hasPrefix("libjemalloc") { return "jemalloc" }
        if module.hasPrefix("libtcmalloc") { return "tcmalloc" }
        if module.hasPrefix("libmimalloc") { return "mimalloc" }
        if module.hasPrefix("libc.so"), let f = function, glibcMalloc.contains(f)
            || f.hasPrefix("_int_") || f.hasPrefix("__libc_malloc") || f.hasPrefix("__libc_free")
            || f.hasPrefix("__libc_calloc") || f.hasPrefix("__libc_realloc") {
            return "glibc malloc"
        }
        return nil
    }

    private static let glibcMalloc: Set<String> = [
        "malloc", "free", "calloc", "realloc", "reallocarray", "memalign", "posix_memalign",
        "aligned_alloc", "valloc", "pvalloc", "malloc_trim", "mtrim", "sysmalloc", "systrim",
        "heap_trim", "new_heap", "alloc_new_heap", "shrink_heap", "arena_get2", "tcache_init",
        "ptmalloc_init", "malloc_consolidate", "munmap_chunk", "mremap_chunk", "_mid_memalign",
        "__libc_memalign", "cfree",
    ]
}
