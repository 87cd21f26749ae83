// munmap-type teardown: do_vmi_align_munmap (mm/vma.c) for munmap, brk shrink (do_brk_munmap),
// the source of a moved mremap, and vms_clean_up_area for MAP_FIXED replacement.

extension PageTableState {
    /// do_vmi_align_munmap: detach the VMAs in [start, end) (splitting at the edges), zap their
    /// entries (unmap_vmas), then free_pgtables with floor = vm_end of the surviving VMA below
    /// and ceiling = vm_start of the surviving VMA above (vms_clear_ptes).
    mutating func do_vmi_align_munmap(_ start: UInt64, _ end: UInt64) {
        guard start < end, vmas.overlaps(start, end) else { return }
        // unmap_vmas: zap every VMA piece in the range.
        var i = vmas.firstIndex(endAbove: start)
        while i < vmas.count && vmas.vmas[i].start < end {
            let v = vmas.vmas[i]
            zap_pte_range(max(v.start, start), min(v.end, end), vma: v, kind: .unmap)
            i += 1
        }
        var detached = detachedScratch
        detachedScratch = []
        detached.removeAll(keepingCapacity: true)
        vmas.detach(start, end, into: &detached)
        let floor = vmas.floor(below: start)
        let ceiling = vmas.ceiling(above: end)
        // free_pgtables: one free_pgd_range per detached VMA, all with the same floor/ceiling.
        for piece in detached { free_pgd_range(piece.start, piece.end, floor: floor, ceiling: ceiling) }
        detachedScratch = detached
    }
}
