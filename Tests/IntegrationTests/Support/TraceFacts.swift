// What one trace file holds, counted straight from the records with the Swift reader — the
// numbers the tests compare with the programs' own counts.
import Foundation
import PTTrace

struct TraceFacts {
    let path: String
    let header: TraceHeader
    /// No TRAILER (killed, crashed, or cut short).
    var truncated = false
    var trailer: Trailer?
    /// Successful and failed calls by entry point: mmap, mmap64, munmap, mremap, madvise,
    /// posix_madvise, process_madvise, mprotect (pkey -1: mprotect or pkey_mprotect(-1)),
    /// pkey_mprotect (a real key), brk, sbrk.
    var calls: [String: Int] = [:]
    var failedCalls = 0
    /// Sum of LOST records: calls seen but not recorded.
    var lost: UInt64 = 0
    var snapshots: [Snapshot] = []
    var forks: [Int32] = []
    var execs: [String] = []
    var moduleGenerations = Set<UInt64>()
    /// Index (in record order, header excluded) of the first snapshot and the first call.
    var firstSnapshotIndex: Int?
    var firstCallIndex: Int?
    /// Every call, in file order, when asked for.
    var callList: [Call] = []
    /// Stack trie: node -> parent, to measure stack depths.
    var stackParent: [UInt32: UInt32] = [:]

    func count(_ name: String) -> Int { calls[name] ?? 0 }
    var pid: Int? { header.pid }
    var origin: String? { header["origin"] }

    /// Frames in the stack whose leaf is `node`.
    func stackDepth(_ node: UInt32) -> Int {
        var n = node, depth = 0
        while n != 0, depth < 10_000 {
            depth += 1
            n = stackParent[n] ?? 0
        }
        return depth
    }

    static func read(_ path: String, keepCalls: Bool = false, keepSnapshots: Bool = false) throws -> TraceFacts {
        var reader = try TraceReader(path: path)
        var f = TraceFacts(path: path, header: reader.header)
        var index = 0
        while let rec = try reader.next() {
            switch rec {
            case .header:
                continue
            case .call(let c):
                if f.firstCallIndex == nil { f.firstCallIndex = index }
                if c.failed { f.failedCalls += 1 }
                f.calls[name(of: c.kind), default: 0] += 1
                if keepCalls { f.callList.append(c) }
            case .snapshot(let s):
                if f.firstSnapshotIndex == nil { f.firstSnapshotIndex = index }
                if keepSnapshots {
                    f.snapshots.append(s)
                } else {
                    var light = s
                    light.mappings = []
                    f.snapshots.append(light)
                }
            case .stack(let node, _, let parent):
                f.stackParent[node] = parent
            case .module(let m):
                f.moduleGenerations.insert(m.generation)
            case .fork(_, let child):
                f.forks.append(child)
            case .exec(_, let p):
                f.execs.append(p)
            case .execFailed:
                break
            case .lost(let n):
                f.lost += n
            case .trailer(let t):
                f.trailer = t
            }
            index += 1
        }
        f.truncated = reader.truncated
        return f
    }

    static func name(of kind: CallKind) -> String {
        switch kind {
        case .mmap(_, _, _, _, _, _, let is64, _): return is64 ? "mmap64" : "mmap"
        case .munmap: return "munmap"
        case .mremap: return "mremap"
        case .madvise(_, _, _, let posix): return posix ? "posix_madvise" : "madvise"
        case .processMadvise: return "process_madvise"
        case .mprotect(_, _, _, let pkey): return pkey == -1 ? "mprotect" : "pkey_mprotect"
        case .brk: return "brk"
        case .sbrk: return "sbrk"
        }
    }

    /// A short description for failure messages.
    var brief: String {
        let c = calls.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "\(path): pid \(pid ?? -1) origin \(origin ?? "?") truncated \(truncated) lost \(lost) "
            + "snapshots \(snapshots.count) calls [\(c)]"
    }
}
