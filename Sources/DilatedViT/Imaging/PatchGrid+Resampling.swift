extension PatchGrid {
    /// The photo the grid was cut from: each value mapped back through `v·std[c] + mean[c]`
    /// to an 8-bit sample (exact for grids cut from 8-bit photos with the same statistics).
    package func image(mean: [Float], std: [Float]) -> RGBImage {
        let p = patchSize, width = columns * p
        var pixels = [UInt8](repeating: 0, count: width * rows * p * 3)
        for gy in 0..<rows {
            for gx in 0..<columns {
                let base = (gy * columns + gx) * featuresPerToken
                for c in 0..<3 {
                    for py in 0..<p {
                        for px in 0..<p {
                            let v = (values[base + c * p * p + py * p + px] * std[c] + mean[c]) * 255
                            pixels[((gy * p + py) * width + gx * p + px) * 3 + c] = UInt8(max(0, min(255, v.rounded())))
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: rows * p, pixels: pixels)
    }

    /// The same photo read at most `maxTokens` patches (resized up or down, aspect kept as
    /// `WorkingResolution` keeps it); the grid itself when it already has that size.
    package func resampled(maxTokens: Int, mean: [Float], std: [Float]) -> PatchGrid {
        let target = WorkingResolution(width: columns * patchSize, height: rows * patchSize, patchSize: patchSize,
                                       maxTokens: maxTokens, allowUpscaling: true)
        if target.rows == rows && target.columns == columns { return self }
        let resized = Resampler.resize(image(mean: mean, std: std), width: target.width, height: target.height)
        return PatchGrid(image: resized, patchSize: patchSize, mean: mean, std: std)
    }
}
