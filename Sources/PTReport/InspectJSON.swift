// `ptreclaim inspect --format json`: {"processes": [...], ...}, keys in the order docs/cli.md
// lists them. Every byte figure is an integer; bounds are {"min", "max"} objects.
import PTInspect

public enum InspectJSON {
    public static func render(_ c: Census, topMappings: Int) -> String {
        var j = JSONWriter()
        j.open()
        j.open("processes", array: true)
        for p in c.processes { process(&j, p, topMappings) }
        j.close(array: true)
        j.int("unreadable", c.unreadable)
        j.int("kernel_threads", c.kernelThreads)
        j.int("exited", c.exited)
        j.double("seconds", c.seconds)
        j.close()
        return j.out + "\n"
    }

    static func process(_ j: inout JSONWriter, _ p: ProcessWaste, _ top: Int) {
        j.open()
        j.int("pid", p.pid)
        j.string("command", p.command)
        j.int("vmpte_bytes", p.vmpteBytes)
        j.int("needed_bytes", p.neededBytes)
        j.int("waste_bytes", p.wasteBytes)
        j.open("needed_pages")
        j.int("pte", p.neededPTEPages)
        j.int("pmd", p.neededPMDPages)
        j.int("pud", p.neededPUDPages)
        j.close()
        bounds(&j, "refcount_frees_bytes", p.refcountFrees)
        bounds(&j, "dontneed_cannot_free_bytes", p.dontneedCannotFree)
        j.int("mapped_bytes", p.mappedBytes)
        j.int("populated_pages", p.populatedPages)
        j.int("populated_blocks", p.populatedBlocks)
        j.int("empty_blocks", p.emptyBlocks)
        j.int("empty_blocks_whole_vma", p.emptyBlocksWholeVMA)
        j.int("empty_blocks_split", p.emptyBlocksSplit)
        j.bool("stable", p.stable)
        j.string("pagemap_source", p.source.rawValue)
        j.double("seconds", p.seconds)
        j.open("mappings", array: true)
        let worst = p.mappings.filter { $0.emptyBlocks > 0 }
            .sorted { ($0.emptyBlocks, $1.start) > ($1.emptyBlocks, $0.start) }.prefix(top)
        for m in worst {
            j.open()
            j.string("name", m.name)
            j.string("start", "0x" + String(m.start, radix: 16))
            j.string("end", "0x" + String(m.end, radix: 16))
            j.int("size_bytes", m.sizeBytes)
            j.int("populated_pages", m.populatedPages)
            j.int("populated_blocks", m.populatedBlocks)
            j.int("empty_blocks", m.emptyBlocks)
            j.int("empty_blocks_whole_vma", m.emptyBlocksWholeVMA)
            j.int("empty_tables_max_bytes", m.emptyBlocks * 4096)
            j.close()
        }
        j.close(array: true)
        j.close()
    }

    static func bounds(_ j: inout JSONWriter, _ key: String, _ b: ByteBounds) {
        j.open(key)
        j.int("min", b.min)
        j.int("max", b.max)
        j.close()
    }
}
