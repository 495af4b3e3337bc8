import Foundation

/// A training run's folder. After every epoch it holds everything needed to resume exactly
/// where the run stopped, and the best weights so far:
///
///     config.json  model.safetensors      latest weights (loadable by DilatedViTModel)
///     optimizer.safetensors               AdamW moments and step
///     state.json                          recipe, epochs done, per-epoch history
///     validation.txt                      the held-out photos, one relative path a line
///     best/config.json  best/model.safetensors
///
/// Files are written to a temporary name and renamed, so an interrupted save leaves the
/// previous epoch's checkpoint intact.
public struct TrainingCheckpoint {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// What `state.json` holds.
    public struct State: Codable, Sendable {
        public var recipe: TrainingRecipe
        public var epochsCompleted: Int
        public var history: [EpochRecord]
        public var bestEpoch: Int?
        public var bestValidationAccuracy: Double?
    }

    public struct EpochRecord: Codable, Sendable {
        public var epoch: Int
        public var trainingLoss: Double
        public var trainingAccuracy: Double
        public var validationAccuracy: Double
        public var learningRate: Float
        public var seconds: Double
        public var imagesPerSecond: Double
    }

    var stateURL: URL { directory.appendingPathComponent("state.json") }
    var optimizerURL: URL { directory.appendingPathComponent("optimizer.safetensors") }
    public var bestDirectory: URL { directory.appendingPathComponent("best") }

    public var exists: Bool { FileManager.default.fileExists(atPath: stateURL.path) }

    public func loadState() throws -> State {
        try JSONDecoder().decode(State.self, from: Data(contentsOf: stateURL))
    }

    public func loadModel() throws -> (ModelConfig, ModelWeights) {
        let config = try ModelConfig(contentsOf: directory.appendingPathComponent("config.json"))
        let weights = try ModelWeights(contentsOf: directory.appendingPathComponent("model.safetensors"), config: config)
        return (config, weights)
    }

    public func loadOptimizer(layout: ParameterLayout) throws -> AdamW {
        try AdamW(state: SafeTensors(contentsOf: optimizerURL), layout: layout)
    }

    /// Saves the epoch's weights, optimizer and state; copies the weights to `best/` when
    /// `isBest`. The state file goes last: it is what marks the epoch as complete.
    public func save(config: ModelConfig, weights: ModelWeights, optimizer: AdamW, state: State,
                     isBest: Bool) throws {
        try FileManager.default.createDirectory(at: bestDirectory, withIntermediateDirectories: true)
        let tensors = SafeTensors(tensors: weights.tensors)
        try Self.write(config.jsonData(), to: directory.appendingPathComponent("config.json"))
        try Self.write(tensors.encoded(), to: directory.appendingPathComponent("model.safetensors"))
        try Self.write(optimizer.stateFile().encoded(), to: optimizerURL)
        if isBest {
            try Self.write(config.jsonData(), to: bestDirectory.appendingPathComponent("config.json"))
            try Self.write(tensors.encoded(), to: bestDirectory.appendingPathComponent("model.safetensors"))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Self.write(encoder.encode(state), to: stateURL)
    }

    func writeValidationListing(_ listing: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.write(Data(listing.utf8), to: directory.appendingPathComponent("validation.txt"))
    }

    private static func write(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        try data.write(to: temporary)
        // rename(2) replaces the old file atomically.
        guard rename(temporary.path, url.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }
}
