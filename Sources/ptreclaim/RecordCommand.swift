// `ptreclaim record`: run a command with libptreclaim.so preloaded and list the traces written.
import ArgumentParser
import CPTFormat
#if canImport(Glibc)
import Glibc
#endif

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Run a command with the recorder preloaded and write a trace of its memory-mapping calls.",
        discussion: """
            Records every mmap, mmap64, munmap, mremap, madvise, posix_madvise, process_madvise, mprotect, pkey_mprotect, brk and sbrk call with its stack and the residency of the 2 MiB blocks it touches, plus periodic snapshots with the kernel's VmPTE. Forked children write FILE.<pid>; exec'd images write their own trace too. The command runs with the same stdin, stdout and stderr; ptreclaim exits with its status (128+N when killed by signal N), 127 when it is not found.
            """)

    @Option(name: [.short, .customLong("output")],
            help: ArgumentHelp("Trace file (default: ptreclaim.<command>.<pid>.ptr in the current directory).",
                               valueName: "file"))
    var output: String?

    @Flag(help: "Remove an earlier recording to FILE first (FILE and its FILE.<pid>... traces), unless one is still being written.")
    var force = false

    // .unconditional: `--interval -5` is the value -5 (refused below), not a missing value.
    @Option(parsing: .unconditional,
            help: ArgumentHelp("Snapshot period in milliseconds, 0...\(PTR_INTERVAL_MS_MAX) (0 = only at start and exit; recorder default 100).",
                               valueName: "ms"))
    var interval: Int?

    @Option(name: .customLong("stack-depth"), parsing: .unconditional,
            help: ArgumentHelp("Frames recorded per call stack, 0...\(PTR_STACK_DEPTH_MAX) (recorder default 32).", valueName: "n"))
    var stackDepth: Int?

    @Flag(name: .customLong("no-stacks"), help: "Record no call stacks (same as --stack-depth 0).")
    var noStacks = false

    @Flag(name: .customLong("no-follow-fork"), help: "Do not record forked children.")
    var noFollowFork = false

    @Flag(name: .customLong("no-follow-exec"), help: "Do not record programs the command executes.")
    var noFollowExec = false

    @Option(name: .customLong("preload"),
            help: ArgumentHelp("A library to preload after the recorder, e.g. an allocator (repeatable; in the order given, before the inherited LD_PRELOAD).",
                               valueName: "lib"))
    var preload: [String] = []

    @Option(help: ArgumentHelp("The recorder library (default: libptreclaim.so next to the ptreclaim executable).",
                               valueName: "path"))
    var recorder: String?

    @Argument(parsing: .captureForPassthrough,
              help: ArgumentHelp("The command to run and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    mutating func validate() throws {
        // Passthrough capture takes everything from the first word it does not know, so
        // `record --help` arrives here as the command.
        if command.first == "--help" || command.first == "-h" { throw CleanExit.helpRequest(self) }
        if command.first == "--" {
            command.removeFirst()
        } else if let word = command.first, word.hasPrefix("-") {
            // Options come before the command, and a command starting with "-" needs "--":
            // a word like this is a mistyped option, not a program to run.
            let name = String(word.prefix { $0 != "=" })
            throw ValidationError("unknown option '\(name)'" + suggestion(for: name, among: longOptions(of: Record.self)))
        }
        guard !command.isEmpty else { throw ValidationError("no command given: ptreclaim record [options] -- COMMAND [ARGS...]") }
        // The recorder ignores values outside its ranges (lifecycle.c): refuse them here.
        if let interval, !(0...Int(PTR_INTERVAL_MS_MAX)).contains(interval) {
            throw ValidationError("--interval \(interval) is out of range: 0...\(PTR_INTERVAL_MS_MAX) milliseconds")
        }
        if let stackDepth, !(0...Int(PTR_STACK_DEPTH_MAX)).contains(stackDepth) {
            throw ValidationError("--stack-depth \(stackDepth) is out of range: 0...\(PTR_STACK_DEPTH_MAX) frames")
        }
        for lib in preload where lib.isEmpty || (lib.contains("/") && access(lib, R_OK) != 0) {
            throw ValidationError("--preload \(lib): no such readable library")
        }
    }

    func run() throws {
        let library = try findRecorder()
        try Preflight.checkRecorder(library)
        let cwd = currentDirectory()
        var tracePath: String? = nil
        if let output {
            let path = absolute(output, cwd: cwd)
            try Preflight.checkOutput(path, shownAs: output, force: force)
            tracePath = path
        } else {
            try Preflight.checkDirectory(cwd)
        }
        let base = command[0].split(separator: "/").last.map(String.init) ?? "command"
        let defaultPrefix = cwd + "/ptreclaim." + base + "."

        guard let program = resolveCommand(command[0]) else {
            throw userError("\(command[0]): command not found", status: Status.notFound)
        }

        // Signals sent to ptreclaim go to the program (SignalForwarding.swift); it waits.
        let (dispositions, mask) = startForwarding()
        defer { stopForwarding(dispositions) }
        let before = traceFamily(tracePath ?? "")
        let launched: Launched
        do {
            launched = try launch(program: program, argv: command, environment: environment(library: library),
                                  tracePath: tracePath, defaultPrefix: defaultPrefix,
                                  childSignals: dispositions, childMask: mask)
            forwardTo(launched.pid, mask: mask)
        } catch .exec(let e) {
            forwardTo(0, mask: mask)
            if e == ENOENT { throw userError("\(command[0]): command not found", status: Status.notFound) }
            throw userError("\(command[0]): \(errnoString(e))", status: e == EACCES || e == ENOEXEC ? Status.cannotRun : Status.notFound)
        } catch .system(let what) {
            forwardTo(0, mask: mask)
            throw userError(what)
        }
        let status = waitForExit(launched.pid)
        let written = listTraces(launched.tracePath, before: tracePath == nil ? [:] : before)
        if written.count > 1 { printSummaryTop(written) }
        if status != 0 { throw ExitCode(status) }
    }

    /// --recorder, else libptreclaim.so in the directory of /proc/self/exe.
    func findRecorder() throws -> String {
        if let recorder {
            guard access(recorder, R_OK) == 0 else { throw userError("recorder \(recorder): \(errnoString())") }
            return absolute(recorder, cwd: currentDirectory())
        }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, Int(PATH_MAX))
        guard n > 0 else { throw userError("cannot find my own executable: \(errnoString())") }
        let exe = String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let lib = dir + "/libptreclaim.so"
        guard access(lib, R_OK) == 0 else {
            throw userError("\(lib) not found: build it with `make recorder` or pass --recorder PATH")
        }
        return lib
    }

    /// The current environment with the recorder first in LD_PRELOAD (tcmalloc defines mmap
    /// itself, so the recorder must come before it), then the --preload libraries, then the
    /// inherited LD_PRELOAD, and the recorder's options set.
    func environment(library: String) -> [String] {
        var env: [String] = []
        var preload: String? = nil
        var overridden: Set<String> = [PTR_ENV_OUTPUT, PTR_ENV_OWNER_PID]
        var options: [(String, String)] = []
        if let interval { options.append((PTR_ENV_INTERVAL_MS, String(interval))) }
        if noStacks { options.append((PTR_ENV_STACK_DEPTH, "0")) }
        else if let stackDepth { options.append((PTR_ENV_STACK_DEPTH, String(stackDepth))) }
        if noFollowFork { options.append((PTR_ENV_FOLLOW_FORK, "0")) }
        if noFollowExec { options.append((PTR_ENV_FOLLOW_EXEC, "0")) }
        for (k, _) in options { overridden.insert(k) }
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            let key = s.split(separator: "=", maxSplits: 1).first.map(String.init) ?? s
            if key == "LD_PRELOAD" { preload = String(s.dropFirst("LD_PRELOAD=".count)) }
            else if !overridden.contains(key) { env.append(s) }
            p += 1
        }
        let cwd = currentDirectory()
        let added = self.preload.map { $0.contains("/") ? absolute($0, cwd: cwd) : $0 }
        let inherited = (preload ?? "").split(whereSeparator: { $0 == ":" || $0 == " " }).map(String.init)
        let rest = (added + inherited).filter { $0 != library }.joined(separator: ":")
        env.append("LD_PRELOAD=" + library + (rest.isEmpty ? "" : ":" + rest))
        for (k, v) in options { env.append(k + "=" + v) }
        return env
    }
}

