// Page-table memory over time: at each snapshot, the kernel's VmPTE and each policy's model
// bytes. A second pass over the trace (the report's pass keeps only figures, not series);
// memory is one point per snapshot.
import PTTrace
import PTModel

public struct TimelinePoint: Sendable, Equatable {
    /// Seconds since the recorder started.
    public var seconds: Double
    public var observedBytes: UInt64
    /// Model bytes in Policy.allCases order.
    public var modelBytes: [UInt64]
}

public struct Timeline: Sendable {
    public var points: [TimelinePoint] = []

    public static func read(path: String, options: ReplayOptions) throws -> Timeline {
        var reader = try TraceReader(path: path)
        let start = reader.header.monoStartNs
        var replayer = Replayer(options: options, header: reader.header)
        var t = Timeline()
        while let record = try reader.next() {
            if case .header = record { continue }
            replayer.consume(record)
            if case .snapshot(let s) = record {
                t.points.append(TimelinePoint(
                    seconds: s.time >= start ? Double(s.time - start) / 1e9 : 0,
                    observedBytes: s.vmPTEKiB * 1024,
                    modelBytes: Policy.allCases.map { replayer.currentBytes($0) }))
            }
        }
        return t
    }

    /// CSV, one row per snapshot: time_s, observed_vmpte_bytes, then each policy's bytes.
    public func csv() -> String {
        var o = "time_s,observed_vmpte_bytes," + Policy.allCases.map { "\($0.rawValue)_bytes" }.joined(separator: ",") + "\n"
        for p in points {
            o += Units.fixed(p.seconds, 6) + ",\(p.observedBytes)," + p.modelBytes.map(String.init).joined(separator: ",") + "\n"
        }
        return o
    }
}
