// The GNU build-id of an ELF file (NT_GNU_BUILD_ID in a SHT_NOTE section), to check that the
// file at a module's recorded path is the binary that ran — or to find its debug file under
// /usr/lib/debug/.build-id — before naming frames from it.
#if canImport(Glibc)
import Glibc
#endif

enum ELFBuildID {
    /// The build-id bytes, or nil when the file is unreadable, not ELF64 LE, or has none.
    static func read(path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        func read(_ off: UInt64, _ n: Int) -> [UInt8]? {
            guard n > 0, n <= 1 << 20 else { return nil }
            var buf = [UInt8](repeating: 0, count: n)
            let got = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, n, off_t(off)) }
            return got == n ? buf : nil
        }
        guard let eh = read(0, 64), eh[0] == 0x7f, eh[1] == 0x45, eh[2] == 0x4c, eh[3] == 0x46,
              eh[4] == 2, eh[5] == 1 else { return nil }
        let shoff = le64(eh, 0x28)
        let shentsize = Int(le16(eh, 0x3a)), shnum = Int(le16(eh, 0x3c))
        guard shentsize >= 64, shnum > 0, shnum < 65536, let sh = read(shoff, shentsize * shnum) else { return nil }
        for i in 0..<shnum where le32(sh, i * shentsize + 4) == 7 {  // SHT_NOTE
            let b = i * shentsize
            guard let notes = read(le64(sh, b + 0x18), Int(le64(sh, b + 0x20))) else { continue }
            var o = 0
            while o + 12 <= notes.count {
                let namesz = Int(le32(notes, o)), descsz = Int(le32(notes, o + 4)), type = le32(notes, o + 8)
                let name = o + 12, desc = name + (namesz + 3) & ~3
                guard desc + descsz <= notes.count else { break }
                if type == 3 && namesz == 4 && notes[name..<name + 3].elementsEqual("GNU".utf8) {
                    return Array(notes[desc..<desc + descsz])
                }
                o = desc + (descsz + 3) & ~3
            }
        }
        return nil
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
