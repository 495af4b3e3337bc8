import Foundation
import DilatedViT

/// A training run's folder. After every epoch it holds a complete, checksummed set of
/// everything needed to resume exactly where the run stopped, and the best weights so far:
///
///     current -> epoch-0007            the one pointer that moves: the latest finished epoch
///     epoch-0007/config.json  model.safetensors      latest weights (the average, with one)
///                optimizer.safetensors               AdamW moments and step
///                training.safetensors                the optimizer's own weights, only when
///                                                    model.safetensors is their average
///                state.json                          recipe, epochs done, per-epoch history
///                best/config.json  best/model.safetensors
///                checkpoint.json                     sizes and checksums of all the above
///     best, config.json, model.safetensors, state.json -> current/…   fixed links
///     validation.txt                   the held-out photos, one relative path a line
///     .lock                            held (flock) while a trainer writes the folder
///
/// Saving epoch N writes every file into `epoch-000N.partial/` and fsyncs them and the
/// folder, renames it to `epoch-000N`, and only then switches `current` with one rename(2)
/// of a symbolic link; older epoch folders are removed after the switch. Whenever a save
/// stops — crash, kill -9, full disk — `current` names a complete set, and the fixed links
/// (`<run>/best` is what `--weights`, `--init-weights` and `--teacher` are given) always
/// resolve through it to one epoch's files.
public struct TrainingCheckpoint {
    public let directory: URL
    /// Test hook: called with each file's path just before `save` writes it.
    var beforeWriting: ((String) throws -> Void)?

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

    static let linkedNames = ["best", "config.json", "model.safetensors", "state.json"]

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    private var currentLink: String { path("current") }
    public var bestDirectory: URL { directory.appendingPathComponent("best") }

    /// The epoch folder `current` names, or nil before the first finished epoch.
    var currentEpochName: String? { try? FileManager.default.destinationOfSymbolicLink(atPath: currentLink) }

    /// Whether a finished epoch was saved here.
    public var exists: Bool { currentEpochName != nil }

    /// A run folder from before checkpoint manifests: a plain `state.json` at the top.
    var isOldFormat: Bool {
        guard !exists, let type = try? FileManager.default.attributesOfItem(atPath: path("state.json"))[.type]
        else { return false }
        return type as? FileAttributeType == .typeRegular
    }

    /// The current epoch's folder, after checking each of its files against the manifest.
    func verifiedCurrent() throws(CheckpointError) -> (folder: String, manifest: CheckpointManifest) {
        guard let name = currentEpochName else { throw .noRun(directory.path) }
        let folder = path(name)
        let manifest = try CheckpointManifest.load(from: folder)
        try manifest.verify(folder: folder)
        return (folder, manifest)
    }

    private func currentFolder() throws(CheckpointError) -> String {
        guard let name = currentEpochName else { throw .noRun(directory.path) }
        return path(name)
    }

    /// The latest state, checked for consistency (not against the manifest: see `verifiedCurrent`).
    public func loadState() throws -> State {
        try Self.loadState(in: currentFolder())
    }

