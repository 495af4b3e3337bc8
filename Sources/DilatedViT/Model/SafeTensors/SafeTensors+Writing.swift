import Foundation

extension SafeTensors {
    /// The file's bytes with every tensor stored as `dtype` (F32 is lossless; BF16 halves
    /// the size for checkpoints). Tensors are laid out in name order, and the header is
    /// padded with spaces to a multiple of 8 bytes so the data section stays aligned.
    public func encoded(as dtype: TensorDType = .float32) -> Data {
        let names = tensors.keys.sorted()
        var header = "{"
        var items: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            items.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var payload: [UInt8] = []
        for name in names {
            let tensor = tensors[name]!
            let begin = payload.count
            dtype.encode(tensor.values, into: &payload)
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            items.append("\(jsonString(name)):{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(payload.count)]}")
        }
        header += items.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        var data = Data(capacity: 8 + headerBytes.count + payload.count)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        data.append(contentsOf: payload)
        return data
    }

    /// Writes `encoded(as:)` to `url` atomically, so a crash never leaves half a checkpoint.
    public func write(to url: URL, as dtype: TensorDType = .float32) throws {
        try encoded(as: dtype).write(to: url, options: .atomic)
    }
}

/// `text` as a JSON string literal.
private func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
