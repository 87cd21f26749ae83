// Zapping entries inside one VMA: zap_pte_range (mm/memory.c) with the reclaim decisions that
// follow it under each policy, and the THP cases (zap_huge_pmd, zap_deposited_table,
// __split_huge_pmd in mm/huge_memory.c).
import PTSupport

enum ZapKind {
    /// MADV_DONTNEED / MADV_DONTNEED_LOCKED (madvise_dontneed_single_vma).
    case dontneed
    /// MADV_REMOVE (unmap_mapping_range through the file).
    case remove
    /// munmap-type teardown (unmap_vmas); tables are freed afterwards by free_pgtables.
    case unmap
}

extension PageTableState {
    /// zap_pte_range over [zs, ze), a range inside one VMA (madvise_walk_vmas and unmap_vmas
    /// clip to one VMA at a time). Afterwards each policy's rule (ReclaimRules.swift,
    /// reclaimAfterZap): pt-reclaim's reclaim_pt_is_enabled + try_to_free_pte, refcount's
    /// try_to_free_user_pte; none: nothing (free_pgtables handles unmapping).
    mutating func zap_pte_range(_ zs: UInt64, _ ze: UInt64, vma: VMA, kind: ZapKind) {
        guard zs < ze else { return }
        let eligibleVMA = !vma.isHugetlb && !vma.flags.contains(.pfnmap)
        forEachKnownBlock(zs >> 21, (ze - 1) >> 21) { st, b in
            st.zap_pte_block(b, zs, ze, eligibleVMA: eligibleVMA, kind: kind)
        }
    }

    /// zap_pte_range's work on one block (see above).
    @inline(__always)
    private mutating func zap_pte_block(_ b: UInt64, _ zs: UInt64, _ ze: UInt64, eligibleVMA: Bool, kind: ZapKind) {
        guard let at = blocks.index(of: b) else { return }
        var s = blocks.value(at: at)
        guard s.tables != 0 || s.huge || !s.pop.isEmpty else { return }
        let (lo, hi) = pageSpan(ofBlock: b, zs, ze)
        let whole = lo == 0 && hi == 512
        let before = idealNeeds(b, s)
        if s.huge {
            if whole {
                // zap_huge_pmd: the PMD entry goes and zap_deposited_table frees the
                // deposited PTE page, under every policy (no PT_RECLAIM needed).
                s.huge = false
                s.pop = PageBits()
                if s.deposit { zap_deposited_table(&s) }
                s.deposit = false
            } else {
                // __split_huge_pmd: an anonymous THP's deposited table becomes its PTE page,
                // all 512 entries mapped; a file THP's PMD is just cleared (refaults later).
                s.huge = false
                s.pop = s.deposit ? .full : PageBits()
                s.deposit = false
                s.pop.clear(lo, hi)
            }
        } else {
            s.pop.clear(lo, hi)
        }
        // One probe; an emptied entry is the blank (empty) bitmap, as `lazy[b] = nil` left it.
        if !lazy.isEmpty, let li = lazy.index(of: b) {
            var l = lazy.value(at: li)
            if !l.isEmpty {
                l.clear(lo, hi)
                lazy.setValue(l, at: li)
            }
        }
        reclaimAfterZap(b, &s, kind: kind, wholeBlock: whole, eligibleVMA: eligibleVMA)
        requireKernelTables(b, &s)
        idealUpdate(b, &s, before: before)
        if kind != .unmap { attributeLeftEmpty(b, before: before, s) }
        blocks.setValue(s, at: at)  // no block was added since the lookup
    }

    /// madvise_free_pte_range (mm/madvise.c), anonymous private VMAs only: present pages become
    /// lazyfree (swap entries would be cleared; the model does not tell them apart). No table is
    /// freed by pt-reclaim or none; refcount under memory pressure (discard) sees the lazyfree
    /// pages dropped by vmscan (try_to_unmap_one) and frees an emptied PTE page.
    mutating func madvise_free_pte_range(_ fs: UInt64, _ fe: UInt64, vma: VMA) {
        guard fs < fe else { return }
        let hugetlb = vma.isHugetlb
        forEachKnownBlock(fs >> 21, (fe - 1) >> 21) { st, b in st.madvise_free_block(b, fs, fe, hugetlb: hugetlb) }
    }

    @inline(__always)
    private mutating func madvise_free_block(_ b: UInt64, _ fs: UInt64, _ fe: UInt64, hugetlb: Bool) {
        guard var s = blocks[b] else { return }
        let (lo, hi) = pageSpan(ofBlock: b, fs, fe)
        if s.huge {
            // madvise_free_huge_pmd marks a whole THP lazyfree without splitting; the model
            // keeps it (a gap: refcount-discard cannot free it); a partial one is split.
            if lo == 0 && hi == 512 { return }
            s.huge = false
            s.pop = s.deposit ? .full : PageBits()
            s.deposit = false
        }
        let before = idealNeeds(b, s)
        var marked = s.pop
        marked.clear(0, lo)
        marked.clear(hi, 512)
        if !marked.isEmpty {
            lazy[b] = (lazy[b] ?? PageBits()) | marked
        }
        // Under memory pressure vmscan discards the lazyfree pages (try_to_unmap_one).
        if discardLazy && !hugetlb { try_to_free_user_pte(b, &s) }
        idealUpdate(b, &s, before: before)
        attributeLeftEmpty(b, before: before, s)
        blocks[b] = s
    }

    /// madvise_pageout (mm/madvise.c -> reclaim_pages): clean lazyfree pages are discarded
    /// (none); other anonymous pages become swap entries (still non-none). Under refcount the
    /// discard drops the count, so an emptied PTE page is freed whatever the lazyfree mode.
    mutating func madvise_pageout(_ ps: UInt64, _ pe: UInt64, vma: VMA) {
        guard ps < pe, !lazy.isEmpty, vma.isAnonymousPrivate else { return }
        let hugetlb = vma.isHugetlb
        forEachKnownBlock(ps >> 21, (pe - 1) >> 21) { st, b in st.madvise_pageout_block(b, ps, pe, hugetlb: hugetlb) }
    }

    @inline(__always)
    private mutating func madvise_pageout_block(_ b: UInt64, _ ps: UInt64, _ pe: UInt64, hugetlb: Bool) {
        guard var l = lazy[b], var s = blocks[b] else { return }
        let (lo, hi) = pageSpan(ofBlock: b, ps, pe)
        var dropped = l
        dropped.clear(0, lo)
        dropped.clear(hi, 512)
        if dropped.isEmpty { return }
        let before = idealNeeds(b, s)
        let wasPopulated = !s.pop.isEmpty
        s.pop = s.pop.subtracting(dropped)
        l = l.subtracting(dropped)
        lazy[b] = l.isEmpty ? nil : l
        // The discard drops the count to zero when it took the last entries.
        if wasPopulated && s.pop.isEmpty && !hugetlb { try_to_free_user_pte(b, &s) }
        idealUpdate(b, &s, before: before)
        attributeLeftEmpty(b, before: before, s)
        blocks[b] = s
    }
}
