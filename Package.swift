// swift-tools-version:6.0
import PackageDescription

/// The tools: thin mains over the CLI and DeepCellKit libraries, one folder `Sources/NAME`
/// each. The benchmark driver dc-bench is a package of its own (Benchmarks/), so neither
/// `swift test` nor `make install` builds it.
let toolNames = [
  "dc-normalize", "dc-augment", "dc-watershed", "dc-metrics", "dc-track", "dc-predict", "dc-train",
]

let package = Package(
  name: "dc-tools",
  platforms: [.macOS(.v13)],
  products: toolNames.map { .executable(name: $0, targets: [$0]) } + [
    // The algorithms and I/O, for Benchmarks/ and any other front end.
    .library(name: "DeepCellKit", targets: ["DeepCellKit"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    .systemLibrary(name: "CTIFF", pkgConfig: "libtiff-4", providers: [.apt(["libtiff-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
    .target(
      name: "DeepCellKit",
      dependencies: [
        // OpenBLAS (libopenblas-dev) is opened at run time, not linked: see NN/OpenBLAS.swift.
        "CTIFF", "CPNG", "CZlib", "CDNNL",
      ]
    ),
    // What the command-line tools share: option groups, the runner, progress bars.
    .target(
      name: "CLI",
      dependencies: [
        "DeepCellKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(
      name: "DeepCellKitTests",
      dependencies: ["DeepCellKit", "CLI"]
    ),
  ]
    + toolNames.map {
      .executableTarget(
        name: $0,
        dependencies: [
          "DeepCellKit", "CLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
      )
    },
  // Numeric kernels use raw pointers across Dispatch workers; Swift 5 mode keeps them free of
  // strict-concurrency noise (see backend.md, "Swift compiler settings"). Release builds are
  // plain -O with SwiftPM's whole-module optimisation: bounds and overflow checks stay on in
  // the shipped binary (bench/results/ounchecked-removal.md measures what they cost).
  swiftLanguageModes: [.v5]
)
