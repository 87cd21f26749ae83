// Human-readable byte counts for the text report.

enum Units {
    /// "512 B", "96.0 KiB", "100.2 MiB", "1.50 GiB".
    static func bytes<T: BinaryInteger>(_ v: T) -> String { bytes(Double(v)) }

    static func bytes(_ v: Double) -> String {
        let a = abs(v)
        let sign = v < 0 ? "-" : ""
        if a < 1024 { return sign + "\(Int(a)) B" }
        if a < 1024 * 1024 { return sign + fixed(a / 1024, 1) + " KiB" }
        if a < 1024 * 1024 * 1024 { return sign + fixed(a / 1048576, 1) + " MiB" }
        return sign + fixed(a / 1073741824, 2) + " GiB"
    }

    /// A non-negative or negative value with `digits` decimals, without Foundation.
    static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = (abs(v) * scale).rounded()
        let whole = Int(n / scale)
        let frac = Int(n - Double(whole) * scale)
        var s = (v < 0 && n != 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let f = String(frac)
            s += "." + String(repeating: "0", count: digits - f.count) + f
        }
        return s
    }

    static func pad(_ s: String, _ width: Int, right: Bool = true) -> String {
        let n = s.count
        if n >= width { return s }
        let fill = String(repeating: " ", count: width - n)
        return right ? fill + s : s + fill
    }
}
