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
        ints(&j, [("vmpte_bytes", p.vmpteBytes), ("needed_bytes", p.neededBytes)])
        j.int("waste_bytes", p.wasteBytes)
        j.open("needed_pages")
        ints(&j, [("pte", p.neededPTEPages), ("pmd", p.neededPMDPages), ("pud", p.neededPUDPages)])
        j.close()
        bounds(&j, "refcount_frees_bytes", p.refcountFrees)
        bounds(&j, "dontneed_cannot_free_bytes", p.dontneedCannotFree)
        ints(&j, [("mapped_bytes", p.mappedBytes), ("populated_pages", p.populatedPages),
                  ("populated_blocks", p.populatedBlocks), ("empty_blocks", p.emptyBlocks),
                  ("empty_blocks_whole_vma", p.emptyBlocksWholeVMA), ("empty_blocks_split", p.emptyBlocksSplit)])
        j.bool("stable", p.stable)
        j.string("pagemap_source", p.source.rawValue)
        j.double("seconds", p.seconds)
        j.open("mappings", array: true)
        let worst = p.worstMappings(top)
        for m in worst {
            j.open()
            j.string("name", m.name)
            j.string("start", "0x" + String(m.start, radix: 16))
            j.string("end", "0x" + String(m.end, radix: 16))
            ints(&j, [("size_bytes", m.sizeBytes), ("populated_pages", m.populatedPages),
                      ("populated_blocks", m.populatedBlocks), ("empty_blocks", m.emptyBlocks),
                      ("empty_blocks_whole_vma", m.emptyBlocksWholeVMA),
                      ("empty_tables_max_bytes", m.emptyBlocks * 4096)])
            j.close()
        }
        j.close(array: true)
        j.close()
    }

    /// Several integer keys in order.
    static func ints(_ j: inout JSONWriter, _ pairs: [(String, UInt64)]) {
        for (k, v) in pairs { j.int(k, v) }
    }

    static func bounds(_ j: inout JSONWriter, _ key: String, _ b: ByteBounds) {
        j.open(key)
        j.int("min", b.min)
        j.int("max", b.max)
        j.close()
    }
}
