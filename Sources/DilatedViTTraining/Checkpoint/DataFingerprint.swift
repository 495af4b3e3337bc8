import Foundation
import DilatedViT

/// Which photos a run trained on and held out, in a few bytes: counts and checksums of the
/// sorted relative paths of each side of the split. Saved with every checkpoint so that a
/// resume against another folder — other photos under the same labels — is refused
/// instead of mixing held-out photos into training.
struct DataFingerprint: Codable, Equatable {
    var trainingPhotos: Int
    var trainingPaths: String
    var validationPhotos: Int
    var validationPaths: String

    init(_ split: DatasetSplit) {
        trainingPhotos = split.training.count
        trainingPaths = Self.checksum(split.training.map(\.path))
        validationPhotos = split.validation.count
        validationPaths = Self.checksum(split.validation.map(\.path))
    }

    static func checksum(_ paths: [String]) -> String {
        fnv1a64Hex(Data(paths.sorted().joined(separator: "\n").utf8))
    }

    /// What differs between this split and the run's, or nil when they are the same.
    /// `runListing` is the run's `validation.txt`, used to name photos when it matches.
    func difference(fromRun run: DataFingerprint, runListing: String?, split: DatasetSplit) -> String? {
        if validationPaths != run.validationPaths {
            let here = Set(split.validation.map(\.path))
            if let listed = runListing.map({ DatasetSplit.entries(ofListing: $0).map(\.path) }), Self.checksum(listed) == run.validationPaths {
                let before = Set(listed)
                let lost = before.subtracting(here).sorted(), gained = here.subtracting(before).sorted()
                var parts: [String] = []
                if !lost.isEmpty { parts.append("\(Self.sample(lost)) held out by the run but not here") }
                if !gained.isEmpty { parts.append("\(Self.sample(gained)) held out here but not by the run") }
                return parts.joined(separator: "; ")
            }
            return "the run held out \(run.validationPhotos) photos, this folder \(validationPhotos) (other photos)"
        }
        if trainingPaths != run.trainingPaths {
            return trainingPhotos == run.trainingPhotos
                ? "the same number of training photos (\(trainingPhotos)) but other files"
                : "the run trained on \(run.trainingPhotos) photos, this folder gives \(trainingPhotos)"
        }
        return nil
    }

    private static func sample(_ paths: [String]) -> String {
        let shown = paths.prefix(3).joined(separator: ", ")
        return paths.count == 1 ? "1 photo (\(shown)) is"
            : "\(paths.count) photos (\(shown)\(paths.count > 3 ? ", …" : "")) are"
    }
}
