import Foundation
import Testing

@Suite struct ClassifyCommandTests {
    @Test func brokenFilesGetOneErrorLineEachAndTheRestContinue() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let garbage = directory.appendingPathComponent("garbage.jpg").path
        try Data("not a photo".utf8).write(to: URL(fileURLWithPath: garbage))
        let missing = directory.appendingPathComponent("missing.png").path

        let result = try DVitProcess.run(["classify", "--json", "images/sea-pier-small.png", garbage,
                                          "images/lake-boats.jpg", missing])
        #expect(result.status == 1)
        let errors = result.errorLines.filter { $0.hasPrefix("dvit: /") }
        #expect(errors.count == 2)
        #expect(errors.contains { $0.contains("garbage.jpg") && $0.contains("not a JPEG or PNG") })
        #expect(errors.contains { $0.contains("missing.png") && $0.contains("No such file") })

        let objects = try result.outputLines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["path"] as? String } == ["images/sea-pier-small.png", "images/lake-boats.jpg"])
        #expect(objects[0]["working_size"] as? [Int] == [240, 144])
        #expect(objects[1]["original_size"] as? [Int] == [2560, 1600])
        #expect((objects[1]["tokens"] as? Int).map { $0 <= 1024 && $0 > 900 } == true)
    }

    @Test func directoriesAndStandardInputExpandToPhotos() throws {
        let all = try DVitProcess.run(["classify", "images/"])
        #expect(all.status == 0)
        #expect(all.outputLines.count == 8)
        let piped = try DVitProcess.run(["classify", "-"], standardInput: "images/sea-pier.jpg\nimages/forest-path.jpg\n")
        #expect(piped.status == 0)
        #expect(piped.outputLines.map { $0.split(separator: " ").first } == ["images/sea-pier.jpg", "images/forest-path.jpg"])
    }
}
