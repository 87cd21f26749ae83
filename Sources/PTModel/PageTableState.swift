// The model's state: the VMA tree shared by every policy, the population learned per touched
// 2 MiB block, and each policy's own set of allocated PTE/PMD/PUD pages. Memory grows with the
// blocks and regions the trace touches, never with the address space or the number of events.

import PTSupport
import PTTrace

/// One 2 MiB block: its learned population and which policies hold a PTE page for it.
struct BlockState {
    /// Non-none entries as last learned (residency, snapshot) and updated by modelled calls.
    var pop = PageBits()
    /// Bit per policy (PolicyIndex): holds a PTE page (or, for a THP, the deposited one).
    var tables: UInt8 = 0
    /// Bit per policy: this policy freed the block's PTE page at least once (for churn).
    var everFreed: UInt8 = 0
    /// Mapped by one PMD entry (THP or hugetlb); `pop` is then full.
    var huge = false
    /// The huge mapping keeps a deposited PTE page (anonymous THP: pgtable_trans_huge_deposit).
    var deposit = false
}

/// One PMD page's 1 GiB region (or one PUD page's 512 GiB region).
struct RegionState {
    /// Bit per policy: holds the PMD (PUD) page.
    var tables: UInt8 = 0
    /// ideal: number of populated blocks (ideal PMD pages) below it.
    var idealUsers: UInt32 = 0
}

struct PageTableState {
    var vmas = VMATree()
    var blocks = U64Map<BlockState>(blank: BlockState(), capacityLog2: 10)
    /// Lazyfree (MADV_FREE'd, not zapped since) pages per block; only blocks that had some.
    var lazy = U64Map<PageBits>(blank: PageBits())
    var pmds = U64Map<RegionState>(blank: RegionState())
    var puds = U64Map<RegionState>(blank: RegionState())
    /// refcount under memory pressure: lazyfree pages count as discarded (none).
    let discardLazy: Bool
    /// See ReplayOptions.inferUnrecordedZaps.
    var inferUnrecordedZaps = true
    /// Blocks emptied with no recorded call whose cause was inferred (populationVanished):
    /// reported, so a reader can tell how much of the agreement rests on the inference.
    var inferredZaps: UInt64 = 0
    var inferredLazyfreeDiscards: UInt64 = 0

    // Per-policy counters, indexed by PolicyIndex.
    var pte = SIMD4<UInt64>()
    var pmd = SIMD4<UInt64>()
    var pud = SIMD4<UInt64>()
    var freed = SIMD4<UInt64>()
    var reallocated = SIMD4<UInt64>()

    /// Attribution of the call being replayed: PTE pages freed per policy, and blocks it left
    /// empty but allocated under `none`.
    var callFreed = SIMD4<UInt64>()
    var callLeftEmpty: UInt64 = 0
    /// The blocks behind callLeftEmpty, so a site's distinct PTE pages can be counted.
    var callLeftEmptyBlocks: [UInt64] = []

    @inline(__always) mutating func noteLeftEmpty(_ b: UInt64) {
        callLeftEmpty += 1
        callLeftEmptyBlocks.append(b)
    }

    /// Index of the VMA the last madvise started in: a guess, checked before use.
    var vmaHint = 0
    /// Reused buffers, so the hot path allocates nothing.
    var detachedScratch = ContiguousArray<VMA>()
    var keyScratch: [UInt64] = []

    init(discardLazy: Bool) { self.discardLazy = discardLazy }

    /// VmPTE-style bytes of policy i: 4 KiB per PTE, PMD and PUD page (mm_pgtables_bytes).
    @inline(__always) func bytes(_ i: Int) -> UInt64 { (pte[i] &+ pmd[i] &+ pud[i]) &* pageSize }

    // MARK: population as refcount and ideal see it

    /// The block's population minus, under memory pressure, its lazyfree pages (vmscan's
    /// try_to_unmap_one discards clean lazyfree pages).
    @inline(__always) func effectivePop(_ b: UInt64, _ s: BlockState) -> PageBits {
        if !discardLazy || lazy.isEmpty || s.huge { return s.pop }
        guard let l = lazy[b] else { return s.pop }
        return s.pop.subtracting(l)
    }

    /// What the block needs under ideal: a PTE page iff a non-none entry (or a deposited table
    /// under an anonymous THP); a PMD page above it iff anything is mapped.
    @inline(__always) func idealNeeds(_ b: UInt64, _ s: BlockState) -> (pte: Bool, pmd: Bool) {
        if s.huge { return (s.deposit, true) }
        let any = !effectivePop(b, s).isEmpty
        return (any, any)
    }

