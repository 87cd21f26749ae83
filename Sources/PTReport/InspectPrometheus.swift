// `ptreclaim inspect --format prometheus`: the Prometheus text exposition format (version
// 0.0.4), as node_exporter's textfile collector reads it: HELP and TYPE once per metric, one
// sample per process labelled pid and comm, no timestamps (the collector rejects them).
import PTInspect

public enum InspectPrometheus {
    public static func render(_ c: Census) -> String {
        var o = ""
        func metric(_ name: String, _ help: String, _ value: (ProcessWaste) -> String) {
            o += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for p in c.processes {
                o += "\(name){pid=\"\(p.pid)\",comm=\"\(escape(p.command))\"} \(value(p))\n"
            }
        }
        metric("ptreclaim_vmpte_bytes", "Page-table bytes the kernel holds for the process (VmPTE).") {
            String($0.vmpteBytes)
        }
        metric("ptreclaim_pagetable_needed_bytes",
               "Page-table bytes the process's populated pages need (PTE+PMD+PUD pages).") { String($0.neededBytes) }
        metric("ptreclaim_pagetable_waste_bytes", "VmPTE minus the needed page-table bytes.") { String($0.wasteBytes) }
        metric("ptreclaim_pagetable_refcount_reclaimable_max_bytes",
               "Upper bound on the empty PTE pages a per-table refcount would free.") { String($0.refcountFrees.max) }
        metric("ptreclaim_mapped_bytes", "Bytes of the process's user mappings.") { String($0.mappedBytes) }
        o += "# HELP ptreclaim_inspect_unreadable_processes Processes whose page tables could not be read.\n"
        o += "# TYPE ptreclaim_inspect_unreadable_processes gauge\n"
        o += "ptreclaim_inspect_unreadable_processes \(c.unreadable)\n"
        o += "# HELP ptreclaim_inspect_duration_seconds Time the inspection took.\n"
        o += "# TYPE ptreclaim_inspect_duration_seconds gauge\n"
        o += "ptreclaim_inspect_duration_seconds \(JSONWriter.number(c.seconds))\n"
        return o
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out
    }
}
