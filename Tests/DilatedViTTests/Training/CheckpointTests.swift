import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// What `--resume` must refuse, and what an interrupted save must leave: each test here
/// failed before checkpoints became verified sets (issue 17).
@Suite struct CheckpointTests {
    private static let labels = ["a", "b", "c"]

    private func config(labels: [String] = Self.labels) throws -> ModelConfig {
        try ModelConfig(dimension: 16, depth: 1, heads: 2, patchSize: 4, mlpRatio: 2,
                        levels: [AttentionLevel(segment: 2, dilation: 1), AttentionLevel(segment: 4, dilation: 2)],
                        labels: labels)
    }

    private func recipe(epochs: Int) -> TrainingRecipe {
        TrainingRecipe(epochs: epochs, batchSize: 8, learningRate: 3e-3, warmupEpochs: 0.5, seed: 5,
                       gridSides: [3, 4], validationGridSide: 4, validationFraction: 0.25)
    }

    private func temporaryRun() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("dvit-run-\(UUID().uuidString)")
    }

    private func trainer(_ data: SyntheticImageFolder, _ run: URL, epochs: Int = 3, resume: Bool) throws -> Trainer {
        try Trainer(dataRoot: data.root, output: run, config: config(), recipe: recipe(epochs: epochs),
                    resume: resume, loaderThreads: 0)
    }

    /// Trains `epochs` of a run, stopping after `stopAfter` finished epochs.
    private func train(_ data: SyntheticImageFolder, _ run: URL, epochs: Int = 3, stopAfter: Int,
                       resume: Bool = false, onEpoch: (Int) throws -> Void = { _ in }) throws {
        let trainer = try trainer(data, run, epochs: epochs, resume: resume)
        do {
            try trainer.run { event in
                guard case .epochFinished(let record, _, _) = event else { return }
                try onEpoch(record.epoch)
                if record.epoch == stopAfter { throw Stop() }
            }
        } catch is Stop {}
    }

    private func current(_ run: URL) throws -> URL {
        run.appendingPathComponent(try #require(TrainingCheckpoint(directory: run).currentEpochName))
    }

    /// Recomputes the manifest entry of `file`, as if the set had been saved that way.
    private func resign(_ run: URL, _ file: String) throws {
        let folder = try current(run)
        var manifest = try CheckpointManifest.load(from: folder.path)
        let contents = try Data(contentsOf: folder.appendingPathComponent(file))
        let index = try #require(manifest.files.firstIndex { $0.name == file })
        manifest.files[index] = .init(name: file, contents: contents)
        try manifest.encoded().write(to: folder.appendingPathComponent(CheckpointManifest.fileName))
    }

    private func expectRefusal(_ data: SyntheticImageFolder, _ run: URL, naming fragments: String...) {
        #expect {
            try trainer(data, run, resume: true)
        } throws: { error in
            error is CheckpointError && fragments.allSatisfy { "\(error)".contains($0) }
        }
    }

    @Test func aFileFromAnotherEpochIsRefusedByName() throws {
        let data = try SyntheticImageFolder(counts: ["a": 8, "b": 8, "c": 8])
        let run = temporaryRun(), saved = temporaryRun()
        defer { data.remove(); for url in [run, saved] { try? FileManager.default.removeItem(at: url) } }
        try train(data, run, stopAfter: 2) { epoch in
            if epoch == 1 { try FileManager.default.copyItem(at: current(run).appendingPathComponent("optimizer.safetensors"), to: saved) }
        }
        let optimizer = try current(run).appendingPathComponent("optimizer.safetensors")
        try FileManager.default.removeItem(at: optimizer)
        try FileManager.default.copyItem(at: saved, to: optimizer)
        expectRefusal(data, run, naming: "epoch-0002/optimizer.safetensors", "checksum")
    }

    @Test func aFlippedByteIsRefusedByName() throws {
        let data = try SyntheticImageFolder(counts: ["a": 8, "b": 8, "c": 8])
        let run = temporaryRun()
        defer { data.remove(); try? FileManager.default.removeItem(at: run) }
        try train(data, run, stopAfter: 1)
        let model = try current(run).appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: model)
        bytes[bytes.count - 3] ^= 0x10
        try bytes.write(to: model)
        expectRefusal(data, run, naming: "epoch-0001/model.safetensors", "checksum")
    }

    @Test(arguments: [("epochsCompleted", 99, "outside 1...3"), ("epochsCompleted", -5, "outside 1...3"),
                      ("epochsCompleted", 1, "the history has 2 epochs"), ("bestEpoch", 7, "bestEpoch is 7")])
    func anInconsistentStateIsRefusedNamingStateJSON(key: String, value: Int, reason: String) throws {
        let data = try SyntheticImageFolder(counts: ["a": 8, "b": 8, "c": 8])
        let run = temporaryRun()
        defer { data.remove(); try? FileManager.default.removeItem(at: run) }
        try train(data, run, stopAfter: 2)
        let stateURL = try current(run).appendingPathComponent("state.json")
        var state = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: stateURL)) as? [String: Any])
        state[key] = value
        try JSONSerialization.data(withJSONObject: state).write(to: stateURL)
        expectRefusal(data, run, naming: "damaged checkpoint", "epoch-0002/state.json")  // the set no longer matches
        try resign(run, "state.json")                                 // edited and re-signed: the values
        expectRefusal(data, run, naming: "state.json is not a valid training state", reason)
    }

    @Test func aTruncatedStateIsRefusedNamingTheFile() throws {
        let data = try SyntheticImageFolder(counts: ["a": 8, "b": 8, "c": 8])
        let run = temporaryRun()
        defer { data.remove(); try? FileManager.default.removeItem(at: run) }
        try train(data, run, stopAfter: 1)
        let stateURL = try current(run).appendingPathComponent("state.json")
        let bytes = try Data(contentsOf: stateURL)
        try bytes.prefix(bytes.count / 2).write(to: stateURL)
        expectRefusal(data, run, naming: "epoch-0001/state.json has \(bytes.count / 2) bytes, the manifest says \(bytes.count)")
        try resign(run, "state.json")
        expectRefusal(data, run, naming: "could not read", "epoch-0001/state.json", "not valid JSON")
    }

    @Test func resumeWithoutARunIsAnError() throws {
        let data = try SyntheticImageFolder(counts: ["a": 4, "b": 4, "c": 4])
        let run = temporaryRun()
        defer { data.remove(); try? FileManager.default.removeItem(at: run) }
        expectRefusal(data, run, naming: "no training run in \(run.path) to resume")
        #expect(!FileManager.default.fileExists(atPath: run.path), "a mistyped --output must not be created")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        expectRefusal(data, run, naming: "no training run in \(run.path) to resume")
    }

    @Test func anOldFormatRunIsRefusedWithAWayOut() throws {
        let data = try SyntheticImageFolder(counts: ["a": 4, "b": 4, "c": 4])
        let run = temporaryRun()
        defer { data.remove(); try? FileManager.default.removeItem(at: run) }
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: run.appendingPathComponent("state.json"))
        expectRefusal(data, run, naming: "written by an older dvit", "--init-weights \(run.path)/best")
    }

    @Test func aSecondTrainerOnTheSameFolderStopsAtOnce() throws {
        let data = try SyntheticImageFolder(counts: ["a": 4, "b": 4, "c": 4])
        let run = temporaryRun()
        defer { data.remove(); try? FileManager.default.removeItem(at: run) }
        let first = try trainer(data, run, resume: false)
        #expect {
            try trainer(data, run, resume: false)
        } throws: { error in
            "\(error)" == "\(run.path) is being written by another training run (pid \(getpid()))"
        }
        try first.run { _ in }
        #expect(try TrainingCheckpoint(directory: run).loadState().epochsCompleted == 3)
    }

    @Test func resumingOnOtherPhotosIsRefusedAndTheListingKept() throws {
        let data = try SyntheticImageFolder(counts: ["a": 8, "b": 8, "c": 8])
        let other = try SyntheticImageFolder(counts: ["a": 8, "b": 8, "c": 8])
        let run = temporaryRun()
        defer { data.remove(); other.remove(); try? FileManager.default.removeItem(at: run) }
        try train(data, run, stopAfter: 1)
        let listing = try String(contentsOf: run.appendingPathComponent("validation.txt"), encoding: .utf8)
        // The same labels, one photo renamed: the split moves.
        try FileManager.default.moveItem(atPath: other.root + "/b/000.jpg", toPath: other.root + "/b/999.jpg")
        #expect {
            try Trainer(dataRoot: other.root, output: run, config: config(), recipe: recipe(epochs: 3),
                        resume: true, loaderThreads: 0)
        } throws: { error in
            let text = "\(error)"
            return text.contains("\(other.root) does not give the photo split the run in \(run.path) was trained on")
                && (text.contains("b/000.jpg") || text.contains("b/999.jpg") || text.contains("training photos"))
        }
        #expect(try String(contentsOf: run.appendingPathComponent("validation.txt"), encoding: .utf8) == listing)
    }

    @Test func noValidationPhotosOrOneLabelIsRefused() throws {
        let single = try SyntheticImageFolder(counts: ["a": 1, "b": 1, "c": 1])
        let oneLabel = try SyntheticImageFolder(counts: ["a": 6])
        defer { single.remove(); oneLabel.remove() }
        #expect {
            try trainer(single, temporaryRun(), resume: false)
        } throws: { "\($0)".contains("no validation photos in \(single.root)") }
        #expect {
            try Trainer(dataRoot: oneLabel.root, output: temporaryRun(), config: config(labels: ["a"]),
                        recipe: recipe(epochs: 1), resume: false, loaderThreads: 0)
        } throws: { "\($0)".contains("a classifier needs at least two labels") }
    }

    @Test func unreadablePhotosAreListedAndNotCounted() throws {
        let data = try SyntheticImageFolder(counts: ["a": 8, "b": 8, "c": 8])
        let run = temporaryRun()
        defer { data.remove(); try? FileManager.default.removeItem(at: run) }
        try data.write(Array("not a photo".utf8), to: "b/broken.jpg")
        let trainer = try trainer(data, run, resume: false)
        #expect(trainer.unreadablePhotos.map(\.path) == ["b/broken.jpg"])
        let table = trainer.data.split.summary(unreadable: ["b/broken.jpg"])
        #expect(table.contains("unreadable"))
        let all = try #require(table.split(separator: "\n").last).split(separator: " ")
        #expect(all.map(String.init) == ["all", "18", "6", "24", "25.0%", "1"], "\(table)")
    }

    /// A batch whose photos all fail to decode is skipped, not a crash: with 120 broken photos
    /// among 24 good ones most batches of this run hold nothing but broken photos.
    @Test func batchesOfOnlyBrokenPhotosAreSkipped() throws {
        let data = try SyntheticImageFolder(counts: ["a": 8, "b": 8, "c": 8])
        let run = temporaryRun()
        defer { data.remove(); try? FileManager.default.removeItem(at: run) }
        for index in 0..<120 { try data.write(Array("not a photo".utf8), to: "a/broken-\(index).jpg") }
        let trainer = try trainer(data, run, epochs: 1, resume: false)
        var images = 0
        try trainer.run { event in
            if case .batch(let progress) = event { images = progress.batch }
        }
        #expect(trainer.epochsCompleted == 1)
        #expect(images > 0 && images < trainer.data.sampler.batchesPerEpoch)
    }

    @Test(arguments: ["epoch-0002.partial/optimizer.safetensors", "epoch-0002.partial/best/model.safetensors",
                      "epoch-0002.partial/checkpoint.json"])
    func anInterruptedSaveKeepsThePreviousSetAndResumesExactly(failingAt file: String) throws {
        let data = try SyntheticImageFolder(counts: ["a": 8, "b": 8, "c": 8])
        let straight = temporaryRun(), run = temporaryRun()
        defer { data.remove(); for url in [straight, run] { try? FileManager.default.removeItem(at: url) } }
        try trainer(data, straight, resume: false).run { _ in }

        let interrupted = try trainer(data, run, resume: false)
        interrupted.checkpoint.beforeWriting = { path in
            if path.hasSuffix(file) { throw CheckpointError.cannotWrite(path: path, reason: "No space left on device") }
        }
        #expect(throws: CheckpointError.self) { try interrupted.run { _ in } }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        let checkpoint = TrainingCheckpoint(directory: run)
        #expect(checkpoint.currentEpochName == "epoch-0001")
        _ = try checkpoint.verifiedCurrent()
        #expect(try checkpoint.loadState().epochsCompleted == 1)
        _ = try DilatedViTModel(contentsOf: run.appendingPathComponent("best"))

        try trainer(data, run, resume: true).run { _ in }
        let (_, expected) = try TrainingCheckpoint(directory: straight).loadModel()
        let (_, resumed) = try checkpoint.loadModel()
        #expect(expected.tensors == resumed.tensors, "the resumed run must equal the uninterrupted one bit for bit")
        let bestStraight = try Data(contentsOf: straight.appendingPathComponent("best/model.safetensors"))
        #expect(try Data(contentsOf: run.appendingPathComponent("best/model.safetensors")) == bestStraight)
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("epoch-") } == ["epoch-0003"])
    }

    @Test func aFullDiskIsOneLineNamingTheFile() throws {
        try #require(FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full (Linux)")
        #expect {
            try DurableFiles.write(Data(count: 4096), to: "/dev/full")
        } throws: { "\($0)" == "could not write /dev/full: No space left on device" }
    }
}

private struct Stop: Error {}
