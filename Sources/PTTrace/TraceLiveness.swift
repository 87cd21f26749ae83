// Is a recorder still writing this trace? The recorder holds an exclusive flock(2) on its trace
// from creation until the process ends (Sources/recorder/trace_file.c); the lock lives as long
// as the recorder's descriptor or its mapping of the file, and the kernel drops it when the
// process dies, however it dies. So a lock that cannot be taken means a live writer.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum TraceLiveness {
    /// True when a live process holds the recorder's lock on `path`. False when the file is not
    /// held, or cannot be opened.
    public static func isBeingWritten(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 { return false }  // released by close
        return errno == EWOULDBLOCK
    }
}
