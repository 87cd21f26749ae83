// Moving page entries between PTE pages (move_ptes in mm/mremap.c), on the shared 512-page set
// (PTSupport's PageBits: one type for the reader and the model).
import PTSupport

extension PageBits {
    @inline(__always) mutating func setBit(_ p: Int) { set(p, p + 1) }

    /// Moves pages [lo, lo+count) of self to pages [dlo, dlo+count) of dst (move_ptes).
    mutating func move(_ lo: Int, _ count: Int, to dst: inout PageBits, at dlo: Int) {
        forEachSet(lo, lo + count) { p in dst.setBit(dlo + p - lo) }
        clear(lo, lo + count)
    }

    /// Same, within one bitmap (source and destination in the same block).
    mutating func moveWithin(_ lo: Int, _ count: Int, to dlo: Int) {
        var moved = PageBits()
        forEachSet(lo, lo + count) { p in moved.setBit(dlo + p - lo) }
        clear(lo, lo + count)
        self = self | moved
    }
}
