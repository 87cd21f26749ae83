// swift-tools-version:6.0
import PackageDescription

// The recorder (Sources/recorder, C) is NOT a SwiftPM target: the Makefile builds it with cc so
// that libptreclaim.so links only libc, libdl/libpthread and libunwind, never the Swift runtime.
let package = Package(
    name: "ptreclaim",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ptreclaim", targets: ["ptreclaim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The trace format header, shared with the recorder.
        .target(name: "CPTFormat", path: "Sources/CPTFormat"),
        // Primitives the reader and the model share: U64Map, PageBits (one block's 512 pages).
        .target(name: "PTSupport", path: "Sources/PTSupport"),
        // Streaming trace reader.
        .target(name: "PTTrace", dependencies: ["CPTFormat", "PTSupport"], path: "Sources/PTTrace"),
        // Address-space and page-table model, the four policies, the Replayer.
        .target(name: "PTModel", dependencies: ["PTTrace", "PTSupport"], path: "Sources/PTModel"),
        // The replay as a library: trace + options -> ReplayOutput (Replay.run), the counting
        // rules (TraceSummary) and the stack table. Every front end calls it.
        .target(name: "PTReplay", dependencies: ["PTTrace", "PTModel"], path: "Sources/PTReplay"),
        // `ptreclaim inspect`: page-table waste of running processes (/proc, pagemap).
        .target(name: "CPTInspect", path: "Sources/CPTInspect"),
        .target(name: "PTInspect", dependencies: ["CPTInspect", "PTTrace", "PTModel"], path: "Sources/PTInspect"),
        // Text and JSON reports (of traces, and of `ptreclaim inspect`).
        .target(name: "PTReport", dependencies: ["PTTrace", "PTModel", "PTReplay", "PTInspect"], path: "Sources/PTReport"),
        // Command-line front end.
        .executableTarget(
            name: "ptreclaim",
            dependencies: [
                "PTTrace", "PTModel", "PTReplay", "PTReport", "PTInspect",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/ptreclaim"),
        // Helpers shared by the test targets (a seedable random number generator).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "PTTraceTests", dependencies: ["PTTrace", "PTReplay", "TestSupport"], path: "Tests/PTTraceTests"),
        .testTarget(name: "PTModelTests", dependencies: ["PTModel", "PTTrace", "PTSupport", "TestSupport"],
                    path: "Tests/PTModelTests"),
        // Runs the real recorder on the programs in Tests/programs (built by the Makefile).
        .testTarget(name: "IntegrationTests", dependencies: ["PTTrace", "PTModel", "PTReplay", "PTReport"],
                    path: "Tests/IntegrationTests"),
    ],
    swiftLanguageModes: [.v5]
)
