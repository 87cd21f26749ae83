// File and line for code addresses, from DWARF, through a real symbolizer (llvm-symbolizer,
// which ships with the Swift toolchain and with Debian's llvm packages) rather than a DWARF
// reader of our own. It is optional: without it frames keep the names ELFSymbols reads from
// the symbol tables, and no file:line. One process is started per report, fed every address at
// once (a file on stdin, so neither side can block on a full pipe).
#if canImport(Glibc)
import Glibc
#endif

/// One logical frame at an address: inlined calls give several, innermost first.
public struct SourceLocation: Equatable, Sendable {
    public var function: String?
    public var file: String?
    public var line: Int
}

public struct Symbolizer: Sendable {
    public let path: String

    /// $PTRECLAIM_SYMBOLIZER (empty: none), else llvm-symbolizer on PATH, else the Swift
    /// toolchain's (/opt/swift/usr/bin), else Debian's versioned llvm-symbolizer-NN.
    public static func find() -> Symbolizer? {
        if let env = getenv("PTRECLAIM_SYMBOLIZER") {
            let p = String(cString: env)
            return !p.isEmpty && access(p, X_OK) == 0 ? Symbolizer(path: p) : nil
        }
        var candidates: [String] = []
        if let pathVar = getenv("PATH") {
            for dir in String(cString: pathVar).split(separator: ":") {
                candidates.append(dir + "/llvm-symbolizer")
            }
        }
        candidates.append("/opt/swift/usr/bin/llvm-symbolizer")
        for v in stride(from: 21, through: 13, by: -1) { candidates.append("/usr/bin/llvm-symbolizer-\(v)") }
        return candidates.first { access($0, X_OK) == 0 }.map { Symbolizer(path: $0) }
    }

    /// Locations for each (object file, address in the object's own address space); an empty
    /// list where the symbolizer knows nothing. Returns nil when the symbolizer cannot be run.
    public func resolve(_ requests: [(object: String, address: UInt64)]) -> [[SourceLocation]]? {
        if requests.isEmpty { return [] }
        var input = ""
        for r in requests { input += "\"\(r.object)\" 0x\(String(r.address, radix: 16))\n" }
        guard let output = run(arguments: ["--inlines", "--demangle", "--functions=linkage"], input: input) else {
            return nil
        }
        // Per address: pairs of lines (function, file:line:column), then an empty line.
        var results: [[SourceLocation]] = []
        var current: [SourceLocation] = []
        var pendingFunction: String?? = nil
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty {
                if pendingFunction != nil || !current.isEmpty {
                    results.append(current)
                    current = []
                    pendingFunction = nil
                }
                continue
            }
            if let fn = pendingFunction {
                current.append(Symbolizer.location(function: fn, fileLine: String(line)))
                pendingFunction = nil
            } else {
                pendingFunction = .some(line == "??" ? nil : String(line))
            }
        }
        if !current.isEmpty { results.append(current) }
        guard results.count == requests.count else { return nil }
        // "??:0:0" only: nothing known.
        return results.map { locs in locs.allSatisfy { $0.function == nil && $0.file == nil } ? [] : locs }
    }

    static func location(function: String?, fileLine: String) -> SourceLocation {
        // FILE:LINE:COLUMN; FILE may itself contain ':'.
        let parts = fileLine.split(separator: ":", omittingEmptySubsequences: false)
        var file: String? = nil
        var line = 0
        if parts.count >= 3, let l = Int(parts[parts.count - 2]) {
            file = parts.dropLast(2).joined(separator: ":")
            line = l
        } else if parts.count == 2, let l = Int(parts[1]) {
            file = String(parts[0])
            line = l
        }
        if file == "??" || line == 0 { file = nil; line = 0 }
        return SourceLocation(function: function, file: file, line: line)
    }

    /// Runs the symbolizer with `input` on stdin; its stdout, or nil if it could not run.
    private func run(arguments: [String], input: String) -> String? {
        var template = Array("/tmp/ptreclaim-symbolize.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        let inputPath = String(cString: template)
        defer { unlink(inputPath) }
        var bytes = Array(input.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n <= 0 { close(fd); return nil }
            off += n
        }
        close(fd)

        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { return nil }
        for f in pipeFDs { _ = fcntl(f, F_SETFD, FD_CLOEXEC) }  // dup2 clears it on stdout
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = [path] + arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, &cargs, environ)
        close(pipeFDs[1])
        guard rc == 0 else { close(pipeFDs[0]); return nil }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(pipeFDs[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        close(pipeFDs[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        bytes = []
        return String(decoding: out, as: UTF8.self)
    }
}
