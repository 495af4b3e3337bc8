import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct ImageFolderDatasetTests {
    @Test func listsLabelsAndPhotosSortedAndReportsWhatItSkips() throws {
        let folder = try SyntheticImageFolder(counts: ["sea": 3, "forest": 2])
        defer { folder.remove() }
        try folder.write([1, 2, 3], to: "sea/.hidden.jpg")
        try folder.write(Array("notes".utf8), to: "sea/README.txt")
        try folder.write(try ImageEncoder.png(RGBImage(width: 4, height: 4, filledWith: (1, 2, 3))),
                         to: "forest/no-extension")
        try FileManager.default.createDirectory(atPath: folder.root + "/sea/nested", withIntermediateDirectories: false)
        try folder.write(try ImageEncoder.png(RGBImage(width: 4, height: 4, filledWith: (1, 2, 3))), to: "sea/nested/deep.png")
        let outside = folder.root + "-linked"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try ImageEncoder.png(RGBImage(width: 4, height: 4, filledWith: (4, 5, 6))).withUnsafeBytes {
            try Data($0).write(to: URL(fileURLWithPath: outside + "/linked.png"))
        }
        try FileManager.default.createSymbolicLink(atPath: folder.root + "/sea/linked", withDestinationPath: outside)
        try FileManager.default.createDirectory(atPath: folder.root + "/.cache", withIntermediateDirectories: false)
        try folder.write([0], to: "stray-file.jpg")

        let dataset = try ImageFolderDataset(root: folder.root)
        #expect(dataset.labels == ["forest", "sea"])
        #expect(dataset.samples.map(\.path) == ["forest/000.jpg", "forest/001.png", "forest/no-extension",
                                                "sea/000.jpg", "sea/001.png", "sea/002.jpg",
                                                "sea/linked/linked.png", "sea/nested/deep.png"])
        #expect(dataset.samples.map(\.label) == [0, 0, 0, 1, 1, 1, 1, 1])
        #expect(dataset.countsPerLabel == [3, 5])
        // The same walk as `dvit classify`: every skipped entry is named (hidden ones are not looked at).
        #expect(dataset.skipped.map(\.path) == [folder.root + "/sea/README.txt", folder.root + "/stray-file.jpg"])
        #expect(dataset.fullPath(of: dataset.samples[0]) == folder.root + "/forest/000.jpg")
    }

    @Test func namesTheProblemWhenTheFolderIsUnusable() throws {
        let missing = "/nonexistent/dvit-\(UUID().uuidString)"
        #expect(throws: DatasetError.missingFolder(missing)) { try ImageFolderDataset(root: missing) }

        let folder = try SyntheticImageFolder(counts: [:])
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.root, withIntermediateDirectories: true)
        #expect(throws: DatasetError.noLabels(root: folder.root)) { try ImageFolderDataset(root: folder.root) }

        try folder.write([0], to: "file.jpg")
        #expect(throws: DatasetError.notAFolder(folder.root + "/file.jpg")) {
            try ImageFolderDataset(root: folder.root + "/file.jpg")
        }

        try FileManager.default.createDirectory(atPath: folder.root + "/empty", withIntermediateDirectories: false)
        try folder.write(Array("text".utf8), to: "empty/readme.txt")
        let error = #expect(throws: DatasetError.self) { try ImageFolderDataset(root: folder.root) }
        #expect(error == .emptyLabel(label: "empty", folder: folder.root + "/empty"))
        #expect(error?.description.contains("'empty'") == true)
    }
}

@Suite struct DatasetSplitTests {
    /// A listed (not scanned) data set: the split never reads files.
    static func dataset(_ counts: [Int]) -> ImageFolderDataset {
        let labels = counts.indices.map { "label\($0)" }
        let samples = counts.enumerated().flatMap { label, count in
            (0..<count).map { LabeledImage(path: "label\(label)/\($0).jpg", label: label) }
        }
        return ImageFolderDataset(root: "/data", labels: labels, samples: samples)
    }

    @Test func holdsOutTheFractionOfEveryLabelAndCoversEachPhotoOnce() {
        let dataset = Self.dataset([2191, 2272, 2405, 2513, 2275, 2383])
        let split = DatasetSplit(dataset, validationFraction: 0.1, seed: 7)
        #expect(split.validationCountsPerLabel == [219, 227, 241, 251, 228, 238])
        #expect(split.trainingCountsPerLabel == zip(dataset.countsPerLabel, split.validationCountsPerLabel).map { $0 - $1 })
        let train = Set(split.training.map(\.path)), valid = Set(split.validation.map(\.path))
        #expect(train.isDisjoint(with: valid))
        #expect(train.union(valid) == Set(dataset.samples.map(\.path)))
        #expect(split.training.count + split.validation.count == dataset.samples.count)
        #expect(split.summary.contains("label3    2262     251    2513   10.0%"))
    }

    @Test func smallLabelsKeepAtLeastOnePhotoOnEachSide() {
        let split = DatasetSplit(Self.dataset([1, 2, 3, 5]), validationFraction: 0.1, seed: 1)
        #expect(split.validationCountsPerLabel == [0, 1, 1, 1])
        #expect(DatasetSplit(Self.dataset([4]), validationFraction: 1, seed: 1).validation.count == 3)
        #expect(DatasetSplit(Self.dataset([4]), validationFraction: 0, seed: 1).validation.isEmpty)
    }

    @Test func dependsOnTheSeedAndNotOnListingOrder() {
        let dataset = Self.dataset([300, 200])
        let split = DatasetSplit(dataset, validationFraction: 0.1, seed: 42)
        #expect(DatasetSplit(dataset, validationFraction: 0.1, seed: 42).validation == split.validation)
        #expect(DatasetSplit(dataset, validationFraction: 0.1, seed: 43).validation != split.validation)

        var shuffled = dataset.samples
        var generator = SplitMix64(seed: 5)
        generator.shuffle(&shuffled)
        let reordered = ImageFolderDataset(root: dataset.root, labels: dataset.labels, samples: shuffled)
        let again = DatasetSplit(reordered, validationFraction: 0.1, seed: 42)
        #expect(Set(again.validation.map(\.path)) == Set(split.validation.map(\.path)))
    }

    @Test func validationListingRoundTrips() throws {
        let dataset = Self.dataset([30, 20])
        let split = DatasetSplit(dataset, validationFraction: 0.2, seed: 3)
        let listing = split.validationListing(comment: "seed 3, fraction 0.2")
        #expect(listing.hasPrefix("# DilatedViT validation split: 10 of 50 photos"))
        #expect(listing.contains("\n# seed 3, fraction 0.2\n"))
        let restored = try DatasetSplit(dataset, validationListing: listing)
        #expect(restored.validation == split.validation && restored.training == split.training)

        #expect(throws: DatasetError.unknownPhoto("label9/1.jpg")) {
            try DatasetSplit(dataset, validationListing: "label0/1.jpg\nlabel9/1.jpg\n")
        }
        #expect(throws: DatasetError.malformedListing(line: 3, reason: "label0/1.jpg is listed twice")) {
            try DatasetSplit(dataset, validationListing: "label0/1.jpg\n\nlabel0/1.jpg\n")
        }
    }

    @Test func splitsAScannedFolder() throws {
        let folder = try SyntheticImageFolder(counts: ["a": 10, "b": 20])
        defer { folder.remove() }
        let split = DatasetSplit(try ImageFolderDataset(root: folder.root), validationFraction: 0.1, seed: 0)
        #expect(split.validationCountsPerLabel == [1, 2] && split.trainingCountsPerLabel == [9, 18])
    }
}
