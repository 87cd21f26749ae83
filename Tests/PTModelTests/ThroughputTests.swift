// Replay speed on a synthetic call sequence (reported, not asserted: timing targets belong in
// benchmarks). Records are reused from a small cycle so the measurement is the model's cost.
import Foundation
import PTModel
import PTTrace
import XCTest

final class ThroughputTests: XCTestCase {
    func testReplaySpeedReport() {
        // 1 GiB mapping; calls cycle through its 512 blocks: touch-and-DONTNEED 2 MiB (with
        // residency), 64 KiB DONTNEED, MADV_FREE, mprotect.
        let base: UInt64 = 0x7e00_0020_0000
        var cycle: [TraceRecord] = []
        for b in 0..<UInt64(512) {
            let a = base + b * 2 * MiB
            let full = Residency(firstBlock: a >> 21, blockCount: 1,
                                 listed: [BlockPopulation(block: a >> 21, kind: .pte(runs: [PageRun(start: 0, count: 512)]))])
            cycle.append(.call(Call(time: 0, tid: 1, stack: 1,
                                    kind: .madvise(address: a, length: 2 * MiB, advice: 4, posix: false),
                                    residency: full)))
            let part = Residency(firstBlock: a >> 21, blockCount: 1,
                                 listed: [BlockPopulation(block: a >> 21, kind: .pte(runs: [PageRun(start: 16, count: 64)]))])
            cycle.append(.call(Call(time: 0, tid: 1, stack: 2,
                                    kind: .madvise(address: a + 64 * KiB, length: 64 * KiB, advice: 4, posix: false),
                                    residency: part)))
            cycle.append(.call(Call(time: 0, tid: 1, stack: 3,
                                    kind: .madvise(address: a, length: 1 * MiB, advice: 8, posix: false))))
            cycle.append(.call(Call(time: 0, tid: 1, stack: 4,
                                    kind: .mprotect(address: a, length: 2 * MiB, prot: 3, pkey: -1))))
        }
        var r = Replayer()
        r.consume(.header(TraceHeader(fields: [("kernel_policy", "pt-reclaim")])))
        r.consume(.call(Call(time: 1, tid: 1, stack: 1,
                             kind: .mmap(hint: 0, length: 1 * GiB, prot: 3, flags: 0x22, fd: -1, offset: 0,
                                         is64: false, result: base))))
        let rounds = 1500
        let start = Date()
        for _ in 0..<rounds { for rec in cycle { r.consume(rec) } }
        let seconds = Date().timeIntervalSince(start)
        let events = Double(rounds * cycle.count)
        let res = r.finish()
        print(String(format: "replay speed: %.0f events in %.3f s = %.2f million events/s",
                     events, seconds, events / seconds / 1e6))
        XCTAssertEqual(res.pte(.none), 512)
        XCTAssertEqual(res.callSites.reduce(0) { $0 + $1.calls }, UInt64(events) + 1)
    }
}
