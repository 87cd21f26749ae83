// `ptreclaim inspect --format prometheus`: the Prometheus text exposition format (version
// 0.0.4), as node_exporter's textfile collector reads it: HELP and TYPE once per metric, one
// sample per process labelled pid and comm, no timestamps (the collector rejects them).
import PTInspect

public enum InspectPrometheus {
    public static func render(_ c: Census) -> String {
        var o = ""
        /// HELP and TYPE once, then the samples (label set, value).
        func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            o += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for s in samples { o += name + s.labels + " " + s.value + "\n" }
        }
        func perProcess(_ name: String, _ help: String, _ value: (ProcessWaste) -> String) {
            gauge(name, help, c.processes.map { ("{pid=\"\($0.pid)\",comm=\"\(escape($0.command))\"}", value($0)) })
        }
        perProcess("ptreclaim_vmpte_bytes", "Page-table bytes the kernel holds for the process (VmPTE).") {
            String($0.vmpteBytes)
        }
        perProcess("ptreclaim_pagetable_needed_bytes",
                   "Page-table bytes the process's populated pages need (PTE+PMD+PUD pages).") { String($0.neededBytes) }
        perProcess("ptreclaim_pagetable_waste_bytes", "VmPTE minus the needed page-table bytes.") { String($0.wasteBytes) }
        perProcess("ptreclaim_pagetable_refcount_reclaimable_max_bytes",
                   "Upper bound on the empty PTE pages a per-table refcount would free.") { String($0.refcountFrees.max) }
        perProcess("ptreclaim_mapped_bytes", "Bytes of the process's user mappings.") { String($0.mappedBytes) }
        gauge("ptreclaim_inspect_unreadable_processes", "Processes whose page tables could not be read.",
              [("", String(c.unreadable))])
        gauge("ptreclaim_inspect_duration_seconds", "Time the inspection took.", [("", JSONWriter.number(c.seconds))])
        return o
    }

    /// Label values escape backslash, double quote and newline (exposition format 0.0.4).
    static let labelEscapes: [Character: String] = ["\\": "\\\\", "\"": "\\\"", "\n": "\\n"]
    static func escape(_ s: String) -> String { s.map { labelEscapes[$0] ?? String($0) }.joined() }
}
