// `ptreclaim inspect PID... | --all`: page-table waste of running processes, read from /proc
// without attaching to them (library: PTInspect; rendering: PTReport's Inspect*).
import ArgumentParser
import PTInspect
import PTReport
#if canImport(Glibc)
import Glibc
#endif

enum InspectFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, prometheus
}

extension PagemapSource: ExpressibleByArgument {}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Page-table waste of running processes: VmPTE against the tables their populated pages need.",
        discussion: """
            Reads /proc/PID/status, maps and pagemap (PAGEMAP_SCAN on Linux 6.7+, else pread); never attaches to, stops or signals the process. Reading another user's process needs root or ptrace read access. Totals are exact; per-mapping figures and the refcount / MADV_DONTNEED split are bounds (docs/inspect.md).
            """)

    @Argument(help: ArgumentHelp("Processes to inspect.", valueName: "pid"))
    var pids: [Int32] = []

    @Flag(help: "Inspect every process (kernel threads skipped; processes that may not be read are counted).")
    var all = false

    @Option(help: ArgumentHelp("Output format: text, json, or prometheus (node_exporter textfile collector).",
                               valueName: "text|json|prometheus"))
    var format: InspectFormat = .text

    @Option(name: .customLong("top"),
            help: ArgumentHelp("Mappings listed per process, most empty blocks first (default 5; 0 with --all).",
                               valueName: "n"))
    var topMappings: Int?

    @Option(help: ArgumentHelp("Repeat every SECONDS, in place like top, until interrupted.", valueName: "seconds"))
    var watch: Double?

    @Option(help: ArgumentHelp("With --watch: stop after N rounds (default: until ^C).", valueName: "n"))
    var iterations: Int?

    @Option(name: [.short, .customLong("output")],
            help: ArgumentHelp("Write each round to FILE (replaced atomically, as the textfile collector needs).",
                               valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Where populated pages come from (auto: PAGEMAP_SCAN when the kernel has it).",
                               valueName: "auto|scan|pread"))
    var pagemap: PagemapSource = .auto

    func validate() throws {
        if all == !pids.isEmpty { throw ValidationError("give process ids or --all (not both)") }
        if let w = watch, !(w > 0 && w <= 86400) { throw ValidationError("--watch takes seconds between 0 and 86400") }
        if let n = iterations, n < 1 { throw ValidationError("--iterations must be at least 1") }
        if iterations != nil && watch == nil { throw ValidationError("--iterations needs --watch") }
        if let n = topMappings, n < 0 { throw ValidationError("--top must be 0 or more") }
        if let bad = pids.first(where: { $0 <= 0 }) { throw ValidationError("not a process id: \(bad)") }
    }

    func run() throws {
        var round = 0
        while true {
            let text = try renderRound()
            round += 1
            try emit(text, first: round == 1)
            guard let w = watch, round < (iterations ?? Int.max) else { break }
            var left = timespec(tv_sec: Int(w), tv_nsec: Int((w - w.rounded(.down)) * 1e9))
            var rest = timespec()
            while nanosleep(&left, &rest) != 0 && errno == EINTR { left = rest }
        }
    }

    /// One inspection, rendered. An explicit PID that cannot be read is an error (one line).
    func renderRound() throws -> String {
        let census: Census
        if all {
            census = Inspector.inspectAll(source: pagemap)
        } else {
            var c = Census()
            for pid in pids {
                do {
                    c.processes.append(try Inspector.inspect(pid: pid, source: pagemap))
                } catch let e as InspectError {
                    throw userError(e.description)
                }
            }
            c.seconds = c.processes.reduce(0) { $0 + $1.seconds }
            c.sortByWaste()
            census = c
        }
        let top = topMappings ?? (all ? 0 : 5)
        switch format {
        case .text: return InspectText.render(census, topMappings: top)
        case .json: return InspectJSON.render(census, topMappings: top)
        case .prometheus: return InspectPrometheus.render(census)
        }
    }

    /// To stdout (cleared first on a terminal when watching, like top), or atomically to --output.
    func emit(_ text: String, first: Bool) throws {
        if let path = output {
            try writeAtomically(text, to: path)
            return
        }
        var out = Output()
        if watch != nil && isatty(1) == 1 { out.line("\u{1B}[H\u{1B}[2J" + text.dropLast()) } else {
            if watch != nil && !first { out.line("") }
            out.line(String(text.dropLast(text.hasSuffix("\n") ? 1 : 0)))
        }
        out.flush()
    }

    /// Writes FILE.tmp-PID then renames it over FILE, so a reader never sees half a file.
    func writeAtomically(_ text: String, to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw userError("cannot write \(tmp): \(errnoString())") }
        var bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n > 0 { off += n } else if errno != EINTR {
                close(fd); unlink(tmp)
                throw userError("cannot write \(tmp): \(errnoString())")
            }
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw userError("cannot rename \(tmp) to \(path): \(errnoString())")
        }
    }
}
