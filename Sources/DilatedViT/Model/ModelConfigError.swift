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

    public var description: String { "model config: " + reason }

    private var reason: String {
        switch self {
        case let .missingKey(key): "missing key '\(key)'"
        case let .wrongType(key, expected): "'\(key)' must be \(expected)"
        case let .unsupportedValue(key, value, supported):
            "'\(key)' is \"\(value)\"; supported: \(supported.joined(separator: ", "))"
        case let .invalidValue(key, reason): "'\(key)' \(reason)"
        case let .notJSON(reason): "not a JSON object (\(reason))"
        case let .cannotRead(path, reason): "cannot read \(path): \(reason)"
        }
    }
}
