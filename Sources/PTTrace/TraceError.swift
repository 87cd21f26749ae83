// The one error the trace reader throws: a file that cannot be read, or bytes that are not a
// valid trace. Its description is one line, "FILE: byte N: what is wrong", ready for stderr.

public struct TraceError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    /// Byte offset in the file of the offending byte; nil for errors not tied to a position
    /// (the file cannot be opened or read).
    public var offset: UInt64?
    public var message: String

    public init(path: String, offset: UInt64?, message: String) {
        self.path = path
        self.offset = offset
        self.message = message
    }

    public var description: String {
        if let offset { return "\(path): byte \(offset): \(message)" }
        return "\(path): \(message)"
    }
}
