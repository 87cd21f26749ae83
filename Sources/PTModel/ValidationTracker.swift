// The kernel as oracle: at every snapshot, the model's bytes for the recording kernel's policy
// against the VmPTE the kernel reported (after subtracting the offset at the first snapshot:
// tables that existed before the recorder loaded, e.g. the loader's and libc's).

struct ValidationTracker {
    var policy: Policy?
    var observed: ObservedVmPTE?
    var offset: Int64 = 0
    var samples: [ValidationSample] = []

    mutating func sample(time: UInt64, vmPTEKiB: UInt64, model: PageTableState) {
        let observedBytes = vmPTEKiB &* 1024
        if var o = observed {
            o.samples += 1
            o.peakBytes = max(o.peakBytes, observedBytes)
            o.finalBytes = observedBytes
            observed = o
        } else {
            observed = ObservedVmPTE(samples: 1, firstBytes: observedBytes, peakBytes: observedBytes,
                                     finalBytes: observedBytes)
        }
        guard let p = policy else { return }
        let modelBytes = model.bytes(PolicyIndex.index(p))
        if samples.isEmpty { offset = Int64(bitPattern: observedBytes) &- Int64(bitPattern: modelBytes) }
        let error = Int64(bitPattern: modelBytes) &+ offset &- Int64(bitPattern: observedBytes)
        samples.append(ValidationSample(time: time, observedBytes: observedBytes, modelBytes: modelBytes,
                                        errorBytes: error))
    }

    var validation: Validation? {
        guard let p = policy, !samples.isEmpty else { return nil }
        return Validation(policy: p, initialOffsetBytes: offset, samples: samples)
    }
}
