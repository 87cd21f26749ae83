// Attribution of page-table effects to call sites (the leaf stack node of each call).

import PTSupport
import PTTrace

struct CallSiteAccum {
    var stack: UInt32
    var calls: UInt64 = 0
    var leftEmpty: UInt64 = 0
    var freed = SIMD4<UInt64>()
}

struct CallSiteTable {
    private var index = U64Map<Int>(blank: -1)
    private(set) var sites: [CallSiteAccum] = []
    private var lastStack: UInt32 = .max
    private var lastIndex = -1
    /// Block -> slot of the site whose call last left its PTE page empty: a page counts once,
    /// for the site of its latest emptying (so the figures add up to distinct pages).
    private var lastEmptier = U64Map<Int>(blank: -1)

    /// The site's slot for a call from `stack` (one-entry cache: calls come in runs).
    @inline(__always) mutating func slot(_ stack: UInt32) -> Int {
        if stack == lastStack { return lastIndex }
        let i: Int
        if let k = index[UInt64(stack)] { i = k } else {
            i = sites.count
            sites.append(CallSiteAccum(stack: stack))
            index[UInt64(stack)] = i
        }
        lastStack = stack
        lastIndex = i
        return i
    }

    @inline(__always) mutating func record(_ slot: Int, freed: SIMD4<UInt64>, leftEmpty: UInt64,
                                           blocks: [UInt64] = []) {
        sites[slot].calls &+= 1
        if leftEmpty != 0 || freed != SIMD4<UInt64>() {
            sites[slot].freed &+= freed
            sites[slot].leftEmpty &+= leftEmpty
            for b in blocks { lastEmptier[b] = slot }
        }
    }

    func results() -> [CallSiteResult] {
        var distinct = [UInt64](repeating: 0, count: sites.count)
        lastEmptier.forEach { _, slot in distinct[slot] &+= 1 }
        return sites.enumerated().sorted { $0.element.stack < $1.element.stack }.map { i, a in
            var r = CallSiteResult(stack: a.stack)
            r.calls = a.calls
            r.ptePageEmptyings = a.leftEmpty
            r.ptePagesLeftEmpty = distinct[i]
            for (k, p) in PolicyIndex.all.enumerated() { r.ptePagesFreed[p] = a.freed[k] }
            return r
        }
    }
}
