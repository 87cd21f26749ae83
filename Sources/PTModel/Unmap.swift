// munmap-type teardown: do_vmi_align_munmap (mm/vma.c) for munmap, brk shrink (do_brk_munmap),
// the source of a moved mremap, and vms_clean_up_area for MAP_FIXED replacement.

extension PageTableState {
    /// do_vmi_align_munmap: detach the VMAs in [start, end) (splitting at the edges), zap their
    /// entries and free their tables (unmap_region).
    mutating func do_vmi_align_munmap(_ start: UInt64, _ end: UInt64) {
        guard start < end, vmas.overlaps(start, end) else { return }
        unmap_region(start, end)
    }

    /// unmap_region (mm/vma.c): unmap_vmas zaps every VMA piece in [start, end), the pieces
    /// are detached, then free_pgtables runs one free_pgd_range per piece, all with the same
    /// floor and ceiling: by default vm_end of the surviving VMA below and vm_start of the one
    /// above (vms_clear_ptes); a snapshot's reconcile passes the kernel's own neighbours.
    mutating func unmap_region(_ start: UInt64, _ end: UInt64, floor: UInt64? = nil, ceiling: UInt64? = nil) {
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
        let floor = floor ?? vmas.floor(below: start)
        let ceiling = ceiling ?? vmas.ceiling(above: end)
        for piece in detached { free_pgd_range(piece.start, piece.end, floor: floor, ceiling: ceiling) }
        detachedScratch = detached
    }
}
