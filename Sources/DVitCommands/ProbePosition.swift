import ArgumentParser
import DilatedViT
import DilatedViTTraining
import DilatedViTTools
import Foundation

struct ProbePosition: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-position",
        abstract: "Does the label survive moving the photo around a large canvas? (\"lost in the middle\")",
        discussion: """
            Each labelled photo is fitted to --photo-size (long side) and pasted at a grid of \
            positions, corner to corner, on a square --canvas-size canvas of flat grey or seeded \
            noise. Every composite is classified at native resolution (or --max-tokens), and the \
            probability of the true label and the accuracy are reported per position, as tables \
            and, with -o, as a heat-map PNG. --dense-too repeats the run with dense attention on a \
            grid capped at --dense-grid (dense attention is quadratic in the token count). The \
            canvas side must be a multiple of the model's patch size.

            Examples:
              dvit probe-position --photo images/forest-path.jpg --label forest \\
                -o positions.png
              dvit probe-position --data ../shared/datasets/intel-scenes/train \\
                --listing weights/validation.txt --limit 20 --canvas noise \\
                --dense-too -o positions.png
              # a second model beside the first:
              dvit probe-position --weights weights-v2 --compare weights \\
                --data ../shared/datasets/intel-scenes/train \\
                --listing weights/validation.txt --limit 20
            """)

    @OptionGroup var model: ModelLocation

    @OptionGroup var photos: ProbePhotos

    @OptionGroup var canvas: ProbeCanvas

    @Option(help: "Positions per side.")
    var grid = 5

    @Option(help: "Token budget (0 = native resolution, the canvas as it is).")
    var maxTokens = 0

    @Option(help: "Another model's weights folder to probe the same way beside --weights (e.g. v1 beside v2); repeatable.")
    var compare: [String] = []

    @Flag(help: "Also run with dense attention (slower), on a grid capped at --dense-grid.")
    var denseToo = false

    @Option(help: "Positions per side for the dense run.")
    var denseGrid = 3

    @Option(name: [.short, .customLong("output")], help: "Write the per-position heat maps here (PNG).")
    var output: String?

    func validate() throws {
        guard (1...15).contains(grid), (1...15).contains(denseGrid) else {
            throw ValidationError("--grid and --dense-grid must be between 1 and 15")
        }
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be 0 (native) or positive") }
    }

    func run() throws {
        let classifier = try model.loadClassifier()
        let others = try compare.map { path in
            var location = model
            location.weights = path
            let other = try location.loadClassifier()
            guard other.config.labels == classifier.config.labels && other.config.patchSize == classifier.config.patchSize else {
                throw ValidationError("--compare \(path): another label set or patch size than --weights \(model.weights)")
            }
            return (name: "dilated, \(path)", classifier: other)
        }
        let patch = classifier.config.patchSize
        guard canvas.canvasSize % patch == 0 else {
            throw ValidationError("--canvas-size \(canvas.canvasSize) is not a multiple of the model's patch size \(patch)")
        }
        let samples = try loadSamples(labels: classifier.config.labels)
        let name = compare.isEmpty ? "" : ", \(model.weights)"
        let modes: [(name: String, classifier: SceneClassifier, attention: AttentionMode, grid: Int)] =
            [("dilated" + name, classifier, .dilated, grid)]
            + others.map { ($0.name, $0.classifier, .dilated, grid) }
            + (denseToo ? [("dense" + name, classifier, .dense, min(grid, denseGrid))] : [])
        var runs = [ProbePositionReport.Run]()
        for mode in modes {
            let probe = canvas.probe(gridSize: mode.grid)
            var progress = Progress(total: samples.count * mode.grid * mode.grid)
            let result = probe.run(mode.classifier, samples: samples, maxTokens: maxTokens, attention: mode.attention) { _, _ in
                progress.advance()
            }
            let run = ProbePositionReport.Run(mode: mode.name, result: result)
            print(ProbePositionReport.table(run, canvas: canvas.summary))
            try flushStandardOutput()
            runs.append(run)
        }
        if let output {
            try OutputFile.write(Data(ImageEncoder.png(ProbePositionReport.image(runs))), toFile: output)
            print("wrote \(output)")
        }
    }

    /// The photos, checked against the model's labels and decoded large enough to paste.
    private func loadSamples(labels: [String]) throws -> [PositionProbe.Sample] {
        let entries = try photos.entries()
        for entry in entries where !labels.contains(entry.label) {
            throw ValidationError("\(entry.path): label \(entry.label) is not one of the model's (\(labels.joined(separator: ", ")))")
        }
        return try entries.map {
            PositionProbe.Sample(image: try decodeReduced($0.path, longSideAtLeast: 2 * canvas.photoSize), label: $0.label)
        }
    }
}

/// The photos `probe-position` pastes: one `--photo` with its `--label`, or a `--listing`.
struct ProbePhotos: ParsableArguments {
    @Option(help: "A photo to probe with (with --label).", completion: .file(extensions: ["jpg", "jpeg", "png"]))
    var photo: String?

    @Option(help: "The true label of --photo.")
    var label: String?

    @Option(help: "A listing of label/file paths relative to --data, one per line (as `dvit train` writes validation.txt).",
            completion: .file())
    var listing: String?

    @Option(help: "The folder the --listing paths are relative to.", completion: .directory)
    var data = "."

    @Option(help: "Use this many photos of the listing, evenly spread over it (each costs grid² forward passes).")
    var limit: Int?

    func validate() throws {
        guard (photo == nil) == (label == nil) else { throw ValidationError("--photo and --label go together") }
        guard (photo != nil) != (listing != nil) else { throw ValidationError("give either --photo/--label or --listing") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    /// Each photo's path and label (the listing's labels are its first path components).
    func entries() throws -> [(path: String, label: String)] {
        var entries = [(path: String, label: String)]()
        if let photo, let label {
            entries = [(photo, label)]
        } else if let listing {
            let text = try String(contentsOfFile: listing, encoding: .utf8)
            entries = DatasetSplit.entries(ofListing: text).map { _, path in
                (data + "/" + path, String(path.split(separator: "/").first ?? ""))
            }
            if let limit, limit < entries.count {
                // Evenly spread: listings are grouped by label, so each label keeps its share.
                entries = (0..<limit).map { entries[$0 * entries.count / limit] }
            }
        }
        guard !entries.isEmpty else { throw ValidationError("no photos in \(listing ?? "the listing")") }
        return entries
    }
}

/// The canvas `probe-position` pastes each photo on, and the photo's size there.
struct ProbeCanvas: ParsableArguments {
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case grey, noise
    }

    @Option(name: .customLong("canvas"), help: "Canvas: grey or noise.")
    var kind: Kind = .grey

    @Option(help: "Seed of the noise canvas.")
    var seed: UInt64 = 1

    @Option(help: "Side of the square canvas, in pixels.")
    var canvasSize = 1024

    @Option(help: "Long side of the pasted photo, in pixels.")
    var photoSize = 192

    func validate() throws {
        guard canvasSize > 0, photoSize > 0, photoSize <= canvasSize else {
            throw ValidationError("need 0 < --photo-size ≤ --canvas-size")
        }
    }

    /// The probe pasting at `gridSize` × `gridSize` positions.
    func probe(gridSize: Int) -> PositionProbe {
        PositionProbe(canvas: kind == .grey ? .grey : .noise(seed: seed), canvasSize: canvasSize, photoSize: photoSize,
                      gridSize: gridSize)
    }

    /// The canvas in words, for the report's tables.
    var summary: String { "\(canvasSize) px \(kind.rawValue) canvas, \(photoSize) px photo" }
}
