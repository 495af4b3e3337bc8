import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct TrainerTests {
    private static let labels = ["a", "b", "c"]

    private func tinyConfig() throws -> ModelConfig {
        try ModelConfig(dimension: 16, depth: 1, heads: 2, patchSize: 4, mlpRatio: 2,
                        levels: [AttentionLevel(segment: 2, dilation: 1), AttentionLevel(segment: 4, dilation: 2)],
                        labels: Self.labels)
    }

    private func recipe(epochs: Int, precision: MatmulPrecision = .float32) -> TrainingRecipe {
        TrainingRecipe(epochs: epochs, batchSize: 8, learningRate: 3e-3, warmupEpochs: 0.5, seed: 5,
                       gridSides: [3, 4], validationGridSide: 4, validationFraction: 0.25, precision: precision)
    }

    private func temporaryRun() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("dvit-run-\(UUID().uuidString)")
    }

    @Test(arguments: MatmulPrecision.trainable)
    func resumingAfterAnEpochReproducesAnUninterruptedRun(_ precision: MatmulPrecision) throws {
        let folder = try SyntheticImageFolder(counts: ["a": 12, "b": 12, "c": 12])
        defer { folder.remove() }
        let straight = temporaryRun(), resumed = temporaryRun()
        defer { for url in [straight, resumed] { try? FileManager.default.removeItem(at: url) } }

        let full = try Trainer(dataRoot: folder.root, output: straight, config: tinyConfig(),
                               recipe: recipe(epochs: 2, precision: precision), resume: false, loaderThreads: 0)
        try full.run { _ in }

        // Same settings, stopped after one epoch, then resumed in a new Trainer.
        let first = try Trainer(dataRoot: folder.root, output: resumed, config: tinyConfig(),
                                recipe: recipe(epochs: 2, precision: precision), resume: false, loaderThreads: 0)
        var epochsSeen = 0
        do {
            try first.run { event in
                if case .epochFinished = event { epochsSeen += 1 }
                if epochsSeen == 1 { throw StopAfterFirstEpoch() }
            }
        } catch is StopAfterFirstEpoch {}
        let second = try Trainer(dataRoot: folder.root, output: resumed, config: tinyConfig(),
                                 recipe: recipe(epochs: 2, precision: precision), resume: true, loaderThreads: 0)
        #expect(second.epochsCompleted == 1)
        try second.run { _ in }

        let (_, a) = try TrainingCheckpoint(directory: straight).loadModel()
        let (_, b) = try TrainingCheckpoint(directory: resumed).loadModel()
        #expect(a.tensors == b.tensors, "a resumed run must equal the uninterrupted one bit for bit")
        let history = try TrainingCheckpoint(directory: straight).loadState().history
        #expect(history.map(\.epoch) == [1, 2])
        #expect(FileManager.default.fileExists(atPath: straight.appendingPathComponent("best/model.safetensors").path))
        let listing = try String(contentsOf: straight.appendingPathComponent("validation.txt"), encoding: .utf8)
        #expect(listing.split(separator: "\n").filter { !$0.hasPrefix("#") }.count == 9)  // 25% of 12, per label
    }

    @Test(arguments: MatmulPrecision.trainable)
    func trainingLearnsAnEasyTask(_ precision: MatmulPrecision) throws {
        // Labels are encoded in the red channel: 12 epochs must learn them (measured: 100% from
        // epoch 8 in fp32 and in bf16; chance is 1/3).
        let folder = try SyntheticImageFolder(counts: ["a": 16, "b": 16, "c": 16])
        defer { folder.remove() }
        let run = temporaryRun()
        defer { try? FileManager.default.removeItem(at: run) }
        var settings = recipe(epochs: 12, precision: precision)
        settings.learningRate = 1e-2
        settings.augmentation = .identity
        let trainer = try Trainer(dataRoot: folder.root, output: run, config: tinyConfig(), recipe: settings,
                                  resume: false, loaderThreads: 0)
        try trainer.run { _ in }
        #expect(trainer.history.last!.validationAccuracy >= 0.9, "history: \(trainer.history.map(\.validationAccuracy))")
    }

    /// A v2 run from v1 weights starts as the v1 model wherever v2 reduces to it: the
    /// pooling scores start at zero (mean pooling), the rule adds no level on grids within
    /// the last segment, and the code equals v1's on a grid as wide as the span.
    @Test func aVersion2RunStartsFromVersion1Weights() throws {
        let folder = try SyntheticImageFolder(counts: ["a": 8, "b": 8, "c": 8])
        defer { folder.remove() }
        let v1Run = temporaryRun(), v2Run = temporaryRun()
        defer { for url in [v1Run, v2Run] { try? FileManager.default.removeItem(at: url) } }
        let v1 = try Trainer(dataRoot: folder.root, output: v1Run, config: tinyConfig(), recipe: recipe(epochs: 1),
                             resume: false, loaderThreads: 0)
        try v1.run { _ in }
        var config = try tinyConfig()
        config.levelRule = .toGrid
        config.positionCode = .sinCos2DNormalised
        config.positionSpan = 4  // the validation grid
        config.pooling = .attention
        var settings = recipe(epochs: 1)
        settings.initialWeights = v1Run.appendingPathComponent("best").path
        let v2 = try Trainer(dataRoot: folder.root, output: v2Run, config: config, recipe: settings, resume: false,
                             loaderThreads: 0)
        #expect(v2.validate() == v1.validate())
        // A change the v2 options cannot absorb is still refused.
        config.dimension = 32
        let refused = #expect(throws: TrainerError.self) {
            try Trainer(dataRoot: folder.root, output: self.temporaryRun(), config: config, recipe: settings,
                        resume: false, loaderThreads: 0)
        }
        #expect("\(refused.map { $0 } as Any)".contains("different model size"))
    }

    /// With token-balanced batches each epoch draws its own grids, so its batch count differs
    /// from the first epoch's: the progress reports count to the epoch's own last batch, and the
    /// learning rate decays over the run's own batches — it falls at every step after the
    /// warm-up and reaches the schedule's last step at the last batch (spanning the first
    /// epoch's count four times, it would stop short of the floor or sit on it at the end).
    @Test func eachEpochCountsItsOwnBatches() throws {
        let folder = try SyntheticImageFolder(counts: ["a": 16, "b": 16, "c": 16])
        defer { folder.remove() }
        let run = temporaryRun()
        defer { try? FileManager.default.removeItem(at: run) }
        var settings = recipe(epochs: 4)
        settings.gridSides = [2, 8]
        settings.tokensPerBatch = 64
        let trainer = try Trainer(dataRoot: folder.root, output: run, config: tinyConfig(), recipe: settings,
                                  resume: false, loaderThreads: 0)
        var last: [Int: TrainingProgress] = [:]
        var rates: [Float] = []
        try trainer.run { event in
            if case .batch(let progress) = event {
                last[progress.epoch] = progress
                rates.append(progress.learningRate)
            }
        }
        let counts = (0..<4).map { trainer.data.sampler.batches(epoch: $0).count }
        #expect(Set(counts).count > 1, "the draws should give epochs of different lengths: \(counts)")
        for epoch in 0..<4 {
            #expect(last[epoch]?.batch == counts[epoch] && last[epoch]?.batchesPerEpoch == counts[epoch])
        }
        #expect(rates.count == counts.reduce(0, +) && rates.count != 4 * counts[0])
        let warmup = Int(settings.warmupEpochs * Double(counts[0]))
        let decay = rates[warmup...]
        #expect(zip(decay, decay.dropFirst()).allSatisfy { $0 > $1 }, "\(decay)")
        let schedule = LearningRateSchedule(peak: settings.learningRate, warmupSteps: warmup, totalSteps: rates.count,
                                            minimum: settings.minimumLearningRate)
        #expect(rates.last! == schedule.learningRate(atStep: rates.count - 1))
    }

    /// A deeper run grows from a shallower run's weights: the saved blocks are copied, the
    /// new block starts as an identity (the grown model's logits are the saved model's, bit
    /// for bit), and training moves its residual outputs away from zero.
    @Test func aDeeperRunStartsFromShallowerWeightsAsTheSameFunction() throws {
        let folder = try SyntheticImageFolder(counts: ["a": 8, "b": 8, "c": 8])
        defer { folder.remove() }
        let shallowRun = temporaryRun(), deepRun = temporaryRun()
        defer { for url in [shallowRun, deepRun] { try? FileManager.default.removeItem(at: url) } }
        let shallow = try Trainer(dataRoot: folder.root, output: shallowRun, config: tinyConfig(),
                                  recipe: recipe(epochs: 1), resume: false, loaderThreads: 0)
        try shallow.run { _ in }
        var config = try tinyConfig()
        config.depth = 2
        var settings = recipe(epochs: 1)
        settings.initialWeights = shallowRun.appendingPathComponent("best").path
        let deep = try Trainer(dataRoot: folder.root, output: deepRun, config: config, recipe: settings, resume: false,
                               loaderThreads: 0)
        // A 4 × 4 grid of 4-pixel patches.
        let grid = PatchGrid(rows: 4, columns: 4, patchSize: 4,
                             values: (0..<16 * 48).map { Float(($0 * 37) % 101) / 50 - 1 })
        let shallowLogits = DilatedViTModel(config: try tinyConfig(), weights: shallow.publishedWeights)
            .logits(for: grid)
        #expect(DilatedViTModel(config: config, weights: deep.publishedWeights).logits(for: grid) == shallowLogits)
        let layout = deep.publishedWeights.layout
        for name in ["blocks.1.attn.proj.weight", "blocks.1.mlp.fc2.weight"] {
            #expect(deep.publishedWeights.values[layout[name]!.range].allSatisfy { $0 == 0 }, "\(name) starts at zero")
        }
        #expect(deep.publishedWeights.values[layout["blocks.1.attn.qkv.weight"]!.range].contains { $0 != 0 })
        try deep.run { _ in }
        for name in ["blocks.1.attn.proj.weight", "blocks.1.mlp.fc2.weight"] {
            #expect(deep.publishedWeights.values[layout[name]!.range].contains { $0 != 0 }, "\(name) learns")
        }
        // Shallower than the saved weights is still refused.
        var shallower = settings
        shallower.initialWeights = deepRun.appendingPathComponent("best").path
        #expect(throws: TrainerError.self) {
            try Trainer(dataRoot: folder.root, output: self.temporaryRun(), config: try self.tinyConfig(),
                        recipe: shallower, resume: false, loaderThreads: 0)
        }
    }

    /// With a weight average the run trains exactly as without one, publishes (validates,
    /// saves as model and best) the average, and resumes both bit for bit.
    @Test func aWeightAverageIsPublishedWithoutChangingTraining() throws {
        let folder = try SyntheticImageFolder(counts: ["a": 12, "b": 12, "c": 12])
        defer { folder.remove() }
        let plain = temporaryRun(), straight = temporaryRun(), resumed = temporaryRun()
        defer { for url in [plain, straight, resumed] { try? FileManager.default.removeItem(at: url) } }
        var averaged = recipe(epochs: 2)
        averaged.weightAverageDecay = 0.8
        try Trainer(dataRoot: folder.root, output: plain, config: tinyConfig(), recipe: recipe(epochs: 2),
                    resume: false, loaderThreads: 0).run { _ in }
        let full = try Trainer(dataRoot: folder.root, output: straight, config: tinyConfig(), recipe: averaged,
                               resume: false, loaderThreads: 0)
        try full.run { _ in }
        let first = try Trainer(dataRoot: folder.root, output: resumed, config: tinyConfig(), recipe: averaged,
                                resume: false, loaderThreads: 0)
        do {
            try first.run { event in if case .epochFinished = event { throw StopAfterFirstEpoch() } }
        } catch is StopAfterFirstEpoch {}
        let second = try Trainer(dataRoot: folder.root, output: resumed, config: tinyConfig(), recipe: averaged,
                                 resume: true, loaderThreads: 0)
        try second.run { _ in }

        func tensors(_ run: URL, _ file: String) throws -> [String: Tensor] {
            try SafeTensors(contentsOf: run.appendingPathComponent("current/" + file)).tensors
        }
        let raw = try tensors(straight, "training.safetensors"), published = try tensors(straight, "model.safetensors")
        #expect(raw == (try tensors(plain, "model.safetensors")), "the average must not change the training")
        #expect(published != raw)
        #expect(try tensors(resumed, "training.safetensors") == raw)
        #expect(try tensors(resumed, "model.safetensors") == published)
        #expect(!FileManager.default.fileExists(atPath: plain.appendingPathComponent("current/training.safetensors").path))
        // Validation read the published weights: the last epoch's accuracy is theirs.
        #expect(second.validate().accuracy == second.history.last!.validationAccuracy)
        #expect(second.publishedWeights.tensors == published)
        let best = try SafeTensors(contentsOf: straight.appendingPathComponent("best/model.safetensors")).tensors
        #expect(best == published || full.history.last!.validationAccuracy <= full.history.first!.validationAccuracy)
    }

    @Test func aStudentLearnsFromItsTeachersAlone() throws {
        // The teacher learns the easy task from labels; the student sees only the teacher's
        // probabilities (weight 1), on its own crops, and must learn the task from them.
        let folder = try SyntheticImageFolder(counts: ["a": 16, "b": 16, "c": 16])
        defer { folder.remove() }
        let teacherRun = temporaryRun(), studentRun = temporaryRun()
        defer { for url in [teacherRun, studentRun] { try? FileManager.default.removeItem(at: url) } }
        var settings = recipe(epochs: 12)
        settings.learningRate = 1e-2
        settings.augmentation = .identity
        let teacher = try Trainer(dataRoot: folder.root, output: teacherRun, config: tinyConfig(), recipe: settings,
                                  resume: false, loaderThreads: 0)
        try teacher.run { _ in }
        #expect(teacher.history.last!.validationAccuracy >= 0.9)

        settings.seed = 9
        settings.labelSmoothing = 0
        settings.teachers = [teacherRun.appendingPathComponent("best").path]
        settings.distillationWeight = 1
        let student = try Trainer(dataRoot: folder.root, output: studentRun, config: tinyConfig(), recipe: settings,
                                  resume: false, loaderThreads: 0)
        try student.run { _ in }
        #expect(student.history.last!.validationAccuracy >= 0.9, "history: \(student.history.map(\.validationAccuracy))")
        // The teachers are part of the recipe: a resume without them is refused.
        settings.teachers = []
        #expect(throws: TrainerError.self) {
            try Trainer(dataRoot: folder.root, output: studentRun, config: tinyConfig(), recipe: settings,
                        resume: true, loaderThreads: 0)
        }
    }

    @Test func refusesATeacherWithOtherLabels() throws {
        let folder = try SyntheticImageFolder(counts: ["a": 4, "b": 4, "c": 4])
        defer { folder.remove() }
        let teacherFolder = temporaryRun()
        defer { try? FileManager.default.removeItem(at: teacherFolder) }
        var config = try tinyConfig()
        config.labels = ["a", "c", "b"]
        try FileManager.default.createDirectory(at: teacherFolder, withIntermediateDirectories: true)
        try config.jsonData().write(to: teacherFolder.appendingPathComponent("config.json"))
        try SafeTensors(tensors: ModelWeights(trainingInitFor: config, seed: 1).tensors)
            .write(to: teacherFolder.appendingPathComponent("model.safetensors"))
        var settings = recipe(epochs: 1)
        settings.teachers = [teacherFolder.path]
        #expect {
            try Trainer(dataRoot: folder.root, output: temporaryRun(), config: tinyConfig(), recipe: settings,
                        resume: false, loaderThreads: 0)
        } throws: { error in
            "\(error)".contains("does not fit this run: labels")
        }
    }

    @Test func refusesToOverwriteOrToResumeWithOtherSettings() throws {
        let folder = try SyntheticImageFolder(counts: ["a": 4, "b": 4, "c": 4])
        defer { folder.remove() }
        let run = temporaryRun()
        defer { try? FileManager.default.removeItem(at: run) }
        try Trainer(dataRoot: folder.root, output: run, config: tinyConfig(), recipe: recipe(epochs: 1),
                    resume: false, loaderThreads: 0).run { _ in }
        #expect(throws: TrainerError.self) {
            try Trainer(dataRoot: folder.root, output: run, config: tinyConfig(), recipe: recipe(epochs: 1),
                        resume: false, loaderThreads: 0)
        }
        #expect(throws: TrainerError.self) {
            try Trainer(dataRoot: folder.root, output: run, config: tinyConfig(), recipe: recipe(epochs: 3),
                        resume: true, loaderThreads: 0)
        }
        #expect(throws: TrainerError.self) {
            try Trainer(dataRoot: folder.root, output: run, config: tinyConfig(),
                        recipe: recipe(epochs: 1, precision: .bfloat16), resume: true, loaderThreads: 0)
        }
        var bad = recipe(epochs: 1)
        bad.warmupEpochs = 2
        #expect(throws: TrainerError.self) {
            try Trainer(dataRoot: folder.root, output: temporaryRun(), config: tinyConfig(), recipe: bad,
                        resume: false, loaderThreads: 0)
        }
    }
}

private struct StopAfterFirstEpoch: Error {}
