// swift-tools-version:6.0
import PackageDescription

/// The benchmark driver `dc-bench` (bench/*.sh run it): a package of its own that depends on
/// the root package by path, so `swift test` and `make install` in the root never build it.
///   swift build -c release --package-path Benchmarks --product dc-bench
let package = Package(
  name: "dc-tools-benchmarks",
  platforms: [.macOS(.v13)],
  products: [.executable(name: "dc-bench", targets: ["dc-bench"])],
  dependencies: [
    .package(name: "dc-tools", path: ".."),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    .executableTarget(
      name: "dc-bench",
      dependencies: [
        .product(name: "DeepCellKit", package: "dc-tools"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ])
  ],
  swiftLanguageModes: [.v5]
)