    static func loadState(in folder: String) throws(CheckpointError) -> State {
        let path = (folder as NSString).appendingPathComponent("state.json")
        let state: State
        do {
            state = try JSONDecoder().decode(State.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .unreadable(path: path, reason: oneLineReason(error))
        }
        try state.check(path: path)
        return state
    }

    public func loadModel() throws -> (ModelConfig, ModelWeights) {
        try Self.loadModel(in: currentFolder())
    }

    static func loadModel(in folder: String) throws -> (ModelConfig, ModelWeights) {
        let url = URL(fileURLWithPath: folder)
        let config = try ModelConfig(contentsOf: url.appendingPathComponent("config.json"))
        let weights = try ModelWeights(contentsOf: url.appendingPathComponent("model.safetensors"), config: config)
        return (config, weights)
    }

    /// The optimizer's own weights of a run that publishes their average (`training.safetensors`).
    static func loadTrainingWeights(in folder: String, config: ModelConfig) throws -> ModelWeights {
        try ModelWeights(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent(trainingWeightsName), config: config)
    }

    static let trainingWeightsName = "training.safetensors"

    static func loadOptimizer(in folder: String, layout: ParameterLayout) throws -> AdamW {
        try AdamW(state: SafeTensors(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent("optimizer.safetensors")),
                  layout: layout)
    }

    /// Saves the epoch as a new set (see the type's comment); `best/` gets the weights when
    /// `isBest`, and keeps the previous epoch's best weights (hard links) otherwise.
    /// `trainingWeights`: the optimizer's own weights when `weights` is their average.
    func save(config: ModelConfig, weights: ModelWeights, trainingWeights: ModelWeights? = nil, optimizer: AdamW,
              state: State, isBest: Bool, data: DataFingerprint) throws {
        let name = String(format: "epoch-%04d", state.epochsCompleted)
        let final = path(name), partial = final + ".partial"
        DurableFiles.remove(partial)
        do {
            try DurableFiles.makeFolder(partial)
            try DurableFiles.makeFolder(partial + "/best")
            var entries: [CheckpointManifest.Entry] = []
            func put(_ contents: Data, _ file: String) throws {
                try beforeWriting?(partial + "/" + file)
                try DurableFiles.write(contents, to: partial + "/" + file)
                entries.append(.init(name: file, contents: contents))
            }
            let configData = config.jsonData(), model = SafeTensors(tensors: weights.tensors).encoded()
            try put(configData, "config.json")
            try put(model, "model.safetensors")
            try put(optimizer.stateFile().encoded(), "optimizer.safetensors")
            if let trainingWeights {
                try put(SafeTensors(tensors: trainingWeights.tensors).encoded(), Self.trainingWeightsName)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try put(encoder.encode(state), "state.json")
            if isBest {
                try put(configData, "best/config.json")
                try put(model, "best/model.safetensors")
            } else {
                entries += try keepBest(in: partial)
            }
            let manifest = CheckpointManifest(epoch: state.epochsCompleted, data: data, files: entries)
            try beforeWriting?(partial + "/" + CheckpointManifest.fileName)
            try DurableFiles.write(manifest.encoded(), to: partial + "/" + CheckpointManifest.fileName)
            try DurableFiles.syncFolder(partial + "/best")
            try DurableFiles.syncFolder(partial)
            DurableFiles.remove(final)  // left by a save stopped before its switch
            try DurableFiles.rename(partial, to: final)
            try DurableFiles.syncFolder(directory.path)
        } catch {
            DurableFiles.remove(partial)
            throw error
        }
        do {
            try DurableFiles.link(currentLink, to: name)  // the commit point
        } catch {
            if currentEpochName != name { DurableFiles.remove(final) }
            throw error
        }
        try makeLinks()
        removeLeftovers()
    }

    /// Hard-links the current epoch's best weights into the new set (copies them where
    /// links are not supported); their manifest entries carry over.
    private func keepBest(in partial: String) throws -> [CheckpointManifest.Entry] {
        let previous = try currentFolder()
        let manifest = try CheckpointManifest.load(from: previous)
        return try ["best/config.json", "best/model.safetensors"].map { file in
            let source = previous + "/" + file, destination = partial + "/" + file
            try beforeWriting?(destination)
            if link(source, destination) == 0, let entry = manifest.files.first(where: { $0.name == file }) {
                return entry
            }
            let contents: Data
            do { contents = try Data(contentsOf: URL(fileURLWithPath: source)) } catch {
                throw CheckpointError.unreadable(path: source, reason: oneLineReason(error))
            }
            DurableFiles.remove(destination)
            try DurableFiles.write(contents, to: destination)
            return .init(name: file, contents: contents)
        }
    }

    /// Creates the fixed links into `current` that are missing (after the first save).
    func makeLinks() throws(CheckpointError) {
        for name in Self.linkedNames {
            let target = "current/" + name
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: path(name))) != target {
                try DurableFiles.link(path(name), to: target)
            }
        }
    }

    /// Removes what interrupted saves leave: `.partial` files and folders, and epoch
    /// folders other than the current one. Only call it while holding the folder's lock.
    func removeLeftovers() {
        let current = currentEpochName
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        where name.hasSuffix(".partial") || (name.hasPrefix("epoch-") && name != current) {
            DurableFiles.remove(path(name))
        }
    }

    var validationListingPath: String { path("validation.txt") }

    func writeValidationListing(_ listing: String) throws(CheckpointError) {
        try DurableFiles.replace(validationListingPath, with: Data(listing.utf8))
    }
}

extension TrainingCheckpoint.State {
    /// Refuses a state that would trap, train a nonsensical epoch or misreport the history.
    func check(path: String) throws(CheckpointError) {
        func require(_ condition: Bool, _ reason: @autoclosure () -> String) throws(CheckpointError) {
            if !condition { throw .inconsistentState(path: path, reason: reason()) }
        }
        try require((1...max(1, recipe.epochs)).contains(epochsCompleted),
                    "epochsCompleted is \(epochsCompleted), outside 1...\(recipe.epochs) (the run's epochs)")
        try require(history.count == epochsCompleted,
                    "epochsCompleted is \(epochsCompleted) but the history has \(history.count) epochs")
        try require(history.map(\.epoch) == Array(1...epochsCompleted),
                    "the history's epochs are \(history.map(\.epoch)), not 1 to \(epochsCompleted)")
        if let bestEpoch {
            try require((1...epochsCompleted).contains(bestEpoch),
                        "bestEpoch is \(bestEpoch), outside 1...\(epochsCompleted)")
            try require(bestValidationAccuracy == history[bestEpoch - 1].validationAccuracy,
                        "bestValidationAccuracy differs from epoch \(bestEpoch)'s validation accuracy")
        } else {
            try require(bestValidationAccuracy == nil, "bestValidationAccuracy is set without a bestEpoch")
        }
    }
}
