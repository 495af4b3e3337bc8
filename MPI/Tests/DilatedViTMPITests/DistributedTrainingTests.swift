import Foundation
import Testing

/// The distributed form under `mpirun` with 2 and 3 ranks (more ranks than the CI
/// machine's cores: `--oversubscribe`). Serialized: each job uses every core.
@Suite(.serialized) struct DistributedTrainingTests {
    /// The data-parallel step's gradients equal one process's within 1e-6 relative
    /// (‖Δg‖/‖g‖), identical on every rank (dvit-mpi-gradient-check checks and prints).
    @Test(arguments: [2, 3])
    func gradientsMatchOneProcess(ranks: Int) throws {
        let job = try MPIJob.run([(ranks, "dvit-mpi-gradient-check", ["--tolerance", "1e-6"])])
        #expect(!job.hung && job.status == 0, "\(job.standardOutput)\n\(job.standardError)")
        let lines = job.standardOutput.split(separator: "\n")
        #expect(lines.count == 3 && lines.allSatisfy { $0.hasSuffix(": ok") && $0.contains("\(ranks) ranks") },
                "\(job.standardOutput)")
        for line in lines {
            // "relative difference 8.59e-08 (‖Δg‖/‖g‖ …"
            let value = line.split(separator: "relative difference ").last?.split(separator: " ").first
            let relative = try #require(value.flatMap { Double($0) }, "\(line)")
            #expect(relative <= 1e-6)
        }
    }

    private static func trainArguments(_ data: String, output: String, seed: Int = 3) -> [String] {
        ["train", "--data", data, "--output", output, "--epochs", "2", "--batch", "8", "--dim", "16",
         "--depth", "1", "--heads", "2", "--patch", "4", "--levels", "2:1,4:2", "--grid-sides", "3,4",
         "--validation-grid", "4", "--validation-fraction", "0.25", "--seed", String(seed), "--lr", "3e-3", "--warmup", "0.5",
         "--loader-threads", "0"]
    }

    private struct History: Decodable {
        struct Epoch: Decodable {
            var trainingLoss: Double
            var trainingAccuracy: Double
            var validationAccuracy: Double
        }
        var history: [Epoch]
    }

    private static func history(_ run: String) throws -> [History.Epoch] {
        try JSONDecoder().decode(History.self, from: Data(contentsOf: URL(fileURLWithPath: run + "/state.json"))).history
    }

    /// Two epochs over N ranks follow the one-process run (same global batches and seed)
    /// within float rounding, and only rank 0 writes: rank 1 is given another --output
    /// (MPMD), which must stay absent.
    @Test(arguments: [2, 3])
    func trainingFollowsTheOneProcessRunAndOnlyRankZeroWrites(ranks: Int) throws {
        let data = try SyntheticPhotos(), scratch = try ScratchFolder()
        let one = scratch.path("one"), many = scratch.path("many"), elsewhere = scratch.path("elsewhere")
        let alone = try MPIJob.run([(1, "dvit-mpi", Self.trainArguments(data.root, output: one))])
        try #require(alone.status == 0, "\(alone.standardError)")
        let together = try MPIJob.run([(1, "dvit-mpi", Self.trainArguments(data.root, output: many)),
                                       (ranks - 1, "dvit-mpi", Self.trainArguments(data.root, output: elsewhere))])
        try #require(together.status == 0, "\(together.standardError)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere), "a rank other than 0 wrote its --output")
        // Rank 0 alone prints: one summary line, not one per rank.
        #expect(together.standardOutput.components(separatedBy: "best validation accuracy").count == 2,
                "\(together.standardOutput)")
        let (a, b) = (try Self.history(one), try Self.history(many))
        try #require(a.count == 2 && b.count == 2)
        for (x, y) in zip(a, b) {
            #expect(abs(x.trainingLoss - y.trainingLoss) <= 1e-4 * x.trainingLoss, "\(a) vs \(b)")
            #expect(x.trainingAccuracy == y.trainingAccuracy && x.validationAccuracy == y.validationAccuracy)
        }
        // Every rank of another rank count reads the finished run, agrees on it, and has
        // nothing left to train.
        let resumed = try MPIJob.run([(ranks + 1, "dvit-mpi", Self.trainArguments(data.root, output: many) + ["--resume"])])
        #expect(resumed.status == 0 && resumed.standardOutput.contains("resuming after epoch 2 of 2"),
                "\(resumed.standardOutput)\n\(resumed.standardError)")
    }

    /// A rank that fails ends the whole job quickly with a non-zero status and one line
    /// naming the rank and the cause (here rank 1's --data does not exist; rank 0 is
    /// waiting in a collective and must not hang).
    @Test func aFailingRankEndsEveryRank() throws {
        let data = try SyntheticPhotos(), scratch = try ScratchFolder()
        let job = try MPIJob.run([(1, "dvit-mpi", Self.trainArguments(data.root, output: scratch.path("run"))),
                                  (1, "dvit-mpi", Self.trainArguments("/nonexistent-dvit-data", output: scratch.path("run")))],
                                 deadline: 60)
        #expect(!job.hung && job.status != 0)
        #expect(job.seconds < 30, "took \(job.seconds) s")
        let ours = job.standardError.split(separator: "\n").filter { $0.hasPrefix("dvit-mpi: ") }
        #expect(ours == ["dvit-mpi: rank 1 of 2: /nonexistent-dvit-data: no such folder"], "\(job.standardError)")
    }

    /// A rank that dies in the middle of training (SIGKILL: no message, no MPI_Abort) does
    /// not leave the others waiting in the next all-reduce: mpirun ends the job, non-zero.
    @Test func aRankKilledMidRunEndsTheJob() throws {
        #if os(Linux)
        let data = try SyntheticPhotos(), scratch = try ScratchFolder()
        let run = scratch.path("run")
        var arguments = Self.trainArguments(data.root, output: run)
        arguments[arguments.firstIndex(of: "--epochs")! + 1] = "500"
        var killed: Int32?
        let job = try MPIJob.run([(2, "dvit-mpi", arguments)], deadline: 120) { mpirun in
            // Training has started once rank 0 finished its first epoch.
            let start = Date()
            while !FileManager.default.fileExists(atPath: run + "/current"), Date().timeIntervalSince(start) < 60 {
                usleep(20_000)
            }
            killed = childProcesses(of: mpirun, named: "dvit-mpi").max()
            if let killed { kill(killed, SIGKILL) }
        }
        #expect(killed != nil, "no rank found to kill")
        #expect(!job.hung && job.status != 0, "\(job.standardError)")
        #expect(job.seconds < 90, "took \(job.seconds) s")
        #endif
    }

    /// Ranks started differently (here another --seed, so other initial weights) are
    /// refused at the start by rank 0, naming the rank that differs.
    @Test func ranksThatStartDifferentlyAreRefused() throws {
        let data = try SyntheticPhotos(), scratch = try ScratchFolder()
        let job = try MPIJob.run([(2, "dvit-mpi", Self.trainArguments(data.root, output: scratch.path("run"))),
                                  (1, "dvit-mpi", Self.trainArguments(data.root, output: scratch.path("run"), seed: 4))],
                                 deadline: 60)
        #expect(!job.hung && job.status != 0)
        let ours = job.standardError.split(separator: "\n").filter { $0.hasPrefix("dvit-mpi: ") }
        #expect(ours.count == 1 && ours[0].hasPrefix("dvit-mpi: rank 0 of 3: rank 2 differs from rank 0 at the start"),
                "\(job.standardError)")
    }

    /// Only `train` and `classify` are distributed: another command with several ranks is a usage error.
    @Test func aCommandOtherThanTrainIsRefusedAcrossRanks() throws {
        let job = try MPIJob.run([(2, "dvit-mpi", ["info"])], deadline: 60)
        #expect(!job.hung && job.status == 2)
        #expect(job.standardError.contains("dvit-mpi: rank 0 of 2: only `train` and `classify` run across ranks"),
                "\(job.standardError)")
    }
}
