// swift-tools-version: 6.1
import Foundation
import PackageDescription

// The libFuzzer harness over every reader (RELIABILITY.md), built on the product one folder up
// and only with the fuzzer's flags:
//   swift build -c release --package-path Fuzz \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING

/// SwiftPM names a path dependency after its folder, whatever a clone calls it.
let product = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent
func lib(_ name: String) -> Target.Dependency { .product(name: name, package: product) }

let package = Package(
    name: "MetaGRAPPAFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "reader-fuzz", dependencies: [lib("MRICore"), lib("MRIIO"), lib("GRAPPA"), lib("MetaLearner")],
                          path: "ReaderFuzz"),
    ]
)
