import ArgumentParser
import DilatedViT

@main
struct DVit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dvit",
        abstract: "Label photos of any size with a dilated-attention vision transformer.",
        subcommands: [Classify.self, Bench.self])
}
