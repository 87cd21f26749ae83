import PTReplay
import Foundation
import TestSupport
import XCTest
import PTTrace

final class TraceReaderTests: XCTestCase {
    func testRoundTripEveryRecordType() throws {
        let w = Sample.everyRecord()
        let path = Sample.write(w.bytes, "every.ptr")
        let got = Sample.readAll(path)
        XCTAssertNil(got.error)
        XCTAssertFalse(got.truncated)
        XCTAssertEqual(got.records.count, w.expected.count)
        for (a, b) in zip(got.records, w.expected.map(\.record)) { XCTAssertEqual(a, b) }
        var r = try TraceReader(path: path)
        XCTAssertEqual(r.header.pid, 4242)
        XCTAssertEqual(r.header.argv, ["prog", "--flag", "x"])
        XCTAssertEqual(r.header["unknown_key"], "ignored")
        while try r.next() != nil {}
        XCTAssertEqual(r.offset, UInt64(w.bytes.count))
        XCTAssertNil(try r.next(), "nil stays nil after the trailer")
    }

    func testEndByteAndZeroPaddingWithoutTrailerIsTruncated() {
        var w = Sample.everyRecord(trailer: false)
        w.end()
        let got = Sample.readAll(Sample.write(w.bytes + [UInt8](repeating: 0, count: 3000), "pad.ptr"))
        XCTAssertNil(got.error)
        XCTAssertTrue(got.truncated)
        XCTAssertEqual(got.records, w.expected.map(\.record))
    }

    func testZeroPaddingAfterTrailerIsClean() {
        let w = Sample.everyRecord()
        let got = Sample.readAll(Sample.write(w.bytes + [0, 0, 0, 0], "trailerpad.ptr"))
        XCTAssertNil(got.error)
        XCTAssertFalse(got.truncated)
        XCTAssertEqual(got.records.count, w.expected.count)
    }

    /// Cut the trace at every byte: each prefix yields exactly the records that end at or before
    /// the cut and is flagged truncated; cuts inside the HEADER are errors (nothing to report).
    func testTruncationAtEveryByte() {
        let w = Sample.everyRecord()
        let headerEnd = w.expected[0].end
        for cut in 0..<w.bytes.count {
            let got = Sample.readAll(Sample.write(Array(w.bytes[..<cut]), "cut.ptr"))
            if cut < headerEnd {
                XCTAssertNotNil(got.error, "cut \(cut)")
                continue
            }
            XCTAssertNil(got.error, "cut \(cut): \(got.error!)")
            XCTAssertTrue(got.truncated, "cut \(cut)")
            let want = w.expected.filter { $0.end <= cut }.map(\.record)
            XCTAssertEqual(got.records, want, "cut \(cut)")
        }
    }

    func testWrongMagic() {
        var bytes = Sample.everyRecord().bytes
        bytes[0] = UInt8(ascii: "X")
        let got = Sample.readAll(Sample.write(bytes, "magic.ptr"))
        XCTAssertEqual(got.error?.offset, 0)
        XCTAssertTrue(got.error!.description.hasSuffix("magic.ptr: byte 0: not a ptreclaim trace"),
                      got.error!.description)
        let text = Sample.readAll(Sample.write(Array("hello world, a text file\n".utf8), "text.ptr"))
        XCTAssertEqual(text.error?.message, "not a ptreclaim trace")
        let empty = Sample.readAll(Sample.write([], "empty.ptr"))
        XCTAssertNotNil(empty.error)
    }

    func testUnknownVersion() {
        let w = TraceWriter(version: 7, header: TraceWriter.standardHeader())
        let got = Sample.readAll(Sample.write(w.bytes, "v7.ptr"))
        XCTAssertEqual(got.error?.offset, 8)
        XCTAssertTrue(got.error!.message.contains("version 7"), got.error!.message)
        XCTAssertTrue(got.error!.message.contains("reads format version 2, 3"), got.error!.message)
        // Version 1 was a pre-release layout: refused the same way, never misread.
        let v1 = Sample.readAll(Sample.write(TraceWriter(version: 1, header: TraceWriter.standardHeader()).bytes, "v1.ptr"))
        XCTAssertEqual(v1.error?.offset, 8)
        XCTAssertTrue(v1.error!.message.contains("reads format version 2, 3"), v1.error!.message)
    }

