// The rules by which a policy frees a block's PTE page while entries are zapped, one function
// each, named after the kernel function (or the seed patch's) it models, as mm/pt_reclaim.c
// splits them. free_pgtables's floor/ceiling rule (every policy, after munmap-type teardown)
// is free_pgd_range in FreePgtables.swift; ideal's "a PTE page iff a non-none entry" is
// idealUpdate in PageTableState.swift.
import PTSupport

extension PageTableState {
    /// mm/pt_reclaim.c reclaim_pt_is_enabled: PT_RECLAIM was asked for (only
    /// madvise_dontneed_single_vma sets zap_details.reclaim_pt: MADV_DONTNEED and
    /// MADV_DONTNEED_LOCKED) and the range zapped in one VMA covers the whole block
    /// (`end - start >= PMD_SIZE` per PMD range of zap_pte_range). The caller has checked the
    /// VMA is neither hugetlb nor VM_PFNMAP.
    @inline(__always) func reclaim_pt_is_enabled(_ kind: ZapKind, wholeBlock: Bool) -> Bool {
        kind == .dontneed && wholeBlock
    }

    /// mm/pt_reclaim.c try_to_free_pte (policy pt-reclaim): after the zap, the PTE page is
    /// freed iff all 512 entries are none.
    @inline(__always) mutating func try_to_free_pte(_ s: inout BlockState) {
        if s.pop.isEmpty { pteFree(PolicyIndex.ptReclaim, &s) }
    }

    /// The seed's try_to_free_user_pte (policy refcount; "Try to free user PTE page table
    /// pages", RFC 2022): the PTE page's count of non-none entries dropped to zero, whatever
    /// the zap's coverage. Lazyfree pages count as none once vmscan discards them
    /// (--lazyfree discard: effectivePop).
    @inline(__always) mutating func try_to_free_user_pte(_ b: UInt64, _ s: inout BlockState) {
        if effectivePop(b, s).isEmpty { pteFree(PolicyIndex.refcount, &s) }
    }

    /// What follows zap_pte_range on one block under each kernel policy (none: nothing; the
    /// munmap-type teardown is left to free_pgtables). `eligibleVMA`: not hugetlb, not
    /// VM_PFNMAP.
    @inline(__always)
    mutating func reclaimAfterZap(_ b: UInt64, _ s: inout BlockState, kind: ZapKind, wholeBlock: Bool, eligibleVMA: Bool) {
        guard kind != .unmap && eligibleVMA else { return }
        if reclaim_pt_is_enabled(kind, wholeBlock: wholeBlock) { try_to_free_pte(&s) }
        try_to_free_user_pte(b, &s)
    }

    /// zap_huge_pmd -> zap_deposited_table (mm/huge_memory.c): the deposited PTE page of an
    /// anonymous THP goes with its PMD entry, under every kernel policy.
    @inline(__always) mutating func zap_deposited_table(_ s: inout BlockState) {
        for i in PolicyIndex.kernel { pteFree(i, &s) }
    }

    /// Call-site attribution: the call left the block's PTE page allocated under `none` while
    /// `ideal` no longer needs it (it was needed before: `before`).
    @inline(__always) mutating func attributeLeftEmpty(_ b: UInt64, before: (pte: Bool, pmd: Bool), _ s: BlockState) {
        if before.pte && s.tables & PolicyIndex.noneBit != 0 && s.tables & PolicyIndex.idealBit == 0 {
            noteLeftEmpty(b)
        }
    }
}
