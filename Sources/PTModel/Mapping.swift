// Creating and changing VMAs: mmap (do_mmap / __mmap_region, mm/mmap.c, mm/vma.c), brk/sbrk
// (do_brk_flags, do_brk_munmap), mprotect (mprotect_fixup). Only unmapping frees tables here.

extension PageTableState {
    /// mmap: a MAP_FIXED mapping over existing VMAs first unmaps them (vms_clean_up_area ->
    /// vms_clear_ptes: free_pgtables with the neighbours of the replaced range as floor and
    /// ceiling, the new VMA not yet inserted). Returns whether it replaced VMAs although the call
    /// did not ask for MAP_FIXED (the model missed an unmapping: an unrecorded change).
    mutating func mmap_region(address: UInt64, length: UInt64, prot: UInt32, flags: UInt32,
                              fd: Int32, offset: UInt64) -> Bool {
        var len = pageUp(length)
        if flags & MmapFlag.hugetlb != 0 { len = (len &+ pmdSize &- 1) & ~(pmdSize - 1) }
        let end = address &+ len
        guard len > 0, end > address else { return false }
        var unexpected = false
        if vmas.overlaps(address, end) {
            unexpected = flags & MmapFlag.fixed == 0
            do_vmi_align_munmap(address, end)
        }
        vmas.insert(VMA.fromMmap(start: address, length: len, prot: prot, flags: flags, fd: fd,
                                 offset: offset))
        // MAP_POPULATE faults every page in (__mm_populate), except PROT_NONE.
        if flags & MmapFlag.populate != 0 && prot & 7 != 0 { populate(address, end) }
        return unexpected
    }

    /// brk/sbrk moved the break from oldBreak to newBreak: growth is do_brk_flags (extends or
    /// creates the anonymous heap VMA), shrinking is do_brk_munmap (munmap rules).
    mutating func brk(oldBreak: UInt64, newBreak: UInt64) {
        let o = pageUp(oldBreak), n = pageUp(newBreak)
        guard o != 0 || n != 0 else { return }
        if n > o {
            if vmas.overlaps(o, n) { do_vmi_align_munmap(o, n) }
            vmas.insert(VMA(start: o, end: n, prot: 3, flags: [], pgoff: o >> pageShift))
        } else if n < o {
            do_vmi_align_munmap(n, o)
        }
    }

    /// mprotect_fixup: protection changes split and merge VMAs; entries are unchanged
    /// (PROT_NONE pages stay non-none) and no table is allocated or freed.
    mutating func mprotect_fixup(_ start: UInt64, _ length: UInt64, prot: UInt32) {
        let end = start &+ pageUp(length)
        guard end > start else { return }
        vmas.modify(start, end) { $0.prot = prot & 7 }
    }
}
