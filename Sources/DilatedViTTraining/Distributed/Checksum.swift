import DilatedViT
import Foundation

/// The project's FNV-1a (`fnv1a64`) continued over several values, each after its length, to
/// check that ranks start and stay identical.
struct Checksum {
    private(set) var value = fnv1a64([UInt8]())

    private mutating func append(_ bytes: some Sequence<UInt8>) { value = fnv1a64(bytes, continuing: value) }

    mutating func add(_ number: Int) {
        withUnsafeBytes(of: Int64(number).littleEndian) { append($0) }
    }

    mutating func add(_ floats: [Float]) {
        add(floats.count)
        floats.withUnsafeBytes { append($0) }
    }

    mutating func add(_ bytes: Data) {
        add(bytes.count)
        append(bytes)
    }

    mutating func add(_ text: String) { add(Data(text.utf8)) }
}
