// Checks `ptreclaim record` makes before it starts the program, so that a run that cannot
// produce a trace fails at once with one line (exit 1) instead of running the program for
// nothing: the trace can be created where asked, --force clears the previous recording but
// never a live one, and the recorder is a library the dynamic loader can load.
import PTTrace
#if canImport(Glibc)
import Glibc
#endif

enum Preflight {
    /// FILE can be created by the recorder: not empty, not a directory, its directory exists and
    /// accepts new files (tried for real: root bypasses permission bits, not a read-only mount or
    /// /proc). With `force`, the previous recording FILE, FILE.<pid>... is removed first.
    static func checkOutput(_ path: String, shownAs name: String, force: Bool) throws {
        guard !name.isEmpty else { throw userError("--output: the trace file name is empty") }
        guard path.utf8.count < Int(PATH_MAX) - 32 else { throw userError("\(name): \(errnoString(ENAMETOOLONG))") }
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            throw userError("\(name) is a directory: give the trace's file name")
        }
        if force {
            try removeRecording(path, shownAs: name)
        } else if lstat(path, &st) == 0 {
            throw userError("\(name) exists (use --force to overwrite it)")
        }
        try tryCreate(path, shownAs: name)
    }

    /// The default trace (named after the child's pid) goes to `dir`: it must accept new files.
    static func checkDirectory(_ dir: String) throws {
        try tryCreate(dir + "/.ptreclaim-check-\(getpid())", shownAs: "a trace in " + dir)
    }

    /// Creates and removes `path` as the recorder would create it.
    private static func tryCreate(_ path: String, shownAs name: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw userError("cannot create \(name): \(errnoString())") }
        close(fd)
        unlink(path)
    }

    /// --force: FILE and its children's and exec'd images' traces (FILE.<pid>, FILE.<pid>.<n>,
    /// FILE.<pid>.exec<n>) from an earlier run; none is touched while a recorder writes one.
    static func removeRecording(_ path: String, shownAs name: String) throws {
        var st = stat()
        if lstat(path, &st) == 0 && ![S_IFREG, S_IFLNK].contains(st.st_mode & S_IFMT) {
            // --force -o /dev/null must not delete the device.
            throw userError("\(name) is not a regular file; not removed")
        }
        let files = [path] + traceFamily(path).keys.filter { isChildTraceName($0, of: path) }.sorted()
        for f in files where TraceLiveness.isBeingWritten(f) {
            throw userError("\(f == path ? name : f) is being written by a running recording; not removed (choose another --output)")
        }
        for f in files where unlink(f) != 0 && errno != ENOENT {
            throw userError("cannot remove \(f == path ? name : f): \(errnoString())")
        }
    }

    /// FILE.<digits>, optionally followed by .<digits> or .exec<digits>: names the recorder gives.
    static func isChildTraceName(_ candidate: String, of path: String) -> Bool {
        guard candidate.hasPrefix(path + ".") else { return false }
        let parts = candidate.dropFirst(path.count + 1).split(separator: ".", omittingEmptySubsequences: false)
        func digits<S: StringProtocol>(_ s: S) -> Bool { !s.isEmpty && s.allSatisfy { $0.isASCII && $0.isNumber } }
        switch parts.count {
        case 1: return digits(parts[0])
        case 2: return digits(parts[0]) && (digits(parts[1]) || (parts[1].hasPrefix("exec") && digits(parts[1].dropFirst(4))))
        default: return false
        }
    }

    /// The recorder is a shared library the dynamic loader accepts (right format, architecture,
    /// dependencies present): dlopen'ed in a throw-away child, whose dlerror() comes back on a
    /// pipe. The child has no PTRECLAIM_OUTPUT, so the recorder stays inert there.
    static func checkRecorder(_ library: String) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw userError("pipe: \(errnoString())") }
        let pid = fork()
        if pid == 0 {
            close(fds[0])
            unsetenv("PTRECLAIM_OUTPUT")
            if dlopen(library, RTLD_NOW | RTLD_LOCAL) == nil, let e = dlerror() {
                _ = write(fds[1], e, strlen(e))
                _exit(1)
            }
            _exit(0)
        }
        close(fds[1])
        var message: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 512)
        while true {
            let n = read(fds[0], &buf, buf.count)
            if n > 0 { message += buf[..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        close(fds[0])
        guard pid > 0 else { throw userError("fork: \(errnoString())") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if status != 0 {
            let why = message.isEmpty ? "dlopen failed" : String(decoding: message, as: UTF8.self)
            throw userError("recorder \(library) cannot be loaded: \(why)")
        }
    }
}
