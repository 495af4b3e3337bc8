import Foundation

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
/// `root/<label>/<photo>`.
///
/// Labels are the sub-folder names in sorted order (their index is the class index);
/// photos are sorted by name within a label, so the sample order never depends on the
/// file system's listing order. A photo is a non-hidden regular file named `.jpg`,
/// `.jpeg` or `.png` (any case), or any other non-hidden file whose first bytes are a JPEG
/// or PNG signature. Sub-folders of label folders are ignored. Files are only listed here,
/// not decoded: a damaged photo is found (and skipped) by the loader.
public struct ImageFolderDataset: Sendable {
    /// The root folder as given.
    public let root: String
    public let labels: [String]
    /// All photos, grouped by label in label order, sorted by path within a label.
    public let samples: [LabeledImage]

    public init(root: String) throws(DatasetError) {
        self.root = root
        let labelNames = try Self.entries(of: root).filter { !$0.hasPrefix(".") }
        var labels: [String] = []
        var samples: [LabeledImage] = []
        for name in labelNames.sorted() {
            let folder = Self.join(root, name)
            guard Self.isFolder(folder) else { continue }
            let label = labels.count
            let photos = try Self.entries(of: folder).filter { file in
                !file.hasPrefix(".") && Self.isPhoto(at: Self.join(folder, file))
            }
            guard !photos.isEmpty else { throw .emptyLabel(label: name, folder: folder) }
            labels.append(name)
            samples += photos.sorted().map { LabeledImage(path: name + "/" + $0, label: label) }
        }
        guard !labels.isEmpty else { throw .noLabels(root: root) }
        self.labels = labels
        self.samples = samples
    }

    /// A data set from an explicit list (for tests and for sets stored another way);
    /// `samples` should be relative to `root`.
    public init(root: String, labels: [String], samples: [LabeledImage]) {
        precondition(samples.allSatisfy { labels.indices.contains($0.label) },
                     "ImageFolderDataset: a sample's label is outside the \(labels.count) labels")
        self.root = root
        self.labels = labels
        self.samples = samples
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

    private static let photoExtensions: Set<String> = ["jpg", "jpeg", "png"]

    private static func isPhoto(at path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
              !isDirectory.boolValue else { return false }
        if photoExtensions.contains((path as NSString).pathExtension.lowercased()) { return true }
        // Unusual names: trust the bytes, as the decoder does.
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 12)) ?? Data()
        guard let format = ImageFormat(sniffing: head), head.count >= 3 else { return false }
        return format.isDecodable
    }
}
