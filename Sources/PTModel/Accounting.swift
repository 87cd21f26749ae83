// Page-table memory over time, per policy: the current bytes, the peak, the time-weighted
// integral for the mean, and the state frozen at each snapshot ("final" is the last snapshot
// before exit teardown; without snapshots, the last event).

struct PolicyFigures {
    var bytes = SIMD4<UInt64>()
    var pte = SIMD4<UInt64>()
    var pmd = SIMD4<UInt64>()
    var pud = SIMD4<UInt64>()
}

struct Accounting {
    var started = false
    var startTime: UInt64 = 0
    var lastTime: UInt64 = 0
    /// Sum of bytes x nanoseconds per policy.
    var integral = SIMD4<Double>()
    var current = SIMD4<UInt64>()
    /// `current` as Doubles, converted only when it changes (advance runs on every event).
    var currentDouble = SIMD4<Double>()
    var peak = SIMD4<UInt64>()
    var atLastSnapshot: PolicyFigures?

    /// Integrates the current bytes up to time t (records are in time order).
    @inline(__always) mutating func advance(to t: UInt64) {
        if !started {
            started = true
            startTime = t
            lastTime = t
            return
        }
        guard t > lastTime else { return }
        let dt = Double(t - lastTime)
        integral += currentDouble * dt
        lastTime = t
    }

    /// Takes the model's counts after an event.
    @inline(__always) mutating func update(_ st: PageTableState) {
        let now = (st.pte &+ st.pmd &+ st.pud) &* pageSize
        if now != current {
            current = now
            currentDouble = SIMD4<Double>(Double(now[0]), Double(now[1]), Double(now[2]), Double(now[3]))
            peak = pointwiseMax(peak, now)
        }
    }

    /// The state just before a call, as its residency revealed it, counts toward the peak:
    /// those tables existed (a PTE page allocated by faults and freed by the call itself).
    @inline(__always) mutating func notePeak(_ st: PageTableState) {
        peak = pointwiseMax(peak, (st.pte &+ st.pmd &+ st.pud) &* pageSize)
    }

    func figuresNow(_ st: PageTableState) -> PolicyFigures {
        PolicyFigures(bytes: (st.pte &+ st.pmd &+ st.pud) &* pageSize, pte: st.pte, pmd: st.pmd, pud: st.pud)
    }

    func mean(_ i: Int) -> Double {
        let span = lastTime > startTime ? Double(lastTime - startTime) : 0
        return span > 0 ? integral[i] / span : Double(current[i])
    }
}
