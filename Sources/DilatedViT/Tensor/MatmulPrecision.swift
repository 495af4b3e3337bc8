/// The arithmetic of a model's Linear-layer products.
public enum MatmulPrecision: String, Sendable, CaseIterable, Codable {
    /// fp32 throughout (OpenBLAS sgemm): the default, and the reference.
    case float32 = "fp32"
    /// Inputs and weights rounded to bf16 (nearest-even, 8 significant bits), products
    /// summed in fp32: about twice the multiply rate on CPUs with AVX512-BF16. Elsewhere a
    /// correct but slow portable loop (`isAccelerated` says which).
    case bfloat16 = "bf16"

    /// Whether this precision runs at full speed on this CPU.
    public var isAccelerated: Bool {
        switch self {
        case .float32: true
        case .bfloat16: PackedBF16Weight.isAccelerated
        }
    }
}
