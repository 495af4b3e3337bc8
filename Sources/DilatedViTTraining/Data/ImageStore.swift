import Foundation
import DilatedViT

/// Where the loader gets decoded photos: decodes files, optionally keeps every decoded
/// original in memory, and remembers the files that could not be decoded.
///
/// Intel-scenes' 14,039 photos take about 950 MB as RGB8, so caching them all lets every
/// epoch after the first skip JPEG decoding. One store is meant to live for a whole run
/// (shared by all epochs' loaders), so each broken file is reported once. Thread-safe:
/// decoding happens outside the lock.
public final class ImageStore: @unchecked Sendable {
    public let cachesDecodedImages: Bool
    /// JPEGs larger than needed are decoded with libjpeg's DCT scaling so that their short
    /// side is still at least this many pixels; `nil` decodes every photo at full size.
    public let minimumShortSide: Int?
    private let decodeOptions: DecodeOptions
    private let warning: @Sendable (String) -> Void
    // Guarded by `lock`.
    private let lock = NSLock()
    private var cache: [String: RGBImage] = [:]
    private var cachedBytes = 0
    private var broken: [String: ImageDecodingError] = [:]

    /// - Parameters:
    ///   - minimumShortSide: set it (e.g. to twice the largest training size) for folders of
    ///     large photos: decoding gets faster and the cache smaller. Training crops then see
    ///     the reduced photo, so keep it well above the sizes the crops are resized to.
    ///   - warning: receives one line per broken file; by default written to standard error.
    public init(cachesDecodedImages: Bool = false, minimumShortSide: Int? = nil,
                decodeOptions: DecodeOptions = DecodeOptions(),
                warning: @escaping @Sendable (String) -> Void = ImageStore.printToStandardError) {
        precondition(minimumShortSide.map { $0 > 0 } ?? true, "minimumShortSide must be positive")
        self.cachesDecodedImages = cachesDecodedImages
        self.minimumShortSide = minimumShortSide
        self.decodeOptions = decodeOptions
        self.warning = warning
    }

    public static let printToStandardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// The decoded (EXIF-oriented) photo at `path`, or `nil` if it cannot be decoded — the
    /// first failure for a path is reported through `warning`, later ones silently.
    public func image(atPath path: String) -> RGBImage? {
        lock.lock()
        if let image = cache[path] {
            lock.unlock()
            return image
        }
        let knownBroken = broken[path] != nil
        lock.unlock()
        if knownBroken { return nil }

        do {
            let image = try decode(path)
            if cachesDecodedImages {
                lock.lock()
                if cache.updateValue(image, forKey: path) == nil { cachedBytes += image.pixels.count }
                lock.unlock()
            }
            return image
        } catch {
            lock.lock()
            let first = broken.updateValue(error, forKey: path) == nil
            lock.unlock()
            if first { warning("warning: skipping photo that cannot be decoded: \(error)") }
            return nil
        }
    }

    private func decode(_ path: String) throws(ImageDecodingError) -> RGBImage {
        let bytes = try FileBytes.contents(ofFile: path, maxBytes: decodeOptions.maxFileBytes)
        do {
            var options = decodeOptions
            if let minimumShortSide {
                let header = try ImageDecoder.header(of: bytes)
                if header.format == .jpeg {
                    let short = min(header.storedWidth, header.storedHeight)
                    options.jpegScaleDenominator = [8, 4, 2].first {
                        (short + $0 - 1) / $0 >= minimumShortSide
                    } ?? 1
                }
            }
            return try ImageDecoder.decode(bytes, options: options)
        } catch {
            throw ImageDecodingError(error.problem, file: path)
        }
    }

    /// Paths of the files that could not be decoded so far, sorted.
    public var brokenFiles: [String] {
        lock.withLock { broken.keys.sorted() }
    }

    public var brokenFileCount: Int {
        lock.withLock { broken.count }
    }

    public var cachedImageCount: Int {
        lock.withLock { cache.count }
    }

    /// Bytes of pixels held by the cache.
    public var cachedByteCount: Int {
        lock.withLock { cachedBytes }
    }
}
