// Reading /proc/PID files with open/read (no Foundation): whole-file reads, the few status and
// stat fields inspect needs, and the process list for --all.
#if canImport(Glibc)
import Glibc
#endif

/// Why a process could not be inspected.
public enum InspectError: Error, Equatable, CustomStringConvertible {
    /// The kernel refused access (pagemap needs ptrace read access: root, or the same user
    /// under the Yama ptrace_scope rules).
    case permissionDenied(pid: Int32, file: String)
    /// No such process, or it exited while being read.
    case gone(pid: Int32)
    /// A kernel thread: no user address space, no page tables of its own.
    case kernelThread(pid: Int32)
    case io(pid: Int32, file: String, errno: Int32)

    public var description: String {
        switch self {
        case let .permissionDenied(pid, file):
            return "cannot read /proc/\(pid)/\(file): permission denied "
                + "(reading another process's page tables needs root or ptrace read access to it)"
        case let .gone(pid): return "no process \(pid)"
        case let .kernelThread(pid): return "process \(pid) is a kernel thread (no user page tables)"
        case let .io(pid, file, e): return "cannot read /proc/\(pid)/\(file): \(String(cString: strerror(e)))"
        }
    }
}

enum ProcFiles {
    /// Opens /proc/PID/NAME read-only, mapping errno to InspectError.
    static func open(_ pid: Int32, _ name: String) throws -> Int32 {
        let fd = Glibc.open("/proc/\(pid)/\(name)", O_RDONLY | O_CLOEXEC)
        if fd >= 0 { return fd }
        throw error(pid, name, errno)
    }

    static func error(_ pid: Int32, _ name: String, _ e: Int32) -> InspectError {
        switch e {
        case EACCES, EPERM: return .permissionDenied(pid: pid, file: name)
        case ENOENT, ESRCH: return .gone(pid: pid)
        default: return .io(pid: pid, file: name, errno: e)
        }
    }

    /// The whole file as bytes (proc files have no size: read until EOF).
    static func read(_ pid: Int32, _ name: String) throws -> [UInt8] {
        let fd = try open(pid, name)
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 { out.append(contentsOf: chunk[0..<n]); continue }
            if n == 0 { return out }
            if errno == EINTR { continue }
            throw error(pid, name, errno)
        }
    }

    /// "VmPTE:	     123 kB" -> 123 * 1024; nil when the line is absent (kernel thread, zombie).
    static func statusBytes(_ status: [UInt8], _ key: String) -> UInt64? {
        let text = String(decoding: status, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let digits = line.dropFirst(key.count + 1).filter { $0 >= "0" && $0 <= "9" }
            return UInt64(digits).map { $0 * 1024 }
        }
        return nil
    }

    /// The kernel's comm, raw from /proc/PID/comm (status `Name:` escapes backslashes and
    /// newlines); "?" when it cannot be read.
    static func comm(_ pid: Int32) -> String {
        guard var bytes = try? read(pid, "comm") else { return "?" }
        if bytes.last == 10 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// PF_KTHREAD in the flags field of /proc/PID/stat (include/linux/sched.h).
    static func isKernelThread(_ pid: Int32) throws -> Bool {
        let stat = String(decoding: try read(pid, "stat"), as: UTF8.self)
        // The command in parentheses may contain spaces and parentheses: fields follow the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3), so flags (field 9) is fields[6].
        guard fields.count > 6, let flags = UInt64(fields[6]) else { return false }
        return flags & 0x0020_0000 != 0
    }

    /// Numeric entries of /proc, ascending.
    static func allPids() -> [Int32] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var pids: [Int32] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw -> String in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let p = Int32(name), p > 0 { pids.append(p) }
        }
        return pids.sorted()
    }
}
