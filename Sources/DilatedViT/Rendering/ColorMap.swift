/// Perceptual colour maps from [0, 1] to sRGB, for heat maps.
///
/// Both are evaluated from published polynomial fits (inferno: Matt Zucconi's fit of
/// matplotlib's map; turbo: Anton Mikhailov's fit from Google's Turbo release), baked once
/// into 256-entry tables; the fits stay within a few levels of the original tables.
package enum ColorMap: String, Sendable, CaseIterable {
    /// Black → purple → orange → pale yellow, monotonic in lightness: prints in greyscale.
    case inferno
    /// Dark blue → cyan → green → yellow → red: more hues, for telling close values apart.
    case turbo

    /// The colour of `value`, clamped to [0, 1] (NaN reads as 0).
    public func color(at value: Float) -> RGBColor {
        let clamped = value.isNaN ? 0 : min(max(value, 0), 1)
        return table[Int((clamped * 255).rounded())]
    }

    private var table: [RGBColor] {
        switch self {
        case .inferno: Self.infernoTable
        case .turbo: Self.turboTable
        }
    }

    private static let infernoTable = bake { t in
        // Coefficients c0…c6 of c0 + c1·t + … + c6·t⁶ per channel.
        let r: [Double] = [0.0002189403691192265, 0.1065134194856116, 11.60249308247187, -41.70399613139459,
                           77.162935699427, -71.31942824499214, 25.13112622477341]
        let g: [Double] = [0.001651004631001012, 0.5639564367884091, -3.972853965665698, 17.43639888205313,
                           -33.40235894210092, 32.62606426397723, -12.24266895238567]
        let b: [Double] = [-0.01948089843709184, 3.932712388889277, -15.9423941062914, 44.35414519872813,
                           -81.80730925738993, 73.20951985803202, -23.07032500287172]
        return (polynomial(r, t), polynomial(g, t), polynomial(b, t))
    }

    private static let turboTable = bake { t in
        let r: [Double] = [0.13572138, 4.61539260, -42.66032258, 132.13108234, -152.94239396, 59.28637943]
        let g: [Double] = [0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604]
        let b: [Double] = [0.10667330, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973]
        return (polynomial(r, t), polynomial(g, t), polynomial(b, t))
    }

    private static func bake(_ channels: (Double) -> (Double, Double, Double)) -> [RGBColor] {
        func byte(_ v: Double) -> UInt8 { UInt8(min(max(v, 0), 1) * 255 + 0.5) }
        return (0..<256).map { i in
            let (r, g, b) = channels(Double(i) / 255)
            return RGBColor(red: byte(r), green: byte(g), blue: byte(b))
        }
    }

    /// Horner's rule, coefficients from the constant term up.
    private static func polynomial(_ coefficients: [Double], _ t: Double) -> Double {
        coefficients.reversed().reduce(0) { $0 * t + $1 }
    }
}
