import Foundation
import DilatedViT

/// A stratified train/validation split of an `ImageFolderDataset`.
///
/// Each label contributes `round(fraction × count)` photos to validation (at least one when
/// the fraction is positive, never all of them). Which ones is decided by a seeded hash of
/// each photo's relative path: a label's photos with the smallest hashes are held out. The
/// split therefore depends only on the seed and the set of paths — not on listing order —
/// and adding a photo to a label moves at most one other photo between the sides.
public struct DatasetSplit: Sendable {
    public let dataset: ImageFolderDataset
    /// Sorted like `dataset.samples` (by label, then path).
    public let training: [LabeledImage]
    public let validation: [LabeledImage]

    public init(_ dataset: ImageFolderDataset, validationFraction: Double, seed: UInt64) {
        precondition((0...1).contains(validationFraction), "validationFraction must lie in 0...1")
        var held = Set<String>()
        var byLabel = [[LabeledImage]](repeating: [], count: dataset.labels.count)
        for sample in dataset.samples { byLabel[sample.label].append(sample) }
        for photos in byLabel where !photos.isEmpty {
            var count = Int((validationFraction * Double(photos.count)).rounded())
            if validationFraction > 0 { count = max(count, 1) }
            count = min(count, photos.count - 1)
            let ranked = photos.map { (key: Self.splitKey(of: $0.path, seed: seed), path: $0.path) }
                .sorted { ($0.key, $0.path) < ($1.key, $1.path) }
            for entry in ranked.prefix(count) { held.insert(entry.path) }
        }
        self.init(dataset, heldOut: held)
    }

    /// Restores a split saved with `validationListing`. Lines are paths relative to the
    /// data set's root; blank lines and lines starting with `#` are ignored.
    public init(_ dataset: ImageFolderDataset, validationListing: String) throws(DatasetError) {
        let known = Set(dataset.samples.map(\.path))
        var held = Set<String>()
        for (line, path) in Self.entries(ofListing: validationListing) {
            guard known.contains(path) else { throw .unknownPhoto(path) }
            guard held.insert(path).inserted else {
                throw .malformedListing(line: line, reason: "\(path) is listed twice")
            }
        }
        self.init(dataset, heldOut: held)
    }

    /// The paths of a listing (as `validationListing` writes it) with their 1-based line
    /// numbers; blank lines and lines starting with `#` are skipped.
    public static func entries(ofListing listing: String) -> [(line: Int, path: String)] {
        listing.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { number, line in
            let path = line.trimmingCharacters(in: .whitespaces)
            return path.isEmpty || path.hasPrefix("#") ? nil : (number + 1, path)
        }
    }

    private init(_ dataset: ImageFolderDataset, heldOut: Set<String>) {
        self.dataset = dataset
        training = dataset.samples.filter { !heldOut.contains($0.path) }
        validation = dataset.samples.filter { heldOut.contains($0.path) }
    }

    public var trainingCountsPerLabel: [Int] {
        ImageFolderDataset.counts(of: training, labelCount: dataset.labels.count)
    }

    public var validationCountsPerLabel: [Int] {
        ImageFolderDataset.counts(of: validation, labelCount: dataset.labels.count)
    }

    /// The held-out photos, one relative path per line after a `#` comment header — the
    /// file a model card points to so that anyone can tell which photos were not trained on.
    public func validationListing(comment: String? = nil) -> String {
        var text = "# DilatedViT validation split: \(validation.count) of \(dataset.samples.count) photos, "
            + "paths relative to the data set root\n"
        if let comment {
            for line in comment.split(separator: "\n", omittingEmptySubsequences: false) { text += "# \(line)\n" }
        }
        for sample in validation { text += sample.path + "\n" }
        return text
    }

    /// A per-label table of the split's counts.
    public var summary: String { summary(unreadable: []) }

    /// The table counting only readable photos, with a column of the `unreadable` ones
    /// (relative paths) when there are any.
    public func summary(unreadable: Set<String>) -> String {
        let width = max(5, dataset.labels.map(\.count).max() ?? 0)
        let showsUnreadable = !unreadable.isEmpty
        func counts(_ samples: [LabeledImage]) -> [Int] {
            ImageFolderDataset.counts(of: samples.filter { !unreadable.contains($0.path) }, labelCount: dataset.labels.count)
        }
        let train = counts(training), valid = counts(validation)
        let broken = ImageFolderDataset.counts(of: dataset.samples.filter { unreadable.contains($0.path) },
                                               labelCount: dataset.labels.count)
        func row(_ name: String, _ train: Int, _ valid: Int, _ broken: Int) -> String {
            let share = train + valid == 0 ? 0 : 100 * Double(valid) / Double(train + valid)
            return name.padding(toLength: width, withPad: " ", startingAt: 0)
                + pad(train, 8) + pad(valid, 8) + pad(train + valid, 8)
                + "  " + String(format: "%5.1f%%", share) + (showsUnreadable ? pad(broken, 13) : "") + "\n"
        }
        var text = "label".padding(toLength: width, withPad: " ", startingAt: 0)
            + "   train   valid   total  valid share" + (showsUnreadable ? "   unreadable" : "") + "\n"
        for (label, name) in dataset.labels.enumerated() {
            text += row(name, train[label], valid[label], broken[label])
        }
        text += row("all", train.reduce(0, +), valid.reduce(0, +), broken.reduce(0, +))
        return text
    }

    /// A 64-bit hash of `path` (FNV-1a) mixed with `seed` (SplitMix64's finaliser): stable
    /// across runs, platforms and Swift versions, unlike `Hasher`.
    static func splitKey(of path: String, seed: UInt64) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return mix64(hash ^ mix64(seed))
    }
}

/// SplitMix64's output function: a bijective avalanche of 64 bits, used to derive
/// independent seeds (per epoch, per sample, per split key) from one run seed.
@inline(__always) func mix64(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}