    // MARK: allocation (__pte_alloc -> pmd_install, __pmd_alloc, __pud_alloc in mm/memory.c)

    /// __pte_alloc / pmd_install for kernel policy i (none, pt-reclaim, refcount).
    @inline(__always) mutating func pteAlloc(_ i: Int, _ b: UInt64, _ s: inout BlockState) {
        let bit = PolicyIndex.bit(i)
        guard s.tables & bit == 0 else { return }
        s.tables |= bit
        pte[i] &+= 1
        if s.everFreed & bit != 0 { reallocated[i] &+= 1 }
        pmdAlloc(i, b >> blocksPerPMDRegionShift)
    }

    /// __pmd_alloc (and __pud_alloc above it) for kernel policy i.
    @inline(__always) mutating func pmdAlloc(_ i: Int, _ region: UInt64) {
        pmdAlloc(bits: PolicyIndex.bit(i), region)
    }

    /// pteAlloc for every kernel policy in `bits` at once (one lookup per map, not one per
    /// policy; the counts are per policy, so the order does not matter).
    @inline(__always) mutating func pteAlloc(bits: UInt8, _ b: UInt64, _ s: inout BlockState) {
        let new = bits & ~s.tables
        guard new != 0 else { return }
        s.tables |= new
        pte &+= PolicyIndex.lanes(new)
        if s.everFreed & new != 0 { reallocated &+= PolicyIndex.lanes(s.everFreed & new) }
        pmdAlloc(bits: new, b >> blocksPerPMDRegionShift)
    }

    /// pmdAlloc for every policy in `bits` at once.
    @inline(__always) mutating func pmdAlloc(bits: UInt8, _ region: UInt64) {
        // Usually the region holds them all already: one read-only probe, no write.
        if let i = pmds.index(of: region), pmds.value(at: i).tables & bits == bits { return }
        var added: UInt8 = 0
        pmds[region, default: RegionState()].setBits(bits, added: &added)
        guard added != 0 else { return }
        pmd &+= PolicyIndex.lanes(added)
        var pudAdded: UInt8 = 0
        puds[region >> 9, default: RegionState()].setBits(added, added: &pudAdded)
        if pudAdded != 0 { pud &+= PolicyIndex.lanes(pudAdded) }
    }

    /// Frees kernel policy i's PTE page for the block (free_pte_range, try_to_free_pte, ...).
    @inline(__always) mutating func pteFree(_ i: Int, _ s: inout BlockState) {
        let bit = PolicyIndex.bit(i)
        guard s.tables & bit != 0 else { return }
        s.tables &= ~bit
        s.everFreed |= bit
        pte[i] &-= 1
        freed[i] &+= 1
        callFreed[i] &+= 1
    }

    /// Makes sure every kernel policy holds the tables the block's population requires: a
    /// populated block must have a PTE page (an observed __pte_alloc if the model lacked it),
    /// a PMD page and a PUD page above it.
    @inline(__always) mutating func requireKernelTables(_ b: UInt64, _ s: inout BlockState) {
        if s.huge {
            if s.deposit { pteAlloc(bits: PolicyIndex.kernelMask, b, &s) }
            else { pmdAlloc(bits: PolicyIndex.kernelMask, b >> blocksPerPMDRegionShift) }
            return
        }
        if s.pop.isEmpty { return }
        // none and pt-reclaim need the page for any entry (lazyfree ones included).
        var need = PolicyIndex.noneBit | PolicyIndex.ptReclaimBit
        // refcount needs it unless every entry is lazyfree and discarded (--lazyfree discard).
        if s.tables & PolicyIndex.refcountBit == 0 && !effectivePop(b, s).isEmpty { need |= PolicyIndex.refcountBit }
        pteAlloc(bits: need, b, &s)
    }

    // MARK: ideal

