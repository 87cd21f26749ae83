// The model's public face: what a replay produces. The report layer (PTReport) renders these
// values; it never looks inside the model.
import PTTrace

/// The page-table policies the model replays a trace under (see docs/model.md).
public enum Policy: String, CaseIterable, Sendable, Codable {
    /// Kernels without CONFIG_PT_RECLAIM: tables freed only by free_pgtables after unmapping.
    case none
    /// The rule merged in Linux 6.14: whole-block MADV_DONTNEED frees the empty PTE page.
    case ptReclaim = "pt-reclaim"
    /// The 2022 RFC (the seed): a reference count per PTE page, freed when it drops to zero.
    case refcount
    /// The physical limit: only blocks with a non-none entry hold a PTE page.
    case ideal
}

/// How `refcount` treats MADV_FREE'd (lazyfree) pages: kept mapped (no memory pressure) or
/// discarded by vmscan (pressure), which can empty a PTE page.
public enum LazyfreeMode: String, CaseIterable, Sendable, Codable {
    case keep, discard
}

public struct ReplayOptions: Sendable {
    public var lazyfree: LazyfreeMode
    /// When a snapshot shows that a whole 2 MiB block inside one anonymous VMA lost all its
    /// entries with no recorded call (glibc's malloc releases memory through its internal
    /// __madvise, which an LD_PRELOAD recorder cannot see), replay it as an unrecorded
    /// whole-block MADV_DONTNEED: pt-reclaim and refcount free the PTE page. See docs/model.md.
    public var inferUnrecordedZaps: Bool
    public init(lazyfree: LazyfreeMode = .keep, inferUnrecordedZaps: Bool = true) {
        self.lazyfree = lazyfree
        self.inferUnrecordedZaps = inferUnrecordedZaps
    }
}

/// Page-table memory over time under one policy. Bytes count as VmPTE counts them:
/// PTE + PMD + PUD pages, 4 KiB each.
public struct PolicyResult: Sendable, Equatable {
    public var finalBytes: UInt64 = 0
    public var peakBytes: UInt64 = 0
    /// Time-weighted mean over the trace's duration.
    public var meanBytes: Double = 0
    public var ptePagesFinal: UInt64 = 0
    public var pmdPagesFinal: UInt64 = 0
    public var pudPagesFinal: UInt64 = 0
    /// PTE pages this policy freed (by any rule, unmapping included).
    public var ptePagesFreed: UInt64 = 0
    /// PTE pages allocated again for a block whose PTE page this policy had freed (churn).
    public var ptePagesReallocated: UInt64 = 0
    public init() {}
}

/// The kernel's own VmPTE across the trace's snapshots.
public struct ObservedVmPTE: Sendable, Equatable {
    public var samples: Int
    public var firstBytes: UInt64
    public var peakBytes: UInt64
    public var finalBytes: UInt64
    public init(samples: Int, firstBytes: UInt64, peakBytes: UInt64, finalBytes: UInt64) {
        self.samples = samples
        self.firstBytes = firstBytes
        self.peakBytes = peakBytes
        self.finalBytes = finalBytes
    }
}

/// Model against kernel at one snapshot, for the policy the recording kernel runs.
public struct ValidationSample: Sendable, Equatable {
    public var time: UInt64
    public var observedBytes: UInt64
    public var modelBytes: UInt64
    /// (model + initial offset) - observed.
    public var errorBytes: Int64
    public init(time: UInt64, observedBytes: UInt64, modelBytes: UInt64, errorBytes: Int64) {
        self.time = time
        self.observedBytes = observedBytes
        self.modelBytes = modelBytes
        self.errorBytes = errorBytes
    }
}

public struct Validation: Sendable, Equatable {
    public var policy: Policy
    /// observed - model at the first snapshot: tables that existed before the recorder loaded.
    public var initialOffsetBytes: Int64
    public var samples: [ValidationSample]
    public var maxAbsErrorBytes: UInt64 {
        samples.map { $0.errorBytes.magnitude }.max() ?? 0
    }
    public var finalErrorBytes: Int64 { samples.last?.errorBytes ?? 0 }
    public init(policy: Policy, initialOffsetBytes: Int64, samples: [ValidationSample]) {
        self.policy = policy
        self.initialOffsetBytes = initialOffsetBytes
        self.samples = samples
    }
}

/// Page-table memory attributed to one call stack (leaf stack node number).
public struct CallSiteResult: Sendable, Equatable {
    public var stack: UInt32
    public var calls: UInt64 = 0
    /// Distinct PTE pages this site's calls left empty-but-allocated under `none` (what
    /// `ideal` would free), each page counted once, for the site that emptied it last; and
    /// what each policy freed at this site.
    public var ptePagesLeftEmpty: UInt64 = 0
    /// Times this site's calls left a PTE page empty (a page emptied, refilled and emptied
    /// again counts each time): activity, not memory.
    public var ptePageEmptyings: UInt64 = 0
    public var ptePagesFreed: [Policy: UInt64] = [:]
    public init(stack: UInt32) { self.stack = stack }
}

public struct ReplayResult: Sendable {
    public var options: ReplayOptions
    /// Policy of the recording kernel (header `kernel_policy`), nil when unknown.
    public var kernelPolicy: Policy?
    public var policies: [Policy: PolicyResult]
    /// nil when the trace has no snapshot.
    public var observed: ObservedVmPTE?
    /// nil when the trace has no snapshot or the kernel policy is unknown.
    public var validation: Validation?
    /// Mappings that appeared or vanished between snapshots with no recorded call
    /// (glibc's internal calls, thread stacks, the recorder's own windows).
    public var unrecordedMappings: Int
    /// Blocks that emptied with no recorded call inside one anonymous private VMA, replayed as
    /// an unrecorded whole-block MADV_DONTNEED (`inferredZaps`) or as vmscan discarding
    /// lazyfree pages (`inferredLazyfreeDiscards`); 0 with inferUnrecordedZaps off.
    public var inferredZaps: UInt64 = 0
    public var inferredLazyfreeDiscards: UInt64 = 0
    /// Variant policies, final figures only (RefcountPMDVariant.swift).
    public var variants: [Variant: VariantResult] = [:]
    public var callSites: [CallSiteResult]
    public init(options: ReplayOptions, kernelPolicy: Policy?, policies: [Policy: PolicyResult],
                observed: ObservedVmPTE?, validation: Validation?, unrecordedMappings: Int,
                callSites: [CallSiteResult]) {
        self.options = options
        self.kernelPolicy = kernelPolicy
        self.policies = policies
        self.observed = observed
        self.validation = validation
        self.unrecordedMappings = unrecordedMappings
        self.callSites = callSites
    }
}

/// Streaming replay: feed records in file order, then finish. Memory is proportional to the
/// blocks the trace touches, not to its length.
public protocol TraceReplaying {
    mutating func consume(_ record: TraceRecord)
    func finish() -> ReplayResult
}
