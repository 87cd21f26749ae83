// A recorder killed by a signal cannot write its trailer or trim its file: the trace keeps the
// zero bytes reserved ahead of use (up to 1 MiB, docs/trace-format.md). When the program has
// ended and no recorder holds the file any more, `ptreclaim record` cuts that tail. The reader
// stops at the first zero tag either way; this only gives the space back. A record may itself
// end in zero bytes (a zero varint, a bitmap's empty end), so 4 KiB of zeros past the last
// non-zero byte are kept, far more than any record's zero run.
import PTTrace
#if canImport(Glibc)
import Glibc
#endif

enum TraceTail {
    static let slack: Int64 = 4096

    /// Cuts the unwritten zero tail of `path` when nothing writes it any more. Quiet on failure:
    /// the trace is complete either way.
    static func trimZeros(_ path: String) {
        guard !TraceLiveness.isBeingWritten(path) else { return }
        let fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > slack else { return }
        let size = Int64(st.st_size)
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        var end = size  // one past the last non-zero byte found so far, scanning backwards
        var found = false
        while end > 0 && !found {
            let chunk = min(Int64(buf.count), end)
            let n = pread(fd, &buf, Int(chunk), off_t(end - chunk))
            guard n == Int(chunk) else { return }
            if let i = buf[..<n].lastIndex(where: { $0 != 0 }) {
                end = end - chunk + Int64(i) + 1
                found = true
            } else {
                end -= chunk
            }
        }
        let keep = min(size, (end + 4095) / 4096 * 4096 + slack)
        if keep < size { _ = ftruncate(fd, off_t(keep)) }
    }
}
