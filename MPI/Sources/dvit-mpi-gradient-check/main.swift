// dvit-mpi-gradient-check: one training step's gradients over the ranks of an MPI job vs
// the same step in one process. Every rank builds the same model and the same batch
// (seeded), computes the whole batch's gradient alone (`TrainingModel.step(batch:)`), then
// its contiguous share's through the data-parallel step the trainer uses
// (`TrainingModel.step(share:in:)`: scaled by share / batch, all-reduced), and compares:
//
//   relative difference = ‖g_ranks − g_one‖₂ / ‖g_one‖₂   (must be ≤ --tolerance, 1e-6)
//
// and that every rank holds the same summed gradient bit for bit. Rank 0 prints one line
// per case; the exit status is 1 when any case fails. Run it under mpirun:
//   mpirun -np 2 MPI/.build/debug/dvit-mpi-gradient-check
import DilatedViT
import DilatedViTMPI
import DilatedViTTraining
import Foundation

guard let group = MPIProcessGroup.start() else { exit(1) }
var tolerance = 1e-6
/// With --time-allreduce N: also the mean time of an all-reduce of N floats (the gradient
/// arena of an N-parameter model), over 20 after 3 warm-ups.
var timedCount: Int?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--tolerance", let value = arguments.popFirst().flatMap(Double.init) {
        tolerance = value
    } else if argument == "--time-allreduce", let value = arguments.popFirst().flatMap(Int.init), value > 0 {
        timedCount = value
    } else {
        FileHandle.standardError.write(Data("usage: dvit-mpi-gradient-check [--tolerance X] [--time-allreduce FLOATS]\n".utf8))
        group.abort(2)
    }
}

/// A reproducible pseudo-random stream (Knuth's MMIX congruential generator), the same on
/// every rank; its top 53 bits.
struct Stream {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 11
    }
    mutating func unit() -> Float { Float(next() >> 29) / Float(1 << 24) * 2 - 1 }
}

struct Case {
    var name: String
    /// Photos in the global batch, each a `rows × columns` grid.
    var images, rows, columns: Int
    var pooling: Pooling
    var labelSmoothing: Float
}

let labels = ["a", "b", "c", "d"]
let cases = [
    Case(name: "mean pooling", images: 7, rows: 6, columns: 5, pooling: .mean, labelSmoothing: 0.1),
    Case(name: "attention pooling", images: 10, rows: 4, columns: 8, pooling: .attention, labelSmoothing: 0),
    Case(name: "fewer images than ranks", images: 2, rows: 4, columns: 4, pooling: .mean, labelSmoothing: 0.1),
]
var failures = 0
for check in cases {
    let config = try ModelConfig(
        dimension: 32, depth: 2, heads: 4, patchSize: 4, mlpRatio: 2,
        levels: [AttentionLevel(segment: 2, dilation: 1), AttentionLevel(segment: 4, dilation: 2)],
        pooling: check.pooling, labels: labels)
    var random = Stream(state: 42)
    let features = 3 * config.patchSize * config.patchSize
    let grids = (0..<check.images).map { _ in
        PatchGrid(rows: check.rows, columns: check.columns, patchSize: config.patchSize,
                  values: (0..<(check.rows * check.columns * features)).map { _ in random.unit() })
    }
    let targets = (0..<check.images).map { _ in Int(random.next() % UInt64(labels.count)) }
    let weights = ModelWeights(trainingInitFor: config, seed: 7)

    let alone = TrainingModel(config: config, weights: weights, labelSmoothing: check.labelSmoothing)
    alone.zeroGradients()
    let (loss, correct) = alone.step(batch: TrainingBatch(grids: grids, labels: targets))

    let together = TrainingModel(config: config, weights: weights, labelSmoothing: check.labelSmoothing)
    let part = group.share(of: check.images)
    let share = part.isEmpty ? nil : TrainingBatch(grids: Array(grids[part]), labels: Array(targets[part]))
    let totals = together.step(share: share, in: group)

    var difference = 0.0, norm = 0.0, largestDifference = 0.0, largest = 0.0
    for (a, b) in zip(alone.gradients, together.gradients) {
        difference += Double(b - a) * Double(b - a)
        norm += Double(a) * Double(a)
        largestDifference = max(largestDifference, Double(abs(b - a)))
        largest = max(largest, Double(abs(a)))
    }
    let relative = difference.squareRoot() / norm.squareRoot()
    // The same summed gradient on every rank: a checksum of its bits, gathered.
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for g in together.gradients { hash = (hash ^ UInt64(g.bitPattern)) &* 0x0000_0100_0000_01b3 }
    let hashes = group.gather(hash)
    let meanLoss = totals.lossSum / Double(max(totals.images, 1))
    let ok = relative <= tolerance && Set(hashes).count == 1 && totals.images == check.images
        && totals.correct == correct && abs(meanLoss - Double(loss)) <= 1e-5 * max(1, abs(Double(loss)))
    var failed = [ok ? 0.0 : 1.0]
    group.sum(&failed)
    if failed[0] > 0 { failures += 1 }
    if group.rank == 0 {
        let shares = (0..<group.size).map { shareRange(of: check.images, rank: $0, size: group.size).count }
        print(String(format: "%@: %d ranks, %d images (shares %@), %d parameters: relative difference %.2e "
                     + "(‖Δg‖/‖g‖, tolerance %.0e), largest element difference %.2e of the largest %.2e; "
                     + "ranks agree: %@; loss %.6f vs %.6f: %@",
                     check.name, group.size, check.images, shares.map(String.init).joined(separator: ", "),
                     alone.gradients.count, relative, tolerance, largestDifference, largest,
                     Set(hashes).count == 1 ? "yes" : "NO", meanLoss, Double(loss), failed[0] > 0 ? "FAILED" : "ok"))
        fflush(nil)
    }
}
if let count = timedCount {
    var buffer = [Float](repeating: 1, count: count)
    for _ in 0..<3 { group.sum(&buffer) }
    let clock = ContinuousClock()
    let elapsed = clock.measure { for _ in 0..<20 { group.sum(&buffer) } }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    if group.rank == 0 {
        print(String(format: "all-reduce of %d floats (%.1f MB) over %d ranks: %.2f ms", count,
                     Double(4 * count) / 1e6, group.size, seconds / 20 * 1000))
    }
}
group.finish()
exit(failures > 0 ? 1 : 0)