func currentDirectory() -> String {
    guard let p = getcwd(nil, 0) else { return "." }
    defer { free(p) }
    return String(cString: p)
}

func absolute(_ path: String, cwd: String) -> String {
    path.hasPrefix("/") ? path : cwd + "/" + path
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// FILE and FILE.* that exist now, with their modification times.
func traceFamily(_ path: String) -> [String: timespec] {
    guard !path.isEmpty else { return [:] }
    var out: [String: timespec] = [:]
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    let dir = parts.count > 1 ? parts.dropLast().joined(separator: "/") : "."
    let name = String(parts.last ?? "")
    guard let d = opendir(dir.isEmpty ? "/" : dir) else { return [:] }
    defer { closedir(d) }
    while let e = readdir(d) {
        let entry = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        guard entry == name || entry.hasPrefix(name + ".") else { continue }
        let full = dir + "/" + entry
        var st = stat()
        if stat(full, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { out[full] = st.st_mtim }
    }
    return out
}

/// Lists on stderr the traces written during the run: FILE and FILE.* new or modified.
@discardableResult
func listTraces(_ path: String, before: [String: timespec]) -> [String] {
    let after = traceFamily(path)
    let written = after.filter { key, t in
        guard let old = before[key] else { return true }
        return old.tv_sec != t.tv_sec || old.tv_nsec != t.tv_nsec
    }.keys.sorted { a, b in a.count != b.count ? a.count < b.count : a < b }
    if written.isEmpty {
        warn("no trace written to \(path) (statically linked or setuid command? see docs/cli.md)")
        return []
    }
    for f in written {
        TraceTail.trimZeros(f)
        var st = stat()
        let size = stat(f, &st) == 0 ? " (\(st.st_size) bytes)" : ""
        warn("trace written: \(f)\(size)")
    }
    return written
}
