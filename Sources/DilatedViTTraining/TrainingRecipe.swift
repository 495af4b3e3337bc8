import DilatedViT

/// Everything about a training run besides the model's architecture: the schedule, the
/// regularisation, the data settings and the seed. Saved with every checkpoint, so a
/// resumed run can refuse settings that differ from the ones it started with. Settings
/// added after the checkpoint format are optionals, so older runs' `state.json` still decodes.
public struct TrainingRecipe: Sendable, Equatable, Codable {
    public var epochs: Int
    public var batchSize: Int
    /// Peak learning rate of AdamW, reached after the warm-up.
    public var learningRate: Float
    /// Floor of the cosine decay.
    public var minimumLearningRate: Float
    public var warmupEpochs: Double
    public var weightDecay: Float
    public var labelSmoothing: Float
    /// Global gradient-norm clip (0 = off).
    public var gradientClip: Float
    /// Seeds the initial weights, the batch order, the grid sizes and every augmentation.
    public var seed: UInt64
    /// Grid sides (in patches) drawn per training batch: multi-resolution training.
    public var gridSides: [Int]
    /// Token-balanced batches (`MultiResolutionBatchSampler.tokensPerBatch`): `nil` keeps
    /// `batchSize` photos per batch at every grid.
    public var tokensPerBatch: Int?
    /// Validation photos are resized whole to this many patches per side.
    public var validationGridSide: Int
    public var validationFraction: Double
    /// Seeds the validation split (kept apart from `seed` so runs compare on the same photos).
    public var splitSeed: UInt64
    public var augmentation: TrainingAugmentation
    /// A weights folder (`config.json` + `model.safetensors`) of the same architecture to
    /// start from instead of random weights: a new schedule over an earlier run's model.
    public var initialWeights: String?
    /// The Linear layers' products: fp32, or mixed precision with BF16 products
    /// (`LinearProducts`).
    public var precision: MatmulPrecision
    /// Weights folders of trained models to distil from (`TeacherEnsemble`); empty: none.
    public var teachers: [String]
    /// The teachers' share of each training target (`CrossEntropy.distillationWeight`).
    public var distillationWeight: Float
    /// Whether each teacher also reads every crop mirrored and averages the two predictions
    /// (`ClassificationOptions.averagesMirroredView`): a more accurate teacher for twice its time.
    public var teachersAverageMirroredView: Bool
    /// Teachers read each crop resized to at most this many tokens (`TeacherEnsemble.maxTokens`);
    /// `nil`: at the student's grid.
    public var teacherTokens: Int?
    /// Decay of an exponential moving average of the weights (`WeightAverage`), which is then
    /// what validation reads and the checkpoints publish; `nil`: the raw weights.
    public var weightAverageDecay: Float?

    public init(epochs: Int = 30, batchSize: Int = 64, learningRate: Float = 1e-3,
                minimumLearningRate: Float = 1e-5, warmupEpochs: Double = 2, weightDecay: Float = 0.05,
                labelSmoothing: Float = 0.1, gradientClip: Float = 1, seed: UInt64 = 1,
                gridSides: [Int] = [8, 10, 12, 14, 16], tokensPerBatch: Int? = nil, validationGridSide: Int = 12,
                validationFraction: Double = 0.1, splitSeed: UInt64 = 0,
                augmentation: TrainingAugmentation = TrainingAugmentation(), initialWeights: String? = nil,
                precision: MatmulPrecision = .float32, teachers: [String] = [], distillationWeight: Float = 0.5,
                teachersAverageMirroredView: Bool = false, teacherTokens: Int? = nil,
                weightAverageDecay: Float? = nil) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.minimumLearningRate = minimumLearningRate
        self.warmupEpochs = warmupEpochs
        self.weightDecay = weightDecay
        self.labelSmoothing = labelSmoothing
        self.gradientClip = gradientClip
        self.seed = seed
        self.gridSides = gridSides
        self.tokensPerBatch = tokensPerBatch
        self.validationGridSide = validationGridSide
        self.validationFraction = validationFraction
        self.splitSeed = splitSeed
        self.augmentation = augmentation
        self.initialWeights = initialWeights
        self.precision = precision
        self.teachers = teachers
        self.distillationWeight = distillationWeight
        self.teachersAverageMirroredView = teachersAverageMirroredView
        self.teacherTokens = teacherTokens
        self.weightAverageDecay = weightAverageDecay
    }

    /// Checks the settings that would otherwise stop the run part-way.
    public func validate() throws(TrainerError) {
        func require(_ condition: Bool, _ message: String) throws(TrainerError) {
            if !condition { throw .invalidRecipe(message) }
        }
        try require(epochs > 0, "epochs must be positive, got \(epochs)")
        try require(batchSize > 0, "the batch size must be positive, got \(batchSize)")
        try require(warmupEpochs >= 0 && warmupEpochs < Double(epochs),
                    "the warm-up (\(warmupEpochs) epochs) must be shorter than the run (\(epochs))")
        try require(learningRate > 0 && minimumLearningRate >= 0 && minimumLearningRate <= learningRate,
                    "learning rates must satisfy 0 ≤ minimum ≤ peak, peak > 0")
        try require(weightDecay >= 0 && gradientClip >= 0, "weight decay and the clip must not be negative")
        try require((0..<1).contains(labelSmoothing), "label smoothing must be in [0, 1)")
        try require(!gridSides.isEmpty && gridSides.allSatisfy { $0 > 0 } && validationGridSide > 0,
                    "grid sides must be positive")
        try require(tokensPerBatch.map { $0 > 0 } ?? true, "tokens per batch must be positive")
        try require(validationFraction > 0 && validationFraction < 1, "the validation fraction must be in (0, 1)")
        try require((0...1).contains(distillationWeight), "the distillation weight must be in [0, 1]")
        try require(teacherTokens.map { $0 > 0 } ?? true, "the teachers' token budget must be positive")
        try require(weightAverageDecay.map { $0 > 0 && $0 < 1 } ?? true,
                    "the weight average's decay must lie in (0, 1), got \(weightAverageDecay ?? 0)")
        try require(MatmulPrecision.trainable.contains(precision),
                    "products train in fp32 or bf16, not \(precision.rawValue) (int8 is for reading photos)")
    }
}

extension MatmulPrecision {
    /// The precisions training computes in (int8 is inference only).
    public static let trainable: [MatmulPrecision] = [.float32, .bfloat16]
}
