import ArgumentParser
import DilatedViT

/// Parses `fp32` or `bf16` (MatmulPrecision's raw values) for `option`.
func parsePrecision(_ text: String, option: String) throws -> MatmulPrecision {
    guard let precision = MatmulPrecision(rawValue: text.trimmingCharacters(in: .whitespaces)) else {
        let names = MatmulPrecision.allCases.map(\.rawValue).joined(separator: ", ")
        throw ValidationError("\(option): expected one of \(names), got '\(text)'")
    }
    return precision
}

/// Parses a comma-separated list of precisions such as `fp32,bf16`.
func parsePrecisionList(_ text: String, option: String) throws -> [MatmulPrecision] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { try parsePrecision(String($0), option: option) }
}