    func testMissingFileAndDirectory() {
        let got = Sample.readAll("/nonexistent/x.ptr")
        XCTAssertEqual(got.error?.description, "/nonexistent/x.ptr: cannot open: No such file or directory")
        XCTAssertNotNil(Sample.readAll("/tmp").error)
    }

    func testCorruptionNamesTheOffset() {
        var w = TraceWriter(header: TraceWriter.standardHeader())
        w.call(Call(time: Sample.start + 5, tid: 1, stack: 0, kind: .munmap(address: 0x1000, length: 4096)))
        let at = w.bytes.count
        w.u8(14) // no record type 14
        let got = Sample.readAll(Sample.write(w.bytes, "type14.ptr"))
        XCTAssertEqual(got.error?.offset, UInt64(at))
        XCTAssertEqual(got.error?.message, "unknown record type 14")
        XCTAssertEqual(got.records.count, 2)
    }

    func testOverlongVarintIsCorruption() {
        var w = TraceWriter(header: TraceWriter.standardHeader())
        w.tag(PTRTags.lost)
        let at = w.bytes.count
        for _ in 0..<11 { w.u8(0xff) }
        w.u8(1)
        let got = Sample.readAll(Sample.write(w.bytes, "varint.ptr"))
        XCTAssertEqual(got.error?.offset, UInt64(at))
        XCTAssertTrue(got.error!.message.contains("varint"), got.error!.message)
    }

    func testAbsurdCountsAreRejectedWithoutAllocating() {
        var w = TraceWriter(header: TraceWriter.standardHeader())
        w.tag(PTRTags.module); w.uv(1); w.str("/x"); w.uv(0); w.uv(0)
        w.uv(UInt64.max >> 1) // segment count
        let got = Sample.readAll(Sample.write(w.bytes, "count.ptr"))
        XCTAssertTrue(got.error?.message.contains("segment count") ?? false, "\(String(describing: got.error))")

        var s = TraceWriter(header: TraceWriter.standardHeader())
        s.tag(PTRTags.header)  // second header with a huge string
        s.uv(1); s.uv(1 << 40)
        XCTAssertNotNil(Sample.readAll(Sample.write(s.bytes, "count2.ptr")).error)
    }

    func testSnapshotMapCountIsExact() {
        func snapshot(announced: UInt64, written: Int) -> TraceError? {
            var w = TraceWriter(header: TraceWriter.standardHeader())
            w.tag(PTRTags.snapshot); w.uv(10); w.uv(0); w.uv(0); w.uv(4); w.uv(8); w.uv(announced)
            for i in 0..<written {
                w.tag(PTRTags.map); w.addr(0x1000 + UInt64(i) * 0x1000); w.len(4096); w.uv(3); w.uv(0); w.uv(0); w.uv(0)
            }
            w.tag(PTRTags.snapshotEnd); w.uv(4); w.uv(8)
            return Sample.readAll(Sample.write(w.bytes, "maps.ptr")).error
        }
        XCTAssertNil(snapshot(announced: 2, written: 2))
        XCTAssertEqual(snapshot(announced: 2, written: 1)?.message, "SNAPSHOT_END with 1 of the SNAPSHOT's MAP records missing")
        XCTAssertEqual(snapshot(announced: 1, written: 2)?.message, "more MAP records than the SNAPSHOT announced")
    }

