import Foundation
import Testing

/// `mpirun -np N dvit-mpi classify`: one photo read by N ranks, each holding a strip of its
/// patch rows, gives the one-process result (docs/DISTRIBUTED.md).
@Suite(.serialized) struct SequenceParallelTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { repository.appendingPathComponent(relative).path }

    private struct Line: Decodable {
        struct Label: Decodable {
            var label: String
            var probability: Double
        }
        var path: String
        var labels: [Label]
        var tokens: Int
        var ranks: Int?
        var bytes_exchanged: Int?
    }

    private static func classify(ranks: Int, weights: String, photos: [String]) throws -> [Line] {
        let arguments = ["classify", "--json", "--precision", "fp32", "--weights", path(weights), "--max-tokens", "1500",
                         "-k", "6"] + photos.map(path)
        let job = try MPIJob.run([(ranks, "dvit-mpi", arguments)], deadline: 300)
        try #require(!job.hung && job.status == 0, "\(job.standardError)")
        return try job.standardOutput.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    /// v1 (levels inside 32-row tiles) and v2 (lattice levels up to the whole grid) on an
    /// 18-row and a 30-row grid (strips of 9, 6, 15 and 10 rows: odd, and thinner than a tile):
    /// every label's probability within 1e-5 of one process, and rank 0 alone prints.
    @Test(arguments: ["weights", "weights-v2"])
    func stripsGiveTheOneProcessProbabilities(weights: String) throws {
        let photos = ["images/sea-pier-small.png", "images/lake-boats.jpg"]
        let alone = try Self.classify(ranks: 1, weights: weights, photos: photos)
        try #require(alone.count == 2 && alone.map(\.tokens) == [540, 1470], "\(alone)")
        for ranks in [2, 3] {
            let together = try Self.classify(ranks: ranks, weights: weights, photos: photos)
            try #require(together.count == 2, "\(together)")
            for (a, b) in zip(alone, together) {
                #expect(b.ranks == ranks && (b.bytes_exchanged ?? 0) > 0 && a.path == b.path)
                #expect(a.labels.map(\.label) == b.labels.map(\.label), "\(a) vs \(b)")
                for (x, y) in zip(a.labels, b.labels) {
                    #expect(abs(x.probability - y.probability) <= 1e-5, "\(ranks) ranks, \(a.path): \(x) vs \(y)")
                }
            }
        }
    }

    /// A rank that cannot read its strip (here: its photo path does not exist) ends every
    /// rank within seconds, with one line naming the rank and the cause.
    @Test func aRankThatCannotReadItsStripEndsTheJob() throws {
        let arguments = ["classify", "--weights", Self.path("weights")]
        let job = try MPIJob.run([(1, "dvit-mpi", arguments + [Self.path("images/sea-pier-small.png")]),
                                  (1, "dvit-mpi", arguments + ["/nonexistent-dvit-photo.png"])], deadline: 60)
        #expect(!job.hung && job.status != 0 && job.seconds < 30)
        let ours = job.standardError.split(separator: "\n").filter { $0.hasPrefix("dvit-mpi: ") }
        #expect(ours.count == 1 && ours[0].hasPrefix("dvit-mpi: rank 1 of 2: rank 1 could not read its strip: ")
                && ours[0].contains("nonexistent-dvit-photo.png"), "\(job.standardError)")
    }

    /// Ranks that loaded different weights are refused before any photo.
    @Test func ranksWithOtherWeightsAreRefused() throws {
        let photo = Self.path("images/sea-pier-small.png")
        let job = try MPIJob.run([(1, "dvit-mpi", ["classify", "--weights", Self.path("weights"), photo]),
                                  (1, "dvit-mpi", ["classify", "--weights", Self.path("weights-v2"), photo])], deadline: 60)
        #expect(!job.hung && job.status == 2 && job.standardOutput.isEmpty)
        #expect(job.standardError.contains("dvit-mpi: rank 0 of 2: rank 1 loaded other weights than rank 0"), "\(job.standardError)")
    }
}
