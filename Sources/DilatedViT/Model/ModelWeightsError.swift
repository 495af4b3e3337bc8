/// Why a set of tensors does not fit a model config. Every case names the tensor.
public enum ModelWeightsError: Error, Equatable, CustomStringConvertible {
    case missingTensor(name: String, expectedShape: [Int])
    case unexpectedTensor(name: String, shape: [Int])
    case wrongShape(name: String, expected: [Int], found: [Int])
    case file(SafeTensorsError)
    /// The file is larger than the config's tensors in F32 plus the largest header allowed.
    case fileTooLarge(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case let .missingTensor(name, expected): "model weights: missing tensor '\(name)' (expected shape \(expected))"
        case let .unexpectedTensor(name, shape):
            "model weights: unexpected tensor '\(name)' of shape \(shape) is not part of this config"
        case let .wrongShape(name, expected, found): "model weights: tensor '\(name)' has shape \(found), expected \(expected)"
        case let .fileTooLarge(bytes, limit):
            "model weights: the \(bytes)-byte file is larger than this config's weights can be (at most \(limit) bytes with F32 tensors and a full-size header)"
        case let .file(error): error.description
        }
    }
}