    func testBitFlipsNeverCrashOrHang() {
        let w = Sample.everyRecord()
        var errors = 0, truncated = 0, clean = 0
        for i in 0..<w.bytes.count {
            for bit in [0, 3, 6, 7] {
                var b = w.bytes
                b[i] ^= UInt8(1 << bit)
                let got = Sample.readAll(Sample.write(b, "flip.ptr"))
                if got.error != nil { errors += 1 } else if got.truncated { truncated += 1 } else { clean += 1 }
                XCTAssertLessThanOrEqual(got.records.count, w.expected.count + 64)
            }
        }
        XCTAssertGreaterThan(errors, w.bytes.count, "most flips must be detected")
        print("bit flips: \(errors) errors, \(truncated) truncated, \(clean) read cleanly")
    }

    func testRandomFilesNeverCrashOrHang() {
        var rng = SplitMix(seed: 42)
        let prefix = Array(Sample.everyRecord().bytes[..<12])
        for i in 0..<600 {
            let n = Int(rng.next() % 4096)
            var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if i % 2 == 0 { bytes = prefix + bytes }
            if i % 4 == 0 { bytes = Array(TraceWriter(header: TraceWriter.standardHeader()).bytes) + bytes }
            let got = Sample.readAll(Sample.write(bytes, "random.ptr"))
            if let e = got.error { XCTAssertTrue(e.description.contains("random.ptr: ")) }
        }
    }

    func testManyRecordsAcrossBufferRefills() throws {
        var w = TraceWriter(header: TraceWriter.standardHeader())
        let n = 300_000
        var t = Sample.start
        for i in 0..<n {
            t += 10
            let a = 0x7f00_0000_0000 + UInt64(i % 1000) << 21
            w.call(Call(time: t, tid: UInt32(i % 3), stack: 0,
                        kind: i % 2 == 0 ? .madvise(address: a, length: 1 << 21, advice: 4, posix: false)
                                         : .munmap(address: a, length: 4096)))
        }
        // A single record larger than the 1 MiB buffer: a MAP with 400k runs.
        let runs = (0..<400_000).map { SnapshotRun(start: UInt64($0) * 2, count: 1) }
        w.snapshot(Snapshot(time: t + 1, seq: 1, reason: .periodic, vmPTEKiB: 1, vmRSSKiB: 2,
                            vmPTEKiBAfter: 1, vmRSSKiBAfter: 2,
                            mappings: [SnapshotMapping(start: 0x1000_0000_0000, end: 0x1000_0000_0000 + (1 << 32),
                                                       perms: 3, offset: 0, path: nil, runs: runs)]))
        w.trailer(Trailer(time: t + 2, recordsWritten: UInt64(n), recordsDropped: 0, exitReason: .atexit,
                          exitStatus: 0))
        XCTAssertGreaterThan(w.bytes.count, 3 << 20)
        let path = Sample.write(w.bytes, "big.ptr")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var r = try TraceReader(path: path)
        var summary = TraceSummary()
        summary.add(.header(r.header))
        var i = 1
        while let rec = try r.next() {
            XCTAssertEqual(rec, w.expected[i].record)
            summary.add(rec)
            i += 1
        }
        XCTAssertEqual(i, w.expected.count)
        XCTAssertFalse(r.truncated)
        XCTAssertEqual(summary.calls.madvise, UInt64(n / 2))
        XCTAssertEqual(summary.calls.munmap, UInt64(n / 2))
    }

    func testSummaryOfEveryRecord() throws {
        let w = Sample.everyRecord()
        var r = try TraceReader(path: Sample.write(w.bytes, "summary.ptr"))
        var s = TraceSummary()
        s.add(.header(r.header))
        while let rec = try r.next() { s.add(rec) }
        s.truncated = r.truncated
        XCTAssertEqual(s.calls.mmap, 3)
        XCTAssertEqual(s.mmap64Calls, 1)
        XCTAssertEqual(s.calls.munmap, 4)
        XCTAssertEqual(s.calls.mremap, 2)
        XCTAssertEqual(s.calls.madvise, 6)  // 3 madvise + posix_madvise + 2 process_madvise
        XCTAssertEqual(s.calls.mprotect, 2) // mprotect + pkey_mprotect
        XCTAssertEqual(s.calls.brk, 1)
        XCTAssertEqual(s.calls.sbrk, 3)
        XCTAssertEqual(s.failedCalls, 7)
        XCTAssertEqual(s.droppedEvents, 5)  // trailer 2 + LOST 3
        XCTAssertEqual(s.pid, 4242)
        XCTAssertEqual(s.command, ["prog", "--flag", "x"])
        XCTAssertEqual(s.kernel, "6.18.0-test")
        XCTAssertEqual(s.pageSize, 4096)
        // 2 stacks + module + snapshot + 21 calls + fork + exec + exec_failed + lost
        XCTAssertEqual(s.events, 29)
        XCTAssertEqual(s.durationSeconds, Double(26 * 1500) / 1e9, accuracy: 1e-12)
        XCTAssertFalse(s.truncated)
    }

