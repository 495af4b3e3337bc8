import DilatedViT

/// Why a training run's folder could not be written, read or resumed. Every message is one
/// line that names the file or folder at fault, for `dvit train` to print as it is.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// A write, fsync or rename failed (disk full, permissions...); `reason` is strerror's.
    case cannotWrite(path: String, reason: String)
    /// A file of the checkpoint could not be read or decoded.
    case unreadable(path: String, reason: String)
    /// A file of the checkpoint is not the one its manifest describes (size or checksum).
    case damaged(path: String, reason: String)
    /// `state.json` decodes but contradicts itself or the run's settings.
    case inconsistentState(path: String, reason: String)
    /// `--resume` named a folder that holds no finished epoch.
    case noRun(String)
    /// A run folder written by a dvit from before checkpoint manifests.
    case oldFormat(String)
    /// Another process holds the folder's lock.
    case locked(folder: String, pid: String?)
    /// The data folder does not give the split the run was trained on.
    case dataDiffers(folder: String, run: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotWrite(path, reason): "could not write \(path): \(reason)"
        case let .unreadable(path, reason): "could not read \(path): \(reason)"
        case let .damaged(path, reason): "damaged checkpoint: \(path) \(reason); the run cannot be resumed from it"
        case let .inconsistentState(path, reason): "\(path) is not a valid training state: \(reason)"
        case let .noRun(path): "no training run in \(path) to resume (no finished epoch was saved there)"
        case let .oldFormat(path):
            "\(path) was written by an older dvit (state.json without a checkpoint manifest) and cannot be "
                + "resumed; its best/ weights still load: start a new run with --init-weights \(path)/best"
        case let .locked(folder, pid):
            "\(folder) is being written by another training run" + (pid.map { " (pid \($0))" } ?? "")
        case let .dataDiffers(folder, run, reason):
            "\(folder) does not give the photo split the run in \(run) was trained on: \(reason)"
        }
    }
}
