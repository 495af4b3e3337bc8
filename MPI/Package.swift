// swift-tools-version: 6.1
// The distributed form of dvit, over MPI (docs/DISTRIBUTED.md). A separate package so that
// the main one builds and tests on machines without MPI; it uses the main package by path.
//   swift build -c release --package-path MPI --product dvit-mpi      (needs libopenmpi-dev)
//   mpirun -np 2 MPI/.build/release/dvit-mpi train --data DIR --output RUN …
import Foundation
import PackageDescription

// A path dependency is identified by its folder name, whatever the repository was cloned as.
let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "DilatedViTMPI",
    platforms: [.macOS(.v14)],
    products: [
        // `dvit` with an MPI process group installed: `mpirun -np N dvit-mpi train …`.
        .executable(name: "dvit-mpi", targets: ["dvit-mpi"]),
        // One step's gradients over N ranks vs one process (run under mpirun by the tests).
        .executable(name: "dvit-mpi-gradient-check", targets: ["dvit-mpi-gradient-check"]),
        .library(name: "DilatedViTMPI", targets: ["DilatedViTMPI"]),
    ],
    dependencies: [.package(path: "..")],
    targets: [
        // Open MPI's C library, located through pkg-config (Debian: libopenmpi-dev).
        .systemLibrary(
            name: "CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"]), .brew(["open-mpi"])]),
        // DilatedViT's ProcessGroup over MPI_COMM_WORLD.
        .target(
            name: "DilatedViTMPI",
            dependencies: ["CMPI", .product(name: "DilatedViT", package: repository)]),
        .executableTarget(
            name: "dvit-mpi",
            dependencies: ["DilatedViTMPI", .product(name: "DVitCommands", package: repository),
                           .product(name: "DilatedViT", package: repository)]),
        .executableTarget(
            name: "dvit-mpi-gradient-check",
            dependencies: ["DilatedViTMPI", .product(name: "DilatedViT", package: repository),
                           .product(name: "DilatedViTTraining", package: repository)]),
        // Runs the two executables under mpirun with 2 and 3 ranks.
        .testTarget(
            name: "DilatedViTMPITests",
            dependencies: []),
    ]
)
