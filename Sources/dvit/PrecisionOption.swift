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

/// Says so when `precisions` include bf16 on a CPU without AVX512-BF16 (timings would mislead).
func noteSlowPrecisions(_ precisions: [MatmulPrecision]) {
    if precisions.contains(where: { !$0.isAccelerated }) {
        print("note: this CPU lacks AVX512-BF16; bf16 runs the slow portable kernel")
    }
}
