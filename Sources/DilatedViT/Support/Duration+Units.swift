extension Duration {
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
    var inMilliseconds: Double { inSeconds * 1000 }
}
