extension SceneClassifier {
    /// Classifies the photo file at `path` and keeps every patch's share of the logits.
    /// Costs one forward pass, like `classify` (`options.topK` is ignored).
    public func explain(contentsOf path: String, options: ClassificationOptions = .init())
        throws(ImageDecodingError) -> Explanation
    {
        try withPhoto(atPath: path, options: options) { photo, _ in explain(photo, attention: options.attention) }
    }

    /// Explains pixels the caller already decoded.
    public func explain(_ image: RGBImage, options: ClassificationOptions = .init()) -> Explanation {
        explain(photoLoader(maxTokens: options.maxTokens, allowsUpscaling: options.allowsUpscaling).load(image),
                attention: options.attention)
    }

    private func explain(_ photo: LoadedPhoto, attention: AttentionMode?) -> Explanation {
        Explanation(labels: config.labels, tokenLogits: model.tokenLogits(for: photo.grid, attention: attention),
                    rows: photo.grid.rows, columns: photo.grid.columns, photo: photo.summary)
    }
}
