// Faults the model knows about without observing them: MAP_POPULATE and MADV_POPULATE_READ /
// MADV_POPULATE_WRITE fault in every page of the range (populate_vma_page_range, mm/gup.c).
import PTSupport

extension PageTableState {
    /// Faulting in every page of [ps, pe) (MAP_POPULATE, MADV_POPULATE_READ/WRITE ->
    /// populate_vma_page_range / faultin_page): each block gets its PTE page (__pte_alloc).
    mutating func populate(_ ps: UInt64, _ pe: UInt64) {
        guard ps < pe else { return }
        var b = ps >> 21
        // A real populate is bounded by RAM (plus zero-page reads); 2^17 blocks = 256 GiB per
        // call only keeps corrupt input from exhausting memory.
        let last = min((pe - 1) >> 21, b &+ (1 << 17) &- 1)
        while b <= last && blocks.count < 1 << 20 {
            let (lo, hi) = pageSpan(ofBlock: b, ps, pe)
            let known = blocks[b]
            if known?.huge != true {
                var pop = known?.pop ?? PageBits()
                pop.set(lo, hi)
                observe(b, pop: pop, huge: false)
            }
            b += 1
        }
    }
}
