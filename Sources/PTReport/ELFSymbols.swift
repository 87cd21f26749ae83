// Function names for call-site frames, read offline from the modules' own ELF symbol tables
// (.symtab when present, else .dynsym), as heaptrack symbolizes after the run. Only the modules
// of the frames being printed are opened. A module that is missing, not ELF64 little-endian, or
// has no symbols simply yields no names; frames then stay `module+0xOFFSET`.
#if canImport(Glibc)
import Glibc
#endif

struct ELFSymbols {
    /// Function symbols sorted by address: (start, size, name).
    private var symbols: [(start: UInt64, size: UInt64, name: String)] = []

    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        func read(_ off: UInt64, _ n: Int) -> [UInt8]? {
            guard n >= 0, n <= 256 << 20 else { return nil }
            var buf = [UInt8](repeating: 0, count: n)
            let got = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, n, off_t(off)) }
            return got == n ? buf : nil
        }
        guard let eh = read(0, 64), eh[0] == 0x7f, eh[1] == 0x45, eh[2] == 0x4c, eh[3] == 0x46,
              eh[4] == 2, eh[5] == 1 else { return nil }  // ELFCLASS64, little-endian
        let shoff = le64(eh, 0x28)
        let shentsize = Int(le16(eh, 0x3a)), shnum = Int(le16(eh, 0x3c))
        guard shentsize >= 64, shnum > 0, shnum < 65536,
              let sh = read(shoff, shentsize * shnum) else { return nil }
        func section(_ i: Int) -> (type: UInt32, offset: UInt64, size: UInt64, link: Int, entsize: UInt64) {
            let b = i * shentsize
            return (le32(sh, b + 4), le64(sh, b + 0x18), le64(sh, b + 0x20), Int(le32(sh, b + 0x28)),
                    le64(sh, b + 0x38))
        }
        // SHT_SYMTAB = 2 (full table, absent from stripped files), SHT_DYNSYM = 11.
        let tables = (0..<shnum).map(section)
        guard let tab = tables.first(where: { $0.type == 2 }) ?? tables.first(where: { $0.type == 11 }),
              tab.entsize >= 24, tab.link < shnum,
              let syms = read(tab.offset, Int(tab.size)),
              let strs = read(tables[tab.link].offset, Int(tables[tab.link].size)) else { return nil }
        let count = Int(tab.size / tab.entsize)
        for i in 0..<count {
            let b = i * Int(tab.entsize)
            let info = syms[b + 4]
            let shndx = le16(syms, b + 6)
            let value = le64(syms, b + 8), size = le64(syms, b + 16)
            guard info & 0xf == 2, shndx != 0, value != 0 else { continue }  // STT_FUNC, defined
            let nameOff = Int(le32(syms, b))
            guard nameOff < strs.count else { continue }
            var end = nameOff
            while end < strs.count && strs[end] != 0 { end += 1 }
            symbols.append((value, size, String(decoding: strs[nameOff..<end], as: UTF8.self)))
        }
        symbols.sort { $0.start < $1.start }
        if symbols.isEmpty { return nil }
    }

    /// "function+0xOFF" for an address in the module's own address space.
    func name(at address: UInt64) -> String? {
        var lo = 0, hi = symbols.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if symbols[mid].start <= address { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let s = symbols[lo - 1]
        let off = address - s.start
        // Zero-sized symbols (hand-written assembly) get a 64 KiB benefit of the doubt.
        guard off < (s.size > 0 ? s.size : 65536) else { return nil }
        return off == 0 ? s.name : "\(s.name)+0x\(String(off, radix: 16))"
    }
}

func le16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
func le32(_ b: [UInt8], _ o: Int) -> UInt32 {
    UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
}
func le64(_ b: [UInt8], _ o: Int) -> UInt64 { UInt64(le32(b, o)) | UInt64(le32(b, o + 4)) << 32 }
