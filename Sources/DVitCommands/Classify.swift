import ArgumentParser
import DilatedViT
import Foundation

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label photos with the scene model.",
        discussion: """
            A photo that cannot be read yields one error line on stderr; the others are still \
            labelled. Exit status: 0 when every photo was labelled, 1 when some failed, 2 on \
            usage errors. A progress bar is drawn on stderr when it is a terminal.

            Examples:
              dvit classify images/
              dvit classify --json -k 1 photo.jpg
              find /photos -name '*.jpg' | dvit classify --json - > labels.jsonl
              dvit classify --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT /photos
            """)

    @OptionGroup var batch: PhotoBatchOptions
    @OptionGroup var model: ModelLocation
    @OptionGroup var inference: InferenceOptions

    @Option(name: [.customShort("k"), .long], parsing: .unconditional, help: "Labels to show per photo.")
    var top = 3

    @Flag(help: "One JSON object per line instead of text.")
    var json = false

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1, got \(top)") }
    }

    func run() throws {
        let group = ProcessGroups.current
        if group.size > 1 { return try runAcrossRanks(group) }
        let classifier = try model.loadClassifier(reading: inference)
        let options = inference.classificationOptions(topK: top)
        try batch.run { path in
            let result = try classifier.classify(contentsOf: path, options: options)
            return json ? ClassificationReport.json(path: path, result) : ClassificationReport.text(path: path, result)
        }
    }
}
