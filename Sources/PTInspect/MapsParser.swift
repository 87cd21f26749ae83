// /proc/PID/maps lines -> mappings (fs/proc/task_mmu.c show_map_vma):
//   start-end perms offset major:minor inode [path]
// The path is everything after the inode and its padding; it may contain spaces.

struct MapsEntry: Equatable {
    var start: UInt64
    var end: UInt64
    /// PTR_PERM_* bits, as in the trace format (read 1, write 2, exec 4, shared 8).
    var perms: UInt32
    var offset: UInt64
    /// nil for an anonymous mapping without a name.
    var path: String?
}

enum MapsParser {
    static func parse(_ bytes: [UInt8]) -> [MapsEntry] {
        var out: [MapsEntry] = []
        var lineStart = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == 10 {
            if i > lineStart, let e = parseLine(bytes[lineStart..<i]) { out.append(e) }
            lineStart = i + 1
        }
        return out
    }

    static func parseLine(_ line: ArraySlice<UInt8>) -> MapsEntry? {
        var p = line.startIndex
        func hex() -> UInt64? {
            var v: UInt64 = 0
            let from = p
            while p < line.endIndex, let d = hexDigit(line[p]) { v = v << 4 | d; p += 1 }
            return p > from ? v : nil
        }
        func skip(_ c: UInt8) -> Bool {
            guard p < line.endIndex, line[p] == c else { return false }
            p += 1
            return true
        }
        func field() { while p < line.endIndex && line[p] != 32 { p += 1 } }
        func spaces() { while p < line.endIndex && line[p] == 32 { p += 1 } }

        guard let start = hex(), skip(45 /* - */), let end = hex(), skip(32) else { return nil }
        guard line.endIndex - p >= 4 else { return nil }
        var perms: UInt32 = 0
        if line[p] == 114 /* r */ { perms |= 1 }
        if line[p + 1] == 119 /* w */ { perms |= 2 }
        if line[p + 2] == 120 /* x */ { perms |= 4 }
        if line[p + 3] == 115 /* s */ { perms |= 8 }
        p += 4
        spaces()
        guard let offset = hex() else { return nil }
        spaces(); field()   // major:minor
        spaces(); field()   // inode
        spaces()
        let path = p < line.endIndex ? String(decoding: line[p...], as: UTF8.self) : nil
        return MapsEntry(start: start, end: end, perms: perms, offset: offset, path: path)
    }

    @inline(__always) static func hexDigit(_ c: UInt8) -> UInt64? {
        switch c {
        case 48...57: return UInt64(c - 48)
        case 97...102: return UInt64(c - 87)
        case 65...70: return UInt64(c - 55)
        default: return nil
        }
    }
}
