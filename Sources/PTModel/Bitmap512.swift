import PTTrace

// The 512 entries of one PTE page, one bit each: set = non-none (present or swap entry).
// A value type of eight words, so a block's population costs 64 bytes and no allocation.

struct Bitmap512: Equatable {
    var w: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    static let full: Bitmap512 = {
        var b = Bitmap512()
        b.w = (~0, ~0, ~0, ~0, ~0, ~0, ~0, ~0)
        return b
    }()

    static func == (a: Bitmap512, b: Bitmap512) -> Bool {
        a.w.0 == b.w.0 && a.w.1 == b.w.1 && a.w.2 == b.w.2 && a.w.3 == b.w.3
            && a.w.4 == b.w.4 && a.w.5 == b.w.5 && a.w.6 == b.w.6 && a.w.7 == b.w.7
    }

    @inline(__always) var isEmpty: Bool {
        (w.0 | w.1 | w.2 | w.3 | w.4 | w.5 | w.6 | w.7) == 0
    }

    var count: Int {
        w.0.nonzeroBitCount + w.1.nonzeroBitCount + w.2.nonzeroBitCount + w.3.nonzeroBitCount
            + w.4.nonzeroBitCount + w.5.nonzeroBitCount + w.6.nonzeroBitCount + w.7.nonzeroBitCount
    }

    // Words are addressed through a pointer to the tuple: a switch per access (the tuple has
    // no subscript) cost more than the bit operations themselves.
    @inline(__always) func word(_ i: Int) -> UInt64 {
        withUnsafeBytes(of: w) { $0.load(fromByteOffset: i &* 8, as: UInt64.self) }
    }

    @inline(__always) mutating func setWord(_ i: Int, _ v: UInt64) {
        withUnsafeMutableBytes(of: &w) { $0.storeBytes(of: v, toByteOffset: i &* 8, as: UInt64.self) }
    }

    /// Mask of bits [lo, hi) within word i (page numbers 0..<512).
    @inline(__always) static func mask(word i: Int, lo: Int, hi: Int) -> UInt64 {
        let base = i * 64
        let a = max(lo - base, 0), b = min(hi - base, 64)
        if a >= b { return 0 }
        let upper: UInt64 = b == 64 ? ~0 : (UInt64(1) &<< UInt64(b)) &- 1
        let lower: UInt64 = (UInt64(1) &<< UInt64(a)) &- 1
        return upper & ~lower
    }

    /// Sets pages [lo, hi).
    @inline(__always) mutating func set(_ lo: Int, _ hi: Int) {
        if lo <= 0 && hi >= 512 { self = .full; return }
        guard lo < hi else { return }
        withUnsafeMutableBytes(of: &w) { words in
            for i in (lo >> 6)...((hi - 1) >> 6) {
                let v = words.load(fromByteOffset: i &* 8, as: UInt64.self) | Bitmap512.mask(word: i, lo: lo, hi: hi)
                words.storeBytes(of: v, toByteOffset: i &* 8, as: UInt64.self)
            }
        }
    }

    /// Clears pages [lo, hi).
    @inline(__always) mutating func clear(_ lo: Int, _ hi: Int) {
        if lo <= 0 && hi >= 512 { self = Bitmap512(); return }
        guard lo < hi else { return }
        withUnsafeMutableBytes(of: &w) { words in
            for i in (lo >> 6)...((hi - 1) >> 6) {
                let v = words.load(fromByteOffset: i &* 8, as: UInt64.self) & ~Bitmap512.mask(word: i, lo: lo, hi: hi)
                words.storeBytes(of: v, toByteOffset: i &* 8, as: UInt64.self)
            }
        }
    }

    @inline(__always) func test(_ p: Int) -> Bool { word(p >> 6) & (UInt64(1) << UInt64(p & 63)) != 0 }

    /// Whether any page in [lo, hi) is set.
    func any(_ lo: Int, _ hi: Int) -> Bool {
        guard lo < hi else { return false }
        for i in (lo >> 6)...((hi - 1) >> 6) where word(i) & Bitmap512.mask(word: i, lo: lo, hi: hi) != 0 {
            return true
        }
        return false
    }

