/// One stage of the hMLP stem (MODEL.md §4.1): a 2×2 stride-2 convolution over a patch's
/// `inputSide × inputSide` feature map, i.e. one linear map applied to each of its
/// non-overlapping 2×2 blocks, followed (except in the last stage) by LayerNorm over
/// channels and GELU.
///
/// Per token the stage turns `inputSide² · inputChannels` floats into
/// `positions · outputChannels`. As a matrix product its rows are the output positions of
/// every token, `(token, u, v)` in that order, and each row holds one 2×2 block in the
/// Conv2d weight's `(channel, a, b)` order (see `StemBlockLayout`).
package struct StemStage: Sendable, Equatable {
    package let index: Int
    let inputSide: Int
    let inputChannels: Int
    package let outputChannels: Int
    /// The last stage writes the token embedding; the others are normalised and activated.
    package let isLast: Bool

    var outputSide: Int { inputSide / 2 }
    /// Output positions (product rows) per token.
    package var positions: Int { outputSide * outputSide }
    /// Inputs of the stage's linear map: one 2×2 block of every input channel.
    package var blockWidth: Int { 4 * inputChannels }
    var inputsPerToken: Int { inputSide * inputSide * inputChannels }
    package var outputsPerToken: Int { positions * outputChannels }

    /// How one token's input feature map is stored: the first stage reads the patch grid,
    /// `(channel, y, x)`; later stages read the previous stage's product rows, `(y, x, channel)`.
    package var inputLayout: StemBlockLayout {
        index == 0 ? .channelFirst(side: inputSide, channels: inputChannels)
                   : .channelLast(side: inputSide, channels: inputChannels)
    }

    /// Conv2d weight shape `(out, in, 2, 2)`.
    var weightShape: [Int] { [outputChannels, inputChannels, 2, 2] }
}

extension ModelArchitecture {
    /// The hMLP stem's stages, first to last (`log₂ p` of them, widths `3 → D/4 → … → D/4 → D`);
    /// empty for the linear patch embedding.
    package var stemStages: [StemStage] {
        guard patchEmbedding == .hierarchicalMLP else { return [] }
        let count = patchSize.trailingZeroBitCount   // validated: a power of two ≥ 4
        return (0..<count).map { i in
            StemStage(index: i, inputSide: patchSize >> i, inputChannels: i == 0 ? 3 : dimension / 4,
                      outputChannels: i == count - 1 ? dimension : dimension / 4, isLast: i == count - 1)
        }
    }
}

extension [StemStage] {
    /// Floats per token of the largest stage input or output: the size of the stem's
    /// per-token scratch rows.
    package var scratchWidth: Int { map { Swift.max($0.inputsPerToken, $0.outputsPerToken) }.max() ?? 0 }
}
