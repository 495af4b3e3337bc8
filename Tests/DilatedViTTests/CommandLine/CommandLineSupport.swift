import Foundation

/// Runs the `dvit` executable that `swift test` built next to the test bundle.
enum DVitProcess {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var executable: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // The runner may be inside the .xctest bundle on some platforms.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("dvit").path),
              directory.pathComponents.count > 1 {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("dvit")
    }

    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
        var outputLines: [Substring] { standardOutput.split(separator: "\n") }
        var errorLines: [Substring] { standardError.split(separator: "\n") }
    }

    /// `environment` entries are added to (or replace) this process's environment; the
    /// command runs in `workingDirectory` (the repository root unless given).
    static func run(_ arguments: [String], standardInput: String? = nil,
                    environment: [String: String] = [:], workingDirectory: URL = repositoryRoot) throws -> Result {
        // Files rather than pipes: a child that fills one pipe while we drain the other can't stall.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = ["in", "out", "err"].map { directory.appendingPathComponent($0) }
        try Data((standardInput ?? "").utf8).write(to: paths[0])
        for path in paths.dropFirst() { _ = FileManager.default.createFile(atPath: path.path, contents: nil) }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = try FileHandle(forReadingFrom: paths[0])
        process.standardOutput = try FileHandle(forWritingTo: paths[1])
        process.standardError = try FileHandle(forWritingTo: paths[2])
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      standardOutput: try String(contentsOf: paths[1], encoding: .utf8),
                      standardError: try String(contentsOf: paths[2], encoding: .utf8))
    }
}

/// A scratch directory removed when the test ends.
struct ScratchDirectory: ~Copyable {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-test-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}
