// Reconciling the model with a snapshot, the full truth at one instant: the kernel's own VMA
// list (/proc/self/maps) and the populated pages of every mapping (pagemap).
import PTSupport
import PTTrace

/// User-space addresses end below the non-canonical hole; [vsyscall] lives above it and has no
/// page tables of the process's own.
private let userSpaceTop: UInt64 = 0x8000_0000_0000

extension PageTableState {
    /// Applies mapping changes no recorded call explains (glibc's internal __mmap/__munmap,
    /// thread stacks, the recorder's own file windows): a vanished range is unmapped with the
    /// munmap rules (floor and ceiling from the snapshot's surviving mappings), an appeared one
    /// is mapped. Then adopts the kernel's VMA layout and sets the population to the snapshot's.
    /// Returns the number of unrecorded changes (ranges that appeared or vanished).
    mutating func reconcile(with snapshot: Snapshot) -> Int {
        var maps = snapshot.mappings.filter { $0.start < $0.end && $0.end <= userSpaceTop }
        if !zip(maps, maps.dropFirst()).allSatisfy({ $0.start <= $1.start }) { maps.sort { $0.start < $1.start } }

        // Coverage of both sides as maximal intervals, then the differences.
        let snapCover = PageTableState.coalesce(maps.map { ($0.start, $0.end) })
        let modelCover = PageTableState.coalesce(vmas.vmas.map { ($0.start, $0.end) })
        let vanished = PageTableState.subtract(modelCover, snapCover)
        let appeared = PageTableState.subtract(snapCover, modelCover)

        // Vanished ranges: munmap rules against the snapshot's surviving mappings.
        for (vs, ve) in vanished {
            let below = maps.last { $0.end <= vs }
            let above = maps.first { $0.start >= ve }
            unmap_region(vs, ve, floor: below?.end ?? 0, ceiling: above?.start ?? 0)
        }

        // Adopt the kernel's layout, keeping what the model knows of each VMA's flags.
        var list = ContiguousArray<VMA>()
        list.reserveCapacity(maps.count)
        for m in maps {
            let prot = m.perms & 7
            if let known = vmas.find(m.start) {
                var v = known
                v.pgoff = known.pgoff &+ ((m.start - known.start) >> pageShift)
                v.start = m.start
                v.end = m.end
                v.prot = prot
                list.append(v)
            } else {
                list.append(PageTableState.vmaFromSnapshot(m))
            }
        }
        vmas.replaceAll(list)

        // Population = snapshot truth.
        var truth: [UInt64: (pop: PageBits, huge: Bool)] = [:]
        // A real process cannot have more populated pages than RAM plus swap; the bound only
        // keeps corrupt input from exhausting memory.
        var budget: UInt64 = 1 << 28
        for m in maps where budget > 0 {
            let base = m.start >> pageShift
            let limit = m.end >> pageShift
            for r in m.runs where r.count > 0 && r.start < limit - base {
                // Runs are clipped to their mapping: corrupt input cannot make them unbounded.
                var p = base + r.start
                let pEnd = p + min(r.count, limit - p, budget)
                budget -= pEnd - p
                while p < pEnd {
                    let b = p >> 9
                    let lo = Int(p & 511)
                    let hi = Int(min(pEnd - (b << 9), 512))
                    var entry = truth[b] ?? (PageBits(), false)
                    entry.pop.set(lo, hi)
                    if r.huge { entry.huge = true }
                    truth[b] = entry
                    p = (b &+ 1) << 9
                }
            }
        }
        var emptied: [UInt64] = []
        blocks.forEach { b, s in if (!s.pop.isEmpty || s.huge) && truth[b] == nil { emptied.append(b) } }
        for b in emptied { populationVanished(b) }
        for (b, t) in truth { observe(b, pop: t.pop, huge: t.huge) }
        return vanished.count + appeared.count
    }

