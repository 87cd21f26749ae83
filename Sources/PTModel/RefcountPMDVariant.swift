// Variant `refcount-pmd`: the seed's refcount policy plus a rule the seed's code does not have —
// a PMD page is freed as soon as no PTE page and no huge (PMD-mapped) block is left below it.
//
// Why it exists (docs/seed.md): the seed's cover letter reports VmPTE 96 kB after its headline
// test, below the ~51 PMD pages that the 50 GiB range alone holds. The series' own
// free_user_pte() (RFC 13/18, mm/pte_ref.c) clears one PMD entry, mm_dec_nr_ptes() and frees
// the PTE page — no PMD page is ever freed outside free_pgtables. `refcount` models that code;
// this variant measures the other reading of the figure, so the two can be set beside it.
//
// Evaluated once, on the model's state at the end of the replay (not tracked over time: the
// variant has final figures only). PUD pages are kept as refcount keeps them.

import PTSupport

/// Final figures of a variant policy (VmPTE-style bytes: PTE + PMD + PUD pages, 4 KiB each).
public struct VariantResult: Sendable, Equatable {
    public var finalBytes: UInt64 = 0
    public var ptePagesFinal: UInt64 = 0
    public var pmdPagesFinal: UInt64 = 0
    public var pudPagesFinal: UInt64 = 0
    public init() {}
}

/// The variants a replay reports beside the four policies, by name.
public enum Variant: String, CaseIterable, Sendable {
    /// refcount, and a PMD page freed when its last PTE page (or huge entry) goes.
    case refcountPMD = "refcount-pmd"
}

extension PageTableState {
    /// refcount's tables now, minus every PMD page that has nothing left below it.
    func refcountFreeingEmptyPMDs() -> VariantResult {
        let i = PolicyIndex.refcount
        let bit = PolicyIndex.refcountBit
        // 1 GiB regions that still map something under refcount: a PTE page or a huge entry.
        var live = U64Map<Bool>(blank: false)
        blocks.forEach { b, s in
            if s.tables & bit != 0 || s.huge { live[b >> blocksPerPMDRegionShift] = true }
        }
        var r = VariantResult()
        r.ptePagesFinal = pte[i]
        pmds.forEach { region, s in
            if s.tables & bit != 0 && live.contains(region) { r.pmdPagesFinal += 1 }
        }
        r.pudPagesFinal = pud[i]
        r.finalBytes = (r.ptePagesFinal + r.pmdPagesFinal + r.pudPagesFinal) * pageSize
        return r
    }
}
