import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The hostile corpus through `dvit classify` end to end: one stderr line per bad file,
/// naming it; every other file still gets its output line, in order; exit status 1.
@Suite struct HostileBatchCommandTests {
    static let weights = "Tests/DilatedViTTests/Fixtures/reference/grid7x13"

    @Test func everyBadFileGetsOneLineAndTheRestAreLabelled() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-hostile-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cases = HostileCorpus.cases(cuts: 3)
        let paths = try HostileCorpus.write(cases, into: directory)
        var expectations = cases.map { (path: paths[$0.name]!, expected: $0.expected) }
        expectations.insert(("images/sea-pier-small.png", .decodes(width: 240, height: 150)), at: 0)
        expectations.append(("images/lake-boats.jpg", .decodes(width: 2560, height: 1600)))
        if HostileCorpus.permissionsAreEnforced {
            let path = directory.appendingPathComponent("no-permission.jpg").path
            try Data(HostileCorpus.jpeg).write(to: URL(fileURLWithPath: path))
            chmod(path, 0)
            expectations.append((path, .error("cannot read file (Permission denied, errno 13)")))
        }

        // Paths on stdin: a directory given that way is a file that cannot be read, while
        // one given as an argument would be searched for photos.
        let input = expectations.map(\.path).joined(separator: "\n") + "\n"
        let result = try DVitProcess.run(["classify", "--json", "--weights", Self.weights, "-"], standardInput: input)
        #expect(result.status == 1)

        let failures = expectations.filter { if case .error = $0.expected { true } else { false } }
        let successes = expectations.filter { if case .decodes = $0.expected { true } else { false } }
        #expect(result.errorLines.count == failures.count, "\(result.standardError)")
        for (line, failure) in zip(result.errorLines, failures) {
            guard case .error(let fragment) = failure.expected else { continue }
            #expect(line.hasPrefix("dvit: \(failure.path): ") && line.contains(fragment), "\(line)")
        }

        let objects = try result.outputLines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["path"] as? String } == successes.map(\.path))
        for (object, success) in zip(objects, successes) {
            guard case .decodes(let width, let height) = success.expected else { continue }
            #expect(object["original_size"] as? [Int] == [width, height], "\(success.path)")
            #expect((object["labels"] as? [Any])?.isEmpty == false, "\(success.path)")
        }
    }

    /// A directory that merely has a photo's name is searched like any directory.
    @Test func directoryNamedLikeAPhotoIsSearched() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-dirjpg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let inner = directory.appendingPathComponent("x.jpg/inner.png")
        try FileManager.default.createDirectory(at: inner.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(HostileCorpus.png).write(to: inner)
        try Data(HostileCorpus.jpeg).write(to: directory.appendingPathComponent("a.jpg"))
        let result = try DVitProcess.run(["classify", "--weights", Self.weights, directory.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.errorLines.isEmpty)
        #expect(result.outputLines.map { String($0.split(separator: " ")[0]) }
            == [directory.appendingPathComponent("a.jpg").path, inner.path])
    }
}
