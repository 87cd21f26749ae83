// Starts the recorded command with fork + execve so that the child can name its default trace
// after its own pid (ptreclaim.<command>.<pid>.ptr) before the recorder loads. Everything the
// child needs is allocated before fork; between fork and exec the child only formats digits and
// makes system calls. A close-on-exec pipe reports an exec failure (errno) to the parent.
#if canImport(Glibc)
import Glibc
#endif

struct Launched {
    var pid: pid_t
    var tracePath: String
}

enum LaunchError: Error {
    case exec(errno: Int32)
    case system(String)
}

/// Runs `argv` with `environment` plus PTRECLAIM_OUTPUT. With `tracePath` nil, the trace is
/// `defaultPrefix` + child pid + ".ptr". The child sets `childSignals` (the dispositions
/// ptreclaim started with) and the signal mask `childMask` before exec.
func launch(program: String, argv: [String], environment: [String], tracePath: String?, defaultPrefix: String,
            childSignals: [(Int32, sigaction)], childMask: sigset_t) throws(LaunchError) -> Launched {
    let outputVar = "PTRECLAIM_OUTPUT="
    let fixed = tracePath.map { outputVar + $0 } ?? (outputVar + defaultPrefix)
    // Room for the pid digits and ".ptr" when the child completes the name.
    let outBuf = UnsafeMutablePointer<CChar>.allocate(capacity: fixed.utf8.count + 32)
    defer { outBuf.deallocate() }
    _ = fixed.withCString { strcpy(outBuf, $0) }
    let outLen = fixed.utf8.count

    var mask = childMask
    let cArgv = cStrings(argv)
    var cEnv = cStrings(environment)
    cEnv.insert(outBuf, at: cEnv.count - 1)
    defer {
        for p in cArgv { free(p) }
        for p in cEnv where p != nil && p != outBuf { free(p) }
    }

    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { throw .system("pipe: \(errnoString())") }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    let pid = fork()
    if pid < 0 {
        close(fds[0]); close(fds[1])
        throw .system("fork: \(errnoString())")
    }
    if pid == 0 {
        // Child: no allocation from here on.
        if tracePath == nil { appendPidAndSuffix(outBuf + outLen, getpid()) }
        for (sig, var action) in childSignals { sigaction(sig, &action, nil) }
        sigprocmask(SIG_SETMASK, &mask, nil)
        execve(program, cArgv, cEnv)
        var e = errno
        _ = write(fds[1], &e, MemoryLayout<Int32>.size)
        _exit(127)
    }
    close(fds[1])
    var childErrno: Int32 = 0
    var n: Int
    repeat { n = read(fds[0], &childErrno, MemoryLayout<Int32>.size) } while n < 0 && errno == EINTR
    close(fds[0])
    if n == MemoryLayout<Int32>.size {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        throw .exec(errno: childErrno)
    }
    return Launched(pid: pid, tracePath: tracePath ?? (defaultPrefix + String(pid) + ".ptr"))
}

/// Writes the decimal pid and ".ptr\0" at `p` (async-signal-safe: no allocation).
private func appendPidAndSuffix(_ p: UnsafeMutablePointer<CChar>, _ pid: pid_t) {
    var digits = 0
    var v = pid
    repeat { digits += 1; v /= 10 } while v > 0
    v = pid
    for i in stride(from: digits - 1, through: 0, by: -1) {
        p[i] = CChar(48 + v % 10)
        v /= 10
    }
    p[digits] = 46      // "."
    p[digits + 1] = 112 // "p"
    p[digits + 2] = 116 // "t"
    p[digits + 3] = 114 // "r"
    p[digits + 4] = 0
}

/// NUL-terminated copies, with a trailing nil, for exec.
private func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] {
    strings.map { strdup($0) } + [nil]
}

/// Waits for the child; returns the shell-style status (128 + signal when killed).
func waitForExit(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        if errno != EINTR { return Status.failure }
    }
    let low = status & 0x7f
    if low == 0 { return (status >> 8) & 0xff }          // WIFEXITED
    if low != 0x7f { return 128 + low }                 // WIFSIGNALED
    return Status.failure
}

/// The executable `name` stands for: itself when it contains a slash, else the first match in
/// PATH (as execvp searches it). nil when there is none.
func resolveCommand(_ name: String) -> String? {
    if name.contains("/") { return name }
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
        let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
        var st = stat()
        if stat(candidate, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(candidate, X_OK) == 0 {
            return candidate
        }
    }
    return nil
}
