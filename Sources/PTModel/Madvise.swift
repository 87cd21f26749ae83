// madvise (mm/madvise.c): madvise_walk_vmas applies the advice one VMA at a time, clipped to
// that VMA. Only the zapping advices touch entries; the flag advices split and merge VMAs
// (madvise_update_vma), which matters because a VMA boundary inside a block makes it
// ineligible for pt-reclaim.

/// Advice values (include/uapi/asm-generic/mman-common.h).
enum Advice {
    static let normal: UInt32 = 0, random: UInt32 = 1, sequential: UInt32 = 2, willneed: UInt32 = 3
    static let dontneed: UInt32 = 4, free: UInt32 = 8, remove: UInt32 = 9
    static let dontfork: UInt32 = 10, dofork: UInt32 = 11, mergeable: UInt32 = 12, unmergeable: UInt32 = 13
    static let hugepage: UInt32 = 14, nohugepage: UInt32 = 15, dontdump: UInt32 = 16, dodump: UInt32 = 17
    static let wipeonfork: UInt32 = 18, keeponfork: UInt32 = 19, cold: UInt32 = 20, pageout: UInt32 = 21
    static let populateRead: UInt32 = 22, populateWrite: UInt32 = 23, dontneedLocked: UInt32 = 24
    static let collapse: UInt32 = 25
    /// POSIX_MADV_DONTNEED, which glibc's posix_madvise ignores (no system call).
    static let posixDontneed: UInt32 = 4
}

extension PageTableState {
    /// madvise(start, length, advice) as the kernel applies it (also for each range of a
    /// process_madvise on the process itself).
    mutating func madvise(_ start: UInt64, _ length: UInt64, advice: UInt32) {
        let end = start &+ pageUp(length)
        guard end > start else { return }
        switch advice {
        case Advice.dontneed, Advice.dontneedLocked:
            madvise_walk_vmas(start, end) { st, zs, ze, v in st.zap_pte_range(zs, ze, vma: v, kind: .dontneed) }
        case Advice.free:
            madvise_walk_vmas(start, end) { st, zs, ze, v in
                if v.isAnonymousPrivate { st.madvise_free_pte_range(zs, ze, vma: v) }
            }
        case Advice.remove:
            madvise_walk_vmas(start, end) { st, zs, ze, v in
                if v.flags.contains(.shared) { st.zap_pte_range(zs, ze, vma: v, kind: .remove) }
            }
        case Advice.pageout:
            madvise_walk_vmas(start, end) { st, zs, ze, v in st.madvise_pageout(zs, ze, vma: v) }
        case Advice.populateRead, Advice.populateWrite:
            madvise_walk_vmas(start, end) { st, zs, ze, v in if v.prot != 0 { st.populate(zs, ze) } }
        case Advice.normal: vmas.modify(start, end) { $0.flags.subtract([.randRead, .seqRead]) }
        case Advice.random: vmas.modify(start, end) { $0.flags.subtract(.seqRead); $0.flags.insert(.randRead) }
        case Advice.sequential: vmas.modify(start, end) { $0.flags.subtract(.randRead); $0.flags.insert(.seqRead) }
        case Advice.dontfork: vmas.modify(start, end) { $0.flags.insert(.dontcopy) }
        case Advice.dofork: vmas.modify(start, end) { $0.flags.subtract(.dontcopy) }
        case Advice.mergeable: vmas.modify(start, end) { $0.flags.insert(.mergeable) }
        case Advice.unmergeable: vmas.modify(start, end) { $0.flags.subtract(.mergeable) }
        case Advice.hugepage: vmas.modify(start, end) { $0.flags.subtract(.nohugepage); $0.flags.insert(.hugepage) }
        case Advice.nohugepage: vmas.modify(start, end) { $0.flags.subtract(.hugepage); $0.flags.insert(.nohugepage) }
        case Advice.dontdump: vmas.modify(start, end) { $0.flags.insert(.dontdump) }
        case Advice.dodump: vmas.modify(start, end) { $0.flags.subtract(.dontdump) }
        case Advice.wipeonfork: vmas.modify(start, end) { if $0.isAnonymousPrivate { $0.flags.insert(.wipeonfork) } }
        case Advice.keeponfork: vmas.modify(start, end) { $0.flags.subtract(.wipeonfork) }
        default:
            // WILLNEED, COLD, COLLAPSE, guard markers, HWPOISON...: entries and tables unchanged
            // as far as the model can tell (see docs/model.md for what it does not capture).
            break
        }
    }

    /// madvise_walk_vmas: calls `visit` once per VMA intersecting [start, end), with the range
    /// clipped to that VMA. Holes are skipped (the kernel returns -ENOMEM but still advises the
    /// mapped parts).
    @inline(__always)
    mutating func madvise_walk_vmas(_ start: UInt64, _ end: UInt64,
                                    _ visit: (inout PageTableState, UInt64, UInt64, VMA) -> Void) {
        // The VMA of the previous madvise first (allocators advise the same arena over and
        // over): it is find_vma's answer iff its end is above start and its predecessor's is
        // not (ends ascend). Otherwise the binary search.
        var i = vmaHint
        if !(i < vmas.count && vmas.vmas[i].end > start && (i == 0 || vmas.vmas[i - 1].end <= start)) {
            i = vmas.firstIndex(endAbove: start)
        }
        vmaHint = i
        while i < vmas.count {
            let v = vmas.vmas[i]
            if v.start >= end { break }
            visit(&self, max(v.start, start), min(v.end, end), v)
            i += 1
        }
    }
}
