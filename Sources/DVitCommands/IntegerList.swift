import ArgumentParser

/// Parses a comma-separated option such as `--tokens 256,1024`: every entry must be a whole
/// number of at least `minimum` (a malformed entry is an error, never silently dropped).
func parseIntegerList(_ text: String, option: String, minimum: Int = 1) throws -> [Int] {
    let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ ($0 ?? Int.min) >= minimum }) else {
        throw ValidationError("\(option): expected whole numbers ≥ \(minimum) separated by commas, got '\(text)'")
    }
    return values.map { $0! }
}
