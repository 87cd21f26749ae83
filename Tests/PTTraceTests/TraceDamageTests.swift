// Damage that leaves every record decodable (issue 7, item 19): data after the trailer, two
// traces joined, records cut out on record boundaries. The reader yields the records as before
// and sets `damage` with the byte offset; zero padding after the trailer stays clean.
import Foundation
import XCTest
import PTTrace
import TestSupport

final class TraceDamageTests: XCTestCase {
    /// Reads `path` to the end; returns the reader.
    func readToEnd(_ path: String) throws -> TraceReader {
        var r = try TraceReader(path: path)
        while try r.next() != nil {}
        return r
    }

    func testSoundTraceHasNoDamage() throws {
        let w = Sample.everyRecord()
        for pad in [0, 7, 70_000] {
            let r = try readToEnd(Sample.write(w.bytes + [UInt8](repeating: 0, count: pad), "sound.ptr"))
            XCTAssertNil(r.damage, "zero padding of \(pad) bytes after the trailer is allowed")
            XCTAssertFalse(r.truncated)
            XCTAssertEqual(r.recordsRead, w.records)
        }
    }

    func testRandomBytesAfterTheTrailer() throws {
        let w = Sample.everyRecord()
        var rng = SplitMix(seed: 7)
        var junk = (0..<5000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        junk[0] = 0; junk[1] = 0; junk[2] = 0x41  // damage starts at the first non-zero byte
        let got = Sample.readAll(Sample.write(w.bytes + junk, "junk.ptr"))
        XCTAssertNil(got.error)
        XCTAssertEqual(got.records, w.expected.map(\.record), "every record is still read")
        let r = try readToEnd(Sample.tempPath("junk.ptr"))
        let d = try XCTUnwrap(r.damage, "5000 bytes after the trailer are damage")
        XCTAssertEqual(d.offset, UInt64(w.bytes.count + 2))
        XCTAssertEqual(d.message, "4998 bytes of data after the trailer")
        XCTAssertFalse(r.truncated)
    }

    func testTwoTracesJoined() throws {
        let w = Sample.everyRecord()
        let r = try readToEnd(Sample.write(w.bytes + w.bytes, "joined.ptr"))
        let d = try XCTUnwrap(r.damage)
        XCTAssertEqual(d.offset, UInt64(w.bytes.count))
        XCTAssertEqual(d.message, "another trace starts after this one's trailer (files joined)")
        XCTAssertEqual(d.description, "\(Sample.tempPath("joined.ptr")): byte \(w.bytes.count): \(d.message)")
    }

    /// 1,000 calls with one thread: cutting whole records out still decodes, so only the
    /// trailer's count can tell.
    func testRecordsCutOutOnRecordBoundaries() throws {
        var w = TraceWriter(header: TraceWriter.standardHeader())
        var t = Sample.start
        for i in 0..<1000 {
            t += 10
            w.call(Call(time: t, tid: 7, stack: 0, kind: .munmap(address: 0x7f00_0000_0000 + UInt64(i) << 12, length: 4096)))
        }
        w.trailer(Trailer(time: t + 1, recordsWritten: w.records, recordsDropped: 0, exitReason: .atexit, exitStatus: 0))
        let sound = try readToEnd(Sample.write(w.bytes, "whole.ptr"))
        XCTAssertNil(sound.damage)
        // Cut records 400..<508 (108 calls) on their boundaries.
        let from = w.expected[400].end, to = w.expected[508].end
        let cut = Array(w.bytes[..<from] + w.bytes[to...])
        let got = Sample.readAll(Sample.write(cut, "cut.ptr"))
        XCTAssertNil(got.error, "the cut trace decodes")
        XCTAssertEqual(got.records.count, w.expected.count - 108)
        let r = try readToEnd(Sample.tempPath("cut.ptr"))
        let d = try XCTUnwrap(r.damage, "108 calls missing is damage")
        XCTAssertEqual(d.offset, UInt64(cut.count - (w.bytes.count - w.expected[w.expected.count - 2].end)))
        XCTAssertEqual(d.message, "the trailer counts \(w.records) records but \(w.records - 108) were read: records before it are missing or damaged")
        XCTAssertFalse(r.truncated)
    }

    /// nextEvent (the replay's lane) counts records exactly as next() does.
    func testNextEventCountsRecordsToo() throws {
        let w = Sample.everyRecord()
        var r = try TraceReader(path: Sample.write(w.bytes, "events.ptr"))
        while try r.nextEvent() != nil {}
        XCTAssertEqual(r.recordsRead, w.records)
        XCTAssertNil(r.damage)
    }
}
