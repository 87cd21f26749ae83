// Where the integration tests find what the Makefile built: $PTRECLAIM_BUILD_DIR (set by
// `make test`) or, when unset, <package root>/build derived from this file's path.
// A missing artifact is a test FAILURE with a message saying what to build — never a skip.
import Foundation
import XCTest

struct MissingArtifact: Error, CustomStringConvertible {
    let path: String
    let hint: String
    var description: String { "missing \(path) — \(hint)" }
}

enum Artifacts {
    static var buildDir: String {
        if let dir = ProcessInfo.processInfo.environment["PTRECLAIM_BUILD_DIR"], !dir.isEmpty {
            return dir
        }
        // #filePath = <root>/Tests/IntegrationTests/Support/Artifacts.swift
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("build").path
    }

    static func require(_ path: String, hint: String) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: path)
            || (path.hasSuffix(".so") && FileManager.default.fileExists(atPath: path))
        else { throw MissingArtifact(path: path, hint: hint) }
        return path
    }

    /// build/ptreclaim, the command-line tool.
    static func cli() throws -> String {
        try require(buildDir + "/ptreclaim", hint: "run `make cli`")
    }

    /// build/libptreclaim.so, the recorder.
    static func recorder() throws -> String {
        try require(buildDir + "/libptreclaim.so", hint: "run `make recorder`")
    }

    /// build/programs/NAME, a test program from Tests/programs/NAME.c.
    static func program(_ name: String) throws -> String {
        try require(buildDir + "/programs/" + name, hint: "run `make programs`")
    }

    /// A Debian-packaged shared library (the allocators): installed by `make deps`.
    static func systemLibrary(_ name: String) throws -> String {
        let path = "/usr/lib/x86_64-linux-gnu/" + name
        guard FileManager.default.fileExists(atPath: path) else {
            throw MissingArtifact(path: path, hint: "run `make deps` (installs the allocator packages)")
        }
        return path
    }

    /// A tool on PATH (strace, readelf): installed by `make deps`.
    static func tool(_ name: String) throws -> String {
        for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
            let p = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw MissingArtifact(path: name, hint: "run `make deps`")
    }
}

/// A fresh directory for one test's traces, removed when the test ends (unless
/// PTRECLAIM_KEEP_TRACES=1).
func makeScratchDir(_ test: XCTestCase, _ name: String) throws -> String {
    var template = Array("/tmp/ptreclaim-itest-\(name)-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else {
        throw NSError(domain: "itest", code: 1, userInfo: [NSLocalizedDescriptionKey: "mkdtemp failed"])
    }
    let dir = String(cString: p)
    // PTRECLAIM_KEEP_TRACES=1 keeps every test's traces for inspection.
    if ProcessInfo.processInfo.environment["PTRECLAIM_KEEP_TRACES"] == "1" { return dir }
    test.addTeardownBlock {
        try? FileManager.default.removeItem(atPath: dir)
    }
    return dir
}

/// Every file in `dir` whose name starts with `prefix` (a trace and its children's traces).
func traceFiles(in dir: String, prefix: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return names.filter { $0.hasPrefix(prefix) }.sorted().map { dir + "/" + $0 }
}
