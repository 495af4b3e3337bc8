import ArgumentParser
import DilatedViT
import DilatedViTTools
import Foundation

struct BenchDecode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "DCT-scaled JPEG decode + resize vs full decode + resize, to one token grid.",
        discussion: """
            Without --jpeg, builds a photo of --megapixels by mirror-tiling --photo (keeping a \
            real photo's detail) and encodes it at quality 90 in memory.

            Example:
              dvit bench decode --photo images/mountain-sunset.jpg --megapixels 24 \\
                --max-tokens 1024
            """)

    @Option(help: "Photo to tile up to --megapixels.", completion: .file(extensions: ["jpg", "jpeg", "png"]))
    var photo = "images/mountain-sunset.jpg"

    @Option(help: "Size of the synthetic test photo (3:2 aspect).") var megapixels = 24.0

    @Option(help: "Benchmark this JPEG file as it is instead.", completion: .file(extensions: ["jpg", "jpeg"]))
    var jpeg: String?

    @Option(help: "Token budget of the working resolution.") var maxTokens = 1024
    @Option(help: "Patch side in pixels.") var patch = 8
    @Option(help: "Timed repetitions per path (the median is reported).") var repeats = 5

    func validate() throws {
        guard megapixels > 0, maxTokens > 0, patch > 0, repeats > 0 else {
            throw ValidationError("--megapixels, --max-tokens, --patch and --repeats must be positive")
        }
    }

    mutating func run() throws {
        let bytes: [UInt8]
        if let jpeg {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: jpeg)))
        } else {
            let source = try ImageDecoder.decode(contentsOf: photo)
            let height = Int((megapixels * 1e6 / 1.5).squareRoot().rounded())
            let width = Int((Double(height) * 1.5).rounded())
            bytes = try ImageEncoder.jpeg(DecodeBenchmark.mirrorTiled(source, width: width, height: height),
                                          quality: 90)
        }
        let result = try DecodeBenchmark.run(jpeg: bytes, patchSize: patch, maxTokens: maxTokens,
                                             repetitions: repeats)
        let megapixels = Double(result.photoWidth * result.photoHeight) / 1e6
        print("photo        \(result.photoWidth)×\(result.photoHeight) (\(String(format: "%.1f", megapixels)) MP, \(bytes.count / 1024) KiB JPEG)")
        print("working      \(result.resolution)")
        print(String(format: "scaled 1/%d   %8.1f ms   decoded RGB %6.1f MB", result.scaleDenominator,
                     result.scaledMilliseconds, Double(result.scaledDecodedBytes) / 1e6))
        print(String(format: "full         %8.1f ms   decoded RGB %6.1f MB", result.fullMilliseconds,
                     Double(result.fullDecodedBytes) / 1e6))
        print(String(format: "speed-up     %.1f×  (median of %d)", result.speedup, repeats))
    }
}
