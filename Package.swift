// swift-tools-version:6.0
// The Swift binding of mediaedge (README, "Quick start in Swift"). The manifest sits at the root
// so that an app can depend on the repository itself (`.package(url:…)` or `.package(path:…)`,
// package identity `mediaedge`); its sources live in bindings/swift beside the other bindings.
// The C library is found through pkg-config: the `mediaedge.pc` of `make install`, or the
// uninstalled one `make test-swift` writes into build/swift.
import PackageDescription

let package = Package(
    name: "MediaEdge",
    products: [
        .library(name: "MediaEdge", targets: ["MediaEdge"]),
        .executable(name: "QuickStart", targets: ["QuickStart"]),
    ],
    targets: [
        .systemLibrary(name: "CMediaEdge", path: "bindings/swift/Sources/CMediaEdge", pkgConfig: "mediaedge"),
        .target(name: "MediaEdge", dependencies: ["CMediaEdge"], path: "bindings/swift/Sources/MediaEdge"),
        .executableTarget(name: "QuickStart", dependencies: ["MediaEdge"], path: "bindings/swift/Examples/QuickStart"),
        .testTarget(name: "MediaEdgeTests", dependencies: ["MediaEdge"], path: "bindings/swift/Tests/MediaEdgeTests"),
    ]
)
