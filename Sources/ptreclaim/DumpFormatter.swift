// One line of `ptreclaim dump` per decoded record.
import PTTrace

struct DumpFormatter {
    let start: UInt64

    init(header: TraceHeader) { start = header.monoStartNs }

    /// Seconds since the recorder started, with microseconds.
    func time(_ ns: UInt64) -> String {
        let rel = ns >= start ? ns - start : 0
        let us = (rel / 1000) % 1_000_000
        let u = String(us)
        return Units6.pad("\(rel / 1_000_000_000).\(String(repeating: "0", count: 6 - u.count))\(u)", 12)
    }

    mutating func line(_ record: TraceRecord) -> String {
        let h = Names.hex
        switch record {
        case .header:
            return "# header"
        case .stack(let node, let ip, let parent):
            return "\(Units6.pad("", 12)) stack \(node) = \(h(ip)) called from \(parent)"
        case .module(let m):
            let id = m.buildID.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            return "\(Units6.pad("", 12)) module gen \(m.generation) \(m.path.isEmpty ? "[main]" : m.path) at \(h(m.loadAddress)), \(m.segments.count) segments, build-id \(id.isEmpty ? "-" : id)"
        case .call(let c):
            return call(c)
        case .snapshot(let s):
            var pages: UInt64 = 0, swapped: UInt64 = 0, huge: UInt64 = 0
            for m in s.mappings {
                for r in m.runs {
                    pages &+= r.count
                    if r.swapped { swapped &+= r.count }
                    if r.huge { huge &+= r.count }
                }
            }
            var t = "\(time(s.time)) snapshot seq \(s.seq) \(s.reason): \(s.mappings.count) maps, \(pages) populated pages"
            if swapped > 0 || huge > 0 { t += " (\(swapped) swapped, \(huge) in THPs)" }
            t += ", VmPTE \(s.vmPTEKiB) kB"
            if s.vmPTEKiBAfter != s.vmPTEKiB { t += " (\(s.vmPTEKiBAfter) kB after the walk)" }
            t += ", VmRSS \(s.vmRSSKiB) kB"
            return t
        case .fork(let t, let child):
            return "\(time(t)) fork: child pid \(child)"
        case .exec(let t, let path):
            return "\(time(t)) exec \(path)"
        case .execFailed(let t, let e):
            return "\(time(t)) exec failed: \(Names.errno(e))"
        case .lost(let n):
            return "\(Units6.pad("", 12)) lost \(n) calls (not recorded)"
        case .trailer(let t):
            let reason = t.exitReason.map { "\($0)" } ?? "unknown"
            return "\(time(t.time)) trailer: \(t.recordsWritten) records written, \(t.recordsDropped) dropped, exit \(reason) status \(t.exitStatus)"
        }
    }

    func call(_ c: Call) -> String {
        let h = Names.hex
        var text: String
        var result: String? = nil
        switch c.kind {
        case let .mmap(hint, length, prot, flags, fd, offset, is64, r):
            text = "\(is64 ? "mmap64" : "mmap")(\(h(hint)), \(length), \(Names.prot(prot)), \(Names.mmapFlags(flags)), \(fd), \(h(offset)))"
            result = h(r)
        case let .munmap(a, len):
            text = "munmap(\(h(a)), \(len))"
        case let .mremap(old, oldLen, newLen, flags, hint, r):
            text = "mremap(\(h(old)), \(oldLen), \(newLen), \(Names.mremapFlags(flags))"
            text += flags & 2 != 0 ? ", \(h(hint)))" : ")"
            result = h(r)
        case let .madvise(a, len, advice, posix):
            text = "\(posix ? "posix_madvise" : "madvise")(\(h(a)), \(len), \(Names.madvise(advice, posix: posix)))"
        case let .processMadvise(pidfd, advice, flags, ranges, r):
            let iov = ranges.prefix(4).map { "\(h($0.address))+\($0.length)" }.joined(separator: " ")
            text = "process_madvise(\(pidfd), [\(iov)\(ranges.count > 4 ? " ..." : "")] \(ranges.count) iovecs, \(Names.madvise(advice, posix: false)), \(flags))"
            result = String(r)
        case let .mprotect(a, len, prot, pkey):
            text = pkey == -1 ? "mprotect(\(h(a)), \(len), \(Names.prot(prot)))"
                              : "pkey_mprotect(\(h(a)), \(len), \(Names.prot(prot)), \(pkey))"
        case let .brk(req, old, new):
            text = "brk(\(h(req))) break \(h(old)) -> \(h(new))"
        case let .sbrk(inc, newBreak, r):
            text = "sbrk(\(inc)) break -> \(h(newBreak))"
            result = h(r)
        }
        var line = "\(time(c.time)) tid \(c.tid) \(text)"
        if let e = c.errno { line += " = -1 \(Names.errno(e))" }
        else if let result { line += " = \(result)" }
        else { line += " = 0" }
        line += " stack \(c.stack)"
        if let r = c.residency { line += " " + residency(r) }
        return line
    }

    /// "res 3 blocks: 2 listed (512+17 pages)", huge blocks as "THP".
    func residency(_ r: Residency) -> String {
        var parts: [String] = []
        for b in r.listed.prefix(8) {
            switch b.kind {
            case .huge: parts.append("THP")
            case .pte(let runs): parts.append(String(runs.reduce(0) { $0 + UInt64($1.count) }))
            }
        }
        if r.listed.count > 8 { parts.append("...") }
        var s = "res \(r.blockCount) block\(r.blockCount == 1 ? "" : "s"): \(r.listed.count) listed"
        if !parts.isEmpty { s += " (" + parts.joined(separator: "+") + " pages)" }
        return s
    }
}

enum Units6 {
    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
