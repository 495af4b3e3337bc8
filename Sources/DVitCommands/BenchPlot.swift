import Foundation

/// The SVG plots of the benchmarks: one or more panels stacked top to bottom, each a
/// quantity against tokens per image on a logarithmic x axis — milliseconds on a log y axis
/// (`dvit bench forward`, `dvit bench scaling`), or accuracy on a linear one (`dvit bench
/// scaling`). Each series is one `<path>` with a dot per point (skipped and failed rows
/// left out), dashed when it is "dense" or its name ends in " dense"; grid lines with labelled
/// ticks, and a legend per panel. Axes and grid are `<line>`s, so the paths are exactly the
/// series.
enum BenchPlot {
    private static let size = (width: 760.0, height: 480.0)
    private static let plot = (left: 80.0, right: 560.0, top: 50.0, bottom: 410.0)
    private static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                         "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// One named line of points.
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)] = []
    }

    /// How a panel's y axis maps values.
    enum YAxis {
        /// Whole decades, labelled as milliseconds.
        case logMilliseconds
        /// Percentages from a multiple of ten below the lowest point up to 100.
        case linearPercent
    }

    struct Panel {
        var title: String
        var yLabel: String
        var yAxis: YAxis
        var series: [Series]
        var xLabel: String

        /// `series` built from `(series name, x, y)` points in order of first appearance;
        /// points whose x or y is not finite, or not positive on a log axis, are left out.
        init(title: String, xLabel: String = "tokens per image", yLabel: String, yAxis: YAxis,
             points: [(series: String, x: Double, y: Double)]) {
            self.title = title
            self.xLabel = xLabel
            self.yLabel = yLabel
            self.yAxis = yAxis
            var series = [Series]()
            for point in points where point.x.isFinite && point.x > 0 && point.y.isFinite
                && (yAxis == .linearPercent || point.y > 0) {
                if let index = series.firstIndex(where: { $0.name == point.series }) {
                    series[index].points.append((point.x, point.y))
                } else {
                    series.append(Series(name: point.series, points: [(point.x, point.y)]))
                }
            }
            self.series = series
        }
    }

    /// The forward benchmark's plot: milliseconds per image vs tokens (log-log).
    static func svg(_ rows: [ForwardBenchRow]) -> String {
        svg([Panel(title: "Forward pass: milliseconds per image vs tokens (log-log)", yLabel: "ms per image",
                   yAxis: .logMilliseconds,
                   points: rows.map { ($0.series, Double($0.tokens), $0.bestMilliseconds ?? .nan) })])
    }

    /// `panels` stacked top to bottom in one drawing.
    static func svg(_ panels: [Panel]) -> String {
        let height = size.height * Double(panels.count)
        var svg = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(size.width)" height="\#(height)" "#
                + #"viewBox="0 0 \#(size.width) \#(height)" font-family="Helvetica, Arial, sans-serif" font-size="12">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
        ]
        for (index, panel) in panels.enumerated() {
            svg.append(#"<g transform="translate(0 \#(size.height * Double(index)))">"#)
            svg += draw(panel)
            svg.append("</g>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// One panel's elements, in a 760 × 480 frame.
    private static func draw(_ panel: Panel) -> [String] {
        let xs = panel.series.flatMap { $0.points.map(\.x) }, ys = panel.series.flatMap { $0.points.map(\.y) }
        let xRange = decades(xs)
        let yRange: ClosedRange<Double>
        let yTicks: [(value: Double, label: String)]
        switch panel.yAxis {
        case .logMilliseconds:
            yRange = decades(ys)
            yTicks = (Int(yRange.lowerBound)...Int(yRange.upperBound)).map { (Double($0), millisecondLabel($0)) }
        case .linearPercent:
            let lower = min(90, max(0, floor((ys.min() ?? 0) / 10) * 10))
            yRange = lower...100
            yTicks = stride(from: lower, through: 100, by: 100 - lower > 40 ? 20 : 10).map { ($0, String(format: "%.0f%%", $0)) }
        }
        func x(_ value: Double) -> Double {
            plot.left + (log10(value) - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (plot.right - plot.left)
        }
        /// `value` on the y axis (a decade exponent on a log axis, as the ticks are).
        func yPosition(_ value: Double) -> Double {
            plot.bottom - (value - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (plot.bottom - plot.top)
        }
        func y(_ value: Double) -> Double { yPosition(panel.yAxis == .logMilliseconds ? log10(value) : value) }

        var svg = [text(panel.title, x: (plot.left + plot.right) / 2, y: 28, anchor: "middle", extra: #"font-size="15""#)]
        for decade in Int(xRange.lowerBound)...Int(xRange.upperBound) {
            let position = x(pow(10, Double(decade)))
            svg.append(line(position, plot.top, position, plot.bottom, stroke: "#e0e0e0"))
            svg.append(text(tokenLabel(decade), x: position, y: plot.bottom + 18, anchor: "middle"))
        }
        for tick in yTicks {
            let position = yPosition(tick.value)
            svg.append(line(plot.left, position, plot.right, position, stroke: "#e0e0e0"))
            svg.append(text(tick.label, x: plot.left - 8, y: position + 4, anchor: "end"))
        }
        svg.append(line(plot.left, plot.bottom, plot.right, plot.bottom, stroke: "#333"))
        svg.append(line(plot.left, plot.top, plot.left, plot.bottom, stroke: "#333"))
        svg.append(text(panel.xLabel, x: (plot.left + plot.right) / 2, y: plot.bottom + 42, anchor: "middle"))
        svg.append(text(panel.yLabel, x: 22, y: (plot.top + plot.bottom) / 2, anchor: "middle",
                        extra: #"transform="rotate(-90 22 \#((plot.top + plot.bottom) / 2))""#))

        for (index, entry) in panel.series.enumerated() {
            let color = colors[index % colors.count]
            let dash = entry.name == "dense" || entry.name.hasSuffix(" dense") ? #" stroke-dasharray="6 4""# : ""
            let points = entry.points.sorted { $0.x < $1.x }
            let d = points.enumerated().map { String(format: "%@%.1f %.1f", $0 == 0 ? "M" : "L", x($1.x), y($1.y)) }
                .joined(separator: " ")
            svg.append(#"<path d="\#(d)" fill="none" stroke="\#(color)" stroke-width="2"\#(dash)/>"#)
            for point in points {
                svg.append(String(format: #"<circle cx="%.1f" cy="%.1f" r="3.5" fill="%@"/>"#, x(point.x), y(point.y), color))
            }
            // Legend entry: a swatch line and the series name.
            let legendY = plot.top + 10 + Double(index) * 22
            svg.append(line(plot.right + 24, legendY, plot.right + 54, legendY, stroke: color, extra: #"stroke-width="2"\#(dash)"#))
            svg.append(text(entry.name, x: plot.right + 62, y: legendY + 4, anchor: "start"))
        }
        return svg
    }

    /// Whole decades (log10) enclosing `values`, at least one decade wide.
    private static func decades(_ values: [Double]) -> ClosedRange<Double> {
        guard let low = values.min(), let high = values.max() else { return 0...1 }
        let lower = floor(log10(low)), upper = ceil(log10(high))
        return lower...max(upper, lower + 1)
    }

    private static func tokenLabel(_ decade: Int) -> String {
        switch decade {
        case ..<3: String(Int(pow(10, Double(decade))))
        case 3..<6: "\(Int(pow(10, Double(decade - 3))))k"
        default: "\(Int(pow(10, Double(decade - 6))))M"
        }
    }

    private static func millisecondLabel(_ decade: Int) -> String {
        decade >= 3 ? "\(Int(pow(10, Double(decade - 3)))) s" : String(format: "%g", pow(10, Double(decade)))
    }

    private static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String,
                             extra: String = "") -> String {
        String(format: #"<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%@" %@/>"#, x1, y1, x2, y2, stroke, extra)
    }

    private static func text(_ content: String, x: Double, y: Double, anchor: String, extra: String = "") -> String {
        String(format: #"<text x="%.1f" y="%.1f" text-anchor="%@" %@>%@</text>"#, x, y, anchor, extra, escaped(content))
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
