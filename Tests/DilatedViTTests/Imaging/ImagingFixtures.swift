import CCodecs
import Foundation
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// Test fixtures generated with CCodecs' encoders (no files are checked in).
enum Fixtures {
    struct PNGOptions {
        var colorType: Int32
        var bitDepth: Int32
        var interlaced = false
        var palette: [UInt8] = []
        var transparency: [UInt8] = []  // palette alpha values
        var transparentColor: [UInt16]? = nil  // gray, or R G B key
        var exif: [UInt8] = []
    }

    /// `samples`: one byte per sample for depths up to 8, two (big-endian) for 16.
    static func png(width: Int, height: Int, samples: [UInt8], _ options: PNGOptions) -> [UInt8] {
        var params = ccodecs_png_encode_params_t()
        params.width = Int32(width)
        params.height = Int32(height)
        params.color_type = options.colorType
        params.bit_depth = options.bitDepth
        params.interlaced = options.interlaced ? 1 : 0
        params.palette_entries = Int32(options.palette.count / 3)
        params.trns_count = Int32(options.transparency.count)
        if let key = options.transparentColor {
            params.has_trns_color = 1
            params.trns_color = (key[0], key.count > 1 ? key[1] : 0, key.count > 2 ? key[2] : 0)
        }
        params.exif_size = options.exif.count
        return options.palette.withUnsafeBufferPointer { palette in
            options.transparency.withUnsafeBufferPointer { transparency in
                options.exif.withUnsafeBufferPointer { exif in
                    params.palette = palette.baseAddress
                    params.trns_alpha = transparency.baseAddress
                    params.exif = exif.baseAddress
                    return take { out, size, diag in
                        samples.withUnsafeBufferPointer {
                            ccodecs_png_encode($0.baseAddress, &params, out, size, diag)
                        }
                    }
                }
            }
        }
    }

    struct JPEGOptions {
        var quality: Int32 = 100
        var progressive = false
        var restartInterval: Int32 = 0
        var subsample = false
        var adobeMarker = false
        var ycck = false
        var app1: [UInt8] = []
    }

    /// `pixels`: interleaved gray, RGB or CMYK (0 = no ink) samples.
    static func jpeg(width: Int, height: Int, components: Int, pixels: [UInt8],
                     _ options: JPEGOptions = JPEGOptions()) -> [UInt8] {
        var params = ccodecs_jpeg_encode_params_t()
        params.width = Int32(width)
        params.height = Int32(height)
        params.components = Int32(components)
        params.quality = options.quality
        params.progressive = options.progressive ? 1 : 0
        params.restart_interval = options.restartInterval
        params.subsample = options.subsample ? 1 : 0
        params.adobe_marker = options.adobeMarker ? 1 : 0
        params.ycck = options.ycck ? 1 : 0
        params.app1_size = options.app1.count
        return options.app1.withUnsafeBufferPointer { app1 in
            params.app1 = app1.baseAddress
            return take { out, size, diag in
                pixels.withUnsafeBufferPointer {
                    ccodecs_jpeg_encode($0.baseAddress, &params, out, size, diag)
                }
            }
        }
    }

    static func jpeg(_ image: RGBImage, _ options: JPEGOptions = JPEGOptions()) -> [UInt8] {
        jpeg(width: image.width, height: image.height, components: 3, pixels: image.pixels, options)
    }

    private static func take(
        _ call: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>,
                 UnsafeMutablePointer<ccodecs_diag_t>) -> ccodecs_status
    ) -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var diag = ccodecs_diag_t()
        let status = call(&output, &size, &diag)
        defer { ccodecs_free(output) }
        precondition(status == CCODECS_OK && output != nil, "fixture encoder failed: \(diag.errorMessage)")
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    /// A smooth colour field (gradients plus a low-frequency wave): JPEG-friendly.
    static func smoothImage(width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let wave = 60 * sin(Double(x + 2 * y) / 11)
                pixels.append(UInt8(20 + 215 * x / max(width - 1, 1)))
                pixels.append(UInt8(230 - 200 * y / max(height - 1, 1)))
                pixels.append(UInt8((128 + wave).rounded()))
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// A TIFF structure whose IFD0 holds a Make entry, then Orientation.
    static func tiff(orientation: UInt16, bigEndian: Bool) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] {
            bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)]
        }
        func u32(_ v: UInt32) -> [UInt8] {
            let le = [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
            return bigEndian ? le.reversed() : le
        }
        var bytes: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
        bytes += u16(42) + u32(8) + u16(2)
        bytes += u16(0x010F) + u16(2) + u32(4) + Array("ABC\0".utf8)  // Make, ASCII, inline
        bytes += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0)
        bytes += u32(0)  // no next IFD
        return bytes
    }

    /// An APP1 payload: "Exif\0\0" then the TIFF structure.
    static func exifSegment(orientation: UInt16, bigEndian: Bool = false) -> [UInt8] {
        Array("Exif".utf8) + [0, 0] + tiff(orientation: orientation, bigEndian: bigEndian)
    }

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("dvit-imaging-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// SplitMix64: deterministic pseudo-random bytes for fuzz-style tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Largest absolute difference between two equally sized byte arrays.
func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { max($0, abs(Int($1.0) - Int($1.1))) }
}

extension DecodeOptions {
    /// The default options compositing transparent PNG pixels onto `background`.
    init(background: RGBColor) {
        self.init()
        self.background = background
    }
}
