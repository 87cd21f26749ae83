// One virtual memory area (struct vm_area_struct, include/linux/mm_types.h), reduced to what
// decides page-table fate: its range, protection, the vm_flags that gate merging and the
// reclaim rules, and its file identity and offset (vma_merge requires contiguous vm_pgoff).

struct VMAFlags: OptionSet, Equatable {
    let rawValue: UInt32
    static let shared = VMAFlags(rawValue: 1 << 0)      // VM_SHARED
    static let file = VMAFlags(rawValue: 1 << 1)        // vm_file != NULL (shmem included)
    static let hugetlb = VMAFlags(rawValue: 1 << 2)     // VM_HUGETLB
    static let pfnmap = VMAFlags(rawValue: 1 << 3)      // VM_PFNMAP
    static let noreserve = VMAFlags(rawValue: 1 << 4)   // VM_NORESERVE
    static let locked = VMAFlags(rawValue: 1 << 5)      // VM_LOCKED
    static let growsdown = VMAFlags(rawValue: 1 << 6)   // VM_GROWSDOWN
    static let hugepage = VMAFlags(rawValue: 1 << 7)    // VM_HUGEPAGE (MADV_HUGEPAGE)
    static let nohugepage = VMAFlags(rawValue: 1 << 8)  // VM_NOHUGEPAGE (MADV_NOHUGEPAGE, MAP_STACK)
    static let dontcopy = VMAFlags(rawValue: 1 << 9)    // VM_DONTCOPY
    static let wipeonfork = VMAFlags(rawValue: 1 << 10) // VM_WIPEONFORK
    static let dontdump = VMAFlags(rawValue: 1 << 11)   // VM_DONTDUMP
    static let mergeable = VMAFlags(rawValue: 1 << 12)  // VM_MERGEABLE (KSM)
    static let randRead = VMAFlags(rawValue: 1 << 13)   // VM_RAND_READ
    static let seqRead = VMAFlags(rawValue: 1 << 14)    // VM_SEQ_READ
    static let droppable = VMAFlags(rawValue: 1 << 15)  // VM_DROPPABLE
}

struct VMA: Equatable {
    var start: UInt64
    var end: UInt64
    /// PROT_READ | PROT_WRITE | PROT_EXEC bits.
    var prot: UInt32
    var flags: VMAFlags
    /// vm_pgoff: for anonymous memory, the page number of the address it was created at.
    var pgoff: UInt64

    var isAnonymousPrivate: Bool { !flags.contains(.file) && !flags.contains(.shared) }
    var isHugetlb: Bool { flags.contains(.hugetlb) }
    var pages: UInt64 { (end - start) >> pageShift }

    /// vma_merge's compatibility test (mm/vma.c is_mergeable_vma + can_vma_merge_after):
    /// equal flags and protection, adjacent, and contiguous vm_pgoff. File VMAs are never merged
    /// by the model (the recorder sees fds, not files); snapshots give the kernel's own layout.
    func canMerge(with next: VMA) -> Bool {
        end == next.start && prot == next.prot && flags == next.flags && isAnonymousPrivate
            && !isHugetlb && pgoff &+ pages == next.pgoff
    }

    /// Builds the VMA for a successful mmap (mm/mmap.c do_mmap: calc_vm_prot_bits/calc_vm_flag_bits).
    static func fromMmap(start: UInt64, length: UInt64, prot: UInt32, flags: UInt32, fd: Int32,
                         offset: UInt64) -> VMA {
        var f: VMAFlags = []
        let anonymous = flags & MmapFlag.anonymous != 0 || fd < 0
        let type = flags & 0x0f
        if type == MmapFlag.shared || type == MmapFlag.sharedValidate { f.insert(.shared) }
        // MAP_SHARED|MAP_ANONYMOUS is shmem: a file VMA as far as page tables go.
        if !anonymous || f.contains(.shared) { f.insert(.file) }
        if flags & MmapFlag.hugetlb != 0 { f.insert(.hugetlb) }
        if flags & MmapFlag.noreserve != 0 { f.insert(.noreserve) }
        if flags & MmapFlag.locked != 0 { f.insert(.locked) }
        if flags & MmapFlag.growsdown != 0 { f.insert(.growsdown) }
        // Since 6.8 MAP_STACK implies VM_NOHUGEPAGE (mm/mmap.c calc_vm_flag_bits).
        if flags & MmapFlag.stack != 0 { f.insert(.nohugepage) }
        if type == MmapFlag.droppable { f.insert(.droppable) }
        let pgoff = anonymous && !f.contains(.shared) ? start >> pageShift : offset >> pageShift
        return VMA(start: start, end: start &+ length, prot: prot & 7, flags: f, pgoff: pgoff)
    }
}

/// mmap flag values (include/uapi/asm-generic/mman*.h, x86_64).
enum MmapFlag {
    static let shared: UInt32 = 0x01
    static let privateMap: UInt32 = 0x02
    static let sharedValidate: UInt32 = 0x03
    static let droppable: UInt32 = 0x08
    static let fixed: UInt32 = 0x10
    static let anonymous: UInt32 = 0x20
    static let growsdown: UInt32 = 0x100
    static let locked: UInt32 = 0x2000
    static let noreserve: UInt32 = 0x4000
    static let populate: UInt32 = 0x8000
    static let stack: UInt32 = 0x20000
    static let hugetlb: UInt32 = 0x40000
    static let fixedNoReplace: UInt32 = 0x100000
}

/// mremap flags (include/uapi/linux/mman.h).
enum MremapFlag {
    static let mayMove: UInt32 = 1
    static let fixed: UInt32 = 2
    static let dontUnmap: UInt32 = 4
}
