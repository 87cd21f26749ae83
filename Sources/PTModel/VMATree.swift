// The address space's VMAs, sorted by start and disjoint (the kernel's maple tree, reduced to a
// sorted array: lookups are binary searches, O(log n); inserts and removals move the tail, which
// for the few thousand VMAs of a real process costs less than a tree's pointer chasing).

struct VMATree {
    private(set) var vmas: ContiguousArray<VMA> = []

    var count: Int { vmas.count }

    /// Index of the first VMA whose end is above `addr` (find_vma semantics), or count.
    @inline(__always) func firstIndex(endAbove addr: UInt64) -> Int {
        var lo = 0, hi = vmas.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if vmas[mid].end > addr { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// The VMA containing addr, if any.
    func find(_ addr: UInt64) -> VMA? {
        let i = firstIndex(endAbove: addr)
        return i < vmas.count && vmas[i].start <= addr ? vmas[i] : nil
    }

    /// Whether any VMA intersects [start, end).
    func overlaps(_ start: UInt64, _ end: UInt64) -> Bool {
        let i = firstIndex(endAbove: start)
        return i < vmas.count && vmas[i].start < end
    }

    /// Calls body with each VMA intersecting [start, end), in address order.
    @inline(__always) func forEachOverlapping(_ start: UInt64, _ end: UInt64, _ body: (VMA) -> Void) {
        var i = firstIndex(endAbove: start)
        while i < vmas.count && vmas[i].start < end {
            body(vmas[i])
            i += 1
        }
    }

    /// free_pgtables' floor: vm_end of the nearest VMA below addr (0 = FIRST_USER_ADDRESS).
    func floor(below addr: UInt64) -> UInt64 {
        let i = firstIndex(endAbove: addr)
        // vmas[i-1].end <= addr
        return i > 0 ? vmas[i - 1].end : 0
    }

    /// free_pgtables' ceiling: vm_start of the nearest VMA at or above addr
    /// (0 = USER_PGTABLES_CEILING, the top of the address space).
    func ceiling(above addr: UInt64) -> UInt64 {
        var i = firstIndex(endAbove: addr)
        while i < vmas.count && vmas[i].start < addr { i += 1 }
        return i < vmas.count ? vmas[i].start : 0
    }

    /// __split_vma: splits the VMA strictly containing addr at addr.
    mutating func split(at addr: UInt64) {
        let i = firstIndex(endAbove: addr)
        guard i < vmas.count, vmas[i].start < addr else { return }
        var lower = vmas[i]
        lower.end = addr
        vmas[i].pgoff &+= (addr - vmas[i].start) >> pageShift
        vmas[i].start = addr
        vmas.insert(lower, at: i)
    }

    /// Detaches every VMA piece inside [start, end) (splitting at the edges), appending the
    /// pieces to `detached` (vms_gather_munmap_vmas). Returns whether anything was detached.
    @discardableResult
    mutating func detach(_ start: UInt64, _ end: UInt64, into detached: inout ContiguousArray<VMA>) -> Bool {
        guard overlaps(start, end) else { return false }
        split(at: start)
        split(at: end)
        let i = firstIndex(endAbove: start)
        var j = i
        while j < vmas.count && vmas[j].start < end { detached.append(vmas[j]); j += 1 }
        vmas.removeSubrange(i..<j)
        return j > i
    }

    /// Inserts a VMA into a hole and merges it with its neighbours (vma_merge_new_range).
    mutating func insert(_ vma: VMA) {
        let i = firstIndex(endAbove: vma.start)
        vmas.insert(vma, at: i)
        mergeAround(i, i)
    }

    /// Applies `change` to the parts of VMAs inside [start, end), splitting at the edges and
    /// merging afterwards (vma_modify_flags / mprotect_fixup / madvise_update_vma).
    mutating func modify(_ start: UInt64, _ end: UInt64, _ change: (inout VMA) -> Void) {
        guard overlaps(start, end) else { return }
        split(at: start)
        split(at: end)
        let i = firstIndex(endAbove: start)
        var j = i
        while j < vmas.count && vmas[j].start < end { change(&vmas[j]); j += 1 }
        mergeAround(i, j - 1)
    }

    /// Extends the VMA ending at `oldEnd` to `newEnd` (vma_expand for mremap/brk growth in place).
    mutating func expand(endingAt oldEnd: UInt64, to newEnd: UInt64) -> Bool {
        guard oldEnd > 0, newEnd > oldEnd else { return false }
        let i = firstIndex(endAbove: oldEnd - 1)
        guard i < vmas.count, vmas[i].end == oldEnd else { return false }
        if i + 1 < vmas.count && vmas[i + 1].start < newEnd { return false }
        vmas[i].end = newEnd
        mergeAround(i, i)
        return true
    }

    /// Merges each VMA in lo...hi with its neighbours where vma_merge would.
    private mutating func mergeAround(_ lo: Int, _ hi: Int) {
        var k = min(hi + 1, vmas.count - 1)
        let first = max(lo, 1)
        while k >= first {
            if vmas[k - 1].canMerge(with: vmas[k]) {
                vmas[k - 1].end = vmas[k].end
                vmas.remove(at: k)
            }
            k -= 1
        }
    }

    /// Replaces the whole list (snapshot reconciliation adopts the kernel's own layout).
    mutating func replaceAll(_ list: ContiguousArray<VMA>) { vmas = list }
}
