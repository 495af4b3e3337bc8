import Foundation
import DilatedViT

/// Trained models whose averaged predictions a student learns from (knowledge distillation):
/// for each photo of a batch, the mean over the teachers of softmax(logits), on exactly the
/// patch grid the student sees — the same crop, flip and colour jitter, so the student
/// matches the teachers' function rather than one fixed label per photo.
///
/// With a token budget the teachers read the same crop resized to at most that many patches
/// (their own default reading), so a student learning large grids is taught by the
/// teachers' best view of each crop rather than by a grid size they never learned.
///
/// Teachers may differ from the student in size, patch embedding and attention levels, but
/// must read the same patches (patch size, normalisation) and name the same labels in the
/// same order. Their validation photos must be the student's too (the same data folder and
/// split seed): a teacher that was trained on the student's validation photos would leak
/// them into its targets.
public final class TeacherEnsemble: Sendable {
    public let models: [DilatedViTModel]
    /// Whether each teacher also reads the mirrored grid (`TrainingRecipe.teachersAverageMirroredView`).
    public let averagesMirroredView: Bool
    /// The teachers' token budget (`TrainingRecipe.teacherTokens`); `nil`: the student's grid.
    public let maxTokens: Int?

    /// Loads each weights folder (`config.json` + `model.safetensors`) at `precision`,
    /// checking that it fits a student of `config`.
    public init(folders: [String], for config: ModelConfig, precision: MatmulPrecision,
                averagesMirroredView: Bool = false, maxTokens: Int? = nil) throws {
        precondition(!folders.isEmpty, "TeacherEnsemble: no teacher folders")
        self.averagesMirroredView = averagesMirroredView
        self.maxTokens = maxTokens
        models = try folders.map { path in
            let model = try DilatedViTModel(contentsOf: URL(fileURLWithPath: path), precision: precision)
            let teacher = model.config
            func require(_ condition: Bool, _ what: String) throws {
                if !condition { throw TrainerError.teacherMismatch(path, what) }
            }
            try require(teacher.labels == config.labels,
                        "labels \(teacher.labels) instead of the data set's \(config.labels)")
            try require(teacher.patchSize == config.patchSize,
                        "patch \(teacher.patchSize) instead of \(config.patchSize)")
            try require(teacher.mean == config.mean && teacher.std == config.std, "another pixel normalisation")
            return model
        }
    }

    /// `grids.count × classes` probabilities, row-major: the teachers' mean softmax per photo.
    public func probabilities(for grids: [PatchGrid]) -> [Float] {
        let config = models[0].config, classes = config.classCount
        var result = [Float](repeating: 0, count: grids.count * classes)
        result.withUnsafeMutableBufferPointer { output in
            let base = output.baseAddress!
            // Small photos: one photo per core beats splitting each tiny forward pass.
            parallelFor(grids.count) { i in
                let grid = maxTokens.map { grids[i].resampled(maxTokens: $0, mean: config.mean, std: config.std) } ?? grids[i]
                let mean = models.flatMap { model in
                    grid.views(includingMirror: averagesMirroredView).map { model.probabilities(for: $0) }
                }.elementwiseMean()
                for c in 0..<classes { base[i * classes + c] = mean[c] }
            }
        }
        return result
    }
}
