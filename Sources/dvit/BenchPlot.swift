import Foundation

/// The log-log SVG plot of `dvit bench forward`: milliseconds per image vs tokens, one
/// `<path>` per implementation × mode (skipped and failed sizes left out), decade grid
/// lines with labelled ticks, and a legend. Axes and grid are `<line>`s, so the paths are
/// exactly the series.
enum BenchPlot {
    private static let size = (width: 760.0, height: 480.0)
    private static let plot = (left: 80.0, right: 560.0, top: 50.0, bottom: 410.0)
    private static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    static func svg(_ rows: [ForwardBenchRow]) -> String {
        let measured = rows.filter { ($0.bestMilliseconds ?? .nan).isFinite && $0.bestMilliseconds! > 0 }
        var series = [(name: String, points: [(x: Double, y: Double)])]()
        for row in measured {
            let point = (x: Double(row.tokens), y: row.bestMilliseconds!)
            if let index = series.firstIndex(where: { $0.name == row.series }) {
                series[index].points.append(point)
            } else {
                series.append((row.series, [point]))
            }
        }
        let xRange = decades(measured.map { Double($0.tokens) })
        let yRange = decades(measured.map { $0.bestMilliseconds! })
        func x(_ value: Double) -> Double {
            plot.left + (log10(value) - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (plot.right - plot.left)
        }
        func y(_ value: Double) -> Double {
            plot.bottom - (log10(value) - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (plot.bottom - plot.top)
        }

        var svg = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(size.width)" height="\#(size.height)" "#
                + #"viewBox="0 0 \#(size.width) \#(size.height)" font-family="Helvetica, Arial, sans-serif" font-size="12">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            text("Forward pass: milliseconds per image vs tokens (log-log)", x: (plot.left + plot.right) / 2, y: 28,
                 anchor: "middle", extra: #"font-size="15""#),
        ]
        for decade in Int(xRange.lowerBound)...Int(xRange.upperBound) {
            let position = x(pow(10, Double(decade)))
            svg.append(line(position, plot.top, position, plot.bottom, stroke: "#e0e0e0"))
            svg.append(text(tokenLabel(decade), x: position, y: plot.bottom + 18, anchor: "middle"))
        }
        for decade in Int(yRange.lowerBound)...Int(yRange.upperBound) {
            let position = y(pow(10, Double(decade)))
            svg.append(line(plot.left, position, plot.right, position, stroke: "#e0e0e0"))
            svg.append(text(millisecondLabel(decade), x: plot.left - 8, y: position + 4, anchor: "end"))
        }
        svg.append(line(plot.left, plot.bottom, plot.right, plot.bottom, stroke: "#333"))
        svg.append(line(plot.left, plot.top, plot.left, plot.bottom, stroke: "#333"))
        svg.append(text("tokens per image", x: (plot.left + plot.right) / 2, y: plot.bottom + 42, anchor: "middle"))
        svg.append(text("ms per image", x: 22, y: (plot.top + plot.bottom) / 2, anchor: "middle",
                        extra: #"transform="rotate(-90 22 \#((plot.top + plot.bottom) / 2))""#))

        for (index, entry) in series.enumerated() {
            let color = colors[index % colors.count]
            let dash = entry.name.hasSuffix(" dense") ? #" stroke-dasharray="6 4""# : ""
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
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
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
