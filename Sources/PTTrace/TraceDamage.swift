// Damage the records themselves cannot show: a trace whose every record decodes may still have
// lost some (a chunk cut out that happened to end on a record boundary) or carry bytes after its
// TRAILER (random data appended, a second trace joined on). The TRAILER counts the records
// written before it, so a different count read means records are missing or invented; after
// the TRAILER only zero bytes may follow (space reserved but not trimmed, e.g. on a full disk).
// Runs once, at the TRAILER: the records' hot path only counts.
extension TraceReader {
    mutating func checkEnd(after trailer: Trailer, at trailerOffset: UInt64) {
        if trailer.recordsWritten != recordsRead {
            damage = TraceError(path: path, offset: trailerOffset, message:
                "the trailer counts \(trailer.recordsWritten) records but \(recordsRead) were read: records before it are missing or damaged")
            return
        }
        // Scan the rest of the file through the same buffer, in constant memory.
        do {
            repeat {
                let p = buffer.base
                for i in buffer.start..<buffer.end where p[i] != 0 {
                    let at = buffer.fileOffset(i)
                    buffer.start = i
                    damage = TraceError(path: path, offset: at, message: try describeTrailingData())
                    return
                }
                buffer.start = buffer.end
            } while try buffer.refill()
        } catch {
            damage = error
        }
    }

    /// "another trace starts here" for a joined file, else how much data follows.
    private mutating func describeTrailingData() throws(TraceError) -> String {
        let magic = TraceFormat.magic
        while buffer.end - buffer.start < magic.count, try buffer.refill() {}
        let p = buffer.base + buffer.start
        if buffer.end - buffer.start >= magic.count, (0..<magic.count).allSatisfy({ p[$0] == magic[$0] }) {
            return "another trace starts after this one's trailer (files joined)"
        }
        let left = fileSize > buffer.fileOffset(buffer.start) ? fileSize - buffer.fileOffset(buffer.start) : 0
        return "\(left) bytes of data after the trailer"
    }
}
