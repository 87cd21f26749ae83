// mremap (mm/mremap.c): shrink in place = munmap of the tail; grow in place = vma_expand, no
// table change; a move = copy_vma + move_page_tables + munmap of the source (unless
// MREMAP_DONTUNMAP, which keeps the old VMA and its now-empty tables).
import PTSupport

extension PageTableState {
    mutating func mremap(old: UInt64, oldLength: UInt64, newLength: UInt64, flags: UInt32, result: UInt64) {
        var oldLen = pageUp(oldLength)
        let newLen = pageUp(newLength)
        // Ranges that wrap around cannot come from a successful call (corrupt input).
        guard old &+ oldLen >= old, old &+ newLen >= old, result &+ newLen >= result, newLen > 0 else { return }
        if result == old && flags & MremapFlag.dontUnmap == 0 {
            if newLen < oldLen {
                do_vmi_align_munmap(old + newLen, old + oldLen)      // shrink in place
            } else if newLen > oldLen {
                if !vmas.expand(endingAt: old + oldLen, to: old + newLen) {
                    if let v = vmas.find(old) {
                        var grown = v
                        grown.start = old + oldLen
                        grown.end = old + newLen
                        grown.pgoff = v.pgoff &+ ((old + oldLen - v.start) >> pageShift)
                        if vmas.overlaps(grown.start, grown.end) { do_vmi_align_munmap(grown.start, grown.end) }
                        vmas.insert(grown)
                    }
                }
            }
            return
        }
        // mremap_to: MREMAP_FIXED unmaps the destination first, and a shrinking move unmaps
        // the source's tail before moving.
        if flags & MremapFlag.fixed != 0 {
            do_vmi_align_munmap(result, result &+ newLen)
            if newLen < oldLen {
                do_vmi_align_munmap(old + newLen, old + oldLen)
                oldLen = newLen
            }
        }
        let src = vmas.find(old)
        var moved = src ?? VMA(start: old, end: old + oldLen, prot: 3, flags: [], pgoff: old >> pageShift)
        moved.pgoff = moved.pgoff &+ ((old - moved.start) >> pageShift)
        moved.start = result
        moved.end = result &+ newLen
        if vmas.overlaps(moved.start, moved.end) { do_vmi_align_munmap(moved.start, moved.end) }
        vmas.insert(moved)                                                // copy_vma
        if oldLen > 0 { move_page_tables(old, result, min(oldLen, newLen)) }
        if flags & MremapFlag.dontUnmap == 0 && oldLen > 0 {
            do_vmi_align_munmap(old, old + oldLen)                        // move_vma's unmap
        }
    }

    /// move_page_tables: per PMD extent (get_extent: up to the next 2 MiB boundary of both the
    /// old and the new address), move_normal_pmd moves the whole PTE page when the extent is a
    /// full aligned 2 MiB and the destination PMD entry is none; otherwise pte_alloc at the
    /// destination and move_ptes. Extents whose source has no PTE page are skipped
    /// (get_old_pmd returns NULL) and allocate nothing.
    mutating func move_page_tables(_ oldAddr: UInt64, _ newAddr: UInt64, _ len: UInt64) {
        let oEnd = oldAddr &+ len
        guard len > 0, oEnd > oldAddr else { return }
        // Only source blocks the model knows can hold a table or entries; each contributes one
        // or two extents (split where the destination crosses a 2 MiB boundary).
        forEachKnownBlock(oldAddr >> 21, (oEnd - 1) >> 21) { st, sb in
            var o = max(oldAddr, sb << 21)
            let blockEnd = min(oEnd, (sb << 21) &+ pmdSize)
            while o < blockEnd {
                let n = newAddr &+ (o - oldAddr)
                let extent = min(blockEnd - o, ((n &+ pmdSize) & ~(pmdSize - 1)) &- n)
                st.move_extent(o, n, extent)
                o += extent
            }
        }
    }

    private mutating func move_extent(_ o: UInt64, _ n: UInt64, _ extent: UInt64) {
        let sb = o >> 21, db = n >> 21
        guard var s = blocks[sb] else { return }
        if s.tables == 0 && s.pop.isEmpty && !s.huge { return }
        let lo = Int((o & (pmdSize - 1)) >> pageShift)
        let dlo = Int((n & (pmdSize - 1)) >> pageShift)
        let cnt = Int(extent >> pageShift)
        if sb == db {
            // Source and destination inside one block: entries move, the PTE page stays.
            let before = idealNeeds(sb, s)
            if s.huge { s.huge = false; s.pop = s.deposit ? .full : PageBits(); s.deposit = false }
            s.pop.moveWithin(lo, cnt, to: dlo)
            idealUpdate(sb, &s, before: before)
            blocks[sb] = s
            return
        }
        var d = blocks[db] ?? BlockState()
        let sBefore = idealNeeds(sb, s), dBefore = idealNeeds(db, d)
        if s.huge && extent == pmdSize {
            // move_huge_pmd: the PMD entry moves with its deposited table.
            for i in PolicyIndex.kernel where s.tables & PolicyIndex.bit(i) != 0 {
                let bit = PolicyIndex.bit(i)
                s.tables &= ~bit
                if d.tables & bit == 0 { d.tables |= bit } else { pte[i] &-= 1 }
                pmdAlloc(i, db >> blocksPerPMDRegionShift)
            }
            d.huge = true; d.deposit = s.deposit; d.pop = .full
            s.huge = false; s.deposit = false; s.pop = PageBits()
        } else {
            if s.huge {
                // split_huge_pmd before moving part of a THP.
                s.huge = false; s.pop = s.deposit ? .full : PageBits(); s.deposit = false
            }
            for i in PolicyIndex.kernel where s.tables & PolicyIndex.bit(i) != 0 {
                let bit = PolicyIndex.bit(i)
                if extent == pmdSize && d.tables & bit == 0 && !d.huge {
                    // move_normal_pmd: pmd_clear at the source, pmd_populate at the destination.
                    s.tables &= ~bit
                    d.tables |= bit
                    pmdAlloc(i, db >> blocksPerPMDRegionShift)        // alloc_new_pmd
                } else {
                    pteAlloc(i, db, &d)                                // pte_alloc + move_ptes
                }
            }
            if d.huge { d.huge = false; d.pop = d.deposit ? .full : PageBits(); d.deposit = false }
            s.pop.move(lo, cnt, to: &d.pop, at: dlo)
            if !lazy.isEmpty, var l = lazy[sb] {
                var dl = lazy[db] ?? PageBits()
                l.move(lo, cnt, to: &dl, at: dlo)
                lazy[sb] = l.isEmpty ? nil : l
                lazy[db] = dl.isEmpty ? nil : dl
            }
        }
        requireKernelTables(db, &d)
        // Under ideal a whole-block move carries the PTE page too: not a free plus a new
        // allocation, so the counters are restored when the table only changed place.
        let ideal = PolicyIndex.ideal, idealBit = PolicyIndex.idealBit
        let saved = (freed[ideal], callFreed[ideal], reallocated[ideal], s.everFreed)
        let dHad = d.tables & idealBit != 0
        idealUpdate(sb, &s, before: sBefore)
        idealUpdate(db, &d, before: dBefore)
        if extent == pmdSize && freed[ideal] == saved.0 &+ 1 && !dHad && d.tables & idealBit != 0 {
            freed[ideal] = saved.0
            callFreed[ideal] = saved.1
            reallocated[ideal] = saved.2
            s.everFreed = saved.3
        }
        blocks[sb] = s
        blocks[db] = d
    }
}
