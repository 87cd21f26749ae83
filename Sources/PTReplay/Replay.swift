// The replay as a library: one streaming pass over a trace feeds the counting rules
// (TraceSummary), the model under the four policies (PTModel.Replayer) and the stack table;
// every front end (report, summary, diff, html, the tests) calls Replay.run and renders the
// ReplayOutput it returns. Memory is flat in the trace's length: the reader decodes through a
// fixed buffer and the model grows with the blocks the trace touches, not with its events.
import PTTrace
import PTModel

public enum Replay {
    /// Reads the trace at `path` once and replays it under `options`.
    /// - progress: called every 65536 records with (byte offset reached, file size), for a
    ///   progress display; the default does nothing.
    /// - Throws: TraceError when the file cannot be opened or is not a trace / is corrupt. A
    ///   truncated trace is not an error: the output says `summary.truncated`.
    public static func run(_ path: String, options: ReplayOptions = ReplayOptions(),
                           progress: (_ offset: UInt64, _ size: UInt64) -> Void = { _, _ in })
        throws(TraceError) -> ReplayOutput
    {
        var reader = try TraceReader(path: path)
        var summary = TraceSummary(header: reader.header)
        var replayer = Replayer(options: options, header: reader.header)
        var stacks = StackTable()
        let size = reader.fileSize
        var n: UInt64 = 0
        while let event = try reader.nextEvent() {
            switch event {
            case .call:
                // The common case, read in place (TraceReader.nextEvent): no copy, no wrapping.
                summary.add(reader.call)
                replayer.consume(reader.call, residency: reader.callResidency)
            case .record(let record):
                summary.add(record)
                replayer.consume(record)
                stacks.add(record)
            }
            n &+= 1
            if n & 0xffff == 0 { progress(reader.offset, size) }
        }
        summary.truncated = reader.truncated
        summary.ending = TraceEnding.of(path: path, reader: reader, execPath: summary.endedInExec)
        return ReplayOutput(file: path, summary: summary, result: replayer.finish(), stacks: stacks)
    }
}
