import ArgumentParser
import DilatedViT
import Foundation

extension ColorMap: ExpressibleByArgument {}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show which patches drove a photo's label, as a heat map over the photo.",
        discussion: """
            The model pools by a mean over tokens and then applies a linear head, so a class's \
            logit is exactly the mean over patches of the head applied to each patch's final \
            features: each patch's term is its share of the score, with no approximation. The map \
            shows those terms for the predicted class (or --class), min–max normalised over the \
            photo, drawn through a colour map and blended over the photo; the label and its \
            probability are written in the corner. Printed: the label, its probability, the patch \
            grid and the most relevant patch.

            Examples:
              dvit explain images/sea-pier.jpg -o pier-map.png
              dvit explain --class forest --alpha 0.7 --colormap turbo photo.jpg \\
                -o forest.png
            """)

    @Argument(help: "The photo (JPEG or PNG).")
    var photo: String

    @Option(name: [.short, .customLong("output")], help: "PNG to write.")
    var output: String

    @OptionGroup var model: ModelLocation
    @OptionGroup var inference: InferenceOptions

    @Option(name: .customLong("class"), help: "Explain this label instead of the predicted one.")
    var label: String?

    @Option(help: "Heat map opacity over the photo, 0 (photo only) to 1 (map only).")
    var alpha: Float = 0.5

    @Option(help: "Colour map: inferno or turbo.")
    var colormap: ColorMap = .inferno

    func validate() throws {
        guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be between 0 and 1") }
    }

    func run() throws {
        let classifier = try model.loadClassifier(reading: inference)
        let index = try label.map { label in
            guard let index = classifier.config.labels.firstIndex(of: label) else {
                throw ValidationError("--class \(label): the model's labels are \(classifier.config.labels.joined(separator: ", "))")
            }
            return index
        }
        do {
            let explanation = try classifier.explain(contentsOf: photo, options: inference.classificationOptions())
            let shown = index ?? explanation.predictedIndex
            let image = explanation.rendered(over: try decodeReduced(photo, longSideAtLeast: 1024), labelAt: shown,
                                             alpha: alpha, colorMap: colormap)
            try OutputFile.write(Data(ImageEncoder.png(image)), toFile: output)
            let strongest = explanation.relevance(forLabelAt: shown).strongest
            print("\(photo)  \(explanation.labels[shown]) \(String(format: "%.3f", explanation.probabilities[shown]))"
                  + "  (\(explanation.columns)×\(explanation.rows) patches, strongest at row \(strongest.row) "
                  + "column \(strongest.column)) → \(output) \(image.width)×\(image.height)")
        } catch {
            printError("dvit: \(error)")
            throw ExitCode(1)
        }
    }
}
