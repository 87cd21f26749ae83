// Symbolic names for the arguments dump prints: prot, mmap flags, madvise advice, mremap flags,
// errno. Unknown bits are printed in hex after the known names.

enum Names {
    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    static func bits(_ v: UInt32, _ table: [(UInt32, String)], zero: String) -> String {
        if v == 0 { return zero }
        var rest = v
        var names: [String] = []
        for (bit, name) in table where rest & bit == bit && bit != 0 {
            names.append(name)
            rest &= ~bit
        }
        if rest != 0 { names.append(hex(UInt64(rest))) }
        return names.joined(separator: "|")
    }

    static func prot(_ v: UInt32) -> String {
        bits(v, [(1, "READ"), (2, "WRITE"), (4, "EXEC"), (0x0100_0000, "GROWSDOWN"), (0x0200_0000, "GROWSUP")],
             zero: "NONE")
    }

    static func mmapFlags(_ v: UInt32) -> String {
        var names: [String] = []
        switch v & 3 {
        case 1: names.append("SHARED")
        case 2: names.append("PRIVATE")
        case 3: names.append("SHARED_VALIDATE")
        default: break
        }
        let rest = v & ~3
        if rest != 0 {
            names.append(bits(rest, [(0x10, "FIXED"), (0x20, "ANONYMOUS"), (0x40, "32BIT"), (0x100, "GROWSDOWN"),
                                     (0x800, "DENYWRITE"), (0x1000, "EXECUTABLE"), (0x2000, "LOCKED"),
                                     (0x4000, "NORESERVE"), (0x8000, "POPULATE"), (0x10000, "NONBLOCK"),
                                     (0x20000, "STACK"), (0x40000, "HUGETLB"), (0x80000, "SYNC"),
                                     (0x100000, "FIXED_NOREPLACE"), (0x4000000, "UNINITIALIZED")], zero: ""))
        }
        return names.isEmpty ? "0" : names.joined(separator: "|")
    }

    static func mremapFlags(_ v: UInt32) -> String {
        bits(v, [(1, "MAYMOVE"), (2, "FIXED"), (4, "DONTUNMAP")], zero: "0")
    }

    static let advice: [UInt32: String] = [
        0: "NORMAL", 1: "RANDOM", 2: "SEQUENTIAL", 3: "WILLNEED", 4: "DONTNEED", 8: "FREE", 9: "REMOVE",
        10: "DONTFORK", 11: "DOFORK", 12: "MERGEABLE", 13: "UNMERGEABLE", 14: "HUGEPAGE",
        15: "NOHUGEPAGE", 16: "DONTDUMP", 17: "DODUMP", 18: "WIPEONFORK", 19: "KEEPONFORK", 20: "COLD",
        21: "PAGEOUT", 22: "POPULATE_READ", 23: "POPULATE_WRITE", 24: "DONTNEED_LOCKED", 25: "COLLAPSE",
        100: "HWPOISON", 101: "SOFT_OFFLINE", 102: "GUARD_INSTALL", 103: "GUARD_REMOVE",
    ]
    static func madvise(_ v: UInt32, posix: Bool) -> String {
        if posix {
            let names = ["POSIX_MADV_NORMAL", "POSIX_MADV_RANDOM", "POSIX_MADV_SEQUENTIAL",
                         "POSIX_MADV_WILLNEED", "POSIX_MADV_DONTNEED"]
            return v < names.count ? names[Int(v)] : String(v)
        }
        return advice[v].map { "MADV_" + $0 } ?? String(v)
    }

    static let errnos: [Int32: String] = [
        1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 8: "ENOEXEC",
        9: "EBADF", 10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY",
        17: "EEXIST", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 23: "ENFILE",
        24: "EMFILE", 26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 30: "EROFS", 32: "EPIPE", 38: "ENOSYS",
        75: "EOVERFLOW", 95: "EOPNOTSUPP",
    ]
    static func errno(_ e: Int32) -> String { errnos[e] ?? "errno \(e)" }
}
