// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "DilatedViT",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "DilatedViT", targets: ["DilatedViT"]),
        .executable(name: "dvit", targets: ["dvit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, located through pkg-config (Debian: libjpeg-dev libpng-dev libopenblas-dev).
        .systemLibrary(
            name: "CJPEG", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]),
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        // Crash-proof decoders/encoders over libjpeg and libpng (setjmp stays in C).
        .target(
            name: "CCodecs",
            dependencies: ["CJPEG", "CPNG"]),
        // BF16 matrix products (AVX512-BF16, chosen at run time; portable fallback).
        .target(name: "CKernels"),
        .target(
            name: "DilatedViT",
            dependencies: ["CCodecs", "CKernels", "COpenBLAS"]),
        .executableTarget(
            name: "dvit",
            dependencies: [
                "DilatedViT",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(
            name: "DilatedViTTests",
            dependencies: ["DilatedViT", "CCodecs", "CKernels"],
            resources: [.copy("Fixtures")]),
    ]
)
