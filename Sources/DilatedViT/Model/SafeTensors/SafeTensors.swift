import Foundation

/// The tensors of a safetensors file, converted to `Float`.
///
/// Format: an 8-byte little-endian header length `n`, `n` bytes of JSON mapping each
/// tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative
/// to the data section that follows the header), optionally a `__metadata__` object of
/// strings. Reading validates everything and throws a `SafeTensorsError` naming the
/// problem; a file is accepted only if its tensors tile the data section exactly.
package struct SafeTensors: Sendable {
    public var tensors: [String: Tensor]
    /// The `__metadata__` strings, if any.
    public var metadata: [String: String]
    /// The stored element type of each tensor (all are `Float` in memory).
    public private(set) var storedTypes: [String: TensorDType]

    public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
        self.storedTypes = tensors.mapValues { _ in .float32 }
    }

    /// Reads a file through a memory map, releasing each tensor's pages once converted.
    public init(contentsOf url: URL) throws(SafeTensorsError) {
        try self.init(mapped: try Self.map(url))
    }

    /// Maps the file at `url` (nothing is read yet).
    static func map(_ url: URL) throws(SafeTensorsError) -> MappedFile {
        do {
            return try MappedFile(path: url.path)
        } catch {
            throw .cannotRead(path: url.path, reason: String(cString: strerror(error.code.rawValue)))
        }
    }

    init(mapped file: MappedFile) throws(SafeTensorsError) {
        self = try Self.parse(file.bytes) { file.release($0) }
    }

    public init(data: Data) throws(SafeTensorsError) {
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(SafeTensorsError) in try SafeTensors.parse(bytes) { _ in } }
        }
        self = try result.get()
    }

    public subscript(name: String) -> Tensor? { tensors[name] }

    /// The largest JSON header accepted (100 MB, as in the reference Rust implementation).
    /// Checked before the header is copied or parsed: a real header is a few hundred bytes
    /// per tensor, and JSON decoding costs many times the text's size in memory.
    public static let maxHeaderLength = 100_000_000

    fileprivate struct Entry {
        let name: String
        let dtype: TensorDType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    /// The validated header of a safetensors file: each tensor's type, shape and bytes.
    package struct Header {
        fileprivate let entries: [String: Entry]
        package let metadata: [String: String]
        /// Where the data section starts in the file.
        fileprivate let dataStart: Int

        package var shapes: [String: [Int]] { entries.mapValues(\.shape) }

        /// Converts tensor `name` of `bytes` (the file this header was read from) into
        /// `destination`, and returns the file range it was read from.
        @discardableResult
        package func convert(_ name: String, of bytes: UnsafeRawBufferPointer,
                             into destination: UnsafeMutablePointer<Float>) -> Range<Int> {
            let entry = entries[name]!
            let range = dataStart + entry.begin..<dataStart + entry.end
            entry.dtype.decode(UnsafeRawBufferPointer(rebasing: bytes[range]), count: entry.shape.reduce(1, *),
                               into: destination)
            return range
        }
    }

    /// Reads and validates the header of the file `bytes`; no tensor is converted.
    package static func header(of bytes: UnsafeRawBufferPointer) throws(SafeTensorsError) -> Header {
        guard bytes.count >= 8 else { throw .missingHeaderLength(fileSize: bytes.count) }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw .headerLengthBeyondFile(headerLength: headerLength, fileSize: bytes.count)
        }
        guard headerLength <= UInt64(maxHeaderLength) else {
            throw .headerTooLarge(headerLength: Int(headerLength), limit: maxHeaderLength)
        }
        let dataStart = 8 + Int(headerLength)
        let header = Data(bytes[8..<dataStart])

        let rawEntries: [String: RawEntry]
        do {
            rawEntries = try JSONDecoder().decode([String: RawEntry].self, from: header)
        } catch {
            throw .headerNotJSON(reason: Self.describe(error))
        }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for name in rawEntries.keys.sorted() {
            let raw = rawEntries[name]!
            if name == "__metadata__" {
                guard let strings = raw.metadata else {
                    throw .malformedEntry(tensor: name, reason: "__metadata__ must map strings to strings")
                }
                metadata = strings
            } else {
                entries.append(try validateEntry(name: name, raw: raw))
            }
        }
        try validateLayout(entries, dataBytes: bytes.count - dataStart)
        return Header(entries: Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) }),
                      metadata: metadata, dataStart: dataStart)
    }

    /// `converted(range)` is called with each tensor's byte range in `bytes` once its
    /// values have been copied out.
    private static func parse(_ bytes: UnsafeRawBufferPointer,
                              converted: (Range<Int>) -> Void) throws(SafeTensorsError) -> SafeTensors {
        let header = try header(of: bytes)
        var tensors: [String: Tensor] = [:]
        for name in header.entries.keys.sorted() {
            let shape = header.entries[name]!.shape
            let values = [Float](unsafeUninitializedCapacity: shape.reduce(1, *)) { out, initialised in
                converted(header.convert(name, of: bytes, into: out.baseAddress!))
                initialised = out.count
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        var file = SafeTensors(tensors: tensors, metadata: header.metadata)
        file.storedTypes = header.entries.mapValues(\.dtype)
        return file
    }

    private static func validateEntry(name: String, raw: RawEntry) throws(SafeTensorsError) -> Entry {
        guard let dtypeName = raw.dtype else {
            throw .malformedEntry(tensor: name, reason: "missing or non-string dtype")
        }
        guard let shape = raw.shape, shape.allSatisfy({ $0 >= 0 }) else {
            throw .malformedEntry(tensor: name, reason: "shape must be an array of non-negative integers")
        }
        guard let offsets = raw.offsets, offsets.count == 2 else {
            throw .malformedEntry(tensor: name, reason: "data_offsets must be two integers")
        }
        guard let dtype = TensorDType(rawValue: dtypeName) else {
            throw .unsupportedDType(tensor: name, dtype: dtypeName)
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, end >= begin else { throw .invalidOffsets(tensor: name, begin: begin, end: end) }
        let (elements, overflow) = shape.reduce((1, false)) { partial, dimension in
            let product = partial.0.multipliedReportingOverflow(by: dimension)
            return (product.partialValue, partial.1 || product.overflow)
        }
        let expected = elements.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow, !expected.overflow, expected.partialValue == end - begin else {
            throw .byteCountMismatch(tensor: name, shape: shape, dtype: dtypeName,
                                     expected: overflow || expected.overflow ? Int.max : expected.partialValue,
                                     found: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// The tensors must tile `0..<dataBytes` exactly: no overlap, no gap, nothing past the end.
    private static func validateLayout(_ entries: [Entry], dataBytes: Int) throws(SafeTensorsError) {
        let declaredEnd = entries.map(\.end).max() ?? 0
        if declaredEnd > dataBytes {
            // A header whose tensors sum to exactly its extent describes a whole file that
            // was cut short; otherwise some tensor points where no data can be.
            let totalBytes = entries.reduce(0) { $0 + ($1.end - $1.begin) }
            if totalBytes == declaredEnd {
                throw .truncated(declaredDataBytes: declaredEnd, availableDataBytes: dataBytes)
            }
            let culprit = entries.first { $0.end > dataBytes }!
            throw .offsetsOutOfRange(tensor: culprit.name, begin: culprit.begin, end: culprit.end,
                                     dataBytes: dataBytes)
        }
        let ordered = entries.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var previous: Entry?
        for entry in ordered {
            if entry.begin < covered, let previous {
                throw .overlappingOffsets(tensor: entry.name, other: previous.name)
            }
            if entry.begin > covered {
                throw .uncoveredBytes(begin: covered, end: entry.begin, before: entry.name)
            }
            covered = entry.end
            previous = entry
        }
        if covered < dataBytes { throw .uncoveredBytes(begin: covered, end: dataBytes, before: nil) }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): context.debugDescription
        case DecodingError.typeMismatch(_, let context): context.debugDescription
        default: "\(error)"
        }
    }
}

/// One header value, decoded leniently so that validation can say which field is wrong
/// and for which tensor, instead of failing the whole header.
private struct RawEntry: Decodable {
    var dtype: String?
    var shape: [Int]?
    var offsets: [Int]?
    /// Set when the value is a string-to-string object (only valid for `__metadata__`).
    var metadata: [String: String]?

    private enum CodingKeys: String, CodingKey {
        case dtype, shape
        case offsets = "data_offsets"
    }

    init(from decoder: any Decoder) throws {
        metadata = try? decoder.singleValueContainer().decode([String: String].self)
        guard let container = try? decoder.container(keyedBy: CodingKeys.self) else { return }
        dtype = try? container.decode(String.self, forKey: .dtype)
        shape = try? container.decode([Int].self, forKey: .shape)
        offsets = try? container.decode([Int].self, forKey: .offsets)
    }
}
