// Which files a summary reads: a trace file with every trace of its recording (FILE,
// FILE.<pid>, FILE.<pid>.execN...), or every trace in a directory. Files are recognised by the
// trace magic, so logs and other files next to the traces are skipped.
import CPTFormat
#if canImport(Glibc)
import Glibc
#endif

/// The traces `paths` name, each once, in a stable order. Throws a user error for a path that
/// names nothing.
func collectTraces(_ paths: [String]) throws -> [String] {
    var out: [String] = []
    var seen = Set<String>()
    func add(_ f: String) { if seen.insert(f).inserted { out.append(f) } }
    for path in paths {
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            let dir = path.hasSuffix("/") ? String(path.dropLast()) : path
            for name in directoryEntries(dir).sorted() where isTrace(dir + "/" + name) { add(dir + "/" + name) }
            continue
        }
        // FILE itself (when it exists), then its recording's other traces.
        let family = recordingFamily(path)
        if stat(path, &st) == 0 { add(path) }
        for f in family where isTrace(f) { add(f) }
        if stat(path, &st) != 0 && family.isEmpty {
            throw userError("\(path): \(errnoString(ENOENT)) (no trace and no \(path).* traces)")
        }
    }
    return out
}

/// FILE.* next to FILE, sorted by name length then name (children after parents).
func recordingFamily(_ path: String) -> [String] {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    let dir = parts.count > 1 ? parts.dropLast().joined(separator: "/") : "."
    let name = String(parts.last ?? "")
    let prefix = parts.count > 1 ? dir + "/" : ""
    return directoryEntries(dir.isEmpty ? "/" : dir).filter { $0.hasPrefix(name + ".") }
        .map { prefix + $0 }
        .sorted { a, b in a.count != b.count ? a.count < b.count : a < b }
}

func directoryEntries(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let n = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if n != "." && n != ".." { names.append(n) }
    }
    return names
}

/// A regular file starting with the trace magic.
func isTrace(_ path: String) -> Bool {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var magic = [UInt8](repeating: 0, count: Int(PTR_MAGIC_LEN))
    guard read(fd, &magic, magic.count) == magic.count else { return false }
    return magic.elementsEqual("PTRCLAIM".utf8)
}
