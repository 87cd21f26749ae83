// The recorder lists one witness page per block at a release call (format version 3,
// docs/residency.md). The model must give the same answer from witnesses as from the full
// population: a trace with full residency is replayed twice, once as recorded and once with
// each release call's residency cut down to the witness the recorder would write, and every
// figure must be equal — on the same trace, so nothing but the residency differs. The traces:
// fresh recordings with PTRECLAIM_RESIDENCY_FULL=1 of allocator_churn (glibc, jemalloc,
// tcmalloc, mimalloc) and policies_differ (MADV_FREE, mremap, MAP_FIXED, partial munmap), and
// the shipped traces (full where they are format version 2; PTR_WITNESS_TRACES=DIR adds a
// directory of traces, e.g. the version 2 traces of an older checkout).
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

    static func madvFreeRanges(_ kind: CallKind) -> [(UInt64, UInt64)] {
        switch kind {
        case let .madvise(a, l, advice, posix) where !posix && advice == 8: return [(a, l)]
        case let .processMadvise(_, advice, _, ranges, _) where advice == 8: return ranges.map { ($0.address, $0.length) }
        default: return []
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

    private func traces(in dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".ptr") }.sorted()
            .map { dir + "/" + $0 }
    }

    func testWitnessesGiveTheSameAnswerOnShippedTraces() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("traces").path
        var paths = try traces(in: root)
        XCTAssertGreaterThanOrEqual(paths.count, 5, "shipped traces found")
        if let extra = ProcessInfo.processInfo.environment["PTR_WITNESS_TRACES"] { paths += try traces(in: extra) }
        for path in paths { try compareWitnessCut(path) }
    }

    func testWitnessesGiveTheSameAnswerOnFullRecordings() throws {
        let dir = try makeScratchDir(self, "witness-cut")
        let full = ["PTRECLAIM_RESIDENCY_FULL": "1", "PTRECLAIM_PROBE": "0"]
        var runs: [(String, String, [String: String])] = [("policies_differ", "differ.ptr", [:]),
                                                          ("allocator_churn", "glibc.ptr", [:])]
        for (lib, name) in [("libjemalloc.so.2", "jemalloc"), ("libtcmalloc_minimal.so.4", "tcmalloc"),
                            ("libmimalloc.so.2", "mimalloc")] {
            runs.append(("allocator_churn", name + ".ptr", ["LD_PRELOAD": try Artifacts.systemLibrary(lib),
                                                            "MIMALLOC_DECOMMIT_DELAY": "0"]))
        }
        for (program, name, env) in runs {
            let rec = try record(program, dir: dir, name: name, extraEnv: env.merging(full) { a, _ in a }, timeout: 120)
            XCTAssertTrue(rec.run.succeeded, "\(program) (\(name)) under record: \(rec.run.summary)")
            // glibc's free() unmaps through its internal __munmap, which no hook sees.
            try compareWitnessCut(rec.trace, requireCut: name != "glibc.ptr")
        }
    }

    /// Replays `path` as recorded and with release residency cut to witnesses; every figure
    /// must be equal. `requireCut`: the trace must have release residency to cut.
    private func compareWitnessCut(_ path: String, requireCut: Bool = false) throws {
        for lazyfree in [LazyfreeMode.keep, .discard] {
            do {
                var reader = try TraceReader(path: path)
                var full = Replayer(options: ReplayOptions(lazyfree: lazyfree), header: reader.header)
                var witness = Replayer(options: ReplayOptions(lazyfree: lazyfree), header: reader.header)
                var lazyBlocks = Set<UInt64>(), lazyAll = false
                var cut = 0
                while let record = try reader.next() {
                    full.consume(record)
                    guard case var .call(call) = record else { witness.consume(record); continue }
                    // residency.c: a block the program called MADV_FREE on stays listed whole;
                    // past 2,048 such blocks every block does.
                    for (a, l) in WitnessResidencyTests.madvFreeRanges(call.kind) where l > 0 && !lazyAll {
                        let first = a >> 21, last = (a &+ l &- 1) >> 21
                        if last - first + 1 > UInt64(2048 - lazyBlocks.count) { lazyAll = true; break }
                        for b in first...last { lazyBlocks.insert(b) }
                    }
                    if !lazyAll, let r = call.residency, let (s, e) = WitnessResidencyTests.releaseRange(call.kind) {
                        var w = r
                        w.listed = r.listed.map { lazyBlocks.contains($0.block) ? $0 : WitnessResidencyTests.witness($0, s, e) }
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
                if requireCut { XCTAssertGreaterThan(cut, 0, "\(name): release residency blocks cut to witnesses") }
            }
        }
    }
}
