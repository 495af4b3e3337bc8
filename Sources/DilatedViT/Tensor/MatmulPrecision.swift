/// The arithmetic of a model's Linear-layer products.
public enum MatmulPrecision: String, Sendable, CaseIterable, Codable {
    /// fp32 throughout (OpenBLAS sgemm): the library's default, and the reference.
    case float32 = "fp32"
    /// Inputs and weights rounded to bf16 (nearest-even, 8 significant bits), products
    /// summed in fp32: about twice the multiply rate on CPUs with AVX512-BF16. Elsewhere a
    /// correct but slow portable loop (`isAccelerated` says which).
    case bfloat16 = "bf16"
    /// Weights quantised to int8 per output channel at load, inputs per token as each
    /// product runs, integer products summed exactly (AVX512-VNNI; elsewhere a slow
    /// portable loop): inference only, opt-in (docs/PERFORMANCE.md has its accuracy).
    case int8

    /// bf16 where it runs at full speed (AVX512-BF16), else fp32: the command line's
    /// default. On the held-out scene photos it labels like fp32 (docs/PERFORMANCE.md).
    public static var fastest: MatmulPrecision { PackedBF16Weight.isAccelerated ? .bfloat16 : .float32 }

    /// Whether this precision runs at full speed on this CPU.
    public var isAccelerated: Bool {
        switch self {
        case .float32: true
        case .bfloat16: PackedBF16Weight.isAccelerated
        case .int8: PackedInt8Weight.isAccelerated
        }
    }
}
