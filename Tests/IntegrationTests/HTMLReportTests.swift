// `report --format html` rendered by a real browser (Debian's chromium-headless-shell, which
// `make test` installs): the page is not blank, the timeline has the four policy lines and the
// kernel's observed points as the browser drew them, and their colours are on the screenshot.
import Foundation
import XCTest

final class HTMLReportTests: XCTestCase {
    static let chromium = "/usr/bin/chromium-headless-shell"
    static let colors = ["none": "d62728", "pt-reclaim": "1f77b4", "refcount": "2ca02c", "ideal": "9467bd"]

    func testHTMLReportRendersInChromium() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.chromium) else {
            throw XCTSkip("\(Self.chromium) not installed (make test installs chromium-headless-shell)")
        }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let dir = try makeScratchDir(self, "html")
        let html = dir + "/report.html", png = dir + "/report.png"
        let r = try runProcess([try Artifacts.cli(), "report", "--format", "html", "-o", html,
                                root.path + "/traces/redis-flushall.ptr"], timeout: 120, outDir: dir)
        XCTAssertTrue(r.succeeded, r.summary)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssertFalse(page.contains("http://") && page.contains("<script src"), "no external script")
        XCTAssertFalse(page.contains("<link"), "no external style sheet")

        let browser = [Self.chromium, "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                       "--user-data-dir=" + dir + "/chromium"]
        let dom = try runProcess(browser + ["--dump-dom", "file://" + html], timeout: 90, outDir: dir)
        XCTAssertTrue(dom.succeeded, dom.summary)
        // The page's script measured each series as the browser laid it out.
        let check = try XCTUnwrap(dom.stdout.components(separatedBy: "rendered: ").dropFirst().first?
            .components(separatedBy: "<").first, "render check in the DOM")
        var drawn: [String: Int] = [:]
        for kv in check.split(separator: " ") {
            let p = kv.split(separator: "=")
            if p.count == 2 { drawn[String(p[0])] = Int(p[1]) }
        }
        for s in ["none", "pt-reclaim", "refcount", "ideal"] {
            XCTAssertGreaterThan(drawn[s] ?? 0, 100, "\(s) line drawn (\(check))")
        }
        // As many as the trace has snapshots (the shipped trace is re-recorded from time to time).
        let observed = try XCTUnwrap(try reportJSON(root.path + "/traces/redis-flushall.ptr")["observed"] as? [String: Any])
        XCTAssertEqual(drawn["observed"], jsonInt(observed["samples"]), "one observed point per snapshot (\(check))")

        let shot = try runProcess(browser + ["--window-size=1000,700", "--screenshot=" + png, "file://" + html],
                                  timeout: 90, outDir: dir)
        XCTAssertTrue(shot.succeeded, shot.summary)
        let py = try runProcess(["/usr/bin/python3", root.path + "/Tests/scripts/png_colors.py", png]
                                + Self.colors.values.sorted(), timeout: 60, outDir: dir)
        XCTAssertTrue(py.succeeded, py.summary)
        let stats = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(py.stdout.utf8)) as? [String: Any])
        XCTAssertGreaterThan((stats["nonwhite_share"] as? Double) ?? 0, 0.02, "the screenshot is not blank: \(stats)")
        let counts = try XCTUnwrap(stats["colors"] as? [String: Int])
        // refcount and ideal coincide on this trace and are drawn on top of each other: the
        // lines drawn last (thinner) stay visible, so every colour shows somewhere.
        for (policy, hex) in Self.colors {
            XCTAssertGreaterThan(counts[hex] ?? 0, 50, "\(policy) colour on the screenshot: \(stats)")
        }
        if ProcessInfo.processInfo.environment["PTRECLAIM_KEEP_TRACES"] == "1" { print("screenshot: \(png)") }
    }
}
