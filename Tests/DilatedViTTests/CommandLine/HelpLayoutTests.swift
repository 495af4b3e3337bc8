import Testing

/// Every command's help must read well in an 80-column terminal: prose re-wrapped as whole
/// paragraphs (a hard line break inside a sentence leaves a one-word orphan line there), and
/// example lines short enough to stay whole.
@Suite struct HelpLayoutTests {
    /// ArgumentParser keeps each line strictly narrower than this.
    static let columns = 80

    /// Each command's help at `columns`, found by following the SUBCOMMANDS listings from
    /// `path` down (e.g. "bench" then "bench gemm"); every help is rendered once.
    static func helpTexts(under path: [String] = []) throws -> [(command: String, help: String)] {
        let result = try DVitProcess.run(path + ["--help"], environment: ["COLUMNS": "\(columns)"])
        #expect(result.status == 0)
        let help = result.standardOutput
        let own = path.isEmpty ? [] : [(command: "dvit " + path.joined(separator: " "), help: help)]
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return own }
        let listing = help[start.upperBound...].components(separatedBy: "\n\n").first ?? ""
        let names = listing.split(separator: "\n")
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { $0 != "help" }
        return try own + names.flatMap { try helpTexts(under: path + [$0]) }
    }

    @Test func proseIsWrappedAsWholeParagraphsAndExamplesFitIn80Columns() throws {
        let helps = try Self.helpTexts()
        let commands = helps.map(\.command)
        #expect(commands.contains("dvit classify") && commands.contains("dvit bench forward"), "\(commands)")
        let isProse = { (line: String) in !line.isEmpty && !line.hasPrefix(" ") }
        for (command, help) in helps {
            let lines = (help.components(separatedBy: "\nUSAGE:").first ?? "").components(separatedBy: "\n")
            for (line, next) in zip(lines, lines.dropFirst()) {
                #expect(line.count < Self.columns, "\(command): too wide: \(line)")
                guard isProse(next) else { continue }
                #expect(!line.hasPrefix(" "), "\(command): an example line was wrapped: \(line) / \(next)")
                if isProse(line), let word = next.split(separator: " ").first {
                    #expect(line.count + 1 + word.count >= Self.columns,
                            "\(command): line broken early: \(line) / \(next)")
                }
            }
        }
    }
}
