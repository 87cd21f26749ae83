// Runs a child process with a hard timeout. posix_spawn puts the child in its own process
// group, so a hung program (and anything it started, e.g. the program under `ptreclaim record`)
// is killed as a group. stdout and stderr go to files, so a chatty child can never block on a
// full pipe, and a test can watch stdout while the child runs (the `killed` test does).
import Foundation
import Glibc

struct RunResult {
    /// Exit code when the child exited; nil when a signal ended it.
    var exitCode: Int32?
    /// The signal that ended the child, if any.
    var signal: Int32?
    var timedOut: Bool
    var stdout: String
    var stderr: String
    var seconds: Double

    var succeeded: Bool { exitCode == 0 && !timedOut }

    /// One line describing how it ended and the tail of stderr, for failure messages.
    var summary: String {
        let how = timedOut ? "timed out" : exitCode.map { "exit \($0)" } ?? "signal \(signal ?? 0)"
        let err = stderr.split(separator: "\n").suffix(6).joined(separator: " | ")
        return "\(how) after \(String(format: "%.2f", seconds)) s; stderr: \(err)"
    }

    /// The last non-empty stdout line parsed as a JSON object (the programs' own report).
    func lastJSON() throws -> [String: Any] {
        guard let line = stdout.split(separator: "\n").last(where: { !$0.isEmpty }),
              let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw TestFailure("no JSON object on the last stdout line; stdout: \(stdout.suffix(300))") }
        return obj
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A running child. `run` below covers the usual case; tests that act while the child runs use
/// this directly.
final class Spawned {
    let pid: pid_t
    let outPath: String
    let errPath: String
    let started = Date()
    private(set) var status: Int32?

    /// `env` replaces the environment entirely when given; otherwise the test's environment
    /// minus any LD_PRELOAD / PTRECLAIM_* settings, plus `extraEnv`.
    init(_ argv: [String], extraEnv: [String: String] = [:], env: [String: String]? = nil,
         outDir: String) throws {
        var environment = env ?? ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("PTRECLAIM_") && $0.key != "LD_PRELOAD"
        }
        for (k, v) in extraEnv { environment[k] = v }
        let tag = UUID().uuidString.prefix(8)
        outPath = "\(outDir)/.stdout-\(tag)"
        errPath = "\(outDir)/.stderr-\(tag)"

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF
                                              | POSIX_SPAWN_SETSIGMASK))

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, argv[0], &actions, &attr, cArgs, cEnv)
        guard rc == 0 else { throw TestFailure("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        pid = child
    }

    /// True once the child has exited (reaped).
    func poll() -> Bool {
        if status != nil { return true }
        // Peek first (WNOWAIT): while the exited child is an unreaped zombie its pid — and so
        // its process group id — cannot be reused, so killing the group hits only what the
        // child left behind, never an unrelated process.
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
              info._sifields._sigchld.si_pid == pid else { return false }
        kill(-pid, SIGKILL)
        var st: Int32 = 0
        waitpid(pid, &st, 0)
        status = st
        return true
    }

    /// Waits up to `timeout` seconds; on timeout kills the whole process group.
    func wait(timeout: Double) -> RunResult {
        let deadline = started.addingTimeInterval(timeout)
        var timedOut = false
        while !poll() {
            if Date() >= deadline {
                timedOut = true
                kill(-pid, SIGKILL)
                var st: Int32 = 0
                waitpid(pid, &st, 0)
                status = st
                break
            }
            usleep(2000)
        }
        let st = status ?? 0
        let signaled = st & 0x7f != 0
        return RunResult(exitCode: signaled ? nil : (st >> 8) & 0xff,
                         signal: signaled ? st & 0x7f : nil,
                         timedOut: timedOut, stdout: stdoutText(), stderr: stderrText(),
                         seconds: Date().timeIntervalSince(started))
    }

    /// The first stdout line starting with `prefix`, split into words; nil if the child exits
    /// or `timeout` seconds pass first.
    func waitForLine(_ prefix: String, timeout: Double = 30) -> [Substring]? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, !poll() {
            if let line = stdoutText().split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                return line.split(separator: " ")
            }
            usleep(2000)
        }
        return nil
    }

    func stdoutText() -> String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    func stderrText() -> String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    deinit {
        if status == nil { kill(-pid, SIGKILL); var st: Int32 = 0; waitpid(pid, &st, 0) }
        unlink(outPath)
        unlink(errPath)
    }
}

/// Runs argv to completion (or kills it at `timeout` seconds).
func runProcess(_ argv: [String], extraEnv: [String: String] = [:], timeout: Double = 60,
         outDir: String) throws -> RunResult {
    let child = try Spawned(argv, extraEnv: extraEnv, outDir: outDir)
    return child.wait(timeout: timeout)
}
