import ArgumentParser

/// `--tokens`, `--repeats` and `--max-dense-tokens`: the token counts a benchmark sweeps and
/// how often it times each (`bench forward`, `bench attention`). Each command supplies its
/// own defaults, so the options stay optional here.
struct TokenSweep: ParsableArguments {
    @Option(help: "Comma-separated token counts (square-ish grids).")
    var tokens: String?

    @Option(help: "Timed passes per size (the best is reported).")
    var repeats: Int?

    @Option(help: "Time dense attention only up to this many tokens.")
    var maxDenseTokens: Int?

    func validate() throws {
        if let repeats, repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if let tokens { _ = try parseIntegerList(tokens, option: "--tokens") }
    }

    /// The token counts of `--tokens`, or of `defaults` without it.
    func sizes(default defaults: String) throws -> [Int] {
        try parseIntegerList(tokens ?? defaults, option: "--tokens")
    }
}
