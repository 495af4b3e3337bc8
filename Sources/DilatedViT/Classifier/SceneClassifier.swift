import Foundation

/// Photos in, labels out: the photo pipeline (`PhotoLoader`) in front of a
/// `DilatedViTModel`, configured from the model's own config (patch size, normalisation,
/// default token budget). Immutable and `Sendable`: share one instance across tasks.
///
/// Photo files larger than `maxFileBytes` are refused unread, and photos read from files or
/// bytes are checked against a memory budget shared by the process before they are decoded; pixels handed over as
/// an `RGBImage` are already the caller's memory.
public final class SceneClassifier: Sendable {
    public let model: DilatedViTModel
    package let memoryBudget: MemoryBudget
    public let maxFileBytes: Int
    public var config: ModelConfig { model.config }

    /// A classifier that shares the process-wide memory budget (60% of the memory available).
    public convenience init(model: DilatedViTModel, maxFileBytes: Int = DecodeOptions.defaultMaxFileBytes) {
        self.init(model: model, memoryBudget: .standard, maxFileBytes: maxFileBytes)
    }

    package init(model: DilatedViTModel, memoryBudget: MemoryBudget, maxFileBytes: Int = DecodeOptions.defaultMaxFileBytes) {
        self.model = model
        self.memoryBudget = memoryBudget
        self.maxFileBytes = maxFileBytes
    }

    /// Loads `config.json` and `model.safetensors` from a weights directory.
    public convenience init(contentsOf directory: URL) throws {
        self.init(model: try DilatedViTModel(contentsOf: directory))
    }

    /// The loader this model expects, for `maxTokens` (nil: the config's default budget).
    public func photoLoader(maxTokens: Int? = nil, allowsUpscaling: Bool = false) -> PhotoLoader {
        PhotoLoader(patchSize: config.patchSize, maxTokens: maxTokens ?? config.reading.defaultMaxTokens,
                    allowsUpscaling: allowsUpscaling, mean: config.mean, std: config.std,
                    decodeOptions: DecodeOptions(maxFileBytes: maxFileBytes))
    }

    /// Classifies the photo file at `path`; decoding errors name the file.
    public func classify(contentsOf path: String, options: ClassificationOptions = .init())
        throws(ImageDecodingError) -> Classification
    {
        try withPhoto(atPath: path, options: options) { photo, loadMilliseconds in
            classify(photo, options: options, loadMilliseconds: loadMilliseconds)
        }
    }

    /// Classifies a JPEG or PNG held in memory.
    public func classify(_ bytes: [UInt8], options: ClassificationOptions = .init())
        throws(ImageDecodingError) -> Classification
    {
        try withPhoto(bytes, options: options) { photo, loadMilliseconds in
            classify(photo, options: options, loadMilliseconds: loadMilliseconds)
        }
    }

    /// Classifies pixels the caller already decoded.
    public func classify(_ image: RGBImage, options: ClassificationOptions = .init()) -> Classification {
        let clock = ContinuousClock()
        let start = clock.now
        let photo = photoLoader(maxTokens: options.maxTokens, allowsUpscaling: options.allowsUpscaling).load(image)
        return classify(photo, options: options, loadMilliseconds: (clock.now - start).inMilliseconds)
    }

    /// The pooled feature vector (`config.dimension` floats: final LayerNorm, mean over
    /// tokens) of the photo at `path` — what the head reads, for retrieval or clustering.
    public func embedding(contentsOf path: String, options: ClassificationOptions = .init())
        throws(ImageDecodingError) -> Embedding
    {
        try withPhoto(atPath: path, options: options) { photo, _ in
            let vector = photo.grid.views(includingMirror: options.averagesMirroredView)
                .map { model.features(for: $0, attention: options.attention) }.elementwiseMean()
            return Embedding(vector: vector, photo: photo.summary)
        }
    }

    /// Label probabilities (in `config.labels` order) for a grid, averaged over the views
    /// `options` asks for.
    public func probabilities(for grid: PatchGrid, options: ClassificationOptions = .init()) -> [Float] {
        grid.views(includingMirror: options.averagesMirroredView)
            .map { model.probabilities(for: $0, attention: options.attention) }.elementwiseMean()
    }

    private func classify(_ photo: LoadedPhoto, options: ClassificationOptions,
                          loadMilliseconds: Double) -> Classification {
        let clock = ContinuousClock()
        let start = clock.now
        return Classification(top: top(probabilities(for: photo.grid, options: options), options: options),
                              photo: photo.summary, decodeMilliseconds: loadMilliseconds,
                              modelMilliseconds: (clock.now - start).inMilliseconds)
    }

