// The recorder lists one witness page per block at a release call (format version 3,
// docs/residency.md). The model must give the same answer from witnesses as from the full
// population: every shipped trace (full residency, version 2) is replayed twice, once as
// recorded and once with each release call's residency cut down to the witness the recorder
// would write, and every figure must be equal — on the same trace, so nothing but the
// residency differs.
import Foundation
import PTModel
import PTTrace
import XCTest

final class WitnessResidencyTests: XCTestCase {
    /// The range a release call's residency was read for (hooks_memory.c), nil for calls whose
    /// residency stays full (mremap, the other advices, process_madvise).
    static func releaseRange(_ kind: CallKind) -> (UInt64, UInt64)? {
        let mapFixed: UInt32 = 0x10, mapFixedNoReplace: UInt32 = 0x100000
        switch kind {
        case let .munmap(a, l): return (a, a &+ l)
        case let .mmap(hint, l, _, flags, _, _, _, _) where flags & (mapFixed | mapFixedNoReplace) != 0:
            return (hint, hint &+ l)
        case let .madvise(a, l, advice, posix) where !posix && (advice == 4 || advice == 24):
            return (a, a &+ l)
        case let .brk(requested, oldBreak, _) where requested < oldBreak: return (requested, oldBreak)
        case let .sbrk(inc, newBreak, result) where inc < 0: return (newBreak, result)
        default: return nil
        }
    }

    static func isMadvFree(_ kind: CallKind) -> Bool {
        switch kind {
        case let .madvise(_, _, advice, posix): return !posix && advice == 8
        case let .processMadvise(_, advice, _, _, _): return advice == 8
        default: return false
        }
    }

    /// residency.c's witness: the first populated page before the range in the block, else
    /// after it, else inside it (pages of the block; the range clipped to the block).
    static func witness(_ b: BlockPopulation, _ start: UInt64, _ end: UInt64) -> BlockPopulation {
        guard case let .pte(runs) = b.kind, !runs.isEmpty else { return b }
        let bs = b.block << 21
        let lo = UInt32(start <= bs ? 0 : min((start - bs) >> 12, 512))
        let hi = UInt32(end >= bs + (1 << 21) ? 512 : (end <= bs ? 0 : (end - bs + 4095) >> 12))
        func first(_ a: UInt32, _ z: UInt32) -> UInt32? {
            for r in runs where r.start + r.count > a && r.start < z { return max(r.start, a) }
            return nil
        }
        let p = first(0, lo) ?? first(hi, 512) ?? first(lo, hi) ?? runs[0].start
        return BlockPopulation(block: b.block, kind: .pte(runs: [PageRun(start: p, count: 1)]))
    }

    private func shippedTraces() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("traces")
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasSuffix(".ptr") }.sorted()
        return names.map { root.appendingPathComponent($0).path }
    }

    func testWitnessesGiveTheSameAnswerOnEveryShippedTrace() throws {
        let traces = try shippedTraces()
        XCTAssertGreaterThanOrEqual(traces.count, 5, "shipped traces found")
        for lazyfree in [LazyfreeMode.keep, .discard] {
            for path in traces {
                var reader = try TraceReader(path: path)
                var full = Replayer(options: ReplayOptions(lazyfree: lazyfree), header: reader.header)
                var witness = Replayer(options: ReplayOptions(lazyfree: lazyfree), header: reader.header)
                var lazySeen = false
                var cut = 0
                while let record = try reader.next() {
                    full.consume(record)
                    guard case var .call(call) = record else { witness.consume(record); continue }
                    if WitnessResidencyTests.isMadvFree(call.kind) { lazySeen = true }
                    if !lazySeen, let r = call.residency, let (s, e) = WitnessResidencyTests.releaseRange(call.kind) {
                        var w = r
                        w.listed = r.listed.map { WitnessResidencyTests.witness($0, s, e) }
                        if w != r { cut += 1 }
                        call.residency = w
                    }
                    witness.consume(.call(call))
                }
                let a = full.finish(), b = witness.finish()
                let name = (path as NSString).lastPathComponent
                XCTAssertEqual(a.policies, b.policies, "\(name) (\(lazyfree)): policy figures, \(cut) residency blocks cut to witnesses")
                XCTAssertEqual(a.validation, b.validation, "\(name) (\(lazyfree)): validation")
                XCTAssertEqual(a.callSites, b.callSites, "\(name) (\(lazyfree)): call sites")
                XCTAssertEqual(a.inferredZaps, b.inferredZaps, "\(name) (\(lazyfree)): inferred zaps")
                XCTAssertEqual(a.inferredLazyfreeDiscards, b.inferredLazyfreeDiscards, "\(name) (\(lazyfree)): inferred discards")
            }
        }
    }
}
