// Small traces used by the reader tests, plus file helpers.
import Foundation
import PTTrace

enum Sample {
    static let start: UInt64 = 1_000_000_000

    /// A trace holding every record type, every call kind (failed and with residency), and a
    /// snapshot with anonymous and file mappings.
    static func everyRecord(trailer: Bool = true) -> TraceWriter {
        var w = TraceWriter(header: TraceWriter.standardHeader(start: start))
        w.module(Module(generation: 1, path: "/usr/lib/libc.so.6", loadAddress: 0x7f00_0000_0000,
                        buildID: [0xde, 0xad, 0xbe, 0xef],
                        segments: [ModuleSegment(vaddr: 0, memsz: 0x28000, flags: 4),
                                   ModuleSegment(vaddr: 0x28000, memsz: 0x1000, flags: 5)]))
        let root = w.stack(ip: 0x40_1000, parent: 0)
        let leaf = w.stack(ip: 0x7f00_0001_2345, parent: root)
        var t = start
        func tick() -> UInt64 { t += 1_500; return t }
        let block: UInt64 = 0x7f10_0000_0000
        w.snapshot(Snapshot(time: tick(), seq: 0, reason: .start, vmPTEKiB: 96, vmRSSKiB: 2048,
                            vmPTEKiBAfter: 100, vmRSSKiBAfter: 2052,
                            mappings: [
                                SnapshotMapping(start: 0x40_0000, end: 0x40_4000, perms: 5, offset: 0,
                                                path: "/bin/prog", runs: [SnapshotRun(start: 0, count: 4)]),
                                SnapshotMapping(start: block, end: block + (4 << 20), perms: 3, offset: 0,
                                                path: nil, runs: [SnapshotRun(start: 0, count: 512, huge: true),
                                                                  SnapshotRun(start: 600, count: 3, swapped: true)]),
                                SnapshotMapping(start: 0x7ffd_0000_0000, end: 0x7ffd_0002_1000, perms: 3,
                                                offset: 0, path: "[stack]", runs: []),
                                SnapshotMapping(start: 0x7f00_0000_0000, end: 0x7f00_0002_8000, perms: 5,
                                                offset: 0, path: "/bin/prog", runs: []),
                            ]))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .mmap(hint: 0, length: 4 << 20, prot: 3, flags: 0x22, fd: -1, offset: 0,
                                is64: false, result: block)))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .mmap(hint: 0x1000, length: 4096, prot: 1, flags: 0x12, fd: 7, offset: 8192,
                                is64: true, result: 0x7f20_0000_0000)))
        w.call(Call(time: tick(), tid: 101, stack: 0,
                    kind: .mmap(hint: 0, length: 1 << 40, prot: 3, flags: 0x22, fd: -1, offset: 0,
                                is64: false, result: 0), errno: 12))
        let res = Residency(firstBlock: block >> 21, blockCount: 2, listed: [
            BlockPopulation(block: block >> 21, kind: .pte(runs: [PageRun(start: 0, count: 17),
                                                                  PageRun(start: 100, count: 412)])),
            BlockPopulation(block: (block >> 21) + 1, kind: .huge)])
        w.call(Call(time: tick(), tid: 101, stack: root,
                    kind: .madvise(address: block, length: 4 << 20, advice: 4, posix: false), residency: res))
        w.call(Call(time: tick(), tid: 101, stack: root,
                    kind: .madvise(address: block, length: 4096, advice: 4, posix: true), errno: 22))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .processMadvise(pidfd: 5, advice: 21, flags: 0,
                                          ranges: [AddressRange(address: block, length: 8192),
                                                   AddressRange(address: block - 4096, length: 4096)],
                                          result: 12288)))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .mprotect(address: block, length: 4096, prot: 1, pkey: -1)))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .mprotect(address: block, length: 4096, prot: 1, pkey: 3), errno: 1))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .mremap(oldAddress: block, oldLength: 4 << 20, newLength: 8 << 20, flags: 1,
                                  newHint: 0, result: 0x7f30_0000_0000),
                    residency: Residency(firstBlock: block >> 21, blockCount: 2, listed: [])))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .munmap(address: 0x7f30_0000_0000, length: 8 << 20)))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .munmap(address: 0x7f30_0000_0001, length: 8 << 20), errno: 22))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .brk(requested: 0x60_0000, oldBreak: 0x50_0000, newBreak: 0x60_0000)))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .sbrk(increment: -4096, newBreak: 0x5f_f000, result: 0x60_0000)))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .sbrk(increment: 1 << 40, newBreak: 0x5f_f000, result: 0), errno: 12))
        // Format v2 corners: residency blocks before/after the call's anchor block (the delta is
        // signed), process_madvise and sbrk anchors, addresses and lengths with low bits set
        // at the very top of the 64-bit space (deltas wrap).
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .madvise(address: block + 0x3000, length: 0x1234, advice: 4, posix: false),
                    residency: Residency(firstBlock: (block >> 21) - 1, blockCount: 3, listed: [
                        BlockPopulation(block: (block >> 21) + 1, kind: .pte(runs: [PageRun(start: 511, count: 1)]))])))
        // Block +1 again: written as a PTE_DIFF against the population just listed.
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .munmap(address: block + (2 << 20), length: 4096),
                    residency: Residency(firstBlock: (block >> 21) + 1, blockCount: 1, listed: [
                        BlockPopulation(block: (block >> 21) + 1, kind: .pte(runs: [PageRun(start: 0, count: 10),
                                                                                    PageRun(start: 511, count: 1)]))])))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .processMadvise(pidfd: 5, advice: 4, flags: 0,
                                          ranges: [AddressRange(address: block + (4 << 20), length: 4096),
                                                   AddressRange(address: 0x1000, length: 0),
                                                   AddressRange(address: block, length: 8192)],
                                          result: 12288),
                    residency: Residency(firstBlock: block >> 21, blockCount: 3, listed: [
                        BlockPopulation(block: (block >> 21) + 2, kind: .huge)])))
        // Block +2 was HUGE (every page): a PTE_DIFF against it.
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .madvise(address: block + (4 << 20), length: 1 << 20, advice: 4, posix: false),
                    residency: Residency(firstBlock: (block >> 21) + 2, blockCount: 1, listed: [
                        BlockPopulation(block: (block >> 21) + 2, kind: .pte(runs: [PageRun(start: 0, count: 256)]))])))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .sbrk(increment: -8192, newBreak: 0x5f_d000, result: 0x5f_f000),
                    residency: Residency(firstBlock: 0x5f_d000 >> 21, blockCount: 1, listed: [])))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .munmap(address: 0xffff_ffff_ffff_f001, length: 0xffff_ffff_ffff_fffd), errno: 22))
        w.call(Call(time: tick(), tid: 100, stack: leaf,
                    kind: .mremap(oldAddress: 0x10, oldLength: 1, newLength: 0x2001, flags: 3,
                                  newHint: 0xffff_ffff_ffff_f000, result: 0), errno: 22))
        w.fork(time: tick(), child: 4243)
        w.exec(time: tick(), path: "/bin/true")
        w.execFailed(time: tick(), errno: 2)
        w.lost(3)
        if trailer {
            w.trailer(Trailer(time: tick(), recordsWritten: w.records, recordsDropped: 2, exitReason: .atexit,
                              exitStatus: 0))
        }
        return w
    }

    static func tempPath(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "pttrace-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + name
    }

    @discardableResult
    static func write(_ bytes: [UInt8], _ name: String) -> String {
        let p = tempPath(name)
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    /// Reads a whole file: every record, then the truncated flag; a TraceError stops it.
    static func readAll(_ path: String) -> (records: [TraceRecord], truncated: Bool, error: TraceError?) {
        var out: [TraceRecord] = []
        do {
            var r = try TraceReader(path: path)
            out.append(.header(r.header))
            while let rec = try r.next() { out.append(rec) }
            return (out, r.truncated, nil)
        } catch let e as TraceError {
            return (out, false, e)
        } catch {
            fatalError("reader threw a non-TraceError: \(error)")
        }
    }
}
