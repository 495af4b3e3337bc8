import Testing

/// Every command's help must read well in an 80-column terminal: prose re-wrapped as whole
/// paragraphs (a hard line break inside a sentence leaves a one-word orphan line there), and
/// example lines short enough to stay whole.
@Suite struct HelpLayoutTests {
    /// ArgumentParser keeps each line strictly narrower than this.
    static let columns = 80

    /// The subcommand paths listed under SUBCOMMANDS, recursively (e.g. ["bench", "gemm"]).
    static func commandPaths(under path: [String] = []) throws -> [[String]] {
        let help = try DVitProcess.run(path + ["--help"], environment: ["COLUMNS": "\(columns)"]).standardOutput
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        let listing = help[start.upperBound...].components(separatedBy: "\n\n").first ?? ""
        let names = listing.split(separator: "\n")
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { $0 != "help" }
        return try names.flatMap { name in [path + [name]] + (try commandPaths(under: path + [name])) }
    }

    @Test func proseIsWrappedAsWholeParagraphsAndExamplesFitIn80Columns() throws {
        let paths = try Self.commandPaths()
        #expect(paths.contains(["classify"]) && paths.contains(["bench", "forward"]), "\(paths)")
        for path in paths {
            let help = try DVitProcess.run(path + ["--help"], environment: ["COLUMNS": "\(Self.columns)"])
            #expect(help.status == 0)
            let text = help.standardOutput.components(separatedBy: "\nUSAGE:").first ?? ""
            let lines = text.components(separatedBy: "\n")
            for (line, next) in zip(lines, lines.dropFirst()) {
                let command = "dvit \(path.joined(separator: " "))"
                #expect(line.count < Self.columns, "\(command): too wide: \(line)")
                let isProse = { (line: String) in !line.isEmpty && !line.hasPrefix(" ") }
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
