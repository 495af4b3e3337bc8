import ArgumentParser
import DilatedViT
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe the model: size, attention levels, labels, training resolution, accuracy.")

    @OptionGroup var model: ModelLocation

    func run() throws {
        let config = try model.loadClassifier().config
        let parameters = ModelWeights.expectedShapes(for: config).values.reduce(0) { $0 + $1.reduce(1, *) }
        let levels = config.levels.map { "(segment \($0.segment), dilation \($0.dilation))" }.joined(separator: " ")
        print("weights        \(model.weights)/")
        print("parameters     \(parameters.formatted())")
        print("architecture   dim \(config.dimension), depth \(config.depth), heads \(config.heads), patch \(config.patchSize), MLP ×\(config.mlpRatio)")
        print("patch embed    \(config.patchEmbedding.rawValue)")
        let rule = config.levelRule == .toGrid ? ", doubled until a segment covers the grid (to_grid)" : ""
        print("format         \(config.isVersion2 ? ModelConfig.version2FormatIdentifier : ModelConfig.formatIdentifier)")
        print("attention      \(config.attention.rawValue), levels \(levels)\(rule)")
        let span = config.positionCode == .sinCos2DNormalised ? " (longer side spans \(config.positionSpan) patches)" : ""
        let view = config.coarseViewTokens > 0
            ? ", with a coarse view of ≤ \(config.coarseViewTokens) tokens for larger grids (balance \(config.coarseViewBalance))" : ""
        print("position code  \(config.positionCode.rawValue)\(span), pooling \(config.pooling.rawValue)\(view)")
        print("labels         \(config.labels.joined(separator: ", "))")
        print("trained at     \(config.reading.trainResolution.map { "\($0) px" } ?? "unknown")")
        print("token budget   \(config.reading.defaultMaxTokens) by default")
        let card = model.weights + "/MODEL_CARD.md"
        if let text = try? String(contentsOfFile: card, encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.lowercased().contains("validation accuracy") }) {
            print("accuracy       \(line.trimmingCharacters(in: .whitespaces)) (\(card))")
        }
    }
}
