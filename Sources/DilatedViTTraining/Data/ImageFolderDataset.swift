import Foundation
import DilatedViT

/// One photo of a labelled data set.
public struct LabeledImage: Sendable, Hashable {
    /// Path relative to the data set's root, `label/file` with `/` separators.
    public var path: String
    /// Index into the data set's `labels`.
    public var label: Int

    public init(path: String, label: Int) {
        self.path = path
        self.label = label
    }
}

/// A folder with one sub-folder per label, each holding that label's photos:
/// `root/<label>/…/<photo>`.
///
/// Labels are the non-hidden sub-folder names in sorted order (their index is the class
/// index). Each label folder is listed by `PhotoFiles`, the same walk as `dvit classify`:
/// recursive, following symbolic links, photos recognised by name or by their first bytes,
/// in a fixed order that never depends on the file system's listing order. Everything the
/// walk skips — and any stray file beside the label folders — is kept in `skipped`, for the
/// caller to report. Files are only listed here, not decoded: a damaged photo is found
/// (and skipped, with a warning) by the loader.
public struct ImageFolderDataset: Sendable {
    /// The root folder as given.
    public let root: String
    public let labels: [String]
    /// All photos, grouped by label in label order, in walk order within a label.
    public let samples: [LabeledImage]
    /// Inputs that are not photos of a label, with why.
    public let skipped: [PhotoFiles.Skipped]

    public init(root: String) throws(DatasetError) {
        self.root = root
        let labelNames = try Self.entries(of: root).filter { !$0.hasPrefix(".") }
        var labels: [String] = []
        var samples: [LabeledImage] = []
        var skipped: [PhotoFiles.Skipped] = []
        for name in labelNames.sorted() {
            let folder = Self.join(root, name)
            guard Self.isFolder(folder) else {
                skipped.append(PhotoFiles.Skipped(path: folder, reason: "not a label folder: photos belong in root/<label>/"))
                continue
            }
            let label = labels.count
            let found = PhotoFiles.photos(at: folder)
            guard !found.photos.isEmpty else { throw .emptyLabel(label: name, folder: folder) }
            labels.append(name)
            let prefix = Self.join(folder, "").count
            samples += found.photos.map { LabeledImage(path: name + "/" + $0.dropFirst(prefix), label: label) }
            skipped += found.skipped
        }
        guard !labels.isEmpty else { throw .noLabels(root: root) }
        self.labels = labels
        self.samples = samples
        self.skipped = skipped
    }

    /// A data set from an explicit list (for tests and for sets stored another way);
    /// `samples` should be relative to `root`.
    public init(root: String, labels: [String], samples: [LabeledImage]) {
        precondition(samples.allSatisfy { labels.indices.contains($0.label) },
                     "ImageFolderDataset: a sample's label is outside the \(labels.count) labels")
        self.root = root
        self.labels = labels
        self.samples = samples
        skipped = []
    }

    /// The file system path of `sample`.
    public func fullPath(of sample: LabeledImage) -> String {
        Self.join(root, sample.path)
    }

    /// Number of photos per label, in label order.
    public var countsPerLabel: [Int] {
        Self.counts(of: samples, labelCount: labels.count)
    }

    static func counts(of samples: [LabeledImage], labelCount: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: labelCount)
        for sample in samples { counts[sample.label] += 1 }
        return counts
    }

    private static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    private static func entries(of folder: String) throws(DatasetError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
            throw .missingFolder(folder)
        }
        guard isDirectory.boolValue else { throw .notAFolder(folder) }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw .unreadableFolder(folder, reason: (error as NSError).localizedDescription)
        }
    }

    private static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
