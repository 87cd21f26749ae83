// Reads a file through one buffer refilled with read(2), so a trace of any size is read in
// constant memory. The buffer starts at 1 MiB and grows only when a single record does not fit,
// up to `maxCapacity`; a longer record is reported as corruption rather than allocated.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class FileBuffer {
    static let initialCapacity = 1 << 20
    static let maxCapacity = 64 << 20

    let path: String
    private let fd: Int32
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    /// First unconsumed byte and one past the last valid byte, as indices into `base`.
    var start = 0
    private(set) var end = 0
    /// File offset of base[0].
    private(set) var baseOffset: UInt64 = 0
    private(set) var atEOF = false
    /// Size of the file when opened (for progress reports).
    let fileSize: UInt64

    init(path: String) throws(TraceError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw TraceError(path: path, offset: nil, message: "cannot open: \(errnoText())")
        }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw TraceError(path: path, offset: nil, message: "is a directory")
        }
        self.fd = fd
        self.fileSize = UInt64(max(0, st.st_size))
        self.capacity = FileBuffer.initialCapacity
        self.base = .allocate(capacity: FileBuffer.initialCapacity)
    }

    deinit {
        close(fd)
        base.deallocate()
    }

    /// File offset of base[index].
    @inline(__always) func fileOffset(_ index: Int) -> UInt64 { baseOffset &+ UInt64(index) }

    /// Makes more bytes available after `end`, keeping those from `start` on. Returns false at
    /// the end of the file. Throws when one record would need more than `maxCapacity` bytes.
    func refill() throws(TraceError) -> Bool {
        if atEOF { return false }
        if start > 0 {
            let live = end - start
            if live > 0 { memmove(base, base + start, live) }
            baseOffset &+= UInt64(start)
            end = live
            start = 0
        }
        if end == capacity {
            guard capacity < FileBuffer.maxCapacity else {
                throw TraceError(path: path, offset: baseOffset,
                                 message: "record longer than \(FileBuffer.maxCapacity >> 20) MiB")
            }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: base, count: end)
            base.deallocate()
            base = bigger
            capacity *= 2
        }
        while true {
            let n = read(fd, base + end, capacity - end)
            if n > 0 { end += n; return true }
            if n == 0 { atEOF = true; return false }
            if errno == EINTR { continue }
            throw TraceError(path: path, offset: fileOffset(end), message: "read error: \(errnoText())")
        }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
