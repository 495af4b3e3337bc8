import ArgumentParser
import DilatedViT

extension MatmulPrecision: ExpressibleByArgument {}
extension AttentionMode: ExpressibleByArgument {}

/// Parses a comma-separated list of named values such as `--precisions fp32,bf16`: every
/// entry must name a case (a misspelt one is an error, never silently dropped).
func parseNamedList<Value: RawRepresentable & CaseIterable>(_ text: String, option: String) throws -> [Value]
where Value.RawValue == String {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { entry in
        guard let value = Value(rawValue: entry.trimmingCharacters(in: .whitespaces)) else {
            let names = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("\(option): expected one of \(names), got '\(entry)'")
        }
        return value
    }
}

/// Says so when `precisions` include bf16 on a CPU without AVX512-BF16 (timings would mislead).
func noteSlowPrecisions(_ precisions: [MatmulPrecision]) {
    if precisions.contains(where: { !$0.isAccelerated }) {
        print("note: this CPU lacks AVX512-BF16; bf16 runs the slow portable kernel")
    }
}
