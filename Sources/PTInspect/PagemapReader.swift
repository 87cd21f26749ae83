// The populated pages of another process's mappings, from /proc/PID/pagemap: the PAGEMAP_SCAN
// ioctl (Linux 6.7+; it walks only the page tables that exist, so holes and sparse reservations
// cost nothing) or, before 6.7, pread of the 8-byte pagemap entries (cost proportional to the
// range read). Opening pagemap needs ptrace read access to the process; nothing here attaches
// to or stops it.
import CPTInspect
import PTTrace
#if canImport(Glibc)
import Glibc
#endif

public enum PagemapSource: String, CaseIterable, Sendable {
    /// PAGEMAP_SCAN when the kernel has it, else pread.
    case auto
    case scan
    case pread
}

/// A pagemap entry's non-none bits (Documentation/admin-guide/mm/pagemap.rst).
private let entryPresent: UInt64 = 1 << 63
private let entrySwapped: UInt64 = 1 << 62
/// PAGEMAP_SCAN categories (PAGE_IS_*).
private let isPresent = UInt64(CPT_PAGE_IS_PRESENT), isSwapped = UInt64(CPT_PAGE_IS_SWAPPED),
            isHuge = UInt64(CPT_PAGE_IS_HUGE)

final class PagemapReader {
    let pid: Int32
    private let fd: Int32
    /// The source that answers: .scan or .pread once known.
    private(set) var source: PagemapSource
    private var regions: [page_region]
    private var entries: [UInt64] = []

    init(pid: Int32, source: PagemapSource) throws {
        self.pid = pid
        self.fd = try ProcFiles.open(pid, "pagemap")
        self.source = source
        self.regions = [page_region](repeating: page_region(), count: 4096)
    }

    deinit { close(fd) }

    /// Populated (present or swapped) runs of [start, end), page numbers relative to start.
    func runs(_ start: UInt64, _ end: UInt64) throws -> [SnapshotRun] {
        if source != .pread, let r = try scanRuns(start, end) { return r }
        if source == .scan { throw InspectError.io(pid: pid, file: "pagemap (PAGEMAP_SCAN)", errno: ENOTTY) }
        source = .pread
        return try preadRuns(start, end)
    }

    /// nil when the kernel has no PAGEMAP_SCAN (ENOTTY, EINVAL).
    private func scanRuns(_ start: UInt64, _ end: UInt64) throws -> [SnapshotRun]? {
        var out: [SnapshotRun] = []
        var cur = start
        while cur < end {
            let (n, walkEnd): (Int, UInt64) = regions.withUnsafeMutableBufferPointer { buf in
                var arg = pm_scan_arg()
                arg.size = UInt64(MemoryLayout<pm_scan_arg>.size)
                arg.start = cur
                arg.end = end
                arg.vec = UInt64(UInt(bitPattern: buf.baseAddress))
                arg.vec_len = UInt64(buf.count)
                arg.category_anyof_mask = isPresent | isSwapped
                arg.return_mask = isPresent | isSwapped | isHuge
                let r = cpt_pagemap_scan(fd, &arg)
                if r < 0 { return (-Int(errno), 0) }
                return (Int(r), arg.walk_end)
            }
            if n < 0 {
                let e = Int32(-n)
                if (e == ENOTTY || e == EINVAL) && source == .auto && out.isEmpty && cur == start { return nil }
                throw ProcFiles.error(pid, "pagemap", e)
            }
            source = .scan
            for i in 0..<n {
                let r = regions[i]
                out.append(SnapshotRun(start: (r.start - start) >> 12, count: (r.end - r.start) >> 12,
                                       swapped: r.categories & isPresent == 0,
                                       huge: r.categories & isHuge != 0))
            }
            // A full vector stops the walk early; walk_end says where to go on.
            guard walkEnd > cur && walkEnd <= end else { break }
            cur = walkEnd
        }
        return out
    }

    /// pread of pagemap entries, 64 Ki entries (256 MiB of address space) per read.
    private func preadRuns(_ start: UInt64, _ end: UInt64) throws -> [SnapshotRun] {
        let chunk = 1 << 16
        if entries.count < chunk { entries = [UInt64](repeating: 0, count: chunk) }
        var out: [SnapshotRun] = []
        var page = start >> 12
        let endPage = end >> 12
        let first = page
        while page < endPage {
            let want = Int(min(UInt64(chunk), endPage - page))
            let got = entries.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want * 8, off_t(page * 8)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw ProcFiles.error(pid, "pagemap", errno)
            }
            let n = got / 8
            if n == 0 { break }
            for i in 0..<n {
                let e = entries[i]
                guard e & (entryPresent | entrySwapped) != 0 else { continue }
                let rel = page + UInt64(i) - first
                let swapped = e & entryPresent == 0
                if let last = out.last, last.start + last.count == rel, last.swapped == swapped {
                    out[out.count - 1].count += 1
                } else {
                    out.append(SnapshotRun(start: rel, count: 1, swapped: swapped))
                }
            }
            page += UInt64(n)
        }
        return out
    }
}
