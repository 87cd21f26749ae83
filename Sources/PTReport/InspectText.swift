// `ptreclaim inspect` as a table for people: one row per process sorted by waste, then for each
// process the bounds and its top mappings by empty blocks (docs/inspect.md, docs/cli.md).
import PTInspect

public enum InspectText {
    /// `topMappings`: mappings listed per process (0: the table only).
    public static func render(_ c: Census, topMappings: Int) -> String {
        var o = ""
        o += row(["PID", "COMMAND", "VmPTE", "NEEDED", "WASTE", "WASTE%", "MAPPED", "POPULATED"]) + "\n"
        for p in c.processes {
            let pct = p.vmpteBytes > 0 ? Double(p.wasteBytes) * 100 / Double(p.vmpteBytes) : 0
            o += row([String(p.pid), String(p.command.prefix(16)), Units.bytes(p.vmpteBytes),
                      Units.bytes(p.neededBytes), Units.bytes(p.wasteBytes), Units.fixed(pct, 1) + "%",
                      Units.bytes(p.mappedBytes), Units.bytes(p.populatedPages * 4096)])
            o += p.stable ? "\n" : "   (changed while read)\n"
        }
        if topMappings > 0 {
            for p in c.processes where p.wasteBytes > 0 { o += details(p, topMappings) }
        }
        o += "\n" + footer(c) + "\n"
        return o
    }

    static func details(_ p: ProcessWaste, _ top: Int) -> String {
        var o = "\n\(p.pid) \(p.command): waste \(Units.bytes(p.wasteBytes)) of \(Units.bytes(p.vmpteBytes)) VmPTE"
        o += " (exact: VmPTE minus the \(p.neededPTEPages) PTE + \(p.neededPMDPages) PMD + \(p.neededPUDPages) PUD pages"
        o += " the populated pages need)\n"
        o += "  refcount would free      \(range(p.refcountFrees))  (empty PTE pages now; bound)\n"
        o += "  no MADV_DONTNEED frees   \(range(p.dontneedCannotFree))  (empty PTE pages in blocks straddling"
        o += " a mapping boundary; bound)\n"
        o += "  empty blocks             \(p.emptyBlocks) (\(p.emptyBlocksWholeVMA) wholly inside one mapping,"
        o += " \(p.emptyBlocksSplit) straddling)\n"
        let worst = p.worstMappings(top)
        if worst.isEmpty { return o }
        o += "  mappings with the most empty 2 MiB blocks (each block: at most one empty PTE page):\n"
        o += "    " + mappingRow(["MAPPING", "RANGE", "SIZE", "POP.BLOCKS", "EMPTY BLOCKS", "EMPTY TABLES <="]) + "\n"
        for m in worst {
            o += "    " + mappingRow([String(m.name.suffix(32)), hex(m.start) + "-" + hex(m.end), Units.bytes(m.sizeBytes),
                                      String(m.populatedBlocks), String(m.emptyBlocks),
                                      Units.bytes(m.emptyBlocks * 4096)]) + "\n"
        }
        return o
    }

    static func footer(_ c: Census) -> String {
        var parts = ["\(c.processes.count) processes inspected"]
        if c.unreadable > 0 { parts.append("\(c.unreadable) not readable (permission)") }
        if c.kernelThreads > 0 { parts.append("\(c.kernelThreads) kernel threads skipped") }
        if c.exited > 0 { parts.append("\(c.exited) exited meanwhile") }
        let source = c.processes.first.map { " (pagemap: \($0.source.rawValue))" } ?? ""
        return parts.joined(separator: ", ") + " in " + Units.fixed(c.seconds, 3) + " s" + source
    }

    static func range(_ b: ByteBounds) -> String {
        b.min == b.max ? Units.bytes(b.min) : Units.bytes(b.min) + " .. " + Units.bytes(b.max)
    }

    static func hex(_ v: UInt64) -> String { String(v, radix: 16) }

    private static func row(_ c: [String]) -> String {
        Units.pad(c[0], 8) + "  " + Units.pad(c[1], 16, right: false) + Units.pad(c[2], 11) + Units.pad(c[3], 11)
            + Units.pad(c[4], 11) + Units.pad(c[5], 8) + Units.pad(c[6], 11) + Units.pad(c[7], 11)
    }

    private static func mappingRow(_ c: [String]) -> String {
        Units.pad(c[0], 32, right: false) + "  " + Units.pad(c[1], 27, right: false) + Units.pad(c[2], 11)
            + Units.pad(c[3], 11) + Units.pad(c[4], 13) + Units.pad(c[5], 16)
    }
}
