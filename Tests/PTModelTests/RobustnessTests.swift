// Whatever a damaged trace decodes to, the model must not trap or hang: random calls with
// extreme addresses and lengths, residency blocks out of range, snapshots out of order.
import PTModel
import PTTrace
import TestSupport
import XCTest

final class RobustnessTests: XCTestCase {
    func testRandomRecordsNeverTrap() {
        var rng = SplitMix(seed: 7)
        func any(_ rng: inout SplitMix) -> UInt64 {
            switch UInt64.random(in: 0..<6, using: &rng) {
            case 0: return 0
            case 1: return UInt64.max - UInt64.random(in: 0..<(1 << 22), using: &rng)
            case 2: return UInt64.random(in: 0...UInt64.max, using: &rng)
            case 3: return UInt64.random(in: 0..<(1 << 47), using: &rng)
            default: return R + UInt64.random(in: 0..<(64 * MiB), using: &rng)
            }
        }
        var r = Replayer(options: ReplayOptions(lazyfree: .discard))
        r.consume(.header(TraceHeader(fields: [("kernel_policy", "pt-reclaim")])))
        for i in 0..<6_000 {
            let a = any(&rng), l = any(&rng), t = UInt64(i) * 1000
            let residency = Residency(firstBlock: a >> 21, blockCount: any(&rng) >> 30,
                                      listed: [BlockPopulation(block: (a >> 21) &+ 1, kind: .pte(runs: [PageRun(start: UInt32.random(in: 0..<600, using: &rng), count: UInt32.random(in: 0..<600, using: &rng))])),
                                               BlockPopulation(block: a >> 21, kind: .huge)])
            let kind: CallKind
            switch i % 9 {
            case 0:
                // MAP_POPULATE of a huge range is bounded per call (256 GiB); keep it rare so
                // the test stays quick.
                var flags = UInt32(truncatingIfNeeded: any(&rng))
                if i % 3000 != 0 { flags &= ~0x8000 }
                kind = .mmap(hint: a, length: l >> UInt64.random(in: 0..<64, using: &rng), prot: 3,
                             flags: flags, fd: -1, offset: any(&rng), is64: false, result: a)
            case 1: kind = .munmap(address: a, length: l)
            case 2: kind = .mremap(oldAddress: a, oldLength: l, newLength: any(&rng), flags: UInt32(i % 8), newHint: 0, result: any(&rng))
            case 3:
                let advice = UInt32(i % 26)
                let populate = advice == 22 || advice == 23
                kind = .madvise(address: a, length: populate && i % 3000 >= 26 ? 0 : l, advice: advice, posix: false)
            case 4: kind = .mprotect(address: a, length: l, prot: UInt32(i % 8), pkey: -1)
            case 5: kind = .brk(requested: a, oldBreak: any(&rng), newBreak: a)
            case 6: kind = .sbrk(increment: Int64(bitPattern: l), newBreak: a, result: any(&rng))
            case 7: kind = .processMadvise(pidfd: 3, advice: 21, flags: 0, ranges: [AddressRange(address: a, length: l)], result: l)
            default: kind = .madvise(address: a, length: l, advice: 4, posix: false)
            }
            r.consume(.call(Call(time: t, tid: 1, stack: UInt32(i % 5), kind: kind,
                                 errno: i % 13 == 0 ? 12 : nil, residency: i % 3 == 0 ? residency : nil)))
            if i % 500 == 0 {
                let m1 = SnapshotMapping(start: a, end: a &+ (l >> 20), perms: 3, offset: 0, path: nil,
                                         runs: [SnapshotRun(start: 0, count: UInt64.random(in: 0..<4096, using: &rng), huge: i % 1000 == 0)])
                let m2 = SnapshotMapping(start: R, end: R + 8 * MiB, perms: 7, offset: 0, path: "[heap]",
                                         runs: [SnapshotRun(start: 100, count: 1 << 40)])
                r.consume(.snapshot(Snapshot(time: t, seq: UInt64(i), reason: .periodic, vmPTEKiB: any(&rng) >> 20,
                                             vmRSSKiB: 0, vmPTEKiBAfter: 0, vmRSSKiBAfter: 0, mappings: [m1, m2])))
            }
        }
        let res = r.finish()
        for p in Policy.allCases { XCTAssertNotNil(res.policies[p]) }
    }
}
