// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "logwarden",
  products: [
    .executable(name: "logwarden", targets: ["logwarden"]),
    .library(name: "LogWardenCore", targets: ["LogWardenCore"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
  ],
  targets: [
    // System libraries (Debian: zlib1g-dev, libdeflate-dev, libzstd-dev).
    .systemLibrary(name: "SystemZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "SystemLibDeflate", providers: [.apt(["libdeflate-dev"])]),
    .systemLibrary(name: "SystemZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
    .target(
      name: "LogWardenCore",
      dependencies: [
        "SystemZlib", "SystemLibDeflate", "SystemZstd",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "_CryptoExtras", package: "swift-crypto"),
        .product(name: "Yams", package: "Yams"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ],
      swiftSettings: [
        // The per-line path mutates class-held state; Swift's dynamic exclusivity checks cost ~15% of a release
        // run there. Static checks still apply; debug builds (and the tests) keep the dynamic ones.
        .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
      ]
    ),
    .executableTarget(
      name: "logwarden",
      dependencies: [
        "LogWardenCore",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(
      name: "logwarden-bench",
      dependencies: ["LogWardenCore"]
    ),
    .testTarget(
      name: "LogWardenCoreTests",
      dependencies: ["LogWardenCore"],
      resources: [.copy("Fixtures")]
    ),
    .testTarget(
      name: "logwardenTests",
      dependencies: ["LogWardenCore", "logwarden"]
    ),
  ]
)
