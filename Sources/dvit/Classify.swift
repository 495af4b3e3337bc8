import ArgumentParser
import DilatedViT
import Foundation

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label photos with the scene model.",
        discussion: """
            A photo that cannot be read yields one error line on stderr; the others are still
            labelled. Exit status: 0 when every photo was labelled, 1 when some failed, 2 on
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

    @Option(name: [.customShort("k"), .long], help: "Labels to show per photo.")
    var top = 3

    @Flag(help: "One JSON object per line instead of text.")
    var json = false

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        guard model.hasModel else { return try prepareOnly() }
        let classifier = try model.loadClassifier()
        let options = inference.classificationOptions(topK: top)
        try batch.run { path in
            let result = try classifier.classify(contentsOf: path, options: options)
            return json ? ClassificationReport.json(path: path, result) : ClassificationReport.text(path: path, result)
        }
    }

    /// Without a trained model: show how each photo would be prepared.
    private func prepareOnly() throws {
        printError("""
            dvit: no trained model in \(model.weights)/ (config.json + model.safetensors): showing how each \
            photo would be prepared, without labels. The scene model ships with the trainer.
            """)
        let loader = PhotoLoader(patchSize: 8, maxTokens: inference.maxTokens ?? 1024)
        try batch.run { path in
            let clock = ContinuousClock()
            let start = clock.now
            let photo = try loader.load(contentsOf: path)
            let milliseconds = (clock.now - start).seconds * 1000
            return json ? ClassificationReport.json(path: path, photo.summary, milliseconds: milliseconds)
                        : ClassificationReport.text(path: path, photo.summary, milliseconds: milliseconds)
        }
    }
}
