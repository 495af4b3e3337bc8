import DilatedViT
import DilatedViTTools
import Foundation

/// The text tables and the heat-map image of `dvit probe-position`.
enum ProbePositionReport {
    struct Run {
        var mode: String
        var result: PositionProbeResult
    }

    /// The probability and accuracy grids of one run, with a summary line. Columns and rows
    /// are labelled by the photo's offset as a percentage of the free space (0% = left/top).
    static func table(_ run: Run, canvas: String) -> String {
        let result = run.result, n = result.gridSize
        let offsets = (0..<n).map { n == 1 ? "50%" : "\(100 * $0 / (n - 1))%" }
        let header = "      " + offsets.map { $0.leftPadded(to: 6) }.joined()
        func grid(_ values: [Float], _ format: (Float) -> String) -> [String] {
            (0..<n).map { row in
                offsets[row].leftPadded(to: 5) + " " + (0..<n).map { format(values[row * n + $0]).leftPadded(to: 6) }.joined()
            }
        }
        var lines = ["\(run.mode): \(n)×\(n) positions on a \(canvas), \(result.sampleCount) photo(s), "
                     + "\(result.tokenColumns)×\(result.tokenRows) tokens",
                     "probability of the true label (columns: x offset, rows: y offset)", header]
        lines += grid(result.meanProbability) { String(format: "%.3f", $0) }
        lines += ["accuracy", header]
        lines += grid(result.accuracy) { String(format: "%.0f%%", $0 * 100) }
        var summary = String(format: "%@: mean probability %.3f, accuracy %.1f%% (worst position %.1f%%; the photos read alone %.1f%%)",
                             run.mode, result.overallProbability, result.overallAccuracy * 100,
                             (result.accuracy.min() ?? 0) * 100, result.aloneAccuracy * 100)
        if let probability = result.borderAndInterior(result.meanProbability),
           let accuracy = result.borderAndInterior(result.accuracy) {
            summary += String(format: "; interior %.3f vs border %.3f (accuracy %.1f%% vs %.1f%%)",
                              probability.interior, probability.border, accuracy.interior * 100, accuracy.border * 100)
        }
        return (lines + [summary]).joined(separator: "\n")
    }

    /// One panel per run, side by side: each position a cell coloured by the mean probability
    /// of the true label (inferno, absolute 0–1 scale) with the value written in it, the mode
    /// above, and a 0–1 colour bar below.
    static func image(_ runs: [Run]) -> RGBImage {
        let cell = 96, gap = 24, margin = 16, scale = 2
        let titleHeight = RGBImage.labelSize(of: "X", scale: scale).height + 8
        let barHeight = 14 + RGBImage.labelSize(of: "0", scale: scale).height + 8
        let largest = runs.map(\.result.gridSize).max() ?? 1
        let titles = runs.map { String(format: "%@  mean %.2f", $0.mode, $0.result.overallProbability) }
        // A column is as wide as its grid or its title, whichever is wider.
        let columns = zip(runs, titles).map { max($0.result.gridSize * cell, RGBImage.labelSize(of: $1, scale: scale).width) }
        let width = 2 * margin + columns.reduce(0, +) + gap * max(0, runs.count - 1)
        let height = 2 * margin + titleHeight + largest * cell + barHeight
        var canvas = RGBImage(width: width, height: height, filledWith: (24, 24, 24))
        var left = margin
        for (index, run) in runs.enumerated() {
            let result = run.result, side = result.gridSize * cell
            canvas.drawLabel(titles[index], x: left, y: margin, scale: scale)
            let panel = result.probabilityMap.rendered(width: side, height: side, interpolation: .nearest)
            canvas = PositionProbe.composite(panel, onto: canvas, x: left, y: margin + titleHeight)
            for row in 0..<result.gridSize {
                for column in 0..<result.gridSize {
                    let text = String(format: "%.2f", result.meanProbability[row * result.gridSize + column])
                    let size = RGBImage.labelSize(of: text, scale: scale)
                    canvas.drawLabel(text, x: left + column * cell + (cell - size.width) / 2,
                                     y: margin + titleHeight + row * cell + (cell - size.height) / 2, scale: scale)
                }
            }
            left += columns[index] + gap
        }
        // Colour bar under the panels: the scale every cell is drawn on.
        let barTop = margin + titleHeight + largest * cell + 8
        let barWidth = width - 2 * margin
        var strip = RGBImage(width: barWidth, height: 10, filledWith: (0, 0, 0))
        for x in 0..<barWidth {
            let color = ColorMap.inferno.color(at: Float(x) / Float(max(1, barWidth - 1)))
            strip.fill(PixelRect(x: x, y: 0, width: 1, height: 10), with: color)
        }
        canvas = PositionProbe.composite(strip, onto: canvas, x: margin, y: barTop)
        canvas.drawLabel("0", x: margin, y: barTop + 12, scale: scale)
        let one = RGBImage.labelSize(of: "1", scale: scale)
        canvas.drawLabel("1", x: margin + barWidth - one.width, y: barTop + 12, scale: scale)
        return canvas
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
