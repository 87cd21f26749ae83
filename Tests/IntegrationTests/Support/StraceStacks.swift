// The memory system calls one program made, read from `strace -f -k` (a stack with every call),
// sorted by who made them. The stack says it without guessing from arguments:
//  - recorder: the recorder's own work — a raw system call from libptreclaim.so (libc's
//    `syscall()` called straight from a recorder function other than the ptr_forward_* fallbacks),
//    a call made under it by libunwind (stack capture) or pthread_create (its snapshot thread),
//    or any call with one of the recorder's internal functions on its stack (they are named
//    ptr_*; the hooks carry the libc names), e.g. an allocator's mmap that libunwind caused;
//  - hooked: a call that went through one of the recorder's hooks to the real function (libc's
//    wrapper, or an allocator's own mmap such as tcmalloc's) — these are the calls the trace must
//    hold, one record each;
//  - unhooked: no recorder frame at all (the dynamic loader, libc internals). A call of this kind
//    made from the allocator's code would be one the recorder missed.
import Foundation

struct StraceStacks {
    enum Source { case recorder, hooked, unhooked }

    struct Event {
        var tid: Int
        var name: String
        /// The whole strace line (arguments and result).
        var line: String
        /// (library file name, function name) from the innermost frame outwards.
        var frames: [(lib: String, fn: String)]
        var source: Source = .unhooked
    }

    /// Events of the program image that starts with the last `execve` of `exe` by `pid`, in all
    /// its threads (the pid and the threads it cloned afterwards).
    var events: [Event] = []

    static func read(_ log: String, pid: Int, exe: String) throws -> StraceStacks {
        let text = try String(contentsOfFile: log, encoding: .utf8)
        var all: [Event] = []
        var threads: Set<Int> = [pid]
        var started = false
        var current: Int? = nil  // index in `all` of the event the next frame lines belong to
        let exeName = (exe as NSString).lastPathComponent
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix(" > ") {
                if let i = current { all[i].frames.append(frame(line)) }
                continue
            }
            current = nil
            guard let space = line.firstIndex(of: " "), let tid = Int(line[..<space]) else { continue }
            var rest = line[line.index(after: space)...].drop { $0 == " " }  // pids are padded
            if rest.hasPrefix("<... ") {  // "<... mmap resumed>": the call completes here
                rest = rest.dropFirst(5)
            } else if rest.contains("<unfinished ...>") {
                continue  // counted at its "resumed" line, where strace prints the stack
            }
            guard let paren = rest.firstIndex(where: { $0 == "(" || $0 == " " }) else { continue }
            let name = String(rest[..<paren])
            if name == "execve" && tid == pid && line.contains(exeName) && line.contains("= 0") {
                started = true
                all.removeAll()
                threads = [pid]
                continue
            }
            guard started else { continue }
            if (name == "clone" || name == "clone3") && threads.contains(tid) && line.contains("CLONE_THREAD"),
               let eq = line.range(of: "= ", options: .backwards), let child = Int(line[eq.upperBound...]) {
                threads.insert(child)
                continue
            }
            if name == "execve" || name == "clone" || name == "clone3" { continue }
            all.append(Event(tid: tid, name: name, line: line, frames: []))
            current = all.count - 1
        }
        var s = StraceStacks()
        s.events = all.filter { threads.contains($0.tid) }.map { e in
            var e = e
            e.source = classify(e.frames)
            return e
        }
        return s
    }

    /// " > /path/libx.so.6(name+0x19) [0x1234]" -> ("libx.so.6", "name")
    private static func frame(_ line: String) -> (lib: String, fn: String) {
        let body = line.dropFirst(3)
        let open = body.firstIndex(of: "(") ?? body.endIndex
        let lib = (String(body[..<open]) as NSString).lastPathComponent
        var fn = ""
        if open < body.endIndex {
            let inside = body[body.index(after: open)...]
            fn = String(inside.prefix { $0 != "+" && $0 != ")" })
        }
        return (lib, fn)
    }

    static func classify(_ frames: [(lib: String, fn: String)]) -> Source {
        guard let f = frames.firstIndex(where: { $0.lib.hasPrefix("libptreclaim") }) else { return .unhooked }
        let inner = frames[..<f]
        if frames.contains(where: { $0.lib.hasPrefix("libptreclaim") && $0.fn.hasPrefix("ptr_") && !$0.fn.hasPrefix("ptr_forward_") }) {
            return .recorder
        }
        if inner.contains(where: { $0.lib.hasPrefix("libunwind") || $0.fn == "pthread_create" }) { return .recorder }
        if f == 0 { return .recorder }
        if inner.last!.fn == "syscall" && inner.last!.lib.hasPrefix("libc.") && !frames[f].fn.hasPrefix("ptr_forward_") {
            return .recorder
        }
        return .hooked
    }

    /// Counts by system call name, for events from `source`.
    func counts(_ source: Source) -> [String: Int] {
        var c: [String: Int] = [:]
        for e in events where e.source == source { c[e.name, default: 0] += 1 }
        return c
    }
}
