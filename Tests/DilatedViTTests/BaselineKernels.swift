import CKernelsTesting
@testable import DilatedViT

extension WindowKernels {
    /// The baseline x86-64 clones of the window kernels (what CPUs without AVX2 run).
    static let baseline = WindowKernels(forward: ck_window_attention_baseline,
                                        backward: ck_window_attention_backward_baseline)
}
