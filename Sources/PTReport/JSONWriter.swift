// A small JSON writer that keeps keys in the order they are written (the contract's order),
// prints integers as integers and doubles as JSON numbers.

struct JSONWriter {
    private(set) var out = ""
    private var needsComma = [false]
    private var indent: Int { needsComma.count - 1 }

    private mutating func separator() {
        if needsComma[needsComma.count - 1] { out += "," }
        needsComma[needsComma.count - 1] = true
        if indent > 0 { out += "\n" + String(repeating: "  ", count: indent) }
    }

    private mutating func key(_ k: String?) {
        separator()
        if let k { out += JSONWriter.quote(k) + ": " }
    }

    mutating func open(_ k: String? = nil, array: Bool = false) {
        key(k)
        out += array ? "[" : "{"
        needsComma.append(false)
    }

    mutating func close(array: Bool = false) {
        let hadItems = needsComma.removeLast()
        if hadItems { out += "\n" + String(repeating: "  ", count: indent) }
        out += array ? "]" : "}"
    }

    mutating func raw(_ k: String?, _ text: String) { key(k); out += text }
    mutating func string(_ k: String?, _ s: String) { raw(k, JSONWriter.quote(s)) }
    mutating func int<T: BinaryInteger>(_ k: String?, _ v: T) { raw(k, String(v)) }
    mutating func bool(_ k: String?, _ v: Bool) { raw(k, v ? "true" : "false") }
    mutating func null(_ k: String?) { raw(k, "null") }
    mutating func double(_ k: String?, _ v: Double) { raw(k, JSONWriter.number(v)) }

    /// A finite double as a JSON number ("1.5", "0.0", "1e-05"); non-finite values become 0.
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "0.0" }
        return String(v)
    }

    static func quote(_ s: String) -> String {
        var r = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": r += "\\\""
            case "\\": r += "\\\\"
            case "\n": r += "\\n"
            case "\r": r += "\\r"
            case "\t": r += "\\t"
            case _ where u.value < 0x20:
                let h = String(u.value, radix: 16)
                r += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: r.unicodeScalars.append(u)
            }
        }
        return r + "\""
    }
}
