import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// Writes the committed fuzz seed corpus (Fuzz/corpus/NAME/) when DVIT_WRITE_FUZZ_SEEDS
/// names the Fuzz/corpus directory; otherwise does nothing. Regenerate with
///   DVIT_WRITE_FUZZ_SEEDS=$PWD/Fuzz/corpus swift test --filter FuzzSeeds
@Suite struct FuzzSeeds {
    static let target = ProcessInfo.processInfo.environment["DVIT_WRITE_FUZZ_SEEDS"]

    /// The config the SafeTensors harness validates against (keep in step with it).
    static let harnessConfig = try! ModelConfig(dimension: 8, depth: 1, heads: 2, patchSize: 2, mlpRatio: 2,
                                                levels: [AttentionLevel(segment: 4, dilation: 1)], labels: ["a", "b"])

    @Test(.enabled(if: target != nil, "set DVIT_WRITE_FUZZ_SEEDS to regenerate the seeds"))
    func writeSeeds() throws {
        let root = URL(fileURLWithPath: try #require(Self.target))
        func write(_ harness: String, _ name: String, _ bytes: some Sequence<UInt8>) throws {
            let directory = root.appendingPathComponent(harness)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(bytes).write(to: directory.appendingPathComponent(name))
        }

        // Images: small valid files of each kind, plus a few hostile ones to start from.
        let image = Fixtures.smoothImage(width: 24, height: 16)
        try write("DecodeImage", "baseline.jpg", Fixtures.jpeg(image, .init(quality: 75)))
        try write("DecodeImage", "progressive-restart.jpg", Fixtures.jpeg(image, .init(quality: 75, progressive: true, restartInterval: 2)))
        try write("DecodeImage", "gray.jpg", Fixtures.jpeg(width: 9, height: 5, components: 1, pixels: (0..<45).map { UInt8($0 * 5) }))
        try write("DecodeImage", "cmyk-adobe.jpg", Fixtures.jpeg(width: 8, height: 8, components: 4,
                                                                 pixels: (0..<256).map { UInt8($0) }, .init(quality: 75, adobeMarker: true)))
        try write("DecodeImage", "exif-6.jpg", Fixtures.jpeg(image, .init(quality: 50, app1: Fixtures.exifSegment(orientation: 6))))
        try write("DecodeImage", "rgb.png", HostileCorpus.png)
        try write("DecodeImage", "rgba-adam7.png", Fixtures.png(width: 7, height: 5, samples: (0..<140).map { UInt8($0 * 3 % 256) },
                                                               .init(colorType: 6, bitDepth: 8, interlaced: true)))
        try write("DecodeImage", "gray16.png", Fixtures.png(width: 3, height: 2, samples: (0..<12).map { UInt8($0 * 20) },
                                                           .init(colorType: 0, bitDepth: 16)))
        try write("DecodeImage", "palette-trns.png", Fixtures.png(width: 5, height: 3, samples: (0..<15).map { UInt8($0 % 3) },
                                                                 .init(colorType: 3, bitDepth: 2, palette: [255, 0, 0, 0, 255, 0, 0, 0, 255],
                                                                       transparency: [0, 128])))
        try write("DecodeImage", "exif-png.png", Fixtures.png(width: 2, height: 2, samples: [1, 2, 3, 4],
                                                             .init(colorType: 0, bitDepth: 8, exif: Fixtures.tiff(orientation: 8, bigEndian: true))))
        for item in HostileCorpus.cases(cuts: 0) where !item.name.hasPrefix("cut-") {
            if case .bytes(let bytes) = item.content, !bytes.isEmpty, bytes.count < 4096 {
                try write("DecodeImage", "hostile-" + item.name, bytes)
            }
        }

        // safetensors: the harness's tiny model in each dtype, one with metadata.
        let weights = ModelWeights(randomFor: Self.harnessConfig, seed: 1).tensors
        try write("SafeTensors", "model-f32.safetensors", SafeTensors(tensors: weights).encoded(as: .float32))
        try write("SafeTensors", "model-bf16.safetensors", SafeTensors(tensors: weights).encoded(as: .bfloat16))
        try write("SafeTensors", "small-f16-metadata.safetensors",
                  SafeTensors(tensors: ["x": Tensor(shape: [2, 3], values: [1, -2, 3, 0.5, 0, 65504])],
                              metadata: ["format": "pt", "note": "seed"]).encoded(as: .float16))

        // Configs: two reference fixtures' (linear embedding, hMLP stem), a minimal one (optional keys left out), and ours.
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/reference/grid7x13/config.json")
        try write("ModelConfig", "grid7x13.json", try Data(contentsOf: fixture))
        try write("ModelConfig", "hmlp-p8.json", try Data(contentsOf: fixture.deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("hmlp-p8/config.json")))
        try write("ModelConfig", "minimal.json", Data(#"{"format":"dilatedvit-v1","dim":8,"depth":1,"heads":2,"patch_size":2,"mlp_ratio":2,"levels":[{"segment":4,"dilation":1}],"mean":[0.5,0.5,0.5],"std":[0.5,0.5,0.5],"labels":["a"]}"#.utf8))
        try write("ModelConfig", "harness.json", Self.harnessConfig.jsonData())
    }
}
