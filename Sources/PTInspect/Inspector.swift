// Inspecting running processes: read VmPTE, the mapping list and the populated pages, and again
// VmPTE and the mapping list to tell whether the process changed meanwhile (then retry). Only
// reads of /proc: the target is never attached to, stopped or signalled.
import PTModel
import PTTrace
#if canImport(Glibc)
import Glibc
#endif

/// The result of inspecting many processes (--all or a PID list).
public struct Census: Sendable {
    public var processes: [ProcessWaste] = []
    /// Processes whose pagemap or maps the kernel refused to us.
    public var unreadable = 0
    /// Kernel threads skipped (no user page tables).
    public var kernelThreads = 0
    /// Processes that exited before or while being read.
    public var exited = 0
    public var seconds = 0.0
    public init() {}

    /// Largest waste first; equal waste by pid.
    public mutating func sortByWaste() {
        processes.sort { ($0.wasteBytes, $1.pid) > ($1.wasteBytes, $0.pid) }
    }
}

public enum Inspector {
    /// Readings per process before giving up on a stable one (the result is then marked
    /// `stable: false`).
    static let attempts = 3

    public static func inspect(pid: Int32, source: PagemapSource = .auto) throws -> ProcessWaste {
        let t0 = monotonicSeconds()
        let status0 = try ProcFiles.read(pid, "status")
        guard ProcFiles.statusBytes(status0, "VmPTE") != nil else {
            if (try? ProcFiles.isKernelThread(pid)) == true { throw InspectError.kernelThread(pid: pid) }
            throw InspectError.gone(pid: pid)  // a zombie: its address space is gone
        }
        let reader = try PagemapReader(pid: pid, source: source)
        var result: ProcessWaste?
        for _ in 0..<attempts {
            let status = try ProcFiles.read(pid, "status")
            let mapsText = try ProcFiles.read(pid, "maps")
            var maps: [SnapshotMapping] = []
            for e in MapsParser.parse(mapsText) where e.start < e.end && e.end <= userSpaceTop {
                maps.append(SnapshotMapping(start: e.start, end: e.end, perms: e.perms, offset: e.offset,
                                            path: e.path, runs: try reader.runs(e.start, e.end)))
            }
            let vmpte = ProcFiles.statusBytes(status, "VmPTE") ?? 0
            let vmpteAfter = ProcFiles.statusBytes(try ProcFiles.read(pid, "status"), "VmPTE") ?? 0
            let mapsAfter = try ProcFiles.read(pid, "maps")
            let stable = vmpte == vmpteAfter && mapsText == mapsAfter
            result = makeResult(pid: pid, vmpte: vmpte, maps: maps, stable: stable,
                                source: reader.source, seconds: monotonicSeconds() - t0)
            if stable { break }
        }
        return result!
    }

    static func makeResult(pid: Int32, vmpte: UInt64, maps: [SnapshotMapping],
                           stable: Bool, source: PagemapSource, seconds: Double) -> ProcessWaste {
        let c = BlockCensus(maps)
        let page = PageTableGeometry.pageSize
        let needed = (c.neededPTE + c.neededPMD + c.neededPUD) * page
        let wastePages = vmpte > needed ? (vmpte - needed) / page : 0
        // Empty PTE pages: at most one per empty block and at most the waste; at least the waste
        // minus the most PMD/PUD pages that can be waste.
        let pteHi = min(wastePages, c.emptyBlocks)
        let pteLo = min(pteHi, wastePages - min(wastePages, c.upperLevelSlack))
        let splitHi = min(pteHi, c.emptyBlocks - c.emptyWhole)
        let splitLo = min(splitHi, pteLo - min(pteLo, c.emptyWhole))
        return ProcessWaste(
            pid: pid, command: ProcFiles.comm(pid), vmpteBytes: vmpte,
            neededPTEPages: c.neededPTE, neededPMDPages: c.neededPMD, neededPUDPages: c.neededPUD,
            mappedBytes: c.mapped, populatedPages: c.populatedPages, populatedBlocks: c.populatedBlocks,
            emptyBlocks: c.emptyBlocks, emptyBlocksWholeVMA: c.emptyWhole,
            upperLevelSlackPages: c.upperLevelSlack,
            refcountFrees: ByteBounds(min: pteLo * page, max: pteHi * page),
            dontneedCannotFree: ByteBounds(min: splitLo * page, max: splitHi * page),
            stable: stable, seconds: seconds, source: source, mappings: c.mappings)
    }

    /// Every user process on the machine except this one, sorted by waste (largest first).
    public static func inspectAll(source: PagemapSource = .auto) -> Census {
        inspect(pids: ProcFiles.allPids().filter { $0 != getpid() }, source: source)
    }

    /// The given processes, sorted by waste (largest first). Refusals, kernel threads and
    /// processes that exited are counted, not thrown.
    public static func inspect(pids: [Int32], source: PagemapSource = .auto) -> Census {
        var census = Census()
        let t0 = monotonicSeconds()
        for pid in pids {
            do {
                census.processes.append(try inspect(pid: pid, source: source))
            } catch let e as InspectError {
                switch e {
                case .permissionDenied: census.unreadable += 1
                case .kernelThread: census.kernelThreads += 1
                case .gone: census.exited += 1
                case .io: census.unreadable += 1
                }
            } catch {
                census.unreadable += 1
            }
        }
        census.sortByWaste()
        census.seconds = monotonicSeconds() - t0
        return census
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
