// The replay: feeds decoded records through the address-space and page-table model under the
// four policies at once, and accounts for page-table memory over time.
import PTSupport
import PTTrace

public struct Replayer: TraceReplaying {
    public let options: ReplayOptions
    var model: PageTableState
    var accounting = Accounting()
    var sites = CallSiteTable()
    var validation = ValidationTracker()
    var unrecorded = 0
    var sawSnapshot = false

    public init(options: ReplayOptions = ReplayOptions()) {
        self.options = options
        self.model = PageTableState(discardLazy: options.lazyfree == .discard)
        self.model.inferUnrecordedZaps = options.inferUnrecordedZaps
    }

    /// Same, fed the trace's HEADER first (TraceReader consumes it in init and exposes it as
    /// `reader.header` rather than returning it from next()); the header names the recording
    /// kernel's policy, which validation needs.
    public init(options: ReplayOptions = ReplayOptions(), header: TraceHeader) {
        self.init(options: options)
        consume(.header(header))
    }

    /// Any record. A `.call` carrying an owning `residency` is replayed through a view of it:
    /// the model has one lane, consume(_:residency:).
    public mutating func consume(_ record: TraceRecord) {
        switch record {
        case .call(let call):
            if let r = call.residency {
                r.withView { consume(call, residency: $0) }
            } else {
                consume(call, residency: nil)
            }
        case .snapshot(let snap):
            accounting.advance(to: snap.time)
            let changes = model.reconcile(with: snap)
            // The first snapshot shows what existed before recording began: not unrecorded.
            if sawSnapshot { unrecorded += changes }
            sawSnapshot = true
            accounting.update(model)
            accounting.atLastSnapshot = accounting.figuresNow(model)
            validation.sample(time: snap.time, vmPTEKiB: snap.vmPTEKiB, model: model)
        case .header(let h):
            switch h.kernelPolicy {
            case "pt-reclaim": validation.policy = .ptReclaim
            case "none": validation.policy = Policy.none
            default: validation.policy = nil
            }
        case .fork(let t, _), .exec(let t, _), .execFailed(let t, _):
            accounting.advance(to: t)
        case .trailer(let t):
            accounting.advance(to: t.time)
        case .stack, .module, .lost:
            break
        }
    }

    /// A call as TraceReader.nextEvent leaves it (`reader.call`), with its residency as a view
    /// of the reader's arena (`reader.callResidency`).
    public mutating func consume(_ call: Call, residency: ResidencyView?) {
        accounting.advance(to: call.time)
        let slot = sites.slot(call.stack)
        // The residency is the population just before the call, whether or not it succeeded.
        if let r = residency {
            observeResidency(r)
            accounting.notePeak(model)
        }
        // Only the call's own effects are its site's (not frees inferred from its residency).
        model.callFreed = SIMD4<UInt64>()
        model.callLeftEmpty = 0
        if !model.callLeftEmptyBlocks.isEmpty { model.callLeftEmptyBlocks.removeAll(keepingCapacity: true) }
        if !call.failed || madviseStillApplied(call) { apply(call.kind) }
        sites.record(slot, freed: model.callFreed, leftEmpty: model.callLeftEmpty,
                     blocks: model.callLeftEmptyBlocks)
        accounting.update(model)
    }

    /// madvise over a range with holes fails with ENOMEM after advising every mapped part
    /// (madvise_walk_vmas); other failures changed nothing.
    private func madviseStillApplied(_ call: Call) -> Bool {
        guard call.errno == 12 else { return false }
        if case .madvise = call.kind { return true }
        return false
    }

    /// Learns the pre-call population of every enclosing block; listed blocks are populated,
    /// the others have no populated page.
    @inline(__always)
    private mutating func observeResidency(_ r: ResidencyView) {
        var next = r.firstBlock
        let end = r.firstBlock &+ r.blockCount
        var blocks = r.blocks
        while let entry = blocks.next() {
            if entry.block > next { observeEmpty(next, entry.block) }
            if entry.huge {
                model.observe(entry.block, pop: .full, huge: true)
            } else {
                model.observe(entry.block, pop: PageBits(wordsAt: entry.wordsAt), huge: false)
            }
            next = entry.block &+ 1
        }
        if next < end { observeEmpty(next, end) }
    }

