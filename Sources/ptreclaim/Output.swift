// Buffered standard output written with write(2). A closed pipe (`ptreclaim dump F | head`)
// ends the program quietly with status 0 instead of a SIGPIPE or an error message.
#if canImport(Glibc)
import Glibc
#endif

struct Output {
    private var buffer: [UInt8] = []
    private let fd: Int32

    init(fd: Int32 = 1) {
        self.fd = fd
        buffer.reserveCapacity(1 << 16)
        signal(SIGPIPE, SIG_IGN)
    }

    mutating func line(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        buffer.append(10)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        var off = 0
        while off < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n > 0 { off += n; continue }
            if n < 0 && errno == EINTR { continue }
            if errno == EPIPE { exit(0) }
            warn("cannot write output: \(errnoString())")
            exit(Status.failure)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
