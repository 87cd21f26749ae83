// A hash map from block or region index to per-block state, built for the replay's hot path
// (the model's block tables and the reader's previous-population cache):
// open addressing with linear probing and a multiplicative (Fibonacci) hash, instead of the
// standard Dictionary's seeded SipHash, which dominated the profile. Entries are never removed
// (a block once touched stays known, which churn accounting needs); assigning nil resets the
// value to `blank`.
// Keys and values live in two raw buffers owned by one class instance (U64MapStorage): a value
// type still (copy-on-write, one uniqueness check per mutation), but without the two Arrays'
// per-access bounds checks and per-mutation make-unique calls, which were a tenth of the replay.

@frozen public struct U64Map<Value> {
    /// UInt64.max marks an empty slot (block indices are below 2^43).
    @usableFromInline static var emptyKey: UInt64 { .max }
    @usableFromInline var storage: U64MapStorage<Value>
    @usableFromInline let blank: Value
    /// Number of keys stored (here, not in the class: a class's var pays a dynamic
    /// exclusivity check on every access).
    @usableFromInline var stored = 0
    @inlinable @inline(__always) public var count: Int { stored }

    @inlinable public init(blank: Value, capacityLog2: UInt64 = 6) {
        self.blank = blank
        storage = U64MapStorage(capacityLog2: capacityLog2, blank: blank)
    }

    @inlinable @inline(__always) public var isEmpty: Bool { stored == 0 }

    /// Makes the storage this value's own before a write (copy-on-write).
    @inlinable @inline(__always) mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// The slot holding `key`, or the empty slot where it would go.
    @inlinable @inline(__always) func slot(_ key: UInt64) -> Int {
        let keys = storage.keys, mask = storage.capacity &- 1
        var i = storage.home(key)
        while true {
            let k = keys[i]
            if k == key || k == U64Map.emptyKey { return i }
            i = (i &+ 1) & mask
        }
    }

    @inlinable @inline(__always) public func contains(_ key: UInt64) -> Bool { storage.keys[slot(key)] == key }

    /// The slot index of a stored key, for a read-modify-write with one probe: value(at:),
    /// then setValue(_:at:). Valid until the next insertion.
    @inlinable @inline(__always) public func index(of key: UInt64) -> Int? {
        let i = slot(key)
        return storage.keys[i] == key ? i : nil
    }

    @inlinable @inline(__always) public func value(at i: Int) -> Value { storage.values[i] }

    /// The slot of `key`, inserted with `value` first if absent.
    @inlinable @inline(__always) public mutating func slotInserting(_ key: UInt64, _ value: Value) -> Int {
        let i = slot(key)
        if storage.keys[i] == key { return i }
        insert(key, value, at: i)
        return slot(key)
    }

    @inlinable @inline(__always) public mutating func setValue(_ value: Value, at i: Int) {
        makeUnique()
        storage.values[i] = value
    }

    @inlinable public subscript(key: UInt64) -> Value? {
        @inline(__always) get {
            let i = slot(key)
            return storage.keys[i] == key ? storage.values[i] : nil
        }
        @inline(__always) set {
            let i = slot(key)
            if storage.keys[i] == key {
                setValue(newValue ?? blank, at: i)
            } else if let v = newValue {
                insert(key, v, at: i)
            }
        }
    }

    @inlinable public subscript(key: UInt64, default value: Value) -> Value {
        @inline(__always) get {
            let i = slot(key)
            return storage.keys[i] == key ? storage.values[i] : value
        }
        @inline(__always) set {
            let i = slot(key)
            if storage.keys[i] == key { setValue(newValue, at: i) } else { insert(key, newValue, at: i) }
        }
        // In place, with one probe when the key is stored (two when it is inserted).
        @inline(__always) _modify {
            let i = slotInserting(key, value)
            makeUnique()
            yield &storage.values[i]
        }
    }

    @inlinable mutating func insert(_ key: UInt64, _ value: Value, at i: Int) {
        if (stored &+ 1) &* 2 > storage.capacity {
            storage = storage.grown(blank: blank)
            insert(key, value, at: slot(key))
            return
        }
        makeUnique()
        storage.keys[i] = key
        storage.values[i] = value
        stored &+= 1
    }

    /// Calls body for every stored key and value (in no particular order).
    @inlinable public func forEach(_ body: (UInt64, Value) -> Void) {
        for j in 0..<storage.capacity where storage.keys[j] != U64Map.emptyKey { body(storage.keys[j], storage.values[j]) }
    }

    /// Every stored key (in no particular order).
    @inlinable public var keys: [UInt64] {
        var r: [UInt64] = []
        r.reserveCapacity(stored)
        for j in 0..<storage.capacity where storage.keys[j] != U64Map.emptyKey { r.append(storage.keys[j]) }
        return r
    }

    /// Lets body change the value of every stored key in place (in no particular order).
    @inlinable public mutating func updateEach(_ body: (UInt64, inout Value) -> Void) {
        makeUnique()
        for j in 0..<storage.capacity where storage.keys[j] != U64Map.emptyKey { body(storage.keys[j], &storage.values[j]) }
    }
}

/// U64Map's two buffers: `capacity` keys (emptyKey in free slots) and as many values.
@usableFromInline final class U64MapStorage<Value> {
    @usableFromInline let keys: UnsafeMutablePointer<UInt64>
    @usableFromInline let values: UnsafeMutablePointer<Value>
    @usableFromInline let capacity: Int
    /// 64 - log2(capacity): the hash's top bits index the slots.
    @usableFromInline let shift: UInt64

    /// The first slot probed for `key`.
    @inlinable @inline(__always) func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inlinable init(capacityLog2: UInt64, blank: Value) {
        capacity = 1 << Int(capacityLog2)
        shift = 64 &- capacityLog2
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: .max, count: capacity)
        values = .allocate(capacity: capacity)
        values.initialize(repeating: blank, count: capacity)
    }

    @inlinable deinit {
        keys.deallocate()
        values.deinitialize(count: capacity)
        values.deallocate()
    }

    /// An identical, independent copy (for copy-on-write).
    @inlinable func copy() -> U64MapStorage {
        let c = U64MapStorage(uninitializedLog2: 64 &- shift)
        c.keys.initialize(from: keys, count: capacity)
        c.values.initialize(from: values, count: capacity)
        return c
    }

    /// Twice the capacity, every entry rehashed into it.
    @inlinable func grown(blank: Value) -> U64MapStorage {
        let g = U64MapStorage(capacityLog2: 64 &- shift &+ 1, blank: blank)
        let mask = g.capacity &- 1
        for j in 0..<capacity where keys[j] != .max {
            var i = g.home(keys[j])
            while g.keys[i] != .max { i = (i &+ 1) & mask }
            g.keys[i] = keys[j]
            g.values[i] = values[j]
        }
        return g
    }

    @inlinable init(uninitializedLog2 log2: UInt64) {
        capacity = 1 << Int(log2)
        shift = 64 &- log2
        keys = .allocate(capacity: capacity)
        values = .allocate(capacity: capacity)
    }
}
