/// Why a model config was rejected; every case names the offending key.
public enum ModelConfigError: Error, Equatable, CustomStringConvertible {
    case missingKey(String)
    /// The key holds a value of the wrong JSON type.
    case wrongType(key: String, expected: String)
    /// A value outside the set the library implements (e.g. an unknown `attention` mode).
    case unsupportedValue(key: String, value: String, supported: [String])
    /// A value of the right type that breaks a rule (e.g. `dim` not divisible by `heads`).
    case invalidValue(key: String, reason: String)
    case notJSON(reason: String)
    case cannotRead(path: String, reason: String)

    public var description: String {
        switch self {
        case let .missingKey(key):
            "model config: missing key '\(key)'"
        case let .wrongType(key, expected):
            "model config: '\(key)' must be \(expected)"
        case let .unsupportedValue(key, value, supported):
            "model config: '\(key)' is \"\(value)\"; supported: \(supported.joined(separator: ", "))"
        case let .invalidValue(key, reason):
            "model config: '\(key)' \(reason)"
        case let .notJSON(reason):
            "model config: not a JSON object (\(reason))"
        case let .cannotRead(path, reason):
            "model config: cannot read \(path): \(reason)"
        }
    }
}