    /// The `options.topK` most probable labels (at least one), most probable first.
    func top(_ probabilities: [Float], options: ClassificationOptions) -> [LabelProbability] {
        let ranked = zip(config.labels, probabilities)
            .map { LabelProbability(label: $0, probability: $1) }
            .sorted { $0.probability > $1.probability }
        return Array(ranked.prefix(max(1, options.topK)))
    }

    /// Reads the photo file at `path` and runs `body` on it within the memory budget;
    /// errors name the file.
    func withPhoto<Result>(atPath path: String, options: ClassificationOptions,
                           _ body: (LoadedPhoto, _ loadMilliseconds: Double) -> Result)
        throws(ImageDecodingError) -> Result
    {
        let start = ContinuousClock.now
        let bytes = try photoLoader().readFile(path)
        do {
            return try withPhoto(bytes, options: options, readingSince: start, body)
        } catch {
            throw ImageDecodingError(error.problem, file: path)
        }
    }

    /// Plans the read of `bytes` from the header, reserves its estimated peak memory, then
    /// loads the photo and runs `body` while the reservation is held. The load time handed
    /// to `body` counts from `start` (when reading the file began).
    func withPhoto<Result>(_ bytes: [UInt8], options: ClassificationOptions,
                           readingSince start: ContinuousClock.Instant = .now,
                           _ body: (LoadedPhoto, _ loadMilliseconds: Double) -> Result)
        throws(ImageDecodingError) -> Result
    {
        let loader = photoLoader(maxTokens: options.maxTokens, allowsUpscaling: options.allowsUpscaling)
        let plan = try loader.plan(for: bytes)
        let resolution = plan.resolution
        // Loading peaks while the decoded photo and the grid coexist; the forward pass once the
        // decoded photo is gone and the grid of each view meets the activations.
        let grids = PatchGrid.byteCount(for: resolution).saturatingProduct(options.averagesMirroredView ? 2 : 1)
        let forward = grids.saturatingSum(model.estimatedForwardBytes(
            rows: resolution.rows, columns: resolution.columns, attention: options.attention))
        let estimate = bytes.count.saturatingSum(max(plan.estimatedBytes, forward))
        guard memoryBudget.reserve(estimate) else {
            throw ImageDecodingError(.exceedsMemoryLimit(estimatedBytes: estimate, limitBytes: memoryBudget.limitBytes,
                                                         tokens: resolution.tokenCount))
        }
        defer { memoryBudget.release(estimate) }
        let photo = try loader.load(bytes, plan: plan)
        return body(photo, (ContinuousClock.now - start).inMilliseconds)
    }
}

/// Per-call settings of `SceneClassifier`.
public struct ClassificationOptions: Sendable {
    /// How many labels to return, most probable first.
    public var topK: Int
    /// Token budget (nil: the model config's `default_max_tokens`; 0: native resolution).
    public var maxTokens: Int?
    /// Whether a photo smaller than the budget is read upscaled to it (the grid the model
    /// was validated at). Off by default: the shipped model, trained on grids of 8–16
    /// patches, scores 89.5% on 96-px photos read at their own 12×12 grid and 86.5% upscaled.
    public var allowsUpscaling: Bool
    /// nil: the model config's attention mode.
    public var attention: AttentionMode?
    /// Whether the photo is also read mirrored left and right and the two predictions (or
    /// embeddings) averaged: twice the model time, for a prediction that does not depend
    /// on which way the scene faces (the model was trained on both).
    public var averagesMirroredView: Bool

    public init(topK: Int = 3, maxTokens: Int? = nil, allowsUpscaling: Bool = false,
                attention: AttentionMode? = nil, averagesMirroredView: Bool = false) {
        self.topK = topK
        self.maxTokens = maxTokens
        self.allowsUpscaling = allowsUpscaling
        self.attention = attention
        self.averagesMirroredView = averagesMirroredView
    }
}

public struct LabelProbability: Sendable, Equatable, Codable {
    public var label: String
    public var probability: Float
}

/// The labels of one photo, with the sizes it went through and where the time went.
public struct Classification: Sendable {
    public var top: [LabelProbability]
    public var photo: PhotoSummary
    public var decodeMilliseconds: Double
    public var modelMilliseconds: Double
}

/// A photo's pooled feature vector.
public struct Embedding: Sendable {
    public var vector: [Float]
    public var photo: PhotoSummary
}

/// The sizes a photo went through on its way to the model.
public struct PhotoSummary: Sendable, Equatable {
    /// As a viewer shows it (EXIF orientation applied).
    public var originalWidth: Int
    public var originalHeight: Int
    public var jpegScaleDenominator: Int
    public var resolution: WorkingResolution
}

extension LoadedPhoto {
    public var summary: PhotoSummary {
        PhotoSummary(originalWidth: originalWidth, originalHeight: originalHeight,
                     jpegScaleDenominator: jpegScaleDenominator, resolution: resolution)
    }
}
