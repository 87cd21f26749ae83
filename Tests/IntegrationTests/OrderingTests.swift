// ordering: 8 threads racing mmap/munmap over the same ranges. Replaying the recorded calls in
// file order, no successful mmap may return pages that an earlier recorded mmap still holds
// (no intervening recorded munmap): that order is impossible for the kernel.
import Foundation
import PTTrace
import XCTest

final class OrderingTests: XCTestCase {
    func testRecordedOrderIsConsistentWithTheKernel() throws {
        let dir = try makeScratchDir(self, "order")
        let rec = try record("ordering", dir: dir)
        XCTAssertTrue(rec.run.succeeded, "ordering under record: \(rec.run.summary)")
        let out = try rec.run.lastJSON()
        try checkTrace(rec.trace)
        let facts = try TraceFacts.read(rec.trace, keepCalls: true)

        var live = Set<UInt64>() // pages held by recorded, not yet unmapped, mappings
        var mmapOK = 0, mmapFailed = 0, munmaps = 0, conflicts = 0
        var firstConflict = ""
        let mapFixed: UInt32 = 0x10, mapFixedNoReplace: UInt32 = 0x100000
        for (i, call) in facts.callList.enumerated() {
            switch call.kind {
            case .mmap(_, let len, _, let flags, _, _, _, let result):
                if call.failed { mmapFailed += 1; continue }
                mmapOK += 1
                let pages = (result >> 12)..<((result + len + 4095) >> 12)
                let replaces = flags & mapFixed != 0 && flags & mapFixedNoReplace == 0
                if !replaces, let clash = pages.first(where: { live.contains($0) }) {
                    conflicts += 1
                    if firstConflict.isEmpty {
                        firstConflict = "call #\(i) tid \(call.tid): mmap returned 0x\(String(result, radix: 16)) "
                            + "len \(len), page 0x\(String(clash << 12, radix: 16)) still mapped"
                    }
                }
                live.formUnion(pages)
            case .munmap(let addr, let len):
                munmaps += 1
                if call.failed { continue }
                live.subtract((addr >> 12)..<((addr + len + 4095) >> 12))
            default:
                continue
            }
        }
        XCTAssertEqual(mmapOK, jsonInt(out["mmap_ok"]), "successful mmap calls recorded")
        XCTAssertEqual(mmapFailed, jsonInt(out["mmap_failed"]), "failed (EEXIST) mmap calls recorded")
        XCTAssertEqual(munmaps, jsonInt(out["munmap"]), "munmap calls recorded")
        XCTAssertEqual(conflicts, 0, "recorded order contradicts the kernel: \(firstConflict)")
        XCTAssertEqual(facts.lost, 0)
    }
}
