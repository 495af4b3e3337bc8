import ArgumentParser
import DilatedViT
import DilatedViTTraining

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

/// Says so when `precisions` include bf16 on a CPU without AVX512-BF16, or int8 without
/// AVX512-VNNI (timings would mislead).
func noteSlowPrecisions(_ precisions: [MatmulPrecision]) {
    for precision in precisions where !precision.isAccelerated {
        let feature = precision == .int8 ? "AVX512-VNNI" : "AVX512-BF16"
        print("note: this CPU lacks \(feature); \(precision.rawValue) runs the slow portable kernel")
    }
}

/// Training computes in fp32 or bf16 only (`MatmulPrecision.trainable`).
func requireTrainingPrecision(_ precisions: [MatmulPrecision], option: String) throws {
    if !precisions.allSatisfy(MatmulPrecision.trainable.contains) {
        throw ValidationError("\(option) int8 is for reading photos only (classify, evaluate, bench forward); train in fp32 or bf16")
    }
}
