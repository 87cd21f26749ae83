// Primitive decoding (u8, LEB128 varints, zigzag, strings) over the bytes in the buffer.
// Running out of bytes throws `.short`: the reader then refills and decodes the record again
// from its first byte, so records never straddle a refill. Typed throws keep this free of
// existential boxing on the hot path.

enum DecodeStop: Error, @unchecked Sendable {
    /// The buffer ends inside this record.
    case short
    /// The bytes at `at` cannot be part of a valid trace.
    case corrupt(at: UnsafePointer<UInt8>, String)
}

struct Cursor {
    var p: UnsafePointer<UInt8>
    let end: UnsafePointer<UInt8>

    @inline(__always) func corrupt(_ what: String) -> DecodeStop { .corrupt(at: p, what) }

    @inline(__always) mutating func u8() throws(DecodeStop) -> UInt8 {
        guard p < end else { throw .short }
        let b = p.pointee
        p += 1
        return b
    }

    /// Unsigned LEB128, at most 10 bytes; longer or overflowing varints are corruption.
    @inline(__always) mutating func uv() throws(DecodeStop) -> UInt64 {
        guard p < end else { throw .short }
        let b = p.pointee
        if b < 0x80 { p += 1; return UInt64(b) }
        // Two bytes (most deltas) inline too.
        if end - p >= 2 {
            let b1 = p[1]
            if b1 < 0x80 { p += 2; return UInt64(b & 0x7f) | UInt64(b1) &<< 7 }
        }
        return try uvLong()
    }

    @inline(never) mutating func uvLong() throws(DecodeStop) -> UInt64 {
        var q = p
        var result: UInt64 = 0
        var shift: UInt64 = 0
        // With 10 bytes at hand, skip the per-byte end check.
        let checked = end - q < 10
        for i in 0..<10 {
            if checked && q >= end { throw .short }
            let b = q.pointee
            q += 1
            if i == 9 && b > 1 { throw corrupt(b >= 0x80 ? "varint longer than 10 bytes"
                                                         : "varint overflows 64 bits") }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { p = q; return result }
            shift += 7
        }
        throw corrupt("varint longer than 10 bytes")
    }

    /// Zigzag-decoded signed varint.
    @inline(__always) mutating func sv() throws(DecodeStop) -> Int64 {
        let u = try uv()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    @inline(__always) mutating func u32(_ what: StaticString) throws(DecodeStop) -> UInt32 {
        let start = p
        let v = try uv()
        guard v <= UInt64(UInt32.max) else { throw .corrupt(at: start, "\(what) \(v) out of range") }
        return UInt32(truncatingIfNeeded: v)
    }

    @inline(__always) mutating func s32(_ what: StaticString) throws(DecodeStop) -> Int32 {
        let start = p
        let v = try sv()
        guard v >= Int64(Int32.min) && v <= Int64(Int32.max) else {
            throw .corrupt(at: start, "\(what) \(v) out of range")
        }
        return Int32(truncatingIfNeeded: v)
    }

    /// A count that may not exceed `limit` (guards every allocation against bit flips).
    @inline(__always) mutating func count(_ what: StaticString, max limit: UInt64) throws(DecodeStop) -> Int {
        let start = p
        let v = try uv()
        guard v <= limit else { throw .corrupt(at: start, "\(what) \(v) exceeds \(limit)") }
        return Int(v)
    }

    /// str: uv length, then the bytes. Invalid UTF-8 is repaired, not rejected (paths may hold
    /// any bytes).
    mutating func str(_ what: StaticString, max limit: UInt64 = 16 << 20) throws(DecodeStop) -> String {
        let n = try count(what, max: limit)
        guard end - p >= n else { throw .short }
        let s = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
        p += n
        return s
    }

    mutating func bytes(_ what: StaticString, max limit: UInt64) throws(DecodeStop) -> [UInt8] {
        let n = try count(what, max: limit)
        guard end - p >= n else { throw .short }
        let a = Array(UnsafeBufferPointer(start: p, count: n))
        p += n
        return a
    }
}