    /// PTE_DIFF and BITMAP blocks: random populations of a few blocks, over calls whose ranges forget and
    /// re-list them, written with diffs (TraceWriter keeps the header's rule on its own) and
    /// with plain runs must read back as the same records.
    func testResidencyDiffsRoundTrip() throws {
        var rng = SplitMix(seed: 7)
        var calls: [Call] = []
        var t = Sample.start
        for _ in 0..<400 {
            t += 1000
            let first = UInt64(0x3f8000 + Int.random(in: 0..<6, using: &rng))
            let count = UInt64(Int.random(in: 1...3, using: &rng))
            var listed: [BlockPopulation] = []
            for b in first..<(first + count) where Bool.random(using: &rng) {
                if Int.random(in: 0..<8, using: &rng) == 0 { listed.append(BlockPopulation(block: b, kind: .huge)); continue }
                var runs: [PageRun] = []
                var p = UInt32.random(in: 0..<64, using: &rng)
                while p < 512 {
                    let n = min(UInt32.random(in: 1...40, using: &rng), 512 - p)
                    runs.append(PageRun(start: p, count: n))
                    p += n + UInt32.random(in: 1...60, using: &rng)
                }
                listed.append(BlockPopulation(block: b, kind: .pte(runs: runs)))
            }
            calls.append(Call(time: t, tid: 1, stack: 0, kind: .munmap(address: first << 21, length: count << 21),
                              residency: Residency(firstBlock: first, blockCount: count, listed: listed)))
        }
        for (diffs, bitmapRuns) in [(true, Int.max), (false, Int.max), (false, 8), (true, 8)] {
            var w = TraceWriter(header: TraceWriter.standardHeader())
            w.useDiffs = diffs
            w.bitmapRuns = bitmapRuns
            for c in calls { w.call(c) }
            let got = Sample.readAll(Sample.write(w.bytes, "diffs.ptr"))
            XCTAssertNil(got.error)
            let read = got.records.compactMap { r -> Call? in if case .call(let c) = r { return c } else { return nil } }
            XCTAssertEqual(read, calls, "diffs: \(diffs), bitmaps from \(bitmapRuns) runs")
        }
    }

    func testResidencyDiffWithoutPreviousPopulationIsCorrupt() {
        var w = TraceWriter(header: TraceWriter.standardHeader())
        w.tag(17, flags: 0x40) /* MUNMAP | RESIDENCY */; w.uv(5); w.sv(0); w.addr(0x7f00_0000_0000); w.len(4096)
        w.sv(0); w.uv(1); w.uv(1)
        w.uv(2 /* gap 0, PTE_DIFF */); w.uv(1); w.uv(0); w.uv(1)
        let got = Sample.readAll(Sample.write(w.bytes, "diff0.ptr"))
        XCTAssertTrue(got.error?.message.contains("no earlier population") ?? false, "\(String(describing: got.error))")
    }
}

/// Record tags for hand-built corrupt inputs.
enum PTRTags {
    static let snapshot: UInt32 = 6
    static let map: UInt32 = 7
    static let snapshotEnd: UInt32 = 8
    static let lost: UInt32 = 12
    static let module: UInt32 = 4
    static let header: UInt32 = 1
}
