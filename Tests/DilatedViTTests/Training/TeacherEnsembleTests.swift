import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct TeacherEnsembleTests {
    /// Two random teachers of different sizes saved to folders, as `dvit train` saves them.
    private func teacherFolders(for config: ModelConfig) throws -> [String] {
        try [(config, UInt64(3)), (tinyConfig(dimension: 16, depth: 1, heads: 2), 4)].map { teacher, seed in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("teacher-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try teacher.jsonData().write(to: folder.appendingPathComponent("config.json"))
            try SafeTensors(tensors: ModelWeights(randomFor: teacher, seed: seed).tensors)
                .write(to: folder.appendingPathComponent("model.safetensors"))
            return folder.path
        }
    }

    @Test(arguments: [false, true])
    func averagesEveryTeacherOverTheViewsAskedFor(mirrored: Bool) throws {
        let config = tinyConfig()
        let folders = try teacherFolders(for: config)
        defer { for path in folders { try? FileManager.default.removeItem(atPath: path) } }
        let ensemble = try TeacherEnsemble(folders: folders, for: config, precision: .float32,
                                           averagesMirroredView: mirrored)
        let photos = (0..<3).map { index in
            RGBImage(width: 10, height: 6, pixels: (0..<180).map { UInt8(($0 * 29 + index * 71) % 256) })
        }
        let grids = photos.map { PatchGrid(image: $0, patchSize: 2) }
        let got = ensemble.probabilities(for: grids)

        let models = try folders.map { try DilatedViTModel(contentsOf: URL(fileURLWithPath: $0), precision: .float32) }
        for (i, photo) in photos.enumerated() {
            let views = mirrored ? [photo, photo.flippedHorizontally()] : [photo]
            var expected = [Double](repeating: 0, count: 3)
            for model in models {
                for view in views {
                    for (c, p) in model.probabilities(for: PatchGrid(image: view, patchSize: 2)).enumerated() {
                        expected[c] += Double(p) / Double(models.count * views.count)
                    }
                }
            }
            #expect(maxAbsDifference(Array(got[i * 3..<(i + 1) * 3]), expected) < 1e-6)
        }
    }

    /// With a token budget each teacher reads the crop resized to that budget, not the
    /// student's (larger or smaller) grid.
    @Test func teachersReadEachCropAtTheirTokenBudget() throws {
        let config = tinyConfig()
        let folders = try teacherFolders(for: config)
        defer { for path in folders { try? FileManager.default.removeItem(atPath: path) } }
        let ensemble = try TeacherEnsemble(folders: folders, for: config, precision: .float32, maxTokens: 6)
        let photo = RGBImage(width: 12, height: 8, pixels: (0..<288).map { UInt8(($0 * 31 + 7) % 256) })
        let got = ensemble.probabilities(for: [PatchGrid(image: photo, patchSize: 2)])

        let models = try folders.map { try DilatedViTModel(contentsOf: URL(fileURLWithPath: $0), precision: .float32) }
        let budgetGrid = PatchGrid(image: Resampler.resize(photo, width: 6, height: 4), patchSize: 2)
        let expected = models.map { $0.probabilities(for: budgetGrid) }.elementwiseMean()
        #expect(maxAbsDifference(got, expected) < 1e-6)
        let atStudentGrid = models.map { $0.probabilities(for: PatchGrid(image: photo, patchSize: 2)) }.elementwiseMean()
        #expect(maxAbsDifference(got, atStudentGrid) > 1e-4)
    }
}
