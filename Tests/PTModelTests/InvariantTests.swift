// ideal <= refcount <= pt-reclaim <= none, at every event of a randomized trace (seeded).
import PTModel
import PTTrace
import TestSupport
import XCTest

func randomTrace(seed: UInt64, events: Int) -> SimProcess {
    var rng = SplitMix(seed: seed)
    var s = SimProcess()
    let window = 3 * GiB
    func addr(_ rng: inout SplitMix) -> UInt64 { R + (UInt64.random(in: 0..<(window / page), using: &rng) * page) }
    func len(_ rng: inout SplitMix) -> UInt64 {
        let choices: [UInt64] = [page, 16 * KiB, 1 * MiB, 2 * MiB, 4 * MiB, 8 * MiB + 4 * KiB]
        return choices[Int.random(in: 0..<choices.count, using: &rng)]
    }
    for _ in 0..<events {
        let a = addr(&rng), l = len(&rng)
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<15: s.mmap(a, l * 4, flags: MAP_PRIVATE_ANON | MAP_FIXED)
        case 15..<40: s.touch(a, l)
        case 40..<60: s.madvise(a, l, MADV_DONTNEED)
        case 60..<67: s.madvise(a, l, MADV_FREE)
        case 67..<70: s.madvise(a, l, MADV_PAGEOUT)
        case 70..<78: s.munmap(a, l)
        case 78..<84: s.mprotect(a, l, Bool.random(using: &rng) ? PROT_READ : PROT_RW)
        case 84..<90:
            let to = addr(&rng) & ~(Bool.random(using: &rng) ? (2 * MiB - 1) : 0)
            if to + l <= a || a + l <= to {
                s.mremap(a & ~(2 * MiB - 1), l, l, flags: MREMAP_MAYMOVE | MREMAP_FIXED, to: to)
            }
        case 90..<95: s.snapshot()
        default: s.madvise(a, l, MADV_COLD)
        }
    }
    return s
}

final class InvariantTests: XCTestCase {
    func testPolicyOrderHoldsAtEveryEvent() {
        for seed in [UInt64(1), 2, 3, 42] {
            let trace = randomTrace(seed: seed, events: 3000)
            for mode in LazyfreeMode.allCases {
                var r = Replayer(options: ReplayOptions(lazyfree: mode))
                for (n, rec) in trace.records.enumerated() {
                    r.consume(rec)
                    let b = Policy.allCases.map { r.currentBytes($0) }
                    let p = Policy.allCases.map { r.currentPages($0).pte }
                    // allCases order: none, pt-reclaim, refcount, ideal
                    if !(b[3] <= b[2] && b[2] <= b[1] && b[1] <= b[0] && p[3] <= p[2] && p[2] <= p[1] && p[1] <= p[0]) {
                        XCTFail("seed \(seed) \(mode) event \(n): bytes \(b) pte \(p) after \(rec)")
                        return
                    }
                }
                let res = r.finish()
                XCTAssertGreaterThan(res.freed(.ptReclaim), 0, "seed \(seed): the trace exercises reclaim")
            }
        }
    }
}
