// swift-tools-version: 6.1
import Foundation
import PackageDescription

// The lab: research executables, probes and the benchmark scripts behind BENCHMARKS.md,
// built on the product (the package one folder up) and never built by it.
//   swift build -c release --package-path Lab      # every lab executable, in Lab/.build
//   swift test --package-path Lab                  # the lab's own tests (../shared data where named)

/// SwiftPM names a path dependency after its folder, whatever a clone calls it.
let product = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent
func lib(_ name: String) -> Target.Dependency { .product(name: name, package: product) }
let numerics = Target.Dependency.product(name: "Numerics", package: "swift-numerics")

let package = Package(
    name: "MetaGRAPPALab",
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: [
        // Residual RAKI (a GRAPPA branch plus a CNN on its residual): an experiment that lost
        // (BENCHMARKS.md), kept for its benchmark.
        .target(name: "ResidualRaki", dependencies: [lib("GRAPPA"), lib("RAKI"), lib("KSpaceLattice"), lib("MRICore"), lib("NeuralNetwork"), numerics]),
        // Stage timings of GRAPPA.
        .executableTarget(name: "grappa-bench", dependencies: [lib("Compute"), lib("MRICore"), lib("MRIIO"), lib("GRAPPA")],
                          path: "Sources/GrappaBench"),
        // GRAPPA's automatic support and λ against the default and the oracle.
        .executableTarget(name: "grappa-auto-bench", dependencies: [lib("Compute"), lib("MRICore"), lib("MRIIO"), lib("GRAPPA"),
                                                                   lib("Simulation"), lib("MetaLearner"), numerics],
                          path: "Sources/GrappaAuto"),
        // A linear learner started from the array's population kernel, and its bounds.
        .executableTarget(name: "prior-probe", dependencies: [lib("Compute"), lib("MRICore"), lib("MRIIO"), lib("GRAPPA"),
                                                             lib("Simulation"), lib("MetaLearner"), lib("MetaTraining"), numerics],
                          path: "Sources/PriorProbe"),
        // RAKI variants the command line does not expose.
        .executableTarget(name: "raki-probe", dependencies: [lib("Compute"), lib("MRICore"), lib("MRIIO"), lib("GRAPPA"), lib("RAKI"),
                                                            lib("Simulation")],
                          path: "Sources/RakiProbe"),
        // Residual RAKI against GRAPPA and plain RAKI on simulated scans.
        .executableTarget(name: "raki-residual-bench", dependencies: [lib("Compute"), lib("MRICore"), lib("MRIIO"), lib("GRAPPA"),
                                                                     lib("RAKI"), lib("Simulation"), lib("MetaLearner"), "ResidualRaki"],
                          path: "Sources/RakiResidual"),
        // The paper's comparison on the reserved slices.
        .executableTarget(name: "meta-bench", dependencies: [lib("Compute"), lib("MRICore"), lib("MRIIO"), lib("GRAPPA"), lib("RAKI"),
                                                            lib("Simulation"), lib("Reporting"), lib("MetaLearner"), lib("MetaTraining")],
                          path: "Sources/MetaBench"),
        // The sparse reconstruction's error against λ, with the features of a per-scan rule.
        .executableTarget(name: "cs-lambda-sweep", dependencies: [lib("Compute"), lib("MRICore"), lib("GRAPPA"), lib("Simulation"),
                                                                 lib("CoilSensitivity"), lib("CompressedSensing")],
                          path: "Sources/CsLambdaSweep"),
        .testTarget(name: "ResidualRakiTests", dependencies: ["ResidualRaki", lib("GRAPPA"), lib("RAKI"), lib("MRICore"), lib("Compute"), lib("KSpaceLattice"), lib("NeuralNetwork"),
                                                              lib("Simulation"), numerics]),
        // Checks tied to the development data in ../shared (skipped where it is absent).
        .testTarget(name: "LabTests", dependencies: [lib("GRAPPA"), lib("MRICore"), lib("MRIIO")]),
    ]
)