    /// A block the model believed populated shows no entry in the snapshot, and no recorded
    /// call explains it. The kernel policies keep its tables (nothing recorded freed them) and
    /// ideal drops them — except where the cause can be inferred, inside one anonymous private
    /// VMA (where only a zap or vmscan's discard of lazyfree pages makes entries none):
    /// - all vanished pages were lazyfree: vmscan discarded them (try_to_unmap_one); refcount
    ///   frees the PTE page, the others keep it;
    /// - otherwise an unrecorded zap (glibc's internal __madvise(MADV_DONTNEED) in malloc_trim
    ///   and heap shrinking): replayed as one whole-block MADV_DONTNEED (zap_pte_range +
    ///   try_to_free_pte); an anonymous THP's deposited table goes under every policy.
    mutating func populationVanished(_ b: UInt64) {
        guard let s = blocks[b], !s.pop.isEmpty || s.huge else { return }
        guard inferUnrecordedZaps, let v = vmas.find(blockStart(b)),
              v.isAnonymousPrivate, !v.isHugetlb, !v.flags.contains(.pfnmap),
              v.start <= blockStart(b), v.end >= blockStart(b) &+ pmdSize
        else {
            observe(b, pop: PageBits(), huge: false)
            return
        }
        let onlyLazy = !s.huge && s.pop.subtracting(lazy[b] ?? PageBits()).isEmpty
        let wasDeposit = s.huge && s.deposit
        observe(b, pop: PageBits(), huge: false)
        var t = blocks[b]!
        if onlyLazy {
            // vmscan's discard (try_to_unmap_one) took the last entries: the seed's count.
            inferredLazyfreeDiscards += 1
            try_to_free_user_pte(b, &t)
        } else {
            // One whole-block MADV_DONTNEED inside an eligible VMA.
            inferredZaps += 1
            if wasDeposit { zap_deposited_table(&t) }
            reclaimAfterZap(b, &t, kind: .dontneed, wholeBlock: true, eligibleVMA: true)
        }
        blocks[b] = t
    }

    /// A VMA for a mapping the model never saw created.
    static func vmaFromSnapshot(_ m: SnapshotMapping) -> VMA {
        var f: VMAFlags = []
        if m.perms & 8 != 0 { f.insert(.shared) }
        let path = m.path ?? ""
        let anonymousName = path.isEmpty || path.hasPrefix("[heap]") || path.hasPrefix("[stack")
            || path.hasPrefix("[anon:")
        if !anonymousName || f.contains(.shared) { f.insert(.file) }
        if path.contains("anon_hugepage") { f.insert(.hugetlb) }
        if path.hasPrefix("[vvar") || path.hasPrefix("[vdso") { f.insert(.pfnmap) }
        let pgoff = f.contains(.file) ? m.offset >> pageShift : m.start >> pageShift
        return VMA(start: m.start, end: m.end, prot: m.perms & 7, flags: f, pgoff: pgoff)
    }

    /// Sorted intervals -> maximal disjoint intervals.
    static func coalesce(_ iv: [(UInt64, UInt64)]) -> [(UInt64, UInt64)] {
        var out: [(UInt64, UInt64)] = []
        for (s, e) in iv {
            if let last = out.last, s <= last.1 { out[out.count - 1].1 = max(last.1, e) } else { out.append((s, e)) }
        }
        return out
    }

    /// a minus b, both sorted maximal intervals.
    static func subtract(_ a: [(UInt64, UInt64)], _ b: [(UInt64, UInt64)]) -> [(UInt64, UInt64)] {
        var out: [(UInt64, UInt64)] = []
        var j = 0
        for (s0, e) in a {
            var s = s0
            while j < b.count && b[j].1 <= s { j += 1 }
            var k = j
            while s < e {
                if k >= b.count || b[k].0 >= e { out.append((s, e)); break }
                if b[k].0 > s { out.append((s, b[k].0)) }
                s = max(s, b[k].1)
                k += 1
            }
        }
        return out
    }
}
