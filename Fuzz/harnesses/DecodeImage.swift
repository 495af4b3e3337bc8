// libFuzzer harness: arbitrary bytes through the photo pipeline (sniffing, header,
// libjpeg/libpng via CCodecs, orientation, scaled decode, resampling, patch grid).
// Every input must end in a value or an ImageDecodingError; a trap or ASan report is a bug.
import DilatedViT

// Small enough that a header claiming a huge size is refused instead of exhausting
// libFuzzer's RSS limit; big enough for every seed and for DCT-scaled paths.
private let options = DecodeOptions(maxPixels: 1 << 22)
private let loader = PhotoLoader(patchSize: 8, maxTokens: 64, decodeOptions: options)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecodeImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let header = try? ImageDecoder.header(of: bytes)
    if let decoded = try? ImageDecoder.decodeWithWarnings(bytes, options: options) {
        let image = decoded.image
        precondition(image.pixels.count == image.width * image.height * 3, "pixel buffer size")
        precondition(header != nil, "decoded without a readable header")
        precondition(image.width == header!.width && image.height == header!.height,
                     "decoded size differs from the header's")
    }
    if let photo = try? loader.load(bytes) {
        precondition(photo.grid.tokenCount == photo.resolution.tokenCount, "grid size")
        precondition(photo.resolution.tokenCount <= 64, "token budget exceeded")
    }
    return 0
}
