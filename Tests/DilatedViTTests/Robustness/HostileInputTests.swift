import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

#if canImport(Glibc)
import Glibc
#endif

/// The hostile corpus through the library: every file gives one `ImageDecodingError` whose
/// one-line message names the file and the problem, or (when merely unusual) a decode.
/// `DecodingErrorTests` covers the individual error kinds; this checks them as files, the
/// way `dvit` meets them, through `PhotoLoader` (header, scaled decode, resize).
@Suite struct HostileInputTests {
    static let cases = HostileCorpus.cases()

    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("dvit-hostile-\(UUID().uuidString)")
    }

    @Test(arguments: cases)
    func eachFileFailsWithOneLineOrDecodes(_ item: HostileCorpus.Case) throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try #require(try HostileCorpus.write([item], into: directory)[item.name])
        let loader = PhotoLoader(patchSize: 8, maxTokens: 64)
        switch item.expected {
        case .error(let fragment):
            do {
                let photo = try loader.load(contentsOf: path)
                Issue.record("\(item.name) decoded to \(photo.originalWidth)×\(photo.originalHeight)")
            } catch {
                #expect(error.file == path)
                #expect(error.description.hasPrefix(path + ": "))
                #expect(error.description.contains(fragment), "\(error.description)")
                #expect(!error.description.contains("\n"), "one line: \(error.description)")
                // The same bytes in memory give the same problem, without the file name.
                if case .bytes(let bytes) = item.content {
                    #expect(throws: ImageDecodingError(error.problem)) { try loader.load(bytes) }
                }
            }
        case .decodes(let width, let height):
            let photo = try loader.load(contentsOf: path)
            #expect((photo.originalWidth, photo.originalHeight) == (width, height))
            #expect(photo.resolution.tokenCount <= 64 && photo.grid.tokenCount == photo.resolution.tokenCount)
            let image = try ImageDecoder.decode(contentsOf: path)
            #expect((image.width, image.height) == (width, height))
        }
    }

    /// Every cut of the test JPEG and PNG, byte by byte up to the first few hundred bytes
    /// (signature, headers, tables) and then in steps: always `truncated`, never a decode.
    @Test func everyCutIsTruncated() {
        for (original, format) in [(HostileCorpus.jpeg, ImageFormat.jpeg), (HostileCorpus.png, .png)] {
            let offsets = Array(2..<min(400, original.count)) + Array(stride(from: 400, to: original.count, by: 37))
            for offset in offsets {
                do {
                    _ = try ImageDecoder.decode(Array(original.prefix(offset)))
                    Issue.record("\(format) cut at \(offset) of \(original.count) decoded")
                } catch {
                    guard case .truncated(format, _) = error.problem else {
                        Issue.record("\(format) cut at \(offset): \(error)")
                        continue
                    }
                }
            }
        }
    }

    /// `chmod 000` only stops non-root users; as root (CI containers) the test cannot
    /// provoke EACCES, and the read-error case of the corpus (EIO) covers failed reads.
    @Test(.enabled(if: HostileCorpus.permissionsAreEnforced, "root ignores chmod 000"))
    func unreadableFileIsNamed() throws {
        let directory = Self.temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("no-permission.jpg").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(HostileCorpus.jpeg)))
        chmod(path, 0)
        #expect(throws: ImageDecodingError(.unreadable(errno: EACCES, reason: String(cString: strerror(EACCES))), file: path)) {
            try ImageDecoder.decode(contentsOf: path)
        }
    }
}
