// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "DilatedViT",
    platforms: [.macOS(.v14)],
    products: [
        // What an image pipeline embeds: decoding, the model, the classifier, explanations.
        .library(name: "DilatedViT", targets: ["DilatedViT"]),
        // Training a model on a folder of labelled photos, and evaluating it.
        .library(name: "DilatedViTTraining", targets: ["DilatedViTTraining"]),
        // The command line's commands, for executables that run them (the MPI package's dvit-mpi).
        .library(name: "DVitCommands", targets: ["DVitCommands"]),
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
        .target(
            name: "DilatedViTTraining",
            dependencies: ["DilatedViT", "CKernels"]),
        // Benchmarks and the position probe behind `dvit bench` and `dvit probe-position`.
        .target(
            name: "DilatedViTTools",
            dependencies: ["DilatedViT", "DilatedViTTraining", "CKernels"]),
        // The dvit command tree, a library so that the MPI package's dvit-mpi runs the same
        // commands (DVitCommandLine); the dvit executable is its one-line main.
        .target(
            name: "DVitCommands",
            dependencies: [
                "DilatedViT", "DilatedViTTraining", "DilatedViTTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "dvit",
            dependencies: ["DVitCommands"]),
        .testTarget(
            name: "DilatedViTTests",
            dependencies: ["DilatedViT", "DilatedViTTraining", "DilatedViTTools", "CCodecs", "CKernels"],
            resources: [.copy("Fixtures")]),
    ]
)
