// Prints decoding throughput on a synthetic trace of allocator-like calls. It asserts the
// decoded count only: timing targets belong in `make bench`.
import Foundation
import TestSupport
import XCTest
import PTTrace

final class DecodeSpeedTests: XCTestCase {
    func testDecodeThroughput() throws {
        var w = TraceWriter(header: TraceWriter.standardHeader())
        let n = 3_000_000
        var t = Sample.start
        var rng = SplitMix(seed: 7)
        for i in 0..<n {
            t += 200 + rng.next() % 3000
            let a = 0x7f00_0000_0000 + (rng.next() % 4096) << 21 + (rng.next() % 512) << 12
            let kind: CallKind
            switch i % 4 {
            case 0: kind = .mmap(hint: 0, length: 1 << 21, prot: 3, flags: 0x22, fd: -1, offset: 0, is64: false, result: a)
            case 1, 2: kind = .madvise(address: a, length: 65536, advice: 4, posix: false)
            default: kind = .munmap(address: a, length: 1 << 21)
            }
            w.call(Call(time: t, tid: UInt32(1 + i % 2 * (i % 7 == 0 ? 1 : 0)), stack: 0, kind: kind))
        }
        let path = Sample.write(w.bytes, "speed.ptr")
        let size = w.bytes.count
        w = TraceWriter(header: [])  // free the encoder's copy
        var best = 0.0
        for _ in 0..<3 {
            let t0 = Date()
            var r = try TraceReader(path: path)
            var calls = 0
            while let rec = try r.next() { if case .call = rec { calls += 1 } }
            let dt = Date().timeIntervalSince(t0)
            XCTAssertEqual(calls, n)
            best = max(best, Double(n) / dt)
        }
        print(String(format: "decode: %.1f M call records/s, %.0f MB/s (%d records, %.1f bytes/record)",
                     best / 1e6, best * Double(size) / Double(n) / 1e6, n, Double(size) / Double(n)))
        if ProcessInfo.processInfo.environment["PTTRACE_KEEP_SPEED_TRACE"] == nil { try? FileManager.default.removeItem(atPath: path) }
    }
}
