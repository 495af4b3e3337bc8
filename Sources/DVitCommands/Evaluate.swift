import ArgumentParser
import DilatedViT
import DilatedViTTraining
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Accuracy of a model on held-out photos: confusion matrix and accuracy vs input size.",
        discussion: """
            The held-out photos are those listed in --validation (as `dvit train` writes it), \
            relative to --data. Each photo is resized, aspect kept, so that its short side is \
            each of --sizes pixels (smaller photos are upscaled), then read the way `dvit \
            classify` reads a photo of that size: scaled down to the model's token budget, or \
            with --upscale up to it as well (--max-tokens to choose another; 0 reads every \
            pixel, one token per patch).

            Example:
              dvit evaluate --weights weights \\
                --data ../shared/datasets/intel-scenes/train \\
                --validation weights/validation.txt --sizes 96,128,160,224,320,448,600
            """)

    @OptionGroup var model: ModelLocation

    @Option(help: "The data set root the validation listing is relative to.")
    var data: String

    @Option(help: "Validation listing (default: validation.txt beside the weights).")
    var validation: String?

    @Option(help: "Short sides in pixels to evaluate at; the confusion matrix is shown for the first.")
    var sizes = "96,128,160,224,320,448,600"

    /// Read each resized input as classify would.
    @OptionGroup var reading: InferenceOptions

    @Option(help: "Evaluate every n-th held-out photo only (the listing is grouped by label, so each label keeps its share).")
    var every = 1

    func validate() throws {
        guard every >= 1 else { throw ValidationError("--every must be at least 1") }
    }

    func run() throws {
        let classifier = try model.loadClassifier(reading: reading)
        let config = classifier.config
        let dataset = try ImageFolderDataset(root: data)
        for skipped in dataset.skipped { printError("dvit: warning: skipped \(skipped)") }
        guard dataset.labels == config.labels else {
            throw ValidationError("the model's labels \(config.labels) are not the data set's \(dataset.labels)")
        }
        let listingPath = validation ?? (model.weights + "/validation.txt")
        guard let listing = try? String(contentsOfFile: listingPath, encoding: .utf8) else {
            throw ValidationError("cannot read the validation listing \(listingPath) (see --validation)")
        }
        let split = try DatasetSplit(dataset, validationListing: listing)
        let shortSides = try parseIntegerList(sizes, option: "--sizes")
        let budget = reading.maxTokens ?? config.reading.defaultMaxTokens
        let sweep = ResolutionSweep(shortSides: shortSides, config: config, maxTokens: budget,
                                    allowsUpscaling: reading.upscale)
        let options = reading.classificationOptions()
        let samples = stride(from: 0, to: split.validation.count, by: every).map { split.validation[$0] }
        var progress = Progress(total: samples.count)
        let entries = sweep.run(dataset: dataset, samples: samples, store: ImageStore(),
                                classify: { classifier.probabilities(for: $0, options: options) },
                                progress: { _, _ in progress.advance() })
        let share = every > 1 ? "every \(every)th of " : ""
        print("\(samples.count) photos (\(share)\(split.validation.count) held out in \(listingPath)), \(reading.dense ? "dense" : "dilated") attention, "
              + "\(model.precision.rawValue) products, " + (reading.mirrorAverage ? "averaged with the mirrored photo, " : "")
              + (budget == 0 ? "every pixel read"
                 : "read within \(budget) tokens" + (reading.upscale ? ", smaller inputs upscaled to it" : "")))
        print("")
        print("confusion matrix at \(shortSides[0]) px (rows: true label, columns: predicted)")
        print(entries[0].confusion.table(labels: config.labels))
        print(ResolutionSweep.table(entries))
    }
}
