// The 512 pages of one 2 MiB block (one PTE page's entries), one bit each: page p is bit p & 63
// of word p >> 6. One type for the reader (residency, previous populations) and the model
// (populations, lazyfree pages): a value of eight words, 64 bytes, no allocation.
// Words are reached through a pointer to the tuple: a switch per access (a tuple has no
// subscript) cost more than the bit operations themselves.

@frozen public struct PageBits: Equatable {
    public var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    @inlinable public init() {}

    /// All 512 pages (a THP's block). Computed, not a stored global: no lazy-init check.
    @inlinable public static var full: PageBits {
        var b = PageBits()
        b.words = (~0, ~0, ~0, ~0, ~0, ~0, ~0, ~0)
        return b
    }

    /// A copy of eight words in memory (native order).
    @inlinable @inline(__always) public init(wordsAt p: UnsafePointer<UInt64>) {
        words = UnsafeRawPointer(p).load(as: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64).self)
    }

    /// From a 64-byte little-endian bitmap (page byte*8+k is bit k of byte `byte`).
    @inlinable @inline(__always) public init(littleEndianBitmapAt p: UnsafeRawPointer) {
        withUnsafeMutableBytes(of: &words) { raw in
            for w in 0..<8 {
                raw.storeBytes(of: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: w &* 8, as: UInt64.self)),
                               toByteOffset: w &* 8, as: UInt64.self)
            }
        }
    }

    @inlinable public static func == (a: PageBits, b: PageBits) -> Bool {
        let x = a.words, y = b.words
        return ((x.0 ^ y.0) | (x.1 ^ y.1) | (x.2 ^ y.2) | (x.3 ^ y.3)
            | (x.4 ^ y.4) | (x.5 ^ y.5) | (x.6 ^ y.6) | (x.7 ^ y.7)) == 0
    }

    @inlinable @inline(__always) public var isEmpty: Bool {
        (words.0 | words.1 | words.2 | words.3 | words.4 | words.5 | words.6 | words.7) == 0
    }

    @inlinable @inline(__always) public func word(_ i: Int) -> UInt64 {
        withUnsafeBytes(of: words) { $0.load(fromByteOffset: i &* 8, as: UInt64.self) }
    }

    /// Bits of pages [lo, hi) that fall in word i (pages 0..<512).
    @inlinable @inline(__always) public static func mask(word i: Int, lo: Int, hi: Int) -> UInt64 {
        let base = i &* 64
        let a = max(lo &- base, 0), b = min(hi &- base, 64)
        if a >= b { return 0 }
        let upper: UInt64 = b == 64 ? ~0 : (UInt64(1) &<< UInt64(b)) &- 1
        let lower: UInt64 = (UInt64(1) &<< UInt64(a)) &- 1
        return upper & ~lower
    }

    /// Sets pages [lo, hi).
    @inlinable @inline(__always) public mutating func set(_ lo: Int, _ hi: Int) {
        if lo <= 0 && hi >= 512 { self = .full; return }
        apply(lo, hi) { $0 | $1 }
    }

    /// Clears pages [lo, hi).
    @inlinable @inline(__always) public mutating func clear(_ lo: Int, _ hi: Int) {
        if lo <= 0 && hi >= 512 { self = PageBits(); return }
        apply(lo, hi) { $0 & ~$1 }
    }

    /// Flips pages [lo, hi) (a PTE_DIFF run).
    @inlinable @inline(__always) public mutating func toggle(_ lo: Int, _ hi: Int) {
        apply(lo, hi) { $0 ^ $1 }
    }

    /// word = op(word, mask of [lo, hi)) for each word the range touches, through one pointer.
    @inlinable @inline(__always)
    mutating func apply(_ lo: Int, _ hi: Int, _ op: (UInt64, UInt64) -> UInt64) {
        guard lo < hi else { return }
        withUnsafeMutableBytes(of: &words) { raw in
            for i in (lo >> 6)...((hi &- 1) >> 6) {
                let v = op(raw.load(fromByteOffset: i &* 8, as: UInt64.self), PageBits.mask(word: i, lo: lo, hi: hi))
                raw.storeBytes(of: v, toByteOffset: i &* 8, as: UInt64.self)
            }
        }
    }

    @inlinable @inline(__always) public static func & (a: PageBits, b: PageBits) -> PageBits {
        var r = PageBits()
        r.words = (a.words.0 & b.words.0, a.words.1 & b.words.1, a.words.2 & b.words.2, a.words.3 & b.words.3,
                   a.words.4 & b.words.4, a.words.5 & b.words.5, a.words.6 & b.words.6, a.words.7 & b.words.7)
        return r
    }

    @inlinable @inline(__always) public static func | (a: PageBits, b: PageBits) -> PageBits {
        var r = PageBits()
        r.words = (a.words.0 | b.words.0, a.words.1 | b.words.1, a.words.2 | b.words.2, a.words.3 | b.words.3,
                   a.words.4 | b.words.4, a.words.5 | b.words.5, a.words.6 | b.words.6, a.words.7 | b.words.7)
        return r
    }

    /// self & ~b
    @inlinable @inline(__always) public func subtracting(_ b: PageBits) -> PageBits {
        var r = PageBits()
        r.words = (words.0 & ~b.words.0, words.1 & ~b.words.1, words.2 & ~b.words.2, words.3 & ~b.words.3,
                   words.4 & ~b.words.4, words.5 & ~b.words.5, words.6 & ~b.words.6, words.7 & ~b.words.7)
        return r
    }

    /// Calls body for every set page in [lo, hi), ascending.
    @inlinable public func forEachSet(_ lo: Int = 0, _ hi: Int = 512, _ body: (Int) -> Void) {
        guard lo < hi else { return }
        for i in (lo >> 6)...((hi - 1) >> 6) {
            var m = word(i) & PageBits.mask(word: i, lo: lo, hi: hi)
            while m != 0 {
                body(i * 64 + m.trailingZeroBitCount)
                m &= m - 1
            }
        }
    }
}
