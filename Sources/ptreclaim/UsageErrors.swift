// Usage errors as one line on stderr, "ptreclaim: [SUBCOMMAND: ]what is wrong (hint)", exit 64.
// ArgumentParser's own error output is several lines (message, help line, usage, pointer to
// --help); scripts and people both want one. Help and --version still print in full.
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

extension Ptreclaim {
    /// `ptreclaim NAME` and `ptreclaim help NAME` for a NAME that is not a subcommand are
    /// errors (ArgumentParser says "unexpected argument", or prints the root help for `help`).
    static func checkCommandName(_ arguments: [String]) throws {
        var topics = arguments.prefix(1).filter { !$0.hasPrefix("-") && $0 != "help" }
        if arguments.first == "help" { topics = Array(arguments.dropFirst()) }
        let known = subcommandNames
        for topic in topics where !known.contains(topic) {
            throw ValidationError("no command '\(topic)'" + suggestion(for: topic, among: known)
                                  + "; the commands are \(known.joined(separator: ", "))")
        }
    }

    static var subcommandNames: [String] {
        configuration.subcommands.compactMap { $0.configuration.commandName }
    }

    /// Prints `error` as one line and exits: ExitCode (already reported) exits quietly, help and
    /// version requests print as usual, everything else is "ptreclaim: ..." with its status.
    static func exitWithOneLine(_ error: Error, arguments: [String]) -> Never {
        if let code = error as? ExitCode { Glibc.exit(code.rawValue) }
        let code = exitCode(for: error)
        if code == .success { exit(withError: error) }
        let sub = arguments.first.flatMap { subcommandNames.contains($0) ? $0 : nil }
        var text = message(for: error).split(separator: "\n").map {
            String($0.drop { $0 == " " })
        }.joined(separator: " ")
        if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
        if let first = text.first, first.isUppercase, !text.hasPrefix("PTRECLAIM") {
            text = first.lowercased() + text.dropFirst()
        }
        if text.hasSuffix(".") { text.removeLast() }
        // ArgumentParser's "Unknown option '--x'. Did you mean '--y'?" in our form.
        if let r = text.firstRange(of: ". Did you mean ") {
            text = text[..<r.lowerBound] + " (did you mean " + text[r.upperBound...].dropLast(text.hasSuffix("?") ? 1 : 0) + "?)"
        }
        let hint = " (see 'ptreclaim \(sub.map { $0 + " " } ?? "")--help')"
        warn((sub.map { $0 + ": " } ?? "") + text + (code == .validationFailure ? hint : ""))
        Glibc.exit(code.rawValue)
    }
}

/// " (did you mean 'X'?)" for the candidate closest to `word`, when one is close enough.
func suggestion(for word: String, among candidates: [String]) -> String {
    let scored = candidates.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
    guard let (best, d) = scored, d <= max(2, best.count / 3) else { return "" }
    return " (did you mean '\(best)'?)"
}

/// Levenshtein distance (insertions, deletions, substitutions), one row at a time.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return a.count + b.count }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var diag = row[0]
        row[0] = i
        for j in 1...b.count {
            let up = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1))
            diag = up
        }
    }
    return row[b.count]
}

/// The long options (`--name`) of `command`, read from its help text so the list never
/// drifts from the declarations.
func longOptions(of command: ParsableCommand.Type) -> [String] {
    var names: [String] = []
    for word in command.helpMessage(columns: 1000).split(whereSeparator: { " ,[]<>=\n".contains($0) })
    where word.hasPrefix("--") && word.count > 2 {
        let name = String(word)
        if !names.contains(name) { names.append(name) }
    }
    return names
}
