import DilatedViT

/// Why an image folder or a saved split could not be used. Messages name the path at fault.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The root folder does not exist.
    case missingFolder(String)
    /// The path exists but is a file.
    case notAFolder(String)
    /// The folder could not be listed (permissions...).
    case unreadableFolder(String, reason: String)
    /// The root holds no label sub-folders.
    case noLabels(root: String)
    /// A label folder holds no JPEG or PNG file.
    case emptyLabel(label: String, folder: String)
    /// A saved validation listing could not be parsed.
    case malformedListing(line: Int, reason: String)
    /// A saved validation listing names a photo the data set does not have.
    case unknownPhoto(String)
    /// The model's labels (in logit order) differ from the data set's label folders.
    case labelMismatch(model: [String], dataset: [String])

    public var description: String {
        switch self {
        case let .missingFolder(path): "\(path): no such folder"
        case let .notAFolder(path): "\(path): not a folder"
        case let .unreadableFolder(path, reason): "\(path): cannot list folder (\(reason))"
        case let .noLabels(root): "\(root): no label folders (expected one sub-folder per label)"
        case let .emptyLabel(label, folder): "label '\(label)' has no JPEG or PNG photos in \(folder)"
        case let .malformedListing(line, reason): "validation listing, line \(line): \(reason)"
        case let .unknownPhoto(path): "validation listing names \(path), which is not in the data set"
        case let .labelMismatch(model, dataset):
            "the model's labels \(model) differ from the data set's label folders \(dataset)"
        }
    }
}
