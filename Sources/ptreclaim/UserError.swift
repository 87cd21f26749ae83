// User errors: one line on stderr, a non-zero exit, never a Swift crash trace.
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// Exit statuses (docs/cli.md).
enum Status {
    static let failure: Int32 = 1     // usage or environment problem
    static let badTrace: Int32 = 2    // the trace cannot be read
    static let cannotRun: Int32 = 126 // the command exists but cannot be executed
    static let notFound: Int32 = 127  // the command was not found
}

/// Prints "ptreclaim: MESSAGE" on stderr.
func warn(_ message: String) {
    let line = "ptreclaim: " + message + "\n"
    var bytes = Array(line.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}

/// Prints the message and returns the error that makes ArgumentParser exit with `status`.
func userError(_ message: String, status: Int32 = Status.failure) -> ExitCode {
    warn(message)
    return ExitCode(status)
}

func errnoString(_ e: Int32 = errno) -> String { String(cString: strerror(e)) }
