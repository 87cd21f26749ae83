// The recorder's witness residency (docs/residency.md): a release call lists one populated
// page per block instead of all of them. release_positions releases at each position in a
// block (covering, head, tail, middle, spanning two blocks), with the rest of the blocks
// populated or empty, by MADV_DONTNEED and by munmap; recorded with witnesses, with full
// residency (PTRECLAIM_RESIDENCY_FULL=1) and through the pre-6.7 path (PTRECLAIM_PAGEMAP_SCAN=0),
// the model must give the same answer, and agree with the kernel at every snapshot.
import Foundation
import XCTest

final class ReleaseResidencyTests: XCTestCase {
    /// The model's PTE-page answers per policy: pages freed and allocated again, and the final
    /// PTE pages relative to `none` (what the policy saves). Absolute pages, bytes and PMD/PUD
    /// pages follow each run's own layout (where mmap placed the regions, the recorder's
    /// buffers), not the residency.
    private func answers(_ json: [String: Any]) throws -> [String: [String: Int64]] {
        let policies = try XCTUnwrap(json["policies"] as? [String: Any], "JSON policies")
        func field(_ p: String, _ k: String) throws -> Int64 {
            let v = try XCTUnwrap(policies[p] as? [String: Any], "JSON policies.\(p)")
            return Int64(try XCTUnwrap(jsonInt(v[k]), "JSON policies.\(p).\(k)"))
        }
        var out: [String: [String: Int64]] = [:]
        for p in ["none", "pt-reclaim", "refcount", "ideal"] {
            out[p] = ["pte_pages_freed": try field(p, "pte_pages_freed"),
                      "pte_pages_reallocated": try field(p, "pte_pages_reallocated"),
                      "pte_pages_final_below_none": try field("none", "pte_pages_final") - field(p, "pte_pages_final")]
        }
        return out
    }

    func testWitnessResidencyGivesTheModelsAnswer() throws {
        let dir = try makeScratchDir(self, "release-positions")
        let modes: [(String, [String: String])] = [
            ("witness", [:]),
            ("full", ["PTRECLAIM_RESIDENCY_FULL": "1"]),
            ("pread-witness", ["PTRECLAIM_PAGEMAP_SCAN": "0"]),
        ]
        var results: [String: [String: [String: Int64]]] = [:]
        var listedPages: [String: Int] = [:]
        for (mode, env) in modes {
            let rec = try record("release_positions", dir: dir, name: "\(mode).ptr", extraEnv: env)
            XCTAssertTrue(rec.run.succeeded, "release_positions (\(mode)): \(rec.run.summary)")
            let out = try XCTUnwrap(try rec.run.lastJSON()["releases"] as? [String: Any])
            XCTAssertEqual(out.count, 20, "20 releases")
            // The kernel (pt-reclaim) frees a PTE page only for the covered block.
            for (name, v) in out {
                let delta = jsonInt((v as? [String: Any])?["vmpte_delta_kb"])
                XCTAssertEqual(delta, name.contains("covering") ? -4 : 0, "kernel VmPTE change in \(name) (\(mode))")
            }
            try checkTrace(rec.trace, requireModel: true)
            results[mode] = try answers(try reportJSON(rec.trace))
            listedPages[mode] = try residencyPages(rec.trace)
        }
        XCTAssertEqual(results["witness"], results["full"], "the model's answers with witnesses and with full residency")
        XCTAssertEqual(results["pread-witness"], results["full"], "the model's answers through the pre-6.7 path")
        // The witnesses really are fewer: every release in a populated block lists one page.
        XCTAssertLessThan(listedPages["witness"] ?? .max, (listedPages["full"] ?? 0) / 10,
                          "pages listed with witnesses vs full residency")
        XCTAssertLessThan(listedPages["pread-witness"] ?? .max, (listedPages["full"] ?? 0) / 10,
                          "pages listed with witnesses through pread vs full residency")
    }

    /// Pages listed in the residency blocks, summed over the trace (from `ptreclaim dump`'s
    /// "listed (a+b pages)" notes).
    private func residencyPages(_ trace: String) throws -> Int {
        let cli = try Artifacts.cli()
        let dir = (trace as NSString).deletingLastPathComponent
        let dump = try runProcess([cli, "dump", trace], timeout: 120, outDir: dir)
        XCTAssertTrue(dump.succeeded, "dump \(trace): \(dump.summary)")
        var total = 0
        for line in dump.stdout.split(separator: "\n") {
            guard let open = line.range(of: "listed ("), let close = line[open.upperBound...].range(of: " page") else { continue }
            for n in line[open.upperBound..<close.lowerBound].split(separator: "+") { total += Int(n) ?? 0 }
        }
        return total
    }
}
