import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the pipeline's stages.",
        subcommands: [BenchForward.self, BenchAttention.self, BenchGemm.self, BenchPrecision.self, BenchDecode.self, BenchLoader.self,
                      BenchTrain.self, BenchScaling.self])
}