    private mutating func observeEmpty(_ lo: UInt64, _ hi: UInt64) {
        if model.blocks.isEmpty { return }
        model.collectKeys(model.blocks, lo, hi)
        let keys = model.keyScratch
        // A block the model believed populated that the residency shows empty lost its entries
        // with no recorded call: the same inference as at snapshots.
        for b in keys { model.populationVanished(b) }
    }

    @inline(__always)
    private mutating func apply(_ kind: CallKind) {
        switch kind {
        case let .madvise(address, length, advice, posix):
            if posix && advice == Advice.posixDontneed { return }   // glibc ignores it
            model.madvise(address, length, advice: advice)
        case let .munmap(address, length):
            model.do_vmi_align_munmap(address, address &+ pageUp(length))
        case let .mmap(_, length, prot, flags, fd, offset, _, result):
            if model.mmap_region(address: result, length: length, prot: prot, flags: flags, fd: fd, offset: offset) {
                unrecorded += 1
            }
        case let .mremap(oldAddress, oldLength, newLength, flags, _, result):
            model.mremap(old: oldAddress, oldLength: oldLength, newLength: newLength, flags: flags, result: result)
        case let .mprotect(address, length, prot, _):
            model.mprotect_fixup(address, length, prot: prot)
        case let .brk(_, oldBreak, newBreak):
            model.brk(oldBreak: oldBreak, newBreak: newBreak)
        case let .sbrk(_, newBreak, result):
            model.brk(oldBreak: result, newBreak: newBreak)
        case let .processMadvise(_, advice, _, ranges, result):
            // The recorder cannot tell a pidfd of the process itself from another's; the model
            // assumes itself and applies ranges in order up to the bytes the kernel advised.
            var left = result
            for r in ranges where left > 0 {
                let len = min(r.length, left)
                model.madvise(r.address, len, advice: advice)
                left -= min(left, pageUp(r.length))
            }
        }
    }

    public func finish() -> ReplayResult {
        var results: [Policy: PolicyResult] = [:]
        let now = accounting.figuresNow(model)
        let fin = accounting.atLastSnapshot ?? now
        for (i, p) in PolicyIndex.all.enumerated() {
            var r = PolicyResult()
            r.finalBytes = fin.bytes[i]
            r.peakBytes = max(accounting.peak[i], now.bytes[i])
            r.meanBytes = accounting.mean(i)
            r.ptePagesFinal = fin.pte[i]
            r.pmdPagesFinal = fin.pmd[i]
            r.pudPagesFinal = fin.pud[i]
            r.ptePagesFreed = model.freed[i]
            r.ptePagesReallocated = model.reallocated[i]
            results[p] = r
        }
        var result = ReplayResult(options: options, kernelPolicy: validation.policy,
                                  policies: results, observed: validation.observed,
                                  validation: validation.validation,
                                  unrecordedMappings: unrecorded, callSites: sites.results())
        result.inferredZaps = model.inferredZaps
        result.inferredLazyfreeDiscards = model.inferredLazyfreeDiscards
        result.variants[.refcountPMD] = model.refcountFreeingEmptyPMDs()
        return result
    }
}

extension Replayer {
    /// Page-table bytes of a policy right now (VmPTE-style), for tools and tests that follow a
    /// replay event by event.
    public func currentBytes(_ policy: Policy) -> UInt64 { model.bytes(PolicyIndex.index(policy)) }

    /// PTE, PMD and PUD pages a policy holds right now.
    public func currentPages(_ policy: Policy) -> (pte: UInt64, pmd: UInt64, pud: UInt64) {
        let i = PolicyIndex.index(policy)
        return (model.pte[i], model.pmd[i], model.pud[i])
    }

    /// Number of VMAs in the model right now.
    public var vmaCount: Int { model.vmas.count }
}