    /// Keeps ideal in step after the block's population changed: a PTE page iff needed, PMD
    /// and PUD pages iff some block below needs one.
    @inline(__always) mutating func idealUpdate(_ b: UInt64, _ s: inout BlockState, before: (pte: Bool, pmd: Bool)) {
        let after = idealNeeds(b, s)
        let i = PolicyIndex.ideal, bit = PolicyIndex.idealBit
        if before.pte != after.pte || (s.tables & bit != 0) != after.pte {
            if after.pte {
                if s.tables & bit == 0 {
                    s.tables |= bit
                    pte[i] &+= 1
                    if s.everFreed & bit != 0 { reallocated[i] &+= 1 }
                }
            } else if s.tables & bit != 0 {
                s.tables &= ~bit
                s.everFreed |= bit
                pte[i] &-= 1
                freed[i] &+= 1
                callFreed[i] &+= 1
            }
        }
        if before.pmd != after.pmd { idealRegionUser(b >> blocksPerPMDRegionShift, after.pmd ? 1 : -1) }
    }

    private mutating func idealRegionUser(_ region: UInt64, _ delta: Int32) {
        let i = PolicyIndex.ideal, bit = PolicyIndex.idealBit
        var became = 0  // +1: first user, -1: last user gone
        pmds[region, default: RegionState()].addUsers(delta, bit: bit, became: &became)
        if became == 0 { return }
        pmd[i] = became > 0 ? pmd[i] &+ 1 : pmd[i] &- 1
        var pudBecame = 0
        puds[region >> 9, default: RegionState()].addUsers(Int32(became), bit: bit, became: &pudBecame)
        if pudBecame != 0 { pud[i] = pudBecame > 0 ? pud[i] &+ 1 : pud[i] &- 1 }
    }

    /// Calls body for every block in first...last that the model knows, ascending: a direct
    /// walk for small ranges, the known keys for large ones (a 64 TiB PROT_NONE reservation
    /// must not cost 2^25 probes).
    @inline(__always)
    mutating func forEachKnownBlock(_ first: UInt64, _ last: UInt64, _ body: (inout PageTableState, UInt64) -> Void) {
        guard first <= last else { return }
        if last - first < 64 || last - first < UInt64(blocks.count) {
            var b = first
            while true {
                body(&self, b)
                if b == last { break }
                b += 1
            }
        } else {
            var keys: [UInt64] = []
            blocks.forEach { k, _ in if k >= first && k <= last { keys.append(k) } }
            keys.sort()
            for k in keys { body(&self, k) }
        }
    }

    // MARK: population changes

    /// Sets a block's population to what an observation (residency, snapshot) showed: allocates
    /// the tables it requires under every policy; tables of pages that vanished stay under the
    /// kernel policies (nothing recorded freed them) and go under ideal.
    mutating func observe(_ b: UInt64, pop: PageBits, huge: Bool) {
        guard let at = blocks.index(of: b) else {
            if pop.isEmpty && !huge { return }  // nothing known, nothing there: no state needed
            var fresh = BlockState()
            observeInto(b, &fresh, pop: pop, huge: huge)
            blocks[b] = fresh
            return
        }
        var s = blocks.value(at: at)
        // Unchanged population (the common case) changes nothing.
        if !huge && !s.huge && s.pop == pop { return }
        observeInto(b, &s, pop: pop, huge: huge)
        blocks.setValue(s, at: at)  // observeInto adds no block
    }

    private mutating func observeInto(_ b: UInt64, _ s: inout BlockState, pop: PageBits, huge: Bool) {
        let before = idealNeeds(b, s)
        if huge {
            s.huge = true
            s.pop = .full
            s.deposit = vmas.find(blockStart(b)).map { $0.isAnonymousPrivate && !$0.isHugetlb } ?? false
            if !lazy.isEmpty { lazy[b] = nil }
        } else {
            s.huge = false
            s.deposit = false
            if !lazy.isEmpty, let li = lazy.index(of: b) {  // one probe (see zap_pte_block)
                let l = lazy.value(at: li)
                if !l.isEmpty { lazy.setValue(l & pop, at: li) }
            }
            s.pop = pop
        }
        requireKernelTables(b, &s)
        idealUpdate(b, &s, before: before)
    }
}

extension RegionState {
    @inline(__always) mutating func setBits(_ bits: UInt8, added: inout UInt8) {
        added = bits & ~tables
        tables |= bits
    }

    @inline(__always) mutating func setBit(_ bit: UInt8, added: inout Bool) {
        added = tables & bit == 0
        tables |= bit
    }

    @inline(__always) mutating func addUsers(_ delta: Int32, bit: UInt8, became: inout Int) {
        let old = idealUsers
        idealUsers = UInt32(clamping: Int64(idealUsers) + Int64(delta))
        if old == 0 && idealUsers > 0 { tables |= bit; became = 1 }
        else if old > 0 && idealUsers == 0 { tables &= ~bit; became = -1 }
    }
}
