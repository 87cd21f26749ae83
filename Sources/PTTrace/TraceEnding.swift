// How a trace ended, in words a user can act on. A trace without a TRAILER is not necessarily
// a killed program: it may have ended in exec (the next image's trace, FILE.<pid>.execN, goes
// on: its header has origin "exec" and parent_trace naming this file), or the program may
// still be running (the recorder still holds the file's lock, TraceLiveness.swift).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum TraceEnding: Equatable, Sendable {
    /// A TRAILER, and the records match its count.
    case complete
    /// A TRAILER, but records are missing or data follows it (TraceDamage.swift).
    case damaged(TraceError)
    /// The last record is EXEC of `program`; `continuedIn` is the exec'd image's trace, nil
    /// when it is not next to this one (following exec was off, or the files were moved).
    case exec(program: String, continuedIn: String?)
    /// No TRAILER yet: a recorder still writes this file.
    case inProgress
    /// No TRAILER: the program was killed or the file was cut.
    case truncated

    /// One word for scripts: complete, damaged, exec, in_progress, truncated.
    public var name: String {
        switch self {
        case .complete: return "complete"
        case .damaged: return "damaged"
        case .exec: return "exec"
        case .inProgress: return "in_progress"
        case .truncated: return "truncated"
        }
    }

    /// The ending of the trace at `path` that `reader` has read to its end; `execPath` is the
    /// path of the EXEC record when it was the last record (TraceSummary.endedInExec).
    public static func of(path: String, reader: TraceReader, execPath: String?) -> TraceEnding {
        if let damage = reader.damage { return .damaged(damage) }
        if !reader.truncated { return .complete }
        if let execPath {
            return .exec(program: execPath, continuedIn: reader.header.pid.flatMap { continuation(of: path, pid: $0) })
        }
        return TraceLiveness.isBeingWritten(path) ? .inProgress : .truncated
    }

    /// The trace in `path`'s directory whose header says it continues `path` after an exec.
    public static func continuation(of path: String, pid: Int) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let dir = parts.count > 1 ? parts.dropLast().joined(separator: "/") : "."
        let me = canonical(path)
        guard let d = opendir(dir.isEmpty ? "/" : dir) else { return nil }
        defer { closedir(d) }
        let marker = ".\(pid).exec"
        var candidates: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            // Named as `path` is: in its directory, relative when it is.
            if name.contains(marker) { candidates.append(parts.count > 1 ? dir + "/" + name : name) }
        }
        for c in candidates.sorted() {
            guard let h = try? TraceReader(path: c).header, h["origin"] == "exec", h.pid == pid,
                  let parent = h["parent_trace"] else { continue }
            if canonical(parent) == me { return c }
        }
        return nil
    }

    private static func canonical(_ path: String) -> String {
        guard let p = realpath(path, nil) else { return path }
        defer { free(p) }
        return String(cString: p)
    }
}