    @inline(__always) static func & (a: Bitmap512, b: Bitmap512) -> Bitmap512 {
        var r = Bitmap512()
        r.w = (a.w.0 & b.w.0, a.w.1 & b.w.1, a.w.2 & b.w.2, a.w.3 & b.w.3,
               a.w.4 & b.w.4, a.w.5 & b.w.5, a.w.6 & b.w.6, a.w.7 & b.w.7)
        return r
    }

    @inline(__always) static func | (a: Bitmap512, b: Bitmap512) -> Bitmap512 {
        var r = Bitmap512()
        r.w = (a.w.0 | b.w.0, a.w.1 | b.w.1, a.w.2 | b.w.2, a.w.3 | b.w.3,
               a.w.4 | b.w.4, a.w.5 | b.w.5, a.w.6 | b.w.6, a.w.7 | b.w.7)
        return r
    }

    /// a & ~b
    @inline(__always) func subtracting(_ b: Bitmap512) -> Bitmap512 {
        var r = Bitmap512()
        r.w = (w.0 & ~b.w.0, w.1 & ~b.w.1, w.2 & ~b.w.2, w.3 & ~b.w.3,
               w.4 & ~b.w.4, w.5 & ~b.w.5, w.6 & ~b.w.6, w.7 & ~b.w.7)
        return r
    }

    /// Calls body for every set page number in [lo, hi), ascending.
    func forEachSet(_ lo: Int = 0, _ hi: Int = 512, _ body: (Int) -> Void) {
        guard lo < hi else { return }
        for i in (lo >> 6)...((hi - 1) >> 6) {
            var m = word(i) & Bitmap512.mask(word: i, lo: lo, hi: hi)
            while m != 0 {
                let t = m.trailingZeroBitCount
                body(i * 64 + t)
                m &= m - 1
            }
        }
    }

    /// A copy of a residency block's eight words (ResidencyView.Block.wordsAt).
    @inline(__always) init(wordsAt p: UnsafePointer<UInt64>) {
        w = UnsafeRawPointer(p).load(as: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64).self)
    }

    /// Builds a bitmap from a residency block's runs (page numbers 0..<512).
    init(runs: [PageRun]) {
        for r in runs { set(Int(r.start), Int(min(UInt64(r.start) + UInt64(r.count), 512))) }
    }

    /// Same, from a residency block in the reader's arena (TraceReader.nextEvent).
    /// The words are reached through one pointer for all runs (see BlockBits.toggle).
    @inline(__always) init(runs: inout ResidencyView.Runs) {
        withUnsafeMutableBytes(of: &w) { words in
            while let r = runs.next() {
                let lo = Int(r.start), hi = Int(min(UInt64(r.start) + UInt64(r.count), 512))
                guard lo < hi else { continue }
                for i in (lo >> 6)...((hi - 1) >> 6) {
                    let v = words.load(fromByteOffset: i &* 8, as: UInt64.self) | Bitmap512.mask(word: i, lo: lo, hi: hi)
                    words.storeBytes(of: v, toByteOffset: i &* 8, as: UInt64.self)
                }
            }
        }
    }

    init() {}
}

extension Bitmap512 {
    @inline(__always) mutating func setBit(_ p: Int) {
        setWord(p >> 6, word(p >> 6) | (UInt64(1) << UInt64(p & 63)))
    }

    /// Moves pages [lo, lo+count) of self to pages [dlo, dlo+count) of dst (move_ptes).
    mutating func move(_ lo: Int, _ count: Int, to dst: inout Bitmap512, at dlo: Int) {
        forEachSet(lo, lo + count) { p in dst.setBit(dlo + p - lo) }
        clear(lo, lo + count)
    }

    /// Same, within one bitmap (source and destination in the same block).
    mutating func moveWithin(_ lo: Int, _ count: Int, to dlo: Int) {
        var moved = Bitmap512()
        forEachSet(lo, lo + count) { p in moved.setBit(dlo + p - lo) }
        clear(lo, lo + count)
        self = self | moved
    }
}
