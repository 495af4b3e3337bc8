import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct TrainPrecisionCommandTests {
    @Test func trainKeepsItsPrecisionInTheRecipe() throws {
        let folder = try SyntheticImageFolder(counts: ["a": 4, "b": 4, "c": 4])
        defer { folder.remove() }
        let scratch = try ScratchDirectory()
        let tiny = ["train", "--data", folder.root, "--output", scratch.path("run"), "--dim", "16", "--depth", "1",
                    "--heads", "2", "--patch", "4", "--levels", "2:1,4:2", "--epochs", "1", "--warmup", "0",
                    "--batch", "4", "--grid-sides", "3", "--validation-grid", "3", "--validation-fraction", "0.25",
                    "--loader-threads", "0"]
        let result = try DVitProcess.run(tiny + ["--precision", "bf16"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.outputLines.contains { $0.contains("bf16 products") }, "\(result.standardOutput)")
        let state = try TrainingCheckpoint(directory: URL(fileURLWithPath: scratch.path("run"))).loadState()
        #expect(state.recipe.precision == .bfloat16 && state.epochsCompleted == 1)
        #expect(try DVitProcess.run(tiny + ["--precision", "fp16"]).status == 2)
    }

    @Test func benchTrainTimesEachPrecisionAndTheirRatio() throws {
        // A structure check on a tiny batch, not a measurement.
        let result = try DVitProcess.run(["bench", "train", "--batch", "2", "--side", "4", "--steps", "1",
                                          "--precisions", "fp32,bf16"])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.outputLines.filter { !$0.hasPrefix("note:") }
        #expect(lines.count == 3, "\(result.standardOutput)")
        #expect(lines.first?.hasPrefix("swift train batch 2 grid 4×4") == true)
        #expect(lines.dropFirst().first?.hasPrefix("swift-bf16 train batch 2 grid 4×4") == true)
        #expect(lines.last?.hasPrefix("bf16 / fp32 speed: best ") == true)
        #expect(try DVitProcess.run(["bench", "train", "--precisions", "fp32,int8"]).status == 2)
    }
}
