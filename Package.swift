// swift-tools-version:6.0
// The Swift binding of mediaedge. Its targets live here, beside the other bindings, so that the
// repository's root stays a Cargo workspace; an app depends on this folder by path (or on a Git
// URL with `path:` once published). The C library is found through pkg-config (`mediaedge.pc`
// from `make install`, or the uninstalled one `make test-swift` writes into build/).
import PackageDescription

let package = Package(
    name: "MediaEdge",
    products: [
        .library(name: "MediaEdge", targets: ["MediaEdge"]),
        .executable(name: "QuickStart", targets: ["QuickStart"]),
    ],
    targets: [
        .systemLibrary(name: "CMediaEdge", pkgConfig: "mediaedge"),
        .target(name: "MediaEdge", dependencies: ["CMediaEdge"]),
        .executableTarget(name: "QuickStart", dependencies: ["MediaEdge"], path: "Examples/QuickStart"),
        .testTarget(name: "MediaEdgeTests", dependencies: ["MediaEdge"]),
    ]
)
