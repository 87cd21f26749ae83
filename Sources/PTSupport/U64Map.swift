// A hash map from block or region index to per-block state, built for the replay's hot path
// (the model's block tables and the reader's previous-population cache):
// open addressing with linear probing and a multiplicative (Fibonacci) hash, instead of the
// standard Dictionary's seeded SipHash, which dominated the profile. Entries are never removed
// (a block once touched stays known, which churn accounting needs); assigning nil resets the
// value to `blank`.

@frozen public struct U64Map<Value> {
    /// UInt64.max marks an empty slot (block indices are below 2^43).
    @usableFromInline static var emptyKey: UInt64 { .max }
    @usableFromInline var keyStore: [UInt64]
    @usableFromInline var valStore: [Value]
    @usableFromInline var shift: UInt64
    @usableFromInline let blank: Value
    @usableFromInline var stored = 0
    /// Number of keys stored.
    @inlinable public var count: Int { stored }

    @inlinable public init(blank: Value, capacityLog2: UInt64 = 6) {
        self.blank = blank
        keyStore = Array(repeating: U64Map.emptyKey, count: 1 << Int(capacityLog2))
        valStore = Array(repeating: blank, count: 1 << Int(capacityLog2))
        shift = 64 - capacityLog2
    }

    @inlinable public var isEmpty: Bool { stored == 0 }

    /// The slot holding `key`, or the empty slot where it would go.
    @inlinable @inline(__always) func slot(_ key: UInt64) -> Int {
        let mask = keyStore.count - 1
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let k = keyStore[i]
            if k == key || k == U64Map.emptyKey { return i }
            i = (i + 1) & mask
        }
    }

    @inlinable @inline(__always) public func contains(_ key: UInt64) -> Bool { keyStore[slot(key)] == key }

    /// The slot index of a stored key, for a read-modify-write with one probe: value(at:),
    /// then setValue(_:at:). Valid until the next insertion.
    @inlinable @inline(__always) public func index(of key: UInt64) -> Int? {
        let i = slot(key)
        return keyStore[i] == key ? i : nil
    }

    @inlinable @inline(__always) public func value(at i: Int) -> Value { valStore[i] }

    /// The slot of `key`, inserted with `value` first if absent.
    @inlinable @inline(__always) public mutating func slotInserting(_ key: UInt64, _ value: Value) -> Int {
        let i = slot(key)
        if keyStore[i] == key { return i }
        insert(key, value, at: i)
        return slot(key)
    }

    @inlinable @inline(__always) public mutating func setValue(_ value: Value, at i: Int) { valStore[i] = value }

    @inlinable public subscript(key: UInt64) -> Value? {
        @inline(__always) get {
            let i = slot(key)
            return keyStore[i] == key ? valStore[i] : nil
        }
        @inline(__always) set {
            let i = slot(key)
            if keyStore[i] == key {
                valStore[i] = newValue ?? blank
            } else if let v = newValue {
                insert(key, v, at: i)
            }
        }
    }

    @inlinable public subscript(key: UInt64, default value: Value) -> Value {
        @inline(__always) get {
            let i = slot(key)
            return keyStore[i] == key ? valStore[i] : value
        }
        @inline(__always) set {
            let i = slot(key)
            if keyStore[i] == key { valStore[i] = newValue } else { insert(key, newValue, at: i) }
        }
        // In place, with one probe when the key is stored (two when it is inserted).
        @inline(__always) _modify {
            let i = slotInserting(key, value)
            var v = valStore[i]
            defer { valStore[i] = v }
            yield &v
        }
    }

    @inlinable mutating func insert(_ key: UInt64, _ value: Value, at i: Int) {
        if (stored + 1) * 2 > keyStore.count {
            grow()
            insert(key, value, at: slot(key))
            return
        }
        keyStore[i] = key
        valStore[i] = value
        stored += 1
    }

    @inlinable mutating func grow() {
        let oldKeys = keyStore, oldVals = valStore
        keyStore = Array(repeating: U64Map.emptyKey, count: oldKeys.count * 2)
        valStore = Array(repeating: blank, count: oldKeys.count * 2)
        shift -= 1
        for (j, k) in oldKeys.enumerated() where k != U64Map.emptyKey {
            let i = slot(k)
            keyStore[i] = k
            valStore[i] = oldVals[j]
        }
    }

    /// Calls body for every stored key and value (in no particular order).
    @inlinable public func forEach(_ body: (UInt64, Value) -> Void) {
        for (j, k) in keyStore.enumerated() where k != U64Map.emptyKey { body(k, valStore[j]) }
    }

    /// Every stored key (in no particular order).
    @inlinable public var keys: [UInt64] { keyStore.filter { $0 != U64Map.emptyKey } }

    /// Lets body change the value of every stored key in place (in no particular order).
    @inlinable public mutating func updateEach(_ body: (UInt64, inout Value) -> Void) {
        for j in keyStore.indices where keyStore[j] != U64Map.emptyKey { body(keyStore[j], &valStore[j]) }
    }
}
