// Policy `none`'s only way to free page tables, shared by every kernel policy: free_pgtables ->
// free_pgd_range (mm/memory.c) after munmap-type teardown. A PTE page goes iff its whole 2 MiB
// block lies in [floor, ceiling]; a PMD page iff its 1 GiB region does; a PUD page iff its
// 512 GiB region does. floor/ceiling are the nearest surviving VMAs' vm_end/vm_start.

import PTSupport
import PTTrace

extension PageTableState {
    /// Collects into keyScratch the keys of `dict` in [lo, hi), choosing between probing every
    /// key of the range and scanning the dictionary, whichever touches fewer entries.
    mutating func collectKeys<V>(_ map: U64Map<V>, _ lo: UInt64, _ hi: UInt64) {
        keyScratch.removeAll(keepingCapacity: true)
        guard hi > lo else { return }
        if hi - lo <= UInt64(map.count) &* 2 {
            var k = lo
            while k < hi {
                if map.contains(k) { keyScratch.append(k) }
                k += 1
            }
        } else {
            var found: [UInt64] = []
            map.forEach { k, _ in if k >= lo && k < hi { found.append(k) } }
            found.sort()
            keyScratch.append(contentsOf: found)
        }
    }

    /// free_pgd_range (mm/memory.c), with its floor/ceiling arithmetic kept as in the kernel
    /// (ceiling 0 = USER_PGTABLES_CEILING, the top; unsigned wrap-around comparisons).
    mutating func free_pgd_range(_ startAddr: UInt64, _ endAddr: UInt64, floor: UInt64, ceiling ceilingIn: UInt64) {
        var addr = startAddr & ~(pmdSize - 1)
        if addr < floor {
            addr &+= pmdSize
            if addr == 0 { return }
        }
        var ceiling = ceilingIn
        if ceiling != 0 {
            ceiling &= ~(pmdSize - 1)
            if ceiling == 0 { return }
        }
        var end = endAddr
        if end &- 1 > ceiling &- 1 { end &-= pmdSize }
        if addr > end &- 1 { return }

        // free_pte_range for every PMD entry in [addr, end).
        collectKeys(blocks, addr >> 21, ((end &- 1) >> 21) &+ 1)
        for k in keyScratch { free_pte_range(k) }

        // free_pmd_range's tail, once per PUD entry in [addr, end) that holds a PMD page.
        collectKeys(pmds, addr >> 30, ((end &- 1) >> 30) &+ 1)
        for r in keyScratch {
            let rStart = r << 30
            let subEnd = min(end, rStart &+ pudSize)  // pud_addr_end
            if tableBelowGoes(regionStart: rStart, subEnd: subEnd, floor: floor, ceiling: ceiling, size: pudSize) {
                free_pmd_page(r)
            }
        }

        // free_pud_range's tail, once per PGD entry (P4D folded on 4-level paging).
        collectKeys(puds, addr >> 39, ((end &- 1) >> 39) &+ 1)
        for g in keyScratch {
            let gStart = g << 39
            let subEnd = min(end, gStart &+ pgdirSize)
            if tableBelowGoes(regionStart: gStart, subEnd: subEnd, floor: floor, ceiling: ceiling, size: pgdirSize) {
                free_pud_page(g)
            }
        }
    }

    /// The test at the end of free_pmd_range / free_pud_range: `start &= MASK; if (start <
    /// floor) return; if (ceiling) { ceiling &= MASK; if (!ceiling) return; } if (end - 1 >
    /// ceiling - 1) return;` — the whole region lies between floor and ceiling.
    @inline(__always)
    private func tableBelowGoes(regionStart: UInt64, subEnd: UInt64, floor: UInt64, ceiling: UInt64, size: UInt64) -> Bool {
        if regionStart < floor { return false }
        var c = ceiling
        if c != 0 {
            c &= ~(size - 1)
            if c == 0 { return false }
        }
        return !(subEnd &- 1 > c &- 1)
    }

    /// free_pte_range (mm/memory.c): pmd_clear + pte_free_tlb for every kernel policy holding
    /// the PTE page. No VMA covers the block any more, so nothing in it can stay populated.
    mutating func free_pte_range(_ b: UInt64) {
        guard var s = blocks[b], s.tables != 0 || s.huge || !s.pop.isEmpty else { return }
        let before = idealNeeds(b, s)
        if !s.pop.isEmpty || s.huge {
            s.pop = PageBits()
            s.huge = false
            s.deposit = false
            if !lazy.isEmpty { lazy[b] = nil }
        }
        if s.tables & PolicyIndex.kernelMask != 0 {
            for i in PolicyIndex.kernel { pteFree(i, &s) }
        }
        idealUpdate(b, &s, before: before)
        blocks[b] = s
    }

    /// pud_clear + pmd_free_tlb: the PMD page of 1 GiB region r, for every kernel policy.
    mutating func free_pmd_page(_ r: UInt64) {
        guard let reg = pmds[r], reg.tables & PolicyIndex.kernelMask != 0 else { return }
        // The region lies wholly in the gap, so any PTE page the model still holds below is
        // freed with it (keeps the counts consistent).
        collectKeys(blocks, r << 9, (r &+ 1) << 9)
        for k in keyScratch where blocks[k]!.tables & PolicyIndex.kernelMask != 0 { free_pte_range(k) }
        var reg2 = pmds[r]!
        for i in PolicyIndex.kernel where reg2.tables & PolicyIndex.bit(i) != 0 {
            reg2.tables &= ~PolicyIndex.bit(i)
            pmd[i] &-= 1
        }
        pmds[r] = reg2
    }

    /// p4d_clear + pud_free_tlb: the PUD page of 512 GiB region g, for every kernel policy.
    mutating func free_pud_page(_ g: UInt64) {
        guard let reg = puds[g], reg.tables & PolicyIndex.kernelMask != 0 else { return }
        var regions: [UInt64] = []
        pmds.forEach { k, v in if k >> 9 == g && v.tables & PolicyIndex.kernelMask != 0 { regions.append(k) } }
        for k in regions { free_pmd_page(k) }
        var reg2 = puds[g]!
        for i in PolicyIndex.kernel where reg2.tables & PolicyIndex.bit(i) != 0 {
            reg2.tables &= ~PolicyIndex.bit(i)
            pud[i] &-= 1
        }
        puds[g] = reg2
    }
}
