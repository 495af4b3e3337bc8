import Foundation

/// The CSV text of a benchmark's table: the header line, then one line per row. A field
/// holding a comma, a double quote or a line break is quoted (RFC 4180).
func csvText(header: [String], rows: [[String]]) -> String {
    func field(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
    return ([header] + rows).map { $0.map(field).joined(separator: ",") + "\n" }.joined()
}
