import DilatedViT

/// The "lost in the middle" test for images: does the model recognise a photo equally well
/// wherever it sits in a large, uninformative canvas?
///
/// Each photo is fitted to `photoSize` (long side) and pasted at `gridSize × gridSize`
/// positions spread evenly from corner to corner of a square `canvasSize` canvas; every
/// composite is classified, and the probability of the photo's true label is recorded per
/// position. With a token budget of 0 the canvas is seen at native resolution, so the photo
/// is always the same patches, only in a different place.
public struct PositionProbe: Sendable {
    public enum Canvas: Sendable, Equatable {
        /// Flat mid grey (128, 128, 128).
        case grey
        /// Uniform per-pixel RGB noise from a seeded generator (the same seed, the same canvas).
        case noise(seed: UInt64)
    }

    public var canvas: Canvas
    /// Side of the square canvas, in pixels.
    public var canvasSize: Int
    /// Long side of the pasted photo, in pixels.
    public var photoSize: Int
    /// Positions per side.
    public var gridSize: Int

    public init(canvas: Canvas = .grey, canvasSize: Int = 1024, photoSize: Int = 192, gridSize: Int = 5) {
        precondition(canvasSize > 0 && photoSize > 0 && photoSize <= canvasSize && gridSize > 0,
                     "PositionProbe: need 0 < photoSize ≤ canvasSize and gridSize > 0")
        self.canvas = canvas
        self.canvasSize = canvasSize
        self.photoSize = photoSize
        self.gridSize = gridSize
    }

    /// One labelled photo to probe with.
    public struct Sample: Sendable {
        public var image: RGBImage
        public var label: String
        public init(image: RGBImage, label: String) {
            self.image = image
            self.label = label
        }
    }

    /// Where a photo goes: grid cell `(row, column)`, top-left pixel `(x, y)` on the canvas.
    public struct Placement: Sendable, Equatable {
        public var row: Int
        public var column: Int
        public var x: Int
        public var y: Int
    }

    /// The empty canvas.
    public func background() -> RGBImage {
        switch canvas {
        case .grey:
            return RGBImage(width: canvasSize, height: canvasSize, filledWith: (128, 128, 128))
        case .noise(let seed):
            var generator = SplitMix64(seed: seed)
            return RGBImage.noise(width: canvasSize, height: canvasSize, using: &generator)
        }
    }

    /// `photo` resized (aspect kept, area-averaged) so its long side is `photoSize`.
    public func fitted(_ photo: RGBImage) -> RGBImage {
        let (width, height) = Resampler.fittedSize(width: photo.width, height: photo.height, longSide: photoSize)
        return Resampler.resize(photo, width: width, height: height)
    }

    /// The grid of positions for a `width × height` photo, row by row: evenly spaced from
    /// the top-left corner to the bottom-right one (a single position is centred).
    public func placements(width: Int, height: Int) -> [Placement] {
        precondition(width <= canvasSize && height <= canvasSize, "PositionProbe: photo larger than the canvas")
        func offset(_ index: Int, free: Int) -> Int {
            gridSize == 1 ? free / 2 : (index * free + (gridSize - 1) / 2) / (gridSize - 1)
        }
        return (0..<gridSize).flatMap { row in
            (0..<gridSize).map { column in
                Placement(row: row, column: column, x: offset(column, free: canvasSize - width),
                          y: offset(row, free: canvasSize - height))
            }
        }
    }

    /// `canvas` with `photo` pasted unchanged, its top-left pixel at `(x, y)`.
    public static func composite(_ photo: RGBImage, onto canvas: RGBImage, x: Int, y: Int) -> RGBImage {
        var result = canvas
        result.paste(photo, x: x, y: y)
        return result
    }

    /// Classifies every sample at every position. `maxTokens` 0 keeps the canvas at native
    /// resolution; `progress(done, total)` is called after each composite. Every sample's
    /// label must be one of the classifier's labels.
    public func run(_ classifier: SceneClassifier, samples: [Sample], maxTokens: Int = 0,
                    attention: AttentionMode? = nil,
                    progress: (Int, Int) -> Void = { _, _ in }) -> PositionProbeResult {
        let labels = classifier.config.labels
        let loader = classifier.photoLoader(maxTokens: maxTokens)
        let empty = background()
        let cellCount = gridSize * gridSize
        var probabilities = [Double](repeating: 0, count: cellCount)
        var correct = [Int](repeating: 0, count: cellCount)
        var grid = (rows: 0, columns: 0)
        var correctAlone = 0
        for (index, sample) in samples.enumerated() {
            guard let truth = labels.firstIndex(of: sample.label) else {
                preconditionFailure("PositionProbe: label \(sample.label) is not one of the model's \(labels)")
            }
            let photo = fitted(sample.image)
            let alone = classifier.model.probabilities(for: loader.load(photo).grid, attention: attention)
            if alone.indices.max(by: { alone[$0] < alone[$1] }) == truth { correctAlone += 1 }
            for placement in placements(width: photo.width, height: photo.height) {
                let composite = Self.composite(photo, onto: empty, x: placement.x, y: placement.y)
                let loaded = loader.load(composite)
                grid = (loaded.grid.rows, loaded.grid.columns)
                let p = classifier.model.probabilities(for: loaded.grid, attention: attention)
                let cell = placement.row * gridSize + placement.column
                probabilities[cell] += Double(p[truth])
                if p.indices.max(by: { p[$0] < p[$1] }) == truth { correct[cell] += 1 }
                progress(index * cellCount + cell + 1, samples.count * cellCount)
            }
        }
        let count = Double(max(1, samples.count))
        return PositionProbeResult(
            gridSize: gridSize, sampleCount: samples.count, tokenRows: grid.rows, tokenColumns: grid.columns,
            meanProbability: probabilities.map { Float($0 / count) },
            accuracy: correct.map { Float(Double($0) / count) }, aloneAccuracy: Float(Double(correctAlone) / count))
    }
}

/// Per-position scores of a `PositionProbe` run, `gridSize × gridSize` row-major.
public struct PositionProbeResult: Sendable, Equatable {
    public var gridSize: Int
    public var sampleCount: Int
    /// The patch grid each composite was classified at.
    public var tokenRows: Int
    public var tokenColumns: Int
    /// Mean probability of the true label at each position.
    public var meanProbability: [Float]
    /// Fraction of samples whose top label was the true one at each position.
    public var accuracy: [Float]
    /// The same fraction for the fitted photos read alone, without a canvas: what each
    /// position is measured against.
    public var aloneAccuracy: Float

    public var overallProbability: Float { meanProbability.reduce(0, +) / Float(meanProbability.count) }
    public var overallAccuracy: Float { accuracy.reduce(0, +) / Float(accuracy.count) }

    /// Mean of `values` over the border positions and over the interior ones (nil below 3×3):
    /// the "lost in the middle" contrast.
    public func borderAndInterior(_ values: [Float]) -> (border: Float, interior: Float)? {
        let n = gridSize
        guard n >= 3 else { return nil }
        var border: [Float] = [], interior: [Float] = []
        for row in 0..<n {
            for column in 0..<n {
                let onBorder = row == 0 || row == n - 1 || column == 0 || column == n - 1
                if onBorder { border.append(values[row * n + column]) } else { interior.append(values[row * n + column]) }
            }
        }
        return (border.reduce(0, +) / Float(border.count), interior.reduce(0, +) / Float(interior.count))
    }

    /// Mean probability as a heat map, on the absolute [0, 1] scale.
    package var probabilityMap: HeatMap { HeatMap(rows: gridSize, columns: gridSize, values: meanProbability) }
}
