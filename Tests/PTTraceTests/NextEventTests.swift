// TraceReader.nextEvent (calls with their residency read in place) and next(), its owning form,
// must agree on clean, truncated, corrupt and multi-refill traces; the residency view's blocks,
// runs (stored or derived from the words) and words must match the records written.
import XCTest
import PTTrace

final class NextEventTests: XCTestCase {
    /// readAll through nextEvent: each `.call` gets its residency view copied into the Call.
    static func readAllEvents(_ path: String) -> (records: [TraceRecord], truncated: Bool, error: TraceError?) {
        var out: [TraceRecord] = []
        do {
            var r = try TraceReader(path: path)
            out.append(.header(r.header))
            while let event = try r.nextEvent() {
                switch event {
                case .call:
                    XCTAssertNil(r.call.residency)
                    var c = r.call
                    c.residency = r.callResidency?.residency
                    out.append(.call(c))
                case .record(let rec):
                    out.append(rec)
                }
            }
            return (out, r.truncated, nil)
        } catch let e as TraceError {
            return (out, false, e)
        } catch {
            fatalError("reader threw a non-TraceError: \(error)")
        }
    }

    func assertSame(_ path: String, file: StaticString = #filePath, line: UInt = #line) {
        let a = Sample.readAll(path), b = NextEventTests.readAllEvents(path)
        XCTAssertEqual(a.records, b.records, file: file, line: line)
        XCTAssertEqual(a.truncated, b.truncated, file: file, line: line)
        XCTAssertEqual(a.error, b.error, file: file, line: line)
    }

    func testEveryRecordType() {
        let w = Sample.everyRecord()
        let path = Sample.write(w.bytes, "events.ptr")
        assertSame(path)
        let got = NextEventTests.readAllEvents(path)
        XCTAssertEqual(got.records, w.expected.map(\.record))
        // Walking the view's iterators gives the residency next() yields, block by block.
        var slow = try! TraceReader(path: path), fast = try! TraceReader(path: path)
        var seen = 0
        while let e = try! fast.nextEvent() {
            let owned = try! slow.next()
            guard case .call = e, let v = fast.callResidency else { continue }
            guard case .call(let c)? = owned, let want = c.residency else { return XCTFail("residency expected") }
            seen += 1
            XCTAssertEqual(v.firstBlock, want.firstBlock)
            XCTAssertEqual(v.blockCount, want.blockCount)
            XCTAssertEqual(v.listedCount, want.listed.count)
            var blocks = v.blocks
            for w in want.listed {
                guard let got = blocks.next() else { return XCTFail("block \(w.block) missing") }
                XCTAssertEqual(got.block, w.block)
                switch w.kind {
                case .huge:
                    XCTAssertTrue(got.huge)
                    XCTAssertEqual(got.runCount, 0)
                case .pte(let runs):
                    XCTAssertFalse(got.huge)
                    XCTAssertEqual(got.runCount, runs.count)
                    var it = got.runs
                    for r in runs { XCTAssertEqual(it.next(), r) }
                    XCTAssertNil(it.next())
                }
            }
            XCTAssertNil(blocks.next())
        }
        XCTAssertGreaterThanOrEqual(seen, 2, "the sample has calls with residency")
    }

    func testTruncationAtEveryByte() {
        let w = Sample.everyRecord()
        for cut in 12..<w.bytes.count { assertSame(Sample.write(Array(w.bytes[..<cut]), "ecut.ptr")) }
    }

    func testBitFlips() {
        let w = Sample.everyRecord()
        for i in 0..<w.bytes.count {
            for bit in [0, 7] {
                var b = w.bytes
                b[i] ^= UInt8(1 << bit)
                assertSame(Sample.write(b, "eflip.ptr"))
            }
        }
    }

    func testAcrossBufferRefills() {
        // Calls with residency straddling the 1 MiB buffer's refills.
        var w = TraceWriter(header: TraceWriter.standardHeader())
        var t = Sample.start
        for i in 0..<120_000 {
            t += 10
            let b = UInt64(0x7f00_0000_0000 >> 21) + UInt64(i % 700)
            let runs = (0..<(i % 9 + 1)).map { PageRun(start: UInt32($0 * 40), count: UInt32(i % 30 + 1)) }
            let res = Residency(firstBlock: b, blockCount: 3, listed: [
                BlockPopulation(block: b, kind: .pte(runs: runs)),
                BlockPopulation(block: b + 2, kind: i % 5 == 0 ? .huge : .pte(runs: [PageRun(start: 511, count: 1)]))])
            w.call(Call(time: t, tid: 1, stack: 0,
                        kind: .madvise(address: b << 21, length: 6 << 20, advice: 4, posix: false),
                        residency: i % 4 == 3 ? nil : res))
        }
        w.trailer(Trailer(time: t + 1, recordsWritten: 0, recordsDropped: 0, exitReason: .atexit, exitStatus: 0))
        XCTAssertGreaterThan(w.bytes.count, 2 << 20)
        let path = Sample.write(w.bytes, "erefill.ptr")
        defer { try? FileManager.default.removeItem(atPath: path) }
        assertSame(path)
        XCTAssertEqual(NextEventTests.readAllEvents(path).records, w.expected.map(\.record))
    }
}
