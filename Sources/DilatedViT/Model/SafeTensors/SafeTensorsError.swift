/// Why a safetensors file was rejected. Every case that concerns one tensor names it.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// The file is shorter than its own 8-byte header-length prefix.
    case missingHeaderLength(fileSize: Int)
    /// The header length points past the end of the file.
    case headerLengthBeyondFile(headerLength: UInt64, fileSize: Int)
    /// The header length is over `SafeTensors.maxHeaderLength`; refused before parsing.
    case headerTooLarge(headerLength: Int, limit: Int)
    /// The header is not a JSON object.
    case headerNotJSON(reason: String)
    /// A header entry lacks `dtype`, `shape` or `data_offsets`, or has them in the wrong form.
    case malformedEntry(tensor: String, reason: String)
    case unsupportedDType(tensor: String, dtype: String)
    /// `data_offsets` are negative or decreasing.
    case invalidOffsets(tensor: String, begin: Int, end: Int)
    /// `shape × dtype size` differs from the tensor's byte range.
    case byteCountMismatch(tensor: String, shape: [Int], dtype: String, expected: Int, found: Int)
    /// A consistent header whose data section is cut short.
    case truncated(declaredDataBytes: Int, availableDataBytes: Int)
    /// A tensor's byte range lies (partly) past the data section.
    case offsetsOutOfRange(tensor: String, begin: Int, end: Int, dataBytes: Int)
    case overlappingOffsets(tensor: String, other: String)
    /// Bytes of the data section that no tensor claims (a gap, or bytes after the last tensor).
    case uncoveredBytes(begin: Int, end: Int, before: String?)
    case cannotRead(path: String, reason: String)

    public var description: String { "safetensors: " + reason }

    private var reason: String {
        switch self {
        case let .missingHeaderLength(size): "file of \(size) bytes is truncated before its 8-byte header length"
        case let .headerLengthBeyondFile(length, size):
            "header length \(length) goes beyond the end of the \(size)-byte file"
        case let .headerTooLarge(length, limit): "header of \(length) bytes exceeds the limit of \(limit) bytes"
        case let .headerNotJSON(reason): "header is not a JSON object (\(reason))"
        case let .malformedEntry(tensor, reason): "tensor '\(tensor)': \(reason)"
        case let .unsupportedDType(tensor, dtype): "tensor '\(tensor)' has dtype \(dtype); supported: F32, F16, BF16"
        case let .invalidOffsets(tensor, begin, end): "tensor '\(tensor)' has invalid data_offsets [\(begin), \(end)]"
        case let .byteCountMismatch(tensor, shape, dtype, expected, found):
            "tensor '\(tensor)' of shape \(shape) and dtype \(dtype) needs \(expected) bytes but data_offsets span \(found)"
        case let .truncated(declared, available):
            "file is truncated: the header declares \(declared) data bytes, only \(available) are present"
        case let .offsetsOutOfRange(tensor, begin, end, dataBytes):
            "tensor '\(tensor)' data_offsets [\(begin), \(end)] are out of range of the \(dataBytes)-byte data section"
        case let .overlappingOffsets(tensor, other): "tensor '\(tensor)' overlaps tensor '\(other)'"
        case let .uncoveredBytes(begin, end, before):
            "data bytes [\(begin), \(end)) belong to no tensor"
                + (before.map { " (gap before tensor '\($0)')" } ?? " (after the last tensor)")
        case let .cannotRead(path, reason): "cannot read \(path): \(reason)"
        }
    }
}
