/// Why a set of tensors does not fit a model config. Every case names the tensor.
public enum ModelWeightsError: Error, Equatable, CustomStringConvertible {
    case missingTensor(name: String, expectedShape: [Int])
    case unexpectedTensor(name: String, shape: [Int])
    case wrongShape(name: String, expected: [Int], found: [Int])
    case file(SafeTensorsError)

    public var description: String {
        switch self {
        case let .missingTensor(name, expected):
            "model weights: missing tensor '\(name)' (expected shape \(expected))"
        case let .unexpectedTensor(name, shape):
            "model weights: unexpected tensor '\(name)' of shape \(shape) is not part of this config"
        case let .wrongShape(name, expected, found):
            "model weights: tensor '\(name)' has shape \(found), expected \(expected)"
        case let .file(error):
            error.description
        }
    }
}
